/**
 * From a check and the round's list of containers to the connections to make,
 * or to a result without any: pure. Targets are looked up every round, so a
 * check follows its container across recreates, and a connection counts only
 * when it went to the container the check is about: a stopped container's host
 * port may be taken by another process, which would answer.
 */
import type { ObservedContainer } from '../engine/port.js';
import type { ProbeReason, ProbeResult } from './model.js';
import type { Check } from './checks.js';
import { HOST } from './checks.js';

/** A result before the round stamps its time. */
export type CheckResult = Omit<ProbeResult, 'at'>;

/** One connection to make: from the host or from inside a container's network namespace. */
export interface Dial {
  /** {@link HOST}, or a container name. */
  from: string;
  host: string;
  port: number;
  /** The target container's addresses, when a name is dialled: only a connection to one of them counts. */
  addresses?: string[];
  /** Set where a proxy may stand between: an accepted connection closed within this is ConnectionClosed. */
  closeGraceMs?: number;
}

/**
 * How long a connection that may go through a proxy is watched before it
 * counts: docker-proxy accepts every connection on a published port and
 * closes it a few milliseconds later when the container refuses, while a
 * service sends something or waits for the client. Only a host port, or an
 * address that is not a container's, can be such a proxy; a connection to a
 * container's own address counts at once, and keeps the probe threads short.
 */
export const CLOSE_GRACE_MS = 100;

export type DialPlan =
  | { type: 'settled'; result: CheckResult }
  /**
   * `backend`, for publishes: the container's own port, dialled from inside
   * it; `boundPort`: the host port the engine bound.
   */
  | { type: 'dial'; dial: Dial; backend?: Dial; boundPort?: number };

/** What to dial for `check` this round; `containers` by name, from one list of the engine. */
export function planDials(check: Check, containers: ReadonlyMap<string, ObservedContainer>): DialPlan {
  if (check.notProbed !== undefined) return settled('NotProbed', check.notProbed);
  const { target } = check;
  const about = check.targetContainer === undefined ? undefined : containers.get(check.targetContainer);
  if (check.targetContainer !== undefined && about?.status !== 'running') {
    const state = about === undefined ? 'does not exist' : `is ${about.status}`;
    return settled('TargetNotRunning', `container ${check.targetContainer} ${state}: nothing there can answer`);
  }
  const addresses = about?.endpoints.flatMap((endpoint) => (endpoint.ipv4Address === undefined ? [] : [endpoint.ipv4Address])) ?? [];
  // A target in another container's namespace (`networkMode: container:`) has no addresses of its own to compare with.
  if (target.type === 'address') {
    const only = addresses.length > 0 ? { addresses } : { closeGraceMs: CLOSE_GRACE_MS };
    return { type: 'dial', dial: { from: check.from, host: target.host, port: target.port, ...only } };
  }
  // Container and publish targets are about their own container (checks.ts), which runs, as seen above.
  const container = about as ObservedContainer;
  if (target.type === 'container') {
    const address = container.endpoints.find((endpoint) => endpoint.network === target.network)?.ipv4Address;
    if (address === undefined) return settled('TargetNotOnNetwork', `container ${target.container} has no IPv4 address on network ${target.network}`);
    return { type: 'dial', dial: { from: check.from, host: address, port: target.port } };
  }
  const binding = container.portBindings.find(
    (candidate) =>
      candidate.containerPort === target.containerPort &&
      candidate.protocol === check.protocol &&
      candidate.hostPort !== undefined &&
      (target.hostPort === undefined || candidate.hostPort === target.hostPort),
  );
  const what = `${target.container} ${target.containerPort}/${check.protocol}`;
  if (binding?.hostPort === undefined) {
    return settled('HostPortUnreachable', `the engine reports no host port${target.hostPort === undefined ? '' : ` ${target.hostPort}`} bound to ${what}`);
  }
  const backend = backendAddress(container);
  if (backend === undefined) return settled('BackendRefused', `container ${target.container} has no IPv4 address for the engine to forward ${what} to`);
  return {
    type: 'dial',
    dial: { from: HOST, host: target.host, port: binding.hostPort, closeGraceMs: CLOSE_GRACE_MS },
    backend: { from: target.container, host: backend, port: target.containerPort },
    boundPort: binding.hostPort,
  };
}

/**
 * A publish's verdict from its two connections of the same round: the host
 * port from the host, and the container's own port from inside the container.
 * The container's side comes first: when it refuses, whatever accepted on the
 * host port (docker-proxy does, for every connection) was not the service.
 */
export function publishResult(host: CheckResult, backend: CheckResult, dials: { dial: Dial; backend: Dial }): CheckResult {
  const inside = `${dials.backend.from} on ${dials.backend.host}:${dials.backend.port} from inside its network namespace`;
  const hostSide = `${dials.dial.host}:${dials.dial.port} from the host`;
  if (backend.reason === 'SourceNotRunning') return { ...backend, reason: 'TargetNotRunning', message: `${backend.message}: nothing there can answer` };
  if (backend.reason === 'ProbeError') return { ...backend, message: `checking ${inside}: ${backend.message}` };
  if (backend.reason !== 'Connected') {
    return { ...host, reason: 'BackendRefused', message: `${inside}: ${backend.reason}: ${backend.message} (${hostSide}: ${host.reason}: ${host.message})` };
  }
  if (host.reason === 'Connected') return { ...host, message: `${host.message}; ${inside}: ${backend.message}` };
  if (host.reason === 'ProbeError') return host;
  return { ...host, reason: 'HostPortUnreachable', message: `${hostSide}: ${host.reason}: ${host.message} (${inside}: connected)` };
}

/** A result for a check that did not reach the network. */
export function notRun(reason: ProbeReason, message: string): CheckResult {
  return { success: false, durationMs: 0, resolvedAddresses: [], reason, message, method: 'none' };
}

function settled(reason: ProbeReason, message: string): DialPlan {
  return { type: 'settled', result: notRun(reason, message) };
}

/**
 * Where the engine forwards a published port: the container's address on the
 * network it was created on (its network mode names it), else on any network.
 */
function backendAddress(container: ObservedContainer): string | undefined {
  const withAddress = container.endpoints.filter((endpoint) => endpoint.ipv4Address !== undefined);
  return (withAddress.find((endpoint) => endpoint.network === container.networkMode) ?? withAddress[0])?.ipv4Address;
}
