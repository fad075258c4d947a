import type { ContainerConfig } from './port.js';
import { DEFAULT_STOP_TIMEOUT_SECONDS } from '../manifests/schema.js';
import { DEFAULT_NETWORK } from '../manifests/container-networks.js';

/**
 * A `ContainerConfig` with what `partial` leaves out filled in: no environment, labels,
 * ports, extra hosts or links, restart policy `no`, the default bridge network, and
 * the stop timeout a manifest gets when it gives none.
 */
export function containerConfig(partial: Partial<ContainerConfig> & Pick<ContainerConfig, 'name' | 'image'>): ContainerConfig {
  return {
    env: [],
    labels: {},
    restartPolicy: { name: 'no' },
    networkMode: DEFAULT_NETWORK,
    endpoints: [],
    exposedPorts: [],
    portBindings: [],
    extraHosts: [],
    links: [],
    stopTimeoutSeconds: DEFAULT_STOP_TIMEOUT_SECONDS,
    ...partial,
  };
}
