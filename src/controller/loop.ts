/**
 * The loop: each turn takes every ready key from the work queue and runs one
 * full, level-triggered pass (observe fresh, plan, apply), then settles the
 * pass's result in one place, by the rules of `retry.ts`. Triggers only add
 * keys; those that come in bursts (engine events, the check after a pass that
 * changed things) wait `eventDelayMs` for the rest of their burst.
 */
import type { Clock, Timer } from '../clock.js';
import { deadlineIn } from '../clock.js';
import type { Engine, EngineEvent, ObservedContainer } from '../engine/port.js';
import { LABELS, isOwnedBy } from '../engine/labels.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { resourceFields } from '../log.js';
import type { ProbeScheduler } from '../probes/scheduler.js';
import type { RetryOptions } from '../reconcile/apply.js';
import { observe } from '../reconcile/observe.js';
import { declaresOverlay } from '../reconcile/overlay.js';
import type { ReconcileResult } from '../reconcile/reconcile.js';
import { reconcile } from '../reconcile/reconcile.js';
import type { RemovalGrace } from '../reconcile/removal-grace.js';
import type { Pulls } from '../reconcile/pulls.js';
import type { Builds } from '../reconcile/builds.js';
import type { EffectiveConfigCache } from '../reconcile/effective-configs.js';
import type { HoldBack, PassRecord } from '../status/build.js';
import type { CrashLoop, CrashLoopTracker } from './crash-loop.js';
import type { EngineHealth } from './engine-health.js';
import { resourcesHeldBack } from './hold-back.js';
import { ALL, containerName } from './keys.js';
import type { ManifestSource } from './manifest-source.js';
import type { PassDecision } from './retry.js';
import { RETRY_RULES, decide } from './retry.js';
import type { StatusPublisher } from './status-publisher.js';
import { eventMeaning } from './triggers/events.js';
import type { WorkQueue } from './work-queue.js';

export interface LoopOptions {
  engine: Engine;
  logger: Logger;
  clock: Clock;
  instance: string;
  queue: WorkQueue<string>;
  manifests: ManifestSource;
  health: EngineHealth;
  publisher: StatusPublisher;
  probes: ProbeScheduler;
  crashLoops: CrashLoopTracker;
  removalGrace: RemovalGrace;
  pulls: Pulls;
  builds: Builds;
  effectiveCache: EffectiveConfigCache;
  allowEmpty: boolean;
  stateDir: string | undefined;
  retry: RetryOptions | undefined;
  eventDelayMs: number;
  stopTimeoutMs: number;
  /** Aborts once mooring stops: the pass in flight begins nothing new. */
  signal: AbortSignal;
}

export class Loop {
  readonly #o: LoopOptions;
  #passes = 0;
  #errorPasses = 0;
  #lastPass: PassRecord | undefined;
  #lastPassChanged = false;
  /** The last error of each resource that has not succeeded since. */
  readonly #resourceErrors = new Map<string, string>();
  /** Resources whose engine events call for no pass until a change (see `RETRY_RULES`). */
  #ignoring = new Set<string>();
  /** Owned containers and networks by id, as the last pass saw them, to recognise network events. */
  #ownedIds = new Map<string, string>();
  /** Resources whose sequences the pass in flight still finishes since the stop began. */
  #finishing: readonly string[] = [];
  #passInFlight = false;
  /** Keys that came up during the pass in flight; the pass's own changes cause most of them. */
  readonly #duringPass = new Set<string>();
  /** Keys waiting for the burst window to close. */
  readonly #burst = new Set<string>();
  #burstWindow: Timer | undefined;

  constructor(options: LoopOptions) {
    this.#o = options;
  }

  get passes(): number {
    return this.#passes;
  }

  get errorPasses(): number {
    return this.#errorPasses;
  }

  get lastPass(): PassRecord | undefined {
    return this.#lastPass;
  }

  get resourceErrors(): ReadonlyMap<string, string> {
    return this.#resourceErrors;
  }

  /** What the pass in flight still finishes since the stop began: what a stop waits for past its deadline. */
  get finishing(): readonly string[] {
    return this.#finishing;
  }

