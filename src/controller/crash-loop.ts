/**
 * CrashLoopBackOff, as the kubelet does it: a container that dies soon after
 * it started has crashed; the first crash is restarted at once, each further
 * one in a row waits twice as long as the last, up to a cap. A run that lasts
 * `minRunMs` ends the loop.
 *
 * Deaths are learnt two ways, and each run's end counts once whichever comes
 * first: from the engine's events (which also count restarts made by the
 * engine's restart policy, and tell a death that follows a kill, a stop
 * someone asked for, from a crash), and from what a pass observes. The second
 * is needed because the engine answers an inspection with the container exited
 * before its `die` event has reached mooring: a pass that acted on the
 * inspection alone would restart a crashed container as if nothing happened.
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

/** How a pass saw a container that is not running. */
export interface ObservedStop {
  /** From an inspection (clock ms): then the run's length is known exactly. */
  startedAt?: number;
  finishedAt?: number;
}

export const DEFAULT_CRASH_BACKOFF: BackoffOptions = { initialMs: 10_000, maxMs: 300_000 };

/** Crashes in a row from which a container is said to be crash looping. */
export const CRASH_LOOP_THRESHOLD = 2;

export class CrashLoopTracker {
  readonly #minRunMs: number;
  readonly #backoff: BackoffOptions;
  /** The current run of each container whose start mooring saw, until its end is recorded. */
  readonly #runningSince = new Map<string, number>();
  readonly #loops = new Map<string, CrashLoop>();
  /** Containers the engine was asked to kill or stop: their next death is no crash. */
  readonly #killed = new Set<string>();

  constructor(options: CrashLoopOptions = {}) {
    this.#minRunMs = options.minRunMs ?? 10_000;
    this.#backoff = options.backoff ?? DEFAULT_CRASH_BACKOFF;
  }

  get minRunMs(): number {
    return this.#minRunMs;
  }

  started(container: string, at: number): void {
    this.#runningSince.set(container, at);
    this.#killed.delete(container);
  }

  /** The engine sends the container a signal (`docker stop`, `docker kill`, `docker rm -f`, mooring's own stop). */
  killed(container: string): void {
    this.#killed.add(container);
  }

  /** The engine's die event; returns the loop when it was a crash. A run whose end was already recorded is not counted again. */
  died(container: string, at: number): CrashLoop | undefined {
    const startedAt = this.#runningSince.get(container);
    if (startedAt === undefined) return undefined;
    return this.#ended(container, at - startedAt, at);
  }

  /** A pass found the container not running; returns the loop when that ended a run in a crash. */
  observedStopped(container: string, now: number, stop: ObservedStop = {}): CrashLoop | undefined {
    const startedAt = this.#runningSince.get(container);
    if (startedAt === undefined) return undefined;
    const exact = stop.startedAt !== undefined && stop.finishedAt !== undefined && stop.finishedAt >= stop.startedAt;
    // Without an inspection, the time it was seen stopped bounds the run from above.
    return this.#ended(container, exact ? stop.finishedAt! - stop.startedAt! : now - startedAt, now);
  }

  /** The container's loop at `now`, if it is in one; a start that has lasted `minRunMs` by now ends it. */
  loop(container: string, now: number): CrashLoop | undefined {
    const startedAt = this.#runningSince.get(container);
    if (startedAt !== undefined && now - startedAt >= this.#minRunMs) this.#loops.delete(container);
    return this.#loops.get(container);
  }

  /** Containers that must not be restarted yet, with their loops. */
  heldBack(now: number): Map<string, CrashLoop> {
    return new Map([...this.looping(now)].filter(([, loop]) => loop.retryAt > now));
  }

  /**
   * Containers crash looping at `now`: held back, or restarted after their
   * back-off and not yet running for `minRunMs`, with when that run ends the
   * loop (undefined while held back).
   */
  looping(now: number): Map<string, CrashLoop & { provenAt?: number }> {
    const looping = new Map<string, CrashLoop & { provenAt?: number }>();
    for (const container of [...this.#loops.keys()]) {
      const loop = this.loop(container, now);
      if (!loop || loop.crashes < CRASH_LOOP_THRESHOLD) continue;
      const startedAt = this.#runningSince.get(container);
      looping.set(container, { ...loop, ...(startedAt === undefined ? {} : { provenAt: startedAt + this.#minRunMs }) });
    }
    return looping;
  }

  /** Starts over for `container`, e.g. because its spec changed or it is no longer declared. */
  forget(container: string): void {
    this.#runningSince.delete(container);
    this.#loops.delete(container);
    this.#killed.delete(container);
  }

  #ended(container: string, ranMs: number, at: number): CrashLoop | undefined {
    this.#runningSince.delete(container);
    const killed = this.#killed.delete(container);
    // A death that was asked for, or that follows a long run, is no crash and ends the loop.
    if (killed || ranMs >= this.#minRunMs) {
      this.#loops.delete(container);
      return undefined;
    }
    const crashes = (this.#loops.get(container)?.crashes ?? 0) + 1;
    const loop = { crashes, lastCrashAt: at, retryAt: at + (crashes < CRASH_LOOP_THRESHOLD ? 0 : backoffDelay(crashes - 1, this.#backoff)) };
    this.#loops.set(container, loop);
    return loop;
  }
}
