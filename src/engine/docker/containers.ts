/** Containers: list (with the endpoint cache), inspect, create, start, stop, remove, and run to completion. */
import type { ContainerInfo, ContainerInspectInfo, DockerVersion } from 'dockerode';
import { eachLimited } from '../../each-limited.js';
import { errorMessage } from '../../errors.js';
import { EngineError } from '../../errors.js';
import { namespaceOwner } from '../network-mode.js';
import type { ContainerConfig, ObservedContainer, RunResult } from '../port.js';
import type { EngineClient } from './client.js';
import { engineMessage, statusIn } from './client.js';
import type { EndpointCache } from './endpoint-cache.js';
import { containerCreateBody, containerName, inspectedContainer, inspectedName, joinedNetworks, listedContainer, networkMode, observedEndpoint } from './mapping.js';
import type { Networks } from './networks.js';
import { demuxLogs } from './streams.js';
import { SUBPATH_API_VERSION, apiAtLeast } from './volume-mapping.js';
import type { ContainerUpdate } from '../runtime-config.js';
import { RuntimeCache, updateBody } from './runtime.js';

/**
 * The answers to a start when the runtime still holds state for the container's id: the engine was stopped
 * after creating the container's task (containerd: `task <id>: already exists`) or its runc container (`id
 * already in use`) and before starting it, and on its return it cleans up only after running containers.
 */
const STALE_TASK = /\btask [0-9a-f]+: already exists|\bid already in use\b/;

/** Inspections at once when the alias cache misses, e.g. on the first pass over many containers. */
const INSPECT_CONCURRENCY = 8;

export class Containers {
  readonly #client: EngineClient;
  readonly #cache: EndpointCache;
  readonly #networks: Networks;
  readonly #runtimes = new RuntimeCache();

  constructor(client: EngineClient, cache: EndpointCache, networks: Networks) {
    this.#client = client;
    this.#cache = cache;
    this.#networks = networks;
  }

