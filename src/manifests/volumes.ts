/**
 * A Container's mounts and secret references in one shape each, whichever
 * form the manifest wrote them in: what validation, the planner and the
 * status all read.
 */
import type { MountEntry, SecretReferenceEntry } from './schema-volumes.js';
import { SHORT_MOUNT } from './schema-volumes.js';
import { dropUndefined } from '../drop-undefined.js';

export type Mount =
  | { type: 'volume'; source: string; target: string; readOnly: boolean; subpath?: string; noCopy?: boolean }
  | { type: 'bind'; source: string; target: string; readOnly: boolean; createHostPath: boolean }
  | { type: 'tmpfs'; target: string; size?: string; mode?: string };

export interface SecretReference {
  name: string;
  target: string;
  /** Octal, four digits. */
  mode: string;
  uid?: number;
  gid?: number;
}

/** Where a secret lands when its reference names no target, as with Docker's own secrets. */
export const SECRETS_DIRECTORY = '/run/secrets';
export const DEFAULT_SECRET_MODE = '0400';

/** The long form of a mount; the short form's source is a host path when it starts with `/`, else a Volume's name. */
export function normalizeMount(entry: MountEntry): Mount {
  if (typeof entry !== 'string') {
    if (entry.type !== 'tmpfs') return { ...entry, target: normalizePath(entry.target) };
    const size = entry.size === undefined ? undefined : String(entry.size).toLowerCase();
    return dropUndefined({ type: 'tmpfs', target: normalizePath(entry.target), size, mode: entry.mode && entry.mode.padStart(4, '0') });
  }
  const [, source = '', target = '', access] = SHORT_MOUNT.exec(entry) ?? [];
  const readOnly = access === 'ro';
  return source.startsWith('/')
    ? { type: 'bind', source, target: normalizePath(target), readOnly, createHostPath: false }
    : { type: 'volume', source, target: normalizePath(target), readOnly };
}

export function normalizeSecretReference(entry: SecretReferenceEntry): SecretReference {
  const reference = typeof entry === 'string' ? { name: entry } : entry;
  return dropUndefined({
    name: reference.name,
    target: normalizePath(reference.target ?? `${SECRETS_DIRECTORY}/${reference.name}`),
    mode: (reference.mode ?? DEFAULT_SECRET_MODE).padStart(4, '0'),
    uid: reference.uid,
    gid: reference.gid,
  });
}

/** Whether a secret's target is a file directly in /run/secrets: those share one directory mount, so they can be swapped in place. */
export function inSecretsDirectory(target: string): boolean {
  return target.startsWith(`${SECRETS_DIRECTORY}/`) && !target.slice(SECRETS_DIRECTORY.length + 1).includes('/');
}

/** `/data/` and `/data` are one target. */
function normalizePath(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}
