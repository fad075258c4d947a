/**
 * Engine API JSON to mooring's types and back, and nothing else: no requests, no state.
 * Docker's forms stop here: `default` for the bridge, `container:<id>` network modes,
 * `/target:/source/alias` links, event actions, the short id among the aliases.
 */
import type { ContainerCreateOptions, ContainerInfo, ContainerInspectInfo, EndpointSettings, NetworkCreateOptions, NetworkInspectInfo } from 'dockerode';
import { dropUndefined } from '../../drop-undefined.js';
import { hostConfigMounts, mountsOf } from './volume-mapping.js';
import { containerMode, namespaceOwner, sharedNamespace } from '../network-mode.js';
import type {
  ContainerChange,
  ContainerConfig,
  ContainerStatus,
  EndpointConfig,
  EngineEvent,
  NetworkChange,
  NetworkConfig,
  ObservedContainer,
  ObservedEndpoint,
  ObservedNetwork,
  PortBinding,
  Protocol,
  SwarmState,
} from '../port.js';
import { DEFAULT_NETWORK } from '../../manifests/container-networks.js';
import { listedState, runtimeHostConfig } from './runtime.js';

/** What `listContainers` cannot show on Engine 20.10 (aliases and links are null there), kept per endpoint. */
export interface EndpointDetails {
  aliases: string[];
  links: string[];
  containerId: string;
  containerName: string;
}

/** One network a container joined, as the engine shows it. */
export interface JoinedNetwork {
  network: string;
  settings: EndpointSettings;
}

// ── networks ───────────────────────────────────────────────────────────────

export function observedNetwork(info: NetworkInspectInfo): ObservedNetwork {
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

/** The part of `GET /info` mooring reads (dockerode leaves it untyped). */
export interface EngineSystemInfo {
  Name: string;
  Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; Error?: string };
}

/** Docker's `LocalNodeState` is `inactive`, `pending`, `active`, `error` or `locked`; only `active` can use an overlay. */
export function swarmState(info: EngineSystemInfo): SwarmState {
  const state = info.Swarm?.LocalNodeState ?? 'inactive';
  const active = state === 'active';
  const message = info.Swarm?.Error || (state === 'inactive' ? 'This node is not part of a swarm' : `the swarm state of this node is ${state}`);
  return { hostname: info.Name, active, manager: active && info.Swarm?.ControlAvailable === true, ...(active ? {} : { message }) };
}

export function networkCreateBody(config: NetworkConfig): NetworkCreateOptions {
  const { ipam } = config;
  return {
    Name: config.name,
    // Without it, Engine 20.10 makes a second network of the same name.
    CheckDuplicate: true,
    Driver: config.driver,
    Internal: config.internal,
    Attachable: config.attachable,
    EnableIPv6: config.enableIPv6,
    ...((ipam ?? config.ipamConfigs) && {
      IPAM: { Driver: 'default', Config: (config.ipamConfigs ?? [ipam!]).map((pool) => dropUndefined({ Subnet: pool.subnet, Gateway: pool.gateway, IPRange: pool.ipRange })) },
    }),
    Options: config.options,
    Labels: config.labels,
  };
}

// ── containers ─────────────────────────────────────────────────────────────

/**
 * The network mode as mooring writes it: `default` (what the engine records for the default
 * bridge when no mode was given) is `bridge`, and `container:<id>` (what the engine records
 * whether it was given a name or an id) is `container:<name>` when `names` knows the id.
 */
export function networkMode(raw: string | undefined, names: ReadonlyMap<string, string>): string {
  if (raw === undefined || raw === '' || raw === 'default') return DEFAULT_NETWORK;
  const owner = namespaceOwner(raw);
  const name = owner === undefined ? undefined : names.get(owner);
  return name === undefined ? raw : containerMode(name);
}

/** A container in host, none or another container's namespace has no endpoints of its own. */
export function joinedNetworks(mode: string, networks: Record<string, EndpointSettings> | undefined | null): JoinedNetwork[] {
  if (sharedNamespace(mode)) return [];
  return Object.entries(networks ?? {}).map(([network, settings]) => ({ network, settings }));
}

