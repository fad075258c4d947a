/**
 * The nsenter method: the prober runs on the host, inside the source
 * container's network namespace only. Its mount namespace is still the host's,
 * so the container's own hosts file and resolv.conf are read through
 * `/proc/<pid>/root`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { ProberCheck, ProberInput, ProberOutput } from './prober.js';
import type { ProberProgram } from './prober-program.js';
import { parseProberOutput } from './prober-output.js';

/** Time the prober process gets beyond its slowest check, to start node and exit. */
const STARTUP_GRACE_MS = 5000;

export interface NetnsRunOptions {
  /** The source container's process id on the host. */
  pid: number;
  checks: ProberCheck[];
  program: ProberProgram;
  /** @default process.execPath */
  nodePath?: string;
  /** @default 'nsenter' */
  nsenterPath?: string;
}

/** One prober process for all of a container's checks; rejects when the prober itself fails. */
export function runInNetns(options: NetnsRunOptions): Promise<ProberOutput> {
  const { pid, checks, program } = options;
  if (!(pid > 0)) return Promise.reject(new Error(`expected the process id of a running container, got ${pid}`));
  const input = JSON.stringify(namespaceInput(pid, checks));
  const args = [`--net=/proc/${pid}/ns/net`, '--', options.nodePath ?? process.execPath, ...program.nodeArgs];
  const timeoutMs = Math.max(0, ...checks.map((check) => check.timeoutMs)) + STARTUP_GRACE_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(options.nsenterPath ?? 'nsenter', args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.stdin.on('error', () => undefined);
    child.once('error', (error) => reject(new Error(`nsenter: ${error.message}`, { cause: error })));
    child.once('close', (code, signal) => {
      const errorText = Buffer.concat(stderr).toString('utf8').trim();
      if (code !== 0) {
        const how = signal === 'SIGKILL' ? `was killed after ${timeoutMs} ms` : `exited with ${signal ?? code}`;
        reject(new Error(`expected the prober in the namespace of pid ${pid} to exit with 0, it ${how}${errorText ? `: ${errorText}` : ''}`));
        return;
      }
      try {
        resolve(parseProberOutput(Buffer.concat(stdout).toString('utf8'), checks));
      } catch (error) {
        reject(error);
      }
    });
    child.stdin.end(input);
  });
}

/** The prober's input for checks from the network namespace of `pid`, with that container's own hosts file and resolv.conf. */
export function namespaceInput(pid: number, checks: ProberCheck[]): ProberInput {
  return { hostsFile: `/proc/${pid}/root/etc/hosts`, resolvConf: `/proc/${pid}/root/etc/resolv.conf`, checks };
}

/** Whether `nsenter` is on PATH. */
export function nsenterAvailable(env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((directory) => directory !== '' && existsSync(join(directory, 'nsenter')));
}
