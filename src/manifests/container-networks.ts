import type { ContainerNetwork, ContainerSpec } from './schema.js';

/** The built-in networks every engine has; manifests may reference them without declaring them. */
export const BUILT_IN_NETWORKS = ['bridge', 'host', 'none'] as const;

/** The networks a container joins: its declared ones, or the built-in `bridge` when it declares neither networks nor a network mode. */
export function containerNetworks(spec: ContainerSpec): ContainerNetwork[] {
  if (spec.networks) return spec.networks;
  return spec.networkMode ? [] : [{ name: 'bridge', aliases: [] }];
}
