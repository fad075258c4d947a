/** Volumes: list, inspect with the containers that mount them, create, remove. */
import type { ObservedVolume, VolumeConfig, VolumeUsage } from '../port.js';
import type { EngineClient } from './client.js';
import { statusIn } from './client.js';
import { containerName } from './mapping.js';
import type { DockerVolume } from './volume-mapping.js';
import { observedVolume } from './volume-mapping.js';

export class Volumes {
  readonly #client: EngineClient;

  constructor(client: EngineClient) {
    this.#client = client;
  }

  async list(): Promise<ObservedVolume[]> {
    const listed = await this.#client.request('listVolumes', 'list volumes', (signal) => this.#client.docker.listVolumes({ abortSignal: signal }));
    return (listed.Volumes ?? []).map((volume) => observedVolume(volume as DockerVolume));
  }

  async inspect(name: string): Promise<(ObservedVolume & VolumeUsage) | undefined> {
    const volume = await this.#client.requestAbsorbing('inspectVolume', `inspect volume ${name}`, (signal) => this.#client.docker.getVolume(name).inspect({ abortSignal: signal }), statusIn(404));
    if (!volume) return undefined;
    const users = await this.#client.request('listContainers', `list the containers of volume ${name}`, (signal) =>
      this.#client.docker.listContainers({ all: true, filters: { volume: [name] }, abortSignal: signal }),
    );
    return { ...observedVolume(volume as DockerVolume), usedBy: users.map((info) => containerName(info.Names)).sort() };
  }

  /** The engine answers a create of an existing volume with that volume: it succeeds. */
  async create(config: VolumeConfig): Promise<void> {
    await this.#client.request('createVolume', `create volume ${config.name}`, (signal) =>
      this.#client.docker.createVolume({ Name: config.name, Driver: config.driver, DriverOpts: config.driverOpts, Labels: config.labels, abortSignal: signal }),
    );
  }

  /** A missing volume is removed: that succeeds. One in use is a 409, which no retry fixes. */
  async remove(name: string): Promise<void> {
    await this.#client.requestAbsorbing('removeVolume', `remove volume ${name}`, (signal) => this.#client.docker.getVolume(name).remove({ abortSignal: signal }), statusIn(404));
  }
}
