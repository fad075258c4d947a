/**
 * The daemon: one loop that keeps the engine equal to the manifests. Triggers
 * (a manifest change, an engine event about something mooring owns, the
 * resync timer, SIGHUP, the engine coming back) only add keys to the work
 * queue; each turn of the loop takes every ready key and runs one full,
 * level-triggered pass, so nothing depends on having seen every event.
 *
 * Keys: `*` stands for the whole desired state (read the manifests again,
 * then a pass); `Kind/name` for one resource (a pass, and the resource's own
 * backoff). A resource whose actions keep failing, or a container that keeps
 * crashing, is held back from passes until its backoff ends.
 */
import { resolve } from 'node:path';
import type { Clock } from '../clock.js';
import { sleep, systemClock } from '../clock.js';
import type { Engine, EngineEvent, EngineInfo } from '../engine/port.js';
import { LABELS, isOwnedBy } from '../engine/labels.js';
import type { Logger } from '../log.js';
import type { LoadedManifests } from '../manifests/desired-state.js';
import { loadDesiredState } from '../manifests/desired-state.js';
import type { ProbeSchedulerOptions } from '../probes/scheduler.js';
import { ProbeScheduler } from '../probes/scheduler.js';
import type { Action } from '../reconcile/actions.js';
import type { RetryOptions } from '../reconcile/apply.js';
import type { ObservedState } from '../reconcile/observe.js';
import { observe } from '../reconcile/observe.js';
import type { ReconcileResult } from '../reconcile/reconcile.js';
import { DEFAULT_PRUNE_DELAY_MS, RemovalGrace } from '../reconcile/removal-grace.js';
import { reconcile } from '../reconcile/reconcile.js';
import type { HoldBack, PassInFlight, PassRecord } from '../status/build.js';
import { buildStatus, manifestErrors } from '../status/build.js';
import type { StatusServer } from '../status/http.js';
import { startStatusServer } from '../status/http.js';
import type { Status } from '../status/model.js';
import { StatusWriter } from '../status/write.js';
import { VERSION } from '../version.js';
import type { BackoffOptions } from './backoff.js';
import type { CrashLoop, CrashLoopOptions } from './crash-loop.js';
import { CrashLoopTracker } from './crash-loop.js';
import { followEngineEvents } from './events.js';
import type { ManifestWatcherOptions } from './watch.js';
import { ManifestWatcher } from './watch.js';
import { WorkQueue } from './work-queue.js';
import { errorMessage } from '../errors.js';
import { count } from '../plural.js';
import { positive } from '../positive.js';

/** The key that asks for the manifests to be read again and a full pass. */
export const ALL = '*';

const CONTAINER_KEY = 'Container/';

/** Engine events that can mean an owned resource drifted; the rest (exec, health checks, our own creates) do not. */
const DRIFT_EVENTS: Record<EngineEvent['type'], ReadonlySet<string>> = {
  container: new Set(['start', 'die', 'stop', 'destroy', 'pause', 'unpause', 'rename', 'update', 'oom']),
  network: new Set(['connect', 'disconnect', 'destroy', 'remove']),
};

