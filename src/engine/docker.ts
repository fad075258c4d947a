/**
 * The Docker engine behind mooring's `Engine` port, over dockerode. Docker's
 * quirks stop here: 304 from start/stop and 404 from removals are successes,
 * every failure becomes an `EngineError` that names what failed and says
 * whether retrying can help, every request has a deadline, and only mooring's
 * own types leave this file.
 */
import { STATUS_CODES } from 'node:http';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import type { ContainerCreateOptions, ContainerInfo, ContainerInspectInfo, DockerVersion, EndpointSettings, NetworkConnectOptions, NetworkInspectInfo } from 'dockerode';
import type { Logger } from '../log.js';
import { dropUndefined } from '../drop-undefined.js';
import { eachLimited } from '../each-limited.js';
import type { EngineAddress } from './connection.js';
import { DEFAULT_PULL_IDLE_MS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_STOP_MARGIN_MS, dockerodeOptions, resolveEngineAddress } from './connection.js';
import { EngineError } from './errors.js';
import type { DockerMountPoint, DockerVolume } from './docker/volumes.js';
import { SUBPATH_API_VERSION, apiAtLeast, hostConfigMounts, observedMounts, observedVolume } from './docker/volumes.js';
import type { ObservedVolume, VolumeConfig, VolumeUsage } from './volumes.js';
import type {
  ContainerConfig,
  ContainerStatus,
  EndpointConfig,
  Engine,
  EngineEvent,
  EngineInfo,
  NetworkConfig,
  ObservedContainer,
  ObservedEndpoint,
  ObservedNetwork,
  Protocol,
  RunResult,
} from './port.js';

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

/** Requests made to the engine since the adapter was made, for metrics and the benchmark. */
export interface RequestCounts {
  total: number;
  /** Requests that change something: create, start, stop, remove, connect, disconnect, pull, kill. */
  mutating: number;
  /** By operation, e.g. `listContainers`, `inspectContainer`, `createContainer`. */
  byOperation: Record<string, number>;
}

type Operation =
  | 'version'
  | 'listNetworks'
  | 'listContainers'
  | 'inspectContainer'
  | 'inspectImage'
  | 'createNetwork'
  | 'removeNetwork'
  | 'connectNetwork'
  | 'disconnectNetwork'
  | 'pullImage'
  | 'createContainer'
  | 'startContainer'
  | 'unpauseContainer'
  | 'stopContainer'
  | 'killContainer'
  | 'removeContainer'
  | 'waitContainer'
  | 'containerLogs'
  | 'events'
  | 'listVolumes'
  | 'inspectVolume'
  | 'createVolume'
  | 'removeVolume';

const MUTATING = new Set<Operation>([
  'createNetwork',
  'removeNetwork',
  'connectNetwork',
  'disconnectNetwork',
  'pullImage',
  'createContainer',
  'startContainer',
  'unpauseContainer',
  'stopContainer',
  'killContainer',
  'removeContainer',
  'createVolume',
  'removeVolume',
]);

/** Node's codes for a socket that cannot be reached or broke off: the engine may answer later. */
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED', 'EAGAIN']);

/**
 * The answers to a start when the runtime still holds state for the container's id: the engine was stopped
 * after creating the container's task (containerd: `task <id>: already exists`) or its runc container (`id
 * already in use`) and before starting it, and on its return it cleans up only after running containers.
 */
const STALE_TASK = /\btask [0-9a-f]+: already exists|\bid already in use\b/;

/** Inspections at once when the alias cache misses, e.g. on the first pass over many containers. */
const INSPECT_CONCURRENCY = 8;

/** Attributes of container events that are not labels. */
const EVENT_ATTRIBUTES = new Set(['name', 'image', 'exitCode', 'signal', 'container', 'type', 'execID']);

/** What `listContainers` cannot show on Engine 20.10 (aliases and links are null there), kept per endpoint. */
interface EndpointDetails {
  aliases: string[];
  links: string[];
  containerId: string;
  containerName: string;
}

