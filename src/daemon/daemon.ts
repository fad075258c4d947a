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
import { systemClock } from '../clock.js';
import type { Engine, EngineEvent, EngineInfo } from '../engine/port.js';
import { LABELS, isOwnedBy } from '../engine/labels.js';
import type { Logger } from '../log.js';
import type { LoadedManifests } from '../manifests/desired-state.js';
import { loadDesiredState } from '../manifests/desired-state.js';
import type { ProbeSchedulerOptions } from '../probes/scheduler.js';
import { ProbeScheduler } from '../probes/scheduler.js';
import type { RetryOptions } from '../reconcile/apply.js';
import type { ReconcileResult } from '../reconcile/reconcile.js';
import { reconcile } from '../reconcile/reconcile.js';
import type { HoldBack, PassRecord } from '../status/build.js';
import { buildStatus, manifestErrors } from '../status/build.js';
import type { StatusServer } from '../status/http.js';
import { startStatusServer } from '../status/http.js';
import { writeMetricsFile } from '../status/metrics.js';
import type { Status } from '../status/model.js';
import { writeFileAtomic } from '../status/write.js';
import { VERSION } from '../version.js';
import type { BackoffOptions } from './backoff.js';
import type { CrashLoopOptions } from './crash-loop.js';
import { CrashLoopTracker } from './crash-loop.js';
import { followEngineEvents } from './events.js';
import type { ManifestWatcherOptions } from './watch.js';
import { ManifestWatcher } from './watch.js';
import { WorkQueue } from './work-queue.js';

