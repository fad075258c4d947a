/**
 * From manifest documents to what the engine is asked to create, and the spec
 * hash that says whether a running resource still matches.
 *
 * A container's effective config merges the Container with the Links that start
 * from it and the PortPublishes that target it. Only creation-time settings are
 * hashed: network attachments, aliases and network-scoped links change in place
 * (disconnect/connect), so they never make a container be recreated.
 */
import type { ContainerConfig, EndpointConfig, HealthcheckConfig, NetworkConfig, PortBinding } from '../engine/port.js';
import type { DesiredState, Document } from '../manifests/model.js';
import type { ContainerSpec } from '../manifests/schema.js';
import { durationMs } from '../manifests/desired-state.js';
import { DEFAULT_NETWORK, containerNetworks } from '../manifests/container-networks.js';
import { LABELS, isMooringLabel, ownerLabels } from '../engine/labels.js';
import { specHash } from '../engine/spec-hash.js';
import { splitCommand } from '../manifests/command-line.js';
import { dropUndefined } from '../drop-undefined.js';
import type { PullPolicy } from './actions.js';
import { resourceKey } from './actions.js';
import { compare } from '../compare.js';
import type { EffectiveStorage } from './effective-storage.js';
import { effectiveBuild } from './effective-build.js';
import type { EffectiveBuild } from './effective-build.js';
import { effectiveStorage } from './effective-storage.js';
import type { RuntimeConfig } from '../engine/runtime-config.js';
import { conditionalDependencies, runtimeConfig } from './effective-runtime.js';
import { dependencyName } from '../manifests/schema-runtime.js';
import type { ConditionalDependency } from './effective-runtime.js';

export interface EffectiveNetwork {
  name: string;
  /** `Network/<name>`. */
  resource: string;
  source: string;
  external: boolean;
  /** With the ownership labels. */
  config: NetworkConfig;
  hash: string;
}

/** The normalized creation-time settings of a container: what its spec hash covers; runtime fields only when set. */
export interface CreationSpec extends RuntimeConfig {
  image: string;
  command?: string[];
  entrypoint?: string[];
  env: Record<string, string>;
  workingDir?: string;
  user?: string;
  hostname?: string;
  /** The manifest's labels, without mooring's own. */
  labels: Record<string, string>;
  restartPolicy: ContainerConfig['restartPolicy']['name'];
  /** `host`, `none` or `container:<name>`; absent when the container joins networks. */
  networkMode?: string;
  exposedPorts: string[];
  /** `hostIp:hostPort:containerPort/protocol`, hostPort empty when ephemeral. */
  ports: string[];
  extraHosts: string[];
  /** Legacy links, `container:alias`. */
  links: string[];
  healthcheck?: HealthcheckConfig;
  stopTimeoutSeconds: number;
  /** Absent when none, as every field at its default: a container made before mooring knew of mounts keeps its hash. */
  mounts?: string[];
  /** Absent when none; see `effective-storage.ts`. */
  secrets?: string[];
}

export interface EffectiveContainer {
  name: string;
  /** `Container/<name>`. */
  resource: string;
  source: string;
  /** What `createContainer` gets: it joins only the first network; the others are connected afterwards. */
  config: ContainerConfig;
  /** Every network the container joins, in manifest order; empty in host, none and container: modes. */
  endpoints: EndpointConfig[];
  creation: CreationSpec;
  hash: string;
  /** A short digest per field of `creation` (`env.NAME` and `labels.KEY` per entry), recorded in a label for diffs. */
  fieldDigests: Record<string, string>;
  state: ContainerSpec['state'];
  pullPolicy: PullPolicy;
  /** Set for a container whose image mooring builds. */
  build?: EffectiveBuild;
  storage: EffectiveStorage;
  /** Dependencies it is started after only once they are healthy or completed. */
  waitsFor: ConditionalDependency[];
  /**
   * Containers this one needs, by name. Targets of network-scoped links are not
   * among them: such a link is a name the engine's DNS resolves when asked, so
   * its target may be made later, or be the source's own link target back.
   */
  needs: {
    dependsOn: string[];
    /** Targets of legacy links: they must exist at creation and run at start. */
    legacyLinks: string[];
    /** The container whose network namespace this one shares. */
    networkModeContainer?: string;
  };
}

