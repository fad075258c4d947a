/**
 * Exponential backoff, capped: the delay before retrying something that failed
 * `attempt` times in a row. No jitter: there is one daemon per engine, so there
 * is no herd to spread out.
 */

export interface BackoffOptions {
  /** Delay after the first failure. @default 1000 */
  initialMs?: number;
  /** @default 300000 */
  maxMs?: number;
  /** @default 2 */
  factor?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 1000, maxMs: 300_000, factor: 2 };

/** `initialMs * factor^(attempt - 1)`, at most `maxMs`; `attempt` counts from 1. */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const { initialMs, maxMs, factor } = { ...DEFAULT_BACKOFF, ...options };
  if (!Number.isInteger(attempt) || attempt < 1) throw new TypeError(`Expected \`attempt\` to be an integer >= 1, got ${attempt}`);
  // A power that overflows to Infinity still caps to maxMs.
  return Math.min(initialMs * factor ** (attempt - 1), maxMs);
}

/** Consecutive failures per key, and the backoff they earn. */
export class KeyedBackoff<K> {
  readonly #options: BackoffOptions;
  readonly #failures = new Map<K, number>();

  constructor(options: BackoffOptions = {}) {
    for (const name of ['initialMs', 'maxMs', 'factor'] as const) {
      const value = options[name];
      if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new TypeError(`Expected \`${name}\` to be a finite number > 0, got ${value}`);
    }
    this.#options = options;
  }

  /** Counts one more failure of `key` and returns how long to wait before trying it again. */
  fail(key: K): number {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    return backoffDelay(failures, this.#options);
  }

  failures(key: K): number {
    return this.#failures.get(key) ?? 0;
  }

  reset(key: K): void {
    this.#failures.delete(key);
  }
}