export class DockerEngine implements Engine {
  readonly #docker: Docker;
  readonly #address: EngineAddress;
  readonly #logger: Logger;
  readonly #requestTimeoutMs: number;
  readonly #stopMarginMs: number;
  readonly #pullIdleMs: number;
  readonly #counts: RequestCounts = { total: 0, mutating: 0, byOperation: {} };
  /**
   * By endpoint id: an endpoint's aliases and links never change (changing them
   * means disconnect and connect, a new endpoint), so a container is inspected
   * only when one of its endpoints is new. A stopped container's endpoints have
   * no id; they are keyed by container and network, and forgotten whenever
   * mooring connects or disconnects that container.
   */
  readonly #endpoints = new Map<string, EndpointDetails>();

  constructor(options: DockerEngineOptions) {
    this.#address = resolveEngineAddress({ dockerHost: options.dockerHost, env: options.env ?? process.env });
    this.#docker = new Docker(dockerodeOptions(this.#address));
    this.#logger = options.logger.child({ component: 'engine' });
    this.#requestTimeoutMs = positiveMs('requestTimeoutMs', options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
    this.#stopMarginMs = positiveMs('stopMarginMs', options.stopMarginMs ?? DEFAULT_STOP_MARGIN_MS);
    this.#pullIdleMs = positiveMs('pullIdleMs', options.pullIdleMs ?? DEFAULT_PULL_IDLE_MS);
  }

  /** Where the engine is reached, e.g. `unix:///var/run/docker.sock`. */
  get address(): string {
    return this.#address.url;
  }