/** The name itself, not the `/source/alias` names legacy links add. */
export function containerName(names: string[]): string {
  const own = names.find((name) => name.lastIndexOf('/') === 0) ?? names[0] ?? '';
  return own.replace(/^\//, '');
}

/** The engine may report links as `/target:/source/alias`; mooring writes `target:alias`. */
export function normalizeLink(link: string): string {
  return link.split(':').map((part) => part.slice(part.lastIndexOf('/') + 1)).join(':');
}

/** An inspected container's endpoint details: its aliases without the short id the engine adds, its links as mooring writes them. */
export function endpointDetails(info: ContainerInspectInfo, settings: EndpointSettings): EndpointDetails {
  const shortId = info.Id.slice(0, 12);
  return {
    aliases: (settings.Aliases ?? []).filter((alias) => alias !== shortId),
    links: (settings.Links ?? []).map(normalizeLink),
    containerId: info.Id,
    containerName: inspectedName(info),
  };
}

export function observedEndpoint({ network, settings }: JoinedNetwork, details: Pick<EndpointDetails, 'aliases' | 'links'>): ObservedEndpoint {
  return dropUndefined({
    network,
    networkId: settings.NetworkID ?? '',
    endpointId: settings.EndpointID ?? '',
    // A stopped container has no address, only the one asked for.
    ipv4Address: settings.IPAddress || settings.IPAMConfig?.IPv4Address || undefined,
    ipv6Address: settings.GlobalIPv6Address || settings.IPAMConfig?.IPv6Address || undefined,
    aliases: [...details.aliases],
    links: [...details.links],
  });
}

/** A container from the engine's list; `mode` from `networkMode`. The list shows no times; health and an exit code only in its status line. */
export function listedContainer(info: ContainerInfo, mode: string, endpoints: ObservedEndpoint[]): ObservedContainer {
  return {
    id: info.Id,
    name: containerName(info.Names),
    image: info.Image,
    imageId: info.ImageID,
    labels: info.Labels ?? {},
    status: info.State as ContainerStatus,
    ...listedState(info.Status),
    networkMode: mode,
    endpoints,
    portBindings: (info.Ports ?? []).flatMap((port): PortBinding[] =>
      port.PublicPort ? [{ containerPort: port.PrivatePort, protocol: port.Type as Protocol, hostIp: port.IP ?? '', hostPort: port.PublicPort }] : [],
    ),
    ...mountsOf(info.Mounts),
  };
}

export function inspectedName(info: ContainerInspectInfo): string {
  return info.Name.replace(/^\//, '');
}

/** An inspected container; `mode` from `networkMode`. */
export function inspectedContainer(info: ContainerInspectInfo, mode: string, endpoints: ObservedEndpoint[]): ObservedContainer {
  const { State: state } = info;
  const health = state.Health?.Status;
  return dropUndefined({
    id: info.Id,
    name: inspectedName(info),
    image: info.Config.Image,
    imageId: info.Image,
    labels: info.Config.Labels ?? {},
    status: state.Status as ContainerStatus,
    networkMode: mode,
    endpoints,
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

export function endpointSettings(endpoint: EndpointConfig): EndpointSettings {
  return {
    Aliases: endpoint.aliases,
    Links: endpoint.links,
    ...((endpoint.ipv4Address ?? endpoint.ipv6Address) !== undefined && { IPAMConfig: dropUndefined({ IPv4Address: endpoint.ipv4Address, IPv6Address: endpoint.ipv6Address }) }),
  };
}

/** The body of a container create, joined to its first endpoint's network (the engine takes one). */
export function containerCreateBody(config: ContainerConfig): ContainerCreateOptions {
  const [endpoint] = config.endpoints;
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
    StopSignal: config.runtime?.stopSignal,
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
      ...runtimeHostConfig(config.runtime),
    },
    ...(endpoint && { NetworkingConfig: { EndpointsConfig: { [endpoint.network]: endpointSettings(endpoint) } } }),
  });
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

// ── events ─────────────────────────────────────────────────────────────────

const CONTAINER_CHANGES: Readonly<Record<string, ContainerChange>> = {
  create: 'created',
  start: 'started',
  restart: 'restarted',
  kill: 'killed',
  die: 'died',
  oom: 'out-of-memory',
  stop: 'stopped',
  destroy: 'destroyed',
  pause: 'paused',
  unpause: 'unpaused',
  rename: 'renamed',
  update: 'updated',
};

const NETWORK_CHANGES: Readonly<Record<string, NetworkChange>> = {
  create: 'created',
  destroy: 'destroyed',
  // What a swarm-scoped network's removal is called.
  remove: 'destroyed',
  connect: 'connected',
  disconnect: 'disconnected',
};

/** Attributes of container events that are not labels. */
const EVENT_ATTRIBUTES = new Set(['name', 'image', 'exitCode', 'signal', 'container', 'type', 'execID']);

/** A container or network change, or undefined for the engine's other events (exec, attach, images, ...). */
export function engineEvent(message: unknown): EngineEvent | undefined {
  const raw = message as { Type?: string; Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> }; time?: number; timeNano?: number };
  const attributes = raw.Actor?.Attributes ?? {};
  const base = {
    id: raw.Actor?.ID ?? '',
    ...(attributes.name !== undefined && { name: attributes.name }),
    time: raw.timeNano !== undefined ? Math.floor(raw.timeNano / 1e6) : (raw.time ?? 0) * 1000,
  };
  const action = raw.Action ?? '';
  if (raw.Type === 'container') {
    // `health_status: healthy`: the verdict is in the action; the list and inspect say it too.
    const change = action.startsWith('health_status') ? 'health-changed' : Object.hasOwn(CONTAINER_CHANGES, action) ? CONTAINER_CHANGES[action] : undefined;
    const labels = Object.fromEntries(Object.entries(attributes).filter(([key]) => !EVENT_ATTRIBUTES.has(key)));
    return change && { resource: 'container', change, ...base, labels };
  }
  if (raw.Type === 'network') {
    const change = Object.hasOwn(NETWORK_CHANGES, action) ? NETWORK_CHANGES[action] : undefined;
    return change && { resource: 'network', change, ...base, labels: {}, ...(attributes.container !== undefined && { containerId: attributes.container }) };
  }
  return undefined;
}
