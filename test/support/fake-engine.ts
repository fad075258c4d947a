/**
 * An in-memory `Engine` for unit tests. It keeps networks, containers and images,
 * enforces the rules the real engine enforces (unique names, an image to create
 * from, a network to join, no removal of a network in use), absorbs what the
 * Docker adapter absorbs (stop a stopped container, remove a missing one), and
 * emits events as the real one does. `test/contract/` runs the same cases against
 * it and the real engine: what it does differently from Docker shows there.
 *
 * Every method is an ordinary method, so `sinon.spy(engine, 'createContainer')`
 * works; `calls` records every call in order. `failNext` makes calls fail.
 */
import { randomBytes } from 'node:crypto';
import type {
  ImageBuild,
  ObservedImage,
  ContainerChange,
  ContainerConfig,
  ContainerStatus,
  EndpointConfig,
  Engine,
  EngineEvent,
  EngineInfo,
  NetworkChange,
  NetworkConfig,
  ObservedContainer,
  ObservedEndpoint,
  ObservedNetwork,
  RunResult,
  SwarmState,
} from '../../src/engine/port.js';
import { MUTATING_METHODS } from '../../src/engine/port.js';
import type { ContainerUpdate, ObservedRuntime, ResourcesConfig } from '../../src/engine/runtime-config.js';
import { dropUndefined } from '../../src/drop-undefined.js';
import { containerConfig } from '../../src/engine/container-config.js';
import { containerMode, namespaceOwner, sharedNamespace } from '../../src/engine/network-mode.js';
import { EngineError } from '../../src/errors.js';
import type { ObservedVolume, VolumeConfig, VolumeUsage } from '../../src/engine/port.js';
import { FakeVolumes } from './fake-volumes.js';
import { BUILT_IN_NETWORKS, DEFAULT_NETWORK } from '../../src/manifests/container-networks.js';

export type EngineMethod = Exclude<keyof Engine, 'events'> | 'events';

/** The calls that change something: one request each to a real engine, and `runContainer`, which makes several. */
export const MUTATING_CALLS: ReadonlySet<EngineMethod> = new Set<EngineMethod>([...MUTATING_METHODS, 'runContainer']);

export interface FakeEngineOptions {
  /** Images present from the start. @default ['mooring/busybox:latest'] */
  images?: string[];
  /** Images `pullImage` can fetch; pulling anything else fails as a registry would. @default [] */
  pullable?: string[];
  /** @default '20.10.24' */
  version?: string;
  /** Reported by `runContainer`. @default { exitCode: 0, stdout: '', stderr: '' } */
  runResult?: RunResult;
  /** By image, the targets of its `VOLUME`s: a container gets an anonymous volume for each it does not mount. @default {} */
  imageVolumes?: Record<string, string[]>;
}

export interface FakeCall {
  method: EngineMethod;
  args: unknown[];
}

interface Failure {
  method: EngineMethod;
  error: Error;
  times: number;
  when: ((...args: unknown[]) => boolean) | undefined;
}

interface FakeContainer {
  config: ContainerConfig;
  observed: ObservedContainer;
  /** By network id, the address an endpoint asked for: all it shows while the container has no process. */
  requested: Map<string, string | undefined>;
}

const BUILTIN_NETWORKS: readonly string[] = BUILT_IN_NETWORKS;

const DEFAULT_IMAGE = 'mooring/busybox:latest';

/** States in which a container has a process, and so live endpoints. */
const LIVE: ReadonlySet<ContainerStatus> = new Set(['running', 'paused', 'restarting']);

/** What only an inspection shows; the engine's container list leaves it out. */
const INSPECT_ONLY = ['startedAt', 'finishedAt', 'restartCount', 'pid'] as const;