  requestCounts(): RequestCounts {
    return { ...this.#counts, byOperation: { ...this.#counts.byOperation } };
  }

  async info(): Promise<EngineInfo> {
    const version = await this.#request('version', 'read the engine version', (signal) => (this.#docker as unknown as SignalTaking).version({ abortSignal: signal }));
    return { version: version.Version, apiVersion: version.ApiVersion };
  }

  async listNetworks(): Promise<ObservedNetwork[]> {
    const networks = await this.#request('listNetworks', 'list networks', (signal) => this.#docker.listNetworks({ abortSignal: signal }));
    return networks.map(observedNetwork);
  }

  async listContainers(): Promise<ObservedContainer[]> {
    const listed = await this.#request('listContainers', 'list containers', (signal) => this.#docker.listContainers({ all: true, abortSignal: signal }));
    const seen = new Set<string>();
    /** Per container, its endpoints' details, all from the cache; absent: at least one endpoint is new. */
    const known = new Map<string, EndpointDetails[]>();
    const misses: ContainerInfo[] = [];
    for (const info of listed) {
      const keys = joinedNetworks(networkMode(info.HostConfig.NetworkMode), info.NetworkSettings.Networks).map(([network, settings]) =>
        endpointKey(info.Id, network, settings),
      );
      keys.forEach((key) => seen.add(key));
      const details = keys.map((key) => this.#endpoints.get(key));
      if (details.every((entry) => entry !== undefined)) known.set(info.Id, details);
      else misses.push(info);
    }
    for (const key of this.#endpoints.keys()) if (!seen.has(key)) this.#endpoints.delete(key);

    const inspected = new Map<string, ContainerInspectInfo | undefined>();
    if (misses.length > 0) this.#logger.debug('inspecting containers for their endpoint aliases', { containers: misses.map((info) => containerName(info.Names)) });
    await eachLimited(misses, INSPECT_CONCURRENCY, async (info) => {
      inspected.set(info.Id, await this.#inspect(info.Id));
    });

    const containers: ObservedContainer[] = [];
    for (const info of listed) {
      const mode = networkMode(info.HostConfig.NetworkMode);
      const base = {
        id: info.Id,
        name: containerName(info.Names),
        image: info.Image,
        labels: info.Labels ?? {},
        status: info.State as ContainerStatus,
        networkMode: mode,
        portBindings: (info.Ports ?? []).flatMap((port) =>
          port.PublicPort ? [{ containerPort: port.PrivatePort, protocol: port.Type as Protocol, hostIp: port.IP ?? '', hostPort: port.PublicPort }] : [],
        ),
        ...mountsOf(info.Mounts),
      };
      const details = known.get(info.Id);
      if (details) {
        const endpoints = joinedNetworks(mode, info.NetworkSettings.Networks).map(([network, settings], index) => observedEndpoint(network, settings, details[index]!));
        containers.push({ ...base, endpoints });
        continue;
      }
      // Fresher than the list, and it may have changed since: its endpoints are taken whole. Gone meanwhile: left out.
      const full = inspected.get(info.Id);
      if (full) containers.push({ ...base, endpoints: this.#observedEndpoints(full) });
    }
    return containers;
  }

  async inspectContainer(idOrName: string): Promise<ObservedContainer | undefined> {
    const info = await this.#inspect(idOrName);
    return info && this.#observedContainer(info);
  }

  async createNetwork(config: NetworkConfig): Promise<string> {
    const { ipam } = config;
    const network = await this.#request('createNetwork', `create network ${config.name}`, (signal) =>
      this.#docker.createNetwork({
        abortSignal: signal,
        Name: config.name,
        // Without it, Engine 20.10 makes a second network of the same name.
        CheckDuplicate: true,
        Driver: config.driver,
        Internal: config.internal,
        Attachable: config.attachable,
        EnableIPv6: config.enableIPv6,
        ...(ipam && { IPAM: { Driver: 'default', Config: [dropUndefined({ Subnet: ipam.subnet, Gateway: ipam.gateway, IPRange: ipam.ipRange })] } }),
        Options: config.options,
        Labels: config.labels,
      }),
    );
    return network.id;
  }

  async removeNetwork(idOrName: string): Promise<void> {
    await this.#requestAbsorbing('removeNetwork', `remove network ${idOrName}`, (signal) => this.#docker.getNetwork(idOrName).remove({ abortSignal: signal }), statusIn(404));
  }

  async connectNetwork(container: string, endpoint: EndpointConfig): Promise<void> {
    this.#forgetStopped(container);
    await this.#request('connectNetwork', `connect container ${container} to network ${endpoint.network}`, (signal) =>
      this.#docker.getNetwork(endpoint.network).connect({ Container: container, EndpointConfig: endpointSettings(endpoint), abortSignal: signal } as NetworkConnectOptions),
    );
  }

  /**
   * A container or network that is gone is not connected: that succeeds. So does a container
   * that is not connected, which the engine answers with a 500 that retrying would never fix.
   */
  async disconnectNetwork(container: string, network: string): Promise<void> {
    this.#forgetStopped(container);
    await this.#requestAbsorbing(
      'disconnectNetwork',
      `disconnect container ${container} from network ${network}`,
      (signal) => this.#docker.getNetwork(network).disconnect({ Container: container, Force: false, abortSignal: signal }),
      (error) => statusIn(404)(error) || /is not connected to (the )?network/.test(error.message),
    );
  }

  async imageExists(image: string): Promise<boolean> {
    const found = await this.#requestAbsorbing('inspectImage', `inspect image ${image}`, () => this.#docker.getImage(image).inspect(), statusIn(404));
    return found !== undefined;
  }

  /** Resolves once the whole pull is done; the engine reports a failure mid-way inside the stream. */
  async pullImage(image: string): Promise<void> {
    const what = `pull image ${image}`;
    const failure = (detail: string, options: { statusCode?: number; cause?: unknown }) =>
      isRegistryUnreachable(detail)
        ? new EngineError(`${what}: the registry is unreachable: ${detail}`, { ...options, transient: true })
        : new EngineError(`${what}: ${detail}`, { ...options, transient: (options.statusCode ?? 0) >= 500 });
    let stream: Readable;
    try {
      stream = (await this.#request('pullImage', what, (signal) => this.#docker.pull(image, { abortSignal: signal }))) as Readable;
    } catch (error) {
      if (error instanceof EngineError && error.statusCode !== undefined) throw failure(engineMessage(error.cause), { statusCode: error.statusCode, cause: error.cause });
      throw error;
    }
    quietDeadline(stream, this.#pullIdleMs, () => this.#timeout(what, this.#pullIdleMs, 'sent no progress'));
    try {
      for await (const message of jsonLines(stream)) {
        const detail = (message as { error?: unknown }).error;
        if (typeof detail === 'string') throw failure(detail, {});
      }
    } catch (error) {
      throw engineError(what, error, this.#address);
    }
  }

  /** Creates the container in its first network; any further endpoints are connected right after. */
  async createContainer(config: ContainerConfig): Promise<string> {
    const [first, ...rest] = config.endpoints;
    if (config.mounts?.some((mount) => mount.subpath !== undefined)) {
      const { apiVersion } = await this.info();
      if (!apiAtLeast(apiVersion, SUBPATH_API_VERSION)) {
        throw new EngineError(`create container ${config.name}: a volume mount's subpath needs Engine API ${SUBPATH_API_VERSION}, the engine speaks ${apiVersion}; an older engine would mount the whole volume`, { transient: false });
      }
    }
    const created = await this.#request('createContainer', `create container ${config.name}`, (signal) =>
      this.#docker.createContainer({ ...createOptions(config, first), abortSignal: signal }),
    );
    for (const endpoint of rest) await this.connectNetwork(created.id, endpoint);
    return created.id;
  }

  /**
   * A running container is started: that succeeds. An engine stopped in the middle of a start keeps the
   * container's runtime task and refuses every later start of it: that is an `unstartable` error.
   */
  async startContainer(idOrName: string): Promise<void> {
    try {
      await this.#requestAbsorbing('startContainer', `start container ${idOrName}`, (signal) => this.#docker.getContainer(idOrName).start({ abortSignal: signal }), statusIn(304));
    } catch (error) {
      if (!(error instanceof EngineError) || error.statusCode !== 500 || !STALE_TASK.test(engineMessage(error.cause))) throw error;
      throw new EngineError(`${error.message} (the engine kept the task of a start it was stopped in the middle of; no start of this container can succeed)`, {
        statusCode: 500,
        transient: false,
        kind: 'unstartable',
        cause: error.cause,
      });
    }
  }

  async unpauseContainer(idOrName: string): Promise<void> {
    // The engine answers 500 "is not paused" for a container that is not: the pass that follows sees what it is instead.
    await this.#requestAbsorbing('unpauseContainer', `unpause container ${idOrName}`, () => this.#docker.getContainer(idOrName).unpause(), (error) => /is not paused/.test(error.message));
  }

  /** A stopped or missing container is stopped: that succeeds. The engine may take the stop timeout before it kills. */
  async stopContainer(idOrName: string, timeoutSeconds: number): Promise<void> {
    await this.#requestAbsorbing(
      'stopContainer',
      `stop container ${idOrName}`,
      (signal) => this.#docker.getContainer(idOrName).stop({ t: timeoutSeconds, abortSignal: signal }),
      statusIn(304, 404),
      { deadlineMs: timeoutSeconds * 1000 + this.#stopMarginMs },
    );
  }

  /** Forced, so a container that a restart policy brought back between stop and remove goes too. Volumes stay. */
  async removeContainer(idOrName: string): Promise<void> {
    await this.#requestAbsorbing(
      'removeContainer',
      `remove container ${idOrName}`,
      (signal) => this.#docker.getContainer(idOrName).remove({ force: true, v: false, abortSignal: signal }),
      (error) => statusIn(404)(error) || (error.statusCode === 409 && /already in progress/.test(error.message)),
    );
  }

  async runContainer(config: ContainerConfig, options: { timeoutMs: number }): Promise<RunResult> {
    const id = await this.createContainer(config);
    const container = this.#docker.getContainer(id);
    try {
      await this.startContainer(id);
      let exitCode: number;
      try {
        const waited = await this.#request(
          'waitContainer',
          `wait for container ${config.name}`,
          (signal) => container.wait({ condition: 'not-running', abortSignal: signal }) as Promise<{ StatusCode: number }>,
          { deadlineMs: options.timeoutMs },
        );
        exitCode = waited.StatusCode;
      } catch (error) {
        if (!(error instanceof EngineError) || error.kind !== 'timeout') throw error;
        throw new EngineError(`run container ${config.name}: it did not exit within ${options.timeoutMs} ms`, { transient: true, cause: error });
      }
      const logs = await this.#request('containerLogs', `read the logs of container ${config.name}`, (signal) =>
        container.logs({ stdout: true, stderr: true, follow: false, abortSignal: signal }) as unknown as Promise<Buffer>,
      );
      return { exitCode, ...demuxLogs(logs) };
    } finally {
      await this.removeContainer(id).catch((error: unknown) =>
        this.#logger.warn(`cannot remove the finished container ${config.name}`, { error: error instanceof Error ? error.message : String(error) }),
      );
    }
  }