/** The key that asks for the manifests to be read again and a full pass. */
export const ALL = '*';

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
  readonly #metricsFile: string | undefined;
  readonly #listen: string | undefined;
  readonly #resyncMs: number;
  readonly #allowEmpty: boolean;
  readonly #retry: RetryOptions | undefined;
  readonly #eventsBackoff: BackoffOptions | undefined;
  readonly #eventDelayMs: number;
  readonly #debounceMs: number;
  readonly #stopTimeoutMs: number;
  readonly #loadManifests: typeof loadDesiredState;
  readonly #pid: number;
  readonly #queue: WorkQueue<string>;
  readonly #crashLoops: CrashLoopTracker;
  readonly #probes: ProbeScheduler;
  readonly #watcher: { start(): Promise<void>; close(): Promise<void> };
  readonly #abort = new AbortController();

  #startedAt = 0;
  #passes = 0;
  #errorPasses = 0;
  #manifests: LoadedManifests | undefined;
  /** Each file's errors as last logged, so that a file's errors are logged once per change. */
  #loggedErrors = new Map<string, string>();
  /** Each container's spec as last loaded: a changed spec ends its crash loop. */
  #containerSpecs = new Map<string, string>();
  #lastPass: PassRecord | undefined;
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
  #engineState: Status['engine'] = { reachable: false, lastError: 'not contacted yet' };
  #engineContacted = false;
  #streamConnectedBefore = false;
  #status: Status | undefined;
  #writing: Promise<void> | undefined;
  #writeAgain = false;
  #resync: NodeJS.Timeout | undefined;
  #server: StatusServer | undefined;
  #loop: Promise<void> = Promise.resolve();
  #events: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | undefined;
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
    this.#metricsFile = options.metricsFile;
    this.#listen = options.listen;
    this.#resyncMs = positive('resyncMs', options.resyncMs ?? 30_000);
    this.#allowEmpty = options.allowEmpty ?? false;
    this.#retry = options.retry;
    this.#eventsBackoff = options.eventsBackoff;
    this.#eventDelayMs = options.eventDelayMs ?? 100;
    this.#debounceMs = options.debounceMs ?? 200;
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 8000;
    this.#loadManifests = options.loadManifests ?? loadDesiredState;
    this.#pid = options.pid ?? process.pid;
    this.#queue = new WorkQueue({ clock: this.#clock, backoff: options.backoff });
    this.#crashLoops = new CrashLoopTracker(options.crashLoop);
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
        isReady: () => this.#lastPass !== undefined && this.#engineState.reachable,
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
   * Stops taking triggers, lets the pass in flight finish the actions it has
   * started (it starts no more), waits for a probe round in flight, writes the
   * final status. Bounded by `stopTimeoutMs`. Never touches a container.
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
    this.#logger.info('stopping: finishing the actions in flight; containers keep running');
    clearInterval(this.#resync);
    clearTimeout(this.#burstWindow);
    this.#abort.abort();
    this.#queue.shutDown();
    const settled = Promise.all([this.#loop, this.#probes.stop(), this.#watcher.close(), this.#events]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      settled.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.#stopTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) this.#logger.warn(`what was in flight did not finish within ${this.#stopTimeoutMs} ms; stopping anyway`);
    this.#stoppedAt = this.#clock.now();
    this.#publish();
    await this.#writing;
    await this.#server?.close();
    this.#logger.info('stopped', { passes: this.#passes });
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
    const heldBack = this.#heldBack();
    logger.debug('pass', { keys, heldBack: [...heldBack.keys()] });
    let result: ReconcileResult;
    try {
      result = await reconcile({
        engine: this.#engine,
        logger: this.#logger,
        clock: this.#clock,
        instance: this.#instance,
        desired: manifests.desired,
        allowEmpty: this.#allowEmpty,
        holdBack: new Set(heldBack.keys()),
        retry: this.#retry,
        pass,
        signal: this.#abort.signal,
      });
    } catch (error) {
      this.#errorPasses++;
      this.#engineUnreachable(error);
      const retryInMs = this.#queue.addRateLimited(ALL);
      logger.debug('pass failed: the engine does not answer', { retryInMs });
      this.#publish();
      return;
    }
    this.#engineReachable();
    this.#queue.forget(ALL);
    this.#recordResult(result, heldBack, logger);
    this.#lastPass = { result, endedAt: this.#clock.now(), durationMs: this.#clock.now() - started, heldBack };
    if (result.errors.length > 0) this.#errorPasses++;
    // What this pass changed is checked by the next one, so the status says Synced only once the engine shows it.
    const applied = new Set(result.outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.action.resource));
    for (const key of applied) this.#duringPass.add(key);
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

  /** Resources to leave alone this pass: those backing off after errors, and crash-looping containers. */
  #heldBack(): Map<string, HoldBack> {
    const now = this.#clock.now();
    const held = new Map<string, HoldBack>();
    for (const [resource, retryAt] of this.#queue.backingOff()) {
      if (resource === ALL) continue;
      const failures = this.#queue.failures(resource);
      held.set(resource, {
        reason: 'BackOff',
        message: `${failures} failed pass${failures === 1 ? '' : 'es'} in a row; next try at ${new Date(retryAt).toISOString()}: ${this.#resourceErrors.get(resource) ?? ''}`,
        retryAt,
      });
    }
    for (const [container, loop] of this.#crashLoops.heldBack(now)) {
      held.set(`Container/${container}`, {
        reason: 'CrashLoopBackOff',
        message: `back-off ${Math.round((loop.retryAt - loop.lastCrashAt) / 1000)}s restarting container ${container}: it exited ${loop.crashes} times in a row soon after starting; next try at ${new Date(loop.retryAt).toISOString()}`,
        retryAt: loop.retryAt,
      });
    }
    return held;
  }

  async #load(logger: Logger): Promise<void> {
    const previous = this.#manifests;
    const read = () => this.#loadManifests({ directory: this.#directory, ...(previous === undefined ? {} : { lastGood: previous.lastGood }) });
    let loaded = await read();
    // A file gone may be an editor between moving the old version away and writing the new: look again before pruning.
    const gone = previous?.files.filter((file) => !loaded.files.some((current) => current.file === file.file)) ?? [];
    if (gone.length > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.#debounceMs));
      loaded = await read();
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
    const specs = new Map(loaded.desired.containers.map((document) => [document.name, JSON.stringify(document.spec)]));
    for (const [name, spec] of this.#containerSpecs) if (specs.get(name) !== spec) this.#crashLoops.forget(name);
    this.#containerSpecs = specs;
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
      const name = key.slice('Container/'.length);
      const now = this.#clock.now();
      if (event.action === 'start') this.#crashLoops.started(name, now);
      if (event.action === 'kill') this.#crashLoops.killed(name);
      const loop = event.action === 'die' ? this.#crashLoops.died(name, now) : undefined;
      if (loop && loop.retryAt > now) {
        this.#logger.warn(`container ${name} keeps exiting soon after starting; backing off`, { crashes: loop.crashes, retryInMs: loop.retryAt - now });
      }
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
    if (reconnected || (this.#engineContacted && !this.#engineState.reachable)) {
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
    if (!this.#engineState.reachable && this.#engineContacted) this.#logger.info('the engine answers');
    this.#engineContacted = true;
    this.#engineState = { reachable: true, ...(this.#engineState.version === undefined ? {} : { version: this.#engineState.version }) };
  }

  #engineUnreachable(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (this.#engineState.reachable || !this.#engineContacted || this.#engineState.lastError !== message) {
      this.#logger.error('the engine does not answer; retrying with backoff', { error: message });
    }
    this.#engineContacted = true;
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
      const status = this.#status!;
      try {
        await writeFileAtomic(this.#statusFile, `${JSON.stringify(status, null, 2)}\n`);
        if (this.#metricsFile !== undefined) await writeMetricsFile(this.#metricsFile, status);
      } catch (error) {
        this.#logger.error('writing the status failed', { file: this.#statusFile, error: error instanceof Error ? error.message : String(error) });
      }
    } while (this.#writeAgain);
    this.#writing = undefined;
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`Expected \`${name}\` to be a finite number > 0, got ${value}`);
  return value;
}
