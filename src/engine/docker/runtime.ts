/**
 * The runtime settings of a container (`RuntimeConfig`, `ContainerUpdate`) as
 * the Engine API spells them, and back: what the adapter sends at creation and
 * to `POST /containers/{id}/update`, what it reads from an inspection, and the
 * cache that lets a list report them without inspecting every container.
 */
import type { ContainerInspectInfo, HostConfig } from 'dockerode';
import { dropUndefined } from '../../drop-undefined.js';
import type { ObservedContainer } from '../port.js';
import type { ContainerUpdate, ObservedRuntime, ResourcesConfig, RuntimeConfig } from '../runtime-config.js';

const NANO = 1e9;

/** The HostConfig members of a runtime config; the container-level `StopSignal` comes from `stopSignal`. */
export function runtimeHostConfig(runtime: RuntimeConfig | undefined): HostConfig {
  if (!runtime) return {};
  return dropUndefined({
    ...resourcesHostConfig(runtime.resources ?? {}),
    CapAdd: runtime.capAdd,
    CapDrop: runtime.capDrop,
    Privileged: runtime.privileged,
    Devices: runtime.devices?.map((device) => ({ PathOnHost: device.pathOnHost, PathInContainer: device.pathInContainer, CgroupPermissions: device.permissions })),
    Ulimits: runtime.ulimits?.map((ulimit) => ({ Name: ulimit.name, Soft: ulimit.soft, Hard: ulimit.hard })),
    Sysctls: runtime.sysctls,
    Dns: runtime.dns,
    DnsSearch: runtime.dnsSearch,
    DnsOptions: runtime.dnsOptions,
    ReadonlyRootfs: runtime.readOnlyRootfs,
    Init: runtime.init,
    ShmSize: runtime.shmSize,
    SecurityOpt: runtime.securityOpt,
    GroupAdd: runtime.groupAdd,
    OomScoreAdj: runtime.oomScoreAdj,
    PidMode: runtime.pid,
    IpcMode: runtime.ipc,
    LogConfig: runtime.logging && { Type: runtime.logging.driver, Config: runtime.logging.options },
  });
}

/**
 * The body of an update. A memory limit raised above the swap limit the
 * container has is refused unless the swap limit comes with it, so an unset
 * `memorySwap` is sent as the engine's own default at creation: twice the memory.
 */
export function updateBody(update: ContainerUpdate): Record<string, unknown> {
  const resources = update.resources ?? {};
  const memorySwap = resources.memorySwap ?? (resources.memory === undefined ? undefined : resources.memory * 2);
  return dropUndefined({
    ...resourcesHostConfig({ ...resources, memorySwap }),
    RestartPolicy: update.restartPolicy && { Name: update.restartPolicy },
  });
}

/** What `updateContainer` changes, from an inspection's HostConfig. */
export function observedRuntime(hostConfig: HostConfig): ObservedRuntime {
  const set = (value: number | undefined) => (value === undefined || value === 0 ? undefined : value);
  const name = hostConfig.RestartPolicy?.Name;
  return {
    resources: dropUndefined({
      memory: set(hostConfig.Memory),
      memorySwap: set(hostConfig.MemorySwap),
      memoryReservation: set(hostConfig.MemoryReservation),
      cpus: hostConfig.NanoCpus ? hostConfig.NanoCpus / NANO : undefined,
      cpuShares: set(hostConfig.CpuShares),
      cpuset: hostConfig.CpusetCpus || undefined,
      pidsLimit: set(hostConfig.PidsLimit ?? undefined),
    }),
    restartPolicy: name === 'always' || name === 'unless-stopped' || name === 'on-failure' ? name : 'no',
  };
}

function resourcesHostConfig(resources: ResourcesConfig): HostConfig {
  return dropUndefined({
    Memory: resources.memory,
    MemorySwap: resources.memorySwap,
    MemoryReservation: resources.memoryReservation,
    NanoCpus: resources.cpus === undefined ? undefined : Math.round(resources.cpus * NANO),
    CpuShares: resources.cpuShares,
    CpusetCpus: resources.cpuset,
    PidsLimit: resources.pidsLimit,
  });
}

/**
 * What the list's status line tells (`Up 2 minutes (healthy)`, `Exited (0) 3 seconds ago`):
 * enough for dependency conditions without an inspection per pass.
 */
export function listedState(status: string | undefined): Pick<ObservedContainer, 'health' | 'exitCode'> {
  const health = /\((healthy|unhealthy|health: starting)\)/.exec(status ?? '')?.[1];
  const exitCode = /^Exited \((-?\d+)\)/.exec(status ?? '')?.[1];
  return dropUndefined({
    health: health === undefined ? undefined : health === 'health: starting' ? 'starting' : (health as 'healthy' | 'unhealthy'),
    exitCode: exitCode === undefined ? undefined : Number(exitCode),
  });
}

/**
 * By container id: what `updateContainer` changes, from the container's last
 * inspection. Only mooring's updates change it (it forgets the container then),
 * so a list needs no inspection to report it.
 */
export class RuntimeCache {
  readonly #byId = new Map<string, { name: string; runtime: ObservedRuntime }>();

  /** Forgets the containers no longer listed. */
  listed(ids: ReadonlySet<string>): void {
    for (const id of this.#byId.keys()) if (!ids.has(id)) this.#byId.delete(id);
  }

  get(id: string): ObservedRuntime | undefined {
    return this.#byId.get(id)?.runtime;
  }

  inspected(info: ContainerInspectInfo): ObservedRuntime {
    const runtime = observedRuntime(info.HostConfig);
    this.#byId.set(info.Id, { name: info.Name.replace(/^\//, ''), runtime });
    return runtime;
  }

  /** By id or name: the next list inspects it again and reports what the engine made of an update. */
  forget(idOrName: string): void {
    for (const [id, entry] of this.#byId) if (id === idOrName || entry.name === idOrName) this.#byId.delete(id);
  }
}