  /**
   * Container and network events until `signal` aborts (then it ends quietly);
   * when the engine closes the stream or the connection breaks, it throws a
   * transient `EngineError`. Only the answer to the request has a deadline: a
   * stream stays quiet while nothing happens, so whether the engine still
   * answers is for the caller to ask (`followEngineEvents` does).
   */
  async *events(options: { signal: AbortSignal }): AsyncIterable<EngineEvent> {
    const { signal } = options;
    if (signal.aborted) return;
    let stream: Readable;
    try {
      stream = (await this.#request(
        'events',
        'watch engine events',
        (requestSignal) => this.#docker.getEvents({ filters: { type: ['container', 'network'] }, abortSignal: requestSignal }),
        { signal },
      )) as Readable;
    } catch (error) {
      if (signal.aborted) return;
      throw error;
    }
    try {
      for await (const message of jsonLines(stream)) {
        const event = engineEvent(message);
        if (event) yield event;
      }
    } catch (error) {
      if (signal.aborted) return;
      throw engineError('watch engine events', error, this.#address);
    } finally {
      stream.destroy();
    }
    if (signal.aborted) return;
    throw new EngineError(`watch engine events: the engine at ${this.#address.url} closed the event stream`, { transient: true });
  }

  // ── volumes ──────────────────────────────────────────────────────────────

