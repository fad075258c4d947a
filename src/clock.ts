/**
 * Time as mooring sees it: the current time, waits and timers, and the
 * randomness of jitter. Daemon code takes them from a `Clock`, never from the
 * globals, so that a test can drive them and a stop can abort every wait.
 * `systemClock` calls the globals at each use, so sinon's fake timers drive it too.
 */
export type Timer = ReturnType<typeof setTimeout>;

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts: a stop never waits out a sleep. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  setTimeout(callback: () => void, ms: number): Timer;
  setInterval(callback: () => void, ms: number): Timer;
  /** Clears a timer of either kind; `undefined` is a no-op. */
  clearTimer(timer: Timer | undefined): void;
  /** A number in [0, 1), for jitter. */
  random(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, signal),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearTimer: (timer) => clearTimeout(timer),
  random: () => Math.random(),
};

/** Resolves after `ms`, or at once when `signal` aborts: a stop never waits out a sleep. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, signal?.aborted ? 0 : ms);
    signal?.addEventListener('abort', finish);
  });
}

/** A deadline `ms` from now on `clock`; `clear` lets the process exit without waiting for it. */
export function deadlineIn(clock: Clock, ms: number): { reached: Promise<void>; clear(): void } {
  let timer: Timer | undefined;
  const reached = new Promise<void>((resolve) => (timer = clock.setTimeout(resolve, ms)));
  return { reached, clear: () => clock.clearTimer(timer) };
}
