/**
 * One probe round: one list of the engine's containers, the connections every
 * check needs (see dials.ts), one prober per source doing all of that
 * source's connections at once, a bounded number of sources at a time, each
 * source's start jittered; then a result per check.
 */
import type { Clock } from '../clock.js';
import { dropUndefined } from '../drop-undefined.js';
import { eachLimited } from '../each-limited.js';
import type { Engine, ObservedContainer } from '../engine/port.js';
import type { Logger } from '../log.js';
import type { Check } from './checks.js';
import { HOST } from './checks.js';
import type { CheckResult, Dial, DialPlan } from './dials.js';
import { notRun, planDials, publishResult } from './dials.js';
import type { ProberCheck, ProberResult } from './prober.js';
import type { ProberRun, ProberRunner, ProberSource } from './prober-runner.js';
import { isContainerProcess } from './prober-runner.js';
import { errorMessage } from '../errors.js';

export interface RoundCheck {
  check: Check;
  timeoutMs: number;
}

export interface CheckOutcome {
  result: CheckResult;
  /** ISO 8601: when its source's prober started, or the round when nothing was dialled. */
  at: string;
  /** For publishes: the host port the engine bound, when it reports one. */
  boundPort?: number;
}

export interface RoundRunnerOptions {
  engine: Engine;
  runner: ProberRunner;
  logger: Logger;
  clock: Clock;
  concurrency: number;
}

/** A connection of one check, as one source's prober makes it. */
interface Job {
  id: string;
  dial: Dial;
  timeoutMs: number;
}

const BACKEND = '#backend';
/** The key of the engine's own failures among the sources' (a container name has no space). */
const ENGINE = 'the engine';

export class RoundRunner {
  readonly #engine: Engine;
  readonly #runner: ProberRunner;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #concurrency: number;
  /** The last failure per source, so that a failure repeating every round is logged once. */
  readonly #failures = new Map<string, string>();
  /**
   * Each source's process id by container id, as its last inspection gave it.
   * Inspecting every source every round was most of a round's requests to the
   * engine (one per source, beside one list); a pid is taken again only when
   * it is no longer a process of that container, which also catches a restart.
   * That check, one read of /proc, is the only one: the runner trusts the pid it is given.
   */
  #pids = new Map<string, number>();

  constructor(options: RoundRunnerOptions) {
    this.#engine = options.engine;
    this.#runner = options.runner;
    this.#logger = options.logger;
    this.#clock = options.clock;
    this.#concurrency = options.concurrency;
  }

