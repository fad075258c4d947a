/**
 * When checks run: every interval, each due check runs in a round (see
 * round.ts); its results become health with the thresholds.
 */
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { Engine } from '../engine/port.js';
import type { Logger } from '../log.js';
import type { DesiredState } from '../manifests/model.js';
import type { ProbeResult, ReachabilityStatus } from './model.js';
import type { Check } from './checks.js';
import { checksFor } from './checks.js';
import type { CheckResult } from './dials.js';
import type { HealthState } from './health.js';
import { DEFAULT_THRESHOLDS, INITIAL_HEALTH, nextHealth, outcomeOf } from './health.js';
import type { ProbeMethodOption, ProberRunner } from './prober-runner.js';
import { createProberRunner } from './prober-runner.js';
import { RoundRunner } from './round.js';
import { positive } from '../positive.js';

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
  /** For publishes: the host port the engine bound, in the last round. */
  boundPort?: number;
  nextDueAt: number;
}

/** Checks due within this much of a tick run in that tick rather than a moment later in their own. */
const DUE_SLACK_MS = 100;

/**
 * Keeps every check's health up to date. Health follows Kubernetes probes
 * (failureThreshold 3, successThreshold 1); results that say nothing about the
 * network (SourceNotRunning, ProbeError, NotProbed) make a check Unknown
 * without counting towards a threshold (see `outcomeOf`). Rounds never overlap.
 */
export class ProbeScheduler {
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #jitterMs: number;
  readonly #onRound: (() => void) | undefined;
  readonly #runner: ProberRunner;
  readonly #rounds: RoundRunner;
  #entries = new Map<string, Entry>();
  #current: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  #round = 0;

  constructor(options: ProbeSchedulerOptions) {
    this.#intervalMs = positive('intervalMs', options.intervalMs ?? 10_000);
    this.#timeoutMs = positive('timeoutMs', options.timeoutMs ?? 1000);
    const concurrency = options.concurrency ?? 8;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new TypeError(`Expected \`concurrency\` to be an integer >= 1, got ${concurrency}`);
    }
    this.#jitterMs = options.jitterMs ?? Math.min(1000, this.#intervalMs / 10);
    if (!Number.isFinite(this.#jitterMs) || this.#jitterMs < 0) throw new TypeError(`Expected \`jitterMs\` to be a finite number >= 0, got ${this.#jitterMs}`);
    this.#logger = options.logger.child({ component: 'probes', instance: options.instance });
    this.#clock = options.clock ?? systemClock;
    this.#onRound = options.onRound;
    const runner =
      options.runner ??
      createProberRunner({ engine: options.engine, logger: this.#logger, method: options.method ?? 'auto', probeImage: options.probeImage });
    this.#runner = runner;
    this.#rounds = new RoundRunner({ engine: options.engine, runner, logger: this.#logger, clock: this.#clock, concurrency });
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

  /** Stops the timer, waits for a round in flight, and closes the runner (its probe threads). */
  async stop(): Promise<void> {
    this.#started = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#current;
    await this.#runner.close?.();
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
      resource: check.resource,
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
    const outcomes = await this.#rounds.run(
      entries.map((entry) => ({ check: entry.check, timeoutMs: entry.check.timeoutMs ?? this.#timeoutMs })),
      jitterMs,
    );
    for (const entry of entries) {
      const outcome = outcomes.get(entry.check.name);
      if (outcome === undefined) continue;
      if (outcome.boundPort === undefined) delete entry.boundPort;
      else entry.boundPort = outcome.boundPort;
      this.#record(entry, outcome.result, outcome.at);
      entry.nextDueAt = startedAt + (entry.check.intervalMs ?? this.#intervalMs);
    }
    this.#logger.debug('probe round done', { round, checks: entries.length, durationMs: this.#clock.now() - startedAt });
  }

  #record(entry: Entry, result: CheckResult, at: string): void {
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

/** What makes a check the same check across desired states; a changed one starts over. */
function definition(check: Check): string {
  const { from, to, targetContainer, target, protocol, expect, notProbed } = check;
  return JSON.stringify({ from, to, targetContainer, target, protocol, expect, notProbed });
}

