/**
 * How a container's process runs, in mooring's own types (issue 15): part of
 * `ContainerConfig` at creation, and, for what the engine can change on a
 * running container, what `Engine.updateContainer` takes and what
 * `ObservedContainer.runtime` reports. A member left out is the engine's
 * default and is not sent.
 */

/** Sizes in bytes; `cpus` as a number of CPUs. */
export interface ResourcesConfig {
  memory?: number;
  /** Memory plus swap; -1: unlimited swap. */
  memorySwap?: number;
  memoryReservation?: number;
  cpus?: number;
  cpuShares?: number;
  cpuset?: string;
  /** -1: unlimited. */
  pidsLimit?: number;
}

export const RESOURCE_FIELDS = ['memory', 'memorySwap', 'memoryReservation', 'cpus', 'cpuShares', 'cpuset', 'pidsLimit'] as const satisfies readonly (keyof ResourcesConfig)[];

export interface DeviceConfig {
  pathOnHost: string;
  pathInContainer: string;
  /** `rwm` or part of it. */
  permissions: string;
}

export interface UlimitConfig {
  name: string;
  soft: number;
  hard: number;
}

export interface RuntimeConfig {
  resources?: ResourcesConfig;
  capAdd?: string[];
  capDrop?: string[];
  privileged?: boolean;
  devices?: DeviceConfig[];
  ulimits?: UlimitConfig[];
  sysctls?: Record<string, string>;
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  readOnlyRootfs?: boolean;
  init?: boolean;
  stopSignal?: string;
  shmSize?: number;
  securityOpt?: string[];
  groupAdd?: string[];
  oomScoreAdj?: number;
  /** `host` or `container:<name>`. */
  pid?: string;
  /** `private`, `shareable`, `host`, `none` or `container:<name>`. */
  ipc?: string;
  logging?: { driver: string; options: Record<string, string> };
}

/** What the engine changes on a running container without recreating it. */
export interface ContainerUpdate {
  resources?: ResourcesConfig;
  restartPolicy?: 'no' | 'always' | 'unless-stopped' | 'on-failure';
}

/** A container's settings that `updateContainer` changes, as the engine reports them now. */
export interface ObservedRuntime {
  /** Only the limits that are set; 0 (unlimited) is left out. */
  resources: ResourcesConfig;
  restartPolicy: NonNullable<ContainerUpdate['restartPolicy']>;
}
