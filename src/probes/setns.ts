/**
 * The setns method: the prober's checks run on long-lived worker threads
 * of mooring, each entering the source container's network namespace before
 * its checks (see setns-worker.ts). Starting node for every source and round,
 * as the nsenter method does, costs about 60 ms of CPU each time: with 20
 * source containers probed every 10 s that alone is over 10% of a core. A
 * thread that is already running only switches namespaces.
 */
import { Worker } from 'node:worker_threads';
import type { ProberCheck, ProberOutput } from './prober.js';
import type { ThreadEntry } from './prober-program.js';
import type { SetnsReply, SetnsTask } from './setns-worker.js';
import { namespaceInput } from './netns.js';

/** Time a thread gets beyond its slowest check before it is taken for hung and replaced. */
const HANG_GRACE_MS = 5000;

/**
 * A thread holds about 4.5 MB of live heap (6.5 under tsx). Each task leaves
 * objects to the old generation (sockets, c-ares channels and file handles are
 * held by weak handles, which survive scavenges), about 0.3 MB a minute per
 * thread at 2 s probes; V8's defaults, sized for the host's memory, let that
 * pile up for hours before an old-generation collection, and eight threads
 * made the daemon's RSS grow by 2 MB a minute with nothing retained (see
 * docs/reliability.md). V8 collects halfway to the limit: at about 7 MB with
 * 10 MB, every ten minutes or so. 1 MB semi-spaces suit a few sockets at a time.
 */
const THREAD_HEAP_LIMITS = { maxOldGenerationSizeMb: 10, maxYoungGenerationSizeMb: 3 };

interface Job {
  task: SetnsTask;
  timeoutMs: number;
  resolve(output: ProberOutput): void;
  reject(error: Error): void;
}

export interface SetnsPoolOptions {
  thread: ThreadEntry;
  /** Threads at most. @default 8, the scheduler's sources at once */
  size?: number;
  /**
   * How long tasks wait for a thread before another starts. Each thread costs
   * memory, about 20 MB for the first (with the FFI) and 7 MB for each more, and
   * checks that connect take a few milliseconds: one thread does a round of 20
   * sources. A source whose checks time out (an isolation Probe by address)
   * holds its thread for the whole timeout: when tasks wait and every thread
   * has been on its task this long, the pool grows. @default 100
   */
  growAfterMs?: number;
  /**
   * A thread that has had no task for this long ends, unless it is the last:
   * a slow round grows the pool, and without this it would keep every thread
   * (and its memory) for good. Idle threads are the ones taken last, so the
   * pool settles at what the rounds need. @default 60000
   */
  idleMs?: number;
}

export class SetnsPool {
  readonly #thread: ThreadEntry;
  readonly #size: number;
  readonly #workers = new Set<Worker>();
  readonly #idle: Worker[] = [];
  readonly #queue: Job[] = [];
  readonly #growAfterMs: number;
  readonly #idleMs: number;
  /** Per idle thread, the timer that ends it. */
  readonly #retireTimers = new Map<Worker, NodeJS.Timeout>();
  /** Threads told to end that have not exited yet. */
  readonly #retiring = new Set<Worker>();
  /** When each busy thread took its task (performance.now()). */
  readonly #busySince = new Map<Worker, number>();
  #growth: NodeJS.Timeout | undefined;
  #started = 0;
  #closed = false;

  constructor(options: SetnsPoolOptions) {
    this.#thread = options.thread;
    this.#size = options.size ?? 8;
    this.#growAfterMs = options.growAfterMs ?? 100;
    this.#idleMs = options.idleMs ?? 60_000;
  }

  /** Threads started and not ended. */
  get threads(): number {
    return this.#started;
  }

