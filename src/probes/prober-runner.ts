/**
 * Runs the prober for one source: in this process for the host; for a
 * container on a thread that enters its network namespace, under nsenter, or
 * in a probe container. The scheduler's one seam to the
 * outside world besides the engine; unit tests replace it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Engine } from '../engine/port.js';
import type { Logger } from '../log.js';
import type { ProberCheck, ProberResult } from './prober.js';
import { runChecks } from './prober.js';
import type { ProberProgram } from './prober-program.js';
import { proberProgram } from './prober-program.js';
import { nsenterAvailable, runInNetns } from './netns.js';
import { SetnsPool } from './setns.js';
import { ownImage, runInProbeContainer } from './probe-container.js';
import { errorMessage } from '../errors.js';

/** How long after a failed try the probe threads are tried again. */
const SETNS_RETRY_MS = 10 * 60_000;

/** How a check ran, as the status records it. */
export type ProbeMethod = 'setns' | 'nsenter' | 'probe-container' | 'host';

/** The `--probe-method` choice: `auto` takes the first that works of setns, nsenter and the probe container. */
export type ProbeMethodOption = 'auto' | 'setns' | 'nsenter' | 'probe-container';

/** A running source container. */
export interface ProberSource {
  id: string;
  name: string;
  /**
   * Its process id in mooring's pid namespace, checked to be the container's
   * ({@link isContainerProcess}); 0 when there is none here (mooring runs in a
   * container without the host's pid namespace, or the engine reported none).
   */
  pid: number;
}

/** The prober's results, or why the prober itself failed: never a network verdict. */
export type ProberRun = { method: ProbeMethod; results: ProberResult[] } | { method: ProbeMethod; error: string };

export interface ProberRunner {
  /** Runs `checks` from `source`, or from the host when it is unset. Resolves, never rejects. */
  run(request: { source?: ProberSource; checks: ProberCheck[] }): Promise<ProberRun>;
  /** Ends what runs checks in the background (the probe threads); the scheduler's stop calls it. */
  close?(): Promise<void>;
}

export interface ProberRunnerOptions {
  engine: Engine;
  logger: Logger;
  /** @default 'auto' */
  method?: ProbeMethodOption;
  /** For the probe-container method: an image with node. @default mooring's own image, when mooring runs in a container */
  probeImage?: string;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default proberProgram() */
  program?: ProberProgram;
}

export function createProberRunner(options: ProberRunnerOptions): ProberRunner {
  return new DefaultProberRunner(options);
}

class DefaultProberRunner implements ProberRunner {
  readonly #engine: Engine;
  readonly #logger: Logger;
  readonly #method: ProbeMethodOption;
  readonly #isRoot: boolean;
  readonly #hasNsenter: boolean;
  readonly #threads: SetnsPool;
  #canSetns: Promise<boolean> | undefined;
  #setnsRetryAt: number | undefined;
  readonly #configuredImage: string | undefined;
  readonly #inContainer: boolean;
  readonly #program: ProberProgram;
  readonly #announced = new Set<ProbeMethod>();
  #image: Promise<string | undefined> | undefined;

  constructor(options: ProberRunnerOptions) {
    const env = options.env ?? process.env;
    this.#engine = options.engine;
    this.#logger = options.logger;
    this.#method = options.method ?? 'auto';
    this.#configuredImage = options.probeImage;
    this.#program = options.program ?? proberProgram();
    this.#isRoot = process.getuid?.() === 0;
    this.#hasNsenter = nsenterAvailable(env);
    this.#threads = new SetnsPool({ thread: this.#program.thread });
    // Docker writes /.dockerenv; podman and systemd-nspawn set `container` in the environment.
    this.#inContainer = existsSync('/.dockerenv') || env.container !== undefined;
  }

  async run(request: { source?: ProberSource; checks: ProberCheck[] }): Promise<ProberRun> {
    const { source, checks } = request;
    if (source === undefined) return { method: 'host', ...(await runChecks({ checks })) };
    const method = await this.#methodFor(source);
    if (!this.#announced.has(method)) {
      this.#announced.add(method);
      this.#logger.info('probing from containers', { method, requested: this.#method });
    }
    try {
      const output =
        method === 'setns'
          ? await this.#threads.run({ pid: source.pid, checks })
          : method === 'nsenter'
            ? await runInNetns({ pid: source.pid, checks, program: this.#program })
            : await runInProbeContainer({ engine: this.#engine, image: await this.#probeImage(), source, checks, program: this.#program });
      return { method, results: output.results };
    } catch (error) {
      return { method, error: errorMessage(error) };
    }
  }

  close(): Promise<void> {
    return this.#threads.close();
  }

  /** `auto` enters the namespace itself when it may: as root, with the source's process in this pid namespace. */
  async #methodFor(source: ProberSource): Promise<Exclude<ProbeMethod, 'host'>> {
    if (this.#method !== 'auto') return this.#method;
    if (!this.#isRoot || !(source.pid > 0)) return 'probe-container';
    if (await this.#setnsWorks()) return 'setns';
    return this.#hasNsenter ? 'nsenter' : 'probe-container';
  }

  /**
   * Whether a thread can enter a network namespace here: it tries its own (the
   * FFI may not load, or a capability be missing). A success holds for good; a
   * failure, which may be a thread that started too slowly, is tried again later.
   */
  #setnsWorks(): Promise<boolean> {
    if (this.#canSetns !== undefined && (this.#setnsRetryAt === undefined || performance.now() < this.#setnsRetryAt)) return this.#canSetns;
    const firstTry = this.#canSetns === undefined;
    // Until this try settles, every source waits on it rather than starting another.
    this.#setnsRetryAt = undefined;
    this.#canSetns = this.#threads.run({ pid: process.pid, checks: [] }).then(
      () => true,
      (error: unknown) => {
        this.#setnsRetryAt = performance.now() + SETNS_RETRY_MS;
        if (firstTry) this.#logger.info('probe threads cannot enter network namespaces here; using nsenter or a probe container', { error: String(error) });
        return false;
      },
    );
    return this.#canSetns;
  }

  async #probeImage(): Promise<string> {
    this.#image ??= this.#configuredImage !== undefined
      ? Promise.resolve(this.#configuredImage)
      : ownImage({ engine: this.#engine, inContainer: this.#inContainer, hostname: hostname() });
    const image = await this.#image;
    if (image === undefined) {
      this.#image = undefined;
      throw new Error('expected a probe image for the probe-container method, got none: pass --probe-image with an image that has node');
    }
    return image;
  }
}

/**
 * Whether process `pid` here is in the container's cgroup (`/docker/<id>`, `docker-<id>.scope`, `libpod-<id>.scope`).
 * A synchronous read: /proc never waits on a disk, and a read through the thread pool cost more than the read itself.
 */
export function isContainerProcess(source: Pick<ProberSource, 'id' | 'pid'>): boolean {
  if (!(source.pid > 0)) return false;
  try {
    return readFileSync(`/proc/${source.pid}/cgroup`, 'utf8').includes(source.id);
  } catch {
    return false;
  }
}
