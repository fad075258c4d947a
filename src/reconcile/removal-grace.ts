/**
 * The prune grace period of the daemon: the removal of what no manifest
 * declares runs only once every pass has planned it, without a break, for
 * `delayMs`. Tools write files in place and slowly (git checkouts,
 * `cat > file`, editors on network file systems): a pass can read a file half
 * written, valid but short, and without the grace it removes what the other
 * half declares, and creates it again a second later with its local state lost.
 * A removal that stops being planned starts its grace over.
 *
 * `mooring apply` has no grace: whoever runs it asks for the removal now.
 */
import type { Action, Plan } from './actions.js';

/** The actions that exist because nothing declares a resource any more. */
const REMOVALS = new Set<Action['type']>(['remove-container', 'remove-network', 'remove-volume']);

export interface RemovalGraceOptions {
  /** How long a removal must stay planned before it runs. @default 10000 */
  delayMs?: number;
}

export const DEFAULT_PRUNE_DELAY_MS = 10_000;

export class RemovalGrace {
  readonly #delayMs: number;
  /** Clock ms at which each removal (by action id) was first planned in the current unbroken run of passes. */
  #firstPlanned = new Map<string, number>();

  constructor(options: RemovalGraceOptions = {}) {
    const delayMs = options.delayMs ?? DEFAULT_PRUNE_DELAY_MS;
    if (!Number.isFinite(delayMs) || delayMs < 0) throw new TypeError(`Expected \`delayMs\` to be a finite number >= 0, got ${delayMs}`);
    this.#delayMs = delayMs;
  }

  /**
   * The plan with the removals still within their grace taken out, and every
   * action that depends on one (a network's removal waits for its containers'),
   * each listed in `kept` with when it is due.
   */
  gate(plan: Plan, now: number): Plan {
    const firstPlanned = new Map<string, number>();
    for (const action of plan.actions) if (REMOVALS.has(action.type)) firstPlanned.set(action.id, this.#firstPlanned.get(action.id) ?? now);
    this.#firstPlanned = firstPlanned;

    const deferred = new Map<string, number>();
    for (const [id, since] of firstPlanned) if (now - since < this.#delayMs) deferred.set(id, since + this.#delayMs);
    if (deferred.size === 0) return plan;
    // Dependents follow in the plan's order, so one sweep carries a deferral down the chain.
    for (const action of plan.actions) {
      const waitsFor = action.dependsOn.filter((id) => deferred.has(id)).map((id) => deferred.get(id)!);
      if (waitsFor.length > 0 && !deferred.has(action.id)) deferred.set(action.id, Math.max(...waitsFor));
    }
    const kept = plan.actions
      .filter((action) => deferred.has(action.id))
      .map((action) => ({
        resource: action.resource,
        reason: `removal pending: ${action.reason}; removed at ${new Date(deferred.get(action.id)!).toISOString()} if still undeclared (prune delay ${this.#delayMs / 1000}s)`,
        removeAt: deferred.get(action.id)!,
      }));
    return { ...plan, actions: plan.actions.filter((action) => !deferred.has(action.id)), kept: [...plan.kept, ...kept] };
  }
}
