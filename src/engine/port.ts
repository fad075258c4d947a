/**
 * mooring's view of a container engine. Only mooring's own types cross this
 * interface; the dockerode adapter (`docker/`) is the one place that knows Docker's:
 * its strings (event actions, link and network-mode forms) stop there.
 */
import type { ContainerUpdate, ObservedRuntime, RuntimeConfig } from './runtime-config.js';

import type { MountConfig, ObservedMount, VolumeOperations } from './volumes.js';

export type { MountConfig, ObservedMount, ObservedVolume, VolumeConfig, VolumeOperations, VolumeUsage } from './volumes.js';

export type Protocol = 'tcp' | 'udp';

export interface EngineInfo {
  version: string;
  apiVersion: string;
}

/** The engine's place in a Docker Swarm, as far as mooring's overlay networks need it. */
export interface SwarmState {
  /** The engine's host name, which is also its Swarm node's. */
  hostname: string;
  /** Member of an active swarm. */
  active: boolean;
  /** A manager that can create and remove swarm-scoped networks (the engine's `ControlAvailable`). */
  manager: boolean;
  /** Why the engine is not an active member, in its own words, when it is not. */
  message?: string;
}

export interface IpamConfig {
  subnet?: string;
  gateway?: string;
  ipRange?: string;
}

/** What mooring asks the engine to create. */
export interface NetworkConfig {
  name: string;
  driver: string;
  internal: boolean;
  attachable: boolean;
  enableIPv6: boolean;
  ipam?: IpamConfig;
  /** Several pools (e.g. IPv4 and IPv6), when the manifest lists them; then `ipam` is unset. */
  ipamConfigs?: IpamConfig[];
  options: Record<string, string>;
  labels: Record<string, string>;
}

export interface ObservedNetwork extends NetworkConfig {
  id: string;
}

/** A container's membership in a network, as mooring asks for it. */
export interface EndpointConfig {
  network: string;
  aliases: string[];
  ipv4Address?: string;
  ipv6Address?: string;
  /** Network-scoped links, `container:alias`. */
  links: string[];
}

export interface ObservedEndpoint {
  network: string;
  networkId: string;
  endpointId: string;
  ipv4Address?: string;
  ipv6Address?: string;
  /** User-given aliases, without the engine's own (container id, name). */
  aliases: string[];
  /** Network-scoped links, `container:alias`, as `EndpointConfig` writes them. */
  links: string[];
}

export interface PortBinding {
  containerPort: number;
  protocol: Protocol;
  hostIp: string;
  /** Undefined: ephemeral. */
  hostPort?: number;
}

export interface HealthcheckConfig {
  test: string[];
  intervalNs?: number;
  timeoutNs?: number;
  retries?: number;
  startPeriodNs?: number;
}

export interface RestartPolicyConfig {
  name: 'no' | 'always' | 'unless-stopped' | 'on-failure';
}

/** Everything needed to create a container. */
export interface ContainerConfig {
  name: string;
  image: string;
  command?: string[];
  entrypoint?: string[];
  /** `NAME=value`, sorted by name. */
  env: string[];
  workingDir?: string;
  user?: string;
  hostname?: string;
  labels: Record<string, string>;
  restartPolicy: RestartPolicyConfig;
  /** `bridge`, `host`, `none`, `container:<name>`, or the name of the first network. */
  networkMode: string;
  /** Networks joined: the first at creation (the engine takes one), the rest connected right after. */
  endpoints: EndpointConfig[];
  /** `80/tcp`. */
  exposedPorts: string[];
  portBindings: PortBinding[];
  /** `name:ip`, ip may be `host-gateway`. */
  extraHosts: string[];
  /** Legacy links, `container:alias`. */
  links: string[];
  healthcheck?: HealthcheckConfig;
  stopTimeoutSeconds: number;
  /** Absent: none. */
  mounts?: MountConfig[];
  /** Resources, capabilities, devices, DNS, logging, ...: absent when the manifest sets none. */
  runtime?: RuntimeConfig;
}

export type ContainerStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface ObservedImage {
  id: string;
  /** As the engine lists them, e.g. `mooring/busybox:latest`. */
  tags: string[];
  labels: Record<string, string>;
}

/** An image built from a directory: the listed files are sent as the context, and the result is tagged `tag`. */
export interface ImageBuild {
  tag: string;
  /** Absolute. */
  context: string;
  /** Relative to `context`, `/`-separated: all that is sent. */
  files: string[];
  /** Relative to `context`. */
  dockerfile: string;
  args: Record<string, string>;
  /** The stage to build; absent: the last. */
  target?: string;
  /** Set on the image. */
  labels: Record<string, string>;
}