  /** Runs `checks` in the network namespace of process `pid`; rejects when the thread fails, never for a network verdict. */
  run(options: { pid: number; checks: ProberCheck[] }): Promise<ProberOutput> {
    const { pid, checks } = options;
    if (!(pid > 0)) return Promise.reject(new Error(`expected the process id of a running container, got ${pid}`));
    if (this.#closed) return Promise.reject(new Error('expected an open probe thread pool, it is closed'));
    const timeoutMs = Math.max(0, ...checks.map((check) => check.timeoutMs)) + HANG_GRACE_MS;
    return new Promise((resolve, reject) => {
      this.#queue.push({ task: { namespace: `/proc/${pid}/ns/net`, input: namespaceInput(pid, checks) }, timeoutMs, resolve, reject });
      this.#dispatch();
    });
  }

  /** Ends every thread: tasks in flight and waiting fail. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#growth);
    for (const job of this.#queue.splice(0)) job.reject(new Error('expected an open probe thread pool, it was closed'));
    this.#idle.length = 0;
    for (const timer of this.#retireTimers.values()) clearTimeout(timer);
    this.#retireTimers.clear();
    await Promise.all([...this.#workers].map((worker) => worker.terminate()));
  }

  #dispatch(): void {
    if (this.#closed) return;
    if (this.#queue.length === 0) {
      clearTimeout(this.#growth);
      this.#growth = undefined;
    }
    while (this.#queue.length > 0) {
      const worker = this.#takeIdle() ?? (this.#started === 0 ? this.#start() : undefined);
      if (worker === undefined) {
        this.#growLater();
        return;
      }
      this.#assign(worker, this.#queue.shift() as Job);
    }
  }

  /**
   * One more thread if tasks are still waiting after `growAfterMs` and every
   * thread has been on its task all that time; then again, up to `size`. A
   * queue that moves (hundreds of sources whose checks answer at once) needs
   * no more threads: growing for it put all eight threads, and their memory,
   * in every round of a large host.
   */
  #growLater(): void {
    if (this.#growth !== undefined || this.#closed || this.#started >= this.#size) return;
    const armedAt = performance.now();
    this.#growth = setTimeout(() => {
      this.#growth = undefined;
      const stuck = [...this.#busySince.values()].every((since) => since <= armedAt);
      const worker = this.#queue.length > 0 && stuck ? this.#start() : undefined;
      if (worker !== undefined) this.#assign(worker, this.#queue.shift() as Job);
      this.#dispatch();
    }, this.#growAfterMs);
    this.#growth.unref();
  }

  #start(): Worker | undefined {
    if (this.#closed || this.#started >= this.#size) return undefined;
    this.#started++;
    const worker = new Worker(this.#thread.script, { eval: this.#thread.eval, resourceLimits: THREAD_HEAP_LIMITS });
    this.#workers.add(worker);
    // Idle threads must not keep a stopping daemon, or a test run, alive.
    worker.unref();
    // An uncaught error in a thread is followed by its exit, which the task in flight, if any, reports.
    worker.on('error', () => undefined);
    worker.once('exit', () => {
      this.#started--;
      this.#workers.delete(worker);
      this.#retiring.delete(worker);
      clearTimeout(this.#retireTimers.get(worker));
      this.#retireTimers.delete(worker);
      const index = this.#idle.indexOf(worker);
      if (index >= 0) this.#idle.splice(index, 1);
      this.#dispatch();
    });
    return worker;
  }

  #takeIdle(): Worker | undefined {
    const worker = this.#idle.pop();
    if (worker !== undefined) {
      clearTimeout(this.#retireTimers.get(worker));
      this.#retireTimers.delete(worker);
    }
    return worker;
  }

  /** Back to the idle threads, and ended if none of the next tasks takes it within `idleMs`. */
  #release(worker: Worker): void {
    this.#idle.push(worker);
    const timer = setTimeout(() => {
      this.#retireTimers.delete(worker);
      const index = this.#idle.indexOf(worker);
      if (index < 0 || this.#workers.size - this.#retiring.size <= 1) return;
      this.#idle.splice(index, 1);
      this.#retiring.add(worker);
      void worker.terminate();
    }, this.#idleMs);
    timer.unref();
    this.#retireTimers.set(worker, timer);
  }

  #assign(worker: Worker, job: Job): void {
    let crash: Error | undefined;
    const finish = (outcome: () => void) => {
      clearTimeout(timer);
      this.#busySince.delete(worker);
      worker.off('message', answered);
      worker.off('error', crashed);
      worker.off('exit', exited);
      outcome();
      this.#dispatch();
    };
    const answered = (reply: SetnsReply) =>
      finish(() => {
        this.#release(worker);
        if ('error' in reply) job.reject(new Error(reply.error));
        else job.resolve(reply.output);
      });
    const crashed = (error: Error) => {
      crash = error;
    };
    const exited = (code: number) =>
      finish(() => {
        job.reject(new Error(`expected the probe thread to stay up, it exited with ${code}${crash ? `: ${crash.message}` : ''}`));
      });
    // A thread that answers no more may be stuck in any namespace: end it; the next task starts another.
    const timer = setTimeout(
      () =>
        finish(() => {
          void worker.terminate();
          job.reject(new Error(`expected the probe thread to answer within ${job.timeoutMs} ms, it did not`));
        }),
      job.timeoutMs,
    );
    worker.on('message', answered);
    worker.on('error', crashed);
    worker.on('exit', exited);
    this.#busySince.set(worker, performance.now());
    worker.postMessage(job.task);
  }
}
