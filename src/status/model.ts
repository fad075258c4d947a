/**
 * The status file: what monitoring reads. Lists rather than maps, and
 * conditions in the Kubernetes shape. Its JSON Schema is `schema/status.schema.json`.
 */

export const STATUS_API_VERSION = 'mooring/v1';

export type Health = 'Healthy' | 'Progressing' | 'Degraded' | 'Missing' | 'Unknown';
export type SyncState = 'Synced' | 'OutOfSync' | 'Progressing' | 'Degraded';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  /** CamelCase. */
  reason: string;
  message: string;
  /** ISO 8601. */
  lastTransitionTime: string;
}

export interface ErrorLocation {
  line: number;
  column: number;
  path?: string;
  resource?: string;
  message: string;
}

export interface ManifestFileStatus {
  file: string;
  valid: boolean;
  /** True when the file is invalid and its last good version is what is applied. */
  usingLastKnownGood: boolean;
  errors: ErrorLocation[];
  documents: { kind: string; name: string }[];
}

export interface ResourceStatus {
  kind: string;
  name: string;
  source: string;
  dockerId?: string;
  health: Health;
  conditions: Condition[];
  lastError?: string;
}

/** What each one means, precisely, is in docs/status.md. */
export type ProbeReason =
  | 'Connected'
  | 'ConnectionRefused'
  | 'ConnectionClosed'
  | 'NetworkUnreachable'
  | 'Timeout'
  | 'DNSResolutionFailed'
  | 'ResolvedElsewhere'
  | 'HostPortUnreachable'
  | 'BackendRefused'
  | 'TargetNotRunning'
  | 'TargetNotOnNetwork'
  | 'SourceNotRunning'
  | 'NotProbed'
  | 'ProbeError';

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

export interface Status {
  apiVersion: typeof STATUS_API_VERSION;
  kind: 'Status';
  generatedAt: string;
  daemon: {
    version: string;
    instance: string;
    pid: number;
    startedAt: string;
    manifestsDirectory: string;
    /** Set in the last status a daemon writes as it stops. */
    stoppedAt?: string;
  };
  engine: {
    /** null until mooring has tried to reach the engine: unknown, not unreachable. */
    reachable: boolean | null;
    version?: string;
    lastError?: string;
  };
  sync: {
    state: SyncState;
    /** Why the state is not Synced, for people. */
    message?: string;
    revision: string;
    lastReconcileAt?: string;
    lastReconcileDurationMs?: number;
    reconcileTotal: number;
    reconcileErrorsTotal: number;
  };
  manifests: ManifestFileStatus[];
  resources: ResourceStatus[];
  reachability: ReachabilityStatus[];
  reachabilitySummary: ReachabilitySummary;
  /** Set when the file would pass its size cap: what was left out of it. */
  truncated?: {
    maxBytes: number;
    omitted: { resources: number; reachability: number; manifestErrors: number; manifestDocuments: number };
    message: string;
  };
}
