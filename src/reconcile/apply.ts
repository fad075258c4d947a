/**
 * Carries out a plan: actions run as soon as the actions they depend on have
 * succeeded, a bounded number at a time. A failure is retried only when the
 * engine says retrying can help, and it stops nothing but the actions that depend on it.
 *
 * Stopping never cuts a resource in half. A resource's actions form its
 * sequence (a container's recreate, its connects, its start); once one of them
 * has begun to change the engine, an abort no longer skips the rest, nor what
 * the rest depends on. Only sequences not yet begun are skipped.
 */
import pRetry from 'p-retry';
import type { Pulls } from './pulls.js';
import { Builds } from './builds.js';
import type { Engine } from '../engine/port.js';
import { EngineError, SkippedError, TerminalError, asError, isTransient } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { Action } from './actions.js';
import { actionSubject } from './actions.js';
import { Sequences } from './sequences.js';

export interface RetryOptions {
  /** Retries after the first attempt. @default 3 */
  retries?: number;
  /** Delay before the first retry; doubles each time. @default 250 */
  minTimeoutMs?: number;
  /** @default 4000 */
  maxTimeoutMs?: number;
}

export interface ApplyOptions {
  engine: Engine;
  logger: Logger;
  clock: Clock;
  actions: readonly Action[];
  /** How many actions may run at once. @default 8 */
  concurrency?: number;
  /** Resource keys (`Container/web`) whose actions must not run this time; their dependents are skipped too. */
  holdBack?: ReadonlySet<string>;
  retry?: RetryOptions;
  /** The daemon's bounded `Always` pulls: an image they pulled within the interval is not pulled again for a creation. */
  pulls?: Pulls;
  /** The daemon's builds, which remember the failed ones. @default new ones, for this apply alone */
  builds?: Builds;
  /** Added to every log line, so the lines of one pass can be found together. */
  pass?: number;
  /**
   * Once aborted, mooring is stopping: sequences not yet begun are skipped (an
   * action of theirs in flight finishes, but is not retried); sequences begun
   * run to their end, retries included.
   */
  signal?: AbortSignal;
  /**
   * Called once `signal` has aborted, with the resources (`Container/web`)
   * whose begun sequences still have actions to run: what stopping waits
   * for, however long it takes.
   */
  onStopping?: (finishing: string[]) => void;
}

export interface ActionOutcome {
  action: Action;
  ok: boolean;
  /** Why it failed, or why it did not run (a `SkippedError`); `isTransient(error)` says whether retrying later can help. */
  error?: Error;
  /** The action did not run: its resource is held back, an action it depends on did not succeed, or mooring is stopping. */
  skipped?: boolean;
  durationMs: number;
}

export const DEFAULT_CONCURRENCY = 8;

/** Why an action not yet begun is skipped once the signal aborts. */
export const STOPPING = 'mooring is stopping';

const PAST_TENSE: Record<Action['type'], string> = {
  'create-network': 'created network',
  'recreate-network': 'recreated network',
  'remove-network': 'removed network',
  'pull-image': 'image ready',
  'create-container': 'created container',
  'recreate-container': 'recreated container',
  'update-container': 'updated container in place',
  'start-container': 'started container',
  'stop-container': 'stopped container',
  'remove-container': 'removed container',
  connect: 'connected container',
  disconnect: 'disconnected container',
  'create-volume': 'created volume',
  'remove-volume': 'removed volume',
};

