/**
 * What is probed: every Link, every PortPublish and every Probe manifest of a
 * desired state, as a flat list of checks. Pure; the scheduler runs them.
 */
import type { DesiredState, Document } from '../manifests/model.js';
import type { ReachabilityStatus } from './model.js';
import { durationMs } from '../manifests/desired-state.js';
import { compare } from '../compare.js';

/** `from` of checks that run in the mooring process rather than in a container. */
export const HOST = 'host';

/** The name containers use for the host (with `extraHosts: [host.docker.internal:host-gateway]`). */
const HOST_ALIAS = 'host.docker.internal';

/** Where a check connects to. */
export type CheckTarget =
  /** A name (resolved as the source resolves it) or an IP address. */
  | { type: 'address'; host: string; port: number }
  /** A container's address on a network, looked up every round. */
  | { type: 'container'; container: string; network: string; port: number }
  /**
   * A published port: the host port the engine bound (`hostPort` when fixed),
   * looked up every round, dialled from the host, and the container's own
   * port dialled from inside the container in the same round.
   */
  | { type: 'publish'; host: string; hostPort?: number; container: string; containerPort: number };

export interface Check {
  /** Stable and unique: `link/<name>:<port>`, `link/<name>` (DNS-only), `publish/<name>`, `probe/<name>:<port>`. */
  name: string;
  /** The manifest the check belongs to: `Link/<name>`, `PortPublish/<name>`, `Probe/<name>`. */
  resource: string;
  kind: ReachabilityStatus['kind'];
  /** A container name, or {@link HOST}. */
  from: string;
  /** As shown in the status: the name or address dialled, or `container@network`. */
  to: string;
  /** The container the check is about: while it is not running the check is never Healthy (TargetNotRunning). */
  targetContainer?: string;
  /** 0 for a DNS-only check, and for a publish whose host port is still unknown. */
  port: number;
  protocol: ReachabilityStatus['protocol'];
  expect: ReachabilityStatus['expect'];
  target: CheckTarget;
  /** Set: the check is never run, and its status says NotProbed with this message. */
  notProbed?: string;
  /** A Probe's own settings; unset: the scheduler's. */
  intervalMs?: number;
  timeoutMs?: number;
  failureThreshold?: number;
}

/** Every check the desired state asks for, sorted by name. */
export function checksFor(desired: DesiredState): Check[] {
  const checks = [
    ...desired.links.flatMap((link) => linkChecks(link, desired)),
    ...desired.publishes.map(publishCheck),
    ...desired.probes.flatMap((probe) => probeChecks(probe, desired)),
  ];
  return checks.sort((a, b) => compare(a.name, b.name));
}

/**
 * A Link is checked on its own ports, or else on every TCP port the target
 * exposes or publishes; a target with none gets a DNS-only check (port 0).
 */
function linkChecks(link: Document<'Link'>, desired: DesiredState): Check[] {
  const { spec } = link;
  const alias = spec.alias ?? spec.to;
  const ports = spec.ports ?? defaultPorts(spec.to, desired);
  const base = { resource: `Link/${link.name}`, kind: 'link', from: spec.from, to: alias, targetContainer: spec.to, protocol: 'tcp', expect: 'reachable' } as const;
  if (ports.length === 0) return [{ ...base, name: `link/${link.name}`, port: 0, target: { type: 'address', host: alias, port: 0 } }];
  return ports.map((port) => ({ ...base, name: `link/${link.name}:${port}`, port, target: { type: 'address', host: alias, port } }));
}

function defaultPorts(container: string, desired: DesiredState): number[] {
  const target = desired.containers.find((candidate) => candidate.name === container);
  const exposed = (target?.spec.expose ?? []).flatMap((entry) => {
    const [port, protocol = 'tcp'] = String(entry).split('/');
    return protocol === 'tcp' ? [Number(port)] : [];
  });
  const published = desired.publishes
    .filter((publish) => publish.spec.container === container && publish.spec.protocol === 'tcp')
    .map((publish) => publish.spec.containerPort);
  return [...new Set([...exposed, ...published])].sort((a, b) => a - b);
}

/** Published ports are dialled from the host; a wildcard bind answers on loopback. */
function publishCheck(publish: Document<'PortPublish'>): Check {
  const { spec } = publish;
  const host = spec.hostIp === '0.0.0.0' ? '127.0.0.1' : spec.hostIp === '::' ? '::1' : spec.hostIp;
  const port = spec.hostPort ?? 0;
  const check: Check = {
    name: `publish/${publish.name}`,
    resource: `PortPublish/${publish.name}`,
    kind: 'publish',
    from: HOST,
    to: host,
    targetContainer: spec.container,
    port,
    protocol: spec.protocol,
    expect: 'reachable',
    target: { type: 'publish', host, ...(spec.hostPort === undefined ? {} : { hostPort: spec.hostPort }), container: spec.container, containerPort: spec.containerPort },
  };
  if (spec.protocol === 'udp') {
    check.notProbed = 'UDP has no handshake: a datagram that gets no reply proves nothing, so UDP publishes are not probed';
  }
  return check;
}

/** A Probe is about a container when `to` names a declared one, or its address on a network. */
function probeChecks(probe: Document<'Probe'>, desired: DesiredState): Check[] {
  const { spec } = probe;
  const { to } = spec;
  const settings = {
    ...(spec.interval === undefined ? {} : { intervalMs: durationMs(spec.interval) }),
    ...(spec.timeout === undefined ? {} : { timeoutMs: durationMs(spec.timeout) }),
    ...(spec.failureThreshold === undefined ? {} : { failureThreshold: spec.failureThreshold }),
  };
  const declared = typeof to === 'string' && desired.containers.some((container) => container.name === to);
  const about = typeof to === 'string' ? (declared ? { targetContainer: to } : {}) : { targetContainer: to.container };
  // From the host itself, the host's alias means loopback; containers resolve it themselves, or fail to, as they would.
  const host = spec.from === HOST && to === HOST_ALIAS ? '127.0.0.1' : to;
  return (spec.ports.length === 0 ? [0] : spec.ports).map((port) => ({
    name: port === 0 ? `probe/${probe.name}` : `probe/${probe.name}:${port}`,
    resource: `Probe/${probe.name}`,
    kind: 'probe',
    from: spec.from,
    to: typeof to === 'string' ? to : `${to.container}@${to.network}`,
    ...about,
    port,
    protocol: 'tcp',
    expect: spec.expect,
    target: typeof host === 'string' ? { type: 'address', host, port } : { type: 'container', container: host.container, network: host.network, port },
    ...settings,
  }));
}
