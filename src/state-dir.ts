/**
 * mooring's state directory (`--state-dir`), where it writes what containers
 * mount but no manifest holds: secret files. They are under its `secrets`
 * directory, 0700, so no other user of the host reads through it; each secret
 * file has the mode (and owner) its reference asks for, 0400 by default, and
 * is replaced by a rename, so a reader never sees half a secret.
 */
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedInputs } from './manifests/model.js';
import type { SecretFile } from './reconcile/effective-storage.js';
import { secretsDirectory } from './reconcile/effective-storage.js';
import { errorMessage } from './errors.js';

const STATE_DIR_NAME = 'mooring-state';

/**
 * `--state-dir`, else beside the status file (`/var/lib/mooring/status.json` →
 * `/var/lib/mooring/mooring-state`); absolute either way, since the engine binds
 * only absolute host paths.
 */
export function resolveStateDir(options: { flag: string | undefined; statusFile?: string }): string {
  return path.resolve(options.flag ?? path.join(path.dirname(path.resolve(options.statusFile ?? 'status.json')), STATE_DIR_NAME));
}

export interface WriteSecretsOptions {
  stateDir: string;
  instance: string;
  /** By container, as the plan lists them. */
  files: Readonly<Record<string, readonly SecretFile[]>>;
  inputs: ResolvedInputs | undefined;
}

/**
 * Writes every container's secret files whose content, mode or owner differs,
 * and removes the files of its directory that no reference wants any more (a
 * secret dropped from a container must not stay readable in its /run/secrets),
 * the whole directory when none does.
 * Resolves to the failures, by container, each naming what failed with the
 * file system's error as its cause; a failure stops only that container.
 */
export async function writeSecretFiles(options: WriteSecretsOptions): Promise<Map<string, Error>> {
  const failures = new Map<string, Error>();
  try {
    // One that exists keeps its mode: `--state-dir` may name a directory others read (the status file's); `secrets` is what stays private.
    await mkdir(options.stateDir, { recursive: true, mode: 0o700 });
    await ensurePrivateDirectory(path.join(options.stateDir, 'secrets'));
  } catch (error) {
    for (const container of Object.keys(options.files)) failures.set(container, new Error(`cannot make the state directory ${options.stateDir}: ${errorMessage(error)}`, { cause: error }));
    return failures;
  }
  await Promise.all(Object.entries(options.files).map(async ([container, files]) => {
    try {
      const directory = secretsDirectory(options.stateDir, options.instance, container);
      if (files.length === 0) {
        await removeSecretFiles({ stateDir: options.stateDir, instance: options.instance, container });
        return;
      }
      for (const file of files) {
        const content = options.inputs?.secrets.get(file.secret)?.value;
        if (!content) throw new Error(`secret ${file.secret} was not read`);
        await writeSecretFile(file, content.bytes());
      }
      await removeUnwanted(directory, new Set(files.map((file) => file.hostPath)));
    } catch (error) {
      failures.set(container, new Error(`cannot write its secret files under ${options.stateDir}: ${errorMessage(error)}`, { cause: error }));
    }
  }));
  return failures;
}

/** Forgets a removed container's secret files. */
export async function removeSecretFiles(options: { stateDir: string; instance: string; container: string }): Promise<void> {
  await rm(secretsDirectory(options.stateDir, options.instance, options.container), { recursive: true, force: true });
}

async function writeSecretFile(file: SecretFile, bytes: Buffer): Promise<void> {
  const directory = path.dirname(file.hostPath);
  // The directory is what a container sees at /run/secrets: it may be entered by the container's user; the files keep their modes.
  await mkdir(directory, { recursive: true, mode: 0o755 });
  const current = await readFile(file.hostPath).catch(() => undefined);
  if (current?.equals(bytes)) {
    await chmod(file.hostPath, file.mode);
    if (file.uid !== undefined || file.gid !== undefined) await chown(file.hostPath, file.uid ?? -1, file.gid ?? -1);
    return;
  }
  const temporary = path.join(directory, `.${path.basename(file.hostPath)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, bytes, { mode: 0o600, flag: 'wx' });
    if (file.uid !== undefined || file.gid !== undefined) await chown(temporary, file.uid ?? -1, file.gid ?? -1);
    await chmod(temporary, file.mode);
    await rename(temporary, file.hostPath);
  } finally {
    await rm(temporary, { force: true });
  }
}

async function removeUnwanted(directory: string, wanted: ReadonlySet<string>): Promise<void> {
  for (const sub of ['run-secrets', 'files']) {
    const entries = await readdir(path.join(directory, sub)).catch(() => [] as string[]);
    for (const entry of entries) {
      const file = path.join(directory, sub, entry);
      if (!wanted.has(file)) await rm(file, { force: true });
    }
  }
}

async function ensurePrivateDirectory(directory: string): Promise<void> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  await chmod(directory, 0o700);
}
