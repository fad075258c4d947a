/**
 * What the engine's container list leaves out, remembered from inspections: each endpoint's
 * aliases and links (null in Engine 20.10's list), and the names of container ids (network
 * modes record the id). It lets a list of unchanged containers cost one request.
 */
import type { ContainerInspectInfo } from 'dockerode';
import type { ObservedEndpoint } from '../port.js';
import type { EndpointDetails, JoinedNetwork } from './mapping.js';
import { endpointDetails, joinedNetworks, networkMode, observedEndpoint } from './mapping.js';

export class EndpointCache {
  /**
   * By endpoint id: an endpoint's aliases and links never change (changing them
   * means disconnect and connect, a new endpoint), so a container is inspected
   * only when one of its endpoints is new. A stopped container's endpoints have
   * no id; they are keyed by container and network, and forgotten whenever
   * mooring connects or disconnects that container.
   */
  readonly #endpoints = new Map<string, EndpointDetails>();
  /** Container names by id, as of the last list. */
  #names: ReadonlyMap<string, string> = new Map();

  get names(): ReadonlyMap<string, string> {
    return this.#names;
  }

  /**
   * Takes a new list: `joined` holds each listed container's networks, by container id. Answers, per container,
   * its endpoints' details when all are known (a container missing from the answer has a new endpoint and must be
   * inspected), and forgets the endpoints no container has any more.
   */
  listed(names: ReadonlyMap<string, string>, joined: ReadonlyMap<string, JoinedNetwork[]>): Map<string, EndpointDetails[]> {
    this.#names = names;
    const seen = new Set<string>();
    const known = new Map<string, EndpointDetails[]>();
    for (const [id, networks] of joined) {
      const keys = networks.map((network) => endpointKey(id, network));
      keys.forEach((key) => seen.add(key));
      const details = keys.map((key) => this.#endpoints.get(key));
      if (details.every((entry) => entry !== undefined)) known.set(id, details);
    }
    for (const key of this.#endpoints.keys()) if (!seen.has(key)) this.#endpoints.delete(key);
    return known;
  }

  /** The endpoints of an inspected container, remembered for the next list. */
  inspected(info: ContainerInspectInfo): ObservedEndpoint[] {
    return joinedNetworks(networkMode(info.HostConfig.NetworkMode, this.#names), info.NetworkSettings.Networks).map((joined) => {
      const details = endpointDetails(info, joined.settings);
      this.#endpoints.set(endpointKey(info.Id, joined), details);
      return observedEndpoint(joined, details);
    });
  }

  /** Forgets a stopped container's endpoints, which have no id to tell a new one from the old. */
  forgetStopped(container: string): void {
    for (const [key, details] of this.#endpoints) {
      if (key.startsWith('stopped:') && (details.containerId === container || details.containerName === container)) this.#endpoints.delete(key);
    }
  }
}

function endpointKey(containerId: string, { network, settings }: JoinedNetwork): string {
  return settings.EndpointID ? `endpoint:${settings.EndpointID}` : `stopped:${containerId}:${network}`;
}