  async list(): Promise<ObservedContainer[]> {
    const listed = await this.#client.request('listContainers', 'list containers', (signal) => this.#client.docker.listContainers({ all: true, abortSignal: signal }));
    const names = new Map(listed.map((info) => [info.Id, containerName(info.Names)]));
    const modes = new Map(listed.map((info) => [info.Id, networkMode(info.HostConfig.NetworkMode, names)]));
    const joined = new Map(listed.map((info) => [info.Id, joinedNetworks(modes.get(info.Id)!, info.NetworkSettings.Networks)]));
    const known = this.#cache.listed(names, joined);
    this.#runtimes.listed(new Set(names.keys()));
    const misses = listed.filter((info) => !known.has(info.Id) || !this.#runtimes.get(info.Id));

    const inspected = new Map<string, ContainerInspectInfo | undefined>();
    if (misses.length > 0) this.#client.logger.debug('inspecting containers for their endpoint aliases', { containers: misses.map((info) => names.get(info.Id)) });
    await eachLimited(misses, INSPECT_CONCURRENCY, async (info: ContainerInfo) => {
      inspected.set(info.Id, await this.#inspect(info.Id));
    });

    return listed.flatMap((info) => {
      const mode = modes.get(info.Id)!;
      const details = known.get(info.Id);
      const runtime = this.#runtimes.get(info.Id);
      if (details && runtime) return [{ ...listedContainer(info, mode, joined.get(info.Id)!.map((network, index) => observedEndpoint(network, details[index]!))), runtime }];
      // Fresher than the list, and it may have changed since: its endpoints are taken whole. Gone meanwhile: left out.
      const full = inspected.get(info.Id);
      return full ? [{ ...listedContainer(info, mode, this.#cache.inspected(full)), runtime: this.#runtimes.inspected(full) }] : [];
    });
  }

  async inspect(idOrName: string): Promise<ObservedContainer | undefined> {
    const info = await this.#inspect(idOrName);
    if (!info) return undefined;
    return { ...inspectedContainer(info, await this.#networkMode(info.HostConfig.NetworkMode), this.#cache.inspected(info)), runtime: this.#runtimes.inspected(info) };
  }

  /** Creates the container in its first network; any further endpoints are connected right after. */
  async create(config: ContainerConfig): Promise<string> {
    if (config.mounts?.some((mount) => mount.subpath !== undefined)) await this.#requireSubpathSupport(config.name);
    const created = await this.#client.request('createContainer', `create container ${config.name}`, (signal) =>
      this.#client.docker.createContainer({ ...containerCreateBody(config), abortSignal: signal }),
    );
    for (const endpoint of config.endpoints.slice(1)) await this.#networks.connect(created.id, endpoint);
    return created.id;
  }

  /**
   * A running container is started: that succeeds. An engine stopped in the middle of a start keeps the
   * container's runtime task and refuses every later start of it: that is an `unstartable` error.
   */
  async start(idOrName: string): Promise<void> {
    try {
      await this.#client.requestAbsorbing('startContainer', `start container ${idOrName}`, (signal) => this.#client.docker.getContainer(idOrName).start({ abortSignal: signal }), statusIn(304));
    } catch (error) {
      if (!(error instanceof EngineError) || error.statusCode !== 500 || !STALE_TASK.test(engineMessage(error.cause))) throw error;
      throw new EngineError(`${error.message} (the engine kept the task of a start it was stopped in the middle of; no start of this container can succeed)`, {
        statusCode: 500,
        transient: false,
        kind: 'unstartable',
        cause: error.cause,
      });
    }
  }

  async unpause(idOrName: string): Promise<void> {
    // The engine answers 500 "is not paused" for a container that is not: the pass that follows sees what it is instead.
    await this.#client.requestAbsorbing('unpauseContainer', `unpause container ${idOrName}`, () => this.#client.docker.getContainer(idOrName).unpause(), (error) => /is not paused/.test(error.message));
  }

  /** A stopped or missing container is stopped: that succeeds. The engine may take the stop timeout before it kills. */
  async stop(idOrName: string, timeoutSeconds: number): Promise<void> {
    await this.#client.requestAbsorbing(
      'stopContainer',
      `stop container ${idOrName}`,
      (signal) => this.#client.docker.getContainer(idOrName).stop({ t: timeoutSeconds, abortSignal: signal }),
      statusIn(304, 404),
      { deadlineMs: timeoutSeconds * 1000 + this.#client.stopMarginMs },
    );
  }

  /** Resources and restart policy, in place. */
  async update(idOrName: string, update: ContainerUpdate): Promise<void> {
    this.#runtimes.forget(idOrName);
    await this.#client.request('updateContainer', `update container ${idOrName}`, (signal) =>
      this.#client.docker.getContainer(idOrName).update({ ...updateBody(update), abortSignal: signal }),
    );
  }

  /** Forced, so a container that a restart policy brought back between stop and remove goes too. Volumes stay. */
  async remove(idOrName: string): Promise<void> {
    await this.#client.requestAbsorbing(
      'removeContainer',
      `remove container ${idOrName}`,
      (signal) => this.#client.docker.getContainer(idOrName).remove({ force: true, v: false, abortSignal: signal }),
      (error) => statusIn(404)(error) || (error.statusCode === 409 && /already in progress/.test(error.message)),
    );
  }

  async run(config: ContainerConfig, options: { timeoutMs: number }): Promise<RunResult> {
    const id = await this.create(config);
    const container = this.#client.docker.getContainer(id);
    try {
      await this.start(id);
      let exitCode: number;
      try {
        const waited = await this.#client.request(
          'waitContainer',
          `wait for container ${config.name}`,
          (signal) => container.wait({ condition: 'not-running', abortSignal: signal }) as Promise<{ StatusCode: number }>,
          { deadlineMs: options.timeoutMs },
        );
        exitCode = waited.StatusCode;
      } catch (error) {
        if (!(error instanceof EngineError) || error.kind !== 'timeout') throw error;
        throw new EngineError(`run container ${config.name}: it did not exit within ${options.timeoutMs} ms`, { transient: true, cause: error });
      }
      const logs = await this.#client.request('containerLogs', `read the logs of container ${config.name}`, (signal) =>
        container.logs({ stdout: true, stderr: true, follow: false, abortSignal: signal }) as unknown as Promise<Buffer>,
      );
      return { exitCode, ...demuxLogs(logs) };
    } finally {
      await this.remove(id).catch((error: unknown) => this.#client.logger.warn(`cannot remove the finished container ${config.name}`, { error: errorMessage(error) }));
    }
  }

  /** An engine older than the subpath option would ignore it and mount the whole volume: refuse instead. */
  async #requireSubpathSupport(container: string): Promise<void> {
    const version = await this.#client.request('version', 'read the engine version', (signal) => (this.#client.docker as unknown as { version(options: { abortSignal: AbortSignal }): Promise<DockerVersion> }).version({ abortSignal: signal }));
    if (apiAtLeast(version.ApiVersion, SUBPATH_API_VERSION)) return;
    throw new EngineError(`create container ${container}: a volume mount's subpath needs Engine API ${SUBPATH_API_VERSION}, the engine speaks ${version.ApiVersion}; an older engine would mount the whole volume`, { transient: false });
  }

  async #inspect(idOrName: string): Promise<ContainerInspectInfo | undefined> {
    return this.#client.requestAbsorbing(
      'inspectContainer',
      `inspect container ${idOrName}`,
      (signal) => this.#client.docker.getContainer(idOrName).inspect({ abortSignal: signal }),
      statusIn(404),
    );
  }

  /** The network mode by name: the engine records `container:<id>`; an id the last list did not show is looked up. */
  async #networkMode(raw: string | undefined): Promise<string> {
    const owner = raw === undefined ? undefined : namespaceOwner(raw);
    if (owner === undefined || this.#cache.names.has(owner)) return networkMode(raw, this.#cache.names);
    const info = await this.#inspect(owner);
    return networkMode(raw, new Map(info ? [[owner, inspectedName(info)]] : []));
  }
}
