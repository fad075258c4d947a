/**
 * Reachability rounds: every interval, each due check runs from its source,
 * one prober per source container doing all of that source's checks at once,
 * a bounded number of sources at a time, each source's start jittered.
 */
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { eachLimited } from '../each-limited.js';
import type { Engine, ObservedContainer } from '../engine/port.js';
import type { Logger } from '../log.js';
import type { DesiredState } from '../manifests/model.js';
import type { ProbeReason, ProbeResult, ReachabilityStatus, ReachabilitySummary } from '../status/model.js';
import type { Check } from './checks.js';
import { HOST, checksFor } from './checks.js';
import type { HealthState } from './health.js';
import { DEFAULT_THRESHOLDS, INITIAL_HEALTH, nextHealth, outcomeOf } from './health.js';
import type { ProberCheck, ProberResult } from './prober.js';
import type { ProbeMethodOption, ProberRun, ProberRunner } from './prober-runner.js';
import { createProberRunner } from './prober-runner.js';

export interface ProbeSchedulerOptions {
  engine: Engine;
  logger: Logger;
  /** @default systemClock */
  clock?: Clock;
  /** This mooring instance, for the logs. */
  instance: string;
  /** Time between rounds; a Probe's own `interval` overrides it for its checks. @default 10000 */
  intervalMs?: number;
  /** Per check, resolution and connection together; a Probe's own `timeout` overrides it. @default 1000 */
  timeoutMs?: number;
  /** @default 'auto' */
  method?: ProbeMethodOption;
  /** Image with node for the probe-container method. @default mooring's own image, when mooring runs in a container */
  probeImage?: string;
  /** Sources probed at once. @default 8 */
  concurrency?: number;
  /** Each source's start in a timed round is delayed by a random time below this. Not applied by `runRound()`. @default min(1000, intervalMs / 10) */
  jitterMs?: number;
  /** Called after every round, e.g. to write the status. */
  onRound?: () => void;
  /** Runs the prober. @default per `method`: probe threads, nsenter or a probe container; in-process for the host */
  runner?: ProberRunner;
}

/** What the scheduler keeps per check between rounds. */
interface Entry {
  check: Check;
  health: HealthState;
  lastProbe?: ProbeResult;
  /** The host port the engine bound, for publishes with an ephemeral one. */
  boundPort?: number;
  nextDueAt: number;
}

/** Checks due within this much of a tick run in that tick rather than a moment later in their own. */
const DUE_SLACK_MS = 100;

/**
 * Keeps every check's health up to date. Health follows Kubernetes probes
 * (failureThreshold 3, successThreshold 1); results that say nothing about the
 * network (SourceNotRunning, ProbeError, NotProbed) make a check Unknown
 * without counting towards a threshold. Rounds never overlap.
 */
export class ProbeScheduler {
  readonly #engine: Engine;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #concurrency: number;
  readonly #jitterMs: number;
  readonly #onRound: (() => void) | undefined;
  readonly #runner: ProberRunner;
  #entries = new Map<string, Entry>();
  /** The last prober failure per source, so that a failure repeating every round is logged once. */
  readonly #failures = new Map<string, string>();
  #current: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  #round = 0;

