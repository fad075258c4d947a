/**
 * The Container fields that say how its process runs (issue 15): resources,
 * capabilities, devices, limits, DNS, logging and the like, each as the
 * Engine API takes it. Every one is optional and has no default here: a field
 * left out is not sent, not hashed and not recorded, so a container made
 * before these fields existed still matches its manifest.
 */
import { z } from 'zod';

/** Docker's sizes: `512m`, `1g`, `64k`, `1024` (bytes), binary multiples as `docker run --memory` reads them. */
const SIZE = /^(\d+)\s*([bkmg])?b?$/i;
const UNIT: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

export const size = z
  .union([z.number().int().nonnegative(), z.string().regex(SIZE, 'expected a size such as 512m, 1g, 64k or a number of bytes')])
  .transform((value) => (typeof value === 'number' ? value : sizeBytes(value)));

export function sizeBytes(text: string): number {
  const [, digits, unit = 'b'] = SIZE.exec(text.trim()) ?? [];
  return Number(digits) * UNIT[unit.toLowerCase()]!;
}

/** Bytes back as the shortest exact size: 268435456 → `256m`, for plans. */
export function formatSize(bytes: number): string {
  for (const unit of ['g', 'm', 'k'] as const) if (bytes > 0 && bytes % UNIT[unit]! === 0) return `${bytes / UNIT[unit]!}${unit}`;
  return String(bytes);
}

export const resources = z.strictObject({
  /** HostConfig.Memory. */
  memory: size.optional(),
  /** HostConfig.MemorySwap: memory plus swap; -1 for unlimited swap. */
  memorySwap: z.union([z.literal(-1), size]).optional(),
  /** HostConfig.MemoryReservation. */
  memoryReservation: size.optional(),
  /** HostConfig.NanoCpus, as a number of CPUs. */
  cpus: z.number().positive().optional(),
  /** HostConfig.CpuShares. */
  cpuShares: z.number().int().min(2).optional(),
  /** HostConfig.CpusetCpus, e.g. `"0,1"` or `"0-3"`. */
  cpuset: z.string().regex(/^\d+(-\d+)?(,\d+(-\d+)?)*$/, 'expected CPUs such as "0,1" or "0-3"').optional(),
  /** HostConfig.PidsLimit; -1 for unlimited. */
  pidsLimit: z.number().int().min(-1).optional(),
});

/** A capability as `docker run --cap-add` takes it: `NET_ADMIN`, `CAP_NET_ADMIN` or `ALL`. */
const capabilityName = z.string().regex(/^(CAP_)?[A-Z][A-Z0-9_]*$/i, 'expected a capability such as NET_ADMIN or ALL');

/** `/dev/fuse`, `/dev/fuse:/dev/fuse`, `/dev/fuse:/dev/fuse:rwm`. */
export const device = z
  .string()
  .regex(/^\/[^:]*(:\/[^:]*)?(:[rwm]{1,3})?$/, 'expected "/dev/host[:/dev/container[:permissions]]", permissions of r, w and m');

const ulimit = z.union([z.number().int().min(-1), z.strictObject({ soft: z.number().int().min(-1), hard: z.number().int().min(-1) })]);

const containerRef = /^container:[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export const logging = z.strictObject({
  /** HostConfig.LogConfig.Type. */
  driver: z.string().min(1),
  /** HostConfig.LogConfig.Config. */
  options: z.record(z.string(), z.string()).default({}),
});

/** `cap_net_admin` and `NET_ADMIN` are one capability, as Docker reads them. */
export function capability(name: string): string {
  return name.toUpperCase().replace(/^CAP_/, '');
}

/** Spread into the Container spec's schema. */
export const runtimeFields = {
  resources: resources.optional(),
  capAdd: z.array(capabilityName).optional(),
  capDrop: z.array(capabilityName).optional(),
  privileged: z.boolean().optional(),
  devices: z.array(device).optional(),
  ulimits: z.record(z.string().regex(/^[a-z]+$/, 'expected a limit name such as nofile or nproc'), ulimit).optional(),
  sysctls: z.record(z.string().min(1), z.union([z.string(), z.number()])).optional(),
  dns: z.array(z.union([z.ipv4(), z.ipv6()])).optional(),
  dnsSearch: z.array(z.string().min(1)).optional(),
  dnsOptions: z.array(z.string().min(1)).optional(),
  readOnlyRootfs: z.boolean().optional(),
  init: z.boolean().optional(),
  stopSignal: z.string().regex(/^(SIG[A-Z0-9+-]+|[A-Z0-9+-]+|\d+)$/i, 'expected a signal such as SIGQUIT, QUIT or 3').optional(),
  shmSize: size.optional(),
  securityOpt: z.array(z.string().min(1)).optional(),
  groupAdd: z.array(z.union([z.string().min(1), z.number().int().nonnegative()])).optional(),
  oomScoreAdj: z.number().int().min(-1000).max(1000).optional(),
  pid: z.union([z.literal('host'), z.string().regex(containerRef, 'expected host or container:<name>')]).optional(),
  ipc: z.union([z.enum(['private', 'shareable', 'host', 'none']), z.string().regex(containerRef, 'expected private, shareable, host, none or container:<name>')]).optional(),
  logging: logging.optional(),
};

export type ResourcesSpec = z.output<typeof resources>;

/** One address pool of a Network: IPv4 or IPv6. */
export const ipamPool = z.strictObject({
  subnet: z.union([z.cidrv4(), z.cidrv6()]).optional(),
  gateway: z.union([z.ipv4(), z.ipv6()]).optional(),
  ipRange: z.union([z.cidrv4(), z.cidrv6()]).optional(),
});

/** `ipam.configs`: several pools (IPAMConfig), e.g. one IPv4 and one IPv6; the single form's fields then stay unset. */
export const ipamConfigs = z.array(ipamPool).min(1).optional();

/** The IPv4 subnet a Network's fixed addresses come from, in either form of `ipam`. */
export function ipv4Subnet(ipam: { subnet?: string; configs?: { subnet?: string }[] } | undefined): string | undefined {
  return ipam?.subnet ?? ipam?.configs?.find((pool) => pool.subnet !== undefined && !pool.subnet.includes(':'))?.subnet;
}

/**
 * What a dependent waits for: `started` (created and started first: the plain
 * form), `healthy` (its healthcheck reports healthy), `completed` (it exited with 0).
 */
export const dependencyCondition = z.enum(['started', 'healthy', 'completed']);

/** A `dependsOn` entry: a container's name, or `{ name, condition }`. */
export const dependency = (name: z.ZodString) => z.union([name, z.strictObject({ name, condition: dependencyCondition.default('started') })]);

export type DependencyCondition = z.output<typeof dependencyCondition>;

/** The name a `dependsOn` entry refers to, in either form. */
export function dependencyName(entry: string | { name: string }): string {
  return typeof entry === 'string' ? entry : entry.name;
}
