/**
 * A keyed work queue in the manner of controller-runtime's: keys, not events,
 * so a burst of triggers for one key is one piece of work; a key is never
 * handed out twice at once (adding a key in flight marks it dirty, and it comes
 * back when the work on it is done); failed keys come back after a per-key
 * exponential backoff that `forget` resets.
 *
 * One difference: `take` hands out every ready key at once, because the daemon's
 * work is one full, level-triggered pass however many keys asked for it.
 */
import type { Clock, Timer } from '../clock.js';
import { systemClock } from '../clock.js';
import type { BackoffOptions } from './backoff.js';
import { KeyedBackoff } from './backoff.js';

export interface WorkQueueOptions {
  /** @default systemClock */
  clock?: Clock;
  /** For `addRateLimited`. @default DEFAULT_BACKOFF */
  backoff?: BackoffOptions;
}

interface Pending {
  at: number;
  timer: Timer;
}

export class WorkQueue<K> {
  readonly #clock: Clock;
  readonly #backoff: KeyedBackoff<K>;
  /** Waiting to be taken, in the order they were added. */
  readonly #ready = new Set<K>();
  readonly #processing = new Set<K>();
  /** Added while processing: ready again once done. */
  readonly #dirty = new Set<K>();
  /** `addAfter`: only the earliest time per key counts. */
  readonly #delayed = new Map<K, Pending>();
  /** `addRateLimited`: kept apart from `#delayed` so an earlier plain delay cannot cut a backoff short. */
  readonly #retries = new Map<K, Pending>();
  #waiters: (() => void)[] = [];
  #shutDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#backoff = new KeyedBackoff(options.backoff);
  }

  /** Makes `key` ready now; a no-op when it is ready already. */
  add(key: K): void {
    if (this.#shutDown) return;
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    this.#ready.add(key);
    this.#wakeAll();
  }

  /** Makes `key` ready in `delayMs`, or sooner if it is already due sooner. */
  addAfter(key: K, delayMs: number): void {
    this.#schedule(this.#delayed, key, delayMs);
  }

  /** Counts a failure of `key` and makes it ready again after its backoff; returns the delay. */
  addRateLimited(key: K): number {
    const delayMs = this.#backoff.fail(key);
    this.#clock.clearTimer(this.#retries.get(key)?.timer);
    this.#retries.delete(key);
    this.#schedule(this.#retries, key, delayMs);
    return delayMs;
  }

  /** Ends `key`'s backoff: it succeeded. */
  forget(key: K): void {
    this.#backoff.reset(key);
    this.#clock.clearTimer(this.#retries.get(key)?.timer);
    this.#retries.delete(key);
  }

  /** Consecutive failures of `key` since it was last forgotten. */
  failures(key: K): number {
    return this.#backoff.failures(key);
  }

  /** Keys whose rate-limited retry is still ahead, with when it is due (clock ms). */
  backingOff(): Map<K, number> {
    return new Map([...this.#retries].map(([key, pending]) => [key, pending.at]));
  }

  /**
   * Waits for at least one ready key, then hands out all of them; they are in
   * flight until `done`. Resolves to undefined once the queue is shut down.
   */
  async take(): Promise<K[] | undefined> {
    while (this.#ready.size === 0 && !this.#shutDown) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    if (this.#shutDown) return undefined;
    const keys = [...this.#ready];
    this.#ready.clear();
    for (const key of keys) this.#processing.add(key);
    return keys;
  }

  /** Ends the work on `keys`; those added meanwhile are ready again. */
  done(keys: Iterable<K>): void {
    for (const key of keys) {
      this.#processing.delete(key);
      if (this.#dirty.delete(key)) this.add(key);
    }
  }

  /** Stops handing out keys: a waiting `take` resolves to undefined, timers are cleared, adds are ignored. */
  shutDown(): void {
    this.#shutDown = true;
    for (const pending of [...this.#delayed.values(), ...this.#retries.values()]) this.#clock.clearTimer(pending.timer);
    this.#delayed.clear();
    this.#retries.clear();
    this.#wakeAll();
  }

  #wakeAll(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  #schedule(timers: Map<K, Pending>, key: K, delayMs: number): void {
    if (this.#shutDown) return;
    if (!(delayMs > 0)) {
      this.add(key);
      return;
    }
    const at = this.#clock.now() + delayMs;
    const existing = timers.get(key);
    if (existing && existing.at <= at) return;
    this.#clock.clearTimer(existing?.timer);
    const timer = this.#clock.setTimeout(() => {
      timers.delete(key);
      this.add(key);
    }, delayMs);
    timers.set(key, { at, timer });
  }
}