  async listVolumes(): Promise<ObservedVolume[]> {
    const listed = await this.#request('listVolumes', 'list volumes', (signal) => this.#docker.listVolumes({ abortSignal: signal }));
    return (listed.Volumes ?? []).map((volume) => observedVolume(volume as DockerVolume));
  }

  async inspectVolume(name: string): Promise<(ObservedVolume & VolumeUsage) | undefined> {
    const volume = await this.#requestAbsorbing('inspectVolume', `inspect volume ${name}`, (signal) => this.#docker.getVolume(name).inspect({ abortSignal: signal }), statusIn(404));
    if (!volume) return undefined;
    const users = await this.#request('listContainers', `list the containers of volume ${name}`, (signal) =>
      this.#docker.listContainers({ all: true, filters: { volume: [name] }, abortSignal: signal }),
    );
    return { ...observedVolume(volume as DockerVolume), usedBy: users.map((info) => containerName(info.Names)).sort() };
  }

  async createVolume(config: VolumeConfig): Promise<void> {
    await this.#request('createVolume', `create volume ${config.name}`, (signal) =>
      this.#docker.createVolume({ Name: config.name, Driver: config.driver, DriverOpts: config.driverOpts, Labels: config.labels, abortSignal: signal }),
    );
  }

  async removeVolume(name: string): Promise<void> {
    await this.#requestAbsorbing('removeVolume', `remove volume ${name}`, (signal) => this.#docker.getVolume(name).remove({ abortSignal: signal }), statusIn(404));
  }

  // ── internals ────────────────────────────────────────────────────────────

  async #inspect(idOrName: string): Promise<ContainerInspectInfo | undefined> {
    return this.#requestAbsorbing('inspectContainer', `inspect container ${idOrName}`, (signal) => this.#docker.getContainer(idOrName).inspect({ abortSignal: signal }), statusIn(404));
  }

  #observedContainer(info: ContainerInspectInfo): ObservedContainer {
    const { State: state } = info;
    const health = state.Health?.Status;
    return dropUndefined({
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      image: info.Config.Image,
      labels: info.Config.Labels ?? {},
      status: state.Status as ContainerStatus,
      networkMode: networkMode(info.HostConfig.NetworkMode ?? ''),
      endpoints: this.#observedEndpoints(info),
      portBindings: Object.entries(info.NetworkSettings.Ports ?? {}).flatMap(([port, bindings]) =>
        (bindings ?? []).flatMap((binding) => (binding.HostPort ? [{ ...parsePort(port), hostIp: binding.HostIp, hostPort: Number(binding.HostPort) }] : [])),
      ),
      startedAt: time(state.StartedAt),
      finishedAt: time(state.FinishedAt),
      exitCode: state.ExitCode,
      restartCount: info.RestartCount,
      pid: state.Pid,
      health: health === 'starting' || health === 'healthy' || health === 'unhealthy' ? health : undefined,
      ...mountsOf(info.Mounts),
    });
  }

  /** The endpoints of an inspected container, remembered for the next list. */
  #observedEndpoints(info: ContainerInspectInfo): ObservedEndpoint[] {
    const name = info.Name.replace(/^\//, '');
    const shortId = info.Id.slice(0, 12);
    return joinedNetworks(networkMode(info.HostConfig.NetworkMode ?? ''), info.NetworkSettings.Networks as Record<string, EndpointSettings>).map(
      ([network, settings]) => {
        // The engine adds the short container id to the aliases; the user did not ask for it.
        const details = {
          aliases: (settings.Aliases ?? []).filter((alias) => alias !== shortId),
          links: settings.Links ?? [],
          containerId: info.Id,
          containerName: name,
        };
        this.#endpoints.set(endpointKey(info.Id, network, settings), details);
        return observedEndpoint(network, settings, details);
      },
    );
  }

  #forgetStopped(container: string): void {
    for (const [key, details] of this.#endpoints) {
      if (key.startsWith('stopped:') && (details.containerId === container || details.containerName === container)) this.#endpoints.delete(key);
    }
  }

  /**
   * One engine request: counted, bounded by a deadline (the request deadline unless `deadlineMs`), and its
   * failure turned into an `EngineError` that names `what`. `run` gets the signal to give dockerode: it aborts
   * at the deadline, or with `signal`. The deadline covers the answer; a stream that follows is the caller's.
   * Should dockerode ignore the signal, the request is given up on all the same.
   */
  async #request<T>(operation: Operation, what: string, run: (signal: AbortSignal) => Promise<T>, options: RequestOptions = {}): Promise<T> {
    this.#counts.total++;
    if (MUTATING.has(operation)) this.#counts.mutating++;
    this.#counts.byOperation[operation] = (this.#counts.byOperation[operation] ?? 0) + 1;
    const deadlineMs = options.deadlineMs ?? this.#requestTimeoutMs;
    const deadline = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = this.#timeout(what, deadlineMs, 'did not answer');
        deadline.abort(error);
        reject(error);
      }, deadlineMs);
    });
    try {
      return await Promise.race([run(options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal), expired]);
    } catch (error) {
      throw engineError(what, error, this.#address);
    } finally {
      clearTimeout(timer);
    }
  }

  #timeout(what: string, ms: number, how: string): EngineError {
    return new EngineError(`${what}: the engine at ${this.#address.url} ${how} within ${ms} ms`, { transient: true, kind: 'timeout' });
  }

  /** Like `#request`, but a failure `absorb` accepts resolves to undefined: the quirks that mean "already so". */
  async #requestAbsorbing<T>(
    operation: Operation,
    what: string,
    run: (signal: AbortSignal) => Promise<T>,
    absorb: (error: EngineError) => boolean,
    options: RequestOptions = {},
  ): Promise<T | undefined> {
    try {
      return await this.#request(operation, what, run, options);
    } catch (error) {
      if (error instanceof EngineError && absorb(error)) return undefined;
      throw error;
    }
  }
}