export interface ObservedContainer {
  id: string;
  name: string;
  image: string;
  /** The id of the image it was created from: its tag may point elsewhere since. */
  imageId?: string;
  labels: Record<string, string>;
  status: ContainerStatus;
  /**
   * `bridge`, `host`, `none`, `container:<name>` (by name, even though the engine records
   * the id; the id only when that container is gone), or a network's name.
   * `sharedNamespace()` (network-mode.ts) says which of these join no network of their own.
   */
  networkMode: string;
  endpoints: ObservedEndpoint[];
  /** Host ports the engine bound, including ephemeral ones. */
  portBindings: PortBinding[];
  /** Unix ms; only from `inspectContainer`. */
  startedAt?: number;
  finishedAt?: number;
  /** From `inspectContainer`; from the list only once the container exited. */
  exitCode?: number;
  restartCount?: number;
  /** Process id on the host; only from `inspectContainer`, 0 when not running. */
  pid?: number;
  /** Docker's health status, when the container has a healthcheck. */
  health?: 'starting' | 'healthy' | 'unhealthy';
  /** Absent: none. */
  mounts?: ObservedMount[];
  /** What `updateContainer` changes, as the engine reports it; the planner compares it with the manifest. */
  runtime?: ObservedRuntime;
}

/** What happened to a container, in mooring's words (the adapter maps the engine's actions to these). */
export type ContainerChange =
  | 'created'
  | 'started'
  | 'restarted'
  /** A signal was sent to its process; a `died` that follows one was asked for. */
  | 'killed'
  | 'died'
  /** The kernel killed its process for lack of memory. */
  | 'out-of-memory'
  | 'stopped'
  | 'destroyed'
  | 'paused'
  | 'unpaused'
  | 'renamed'
  /** Its resources or restart policy were changed in place. */
  | 'updated'
  /** Its healthcheck's verdict changed (`health`): what dependents waiting for it to be healthy wait on. */
  | 'health-changed';

/** What happened to a network, or to a container's membership in it. */
export type NetworkChange = 'created' | 'destroyed' | 'connected' | 'disconnected';

interface EventBase {
  /** Container or network id. */
  id: string;
  /** Container or network name, when the engine says it. */
  name?: string;
  /** The container's labels; network events carry none. */
  labels: Record<string, string>;
  /** Unix ms. */
  time: number;
}

export interface ContainerEvent extends EventBase {
  resource: 'container';
  change: ContainerChange;
}

export interface NetworkEvent extends EventBase {
  resource: 'network';
  change: NetworkChange;
  /** For `connected` and `disconnected`: the container's id. */
  containerId?: string;
}

/** A change to a container or network; the engine's other events (exec, attach, ...) do not cross the port. */
export type EngineEvent = ContainerEvent | NetworkEvent;

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * The operations mooring needs. Implementations absorb the engine's quirks:
 * stopping a stopped container and removing a missing one succeed; failures
 * are `EngineError`s that say whether a retry can help.
 */
export interface Engine extends VolumeOperations {
  info(): Promise<EngineInfo>;
  /** One request: whether the engine is in a swarm, and whether as a manager. */
  swarm(): Promise<SwarmState>;
  /** All networks, in one request. */
  listNetworks(): Promise<ObservedNetwork[]>;
  /** All containers, running or not, in as few requests as the engine allows. */
  listContainers(): Promise<ObservedContainer[]>;
  /** One container in full, or undefined when it does not exist. */
  inspectContainer(idOrName: string): Promise<ObservedContainer | undefined>;

  createNetwork(config: NetworkConfig): Promise<string>;
  removeNetwork(idOrName: string): Promise<void>;
  connectNetwork(container: string, endpoint: EndpointConfig): Promise<void>;
  /** One that is not connected, or a container or network that is gone, is disconnected: that succeeds. */
  disconnectNetwork(container: string, network: string): Promise<void>;

  imageExists(image: string): Promise<boolean>;
  pullImage(image: string): Promise<void>;
  /** Every local image with its tags, in one request. */
  listImages(): Promise<ObservedImage[]>;
  /**
   * Resolves once the image is built and tagged; `onOutput` gets each line the
   * build prints. A failed build rejects with a non-transient `EngineError`
   * whose message ends with the build's last lines.
   */
  buildImage(build: ImageBuild, onOutput?: (line: string) => void): Promise<void>;

  createContainer(config: ContainerConfig): Promise<string>;
  startContainer(idOrName: string): Promise<void>;
  /** Resumes a paused container; one that is not paused is left as it is. */
  unpauseContainer(idOrName: string): Promise<void>;
  stopContainer(idOrName: string, timeoutSeconds: number): Promise<void>;
  /** Changes a container's resources or restart policy in place. */
  updateContainer(idOrName: string, update: ContainerUpdate): Promise<void>;
  removeContainer(idOrName: string): Promise<void>;

  /** Runs a short-lived container to completion and removes it (the probe-container method). */
  runContainer(config: ContainerConfig, options: { timeoutMs: number }): Promise<RunResult>;

  /** Engine events for containers and networks until `signal` aborts; ends (or throws) when the stream drops. */
  events(options: { signal: AbortSignal }): AsyncIterable<EngineEvent>;
}

/** The `Engine` methods that change something (each one request to the engine), for request counts. */
export const MUTATING_METHODS: ReadonlySet<keyof Engine> = new Set<keyof Engine>([
  'createNetwork',
  'removeNetwork',
  'connectNetwork',
  'disconnectNetwork',
  'pullImage',
  'buildImage',
  'createContainer',
  'startContainer',
  'unpauseContainer',
  'stopContainer',
  'updateContainer',
  'removeContainer',
  'createVolume',
  'removeVolume',
]);
