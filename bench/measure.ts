/**
 * Measuring on a shared, noisy machine: medians over repeated runs, contenders
 * alternated within one run, and costs read from the kernel rather than guessed.
 */
import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { MOORING_BIN } from './scenario.js';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Wall time of `work` in milliseconds. */
export async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; rejects with its output when it fails, unless `allowFailure`. */
export function run(command: string, args: readonly string[], options: { cwd?: string; allowFailure?: boolean } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const result = { code: code ?? -1, stdout, stderr };
      if (result.code === 0 || options.allowFailure) resolve(result);
      else reject(new Error(`${command} ${args.join(' ')} exited ${result.code}: ${(stderr.trim() || stdout.trim()).slice(-600)}`));
    });
  });
}

/**
 * `mooring apply ARGS` until it converges, at most `attempts` times: starting
 * containers can outlast a request's deadline on a busy machine (the engine
 * took more than 10 s for one start with the load average at 10 on 2 cores);
 * the next apply finds them started, as the daemon's next pass would.
 */
export async function applyUntilConverged(args: readonly string[], attempts = 5): Promise<void> {
  const apply = () => run('node', [MOORING_BIN, 'apply', ...args], { allowFailure: true });
  let result = await apply();
  for (let attempt = 1; result.code !== 0 && attempt < attempts; attempt++) result = await apply();
  if (result.code !== 0) throw new Error(`mooring apply ${args.join(' ')} did not converge in ${attempts} attempts: ${result.stderr.slice(-2000)}`);
}

/** Runs `tasks` with at most `concurrency` at once, as `xargs -P` would. */
export async function runPool<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** Polls `condition` until it holds; rejects after `timeoutMs` with `what` in the message. */
export async function waitUntil(what: string, condition: () => Promise<boolean>, options: { timeoutMs: number; intervalMs?: number }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${options.timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 50));
  }
}

const CLOCK_TICKS_PER_SECOND = 100;

export interface ProcessCost {
  /** User and system time of the process and its reaped children (the probers it spawned). */
  cpuSeconds: number;
  /** Peak resident set size of the process itself. */
  peakRssMb: number;
}

/** Reads a process's accumulated CPU time and its peak RSS from /proc. */
export async function processCost(pid: number): Promise<ProcessCost> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, index) => sum + Number(fields[index]), 0);
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const peakKb = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return { cpuSeconds: ticks / CLOCK_TICKS_PER_SECOND, peakRssMb: peakKb / 1024 };
}

export interface ProcessSample {
  /** Resident set size now (VmRSS), and its anonymous part: the heap, thread stacks and malloc arenas, not mapped files. */
  rssMb: number;
  rssAnonMb: number;
  threads: number;
  openFds: number;
}

/** What a long-running process holds now, from /proc: memory, threads, open file descriptors. */
export async function processSample(pid: number): Promise<ProcessSample> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMb: field('VmRSS') / 1024, rssAnonMb: field('RssAnon') / 1024, threads: field('Threads'), openFds: (await readdir(`/proc/${pid}/fd`)).length };
}
