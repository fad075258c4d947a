/**
 * A container's mounts as they take effect, whichever API field made them:
 * Compose 1.29 puts the short syntax in `HostConfig.Binds` and `Tmpfs`, the
 * long syntax in `HostConfig.Mounts`; mooring puts nearly all of them in
 * `Mounts`. What counts is the mount: its type, its source resolved, its
 * destination, read-only or not, the volume options, and what the container
 * sees there. Used by the conformance test against docker-compose.
 */
import { docker, dockerMaybe } from './docker.js';
import { sizeBytes } from '../../src/manifests/schema-runtime.js';
import { SECRETS_DIRECTORY } from '../../src/manifests/volumes.js';

export interface InspectedStorage {
  Name: string;
  Mounts?: { Type: string; Name?: string; Source: string; Destination: string; Driver?: string; RW: boolean }[] | null;
  HostConfig: {
    Binds?: string[] | null;
    Mounts?: { Target: string; VolumeOptions?: { NoCopy?: boolean }; TmpfsOptions?: { SizeBytes?: number } }[] | null;
    Tmpfs?: Record<string, string> | null;
  };
}

export interface EffectiveMount {
  type: string;
  /** A bind's host path, a volume's name: with the project's directory and name made generic. */
  source: string;
  readOnly: boolean;
  driver: string;
  noCopy: boolean;
  tmpfsSizeBytes: number | null;
  /** What the container sees: the file system type and options in /proc/mounts, the mode, the entries. */
  inside: string;
}

/** The mounts of a container by destination, leaving out `exclude` (compared otherwise). */
export async function effectiveMounts(container: InspectedStorage, generic: (text: string) => string, exclude: ReadonlySet<string>): Promise<Record<string, EffectiveMount>> {
  const declared = new Map((container.HostConfig.Mounts ?? []).map((mount) => [mount.Target, mount]));
  const binds = new Map((container.HostConfig.Binds ?? []).map((bind) => {
    const [, target = '', mode = ''] = bind.split(':');
    return [target, mode.split(',')];
  }));
  const mounts = new Map<string, Omit<EffectiveMount, 'inside'>>();
  for (const mount of container.Mounts ?? []) {
    mounts.set(mount.Destination, {
      type: mount.Type,
      source: mount.Type === 'volume' ? generic(mount.Name ?? '') : mount.Type === 'bind' ? generic(mount.Source) : '',
      readOnly: !mount.RW,
      driver: mount.Driver ?? '',
      noCopy: declared.get(mount.Destination)?.VolumeOptions?.NoCopy === true || (binds.get(mount.Destination)?.includes('nocopy') ?? false),
      tmpfsSizeBytes: declared.get(mount.Destination)?.TmpfsOptions?.SizeBytes ?? null,
    });
  }
  // `HostConfig.Tmpfs` (the `tmpfs:` attribute under 1.29) never shows in `Mounts`.
  for (const [target, options] of Object.entries(container.HostConfig.Tmpfs ?? {})) {
    const size = /(?:^|,)size=([^,]+)/.exec(options)?.[1];
    mounts.set(target, { type: 'tmpfs', source: '', readOnly: /(?:^|,)ro(?:,|$)/.test(options), driver: '', noCopy: false, tmpfsSizeBytes: size === undefined ? null : sizeBytes(size) });
  }
  for (const target of exclude) mounts.delete(target);
  const targets = [...mounts.keys()].sort();
  const inside = await insideView(container.Name.slice(1), targets);
  return Object.fromEntries(targets.map((target, index) => [target, { ...mounts.get(target)!, inside: inside[index]! }]));
}

/** Per target: `fstype options` from /proc/mounts, the mode, and the entries (a file lists itself). */
async function insideView(container: string, targets: readonly string[]): Promise<string[]> {
  if (targets.length === 0) return [];
  const script = 'for t; do echo "$(awk -v t="$t" \'$2 == t { print $3, $4 }\' /proc/mounts) $(stat -c %a "$t") $(ls -A "$t" | tr "\\n" " ")"; done';
  return (await docker('exec', '-u', '0', container, 'sh', '-c', script, 'sh', ...targets)).split('\n');
}

/** A secret or config file as the service sees it: its content read as the service's user, and whether root can write it. */
export async function fileView(container: string, target: string): Promise<{ content: string | undefined; writable: boolean }> {
  const content = await dockerMaybe('exec', container, 'cat', target);
  const writable = (await docker('exec', '-u', '0', container, 'sh', '-c', 'touch "$1" 2>/dev/null && echo yes || echo no', 'sh', target)) === 'yes';
  return { content, writable };
}

/** A volume's shape, each client's own labels left out. */
export async function volumeShape(name: string): Promise<{ driver: string; options: Record<string, string>; labels: Record<string, string> }> {
  const [found] = JSON.parse(await docker('volume', 'inspect', name)) as { Driver: string; Options: Record<string, string> | null; Labels: Record<string, string> | null }[];
  return { driver: found!.Driver, options: found!.Options ?? {}, labels: userLabels(found!.Labels) };
}

/** Labels without Compose's (`com.docker.compose.*`) and mooring's (`io.mooring.*`): each client marks what it made. */
export function userLabels(labels: Record<string, string> | null | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([key]) => !key.startsWith('com.docker.compose.') && !key.startsWith('io.mooring.')));
}

/** Removes the volumes that carry `label`, once no container uses them. */
export async function removeLabelledVolumes(label: string): Promise<void> {
  const volumes = await dockerMaybe('volume', 'ls', '-q', '--filter', `label=${label}`);
  if (volumes) await dockerMaybe('volume', 'rm', '-f', ...volumes.split('\n'));
}

/** What `docker-compose config` says of a service's secrets and configs. */
export interface ComposeConfig {
  services: Record<string, { secrets?: FileReference[]; configs?: FileReference[] }>;
  configs?: Record<string, { file: string }>;
}
export type FileReference = { source: string; target?: string };

/** Where each secret and config lands in the container: secrets under /run/secrets (as in 1.29 and v2), configs under / (v2). */
export function filesOf(service: ComposeConfig['services'][string], declared: ComposeConfig['configs'] = {}): { secrets: string[]; configs: { target: string; file: string }[] } {
  const at = (base: string, { source, target = source }: FileReference) => (target.startsWith('/') ? target : `${base}/${target}`);
  return {
    secrets: (service.secrets ?? []).map((reference) => at(SECRETS_DIRECTORY, reference)),
    configs: (service.configs ?? []).map((reference) => ({ target: at('', reference), file: declared[reference.source]!.file })),
  };
}
