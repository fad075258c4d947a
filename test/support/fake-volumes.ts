/**
 * The FakeEngine's volumes and container mounts, as Docker keeps them: a
 * mount of a volume that does not exist creates it (unlabelled, as `docker
 * run -v` does), an image's `VOLUME` without a mount gets an anonymous volume,
 * a bind's missing host path is refused unless it may be created (then it is
 * made, on the real file system, as the engine makes it), and a
 * volume in use cannot be removed.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { ContainerConfig, ObservedMount, ObservedVolume, VolumeConfig, VolumeUsage } from '../../src/engine/port.js';
import { EngineError } from '../../src/errors.js';

export class FakeVolumes {
  readonly #volumes = new Map<string, ObservedVolume>();
  /** By image: the targets of its `VOLUME`s. */
  readonly #imageVolumes: Readonly<Record<string, readonly string[]>>;
  /** The names of the containers that mount a volume. */
  readonly #usersOf: (volume: string) => string[];

  constructor(options: { imageVolumes?: Record<string, string[]>; usersOf: (volume: string) => string[] }) {
    this.#imageVolumes = options.imageVolumes ?? {};
    this.#usersOf = options.usersOf;
  }

  /** Adds a volume as if someone had created it. */
  seed(config: Partial<VolumeConfig> & { name: string }): ObservedVolume {
    const volume = observed({ driver: 'local', driverOpts: {}, labels: {}, ...config });
    this.#volumes.set(volume.name, volume);
    return volume;
  }

  get(name: string): ObservedVolume | undefined {
    const volume = this.#volumes.get(name);
    return volume && structuredClone(volume);
  }

  list(): ObservedVolume[] {
    return [...this.#volumes.values()].map((volume) => structuredClone(volume));
  }

  inspect(name: string): (ObservedVolume & VolumeUsage) | undefined {
    const volume = this.get(name);
    return volume && { ...volume, usedBy: this.#usersOf(name).sort() };
  }

  create(config: VolumeConfig): void {
    const existing = this.#volumes.get(config.name);
    if (existing && existing.driver !== config.driver) {
      throw new EngineError(`create ${config.name}: volume name must be unique`, { statusCode: 409, transient: false });
    }
    if (!existing) this.#volumes.set(config.name, observed(structuredClone(config)));
  }

  remove(name: string): void {
    if (!this.#volumes.has(name)) return;
    const users = this.#usersOf(name);
    if (users.length > 0) throw new EngineError(`remove ${name}: volume is in use - [${users.join(', ')}]`, { statusCode: 409, transient: false });
    this.#volumes.delete(name);
  }

  /** The mounts a new container gets, creating the volumes it names; throws as the engine refuses a bad mount. */
  mountsFor(config: ContainerConfig): ObservedMount[] {
    const mounts: ObservedMount[] = [];
    for (const mount of config.mounts ?? []) {
      if (mount.type === 'bind') {
        if (!mount.createHostPath && !existsSync(mount.source!)) {
          throw new EngineError(`invalid mount config for type "bind": bind source path does not exist: ${mount.source}`, { statusCode: 400, transient: false });
        }
        // As `-v` does: the engine makes the missing host path a directory.
        if (mount.createHostPath) mkdirSync(mount.source!, { recursive: true });
        mounts.push({ type: 'bind', source: mount.source!, target: mount.target, readOnly: mount.readOnly });
      } else if (mount.type === 'volume') {
        mounts.push(this.#volumeMount(mount.source!, mount.target, mount.readOnly));
      } else {
        mounts.push({ type: 'tmpfs', source: '', target: mount.target, readOnly: mount.readOnly });
      }
    }
    for (const target of this.#imageVolumes[config.image] ?? []) {
      if (!mounts.some((mount) => mount.target === target)) mounts.push(this.#volumeMount(randomBytes(32).toString('hex'), target, false));
    }
    return mounts;
  }

  #volumeMount(name: string, target: string, readOnly: boolean): ObservedMount {
    if (!this.#volumes.has(name)) this.seed({ name });
    const volume = this.#volumes.get(name)!;
    return { type: 'volume', name, source: volume.mountpoint, target, readOnly, driver: volume.driver };
  }
}

function observed(config: VolumeConfig): ObservedVolume {
  return { ...config, mountpoint: `/var/lib/docker/volumes/${config.name}/_data`, createdAt: Date.now() };
}
