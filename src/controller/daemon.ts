/**
 * The daemon's composition root: it builds the controller's parts from one
 * options object, wires them, and starts and stops them in order. Triggers
 * (a manifest change, an engine event about something mooring owns, the
 * resync timer, SIGHUP, the engine coming back) only add keys to the work
 * queue; the loop runs one full, level-triggered pass per turn and decides
 * about retries in one place, so nothing depends on having seen every event.
 */
import { resolve } from 'node:path';
import type { Clock } from '../clock.js';
import { deadlineIn, systemClock } from '../clock.js';
import type { Logger } from '../log.js';
import { createManifestLoader } from '../manifests/desired-state.js';
import { scopedLoader } from '../manifests/node-scope.js';
import { ProbeScheduler } from '../probes/scheduler.js';
import { DEFAULT_PRUNE_DELAY_MS, RemovalGrace } from '../reconcile/removal-grace.js';
import { Pulls } from '../reconcile/pulls.js';
import { Builds } from '../reconcile/builds.js';
import { EffectiveConfigCache } from '../reconcile/effective-configs.js';
import type { StatusServer } from '../status/http.js';
import { startStatusServer } from '../status/http.js';
import type { Status } from '../status/model.js';
import { StatusWriter } from '../status/write.js';
import { VERSION } from '../version.js';
import { positive } from '../positive.js';
import { CrashLoopTracker } from './crash-loop.js';
import { EngineHealth } from './engine-health.js';
import { ALL } from './keys.js';
import type { DaemonOptions } from './options.js';
import { DEFAULT_RESYNC_MS } from './options.js';
import { Loop } from './loop.js';
import { ManifestSource } from './manifest-source.js';
import type { PublisherInput } from './status-publisher.js';
import { StatusPublisher } from './status-publisher.js';
import { followEngineEvents } from './triggers/events.js';
import { startResync } from './triggers/resync.js';
import type { ManifestWatcherOptions } from './triggers/watch.js';
import { ManifestWatcher } from './triggers/watch.js';
import { WorkQueue } from './work-queue.js';

export class Daemon {
  readonly #options: DaemonOptions;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #directory: string;
  readonly #stopTimeoutMs: number;
  readonly #abort = new AbortController();
  readonly #queue: WorkQueue<string>;
  readonly #health: EngineHealth;
  readonly #writer: StatusWriter;
  readonly #publisher: StatusPublisher;
  readonly #probes: ProbeScheduler;
  readonly #manifests: ManifestSource;
  readonly #loop: Loop;
  readonly #watcher: { start(): Promise<void>; close(): Promise<void> };
  #startedAt = 0;
  #stoppedAt: number | undefined;
  #server: StatusServer | undefined;
  #stopResync: (() => void) | undefined;
  #running: Promise<void> = Promise.resolve();
  #events: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | undefined;