  constructor(options: ProbeSchedulerOptions) {
    this.#intervalMs = positive('intervalMs', options.intervalMs ?? 10_000);
    this.#timeoutMs = positive('timeoutMs', options.timeoutMs ?? 1000);
    this.#concurrency = options.concurrency ?? 8;
    if (!Number.isInteger(this.#concurrency) || this.#concurrency < 1) {
      throw new TypeError(`Expected \`concurrency\` to be an integer >= 1, got ${this.#concurrency}`);
    }
    this.#jitterMs = options.jitterMs ?? Math.min(1000, this.#intervalMs / 10);
    if (!Number.isFinite(this.#jitterMs) || this.#jitterMs < 0) throw new TypeError(`Expected \`jitterMs\` to be a finite number >= 0, got ${this.#jitterMs}`);
    this.#engine = options.engine;
    this.#logger = options.logger.child({ kind: 'Probe', instance: options.instance });
    this.#clock = options.clock ?? systemClock;
    this.#onRound = options.onRound;
    this.#runner =
      options.runner ??
      createProberRunner({ engine: options.engine, logger: this.#logger, method: options.method ?? 'auto', probeImage: options.probeImage });
  }

  /** Derives the checks; a check whose definition is unchanged keeps its state, a new one is due at once. */
  setDesired(desired: DesiredState): void {
    const now = this.#clock.now();
    const entries = new Map<string, Entry>();
    for (const check of checksFor(desired)) {
      const previous = this.#entries.get(check.name);
      if (previous && definition(previous.check) === definition(check)) {
        previous.check = check;
        entries.set(check.name, previous);
      } else {
        entries.set(check.name, { check, health: INITIAL_HEALTH, nextDueAt: now });
      }
    }
    this.#entries = entries;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#scheduleNext();
    }
  }

  /** Runs due checks from now on: at once for new ones, then every interval. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#scheduleNext();
  }

  /** Stops the timer and waits for a round in flight. */
  async stop(): Promise<void> {
    this.#started = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#current;
  }

  /** One round of every check, now, without jitter; waits for a round in flight first. */
  async runRound(): Promise<void> {
    await this.#exclusive(() => this.#runChecks([...this.#entries.values()], 0));
    this.#onRound?.();
  }

  /** Every check's state, sorted by name. */
  snapshot(): ReachabilityStatus[] {
    return [...this.#entries.values()].map(({ check, health, lastProbe, boundPort }) => ({
      name: check.name,
      kind: check.kind,
      from: check.from,
      to: check.to,
      port: boundPort ?? check.port,
      protocol: check.protocol,
      expect: check.expect,
      ...health,
      ...(lastProbe === undefined ? {} : { lastProbe }),
    }));
  }

  #scheduleNext(): void {
    if (!this.#started || this.#timer !== undefined) return;
    const nextDueAt = Math.min(...[...this.#entries.values()].map((entry) => entry.nextDueAt));
    const delay = Number.isFinite(nextDueAt) ? Math.max(0, nextDueAt - this.#clock.now()) : this.#intervalMs;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#tick();
    }, delay);
  }

  async #tick(): Promise<void> {
    const horizon = this.#clock.now() + DUE_SLACK_MS;
    const due = [...this.#entries.values()].filter((entry) => entry.nextDueAt <= horizon);
    await this.#exclusive(() => this.#runChecks(due, this.#jitterMs));
    if (due.length > 0) this.#onRound?.();
    this.#scheduleNext();
  }

  #exclusive(work: () => Promise<void>): Promise<void> {
    const run = this.#current.then(work);
    this.#current = run.catch(() => undefined);
    return run;
  }

  async #runChecks(entries: Entry[], jitterMs: number): Promise<void> {
    if (entries.length === 0) return;
    const round = ++this.#round;
    const startedAt = this.#clock.now();
    const bySource = new Map<string, Entry[]>();
    for (const entry of entries) bySource.set(entry.check.from, [...(bySource.get(entry.check.from) ?? []), entry]);
    // Each source gets a start offset within the window, taken in order: the window delays a round by at most its length.
    const starts = [...bySource].map(([source, group]) => ({ source, group, offset: Math.random() * jitterMs })).sort((a, b) => a.offset - b.offset);
    await eachLimited(starts, this.#concurrency, async ({ source, group, offset }) => {
      const wait = startedAt + offset - this.#clock.now();
      if (wait > 0) await sleep(wait);
      const at = new Date(this.#clock.now()).toISOString();
      const results = await this.#probeSource(source, group);
      for (const entry of group) this.#record(entry, results.get(entry) ?? notRun('ProbeError', 'the prober returned no result for this check'), at);
    });
    for (const entry of entries) entry.nextDueAt = startedAt + (entry.check.intervalMs ?? this.#intervalMs);
    this.#logger.debug('probe round done', { pass: round, checks: entries.length, sources: bySource.size, durationMs: this.#clock.now() - startedAt });
  }

  /** Results of one source's checks; never rejects: whatever fails outside the network is a ProbeError. */
  async #probeSource(source: string, group: Entry[]): Promise<Map<Entry, Omit<ProbeResult, 'at'>>> {
    const results = new Map<Entry, Omit<ProbeResult, 'at'>>();
    const runnable: Entry[] = [];
    for (const entry of group) {
      if (entry.check.notProbed !== undefined) results.set(entry, notRun('NotProbed', entry.check.notProbed));
      else runnable.push(entry);
    }
    if (runnable.length === 0) return results;
    const setAll = (result: Omit<ProbeResult, 'at'>) => runnable.forEach((entry) => results.set(entry, result));
    if (source === HOST) {
      const checks = await this.#hostChecks(runnable, results);
      if (checks.length > 0) this.#collect(source, runnable, await this.#runner.run({ checks }), results);
      return results;
    }
    try {
      const container = await this.#engine.inspectContainer(source);
      if (container === undefined || container.status !== 'running') {
        setAll(notRun('SourceNotRunning', `container ${source} is ${container?.status ?? 'missing'}`));
        return results;
      }
      const checks = runnable.map((entry) => this.#proberCheck(entry, entry.check.port));
      this.#collect(source, runnable, await this.#runner.run({ source: { id: container.id, name: source, pid: container.pid ?? 0 }, checks }), results);
    } catch (error) {
      const message = `inspecting container ${source}: ${errorMessage(error)}`;
      this.#noteFailure(source, message);
      setAll(notRun('ProbeError', message));
    }
    return results;
  }

  /**
   * The host's checks, with ephemeral host ports looked up now. A publish whose
   * container has no port bound (not running, or gone) fails as refused: that
   * is what a client of the host sees.
   */
  async #hostChecks(entries: Entry[], results: Map<Entry, Omit<ProbeResult, 'at'>>): Promise<ProberCheck[]> {
    const checks: ProberCheck[] = [];
    for (const entry of entries) {
      const { target } = entry.check;
      if (target.type === 'address') {
        checks.push(this.#proberCheck(entry, target.port));
        continue;
      }
      let container: ObservedContainer | undefined;
      try {
        container = await this.#engine.inspectContainer(target.container);
      } catch (error) {
        results.set(entry, { ...notRun('ProbeError', `looking up the host port: ${errorMessage(error)}`), method: 'host' });
        continue;
      }
      const binding = container?.portBindings.find((candidate) => candidate.containerPort === target.containerPort && candidate.protocol === entry.check.protocol && candidate.hostPort);
      if (binding?.hostPort === undefined) {
        delete entry.boundPort;
        results.set(entry, {
          ...notRun('ConnectionRefused', `the engine reports no host port bound to ${target.container} ${target.containerPort}/${entry.check.protocol} (container ${container?.status ?? 'missing'})`),
          method: 'host',
        });
        continue;
      }
      entry.boundPort = binding.hostPort;
      checks.push(this.#proberCheck(entry, binding.hostPort));
    }
    return checks;
  }

  #proberCheck(entry: Entry, port: number): ProberCheck {
    return { id: entry.check.name, host: entry.check.target.host, port, timeoutMs: entry.check.timeoutMs ?? this.#timeoutMs };
  }

  #collect(source: string, entries: Entry[], run: ProberRun, results: Map<Entry, Omit<ProbeResult, 'at'>>): void {
    if ('error' in run) {
      const message = `prober failed (${run.method}): ${run.error}`;
      this.#noteFailure(source, message);
      for (const entry of entries) if (!results.has(entry)) results.set(entry, { ...notRun('ProbeError', message), method: run.method });
      return;
    }
    if (this.#failures.delete(source)) this.#logger.info('prober works again', { source, method: run.method });
    const byId = new Map<string, ProberResult>(run.results.map((result) => [result.id, result]));
    for (const entry of entries) {
      const result = byId.get(entry.check.name);
      if (result === undefined || results.has(entry)) continue;
      results.set(entry, {
        success: false,
        durationMs: result.durationMs,
        resolvedAddresses: result.resolvedAddresses,
        reason: result.reason,
        message: result.message,
        method: run.method,
      });
    }
  }

  #noteFailure(source: string, message: string): void {
    if (this.#failures.get(source) === message) return;
    this.#failures.set(source, message);
    this.#logger.warn('cannot probe; its checks are Unknown', { source, error: message });
  }

  #record(entry: Entry, result: Omit<ProbeResult, 'at'>, at: string): void {
    if (this.#entries.get(entry.check.name) !== entry) return;
    const { check } = entry;
    const outcome = outcomeOf(check.expect, result.reason);
    const thresholds = { ...DEFAULT_THRESHOLDS, ...(check.failureThreshold === undefined ? {} : { failureThreshold: check.failureThreshold }) };
    const health = nextHealth(entry.health, outcome, thresholds, at);
    if (health.healthy !== entry.health.healthy) {
      const state = health.healthy === null ? 'Unknown' : health.healthy ? 'Healthy' : 'Unhealthy';
      this.#logger.info(`${check.name} is ${state}`, { name: check.name, reason: result.reason, message: result.message });
    }
    entry.health = health;
    entry.lastProbe = { at, ...result, success: outcome === 'pass' };
  }
}

/** Counts for the status summary. */
export function summarizeReachability(checks: readonly ReachabilityStatus[]): ReachabilitySummary {
  const healthy = checks.filter((check) => check.healthy === true).length;
  const unhealthy = checks.filter((check) => check.healthy === false).length;
  return { total: checks.length, healthy, unhealthy, unknown: checks.length - healthy - unhealthy };
}

/** A result for a check that did not reach the network. */
function notRun(reason: ProbeReason, message: string): Omit<ProbeResult, 'at'> {
  return { success: false, durationMs: 0, resolvedAddresses: [], reason, message, method: 'none' };
}

/** What makes a check the same check across desired states; a changed one starts over. */
function definition(check: Check): string {
  const { from, to, target, protocol, expect, notProbed } = check;
  return JSON.stringify({ from, to, target, protocol, expect, notProbed });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`Expected \`${name}\` to be a finite number > 0, got ${value}`);
  return value;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
