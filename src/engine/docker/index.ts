/**
 * The Docker engine behind mooring's `Engine` port, over dockerode. Docker's
 * quirks stop here: 304 from start/stop and 404 from removals are successes,
 * every failure becomes an `EngineError` that names what failed and says
 * whether retrying can help, every request has a deadline, and only mooring's
 * own types leave this directory. This class only delegates: requests go through
 * `client.ts`, each resource has its module, and `mapping.ts` translates.
 */
import type { DockerVersion } from 'dockerode';
import type { Logger } from '../../log.js';
import { positive } from '../../positive.js';
import { DEFAULT_PULL_IDLE_MS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_STOP_MARGIN_MS, resolveEngineAddress } from '../connection.js';
import type { ContainerConfig, EndpointConfig, Engine, EngineEvent, EngineInfo, ImageBuild, NetworkConfig, ObservedContainer,
  ObservedImage, ObservedNetwork, ObservedVolume, RunResult, SwarmState, VolumeConfig, VolumeUsage } from '../port.js';
import type { RequestCounts } from './client.js';
import { EngineClient } from './client.js';
import { Containers } from './containers.js';
import { EndpointCache } from './endpoint-cache.js';
import { engineEvents } from './events.js';
import { Images } from './images.js';
import { Networks } from './networks.js';
import type { EngineSystemInfo } from './mapping.js';
import { swarmState } from './mapping.js';
import { Volumes } from './volumes.js';
import type { ContainerUpdate } from '../runtime-config.js';

export interface DockerEngineOptions {
  /** `unix:///path` or `tcp://host:port`. @default `DOCKER_HOST` from `env`, then the local socket */
  dockerHost?: string;
  /** Where `DOCKER_HOST`, `DOCKER_TLS_VERIFY`, `DOCKER_TLS` and `DOCKER_CERT_PATH` are read. @default process.env */
  env?: NodeJS.ProcessEnv;
  logger: Logger;
  /** How long one request may go unanswered; the engine is then taken for hung. @default DEFAULT_REQUEST_TIMEOUT_MS (10 s) */
  requestTimeoutMs?: number;
  /** A stop may take the container's stop timeout plus this. @default DEFAULT_STOP_MARGIN_MS (10 s) */
  stopMarginMs?: number;
  /** How long a pull's progress stream may stay quiet. @default DEFAULT_PULL_IDLE_MS (60 s) */
  pullIdleMs?: number;
}

export class DockerEngine implements Engine {
  readonly #client: EngineClient;
  readonly #networks: Networks;
  readonly #containers: Containers;
  readonly #images: Images;
  readonly #volumes: Volumes;

  constructor(options: DockerEngineOptions) {
    this.#client = new EngineClient({
      address: resolveEngineAddress({ dockerHost: options.dockerHost, env: options.env ?? process.env }),
      logger: options.logger.child({ component: 'engine' }),
      requestTimeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
      stopMarginMs: positive('stopMarginMs', options.stopMarginMs ?? DEFAULT_STOP_MARGIN_MS),
      pullIdleMs: positive('pullIdleMs', options.pullIdleMs ?? DEFAULT_PULL_IDLE_MS),
    });
    const cache = new EndpointCache();
    this.#networks = new Networks(this.#client, cache);
    this.#containers = new Containers(this.#client, cache, this.#networks);
    this.#images = new Images(this.#client);
    this.#volumes = new Volumes(this.#client);
  }

  /** Where the engine is reached, e.g. `unix:///var/run/docker.sock`. */
  get address(): string {
    return this.#client.address.url;
  }

  requestCounts(): RequestCounts {
    return this.#client.counts();
  }

  async info(): Promise<EngineInfo> {
    const version = await this.#client.request('version', 'read the engine version', (signal) => (this.#client.docker as unknown as SignalTaking).version({ abortSignal: signal }));
    return { version: version.Version, apiVersion: version.ApiVersion };
  }

  async swarm(): Promise<SwarmState> {
    return swarmState(await this.#client.request('swarm', 'read the engine\'s swarm state', (signal) => (this.#client.docker as unknown as SignalTaking).info({ abortSignal: signal })));
  }

  listNetworks(): Promise<ObservedNetwork[]> {
    return this.#networks.list();
  }

  listContainers(): Promise<ObservedContainer[]> {
    return this.#containers.list();
  }

  inspectContainer(idOrName: string): Promise<ObservedContainer | undefined> {
    return this.#containers.inspect(idOrName);
  }

  createNetwork(config: NetworkConfig): Promise<string> {
    return this.#networks.create(config);
  }

  removeNetwork(idOrName: string): Promise<void> {
    return this.#networks.remove(idOrName);
  }

  connectNetwork(container: string, endpoint: EndpointConfig): Promise<void> {
    return this.#networks.connect(container, endpoint);
  }

  disconnectNetwork(container: string, network: string): Promise<void> {
    return this.#networks.disconnect(container, network);
  }

  imageExists(image: string): Promise<boolean> {
    return this.#images.exists(image);
  }

  pullImage(image: string): Promise<void> {
    return this.#images.pull(image);
  }

  listImages(): Promise<ObservedImage[]> {
    return this.#images.list();
  }

  buildImage(build: ImageBuild, onOutput?: (line: string) => void): Promise<void> {
    return this.#images.build(build, onOutput);
  }

  createContainer(config: ContainerConfig): Promise<string> {
    return this.#containers.create(config);
  }

  startContainer(idOrName: string): Promise<void> {
    return this.#containers.start(idOrName);
  }

  unpauseContainer(idOrName: string): Promise<void> {
    return this.#containers.unpause(idOrName);
  }

  stopContainer(idOrName: string, timeoutSeconds: number): Promise<void> {
    return this.#containers.stop(idOrName, timeoutSeconds);
  }

  removeContainer(idOrName: string): Promise<void> {
    return this.#containers.remove(idOrName);
  }

  updateContainer(idOrName: string, update: ContainerUpdate): Promise<void> {
    return this.#containers.update(idOrName, update);
  }

  runContainer(config: ContainerConfig, options: { timeoutMs: number }): Promise<RunResult> {
    return this.#containers.run(config, options);
  }

  listVolumes(): Promise<ObservedVolume[]> {
    return this.#volumes.list();
  }

  inspectVolume(name: string): Promise<(ObservedVolume & VolumeUsage) | undefined> {
    return this.#volumes.inspect(name);
  }

  createVolume(config: VolumeConfig): Promise<void> {
    return this.#volumes.create(config);
  }

  removeVolume(name: string): Promise<void> {
    return this.#volumes.remove(name);
  }

  events(options: { signal: AbortSignal }): AsyncIterable<EngineEvent> {
    return engineEvents(this.#client, options.signal, this.#images);
  }
}

/** Calls where dockerode passes an abort signal on but its types leave it out. (Inspecting an image takes none: the deadline gives up on it alone.) */
interface SignalTaking {
  version(options: { abortSignal: AbortSignal }): Promise<DockerVersion>;
  info(options: { abortSignal: AbortSignal }): Promise<EngineSystemInfo>;
}