export interface DaemonOptions {
  engine: Engine;
  logger: Logger;
  /** @default systemClock */
  clock?: Clock;
  instance: string;
  manifestsDirectory: string;
  statusFile: string;
  /** Prometheus text for node_exporter's textfile collector. */
  metricsFile?: string;
  /** `host:port` for `/healthz`, `/readyz`, `/metrics` and `/status`. */
  listen?: string;
  /** A full pass, manifests read again, at least this often. @default 30000 */
  resyncMs?: number;
  /** Prune even when no manifest declares anything. @default false */
  allowEmpty?: boolean;
  /** Where secret files are written; without one, containers with secrets are not made. */
  stateDir?: string;
  /** A removal of what no manifest declares waits until passes have planned it this long without a break. @default 10000 */
  pruneDelayMs?: number;
  /** The reachability probes' settings. */
  probes?: Omit<ProbeSchedulerOptions, 'engine' | 'logger' | 'clock' | 'instance' | 'onRound'>;
  /** Retries of one action within a pass. */
  retry?: RetryOptions;
  /** Between passes for a resource whose actions failed. @default { initialMs: 1000, maxMs: 300000 } */
  backoff?: BackoffOptions;
  crashLoop?: CrashLoopOptions;
  /** Between attempts to reach the engine's event stream. */
  eventsBackoff?: BackoffOptions;
  /** Engine events, and the check after a pass that changed things, wait this long for the rest of their burst. @default 100 */
  eventDelayMs?: number;
  /** Quiet time after a manifest change before reading the directory. @default 200 */
  debounceMs?: number;
  /** While a pass applies changes, the status is written again this often. @default 2000 */
  progressIntervalMs?: number;
  /** How long `stop` waits for the pass and the probe round in flight. @default 8000 */
  stopTimeoutMs?: number;
  /** @default loadDesiredState */
  loadManifests?: typeof loadDesiredState;
  /** @default a chokidar {@link ManifestWatcher} */
  watchManifests?: (options: ManifestWatcherOptions) => { start(): Promise<void>; close(): Promise<void> };
  /** @default process.pid */
  pid?: number;
}

export class Daemon {
  readonly #engine: Engine;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #instance: string;
  readonly #directory: string;
  readonly #statusFile: string;
  readonly #writer: StatusWriter;
  readonly #listen: string | undefined;
  readonly #resyncMs: number;
  readonly #allowEmpty: boolean;
  readonly #stateDir: string | undefined;
  readonly #retry: RetryOptions | undefined;
  readonly #eventsBackoff: BackoffOptions | undefined;
  readonly #eventDelayMs: number;
  readonly #debounceMs: number;
  readonly #stopTimeoutMs: number;
  readonly #progressIntervalMs: number;
  readonly #loadManifests: typeof loadDesiredState;
  readonly #pid: number;
  readonly #queue: WorkQueue<string>;
  readonly #crashLoops: CrashLoopTracker;
  readonly #removalGrace: RemovalGrace;
  readonly #probes: ProbeScheduler;
  readonly #watcher: { start(): Promise<void>; close(): Promise<void> };
  readonly #abort = new AbortController();

  #startedAt = 0;
  #passes = 0;
  #errorPasses = 0;
  #manifests: LoadedManifests | undefined;
  /** Each file's errors as last logged, so that a file's errors are logged once per change. */
  #loggedErrors = new Map<string, string>();
  /** Each declared Container's and Network's spec as last loaded, by resource key: a change ends its backoff and crash loop. */
  #declaredSpecs = new Map<string, string>();
  #lastPass: PassRecord | undefined;
  #inFlight: PassInFlight | undefined;
  #progressTimer: NodeJS.Timeout | undefined;
  #lastPassChanged = false;
  readonly #resourceErrors = new Map<string, string>();
  /**
   * Resources whose actions failed for good in the last pass. The events such an attempt causes (a failed
   * start connects and disconnects its networks) must not call for another at once: that looped, hundreds of
   * times a minute. They wait for a resync or a change of the manifests, as terminal failures should.
   */
  #failedForGood = new Set<string>();
  /** Owned containers and networks by id, as the last pass saw them, to recognise network events. */
  #ownedIds = new Map<string, string>();
  #engineState: Status['engine'] = { reachable: null };
  #streamConnectedBefore = false;
  #status: Status | undefined;
  #writing: Promise<void> | undefined;
  #writeAgain = false;
  #resync: NodeJS.Timeout | undefined;
  #server: StatusServer | undefined;
  #loop: Promise<void> = Promise.resolve();
  #events: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | undefined;
  /** Resources whose sequences the pass in flight still finishes since the stop began: what the stop waits for past its deadline. */
  #finishing: readonly string[] = [];
  #stoppedAt: number | undefined;
  #passInFlight = false;
  /** Keys that came up during the pass in flight; the pass's own changes cause most of them. */
  readonly #duringPass = new Set<string>();
  /** Keys waiting for the burst window to close. */
  readonly #burst = new Set<string>();
  #burstWindow: NodeJS.Timeout | undefined;

