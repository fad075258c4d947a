import type { ContainerNetwork, ContainerSpec } from './schema.js';

/** Docker's default network: the one a container joins when it names none. */
export const DEFAULT_NETWORK = 'bridge';

/** The built-in networks every engine has; manifests may reference them without declaring them. */
export const BUILT_IN_NETWORKS = [DEFAULT_NETWORK, 'host', 'none'] as const;

/** The networks a container joins: its declared ones, or the default network when it declares neither networks nor a network mode. */
export function containerNetworks(spec: ContainerSpec): ContainerNetwork[] {
  if (spec.networks) return spec.networks;
  return spec.networkMode ? [] : [{ name: DEFAULT_NETWORK, aliases: [] }];
}
