/**
 * What integration and end-to-end tests share: the docker CLI as a user would
 * run it, unique names per run, and cleanup of everything a run made.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The image `scripts/ensure-engine.sh` builds from busybox-static (httpd, nc, ping, nslookup; not wget). */
export const TEST_IMAGE = process.env.MOORING_TEST_IMAGE ?? 'mooring/busybox:latest';

/** Unique per test process, so parallel runs and leftovers never collide. */
export const RUN_ID = `${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;

/** A name unique to this run: `mt-<run>-<suffix>`. */
export function uniqueName(suffix: string): string {
  return `mt-${RUN_ID}-${suffix}`;
}

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('docker', args, { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

/** Like `docker`, but resolves to undefined instead of throwing when the command fails. */
export async function dockerMaybe(...args: string[]): Promise<string | undefined> {
  try {
    return await docker(...args);
  } catch {
    return undefined;
  }
}

let engineAnswers: Promise<boolean> | undefined;

/**
 * Call in `before()` of every suite that needs the engine. Without an engine the
 * suite is skipped, except under CI=true, where a missing engine fails it.
 */
export async function requireEngine(context: Mocha.Context): Promise<void> {
  engineAnswers ??= dockerMaybe('version', '--format', '{{.Server.Version}}').then(Boolean);
  if (await engineAnswers) return;
  if (process.env.CI === 'true') {
    throw new Error('The Docker engine does not answer, and under CI=true tests that need it must run: start it with `npm run engine`.');
  }
  context.skip();
}

/** Removes every container, then every network, that carries `label` (e.g. `io.mooring.instance=<instance>`). */
export async function removeLabelled(label: string): Promise<void> {
  const containers = await dockerMaybe('ps', '-aq', '--filter', `label=${label}`);
  if (containers) await dockerMaybe('rm', '-f', ...containers.split('\n'));
  const networks = await dockerMaybe('network', 'ls', '-q', '--filter', `label=${label}`);
  if (networks) await dockerMaybe('network', 'rm', ...networks.split('\n'));
}

/** Removes containers and networks by name, ignoring those already gone. */
export async function removeByName(names: { containers?: string[]; networks?: string[] }): Promise<void> {
  if (names.containers?.length) await dockerMaybe('rm', '-f', ...names.containers);
  for (const network of names.networks ?? []) await dockerMaybe('network', 'rm', network);
}
