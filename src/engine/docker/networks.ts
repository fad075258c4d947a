/** Networks, and containers' endpoints in them. */
import type { NetworkConnectOptions } from 'dockerode';
import type { EndpointConfig, NetworkConfig, ObservedNetwork } from '../port.js';
import type { EngineClient } from './client.js';
import { statusIn } from './client.js';
import type { EndpointCache } from './endpoint-cache.js';
import { endpointSettings, networkCreateBody, observedNetwork } from './mapping.js';

export class Networks {
  readonly #client: EngineClient;
  readonly #cache: EndpointCache;

  constructor(client: EngineClient, cache: EndpointCache) {
    this.#client = client;
    this.#cache = cache;
  }

  async list(): Promise<ObservedNetwork[]> {
    const networks = await this.#client.request('listNetworks', 'list networks', (signal) => this.#client.docker.listNetworks({ abortSignal: signal }));
    return networks.map(observedNetwork);
  }

  async create(config: NetworkConfig): Promise<string> {
    const network = await this.#client.request('createNetwork', `create network ${config.name}`, (signal) =>
      this.#client.docker.createNetwork({ ...networkCreateBody(config), abortSignal: signal }),
    );
    return network.id;
  }

  async remove(idOrName: string): Promise<void> {
    await this.#client.requestAbsorbing('removeNetwork', `remove network ${idOrName}`, (signal) => this.#client.docker.getNetwork(idOrName).remove({ abortSignal: signal }), statusIn(404));
  }

  async connect(container: string, endpoint: EndpointConfig): Promise<void> {
    this.#cache.forgetStopped(container);
    await this.#client.request('connectNetwork', `connect container ${container} to network ${endpoint.network}`, (signal) =>
      this.#client.docker.getNetwork(endpoint.network).connect({ Container: container, EndpointConfig: endpointSettings(endpoint), abortSignal: signal } as NetworkConnectOptions),
    );
  }

  /**
   * A container or network that is gone is not connected: that succeeds. So does a container
   * that is not connected, which the engine answers with a 500 that retrying would never fix.
   */
  async disconnect(container: string, network: string): Promise<void> {
    this.#cache.forgetStopped(container);
    await this.#client.requestAbsorbing(
      'disconnectNetwork',
      `disconnect container ${container} from network ${network}`,
      (signal) => this.#client.docker.getNetwork(network).disconnect({ Container: container, Force: false, abortSignal: signal }),
      (error) => statusIn(404)(error) || /is not connected to (the )?network/.test(error.message),
    );
  }
}