export class FakeEngine implements Engine {
  readonly calls: FakeCall[] = [];
  readonly images: Set<string>;
  readonly pullable: Set<string>;
  /** While false, every call fails as when the engine's socket does not answer. */
  available = true;
  runResult: RunResult;
  /** What `swarm()` answers: by default, a host in no swarm. */
  swarmState: SwarmState = { hostname: 'fake-host', active: false, manager: false, message: 'This node is not part of a swarm' };
  /** Volumes, and the mounts containers get. */
  readonly volumes: FakeVolumes;
  readonly #version: string;
  readonly #networks = new Map<string, ObservedNetwork>();
  readonly #containers = new Map<string, FakeContainer>();
  readonly #failures: Failure[] = [];
  readonly #imageIds = new Map<string, string>();
  readonly #remoteIds = new Map<string, string>();
  readonly #imageLabels = new Map<string, Record<string, string>>();
  /** Every build, in order: the fake builds whatever it is sent, naming each image `sha256:built-<n>`. */
  readonly builds: ImageBuild[] = [];
  readonly #listeners = new Set<(event: EngineEvent | Error) => void>();
  /** What the container list still shows of a container whose state changed (`setStatus` with `listLags`). */
  readonly #listView = new Map<string, ObservedContainer>();
  /** By network id, the last host number an endpoint was given. */
  readonly #lastHost = new Map<string, number>();
  /** The next host port an ephemeral binding gets, from the start of Linux's ephemeral range. */
  #nextEphemeralPort = 32768;

