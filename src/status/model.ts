/**
 * The status file: what monitoring reads. Lists rather than maps, and
 * conditions in the Kubernetes shape. Its JSON Schema is `schema/status.schema.json`.
 */
import type { ReachabilityStatus, ReachabilitySummary } from '../probes/model.js';
import type { VolumeStatus } from './volumes.js';

export type { VolumeStatus, VolumeState } from './volumes.js';

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
  /** Containers: what the engine mounts in it, e.g. `volume:pgdata:/data:rw`. Absent: nothing. */
  mounts?: string[];
}

/** A file the daemon writes, and how its last write went: for `/healthz` and the metrics, not in the status file. */
export interface FileWrite {
  file: string;
  /** Unset when the last write succeeded. */
  failure?: {
    error: string;
    /** When its writes started failing, ISO 8601. */
    since: string;
    /** Failed writes in a row. */
    count: number;
  };
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
  /** Declared volumes, and orphans of this instance. Absent: there are none. */
  volumes?: VolumeStatus[];
  /** Set when the file would pass its size cap: what was left out of it. */
  truncated?: {
    maxBytes: number;
    omitted: { resources: number; reachability: number; manifestErrors: number; manifestDocuments: number };
    message: string;
  };
}