  /** Takes keys and runs passes until the queue shuts down. */
  async run(): Promise<void> {
    const queue = this.#o.queue;
    for (let keys = await queue.take(); keys !== undefined; keys = await queue.take()) {
      this.#passInFlight = true;
      try {
        await this.#pass(keys);
      } catch (error) {
        // Only a bug lands here: engine and manifest errors are handled inside the pass.
        this.#o.logger.error('the pass failed unexpectedly', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      } finally {
        this.#passInFlight = false;
        queue.done(keys);
        for (const key of this.#duringPass) if (!this.#ignoring.has(key)) this.soon(key);
        this.#duringPass.clear();
      }
    }
  }

  /** Ends the burst window; what waits in it is dropped, as the queue is shut down. */
  stop(): void {
    this.#o.clock.clearTimer(this.#burstWindow);
  }

  /**
   * For triggers that come in bursts: engine events, and the check after a
   * pass that changed things, which its own events would otherwise each follow
   * with a pass of their own. What comes up during a pass waits for its end;
   * then everything within the window goes into the queue at once, as one pass.
   */
  soon(key: string): void {
    if (this.#passInFlight) {
      this.#duringPass.add(key);
      return;
    }
    this.#burst.add(key);
    this.#burstWindow ??= this.#o.clock.setTimeout(() => {
      this.#burstWindow = undefined;
      for (const waiting of this.#burst) this.#o.queue.add(waiting);
      this.#burst.clear();
    }, this.#o.eventDelayMs);
  }

  /** An engine event: the crash-loop tracker learns from it, and drift of what mooring owns calls for a pass. */
  onEvent(event: EngineEvent): void {
    const meaning = eventMeaning(event, {
      instance: this.#o.instance,
      ownedIds: this.#ownedIds,
      declaresNetwork: (name) => this.#o.manifests.manifests?.desired.networks.some((document) => document.name === name) ?? false,
    });
    if (meaning === undefined) return;
    const name = containerName(meaning.key);
    if (name !== undefined && meaning.run !== undefined) {
      const now = this.#o.clock.now();
      const crashLoops = this.#o.crashLoops;
      if (meaning.run === 'started') crashLoops.started(name, now);
      if (meaning.run === 'killed') crashLoops.killed(name);
      if (meaning.run === 'died') this.#crashed(name, crashLoops.died(name, now), now, this.#o.logger);
    }
    if (!meaning.drift || this.#ignoring.has(meaning.key)) return;
    this.#o.logger.debug('engine event', { change: event.change, ...resourceFields(meaning.key) });
    this.soon(meaning.key);
  }

  async #pass(keys: string[]): Promise<void> {
    const { engine, clock, instance, publisher } = this.#o;
    const pass = ++this.#passes;
    const logger = this.#o.logger.child({ pass });
    const started = clock.now();
    if (keys.includes(ALL) || this.#o.manifests.manifests === undefined) await this.#load(logger);
    const manifests = this.#o.manifests.manifests!;
    let result: ReconcileResult;
    let heldBack: Map<string, HoldBack>;
    try {
      const fresh = keys.flatMap((key) => containerName(key) ?? []);
      const observed = await observe({ engine, instance, fresh, swarm: declaresOverlay(manifests.desired) });
      this.#o.health.reachable();
      this.#learnStops(observed.containers, logger);
      heldBack = this.#heldBack();
      logger.debug('pass', { keys, heldBack: [...heldBack.keys()] });
      result = await reconcile({
        engine,
        logger: this.#o.logger,
        clock,
        instance,
        desired: manifests.desired,
        allowEmpty: this.#o.allowEmpty,
        stateDir: this.#o.stateDir,
        holdBack: new Set([...heldBack].filter(([, hold]) => hold.retryAt > clock.now()).map(([key]) => key)),
        retry: this.#o.retry,
        pass,
        signal: this.#o.signal,
        observed,
        removalGrace: this.#o.removalGrace,
        pulls: this.#o.pulls,
        builds: this.#o.builds,
        effectiveCache: this.#o.effectiveCache,
        onPlanned: (planned) => publisher.applying(started, planned.actions),
        onStopping: (finishing) => (this.#finishing = finishing),
      });
    } catch (error) {
      this.#errorPasses++;
      this.#o.health.unreachable(error);
      this.#settle({ key: ALL, outcome: 'failed-transient' }, logger);
      publisher.publish();
      return;
    } finally {
      publisher.applied();
    }
    this.#record(result, heldBack, logger);
    this.#lastPass = { result, endedAt: clock.now(), durationMs: clock.now() - started, heldBack };
    if (result.errors.length > 0) this.#errorPasses++;
    // What this pass changed is checked by the next one, so the status says Synced only once the engine shows it.
    const applied = new Set(result.outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.action.resource));
    for (const key of applied) this.#duringPass.add(key);
    // Things have just settled after changes: probe now rather than up to an interval later.
    if (this.#lastPassChanged && applied.size === 0 && !this.#o.signal.aborted) void this.#o.probes.runRound();
    this.#lastPassChanged = applied.size > 0;
    if (applied.size > 0 || result.errors.length > 0) {
      logger.info(result.converged ? 'pass converged' : 'pass done with errors', {
        actions: result.outcomes.length,
        errors: result.errors.length,
        durationMs: this.#lastPass.durationMs,
      });
    }
    publisher.publish();
  }

  #record(result: ReconcileResult, heldBack: ReadonlyMap<string, HoldBack>, logger: Logger): void {
    this.#ownedIds = new Map([
      ...result.observed.containers.filter((container) => isOwnedBy(container.labels, this.#o.instance)).map((container) => [container.id, `Container/${container.name}`] as const),
      ...result.observed.networks.filter((network) => isOwnedBy(network.labels, this.#o.instance)).map((network) => [network.id, `Network/${network.name}`] as const),
    ]);
    this.#ignoring = new Set();
    for (const decision of decide(result, heldBack, this.#resourceErrors.keys())) this.#settle(decision, logger);
    for (const error of result.errors) this.#resourceErrors.set(error.resource, error.message);
  }

  /** The one place a pass's result becomes what happens next: see `RETRY_RULES`. */
  #settle(decision: PassDecision, logger: Logger): void {
    const { key } = decision;
    const rule = RETRY_RULES[decision.outcome];
    if (rule.events === 'ignore') this.#ignoring.add(key);
    switch (rule.requeue) {
      case 'forget':
        this.#o.queue.forget(key);
        if (this.#resourceErrors.delete(key)) logger.info(`${key} recovered`, resourceFields(key));
        return;
      case 'rate-limited': {
        const retryInMs = this.#o.queue.addRateLimited(key);
        // The failure itself is logged where it happened (apply, or the engine's health): here only what follows.
        if (key === ALL) logger.debug('pass failed: the engine does not answer', { retryInMs });
        else logger.warn(`${key} failed; retrying in ${retryInMs} ms`, { ...resourceFields(key), failures: this.#o.queue.failures(key) });
        return;
      }
      case 'after':
        this.#o.queue.addAfter(key, (decision.at ?? 0) - this.#o.clock.now());
        return;
      case 'none':
        return;
    }
  }

  async #load(logger: Logger): Promise<void> {
    const { loaded, revised, changed } = await this.#o.manifests.load(logger);
    if (!revised) return;
    this.#o.probes.setDesired(loaded.desired);
    // What changed, or is no longer declared, starts afresh: its old failures say nothing about what is asked now,
    // and a backoff must not hold back the removal of what no manifest declares.
    for (const key of changed) {
      this.#o.queue.forget(key);
      this.#resourceErrors.delete(key);
      const name = containerName(key);
      if (name !== undefined) this.#o.crashLoops.forget(name);
    }
  }

  /** A death the pass sees before its event arrives is still a crash: the tracker learns it from the observation. */
  #learnStops(containers: readonly ObservedContainer[], logger: Logger): void {
    const now = this.#o.clock.now();
    for (const container of containers) {
      if (container.status === 'running' || container.status === 'restarting' || !isOwnedBy(container.labels, this.#o.instance)) continue;
      const name = container.labels[LABELS.name] ?? container.name;
      const stop = { ...(container.startedAt === undefined ? {} : { startedAt: container.startedAt }), ...(container.finishedAt === undefined ? {} : { finishedAt: container.finishedAt }) };
      this.#crashed(name, this.#o.crashLoops.observedStopped(name, now, stop), now, logger);
    }
  }

  #crashed(name: string, loop: CrashLoop | undefined, now: number, logger: Logger): void {
    if (loop && loop.retryAt > now) logger.warn(`container ${name} keeps exiting soon after starting; backing off`, { kind: 'Container', name, crashes: loop.crashes, retryInMs: loop.retryAt - now });
  }

  #heldBack(): Map<string, HoldBack> {
    return resourcesHeldBack({ queue: this.#o.queue, crashLoops: this.#o.crashLoops, resourceErrors: this.#resourceErrors, now: this.#o.clock.now() });
  }

  /**
   * The final status is the truth at exit, not what the engine ran before the
   * last pass changed it: observe and plan once more, with the signal aborted,
   * so nothing is changed and whatever is left to do is listed as skipped.
   */
  async observeFinal(): Promise<void> {
    const { clock, stopTimeoutMs } = this.#o;
    const manifests = this.#o.manifests.manifests;
    if (manifests === undefined) return;
    const heldBack = this.#heldBack();
    const started = clock.now();
    const deadline = deadlineIn(clock, stopTimeoutMs);
    const observing = reconcile({
      engine: this.#o.engine,
      logger: this.#o.logger,
      clock,
      instance: this.#o.instance,
      desired: manifests.desired,
      allowEmpty: this.#o.allowEmpty,
      stateDir: this.#o.stateDir,
      holdBack: new Set(heldBack.keys()),
      signal: this.#o.signal,
      effectiveCache: this.#o.effectiveCache,
    });
    try {
      const result = await Promise.race([
        observing,
        deadline.reached.then(() => Promise.reject(new Error(`the engine did not answer within ${stopTimeoutMs} ms`))),
      ]);
      this.#o.health.reachable();
      this.#lastPass = { result, endedAt: clock.now(), durationMs: clock.now() - started, heldBack };
    } catch (error) {
      // Unknown, never a guess: the status must not show the last pass's view as what runs now.
      this.#o.logger.warn('could not observe the engine for the final status', { error: errorMessage(error) });
      this.#o.health.unreachable(error, { quiet: true });
    } finally {
      deadline.clear();
    }
  }
}
