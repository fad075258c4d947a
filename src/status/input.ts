/** What the status is built from: the daemon's knowledge at one moment. */
import type { LoadedManifests } from '../manifests/desired-state.js';
import type { Action } from '../reconcile/actions.js';
import type { ReconcileResult } from '../reconcile/reconcile.js';
import type { ReachabilityStatus } from '../probes/model.js';
import type { Status } from './model.js';

/** Why a resource was left alone in the last pass. */
export interface HoldBack {
  /** `BackOff` after errors, `CrashLoopBackOff` for a container that keeps dying. */
  reason: 'BackOff' | 'CrashLoopBackOff';
  message: string;
  /** Clock ms. */
  retryAt: number;
}

/** The last pass that reached the engine. */
export interface PassRecord {
  result: ReconcileResult;
  /** Clock ms. */
  endedAt: number;
  durationMs: number;
  /** By resource key (`Container/web`). */
  heldBack: ReadonlyMap<string, HoldBack>;
}

/** A pass that has not ended: what it observed and, once planned, the actions it applies. */
export interface PassInFlight {
  /** Clock ms. */
  startedAt: number;
  actions?: readonly Action[];
}

export interface StatusInput {
  /** Clock ms. */
  now: number;
  daemon: Status['daemon'];
  engine: Status['engine'];
  counters: { reconcileTotal: number; reconcileErrorsTotal: number };
  /** Undefined until the manifests are first read. */
  manifests?: LoadedManifests;
  lastPass?: PassRecord;
  inFlight?: PassInFlight;
  /** The last error of each resource that has not succeeded since, by resource key. */
  resourceErrors: ReadonlyMap<string, string>;
  reachability: ReachabilityStatus[];
  /** The status before this one, for the conditions' `lastTransitionTime`. */
  previous?: Status;
}
