/**
 * What probes find, in the shape the status file publishes: the probes own
 * these types and `status` reads them, never the other way round.
 */
import type { ProberReason } from './prober.js';

/**
 * The prober's own reasons (from inside the namespace), and those mooring
 * adds from what it knows outside it. What each one means, precisely, is in docs/status.md.
 */
export type ProbeReason =
  | ProberReason
  | 'HostPortUnreachable'
  | 'BackendRefused'
  | 'TargetNotRunning'
  | 'TargetNotOnNetwork'
  | 'SourceNotRunning'
  | 'NotProbed';

export interface ProbeResult {
  at: string;
  /** Whether the result met the check's `expect` (a refused connection is a success for `expect: unreachable`). */
  success: boolean;
  durationMs: number;
  resolvedAddresses: string[];
  reason: ProbeReason;
  message: string;
  /** How the check ran: `setns`, `nsenter`, `probe-container`, or `host`; `none` when nothing ran (SourceNotRunning, NotProbed, an engine error). */
  method: string;
}

export interface ReachabilityStatus {
  /** Stable name, e.g. `link/web-to-db:5432`. */
  name: string;
  /** The manifest the check belongs to, as `Kind/name`: `Link/web-to-db`. */
  resource: string;
  kind: 'link' | 'publish' | 'probe';
  from: string;
  to: string;
  /** 0 for a DNS-only check. */
  port: number;
  protocol: 'tcp' | 'udp';
  expect: 'reachable' | 'unreachable';
  /** null → Unknown (no result yet, the source is not running, or the prober failed). */
  healthy: boolean | null;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  lastTransitionTime?: string;
  lastProbe?: ProbeResult;
}

export interface ReachabilitySummary {
  total: number;
  healthy: number;
  unhealthy: number;
  unknown: number;
}

/** Counts for the status summary. */
export function summarizeReachability(checks: readonly ReachabilityStatus[]): ReachabilitySummary {
  const healthy = checks.filter((check) => check.healthy === true).length;
  const unhealthy = checks.filter((check) => check.healthy === false).length;
  return { total: checks.length, healthy, unhealthy, unknown: checks.length - healthy - unhealthy };
}