/** Calls where dockerode passes an abort signal on but its types leave it out. (Inspecting an image takes none: the deadline gives up on it alone.) */
interface SignalTaking {
  version(options: { abortSignal: AbortSignal }): Promise<DockerVersion>;
}

interface RequestOptions {
  /** @default the request deadline */
  deadlineMs?: number;
  /** Aborts the request, and a stream that follows, before the deadline. */
  signal?: AbortSignal;
}

/** Absorbs failures with one of these status codes. */
function statusIn(...codes: number[]): (error: EngineError) => boolean {
  return (error) => error.statusCode !== undefined && codes.includes(error.statusCode);
}

// ── mapping ────────────────────────────────────────────────────────────────

/** Turns whatever dockerode threw into an `EngineError` that names the operation. */
export function engineError(what: string, error: unknown, address: EngineAddress): EngineError {
  if (error instanceof EngineError) return error;
  const statusCode = (error as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof statusCode === 'number') {
    const message = `${what}: ${statusCode} ${STATUS_CODES[statusCode] ?? 'Unknown'}: ${engineMessage(error)}`;
    return new EngineError(message, { statusCode, transient: statusCode >= 500, cause: error });
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const text = error instanceof Error ? error.message : String(error);
  if (code !== undefined && TRANSIENT_CODES.has(code)) {
    return new EngineError(`${what}: cannot reach the engine at ${address.url}: ${text}`, { transient: true, cause: error });
  }
  return new EngineError(`${what}: ${text}`, { transient: false, cause: error });
}

/** The engine's own words: the JSON `message`, else the text after dockerode's `(HTTP code N) reason - ` prefix. */
function engineMessage(error: unknown): string {
  const json = (error as { json?: unknown }).json;
  if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') return (json as { message: string }).message;
  const text = error instanceof Error ? error.message : String(error);
  const cut = text.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
  return cut === '' ? 'no message' : cut;
}

/** Destroys `stream` with `error()` once it stays quiet for `ms`. */
function quietDeadline(stream: Readable, ms: number, error: () => Error): void {
  const timer = setTimeout(() => stream.destroy(error()), ms);
  const restart = () => timer.refresh();
  stream.on('data', restart);
  stream.once('close', () => {
    clearTimeout(timer);
    stream.off('data', restart);
  });
}

function positiveMs(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`Expected \`${name}\` to be a finite number > 0, got ${value}`);
  return value;
}