export function effectiveNetwork(options: { document: Document<'Network'>; instance: string }): EffectiveNetwork {
  const { document, instance } = options;
  const { spec } = document;
  const ipam = spec.ipam && dropUndefined({ subnet: spec.ipam.subnet, gateway: spec.ipam.gateway, ipRange: spec.ipam.ipRange });
  const hashed = {
    driver: spec.driver,
    internal: spec.internal,
    attachable: spec.attachable,
    enableIPv6: spec.enableIPv6,
    ipam: ipam && Object.keys(ipam).length > 0 ? ipam : undefined,
    // Hashed only when given, so the hash of a network in the single form stays what it was.
    ipamConfigs: spec.ipam?.configs?.map((pool) => dropUndefined({ ...pool })),
    options: spec.options,
    labels: withoutMooringLabels(spec.labels),
  };
  return { ...ownedResource({ kind: 'Network', document, instance, hashed }), external: spec.external };
}

/**
 * A Network's or Volume's config as mooring creates it: what its hash covers,
 * and the ownership labels (with the hash) on top of the user's.
 */
export function ownedResource<H extends { labels: Record<string, string> }>(options: {
  kind: 'Network' | 'Volume';
  document: Document;
  instance: string;
  hashed: H;
  /** More of mooring's own labels. */
  labels?: Record<string, string>;
}): { name: string; resource: string; source: string; hash: string; config: H & { name: string } } {
  const { kind, document, instance, hashed } = options;
  const hash = specHash(hashed);
  const owner = ownerLabels({ instance, kind, name: document.name, source: document.source.file, specHash: hash });
  return {
    name: document.name,
    resource: resourceKey(kind, document.name),
    source: document.source.file,
    hash,
    config: { name: document.name, ...hashed, labels: { ...hashed.labels, ...owner, ...options.labels } },
  };
}

export function effectiveContainer(options: { document: Document<'Container'>; desired: DesiredState; instance: string; stateDir?: string }): EffectiveContainer {
  const { document, desired, instance } = options;
  const { spec, name } = document;
  const storage = effectiveStorage({ document, instance, stateDir: options.stateDir, inputs: desired.inputs });
  const links = desired.links.filter((link) => link.spec.from === name).map((link) => link.spec);
  const publishes = desired.publishes.filter((publish) => publish.spec.container === name).map((publish) => publish.spec);

  const legacyLinks = links.filter((link) => link.network === undefined);
  const endpoints: EndpointConfig[] = spec.networkMode
    ? []
    : containerNetworks(spec).map((network) => dropUndefined({
        network: network.name,
        aliases: sortedUnique(network.aliases),
        ipv4Address: network.ipv4Address,
        ipv6Address: network.ipv6Address,
        links: sortedUnique(links.filter((link) => link.network === network.name).map(linkString)),
      }));

  const portBindings: PortBinding[] = publishes.map((publish) => dropUndefined({
    containerPort: publish.containerPort,
    protocol: publish.protocol,
    hostIp: publish.hostIp,
    hostPort: publish.hostPort,
  }));

  const runtime = runtimeConfig(spec);
  const creation: CreationSpec = dropUndefined({
    image: normalizeImage(spec.image),
    command: spec.command === undefined ? undefined : commandLine(spec.command),
    entrypoint: spec.entrypoint === undefined ? undefined : commandLine(spec.entrypoint),
    env: Object.fromEntries(Object.entries({ ...storage.envFromFiles, ...spec.env }).map(([key, value]): [string, string] => [key, String(value)]).sort(([a], [b]) => compare(a, b))),
    workingDir: spec.workingDir,
    user: spec.user,
    hostname: spec.hostname,
    labels: withoutMooringLabels(spec.labels),
    restartPolicy: spec.restartPolicy,
    networkMode: spec.networkMode,
    exposedPorts: sortedUnique([...spec.expose.map(portString), ...publishes.map((publish) => `${publish.containerPort}/${publish.protocol}`)]),
    ports: sortedUnique(portBindings.map(bindingString)),
    extraHosts: sortedUnique(spec.extraHosts),
    links: sortedUnique(legacyLinks.map(linkString)),
    healthcheck: spec.healthcheck && healthcheckConfig(spec.healthcheck),
    stopTimeoutSeconds: spec.stopTimeout,
    mounts: storage.mounts,
    secrets: storage.secrets,
    ...runtime,
  });
  const hash = specHash(creation);
  const fieldDigests = digestFields(creation);

  const config: ContainerConfig = dropUndefined({
    name,
    image: spec.image,
    command: creation.command,
    entrypoint: creation.entrypoint,
    env: Object.entries(creation.env).map(([key, value]) => `${key}=${value}`),
    workingDir: creation.workingDir,
    user: creation.user,
    hostname: creation.hostname,
    labels: {
      ...creation.labels,
      ...ownerLabels({ instance, kind: 'Container', name, source: document.source.file, specHash: hash }),
      [LABELS.specFields]: JSON.stringify(fieldDigests),
      [LABELS.stopTimeout]: String(spec.stopTimeout),
    },
    restartPolicy: { name: spec.restartPolicy },
    networkMode: spec.networkMode ?? endpoints[0]?.network ?? DEFAULT_NETWORK,
    endpoints: endpoints.slice(0, 1),
    exposedPorts: creation.exposedPorts,
    portBindings: [...portBindings].sort((a, b) => compare(bindingString(a), bindingString(b))),
    extraHosts: creation.extraHosts,
    links: creation.links,
    healthcheck: creation.healthcheck,
    stopTimeoutSeconds: spec.stopTimeout,
    mounts: storage.engineMounts.length > 0 ? storage.engineMounts : undefined,
    runtime,
  });

  const networkModeContainer = spec.networkMode?.startsWith('container:') ? spec.networkMode.slice('container:'.length) : undefined;
  return {
    name,
    resource: resourceKey('Container', name),
    source: document.source.file,
    config,
    endpoints,
    creation,
    hash,
    fieldDigests,
    state: spec.state,
    pullPolicy: spec.pullPolicy,
    ...(spec.build && { build: effectiveBuild(document, desired.inputs) }),
    storage,
    waitsFor: conditionalDependencies(spec),
    needs: dropUndefined({
      dependsOn: sortedUnique(spec.dependsOn.map(dependencyName)),
      legacyLinks: sortedUnique(legacyLinks.map((link) => link.to)),
      networkModeContainer,
    }),
  };
}

