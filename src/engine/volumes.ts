/**
 * The storage part of the engine port: volumes, and the mounts of a
 * container. mooring's own types; the Docker adapter maps them.
 */

/** One mount, as mooring asks the engine for it. */
export interface MountConfig {
  type: 'volume' | 'bind' | 'tmpfs';
  /** A volume's name, or an absolute host path; absent for tmpfs. */
  source?: string;
  target: string;
  readOnly: boolean;
  /** Volumes only: a directory inside the volume. */
  subpath?: string;
  /** Volumes only: a new, empty volume is not filled with the image's files at the target. @default false */
  noCopy?: boolean;
  /** Binds only: create a missing host path as a directory. @default false */
  createHostPath?: boolean;
  /** tmpfs only. */
  tmpfsSizeBytes?: number;
  /** tmpfs only: the mode bits, e.g. 0o1777. */
  tmpfsMode?: number;
}

/** A mount as the engine reports it on a container. */
export interface ObservedMount {
  type: 'volume' | 'bind' | 'tmpfs' | 'npipe';
  /** Volumes: the volume's name (64 hex digits for an anonymous one). */
  name?: string;
  /** Binds: the host path; volumes: where the volume's data lives on the host. */
  source: string;
  target: string;
  readOnly: boolean;
  driver?: string;
}

export interface VolumeConfig {
  name: string;
  driver: string;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
}

export interface ObservedVolume extends VolumeConfig {
  /** Where its data lives on the host, as the engine says. */
  mountpoint: string;
  /** Unix ms, when the engine says. */
  createdAt?: number;
}

export interface VolumeUsage {
  /** Names of the containers, running or not, that mount the volume. */
  usedBy: string[];
}

export interface VolumeOperations {
  /** All volumes, in one request. */
  listVolumes(): Promise<ObservedVolume[]>;
  /** One volume with the containers that mount it, or undefined when it does not exist. */
  inspectVolume(name: string): Promise<(ObservedVolume & VolumeUsage) | undefined>;
  /** Creating one that exists with the same driver succeeds, as the engine's own create does. */
  createVolume(config: VolumeConfig): Promise<void>;
  /** Removing one that is gone succeeds; one in use fails (a conflict: terminal). */
  removeVolume(name: string): Promise<void>;
}

/** An anonymous volume (from an image's `VOLUME`, or a mount with no source) is named by 64 hex digits. */
export function isAnonymousVolume(mount: ObservedMount): boolean {
  return mount.type === 'volume' && mount.name !== undefined && /^[0-9a-f]{64}$/.test(mount.name);
}