/** Runs `actions` and resolves, never rejects, to one outcome per action, in the order of `actions`. */
export async function apply(options: ApplyOptions): Promise<ActionOutcome[]> {
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new TypeError(`Expected \`concurrency\` to be an integer >= 1, got ${concurrency}`);
  }
  const runner = new ActionRunner(options);
  const sequences = new Sequences(options.actions);
  const outcomes = new Map<string, ActionOutcome>();
  const byId = new Map(options.actions.map((action) => [action.id, action]));
  const pending = [...options.actions];
  /** By action id: stops the retries of an action that no begun sequence needs once stopping. */
  const running = new Map<string, AbortController>();
  /** Set once stopping: the ids of the actions that still run. */
  let finishing: ReadonlySet<string> | undefined;

  return new Promise((resolve) => {
    const settle = (outcome: ActionOutcome) => outcomes.set(outcome.action.id, outcome);
    const stop = () => {
      finishing = sequences.toFinish();
      for (const [id, retries] of running) if (!finishing.has(id)) retries.abort(new SkippedError(`${STOPPING}: no more retries`, { transient: true }));
      const left = [...finishing].filter((id) => !outcomes.has(id));
      const resources = [...new Set(left.map((id) => byId.get(id)!.resource))];
      if (pending.length + running.size > 0) {
        options.logger.info(
          resources.length > 0 ? `stopping: finishing what has begun for ${resources.join(', ')}; nothing else starts` : 'stopping: no change has begun; nothing else starts',
          { finishing: resources, skipping: pending.filter((action) => !finishing!.has(action.id)).length, ...(options.pass === undefined ? {} : { pass: options.pass }) },
        );
      }
      options.onStopping?.(resources);
      pump();
    };
    const pump = () => {
      for (let progressed = true; progressed; ) {
        progressed = false;
        for (const action of [...pending]) {
          const blocker = skipReason(action, outcomes, byId, options.holdBack, finishing);
          if (blocker) {
            pending.splice(pending.indexOf(action), 1);
            runner.skipped(action, blocker.message);
            settle({ action, ok: false, skipped: true, error: blocker, durationMs: 0 });
            progressed = true;
            continue;
          }
          if (running.size >= concurrency || !action.dependsOn.every((id) => outcomes.get(id)?.ok || !byId.has(id))) continue;
          pending.splice(pending.indexOf(action), 1);
          const retries = new AbortController();
          running.set(action.id, retries);
          sequences.begin(action);
          void runner.run(action, retries.signal).then((outcome) => {
            running.delete(action.id);
            settle(outcome);
            pump();
          });
        }
      }
      if (pending.length === 0 && running.size === 0) {
        options.signal?.removeEventListener('abort', stop);
        resolve(options.actions.map((action) => outcomes.get(action.id)!));
      }
    };
    if (options.signal?.aborted) stop();
    else {
      options.signal?.addEventListener('abort', stop, { once: true });
      pump();
    }
  });
}

function skipReason(
  action: Action,
  outcomes: Map<string, ActionOutcome>,
  byId: Map<string, Action>,
  holdBack: ReadonlySet<string> | undefined,
  finishing: ReadonlySet<string> | undefined,
): SkippedError | undefined {
  if (finishing && !finishing.has(action.id)) return new SkippedError(STOPPING, { transient: true });
  if (holdBack?.has(action.resource)) return new SkippedError(`${action.resource} is held back`, { transient: true });
  for (const id of action.dependsOn) {
    const outcome = outcomes.get(id);
    if (!outcome || outcome.ok) continue;
    const dependency = byId.get(id)!;
    const why = outcome.skipped ? `was skipped (${outcome.error?.message ?? ''})` : `failed: ${outcome.error?.message ?? ''}`;
    return new SkippedError(`${dependency.id} ${why}`, { transient: isTransient(outcome.error), cause: outcome.error });
  }
  return undefined;
}

/** Runs one action with retries, logging what it does. */
class ActionRunner {
  readonly #engine: Engine;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #retry: Required<RetryOptions>;
  readonly #pass: number | undefined;
  /** One pull or build per image per pass, however many containers use it. */
  readonly #images = new Map<string, Promise<void>>();
  readonly #pulls: Pulls | undefined;
  readonly #builds: Builds;

  constructor(options: ApplyOptions) {
    this.#engine = options.engine;
    this.#pulls = options.pulls;
    this.#builds = options.builds ?? new Builds({ engine: options.engine, clock: options.clock });
    this.#logger = options.logger;
    this.#clock = options.clock;
    this.#pass = options.pass;
    this.#retry = { retries: 3, minTimeoutMs: 250, maxTimeoutMs: 4000, ...options.retry };
  }

