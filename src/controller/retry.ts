/**
 * The one retry decision, in the manner of controller-runtime's
 * `reconcileHandler`: what each resource's outcome in a pass means for its
 * next pass. `decide` reads a pass's result (each failure keeps its Error, and
 * `isTransient` says whether a retry can help); `RETRY_RULES` says what each
 * outcome does; the loop applies the rules in one switch.
 */
import { isTransient } from '../errors.js';
import type { ReconcileResult } from '../reconcile/reconcile.js';
import type { HoldBack } from '../status/build.js';
import { ALL } from './keys.js';

export type PassOutcome =
  /** Every action succeeded and the resource has no error. */
  | 'succeeded'
  /** An action failed, and the engine says trying again can help. */
  | 'failed-transient'
  /** An action failed, and trying again cannot help until something changes. */
  | 'failed-terminal'
  /** Skipped (what it depends on did not succeed, or mooring stops) or a plan problem: what it waits for brings it back. */
  | 'blocked'
  /** Held back while its backoff runs. */
  | 'backing-off'
  /** Held back while its container's crash loop runs: due again when the loop's back-off (or its proving run) ends. */
  | 'crash-looping'
  /** A removal waits out the prune delay: due again when it ends, the manifests read first. */
  | 'removal-pending';

export interface RetryRule {
  /** `forget`: the backoff ends; `rate-limited`: again after the key's growing backoff; `after`: again at a set time; `none`: not by itself. */
  requeue: 'forget' | 'rate-limited' | 'after' | 'none';
  /** Whether engine events about the resource call for a pass meanwhile. */
  events: 'follow' | 'ignore';
}

export const RETRY_RULES: Readonly<Record<PassOutcome, RetryRule>> = {
  succeeded: { requeue: 'forget', events: 'follow' },
  'failed-transient': { requeue: 'rate-limited', events: 'follow' },
  // The events such an attempt causes (a failed start connects and disconnects its networks) must not call for
  // another at once: that looped, hundreds of times a minute. A change of the manifests or the resync brings it back.
  'failed-terminal': { requeue: 'none', events: 'ignore' },
  blocked: { requeue: 'none', events: 'follow' },
  // Its rate-limited retry is queued already.
  'backing-off': { requeue: 'none', events: 'follow' },
  'crash-looping': { requeue: 'after', events: 'follow' },
  'removal-pending': { requeue: 'after', events: 'follow' },
};

export interface PassDecision {
  /** `Kind/name`, or `*` for the whole desired state. */
  key: string;
  outcome: PassOutcome;
  /** For outcomes requeued `after`: when (clock ms). */
  at?: number;
}

/**
 * What a pass's result means for each resource it concerned, and for those
 * with an error before it (`erred`): a resource that no longer fails and is
 * not held back has succeeded. Failures come first, and a failure that a
 * retry can help outranks one that it cannot.
 */
export function decide(result: ReconcileResult, heldBack: ReadonlyMap<string, HoldBack>, erred: Iterable<string>): PassDecision[] {
  const failures = new Map<string, 'failed-transient' | 'failed-terminal'>();
  for (const outcome of result.outcomes) {
    if (outcome.ok || outcome.skipped) continue;
    const resource = outcome.action.resource;
    if (failures.get(resource) !== 'failed-transient') failures.set(resource, isTransient(outcome.error) ? 'failed-transient' : 'failed-terminal');
  }
  const blocked = new Set(result.errors.map((error) => error.resource));
  const keys = new Set([...result.outcomes.map((outcome) => outcome.action.resource), ...blocked, ...erred]);
  const decisions: PassDecision[] = [{ key: ALL, outcome: 'succeeded' }];
  for (const key of keys) {
    const outcome = failures.get(key) ?? (blocked.has(key) ? 'blocked' : heldBack.has(key) ? undefined : 'succeeded');
    if (outcome !== undefined) decisions.push({ key, outcome });
  }
  for (const [key, hold] of heldBack) {
    decisions.push(hold.reason === 'CrashLoopBackOff' ? { key, outcome: 'crash-looping', at: hold.retryAt } : { key, outcome: 'backing-off' });
  }
  const removeAt = Math.min(...result.plan.kept.flatMap((kept) => (kept.removeAt === undefined ? [] : [kept.removeAt])));
  if (Number.isFinite(removeAt)) decisions.push({ key: ALL, outcome: 'removal-pending', at: removeAt });
  return decisions;
}
