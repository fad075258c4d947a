import type { Engine, ObservedContainer, ObservedNetwork } from '../engine/port.js';
import { isOwnedBy } from '../engine/labels.js';

/** What the engine runs, read fresh at the start of every pass. */
export interface ObservedState {
  instance: string;
  /** Every network, owned or not: a declared name may be held by something mooring does not own. */
  networks: ObservedNetwork[];
  /** Every container, running or not, owned or not. */
  containers: ObservedContainer[];
}

/** Reads the engine's networks and containers: two list calls, nothing else. */
export async function observe(options: { engine: Engine; instance: string }): Promise<ObservedState> {
  const [networks, containers] = await Promise.all([options.engine.listNetworks(), options.engine.listContainers()]);
  return { instance: options.instance, networks, containers };
}

/** The containers and networks that carry this instance's ownership labels. */
export function ownedResources(observed: ObservedState): { networks: ObservedNetwork[]; containers: ObservedContainer[] } {
  return {
    networks: observed.networks.filter((network) => isOwnedBy(network.labels, observed.instance)),
    containers: observed.containers.filter((container) => isOwnedBy(container.labels, observed.instance)),
  };
}
