/**
 * CrashLoopBackOff, as the kubelet does it: a container that dies soon after
 * it started has crashed; the first crash is restarted at once, each further
 * one in a row waits twice as long as the last, up to a cap. A run that lasts
 * `minRunMs` ends the loop. Fed by the engine's start, kill and die events,
 * so it counts restarts made by the engine's restart policy too, and a death
 * that follows a kill (a stop someone asked for) is no crash.
 */
import type { BackoffOptions } from './backoff.js';
import { backoffDelay } from './backoff.js';

export interface CrashLoopOptions {
  /** A run shorter than this that ends in death is a crash. @default 10000 */
  minRunMs?: number;
  /** The wait before restarting after the second crash in a row; doubles with each further one. @default { initialMs: 10000, maxMs: 300000 } */
  backoff?: BackoffOptions;
}

export interface CrashLoop {
  /** Crashes in a row. */
  crashes: number;
  lastCrashAt: number;
  /** No restart before this (clock ms); equal to `lastCrashAt` after the first crash. */
  retryAt: number;
}

export const DEFAULT_CRASH_BACKOFF: BackoffOptions = { initialMs: 10_000, maxMs: 300_000 };

export class CrashLoopTracker {
  readonly #minRunMs: number;
  readonly #backoff: BackoffOptions;
  readonly #startedAt = new Map<string, number>();
  readonly #loops = new Map<string, CrashLoop>();
  /** Containers the engine was asked to kill or stop: their next death is no crash. */
  readonly #killed = new Set<string>();

  constructor(options: CrashLoopOptions = {}) {
    this.#minRunMs = options.minRunMs ?? 10_000;
    this.#backoff = options.backoff ?? DEFAULT_CRASH_BACKOFF;
  }

  started(container: string, at: number): void {
    this.#startedAt.set(container, at);
    this.#killed.delete(container);
  }

  /** The engine sends the container a signal (`docker stop`, `docker kill`, `docker rm -f`, mooring's own stop). */
  killed(container: string): void {
    this.#killed.add(container);
  }

  /** Records a death; returns the loop when it was a crash. */
  died(container: string, at: number): CrashLoop | undefined {
    const startedAt = this.#startedAt.get(container);
    this.#startedAt.delete(container);
    const killed = this.#killed.delete(container);
    // A death that was asked for, that follows a long run, or whose start was not seen (mooring started later) is no crash.
    if (killed || startedAt === undefined || at - startedAt >= this.#minRunMs) {
      this.#loops.delete(container);
      return undefined;
    }
    const crashes = (this.#loops.get(container)?.crashes ?? 0) + 1;
    const loop = { crashes, lastCrashAt: at, retryAt: at + (crashes < 2 ? 0 : backoffDelay(crashes - 1, this.#backoff)) };
    this.#loops.set(container, loop);
    return loop;
  }

  /** The container's loop at `now`, if it is in one; a start that has lasted `minRunMs` by now ends it. */
  loop(container: string, now: number): CrashLoop | undefined {
    const startedAt = this.#startedAt.get(container);
    if (startedAt !== undefined && now - startedAt >= this.#minRunMs) this.#loops.delete(container);
    return this.#loops.get(container);
  }

  /** Containers that must not be restarted yet, with their loops. */
  heldBack(now: number): Map<string, CrashLoop> {
    const held = new Map<string, CrashLoop>();
    for (const container of this.#loops.keys()) {
      const loop = this.loop(container, now);
      if (loop && loop.retryAt > now) held.set(container, loop);
    }
    return held;
  }

  /** Starts over for `container`, e.g. because its spec changed or it is no longer declared. */
  forget(container: string): void {
    this.#startedAt.delete(container);
    this.#loops.delete(container);
    this.#killed.delete(container);
  }
}
