/**
 * `ports` (short and long syntax, ranges, host IP, udp) → PortPublishes, and
 * `expose` → the Container's `expose`. Pure.
 */
import type { ServiceTranslation } from './context.js';
import { ComposeValueError, expectInteger, expectMapping, expectString } from './context.js';
import { describeValue } from '../schema-issues.js';

export interface Publish {
  containerPort: number;
  protocol: string;
  hostPort?: number;
  hostIp?: string;
}

/** `[HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTOCOL]`, IPv6 host addresses in brackets; `IP::PORT` publishes on an ephemeral host port. */
const SHORT = /^(?:(?:\[([0-9a-fA-F:.]+)\]|(\d+\.\d+\.\d+\.\d+)):)?(?:(\d*)(?:-(\d+))?:)?(\d+)(?:-(\d+))?(?:\/(\w+))?$/;

/** One entry of `ports` → one publish per port of its range. */
export function publishes(entry: unknown): Publish[] {
  if (typeof entry === 'number') return [{ containerPort: port(entry), protocol: 'tcp' }];
  if (typeof entry === 'string') return shortSyntax(entry);
  const long = expectMapping(entry);
  for (const key of Object.keys(long)) {
    if (!['target', 'published', 'host_ip', 'protocol', 'mode', 'name', 'app_protocol'].includes(key)) throw new ComposeValueError(`unknown attribute \`${key}\``, [key]);
  }
  if (long.mode !== undefined && long.mode !== 'ingress' && long.mode !== 'host') throw new ComposeValueError(`expected host or ingress, got ${describeValue(long.mode)}`, ['mode']);
  const target = port(expectInteger(long.target));
  const protocol = protocolOf(long.protocol === undefined ? 'tcp' : expectString(long.protocol));
  const hostIp = long.host_ip === undefined ? undefined : expectString(long.host_ip);
  const published = long.published === undefined ? undefined : expectString(long.published);
  const [start, end] = published === undefined ? [] : range(published);
  return pair([target, target], [start, end], protocol, hostIp);
}

function shortSyntax(text: string): Publish[] {
  const match = SHORT.exec(text.trim());
  if (!match) throw new ComposeValueError(`expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], got ${describeValue(text)}`);
  const [, ipv6, ipv4, hostStart, hostEnd, start, end, protocol] = match;
  const number = (value: string | undefined) => (value === undefined || value === '' ? undefined : port(Number(value)));
  const containerStart = number(start)!;
  return pair([containerStart, number(end) ?? containerStart], [number(hostStart), number(hostEnd) ?? number(hostStart)], protocolOf(protocol ?? 'tcp'), ipv6 ?? ipv4);
}

function range(text: string): [number, number] {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!match) throw new ComposeValueError(`expected a port or a range such as 8000-8010, got ${describeValue(text)}`, ['published']);
  const start = port(Number(match[1]));
  return [start, match[2] === undefined ? start : port(Number(match[2]))];
}

function pair(container: [number, number], host: [number | undefined, number | undefined], protocol: string, hostIp: string | undefined): Publish[] {
  const [start, end] = container;
  const [hostStart, hostEnd] = host;
  if (end < start || (hostStart !== undefined && hostEnd! < hostStart)) throw new ComposeValueError('expected a range from a lower to a higher port');
  const count = end - start + 1;
  if (hostStart !== undefined && hostEnd! - hostStart + 1 !== count) {
    throw new ComposeValueError(`a host range of ${hostEnd! - hostStart + 1} ports for ${count} container ports: the engine would pick among them, and mooring publishes each port at a known host port (make the ranges the same length)`);
  }
  return Array.from({ length: count }, (_, index) => ({
    containerPort: start + index,
    protocol,
    ...(hostStart === undefined ? {} : { hostPort: hostStart + index }),
    ...(hostIp === undefined || hostIp === '' ? {} : { hostIp }),
  }));
}

function port(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new ComposeValueError(`expected a port from 1 to 65535, got ${describeValue(value)}`);
  return value;
}

function protocolOf(text: string): string {
  if (text !== 'tcp' && text !== 'udp') throw new ComposeValueError(`expected tcp or udp, got ${describeValue(text)}`);
  return text;
}

/** Every entry of `ports` as a PortPublish named after its container, port and protocol. */
export function translatePorts(value: unknown, translation: ServiceTranslation): void {
  if (!Array.isArray(value)) throw new ComposeValueError(`expected a list, got ${describeValue(value)}`);
  const names = new Set<string>();
  value.forEach((entry, index) => {
    let found: Publish[];
    try {
      found = publishes(entry);
    } catch (error) {
      if (error instanceof ComposeValueError) throw new ComposeValueError(error.message, [index, ...error.at]);
      throw error;
    }
    for (const publish of found) {
      const base = `${translation.container}-${publish.containerPort}-${publish.protocol}`;
      let name = base;
      for (let n = 2; names.has(name); n++) name = `${base}-${n}`;
      names.add(name);
      translation.documents.push({ kind: 'PortPublish', name, spec: { container: translation.container, ...publish }, origin: ['services', translation.service, 'ports', index] });
    }
  });
}

/** `expose`: ports and ranges, with an optional protocol. */
export function exposed(value: unknown): string[] {
  if (!Array.isArray(value)) throw new ComposeValueError(`expected a list, got ${describeValue(value)}`);
  return value.flatMap((entry, index) => {
    const match = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp))?$/.exec(String(entry));
    if (!match || (typeof entry !== 'string' && typeof entry !== 'number')) {
      throw new ComposeValueError(`expected a port such as 80, "80/udp" or "8000-8010", got ${describeValue(entry)}`, [index]);
    }
    const start = Number(match[1]);
    const end = match[2] === undefined ? start : Number(match[2]);
    const suffix = match[3] === undefined ? '' : `/${match[3]}`;
    return Array.from({ length: Math.max(end - start + 1, 0) }, (_, offset) => `${start + offset}${suffix}`);
  });
}
