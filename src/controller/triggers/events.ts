/**
 * Follows the engine's event stream for as long as the daemon runs: when the
 * stream drops or the engine is away, it tries again with a capped backoff,
 * and says when it is connected again, because whatever happened meanwhile
 * was missed and calls for a full pass. A stream is quiet while nothing
 * happens, and just as quiet when the engine hangs (a dockerd stopped with
 * SIGSTOP keeps the connection open): while it is up, the engine is asked
 * every `livenessMs` whether it still answers, and a stream whose engine does
 * not is dropped like one the engine closed.
 */
import type { Clock } from '../../clock.js';
import { systemClock } from '../../clock.js';
import type { ContainerEvent, Engine, EngineEvent, EngineInfo } from '../../engine/port.js';
import { LABELS, isOwnedBy } from '../../engine/labels.js';
import { asError, errorMessage } from '../../errors.js';
import { containerKey } from '../keys.js';
import type { BackoffOptions } from '../backoff.js';
import { backoffDelay } from '../backoff.js';

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
  /** While the stream is up, the engine is asked this often whether it still answers. @default DEFAULT_EVENTS_LIVENESS_MS (10 s) */
  livenessMs?: number;
  /** @default systemClock */
  clock?: Clock;
}

/**
 * One `info()` request this often while the stream is up. A hung engine is then found out within this, the
 * check's deadline and the deadline of the pass the dropped stream calls for: 30 s with the defaults, one
 * default resync period, however long `--resync` is.
 */
export const DEFAULT_EVENTS_LIVENESS_MS = 10_000;

export const DEFAULT_EVENTS_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 10_000 };

/** Resolves once `signal` aborts; never rejects. */
export async function followEngineEvents(options: EngineEventsOptions): Promise<void> {
  const { engine, signal } = options;
  const clock = options.clock ?? systemClock;
  const stableMs = options.stableMs ?? 10_000;
  const livenessMs = options.livenessMs ?? DEFAULT_EVENTS_LIVENESS_MS;
  let attempt = 0;
  while (!signal.aborted) {
    let connectedAt: number | undefined;
    let failure: Error;
    /** Ends this stream (and its liveness checks) without ending the whole follow. */
    const stream = new AbortController();
    let hung: Error | undefined;
    try {
      // info() first: an events request to a dead engine may hang instead of failing.
      const info = await engine.info();
      connectedAt = clock.now();
      options.onConnect(info);
      const streamSignal = AbortSignal.any([signal, stream.signal]);
      void checkLiveness(engine, clock, livenessMs, streamSignal, (error) => {
        hung = error;
        stream.abort();
      });
      for await (const event of engine.events({ signal: streamSignal })) options.onEvent(event);
      failure = hung ?? new Error('the engine ended its event stream');
    } catch (error) {
      failure = hung ?? asError(error);
    } finally {
      stream.abort();
    }
    if (signal.aborted) return;
    if (connectedAt !== undefined && clock.now() - connectedAt >= stableMs) attempt = 0;
    const delayMs = backoffDelay(++attempt, options.backoff ?? DEFAULT_EVENTS_BACKOFF);
    options.onDisconnect(failure, delayMs);
    await clock.sleep(delayMs, signal);
  }
}

/** Asks the engine every `intervalMs` whether it answers, until `signal` aborts or it does not: then `onHung`. Never rejects. */
async function checkLiveness(engine: Engine, clock: Clock, intervalMs: number, signal: AbortSignal, onHung: (error: Error) => void): Promise<void> {
  for (;;) {
    await clock.sleep(intervalMs, signal);
    if (signal.aborted) return;
    try {
      await engine.info();
    } catch (error) {
      if (!signal.aborted) onHung(new Error(`the engine no longer answers while its event stream is open: ${errorMessage(error)}`));
      return;
    }
  }
}

/**
 * Engine events that can mean an owned resource drifted, or (a health change) that a container waiting
 * for it to be healthy may start now; the rest (exec, our own creates) do not.
 */
const DRIFT_EVENTS: { [R in EngineEvent['resource']]: ReadonlySet<Extract<EngineEvent, { resource: R }>['change']> } = {
  container: new Set(['started', 'died', 'stopped', 'destroyed', 'paused', 'unpaused', 'renamed', 'updated', 'out-of-memory', 'health-changed']),
  network: new Set(['connected', 'disconnected', 'destroyed']),
};

/** What a container's event says about its run, for the crash-loop tracker. */
const RUN_EVENTS: Readonly<Partial<Record<ContainerEvent['change'], EventMeaning['run']>>> = { started: 'started', killed: 'killed', died: 'died' };

/** What an engine event means to the controller. */
export interface EventMeaning {
  /** The resource it is about (`Container/web`). */
  key: string;
  /** It can mean the resource drifted from its manifest: a pass should look. */
  drift: boolean;
  /** For a Container: its run began, it was asked to end, or it ended. */
  run?: 'started' | 'killed' | 'died';
}

export interface EventContext {
  instance: string;
  /** Owned containers and networks by id, as the last pass saw them, to recognise network events. */
  ownedIds: ReadonlyMap<string, string>;
  /** Whether the manifests declare a Network of this name. */
  declaresNetwork(name: string): boolean;
}

/**
 * The one place that reads the engine's events: the resource an event is
 * about, when mooring owns it (network events name the container when it is
 * one of ours), whether it can mean drift, and what it says about a run.
 */
export function eventMeaning(event: EngineEvent, context: EventContext): EventMeaning | undefined {
  if (event.resource === 'container') {
    if (!isOwnedBy(event.labels, context.instance)) return undefined;
    const drift = DRIFT_EVENTS.container.has(event.change);
    const run = RUN_EVENTS[event.change];
    return { key: containerKey(event.labels[LABELS.name] ?? event.name ?? event.id), drift, ...(run === undefined ? {} : { run }) };
  }
  const key =
    (event.containerId === undefined ? undefined : context.ownedIds.get(event.containerId)) ??
    context.ownedIds.get(event.id) ??
    (event.name !== undefined && context.declaresNetwork(event.name) ? `Network/${event.name}` : undefined);
  return key === undefined ? undefined : { key, drift: DRIFT_EVENTS.network.has(event.change) };
}