function isRegistryUnreachable(message: string): boolean {
  return /dial tcp|no such host|connection refused|i\/o timeout|TLS handshake timeout|network is unreachable|Client\.Timeout/i.test(message);
}

function observedNetwork(info: NetworkInspectInfo): ObservedNetwork {
  // The first IPv4 pool; an IPv6 one comes with enableIPv6.
  const pool = (info.IPAM?.Config ?? []).find((config) => !(config.Subnet ?? '').includes(':'));
  const ipam = pool && dropUndefined({ subnet: pool.Subnet || undefined, gateway: pool.Gateway || undefined, ipRange: pool.IPRange || undefined });
  return dropUndefined({
    id: info.Id,
    name: info.Name,
    driver: info.Driver,
    internal: info.Internal,
    attachable: info.Attachable,
    enableIPv6: info.EnableIPv6,
    ipam: ipam && Object.keys(ipam).length > 0 ? ipam : undefined,
    options: info.Options ?? {},
    labels: info.Labels ?? {},
  });
}

/** `default` is what the engine records for the default bridge when no mode was given. */
function networkMode(mode: string): string {
  return mode === 'default' || mode === '' ? 'bridge' : mode;
}

/** A container in host, none or another container's namespace has no endpoints of its own. */
function joinedNetworks(mode: string, networks: Record<string, EndpointSettings> | undefined | null): [string, EndpointSettings][] {
  if (mode === 'host' || mode === 'none' || mode.startsWith('container:')) return [];
  return Object.entries(networks ?? {});
}

function endpointKey(containerId: string, network: string, settings: EndpointSettings): string {
  return settings.EndpointID ? `endpoint:${settings.EndpointID}` : `stopped:${containerId}:${network}`;
}

function observedEndpoint(network: string, settings: EndpointSettings, details: Pick<EndpointDetails, 'aliases' | 'links'>): ObservedEndpoint {
  return dropUndefined({
    network,
    networkId: settings.NetworkID ?? '',
    endpointId: settings.EndpointID ?? '',
    // A stopped container has no address, only the one asked for.
    ipv4Address: settings.IPAddress || settings.IPAMConfig?.IPv4Address || undefined,
    aliases: [...details.aliases],
    links: [...details.links],
  });
}

