/**
 * Follows the engine's event stream for as long as the daemon runs: when the
 * stream drops or the engine is away, it tries again with a capped backoff,
 * and says when it is connected again, because whatever happened meanwhile
 * was missed and calls for a full pass.
 */
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { Engine, EngineEvent, EngineInfo } from '../engine/port.js';
import type { BackoffOptions } from './backoff.js';
import { backoffDelay } from './backoff.js';

export interface EngineEventsOptions {
  engine: Engine;
  /** Ends the stream and the retries. */
  signal: AbortSignal;
  /** The engine answers again (or for the first time); called before its events flow. */
  onConnect(info: EngineInfo): void;
  onEvent(event: EngineEvent): void;
  /** The engine did not answer, or its stream ended; another try follows after the backoff. */
  onDisconnect(error: Error, retryInMs: number): void;
  /** @default { initialMs: 500, maxMs: 10000 } */
  backoff?: BackoffOptions;
  /** A stream that stayed up this long was a success: the next drop starts the backoff over. @default 10000 */
  stableMs?: number;
  /** @default systemClock */
  clock?: Clock;
}

export const DEFAULT_EVENTS_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000 };

/** Resolves once `signal` aborts; never rejects. */
export async function followEngineEvents(options: EngineEventsOptions): Promise<void> {
  const { engine, signal } = options;
  const clock = options.clock ?? systemClock;
  const stableMs = options.stableMs ?? 10_000;
  let attempt = 0;
  while (!signal.aborted) {
    let connectedAt: number | undefined;
    let failure: Error;
    try {
      // info() first: an events request to a dead engine may hang instead of failing.
      const info = await engine.info();
      connectedAt = clock.now();
      options.onConnect(info);
      for await (const event of engine.events({ signal })) options.onEvent(event);
      failure = new Error('the engine ended its event stream');
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
    }
    if (signal.aborted) return;
    if (connectedAt !== undefined && clock.now() - connectedAt >= stableMs) attempt = 0;
    const delayMs = backoffDelay(++attempt, options.backoff ?? DEFAULT_EVENTS_BACKOFF);
    options.onDisconnect(failure, delayMs);
    await sleep(delayMs, signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    signal.addEventListener('abort', finish);
  });
}