  /** `retries` aborts when no more attempts should be made; the attempt in flight still finishes. */
  async run(action: Action, retries: AbortSignal): Promise<ActionOutcome> {
    const logger = this.#loggerFor(action);
    const started = this.#clock.now();
    let performed = false;
    const failure = await pRetry(
      async () => {
        await this.#perform(action, logger);
        performed = true;
      },
      {
        retries: this.#retry.retries,
        minTimeout: this.#retry.minTimeoutMs,
        maxTimeout: this.#retry.maxTimeoutMs,
        factor: 2,
        signal: retries,
        // A request that timed out is not tried again at once: the engine is likely hung, and the next pass finds out.
        shouldRetry: ({ error }) => isTransient(error) && !(error instanceof EngineError && error.kind === 'timeout'),
        onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
          if (isTransient(error) && retriesLeft > 0) logger.warn(`${action.id} failed, retrying: ${error.message}`, { attempt: attemptNumber, retriesLeft });
        },
      },
    ).then(
      () => undefined,
      (error: unknown) => error,
    );
    const durationMs = this.#clock.now() - started;
    // p-retry checks the signal after a successful attempt too: what succeeded did change the engine.
    if (performed) {
      logger.info(`${PAST_TENSE[action.type]} ${actionSubject(action).name}`, { reason: action.reason, durationMs });
      return { action, ok: true, durationMs };
    }
    const error = asError(failure);
    // Logged here, once: the caller decides what follows (a retry, a report) without logging the failure again.
    logger.error(`${action.id} failed: ${error.message}`, { reason: action.reason, durationMs });
    // A failure once mooring stops is no verdict on the action: a later run can do it.
    if (retries.aborted && !isTransient(error)) return { action, ok: false, error: new SkippedError(error.message, { transient: true, cause: error }), durationMs };
    return { action, ok: false, error, durationMs };
  }

  skipped(action: Action, reason: string): void {
    this.#loggerFor(action).warn(`${action.id} skipped: ${reason}`);
  }

  #loggerFor(action: Action): Logger {
    const { kind, name } = actionSubject(action);
    return this.#logger.child({ kind, name, action: action.type, ...(this.#pass === undefined ? {} : { pass: this.#pass }) });
  }

  async #perform(action: Action, logger: Logger): Promise<void> {
    const engine = this.#engine;
    const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
      logger.debug(`engine ${what}`);
      const result = await run();
      logger.debug(`engine ${what} done`);
      return result;
    };
    switch (action.type) {
      case 'create-network':
        await call('createNetwork', () => engine.createNetwork(action.network));
        return;
      case 'recreate-network':
        await call('removeNetwork', () => engine.removeNetwork(action.networkId));
        await call('createNetwork', () => engine.createNetwork(action.network));
        return;
      case 'remove-network':
        await call('removeNetwork', () => engine.removeNetwork(action.networkId));
        return;
      case 'pull-image':
        if (action.build) await this.#once(`build ${action.image} ${JSON.stringify(action.build.labels)}`, () => call('buildImage', () => this.#builds.build(action.build!, logger)));
        else await this.#ensureImage(action.image, action.policy, call);
        return;
      case 'create-container':
        await call('createContainer', () => engine.createContainer(action.container));
        return;
      case 'recreate-container':
        await call('stopContainer', () => engine.stopContainer(action.containerId, action.stopTimeoutSeconds));
        await call('removeContainer', () => engine.removeContainer(action.containerId));
        await call('createContainer', () => engine.createContainer(action.container));
        return;
      case 'update-container':
        await call('updateContainer', () => engine.updateContainer(action.containerId, action.update));
        return;
      case 'start-container':
        if (action.unpause) {
          await call('unpauseContainer', () => engine.unpauseContainer(action.name));
          return;
        }
        try {
          await call('startContainer', () => engine.startContainer(action.name));
        } catch (error) {
          const replacement = action.replaceIfUnstartable;
          if (!replacement || !(error instanceof EngineError) || error.kind !== 'unstartable') throw error;
          logger.warn(`${error.message}; replacing the container with a new one`);
          await call('removeContainer', () => engine.removeContainer(replacement.containerId));
          await call('createContainer', () => engine.createContainer(replacement.container));
          await call('startContainer', () => engine.startContainer(action.name));
        }
        return;
      case 'stop-container':
        await call('stopContainer', () => engine.stopContainer(action.name, action.stopTimeoutSeconds));
        return;
      case 'remove-container':
        await call('stopContainer', () => engine.stopContainer(action.containerId, action.stopTimeoutSeconds));
        await call('removeContainer', () => engine.removeContainer(action.containerId));
        return;
      case 'connect':
        await call('connectNetwork', () => engine.connectNetwork(action.container, action.endpoint));
        return;
      case 'disconnect':
        await call('disconnectNetwork', () => engine.disconnectNetwork(action.container, action.network));
        return;
      case 'create-volume':
        await call('createVolume', () => engine.createVolume(action.volume));
        return;
      case 'remove-volume':
        await call('removeVolume', () => engine.removeVolume(action.name));
        return;
    }
  }

  #ensureImage(image: string, declared: string, call: <T>(what: string, run: () => Promise<T>) => Promise<T>): Promise<void> {
    const policy = declared === 'Always' && this.#pulls?.fresh(image) ? 'IfNotPresent' : declared;
    return this.#once(`${policy} ${image}`, async () => {
      if (policy !== 'Always' && (await call('imageExists', () => this.#engine.imageExists(image)))) return;
      if (policy === 'Never') throw new TerminalError(`expected image ${image} to be present (pullPolicy Never), got none`);
      await call('pullImage', () => this.#engine.pullImage(image));
    });
  }

  #once(key: string, make: () => Promise<void>): Promise<void> {
    let ready = this.#images.get(key);
    if (!ready) {
      ready = make();
      // A failed attempt must not stick: a retry asks again.
      ready.catch(() => this.#images.delete(key));
      this.#images.set(key, ready);
    }
    return ready;
  }
}
