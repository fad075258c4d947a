/** The real `mooring run` process, as a user starts it, for the scenarios that need the daemon. */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';
import type { Status } from '../src/status/model.js';
import { waitUntil } from './measure.js';
import { MOORING_BIN } from './scenario.js';

export interface Daemon {
  pid: number;
  statusFile: string;
  /** Resolves with the status file once `condition` holds of it; rejects if the daemon exits first. */
  statusUntil(what: string, condition: (status: Status) => boolean, timeoutMs: number): Promise<Status>;
  /** Resolves once the status file says Synced. */
  synced(timeoutMs: number): Promise<void>;
  /** SIGTERM, and the exit; the containers stay. */
  stop(): Promise<void>;
}

export interface DaemonProcessOptions {
  manifests: string;
  instance: string;
  statusFile: string;
  /** After mooring's own arguments. */
  extraArgs?: string[];
  /** Node's, before the script: e.g. `--trace-gc`, `--heapsnapshot-signal=SIGUSR2`. */
  nodeArgs?: string[];
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Another build's `bin/mooring.js`, to compare two builds on one engine state. @default MOORING_BIN */
  bin?: string;
  /** Receives the process's stdout (V8's GC traces go there); ignored when unset. */
  onStdout?: (text: string) => void;
}

export function startDaemon(options: DaemonProcessOptions): Daemon {
  const child: ChildProcess = spawn(
    'node',
    [
      ...(options.nodeArgs ?? []),
      options.bin ?? MOORING_BIN, 'run', '-m', options.manifests, '--instance', options.instance, '--status', options.statusFile, '--log-level', 'warn', ...(options.extraArgs ?? []),
    ],
    { stdio: ['ignore', options.onStdout ? 'pipe' : 'ignore', 'pipe'], env: options.env ?? process.env },
  );
  if (options.onStdout) child.stdout?.setEncoding('utf8').on('data', options.onStdout);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = once(child, 'exit');
  const statusUntil = async (what: string, condition: (status: Status) => boolean, timeoutMs: number) => {
    let status: Status | undefined;
    await waitUntil(
      `${what} in ${options.statusFile}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`mooring run exited ${child.exitCode}: ${stderr}`);
        status = await readFile(options.statusFile, 'utf8').then((text) => JSON.parse(text) as Status, () => undefined);
        return status !== undefined && condition(status);
      },
      { timeoutMs, intervalMs: 100 },
    );
    return status as Status;
  };
  return {
    pid: child.pid as number,
    statusFile: options.statusFile,
    statusUntil,
    synced: async (timeoutMs) => {
      await statusUntil('the daemon to report Synced', (status) => status.sync.state === 'Synced', timeoutMs);
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