  constructor(options: DaemonOptions) {
    this.#options = options;
    const logger = (this.#logger = options.logger.child({ instance: options.instance }));
    const clock = (this.#clock = options.clock ?? systemClock);
    const { engine, instance } = options;
    this.#directory = resolve(options.manifestsDirectory);
    positive('resyncMs', options.resyncMs ?? DEFAULT_RESYNC_MS);
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 8000;
    this.#queue = new WorkQueue({ clock, backoff: options.backoff });
    this.#health = new EngineHealth({ logger, onResync: () => this.#queue.add(ALL) });
    this.#writer = new StatusWriter({ statusFile: options.statusFile, metricsFile: options.metricsFile, logger, clock });
    this.#publisher = new StatusPublisher({
      writer: this.#writer,
      clock,
      progressIntervalMs: positive('progressIntervalMs', options.progressIntervalMs ?? 2000),
      input: () => this.#statusInput(),
    });
    this.#probes = new ProbeScheduler({ ...options.probes, engine, logger, clock, instance, onRound: () => this.#publisher.publish() });
    const debounceMs = options.debounceMs ?? 200;
    const load = options.loadManifests ?? createManifestLoader();
    const { node } = options;
    this.#manifests = new ManifestSource({
      directory: this.#directory,
      clock,
      debounceMs,
      signal: this.#abort.signal,
      load: node === undefined ? load : scopedLoader(load, node),
    });
    this.#loop = new Loop({
      engine,
      logger,
      clock,
      instance,
      queue: this.#queue,
      manifests: this.#manifests,
      health: this.#health,
      publisher: this.#publisher,
      probes: this.#probes,
      crashLoops: new CrashLoopTracker(options.crashLoop),
      removalGrace: new RemovalGrace({ delayMs: options.pruneDelayMs ?? DEFAULT_PRUNE_DELAY_MS }),
      pulls: new Pulls({ engine, clock, logger, intervalMs: options.pullIntervalMs }),
      builds: new Builds({ engine, clock }),
      effectiveCache: new EffectiveConfigCache(),
      allowEmpty: options.allowEmpty ?? false,
      stateDir: options.stateDir,
      retry: options.retry,
      eventDelayMs: options.eventDelayMs ?? 100,
      stopTimeoutMs: this.#stopTimeoutMs,
      signal: this.#abort.signal,
    });
    const watcherOptions: ManifestWatcherOptions = {
      directory: this.#directory,
      logger,
      debounceMs,
      onChange: () => {
        logger.debug('the manifests changed');
        this.#queue.add(ALL);
      },
    };
    this.#watcher = options.watchManifests?.(watcherOptions) ?? new ManifestWatcher(watcherOptions);
  }

  /** Starts every trigger and the loop; the first pass follows at once. */
  async start(): Promise<void> {
    const options = this.#options;
    this.#startedAt = this.#clock.now();
    const resyncMs = options.resyncMs ?? DEFAULT_RESYNC_MS;
    this.#logger.info('starting', { version: VERSION, manifests: this.#directory, status: options.statusFile, resyncMs });
    if (options.listen !== undefined) {
      this.#server = await startStatusServer({
        listen: options.listen,
        logger: this.#logger,
        getStatus: () => this.#publisher.status,
        // Ready while passes reach the engine: a hung or stopped engine makes mooring unable to do its job.
        isReady: () => this.#loop.lastPass !== undefined && this.#health.state.reachable === true,
        fileWrites: () => this.#writer.writes,
      });
    }
    this.#queue.add(ALL);
    this.#running = this.#loop.run();
    await this.#watcher.start();
    this.#events = followEngineEvents({
      engine: options.engine,
      signal: this.#abort.signal,
      clock: this.#clock,
      ...(options.eventsBackoff === undefined ? {} : { backoff: options.eventsBackoff }),
      onConnect: (info) => this.#health.streamConnected(info),
      onEvent: (event) => this.#loop.onEvent(event),
      onDisconnect: (error, retryInMs) => this.#health.streamDropped(error, retryInMs),
    });
    this.#stopResync = startResync({ clock: this.#clock, everyMs: resyncMs, onResync: () => this.#queue.add(ALL) });
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
    return this.#publisher.status;
  }

  async #stop(): Promise<void> {
    this.#logger.info('stopping: what has begun is finished, nothing new begins; containers keep running');
    this.#stopResync?.();
    this.#loop.stop();
    this.#abort.abort();
    this.#queue.shutDown();
    const rest = Promise.all([this.#probes.stop(), this.#watcher.close(), this.#events]);
    const deadline = deadlineIn(this.#clock, this.#stopTimeoutMs);
    if (!(await settlesBefore(this.#running, deadline.reached))) {
      const finishing = this.#loop.finishing;
      if (finishing.length > 0) {
        this.#logger.warn(
          `still finishing what the pass began for ${finishing.join(', ')}: waiting past the ${this.#stopTimeoutMs} ms deadline, as a resource's sequence is never cut (signal again to exit now)`,
          { finishing },
        );
        await this.#running;
      } else {
        this.#logger.warn(`the pass in flight did not finish within ${this.#stopTimeoutMs} ms; stopping anyway`);
      }
    }
    await this.#loop.observeFinal();
    if (!(await settlesBefore(rest, deadline.reached))) this.#logger.warn(`the probes and watchers did not stop within ${this.#stopTimeoutMs} ms; stopping anyway`);
    deadline.clear();
    this.#stoppedAt = this.#clock.now();
    this.#publisher.publish();
    await this.#publisher.written();
    await this.#server?.close();
    this.#logger.info('stopped', { passes: this.#loop.passes });
  }

  #statusInput(): PublisherInput {
    const manifests = this.#manifests.manifests;
    const lastPass = this.#loop.lastPass;
    return {
      daemon: {
        version: VERSION,
        instance: this.#options.instance,
        pid: this.#options.pid ?? process.pid,
        startedAt: new Date(this.#startedAt).toISOString(),
        manifestsDirectory: this.#directory,
        ...(this.#options.node === undefined ? {} : { node: this.#options.node.node }),
        ...(this.#stoppedAt === undefined ? {} : { stoppedAt: new Date(this.#stoppedAt).toISOString() }),
      },
      engine: this.#health.state,
      counters: { reconcileTotal: this.#loop.passes, reconcileErrorsTotal: this.#loop.errorPasses },
      ...(manifests === undefined ? {} : { manifests }),
      ...(lastPass === undefined ? {} : { lastPass }),
      resourceErrors: this.#loop.resourceErrors,
      reachability: this.#probes.snapshot(),
    };
  }
}

/** True once `work` settles, false when `deadline` comes first. */
function settlesBefore(work: Promise<unknown>, deadline: Promise<void>): Promise<boolean> {
  return Promise.race([work.then(() => true, () => true), deadline.then(() => false)]);
}
