/**
 * The runtime settings of a container (`RuntimeConfig`, `ContainerUpdate`) as
 * the Engine API spells them, and back: what `docker.ts` sends at creation
 * and to `POST /containers/{id}/update`, and what it reads from an inspection.
 */
import type { HostConfig } from 'dockerode';
import { dropUndefined } from '../drop-undefined.js';
import type { ContainerUpdate, ObservedRuntime, ResourcesConfig, RuntimeConfig } from './runtime-config.js';

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
