/**
 * Engine API JSON for volumes and mounts, to mooring's types and back: no
 * requests, no state (as `mapping.ts`, for storage).
 */
import type { MountConfig, ObservedMount, ObservedVolume } from '../volumes.js';
import { dropUndefined } from '../../drop-undefined.js';

/** `HostConfig.Mounts` entry (Engine API). */
export interface DockerMount {
  Type: 'volume' | 'bind' | 'tmpfs';
  /** Empty for tmpfs. */
  Source: string;
  Target: string;
  ReadOnly: boolean;
  VolumeOptions?: { Subpath?: string; NoCopy?: boolean };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

/** The engine API version that knows `VolumeOptions.Subpath`: an older one would ignore it and mount the volume's root. */
export const SUBPATH_API_VERSION = '1.45';

/**
 * What a container's mounts become in `HostConfig`: `Mounts`, except binds that
 * may create their host path, which go in `Binds` (a missing `Mounts` source is
 * an error on every API version; `Binds` creates it as a directory).
 */
export function hostConfigMounts(mounts: readonly MountConfig[] | undefined): { Mounts?: DockerMount[]; Binds?: string[] } {
  if (!mounts || mounts.length === 0) return {};
  const binds = mounts.filter((mount) => mount.type === 'bind' && mount.createHostPath);
  const others = mounts.filter((mount) => !binds.includes(mount));
  return dropUndefined({
    Mounts: others.length > 0 ? others.map(dockerMount) : undefined,
    Binds: binds.length > 0 ? binds.map((mount) => `${mount.source}:${mount.target}${mount.readOnly ? ':ro' : ''}`) : undefined,
  });
}

function dockerMount(mount: MountConfig): DockerMount {
  return dropUndefined({
    Type: mount.type,
    Source: mount.source ?? '',
    Target: mount.target,
    ReadOnly: mount.readOnly,
    VolumeOptions: mount.subpath === undefined && !mount.noCopy ? undefined : dropUndefined({ Subpath: mount.subpath, NoCopy: mount.noCopy }),
    TmpfsOptions: mount.type === 'tmpfs' && (mount.tmpfsSizeBytes !== undefined || mount.tmpfsMode !== undefined)
      ? dropUndefined({ SizeBytes: mount.tmpfsSizeBytes, Mode: mount.tmpfsMode })
      : undefined,
  });
}

/** A container's `Mounts`, from the list or an inspection (the same shape in both). */
export function observedMounts(mounts: readonly DockerMountPoint[] | undefined | null): ObservedMount[] {
  return (mounts ?? []).map((mount) => dropUndefined({
    type: mount.Type as ObservedMount['type'],
    name: mount.Name || undefined,
    source: mount.Source ?? '',
    target: mount.Destination,
    readOnly: mount.RW === false,
    driver: mount.Driver || undefined,
  }));
}

/** `mounts` only when there are any, so a container without mounts looks as it did before mooring knew of them. */
export function mountsOf(mounts: readonly DockerMountPoint[] | undefined | null): { mounts?: ObservedMount[] } {
  const observed = observedMounts(mounts);
  return observed.length > 0 ? { mounts: observed } : {};
}

export interface DockerMountPoint {
  Type?: string;
  Name?: string;
  Source?: string;
  Destination: string;
  Driver?: string;
  RW?: boolean;
}

export interface DockerVolume {
  Name: string;
  Driver: string;
  Mountpoint: string;
  Labels?: Record<string, string> | null;
  Options?: Record<string, string> | null;
  CreatedAt?: string;
}

export function observedVolume(volume: DockerVolume): ObservedVolume {
  const created = volume.CreatedAt ? Date.parse(volume.CreatedAt) : NaN;
  return dropUndefined({
    name: volume.Name,
    driver: volume.Driver,
    driverOpts: volume.Options ?? {},
    labels: volume.Labels ?? {},
    mountpoint: volume.Mountpoint,
    createdAt: Number.isNaN(created) ? undefined : created,
  });
}

/** Whether API version `have` (`1.41`) is at least `need`. */
export function apiAtLeast(have: string, need: string): boolean {
  const [a = 0, b = 0] = have.split('.').map(Number);
  const [c = 0, d = 0] = need.split('.').map(Number);
  return a > c || (a === c && b >= d);
}
