/** The real `mooring` process for end-to-end tests: `node bin/mooring.js ...` from the build in dist/. */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Status } from '../../src/status/model.js';
import { statusSchemaErrors } from './status-schema.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/mooring.js', import.meta.url));

/** Fails clearly when the build the e2e tests run is missing. */
export function requireBuild(): void {
  if (!existsSync(new URL('../../dist/cli/main.js', import.meta.url))) {
    throw new Error('expected a build in dist/ for the end-to-end tests, got none: run `npm run build` first (`npm test` does)');
  }
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class MooringProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;

  /** `prefix`: a command that runs the one it is given, e.g. `nsenter --net=…` for a host of a swarm (test/support/swarm.ts). */
  constructor(args: string[], options: { prefix?: [string, ...string[]] } = {}) {
    const [file, ...rest] = [...(options.prefix ?? []), process.execPath, BIN, ...args] as [string, ...string[]];
    this.child = spawn(file, rest, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Runs a command to its end. */
  static async run(args: string[]): Promise<{ exit: Exit; stdout: string; stderr: string }> {
    const process = new MooringProcess(args);
    const exit = await process.exited;
    return { exit, stdout: process.stdout, stderr: process.stderr };
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** For cleanup after a failed test: nothing of it may outlive the suite. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

/**
 * The status file, which must always parse and validate against the schema
 * whenever it exists (it is replaced atomically); undefined before it exists.
 */
export async function readStatus(file: string): Promise<Status | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const status = JSON.parse(text) as Status;
  assert.deepEqual(statusSchemaErrors(status), [], `the status file validates against schema/status.schema.json:\n${text}`);
  return status;
}

/** Polls until `check` gives a value; fails with `what` and the last status after the deadline. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, options: { timeoutMs?: number; describe?: () => Promise<string> } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}${options.describe ? `\n${await options.describe()}` : ''}`);
    await sleep(100);
  }
}

/**
 * A wait on a daemon's status file: resolves to the first status, read as the
 * daemon writes it, that satisfies `check`; on time-out it shows the last status
 * and the end of the daemon's log. Getters, because suites set both in `before`.
 */
export function statusWaiter(statusFile: () => string, daemon: () => MooringProcess | undefined) {
  const describe = async () => `last status: ${JSON.stringify(await readStatus(statusFile()), null, 2).slice(0, 6000)}\ndaemon log:\n${daemon()?.stderr.slice(-4000) ?? ''}`;
  return (what: string, check: (status: Status) => boolean, timeoutMs?: number): Promise<Status> =>
    eventually(what, async () => {
      const current = await readStatus(statusFile());
      return current && check(current) ? current : undefined;
    }, { describe, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
}
