/**
 * A Container's storage as the engine is to get it: its mounts, its secrets
 * (files mooring writes under its state directory, bound read-only), and the
 * variables of its env files; and what of it the spec hash covers.
 *
 * A container that has none of these hashes exactly as before mooring knew of
 * them: the hashed members are absent, never empty, so upgrading mooring
 * recreates nothing.
 */
import { createHash, createHmac } from 'node:crypto';
import path from 'node:path';
import type { MountConfig, ObservedContainer } from '../engine/port.js';
import type { Document } from '../manifests/model.js';
import type { ResolvedInputs } from '../manifests/model.js';
import type { Mount } from '../manifests/volumes.js';
import { SECRETS_DIRECTORY, inSecretsDirectory, normalizeMount, normalizeSecretReference } from '../manifests/volumes.js';
import { compare } from '../compare.js';
import { dropUndefined } from '../drop-undefined.js';
import { sizeBytes } from '../manifests/schema-runtime.js';

/** One secret file to write before the container that reads it is created. */
export interface SecretFile {
  /** The Secret's name. */
  secret: string;
  /** Absolute, under the state directory. */
  hostPath: string;
  mode: number;
  uid?: number;
  gid?: number;
}

export interface EffectiveStorage {
  /** For the spec hash: `type:source:target:options`, by target; absent when none. */
  mounts?: string[];
  /** For the spec hash: `name:target:mode:uid:gid[:digest]`, the salted digest unless updated in place; absent when none. */
  secrets?: string[];
  /** What `createContainer` gets, secrets included. */
  engineMounts: MountConfig[];
  secretFiles: SecretFile[];
  /** The env files' variables, merged; the manifest's `env` wins over them. */
  envFromFiles: Record<string, string>;
  /** The declared Volumes the container mounts. */
  volumes: string[];
  /** Why the container cannot be created now (a secret or env file that cannot be read): nothing of its is done. */
  problem?: string;
}

export interface StorageOptions {
  document: Document<'Container'>;
  instance: string;
  /** Where secret files are written; a container with secrets needs one. */
  stateDir?: string;
  inputs?: ResolvedInputs;
}

export function effectiveStorage(options: StorageOptions): EffectiveStorage {
  const { document, instance, stateDir, inputs } = options;
  const { spec, name } = document;
  const problems: string[] = [];
  const mounts = spec.mounts.map(normalizeMount).sort((a, b) => compare(a.target, b.target));
  const engineMounts = mounts.map(engineMount);
  const secretFiles: SecretFile[] = [];
  const hashedSecrets: string[] = [];

  const references = spec.secrets.map(normalizeSecretReference).sort((a, b) => compare(a.target, b.target));
  if (references.length > 0 && stateDir === undefined) problems.push('its secrets need a state directory to be written to (--state-dir)');
  const directory = stateDir === undefined ? '' : secretsDirectory(stateDir, instance, name);
  let sharesSecretsDirectory = false;
  for (const reference of references) {
    const resolved = inputs?.secrets.get(reference.name);
    if (resolved?.error) problems.push(`secret ${reference.name}: ${resolved.error.detail} (${resolved.error.file}:${resolved.error.line})`);
    else if (!resolved) problems.push(`secret ${reference.name} was not read`);
    const inDirectory = inSecretsDirectory(reference.target);
    sharesSecretsDirectory ||= inDirectory;
    const hostPath = inDirectory
      ? path.join(directory, 'run-secrets', path.basename(reference.target))
      : path.join(directory, 'files', createHash('sha256').update(reference.target).digest('hex').slice(0, 16));
    secretFiles.push(dropUndefined({ secret: reference.name, hostPath, mode: Number.parseInt(reference.mode, 8), uid: reference.uid, gid: reference.gid }));
    if (!inDirectory) engineMounts.push({ type: 'bind', source: hostPath, target: reference.target, readOnly: true });
    const digest = spec.secretsUpdate === 'InPlace' || !resolved?.value ? [] : [saltedDigest(instance, reference.name, resolved.value.sha256)];
    hashedSecrets.push([reference.name, reference.target, reference.mode, reference.uid ?? '', reference.gid ?? '', ...digest].join(':'));
  }
  // Secrets directly in /run/secrets share one directory mount, so a file renamed into it shows at once (secretsUpdate: InPlace).
  if (sharesSecretsDirectory) engineMounts.push({ type: 'bind', source: path.join(directory, 'run-secrets'), target: SECRETS_DIRECTORY, readOnly: true });
  engineMounts.sort((a, b) => compare(a.target, b.target));

  const envFiles = inputs?.envFiles.get(name);
  if (envFiles?.error) problems.push(`${envFiles.error.detail} (${envFiles.error.file}:${envFiles.error.line})`);
  else if (spec.envFiles.length > 0 && !envFiles) problems.push('its env files were not read');

  return dropUndefined({
    mounts: mounts.length > 0 ? mounts.map(mountString) : undefined,
    secrets: hashedSecrets.length > 0 ? hashedSecrets : undefined,
    engineMounts,
    secretFiles,
    envFromFiles: envFiles?.value ?? {},
    volumes: [...new Set(mounts.flatMap((mount) => (mount.type === 'volume' ? [mount.source] : [])))].sort(compare),
    problem: problems.length > 0 ? problems.join('; ') : undefined,
  });
}