/** The name itself, not the `/source/alias` names legacy links add. */
function containerName(names: string[]): string {
  const own = names.find((name) => name.lastIndexOf('/') === 0) ?? names[0] ?? '';
  return own.replace(/^\//, '');
}

function endpointSettings(endpoint: EndpointConfig): EndpointSettings {
  return {
    Aliases: endpoint.aliases,
    Links: endpoint.links,
    ...(endpoint.ipv4Address !== undefined && { IPAMConfig: { IPv4Address: endpoint.ipv4Address } }),
  };
}

function createOptions(config: ContainerConfig, endpoint: EndpointConfig | undefined): ContainerCreateOptions {
  const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const binding of config.portBindings) {
    const key = `${binding.containerPort}/${binding.protocol}`;
    // An empty HostPort asks the engine to choose one.
    (portBindings[key] ??= []).push({ HostIp: binding.hostIp, HostPort: binding.hostPort === undefined ? '' : String(binding.hostPort) });
  }
  const exposed = new Set([...config.exposedPorts, ...Object.keys(portBindings)]);
  const { healthcheck } = config;
  return dropUndefined({
    name: config.name,
    Image: config.image,
    Cmd: config.command,
    Entrypoint: config.entrypoint,
    Env: config.env,
    WorkingDir: config.workingDir,
    User: config.user,
    Hostname: config.hostname,
    Labels: config.labels,
    ExposedPorts: Object.fromEntries([...exposed].map((port) => [port, {}])),
    StopTimeout: config.stopTimeoutSeconds,
    Healthcheck:
      healthcheck &&
      dropUndefined({
        Test: healthcheck.test,
        Interval: healthcheck.intervalNs,
        Timeout: healthcheck.timeoutNs,
        Retries: healthcheck.retries,
        StartPeriod: healthcheck.startPeriodNs,
      }),
    HostConfig: {
      NetworkMode: config.networkMode,
      RestartPolicy: { Name: config.restartPolicy.name },
      PortBindings: portBindings,
      ExtraHosts: config.extraHosts,
      Links: config.links,
      // dockerode's types ask for every VolumeOptions member; the engine takes each as optional.
      ...(hostConfigMounts(config.mounts) as Pick<NonNullable<ContainerCreateOptions['HostConfig']>, 'Mounts' | 'Binds'>),
    },
    ...(endpoint && { NetworkingConfig: { EndpointsConfig: { [endpoint.network]: endpointSettings(endpoint) } } }),
  });
}

/** `mounts` only when there are any, so a container without mounts looks as it did before mooring knew of them. */
function mountsOf(mounts: readonly DockerMountPoint[] | undefined | null): { mounts?: ReturnType<typeof observedMounts> } {
  const observed = observedMounts(mounts);
  return observed.length > 0 ? { mounts: observed } : {};
}

function parsePort(port: string): { containerPort: number; protocol: Protocol } {
  const [number, protocol = 'tcp'] = port.split('/');
  return { containerPort: Number(number), protocol: protocol as Protocol };
}

/** Unix ms, or undefined for the zero time the engine reports for "never". */
function time(value: string | undefined): number | undefined {
  if (!value || value.startsWith('0001-')) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function engineEvent(message: unknown): EngineEvent | undefined {
  const raw = message as { Type?: string; Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> }; time?: number; timeNano?: number };
  if (raw.Type !== 'container' && raw.Type !== 'network') return undefined;
  const attributes = raw.Actor?.Attributes ?? {};
  const event: EngineEvent = {
    type: raw.Type,
    action: raw.Action ?? '',
    id: raw.Actor?.ID ?? '',
    labels: raw.Type === 'container' ? Object.fromEntries(Object.entries(attributes).filter(([key]) => !EVENT_ATTRIBUTES.has(key))) : {},
    time: raw.timeNano !== undefined ? Math.floor(raw.timeNano / 1e6) : (raw.time ?? 0) * 1000,
  };
  if (attributes.name !== undefined) event.name = attributes.name;
  if (raw.Type === 'network' && attributes.container !== undefined) event.containerId = attributes.container;
  return event;
}

/**
 * Splits the frames of a container's output (no TTY): an 8-byte header (stream,
 * 3 zero bytes, big-endian length), then the payload.
 */
export function demuxLogs(buffer: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const stream = buffer.readUInt8(offset);
    const length = buffer.readUInt32BE(offset + 4);
    const payload = buffer.subarray(offset + 8, offset + 8 + length);
    (stream === 2 ? err : out).push(payload);
    offset += 8 + length;
  }
  return { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** The JSON objects of a newline-delimited stream, as they arrive. */
async function* jsonLines(stream: Readable): AsyncGenerator<unknown> {
  let pending = '';
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line !== '') yield JSON.parse(line);
    }
  }
  if (pending.trim() !== '') yield JSON.parse(pending);
}
