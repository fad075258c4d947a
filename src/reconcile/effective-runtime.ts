/**
 * A Container's runtime fields (issue 15), normalized: what the engine is sent
 * at creation, what the spec hash covers, and what the planner compares with a
 * running container. A field at its default is left out altogether (false,
 * empty lists, 0), so the hash of a container that sets none of them is the
 * one mooring computed before they existed.
 */
import type { ContainerSpec } from '../manifests/schema.js';
import type { DependencyCondition } from '../manifests/schema-runtime.js';
import type { DeviceConfig, ResourcesConfig, RuntimeConfig } from '../engine/runtime-config.js';
import { dropUndefined } from '../drop-undefined.js';
import { compare } from '../compare.js';
import { capability } from '../manifests/schema-runtime.js';

/** Undefined when the manifest sets none of the runtime fields. */
export function runtimeConfig(spec: ContainerSpec): RuntimeConfig | undefined {
  const resources: ResourcesConfig | undefined = spec.resources && dropUndefined({ ...spec.resources });
  const runtime: RuntimeConfig = dropUndefined({
    resources: resources && Object.keys(resources).length > 0 ? resources : undefined,
    capAdd: list(spec.capAdd?.map(capability)),
    capDrop: list(spec.capDrop?.map(capability)),
    privileged: spec.privileged || undefined,
    devices: spec.devices && spec.devices.length > 0 ? sortedBy(spec.devices.map(device), (entry) => entry.pathInContainer) : undefined,
    ulimits: spec.ulimits && Object.keys(spec.ulimits).length > 0
      ? sortedBy(Object.entries(spec.ulimits).map(([name, limit]) => (typeof limit === 'number' ? { name, soft: limit, hard: limit } : { name, ...limit })), (entry) => entry.name)
      : undefined,
    sysctls: spec.sysctls && Object.keys(spec.sysctls).length > 0
      ? Object.fromEntries(Object.entries(spec.sysctls).map(([key, value]): [string, string] => [key, String(value)]).sort(([a], [b]) => compare(a, b)))
      : undefined,
    // The order of nameservers and search domains is the order they are tried in.
    dns: nonEmpty(spec.dns),
    dnsSearch: nonEmpty(spec.dnsSearch),
    dnsOptions: list(spec.dnsOptions),
    readOnlyRootfs: spec.readOnlyRootfs || undefined,
    init: spec.init || undefined,
    stopSignal: spec.stopSignal && signal(spec.stopSignal),
    shmSize: spec.shmSize || undefined,
    securityOpt: list(spec.securityOpt),
    groupAdd: list(spec.groupAdd?.map(String)),
    oomScoreAdj: spec.oomScoreAdj || undefined,
    pid: spec.pid,
    ipc: spec.ipc,
    logging: spec.logging && {
      driver: spec.logging.driver,
      options: Object.fromEntries(Object.entries(spec.logging.options).sort(([a], [b]) => compare(a, b))),
    },
  });
  return Object.keys(runtime).length > 0 ? runtime : undefined;
}

function signal(name: string): string {
  const upper = name.toUpperCase();
  return /^\d+$/.test(upper) || upper.startsWith('SIG') ? upper : `SIG${upper}`;
}

export interface ConditionalDependency {
  name: string;
  condition: Exclude<DependencyCondition, 'started'>;
}

/** The `dependsOn` entries that wait for more than a start: the planner holds the dependent's start until they are ready. */
export function conditionalDependencies(spec: Pick<ContainerSpec, 'dependsOn'>): ConditionalDependency[] {
  return spec.dependsOn.flatMap((entry) => (typeof entry === 'object' && entry.condition !== 'started' ? [{ name: entry.name, condition: entry.condition }] : []));
}

/** `/dev/fuse` alone is `/dev/fuse:/dev/fuse:rwm`, as `docker run --device` reads it. */
function device(text: string): DeviceConfig {
  const [pathOnHost = '', second, third] = text.split(':');
  const permissions = third ?? (second !== undefined && /^[rwm]+$/.test(second) ? second : 'rwm');
  const pathInContainer = second !== undefined && second.startsWith('/') ? second : pathOnHost;
  return { pathOnHost, pathInContainer, permissions };
}

function list(values: string[] | undefined): string[] | undefined {
  return values && values.length > 0 ? [...new Set(values)].sort(compare) : undefined;
}

function nonEmpty(values: string[] | undefined): string[] | undefined {
  return values && values.length > 0 ? [...values] : undefined;
}

function sortedBy<T>(values: T[], key: (value: T) => string): T[] {
  return [...values].sort((a, b) => compare(key(a), key(b)));
}