/** `busybox`, `busybox:latest` and `docker.io/library/busybox:latest` name the same image. */
export function normalizeImage(reference: string): string {
  let image = reference.replace(/^(docker\.io|index\.docker\.io|registry-1\.docker\.io)\//, '').replace(/^library\/(?=[^/]+$)/, '');
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  if (!image.includes('@') && !lastSegment.includes(':')) image += ':latest';
  return image;
}

/** `hostIp:hostPort:containerPort/protocol`, the form plans print and hashes cover. */
export function bindingString(binding: PortBinding): string {
  const hostIp = binding.hostIp.includes(':') ? `[${binding.hostIp}]` : binding.hostIp;
  return `${hostIp}:${binding.hostPort ?? ''}:${binding.containerPort}/${binding.protocol}`;
}

function commandLine(value: string | string[]): string[] {
  return typeof value === 'string' ? splitCommand(value) : [...value];
}

function healthcheckConfig(healthcheck: NonNullable<ContainerSpec['healthcheck']>): HealthcheckConfig {
  const test = typeof healthcheck.test === 'string'
    ? ['CMD-SHELL', healthcheck.test]
    : ['CMD', 'CMD-SHELL', 'NONE'].includes(healthcheck.test[0]!) ? [...healthcheck.test] : ['CMD', ...healthcheck.test];
  const ns = (value: typeof healthcheck.interval) => (value === undefined ? undefined : Math.round(durationMs(value) * 1e6));
  return dropUndefined({
    test,
    intervalNs: ns(healthcheck.interval),
    timeoutNs: ns(healthcheck.timeout),
    retries: healthcheck.retries,
    startPeriodNs: ns(healthcheck.startPeriod),
  });
}

/** The short digest recorded per field in the `io.mooring.spec-fields` label. */
export function fieldDigest(value: unknown): string {
  return specHash(value).slice(0, 8);
}

function digestFields(creation: CreationSpec): Record<string, string> {
  const digest = fieldDigest;
  const fields: Record<string, string> = {};
  for (const [field, value] of Object.entries(creation)) {
    if (field === 'env' || field === 'labels' || field === 'resources') {
      for (const [key, entry] of Object.entries(value as Record<string, string>)) fields[`${field}.${key}`] = digest(entry);
    } else {
      fields[field] = digest(value);
    }
  }
  return fields;
}

function portString(port: number | string): string {
  const text = String(port);
  return text.includes('/') ? text : `${text}/tcp`;
}

function linkString(link: { to: string; alias?: string }): string {
  return `${link.to}:${link.alias ?? link.to}`;
}

/** The user's labels, sorted, without mooring's own. */
export function withoutMooringLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([key]) => !isMooringLabel(key)).sort(([a], [b]) => compare(a, b)));
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(compare);
}