  /** A result for every check, by name; never rejects: whatever fails outside the network is a ProbeError. */
  async run(checks: readonly RoundCheck[], jitterMs: number): Promise<Map<string, CheckOutcome>> {
    const startedAt = this.#clock.now();
    const roundAt = new Date(startedAt).toISOString();
    const containers = await this.#containers(checks);
    const plans = new Map<RoundCheck, DialPlan>();
    const bySource = new Map<string, Job[]>();
    const add = (id: string, dial: Dial, timeoutMs: number) => bySource.set(dial.from, [...(bySource.get(dial.from) ?? []), { id, dial, timeoutMs }]);
    for (const item of checks) {
      const plan =
        typeof containers === 'string' && item.check.notProbed === undefined
          ? ({ type: 'settled', result: notRun('ProbeError', containers) } as const)
          : planDials(item.check, typeof containers === 'string' ? new Map() : containers);
      plans.set(item, plan);
      if (plan.type === 'settled') continue;
      add(item.check.name, plan.dial, item.timeoutMs);
      if (plan.backend) add(`${item.check.name}${BACKEND}`, plan.backend, item.timeoutMs);
    }

    const results = new Map<string, CheckResult>();
    const startedBy = new Map<string, string>();
    // Each source gets a start offset within the window, taken in order: the window delays a round by at most its length.
    const starts = [...bySource].map(([source, jobs]) => ({ source, jobs, offset: this.#clock.random() * jitterMs })).sort((a, b) => a.offset - b.offset);
    await eachLimited(starts, this.#concurrency, async ({ source, jobs, offset }) => {
      const wait = startedAt + offset - this.#clock.now();
      if (wait > 0) await this.#clock.sleep(wait);
      startedBy.set(source, new Date(this.#clock.now()).toISOString());
      const listed = typeof containers === 'string' ? undefined : containers.get(source);
      for (const [id, result] of await this.#probeSource(source, listed, jobs)) results.set(id, result);
    });

    const missing = notRun('ProbeError', 'the prober returned no result for this check');
    const outcomes = new Map<string, CheckOutcome>();
    for (const [item, plan] of plans) {
      const { name } = item.check;
      if (plan.type === 'settled') {
        outcomes.set(name, { result: plan.result, at: roundAt });
        continue;
      }
      const main = results.get(name) ?? missing;
      const result = plan.backend ? publishResult(main, results.get(`${name}${BACKEND}`) ?? missing, { dial: plan.dial, backend: plan.backend }) : main;
      outcomes.set(name, { result, at: startedBy.get(plan.dial.from) ?? roundAt, ...(plan.boundPort === undefined ? {} : { boundPort: plan.boundPort }) });
    }
    return outcomes;
  }

  /** Every container by name, from one request; or why the engine could not tell. Not asked when no check needs it. */
  async #containers(checks: readonly RoundCheck[]): Promise<Map<string, ObservedContainer> | string> {
    if (checks.every((item) => item.check.notProbed !== undefined)) return new Map();
    try {
      const containers = await this.#engine.listContainers();
      this.#failures.delete(ENGINE);
      const running = new Set(containers.filter((container) => container.status === 'running').map((container) => container.id));
      this.#pids = new Map([...this.#pids].filter(([id]) => running.has(id)));
      return new Map(containers.map((container) => [container.name, container]));
    } catch (error) {
      const message = `listing containers: ${errorMessage(error)}`;
      this.#noteFailure(ENGINE, message);
      return message;
    }
  }

  /** One source's connections; the container's state comes from the round's list, its process id from one inspection. */
  async #probeSource(source: string, listed: ObservedContainer | undefined, jobs: Job[]): Promise<Map<string, CheckResult>> {
    const checks: ProberCheck[] = jobs.map(({ id, dial, timeoutMs }) =>
      dropUndefined({ id, host: dial.host, port: dial.port, timeoutMs, addresses: dial.addresses, closeGraceMs: dial.closeGraceMs }),
    );
    const setAll = (result: CheckResult) => new Map(jobs.map((job) => [job.id, result]));
    if (source === HOST) return this.#collect(source, jobs, await this.#runner.run({ checks }));
    if (listed?.status !== 'running') return setAll(notRun('SourceNotRunning', `container ${source} is ${listed?.status ?? 'missing'}`));
    try {
      let pid = this.#pids.get(listed.id);
      if (pid === undefined || !isContainerProcess({ id: listed.id, pid })) {
        this.#pids.delete(listed.id);
        const container = await this.#engine.inspectContainer(listed.id);
        if (container === undefined || container.status !== 'running') return setAll(notRun('SourceNotRunning', `container ${source} is ${container?.status ?? 'missing'}`));
        // Outside the host's pid namespace the engine's pid is another process here, or none: 0, and the runner does without.
        pid = isContainerProcess({ id: container.id, pid: container.pid ?? 0 }) ? (container.pid as number) : 0;
        if (pid > 0) this.#pids.set(container.id, pid);
      }
      const running: ProberSource = { id: listed.id, name: source, pid };
      return this.#collect(source, jobs, await this.#runner.run({ source: running, checks }));
    } catch (error) {
      const message = `inspecting container ${source}: ${errorMessage(error)}`;
      this.#noteFailure(source, message);
      return setAll(notRun('ProbeError', message));
    }
  }

  #collect(source: string, jobs: Job[], run: ProberRun): Map<string, CheckResult> {
    const results = new Map<string, CheckResult>();
    if ('error' in run) {
      const message = `prober failed (${run.method}): ${run.error}`;
      this.#noteFailure(source, message);
      for (const job of jobs) results.set(job.id, { ...notRun('ProbeError', message), method: run.method });
      return results;
    }
    if (this.#failures.delete(source)) this.#logger.info('prober works again', { source, method: run.method });
    const byId = new Map<string, ProberResult>(run.results.map((result) => [result.id, result]));
    for (const job of jobs) {
      const result = byId.get(job.id);
      if (result === undefined) continue;
      results.set(job.id, { success: false, durationMs: result.durationMs, resolvedAddresses: result.resolvedAddresses, reason: result.reason, message: result.message, method: run.method });
    }
    return results;
  }

  #noteFailure(source: string, message: string): void {
    if (this.#failures.get(source) === message) return;
    this.#failures.set(source, message);
    this.#logger.warn('cannot probe; its checks are Unknown', { source, error: message });
  }
}