/** Where a container's secret files live: per instance, so two instances on one host never share one. */
export function secretsDirectory(stateDir: string, instance: string, container: string): string {
  return path.join(stateDir, 'secrets', instance, container);
}

/**
 * Whether the container the engine runs binds files of its secrets directory. One whose manifest
 * dropped its last secret has no secret files to write, yet its old ones must go.
 */
export function bindsSecretFiles(options: { container: ObservedContainer | undefined; stateDir: string | undefined; instance: string }): boolean {
  const { container, stateDir, instance } = options;
  if (container === undefined || stateDir === undefined) return false;
  const directory = secretsDirectory(stateDir, instance, container.name) + path.sep;
  return container.mounts?.some((mount) => mount.type === 'bind' && mount.source.startsWith(directory)) ?? false;
}

/**
 * A secret's content as a label may show it: an HMAC of its SHA-256 keyed by
 * the instance and the secret's name, 16 hex digits. A label never holds the
 * content, nor a plain hash that a dictionary of common passwords could match.
 */
export function saltedDigest(instance: string, secret: string, sha256: string): string {
  return createHmac('sha256', `mooring-secret\0${instance}\0${secret}`).update(sha256).digest('hex').slice(0, 16);
}

/** The short form a plan prints and the hash covers, e.g. `volume:pgdata:/data:ro`. */
export function mountString(mount: Mount): string {
  switch (mount.type) {
    case 'volume':
      return `volume:${mount.source}:${mount.target}:${mount.readOnly ? 'ro' : 'rw'}${mount.subpath === undefined ? '' : `:subpath=${mount.subpath}`}${mount.noCopy ? ':nocopy' : ''}`;
    case 'bind':
      return `bind:${mount.source}:${mount.target}:${mount.readOnly ? 'ro' : 'rw'}${mount.createHostPath ? ':create' : ''}`;
    case 'tmpfs':
      return `tmpfs::${mount.target}:${[mount.size && `size=${mount.size}`, mount.mode && `mode=${mount.mode}`].filter(Boolean).join(',')}`;
  }
}

function engineMount(mount: Mount): MountConfig {
  switch (mount.type) {
    case 'volume':
      return dropUndefined({ type: 'volume', source: mount.source, target: mount.target, readOnly: mount.readOnly, subpath: mount.subpath, noCopy: mount.noCopy || undefined });
    case 'bind':
      return { type: 'bind', source: mount.source, target: mount.target, readOnly: mount.readOnly, createHostPath: mount.createHostPath };
    case 'tmpfs':
      return dropUndefined({
        type: 'tmpfs',
        target: mount.target,
        readOnly: false,
        tmpfsSizeBytes: mount.size === undefined ? undefined : sizeBytes(mount.size),
        tmpfsMode: mount.mode === undefined ? undefined : Number.parseInt(mount.mode, 8),
      });
  }
}