  constructor(options: FakeEngineOptions = {}) {
    this.images = new Set(options.images ?? [DEFAULT_IMAGE]);
    this.pullable = new Set(options.pullable ?? []);
    this.#version = options.version ?? '20.10.24';
    this.runResult = options.runResult ?? { exitCode: 0, stdout: '', stderr: '' };
    this.volumes = new FakeVolumes({
      imageVolumes: options.imageVolumes,
      usersOf: (volume) => [...this.#containers.values()].filter((container) => container.observed.mounts?.some((mount) => mount.name === volume)).map((container) => container.observed.name),
    });
    for (const name of BUILTIN_NETWORKS) {
      const id = newId();
      this.#networks.set(id, { id, name, driver: name === 'none' ? 'null' : name, internal: false, attachable: false, enableIPv6: false, options: {}, labels: {} });
    }
  }

  // ── test controls ────────────────────────────────────────────────────────

  /** The next `times` calls of `method` (those `when` accepts) fail with `error` instead of running. */
  failNext(method: EngineMethod, error: Error, options: { times?: number; when?: (...args: unknown[]) => boolean } = {}): void {
    this.#failures.push({ method, error, times: options.times ?? 1, when: options.when });
  }

  /** The names of the calls that change something, in order. */
  mutatingCalls(): FakeCall[] {
    return this.calls.filter((call) => MUTATING_CALLS.has(call.method));
  }

  clearCalls(): void {
    this.calls.length = 0;
  }

  /** Points a local tag at another image, as `docker tag` or a build does: ids are `sha256:<tag>` until then. */
  retag(image: string, id: string): void {
    this.images.add(image);
    this.#imageIds.set(image, id);
    this.#imageLabels.delete(image);
  }

  /** Points the registry's tag at another image: the next pull of it brings that id. */
  publish(image: string, id: string): void {
    this.pullable.add(image);
    this.#remoteIds.set(image, id);
  }

  imageId(image: string): string {
    return this.#imageIds.get(image) ?? `sha256:${image}`;
  }

  /** Adds a network as if someone had created it (no event, no call recorded). */
  seedNetwork(config: Partial<NetworkConfig> & { name: string }): ObservedNetwork {
    const network = networkFrom({ driver: 'bridge', internal: false, attachable: false, enableIPv6: false, options: {}, labels: {}, ...config });
    this.#networks.set(network.id, network);
    return network;
  }

  /** Adds a container as if someone had created it; `endpoints` defaults to its network mode's network. */
  seedContainer(config: Partial<ContainerConfig> & { name: string }, state: { status?: ContainerStatus; endpoints?: EndpointConfig[] } = {}): ObservedContainer {
    const full = containerConfig({ image: DEFAULT_IMAGE, ...config });
    const container = this.#newContainer(full, state.endpoints ?? initialEndpoints(full));
    this.#setState(container, state.status ?? 'running');
    return structuredClone(container.observed);
  }

  /** What the container was created with, by name or id. */
  containerConfig(idOrName: string): ContainerConfig | undefined {
    const container = this.#container(idOrName);
    return container && structuredClone(container.config);
  }

  network(idOrName: string): ObservedNetwork | undefined {
    const network = this.#network(idOrName);
    return network && structuredClone(network);
  }

  container(idOrName: string): ObservedContainer | undefined {
    const container = this.#container(idOrName);
    return container && structuredClone(container.observed);
  }

  /**
   * Changes a container's status as if its process had exited or been restarted, emitting the event.
   * With `listLags`, the container list keeps showing the old status until the container is
   * inspected, as Engine 20.10 does: it sends `die` before its list shows the container exited,
   * while an inspection waits for the container's lock. With `eventDelayMs`, the `die` event
   * reaches listeners that much later, as a busy event stream delivers it after an inspection
   * already shows the container exited.
   */
  setStatus(idOrName: string, status: ContainerStatus, exitCode = 0, options: { listLags?: boolean; eventDelayMs?: number } = {}): void {
    const container = this.#mustContainer(idOrName);
    if (options.listLags) this.#listView.set(container.observed.id, structuredClone(container.observed));
    this.#setState(container, status, exitCode);
    if (status === 'paused') this.#emitContainer('paused', container.observed);
    if (status !== 'exited') return;
    const subject = structuredClone(container.observed);
    if (options.eventDelayMs === undefined) this.#emitContainer('died', subject);
    else setTimeout(() => this.#emitContainer('died', subject), options.eventDelayMs);
  }

  /** Sets a container's health as its healthcheck would, emitting the event. */
  setHealth(idOrName: string, health: NonNullable<ObservedContainer['health']>): void {
    const container = this.#mustContainer(idOrName);
    container.observed.health = health;
    this.#emitContainer('health-changed', container.observed);
  }

  /** Ends every open event stream, with `error` when given (as when the engine restarts). */
  endEvents(error?: Error): void {
    for (const listener of this.#listeners) listener(error ?? new StreamEnd());
  }

  // ── Engine ───────────────────────────────────────────────────────────────

  async info(): Promise<EngineInfo> {
    this.#enter('info', []);
    return { version: this.#version, apiVersion: '1.41' };
  }

  async swarm(): Promise<SwarmState> {
    this.#enter('swarm', []);
    return { ...this.swarmState };
  }

  async listNetworks(): Promise<ObservedNetwork[]> {
    this.#enter('listNetworks', []);
    return [...this.#networks.values()].map((network) => structuredClone(network));
  }

  async listContainers(): Promise<ObservedContainer[]> {
    this.#enter('listContainers', []);
    return [...this.#containers.values()].map((container) => {
      const listed = structuredClone(this.#listView.get(container.observed.id) ?? container.observed);
      for (const key of INSPECT_ONLY) delete listed[key];
      // The list's status line says the exit code of an exited container only.
      if (listed.status !== 'exited') delete listed.exitCode;
      return listed;
    });
  }

  async inspectContainer(idOrName: string): Promise<ObservedContainer | undefined> {
    this.#enter('inspectContainer', [idOrName]);
    const found = this.#container(idOrName);
    if (found) this.#listView.delete(found.observed.id);
    return this.container(idOrName);
  }

  async createNetwork(config: NetworkConfig): Promise<string> {
    this.#enter('createNetwork', [config]);
    if (this.#network(config.name)) throw conflict(`network with name ${config.name} already exists`);
    const network = networkFrom(config);
    this.#networks.set(network.id, network);
    this.#emitNetwork('created', network);
    return network.id;
  }

  async removeNetwork(idOrName: string): Promise<void> {
    this.#enter('removeNetwork', [idOrName]);
    const network = this.#network(idOrName);
    if (!network) return;
    if (BUILTIN_NETWORKS.includes(network.name)) throw new EngineError(`${network.name} is a pre-defined network and cannot be removed`, { statusCode: 403, transient: false });
    // A stopped container's endpoint exists only in its config: the engine removes the network under it.
    const users = [...this.#containers.values()].filter(
      (container) => LIVE.has(container.observed.status) && container.observed.endpoints.some((endpoint) => endpoint.networkId === network.id),
    );
    if (users.length > 0) throw new EngineError(`error while removing network: network ${network.name} id ${network.id} has active endpoints`, { statusCode: 403, transient: false });
    this.#networks.delete(network.id);
    this.#emitNetwork('destroyed', network);
  }

  async connectNetwork(container: string, endpoint: EndpointConfig): Promise<void> {
    this.#enter('connectNetwork', [container, endpoint]);
    const target = this.#mustContainer(container);
    const mode = target.config.networkMode;
    if (mode === 'host' || namespaceOwner(mode) !== undefined) {
      throw new EngineError('container sharing network namespace with another container or host cannot be connected to any other network', { statusCode: 400, transient: false });
    }
    this.#attach(target, endpoint);
  }

  async disconnectNetwork(container: string, network: string): Promise<void> {
    this.#enter('disconnectNetwork', [container, network]);
    const target = this.#container(container);
    const found = this.#network(network);
    if (!target || !found) return;
    const before = target.observed.endpoints.length;
    target.observed.endpoints = target.observed.endpoints.filter((endpoint) => endpoint.networkId !== found.id);
    if (target.observed.endpoints.length === before) return;
    this.#emitNetwork('disconnected', found, target.observed.id);
  }

  async imageExists(image: string): Promise<boolean> {
    this.#enter('imageExists', [image]);
    return this.images.has(image);
  }

  async pullImage(image: string): Promise<void> {
    this.#enter('pullImage', [image]);
    if (!this.pullable.has(image)) throw new EngineError(`pull access denied for ${image}, repository does not exist or may require 'docker login'`, { statusCode: 404, transient: false });
    this.images.add(image);
    const remote = this.#remoteIds.get(image);
    if (remote) this.#imageIds.set(image, remote);
  }

  async listImages(): Promise<ObservedImage[]> {
    this.#enter('listImages', []);
    return [...this.images].map((tag) => ({ id: this.imageId(tag), tags: [tag], labels: this.#imageLabels.get(tag) ?? {} }));
  }

  async buildImage(build: ImageBuild, onOutput?: (line: string) => void): Promise<void> {
    this.#enter('buildImage', [build]);
    // As the engine: the Dockerfile must be among what is sent.
    if (!build.files.includes(build.dockerfile)) throw new EngineError(`build image ${build.tag}: 500 Internal Server Error: Cannot locate specified Dockerfile: ${build.dockerfile}`, { statusCode: 500, transient: true });
    this.builds.push(build);
    onOutput?.(`Successfully built by the fake engine from ${build.files.length} files`);
    this.retag(build.tag, `sha256:built-${this.builds.length}`);
    this.#imageLabels.set(build.tag, { ...build.labels });
  }

  async createContainer(config: ContainerConfig): Promise<string> {
    this.#enter('createContainer', [config]);
    if (this.#container(config.name)) throw conflict(`Conflict. The container name "/${config.name}" is already in use`);
    if (!this.images.has(config.image)) throw new EngineError(`No such image: ${config.image}`, { statusCode: 404, transient: false });
    // A link's target must exist now; a namespace's owner only when the container starts.
    for (const [target] of config.links.map((link) => link.split(':'))) {
      if (!this.#container(target!)) throw new EngineError(`could not get container for ${target}: No such container: ${target}`, { statusCode: 400, transient: false });
    }
    const endpoints = initialEndpoints(config);
    for (const endpoint of endpoints) this.#mustNetwork(endpoint.network);
    return this.#newContainer(structuredClone(config), endpoints).observed.id;
  }

  async startContainer(idOrName: string): Promise<void> {
    this.#enter('startContainer', [idOrName]);
    const container = this.#mustContainer(idOrName);
    this.#listView.delete(container.observed.id);
    if (container.observed.status === 'running') return;
    const owner = namespaceOwner(container.config.networkMode);
    if (owner !== undefined && this.#mustContainer(owner).observed.status !== 'running') {
      throw new EngineError(`cannot join network of a non running container: ${owner}`, { statusCode: 409, transient: false });
    }
    for (const [target, alias] of container.config.links.map((link) => link.split(':'))) {
      // Docker's 500: retrying can help, once the target runs.
      if (this.#mustContainer(target!).observed.status !== 'running') {
        throw new EngineError(`Cannot link to a non running container: /${target} AS /${container.observed.name}/${alias}`, { statusCode: 500, transient: true });
      }
    }
    const gone = container.observed.endpoints.find((endpoint) => !this.#networks.has(endpoint.networkId));
    if (gone) throw new EngineError(`network ${gone.network} not found`, { statusCode: 404, transient: false });
    this.#setState(container, 'running');
    this.#emitContainer('started', container.observed);
  }

  async unpauseContainer(idOrName: string): Promise<void> {
    this.#enter('unpauseContainer', [idOrName]);
    const container = this.#mustContainer(idOrName);
    if (container.observed.status !== 'paused') return;
    this.#setState(container, 'running');
    this.#emitContainer('unpaused', container.observed);
  }

  async stopContainer(idOrName: string, timeoutSeconds: number): Promise<void> {
    this.#enter('stopContainer', [idOrName, timeoutSeconds]);
    const container = this.#container(idOrName);
    if (container) this.#listView.delete(container.observed.id);
    // A paused container is running too: the engine stops it (the frozen process gets SIGKILL).
    if (!container || !['running', 'paused'].includes(container.observed.status)) return;
    this.#emitContainer('killed', container.observed);
    this.#setState(container, 'exited', container.observed.status === 'paused' ? 137 : 0);
    this.#emitContainer('died', container.observed);
    this.#emitContainer('stopped', container.observed);
  }

  async updateContainer(idOrName: string, update: ContainerUpdate): Promise<void> {
    this.#enter('updateContainer', [idOrName, update]);
    const container = this.#mustContainer(idOrName);
    const before = container.observed.runtime!;
    container.observed.runtime = runtimeOf({ ...before.resources, ...update.resources }, update.restartPolicy ?? before.restartPolicy);
    this.#emitContainer('updated', container.observed);
  }

  async removeContainer(idOrName: string): Promise<void> {
    this.#enter('removeContainer', [idOrName]);
    const container = this.#container(idOrName);
    if (!container) return;
    this.#listView.delete(container.observed.id);
    if (LIVE.has(container.observed.status)) {
      // Forced: the engine kills the process first, and its endpoints go with it.
      this.#emitContainer('killed', container.observed);
      this.#setState(container, 'exited', 137);
      this.#emitContainer('died', container.observed);
      for (const endpoint of container.observed.endpoints) {
        const network = this.#networks.get(endpoint.networkId);
        if (network) this.#emitNetwork('disconnected', network, container.observed.id);
      }
    }
    this.#containers.delete(container.observed.id);
    this.#emitContainer('destroyed', container.observed);
  }

  async listVolumes(): Promise<ObservedVolume[]> {
    this.#enter('listVolumes', []);
    return this.volumes.list();
  }

  async inspectVolume(name: string): Promise<(ObservedVolume & VolumeUsage) | undefined> {
    this.#enter('inspectVolume', [name]);
    return this.volumes.inspect(name);
  }

  async createVolume(config: VolumeConfig): Promise<void> {
    this.#enter('createVolume', [config]);
    this.volumes.create(config);
  }

  async removeVolume(name: string): Promise<void> {
    this.#enter('removeVolume', [name]);
    this.volumes.remove(name);
  }

  async runContainer(config: ContainerConfig, _options: { timeoutMs: number }): Promise<RunResult> {
    this.#enter('runContainer', [config, _options]);
    if (!this.images.has(config.image)) throw new EngineError(`No such image: ${config.image}`, { statusCode: 404, transient: false });
    return { ...this.runResult };
  }

  async *events(options: { signal: AbortSignal }): AsyncIterable<EngineEvent> {
    this.#enter('events', [options]);
    const queue: (EngineEvent | Error)[] = [];
    let wake: (() => void) | undefined;
    const listener = (item: EngineEvent | Error) => {
      queue.push(item);
      wake?.();
    };
    const onAbort = () => wake?.();
    this.#listeners.add(listener);
    options.signal.addEventListener('abort', onAbort);
    try {
      while (!options.signal.aborted) {
        const item = queue.shift();
        if (item === undefined) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        if (item instanceof StreamEnd) return;
        if (item instanceof Error) throw item;
        yield item;
      }
    } finally {
      this.#listeners.delete(listener);
      options.signal.removeEventListener('abort', onAbort);
    }
  }

  // ── internals ────────────────────────────────────────────────────────────

  #enter(method: EngineMethod, args: unknown[]): void {
    this.calls.push({ method, args: structuredClone(args.filter((arg) => !(arg && typeof arg === 'object' && 'signal' in arg))) });
    if (!this.available) throw new EngineError('connect ECONNREFUSED /var/run/docker.sock', { transient: true });
    const index = this.#failures.findIndex((failure) => failure.method === method && (!failure.when || failure.when(...args)));
    if (index < 0) return;
    const failure = this.#failures[index]!;
    if (--failure.times <= 0) this.#failures.splice(index, 1);
    throw failure.error;
  }

  #newContainer(config: ContainerConfig, endpoints: EndpointConfig[]): FakeContainer {
    const mounts = this.volumes.mountsFor(config);
    const id = newId();
    const container: FakeContainer = {
      config,
      requested: new Map(),
      observed: {
        id,
        name: config.name,
        image: config.image,
        imageId: this.imageId(config.image),
        labels: { ...config.labels },
        status: 'created',
        networkMode: this.#byName(config.networkMode),
        endpoints: [],
        exitCode: 0,
        restartCount: 0,
        pid: 0,
        portBindings: [],
        ...(mounts.length > 0 && { mounts }),
        runtime: runtimeOf(config.runtime?.resources ?? {}, config.restartPolicy.name),
      },
    };
    this.#containers.set(id, container);
    for (const endpoint of endpoints) this.#attach(container, endpoint);
    this.#emitContainer('created', container.observed);
    return container;
  }

  #attach(container: FakeContainer, endpoint: EndpointConfig): void {
    const network = this.#mustNetwork(endpoint.network);
    if (container.observed.endpoints.some((existing) => existing.networkId === network.id)) {
      throw new EngineError(`endpoint with name ${container.observed.name} already exists in network ${network.name}`, { statusCode: 403, transient: false });
    }
    if (network.name === DEFAULT_NETWORK && endpoint.aliases.length > 0) {
      throw new EngineError('network-scoped alias is supported only for containers in user defined networks', { statusCode: 400, transient: false });
    }
    const observed: ObservedEndpoint = {
      network: network.name,
      networkId: network.id,
      endpointId: newId(),
      ipv4Address: endpoint.ipv4Address ?? (LIVE.has(container.observed.status) ? this.#nextAddress(network) : undefined),
      aliases: [...endpoint.aliases],
      links: [...endpoint.links],
    };
    container.observed.endpoints.push(dropUndefined(observed));
    container.requested.set(network.id, endpoint.ipv4Address);
    this.#emitNetwork('connected', network, container.observed.id);
  }

  /**
   * Changes a container's status as the engine records it: a start gives it a time, a process, its
   * host ports and an address in each network; an exit a time and its code, and takes back the
   * host ports and the addresses it did not ask for.
   */
  #setState(container: FakeContainer, status: ContainerStatus, exitCode?: number): void {
    const { observed } = container;
    const wasLive = LIVE.has(observed.status);
    observed.status = status;
    if (LIVE.has(status) && !wasLive) {
      observed.startedAt = Date.now();
      observed.pid = ++lastPid;
      observed.exitCode = 0;
      observed.portBindings = container.config.portBindings.map((binding) => ({ ...binding, hostPort: binding.hostPort ?? this.#nextEphemeralPort++ }));
      for (const endpoint of observed.endpoints) {
        const network = this.#networks.get(endpoint.networkId);
        if (network) endpoint.ipv4Address ??= this.#nextAddress(network);
      }
    }
    if (!LIVE.has(status) && wasLive) {
      observed.finishedAt = Date.now();
      observed.pid = 0;
      observed.portBindings = [];
      observed.endpoints = observed.endpoints.map((endpoint) => dropUndefined({ ...endpoint, ipv4Address: container.requested.get(endpoint.networkId) }));
    }
    if (exitCode !== undefined) observed.exitCode = exitCode;
  }

  /** The next host of the network's subnet (of 172.18.0.0/24 when it has none), from .2 as the engine's IPAM hands them out. */
  #nextAddress(network: ObservedNetwork): string {
    const host = (this.#lastHost.get(network.id) ?? 1) + 1;
    this.#lastHost.set(network.id, host);
    const prefix = network.ipam?.subnet?.replace(/\.\d+\/\d+$/, '') ?? '172.18.0';
    return `${prefix}.${host}`;
  }

  /** A network mode as the adapter shows it: `container:<name>`, though it was given the id. */
  #byName(mode: string): string {
    const owner = namespaceOwner(mode);
    const name = owner === undefined ? undefined : this.#container(owner)?.observed.name;
    return name === undefined ? mode : containerMode(name);
  }

  #network(idOrName: string): ObservedNetwork | undefined {
    return this.#networks.get(idOrName) ?? [...this.#networks.values()].find((network) => network.name === idOrName);
  }

  #mustNetwork(idOrName: string): ObservedNetwork {
    const network = this.#network(idOrName);
    if (!network) throw new EngineError(`network ${idOrName} not found`, { statusCode: 404, transient: false });
    return network;
  }

  #container(idOrName: string): FakeContainer | undefined {
    return this.#containers.get(idOrName) ?? [...this.#containers.values()].find((container) => container.observed.name === idOrName);
  }

  #mustContainer(idOrName: string): FakeContainer {
    const container = this.#container(idOrName);
    if (!container) throw new EngineError(`No such container: ${idOrName}`, { statusCode: 404, transient: false });
    return container;
  }

  #emitContainer(change: ContainerChange, container: ObservedContainer): void {
    this.#emit({ resource: 'container', change, id: container.id, name: container.name, labels: { ...container.labels }, time: Date.now() });
  }

  #emitNetwork(change: NetworkChange, network: ObservedNetwork, containerId?: string): void {
    this.#emit({ resource: 'network', change, id: network.id, name: network.name, labels: {}, ...(containerId && { containerId }), time: Date.now() });
  }

  #emit(event: EngineEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}

class StreamEnd extends Error {}

let lastPid = 1000;

/** As Docker fills it in: a memory limit without a swap limit gets twice the memory as memory plus swap. */
function runtimeOf(resources: ResourcesConfig, restartPolicy: ObservedRuntime['restartPolicy']): ObservedRuntime {
  const memorySwap = resources.memorySwap ?? (resources.memory === undefined ? undefined : resources.memory * 2);
  return { resources: dropUndefined({ ...resources, memorySwap }), restartPolicy };
}

function newId(): string {
  return randomBytes(32).toString('hex');
}

function conflict(message: string): EngineError {
  return new EngineError(message, { statusCode: 409, transient: false });
}

/** The engine joins a container to its network mode's network at creation, unless it shares a namespace. */
function initialEndpoints(config: ContainerConfig): EndpointConfig[] {
  const mode = config.networkMode;
  if (sharedNamespace(mode)) return [];
  return config.endpoints.length > 0 ? config.endpoints : [{ network: mode, aliases: [], links: [] }];
}

/** The last /24 of 172.16.0.0/12 handed out; from 172.19.0.0, after the pre-defined networks'. */
let lastPool = 3 * 256 - 1;

/** A network as the engine keeps it: without IPAM asked for, its IPAM gives it a subnet of its own. */
function networkFrom(config: NetworkConfig): ObservedNetwork {
  lastPool = (lastPool + 1) % 4096;
  const prefix = `172.${16 + (lastPool >> 8)}.${lastPool & 255}`;
  return { ipam: { subnet: `${prefix}.0/24`, gateway: `${prefix}.1` }, ...dropUndefined(structuredClone(config)), id: newId() };
}