  constructor(options: DaemonOptions) {
    this.#engine = options.engine;
    this.#logger = options.logger.child({ instance: options.instance });
    this.#clock = options.clock ?? systemClock;
    this.#instance = options.instance;
    this.#directory = resolve(options.manifestsDirectory);
    this.#statusFile = options.statusFile;
    this.#writer = new StatusWriter({ statusFile: options.statusFile, metricsFile: options.metricsFile, logger: this.#logger, clock: this.#clock });
    this.#listen = options.listen;
    this.#resyncMs = positive('resyncMs', options.resyncMs ?? 30_000);
    this.#allowEmpty = options.allowEmpty ?? false;
    this.#stateDir = options.stateDir;
    this.#retry = options.retry;
    this.#eventsBackoff = options.eventsBackoff;
    this.#eventDelayMs = options.eventDelayMs ?? 100;
    this.#debounceMs = options.debounceMs ?? 200;
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 8000;
    this.#progressIntervalMs = positive('progressIntervalMs', options.progressIntervalMs ?? 2000);
    this.#loadManifests = options.loadManifests ?? loadDesiredState;
    this.#pid = options.pid ?? process.pid;
    this.#queue = new WorkQueue({ clock: this.#clock, backoff: options.backoff });
    this.#crashLoops = new CrashLoopTracker(options.crashLoop);
    this.#removalGrace = new RemovalGrace({ delayMs: options.pruneDelayMs ?? DEFAULT_PRUNE_DELAY_MS });
    this.#probes = new ProbeScheduler({
      ...options.probes,
      engine: this.#engine,
      logger: this.#logger,
      clock: this.#clock,
      instance: this.#instance,
      onRound: () => this.#publish(),
    });
    const watcherOptions: ManifestWatcherOptions = {
      directory: this.#directory,
      logger: this.#logger,
      debounceMs: this.#debounceMs,
      onChange: () => {
        this.#logger.debug('the manifests changed');
        this.#queue.add(ALL);
      },
    };
    this.#watcher = options.watchManifests?.(watcherOptions) ?? new ManifestWatcher(watcherOptions);
  }

  /** Starts every trigger and the loop; the first pass follows at once. */
  async start(): Promise<void> {
    this.#startedAt = this.#clock.now();
    this.#logger.info('starting', { version: VERSION, manifests: this.#directory, status: this.#statusFile, resyncMs: this.#resyncMs });
    if (this.#listen !== undefined) {
      this.#server = await startStatusServer({
        listen: this.#listen,
        logger: this.#logger,
        getStatus: () => this.#status,
        // Ready while passes reach the engine: a hung or stopped engine makes mooring unable to do its job.
        isReady: () => this.#lastPass !== undefined && this.#engineState.reachable === true,
        fileWrites: () => this.#writer.writes,
      });
    }
    this.#queue.add(ALL);
    this.#loop = this.#run();
    await this.#watcher.start();
    this.#events = followEngineEvents({
      engine: this.#engine,
      signal: this.#abort.signal,
      clock: this.#clock,
      ...(this.#eventsBackoff === undefined ? {} : { backoff: this.#eventsBackoff }),
      onConnect: (info) => this.#streamConnected(info),
      onEvent: (event) => this.#onEvent(event),
      onDisconnect: (error, retryInMs) => this.#streamDropped(error, retryInMs),
    });
    this.#resync = setInterval(() => this.#queue.add(ALL), this.#resyncMs);
    this.#probes.start();
  }

  /** SIGHUP: read the manifests again and resync. */
  reload(): void {
    if (this.#stopping) return;
    this.#logger.info('reloading the manifests');
    this.#queue.add(ALL);
  }

  /**
   * Stops taking triggers; the pass in flight finishes the sequences it has
   * begun (a container removed to be recreated is created and started again,
   * however long that takes) and begins no other; waits for a probe round in
   * flight; observes the engine once more, so that the final status says what
   * runs at exit; writes it. Apart from the sequences begun, bounded by
   * `stopTimeoutMs`. Never stops, removes or disconnects anything because it stops.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  /** The status as last built; undefined before the first pass. */
  get status(): Status | undefined {
    return this.#status;
  }

  async #stop(): Promise<void> {
    this.#logger.info('stopping: what has begun is finished, nothing new begins; containers keep running');
    clearInterval(this.#resync);
    clearTimeout(this.#burstWindow);
    this.#abort.abort();
    this.#queue.shutDown();
    const rest = Promise.all([this.#probes.stop(), this.#watcher.close(), this.#events]);
    const deadline = deadlineIn(this.#stopTimeoutMs);
    if (!(await settlesBefore(this.#loop, deadline.reached))) {
      if (this.#finishing.length > 0) {
        this.#logger.warn(
          `still finishing what the pass began for ${this.#finishing.join(', ')}: waiting past the ${this.#stopTimeoutMs} ms deadline, as a resource's sequence is never cut (signal again to exit now)`,
          { finishing: this.#finishing },
        );
        await this.#loop;
      } else {
        this.#logger.warn(`the pass in flight did not finish within ${this.#stopTimeoutMs} ms; stopping anyway`);
      }
    }
    await this.#observeFinal();
    if (!(await settlesBefore(rest, deadline.reached))) this.#logger.warn(`the probes and watchers did not stop within ${this.#stopTimeoutMs} ms; stopping anyway`);
    deadline.clear();
    this.#stoppedAt = this.#clock.now();
    this.#publish();
    await this.#writing;
    await this.#server?.close();
    this.#logger.info('stopped', { passes: this.#passes });
  }

  /**
   * The final status is the truth at exit, not what the engine ran before the
   * last pass changed it: observe and plan once more, with the signal aborted,
   * so nothing is changed and whatever is left to do is listed as skipped.
   */
  async #observeFinal(): Promise<void> {
    if (this.#manifests === undefined) return;
    const heldBack = this.#heldBack();
    const started = this.#clock.now();
    const deadline = deadlineIn(this.#stopTimeoutMs);
    const observing = reconcile({
      engine: this.#engine,
      logger: this.#logger,
      clock: this.#clock,
      instance: this.#instance,
      desired: this.#manifests.desired,
      allowEmpty: this.#allowEmpty,
      stateDir: this.#stateDir,
      holdBack: new Set(heldBack.keys()),
      signal: this.#abort.signal,
    });
    try {
      const result = await Promise.race([
        observing,
        deadline.reached.then(() => Promise.reject(new Error(`the engine did not answer within ${this.#stopTimeoutMs} ms`))),
      ]);
      this.#engineReachable();
      this.#lastPass = { result, endedAt: this.#clock.now(), durationMs: this.#clock.now() - started, heldBack };
    } catch (error) {
      // Unknown, never a guess: the status must not show the last pass's view as what runs now.
      const message = errorMessage(error);
      this.#logger.warn('could not observe the engine for the final status', { error: message });
      this.#engineState = { ...this.#engineState, reachable: false, lastError: message };
    } finally {
      deadline.clear();
    }
  }

  async #run(): Promise<void> {
    for (let keys = await this.#queue.take(); keys !== undefined; keys = await this.#queue.take()) {
      this.#passInFlight = true;
      try {
        await this.#pass(keys);
      } catch (error) {
        // Only a bug lands here: engine and manifest errors are handled inside the pass.
        this.#logger.error('the pass failed unexpectedly', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      } finally {
        this.#passInFlight = false;
        this.#queue.done(keys);
        for (const key of this.#duringPass) if (!this.#failedForGood.has(key)) this.#soon(key);
        this.#duringPass.clear();
      }
    }
  }

  /**
   * For triggers that come in bursts: engine events, and the check after a
   * pass that changed things, which its own events would otherwise each follow
   * with a pass of their own. What comes up during a pass waits for its end;
   * then everything within the window goes into the queue at once, as one pass.
   */
  #soon(key: string): void {
    if (this.#passInFlight) {
      this.#duringPass.add(key);
      return;
    }
    this.#burst.add(key);
    this.#burstWindow ??= setTimeout(() => {
      this.#burstWindow = undefined;
      for (const waiting of this.#burst) this.#queue.add(waiting);
      this.#burst.clear();
    }, this.#eventDelayMs);
  }

  async #pass(keys: string[]): Promise<void> {
    const pass = ++this.#passes;
    const logger = this.#logger.child({ pass });
    const started = this.#clock.now();
    if (keys.includes(ALL) || this.#manifests === undefined) await this.#load(logger);
    const manifests = this.#manifests!;
    let result: ReconcileResult;
    let heldBack: Map<string, HoldBack>;
    try {
      const observed = await observe({
        engine: this.#engine,
        instance: this.#instance,
        fresh: keys.filter((key) => key.startsWith(CONTAINER_KEY)).map((key) => key.slice(CONTAINER_KEY.length)),
      });
      this.#engineReachable();
      this.#learnStops(observed, logger);
      heldBack = this.#heldBack();
      logger.debug('pass', { keys, heldBack: [...heldBack.keys()] });
      result = await reconcile({
        engine: this.#engine,
        logger: this.#logger,
        clock: this.#clock,
        instance: this.#instance,
        desired: manifests.desired,
        allowEmpty: this.#allowEmpty,
        stateDir: this.#stateDir,
        holdBack: new Set([...heldBack].filter(([, hold]) => hold.retryAt > this.#clock.now()).map(([key]) => key)),
        retry: this.#retry,
        pass,
        signal: this.#abort.signal,
        observed,
        removalGrace: this.#removalGrace,
        onPlanned: (planned) => this.#applying(started, planned.actions),
        onStopping: (finishing) => (this.#finishing = finishing),
      });
    } catch (error) {
      this.#errorPasses++;
      this.#engineUnreachable(error);
      const retryInMs = this.#queue.addRateLimited(ALL);
      logger.debug('pass failed: the engine does not answer', { retryInMs });
      this.#publish();
      return;
    } finally {
      this.#applying(undefined);
    }
    this.#queue.forget(ALL);
    this.#recordResult(result, heldBack, logger);
    this.#lastPass = { result, endedAt: this.#clock.now(), durationMs: this.#clock.now() - started, heldBack };
    if (result.errors.length > 0) this.#errorPasses++;
    // What this pass changed is checked by the next one, so the status says Synced only once the engine shows it.
    const applied = new Set(result.outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.action.resource));
    for (const key of applied) this.#duringPass.add(key);
    // A pending removal is due like a requeue-after: the pass then reads the manifests again before it removes anything.
    const removeAt = Math.min(...result.plan.kept.flatMap((kept) => (kept.removeAt === undefined ? [] : [kept.removeAt])));
    if (Number.isFinite(removeAt)) this.#queue.addAfter(ALL, removeAt - this.#clock.now());
    // A crash loop's end is due like a requeue-after; an earlier trigger for the key may have replaced its wake-up.
    for (const [key, hold] of heldBack) if (hold.reason === 'CrashLoopBackOff') this.#queue.addAfter(key, hold.retryAt - this.#clock.now());
    // Things have just settled after changes: probe now rather than up to an interval later.
    if (this.#lastPassChanged && applied.size === 0 && this.#stopping === undefined) void this.#probes.runRound();
    this.#lastPassChanged = applied.size > 0;
    if (applied.size > 0 || result.errors.length > 0) {
      logger.info(result.converged ? 'pass converged' : 'pass done with errors', {
        actions: result.outcomes.length,
        errors: result.errors.length,
        durationMs: this.#lastPass.durationMs,
      });
    }
    this.#publish();
  }

  /** Per-resource backoff: transient failures back off, success ends the backoff. */
  #recordResult(result: ReconcileResult, heldBack: ReadonlyMap<string, HoldBack>, logger: Logger): void {
    this.#ownedIds = new Map([
      ...result.observed.containers.filter((container) => isOwnedBy(container.labels, this.#instance)).map((container) => [container.id, `Container/${container.name}`] as const),
      ...result.observed.networks.filter((network) => isOwnedBy(network.labels, this.#instance)).map((network) => [network.id, `Network/${network.name}`] as const),
    ]);
    const errors = new Map(result.errors.map((error) => [error.resource, error.message]));
    this.#failedForGood = new Set(result.outcomes.filter((outcome) => !outcome.ok && !outcome.skipped && outcome.terminal).map((outcome) => outcome.action.resource));
    // A skipped action waits for what it depends on, whose own retry brings it back; a terminal failure waits for a change.
    const failed = new Set(result.outcomes.filter((outcome) => !outcome.ok && !outcome.skipped && !outcome.terminal).map((outcome) => outcome.action.resource));
    for (const resource of failed) {
      const retryInMs = this.#queue.addRateLimited(resource);
      logger.warn(`${resource} failed; retrying in ${retryInMs} ms`, { resource, failures: this.#queue.failures(resource), error: errors.get(resource) });
    }
    for (const resource of [...this.#resourceErrors.keys()]) {
      if (errors.has(resource) || heldBack.has(resource)) continue;
      this.#resourceErrors.delete(resource);
      this.#queue.forget(resource);
      logger.info(`${resource} recovered`, { resource });
    }
    for (const [resource, message] of errors) this.#resourceErrors.set(resource, message);
  }

  /**
   * While a pass applies changes the status says so, and is written again
   * every `progressIntervalMs` however long the pass takes; `undefined` ends it.
   */
  #applying(startedAt: number | undefined, actions?: readonly Action[]): void {
    clearInterval(this.#progressTimer);
    this.#progressTimer = undefined;
    if (startedAt === undefined || actions === undefined || actions.length === 0) {
      this.#inFlight = undefined;
      return;
    }
    this.#inFlight = { startedAt, actions };
    this.#publish();
    this.#progressTimer = setInterval(() => this.#publish(), this.#progressIntervalMs);
  }

  /** A death the pass sees before its event arrives is still a crash: the tracker learns it from the observation. */
  #learnStops(observed: ObservedState, logger: Logger): void {
    const now = this.#clock.now();
    for (const container of observed.containers) {
      if (container.status === 'running' || container.status === 'restarting' || !isOwnedBy(container.labels, this.#instance)) continue;
      const name = container.labels[LABELS.name] ?? container.name;
      const stop = { ...(container.startedAt === undefined ? {} : { startedAt: container.startedAt }), ...(container.finishedAt === undefined ? {} : { finishedAt: container.finishedAt }) };
      this.#crashed(name, this.#crashLoops.observedStopped(name, now, stop), now, logger);
    }
  }

  #crashed(name: string, loop: CrashLoop | undefined, now: number, logger: Logger): void {
    if (loop && loop.retryAt > now) logger.warn(`container ${name} keeps exiting soon after starting; backing off`, { crashes: loop.crashes, retryInMs: loop.retryAt - now });
  }

  /**
   * Resources to leave alone: those backing off after errors, and crash-looping
   * containers. A looping container restarted after its back-off stays listed
   * (its `retryAt` is past, so the pass does not hold it back) until its run
   * has lasted the crash window: until then it is not healthy.
   */
  #heldBack(): Map<string, HoldBack> {
    const now = this.#clock.now();
    const held = new Map<string, HoldBack>();
    for (const [resource, retryAt] of this.#queue.backingOff()) {
      if (resource === ALL) continue;
      const failures = this.#queue.failures(resource);
      held.set(resource, {
        reason: 'BackOff',
        message: `${count(failures, 'failed pass')} in a row; next try at ${new Date(retryAt).toISOString()}: ${this.#resourceErrors.get(resource) ?? ''}`,
        retryAt,
      });
    }
    for (const [container, loop] of this.#crashLoops.looping(now)) {
      const exited = `it exited ${loop.crashes} times in a row soon after starting`;
      held.set(`${CONTAINER_KEY}${container}`, {
        reason: 'CrashLoopBackOff',
        message: loop.retryAt > now
          ? `back-off ${Math.round((loop.retryAt - loop.lastCrashAt) / 1000)}s restarting container ${container}: ${exited}; next try at ${new Date(loop.retryAt).toISOString()}`
          : `restarted container ${container} after a back-off: ${exited}; it counts as recovered once it has run ${Math.round(this.#crashLoops.minRunMs / 1000)}s`,
        retryAt: loop.provenAt === undefined ? loop.retryAt : Math.max(loop.retryAt, loop.provenAt),
      });
    }
    return held;
  }

  async #load(logger: Logger): Promise<void> {
    const previous = this.#manifests;
    const read = () => this.#loadManifests({ directory: this.#directory, ...(previous === undefined ? {} : { lastGood: previous.lastGood }) });
    // What changed is read again after the debounce until two reads agree: a file being written
    // is not taken half-written, and a file gone may be an editor between moving the old version away and writing the new.
    let loaded = await read();
    for (let reads = 1; reads < MAX_SETTLING_READS && previous !== undefined && fingerprint(loaded) !== fingerprint(previous); reads++) {
      const before = loaded;
      await sleep(this.#debounceMs, this.#abort.signal);
      loaded = await read();
      if (fingerprint(loaded) === fingerprint(before)) break;
    }
    this.#manifests = loaded;
    this.#logManifestErrors(loaded, logger);
    if (previous?.desired.revision === loaded.desired.revision) return;
    logger.info('manifests loaded', {
      revision: loaded.desired.revision.slice(0, 12),
      files: loaded.files.length,
      invalid: loaded.files.filter((file) => file.errors.length > 0).length,
      ...(loaded.directoryExists ? {} : { note: `the directory ${this.#directory} does not exist` }),
    });
    this.#probes.setDesired(loaded.desired);
    const specs = new Map([...loaded.desired.networks, ...loaded.desired.containers].map((document) => [`${document.kind}/${document.name}`, JSON.stringify(document.spec)]));
    // What changed, or is no longer declared, starts afresh: its old failures say nothing about what is asked now,
    // and a backoff must not hold back the removal of what no manifest declares.
    for (const [key, spec] of this.#declaredSpecs) {
      if (specs.get(key) === spec) continue;
      this.#queue.forget(key);
      this.#resourceErrors.delete(key);
      if (key.startsWith(CONTAINER_KEY)) this.#crashLoops.forget(key.slice(CONTAINER_KEY.length));
    }
    this.#declaredSpecs = specs;
  }

  #logManifestErrors(loaded: LoadedManifests, logger: Logger): void {
    const logged = new Map<string, string>();
    for (const [file, errors] of manifestErrors(loaded)) {
      const text = errors.map((error) => error.message).join('\n');
      logged.set(file, text);
      if (this.#loggedErrors.get(file) === text) continue;
      const consequence = loaded.usingLastGood.includes(file)
        ? 'its last good version stays applied'
        : 'nothing it declares is applied, and nothing it declared is pruned';
      logger.warn(`manifest ${file} is invalid; ${consequence}`, { file, errors: errors.map((error) => error.message) });
    }
    for (const file of this.#loggedErrors.keys()) if (!logged.has(file)) logger.info(`manifest ${file} is valid again`, { file });
    this.#loggedErrors = logged;
  }

  #onEvent(event: EngineEvent): void {
    const key = this.#keyFor(event);
    if (key === undefined) return;
    if (event.type === 'container') {
      const name = key.slice(CONTAINER_KEY.length);
      const now = this.#clock.now();
      if (event.action === 'start') this.#crashLoops.started(name, now);
      if (event.action === 'kill') this.#crashLoops.killed(name);
      if (event.action === 'die') this.#crashed(name, this.#crashLoops.died(name, now), now, this.#logger);
    }
    if (!DRIFT_EVENTS[event.type].has(event.action) || this.#failedForGood.has(key)) return;
    this.#logger.debug('engine event', { type: event.type, action: event.action, resource: key });
    this.#soon(key);
  }

  /** The resource an event is about, when mooring owns it; network events name the container when it is one of ours. */
  #keyFor(event: EngineEvent): string | undefined {
    if (event.type === 'container') {
      if (!isOwnedBy(event.labels, this.#instance)) return undefined;
      return `Container/${event.labels[LABELS.name] ?? event.name ?? event.id}`;
    }
    const container = event.containerId === undefined ? undefined : this.#ownedIds.get(event.containerId);
    if (container !== undefined) return container;
    const network = this.#ownedIds.get(event.id);
    if (network !== undefined) return network;
    return this.#manifests?.desired.networks.some((document) => document.name === event.name) ? `Network/${event.name}` : undefined;
  }

  #streamConnected(info: EngineInfo): void {
    const reconnected = this.#streamConnectedBefore;
    this.#streamConnectedBefore = true;
    this.#engineState = { ...this.#engineState, version: info.version };
    // Whatever happened while the stream was down went unseen: resync. The first connection has its pass already.
    if (reconnected || this.#engineState.reachable === false) {
      this.#logger.info('the engine answers again; resyncing', { version: info.version });
      this.#queue.add(ALL);
    }
  }

  #streamDropped(error: Error, retryInMs: number): void {
    if (this.#engineState.reachable) {
      this.#logger.warn('lost the engine event stream; reconnecting', { error: error.message, retryInMs });
      // A pass finds out whether the engine itself is gone, and says so in the status.
      this.#queue.add(ALL);
    } else {
      this.#logger.debug('the engine event stream is still down', { error: error.message, retryInMs });
    }
  }

  #engineReachable(): void {
    if (this.#engineState.reachable === false) this.#logger.info('the engine answers');
    this.#engineState = { reachable: true, ...(this.#engineState.version === undefined ? {} : { version: this.#engineState.version }) };
  }

  #engineUnreachable(error: unknown): void {
    const message = errorMessage(error);
    if (this.#engineState.reachable !== false || this.#engineState.lastError !== message) {
      this.#logger.error('the engine does not answer; retrying with backoff', { error: message });
    }
    this.#engineState = { ...this.#engineState, reachable: false, lastError: message };
  }

  /** Builds the status and writes it (and the metrics); writes never overlap, and the newest status wins. */
  #publish(): void {
    const previous = this.#status;
    this.#status = buildStatus({
      now: this.#clock.now(),
      daemon: {
        version: VERSION,
        instance: this.#instance,
        pid: this.#pid,
        startedAt: new Date(this.#startedAt).toISOString(),
        manifestsDirectory: this.#directory,
        ...(this.#stoppedAt === undefined ? {} : { stoppedAt: new Date(this.#stoppedAt).toISOString() }),
      },
      engine: this.#engineState,
      counters: { reconcileTotal: this.#passes, reconcileErrorsTotal: this.#errorPasses },
      ...(this.#manifests === undefined ? {} : { manifests: this.#manifests }),
      ...(this.#lastPass === undefined ? {} : { lastPass: this.#lastPass }),
      ...(this.#inFlight === undefined ? {} : { inFlight: this.#inFlight }),
      resourceErrors: this.#resourceErrors,
      reachability: this.#probes.snapshot(),
      ...(previous === undefined ? {} : { previous }),
    });
    if (this.#writing) {
      this.#writeAgain = true;
      return;
    }
    this.#writing = this.#flush();
  }

  async #flush(): Promise<void> {
    do {
      this.#writeAgain = false;
      await this.#writer.write(this.#status!);
    } while (this.#writeAgain);
    this.#writing = undefined;
  }
}

/** Reads of a changing directory before a load goes with what it has: a file rewritten without pause must not stall passes. */
const MAX_SETTLING_READS = 5;

/** What a load read: every file's content and the desired state it makes. */
function fingerprint(loaded: LoadedManifests): string {
  return `${loaded.desired.revision}\n${loaded.files.map((file) => `${file.file} ${file.digest} ${file.errors.length}`).join('\n')}`;
}

/** A timer for a deadline; `clear` lets the process exit without waiting for it. */
function deadlineIn(ms: number): { reached: Promise<void>; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  const reached = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return { reached, clear: () => clearTimeout(timer) };
}

/** True once `work` settles, false when `deadline` comes first. */
function settlesBefore(work: Promise<unknown>, deadline: Promise<void>): Promise<boolean> {
  return Promise.race([work.then(() => true, () => true), deadline.then(() => false)]);
}
