import type { DesiredState } from '../../../src/manifests/model.js';
import type { Plan } from '../../../src/reconcile/actions.js';
import { observe } from '../../../src/reconcile/observe.js';
import { plan } from '../../../src/reconcile/plan/index.js';
import type { ReconcileResult } from '../../../src/reconcile/reconcile.js';
import { reconcile } from '../../../src/reconcile/reconcile.js';
import { silentLogger } from '../../../src/log.js';
import { systemClock } from '../../../src/clock.js';
import type { FakeEngine } from '../../support/fake-engine.js';

export const INSTANCE = 'test';

/** One pass against the fake engine; retries are immediate. */
export function converge(engine: FakeEngine, desired: DesiredState, options: { allowEmpty?: boolean; holdBack?: ReadonlySet<string> } = {}): Promise<ReconcileResult> {
  return reconcile({
    engine,
    logger: silentLogger(),
    clock: systemClock,
    instance: INSTANCE,
    desired,
    retry: { minTimeoutMs: 1, maxTimeoutMs: 1 },
    ...options,
  });
}

export async function planFor(engine: FakeEngine, desired: DesiredState, options: { allowEmpty?: boolean } = {}): Promise<Plan> {
  return plan({ desired, observed: await observe({ engine, instance: INSTANCE }), instance: INSTANCE, ...options });
}

export function ids(result: Plan): string[] {
  return result.actions.map((action) => action.id);
}

/** Whether `before` comes ahead of `after` in the plan and `after` depends on it, directly or not. */
export function ordered(result: Plan, before: string, after: string): boolean {
  const byId = new Map(result.actions.map((action) => [action.id, action]));
  const reaches = (from: string, seen = new Set<string>()): boolean => {
    if (from === before) return true;
    if (seen.has(from)) return false;
    seen.add(from);
    return (byId.get(from)?.dependsOn ?? []).some((id) => reaches(id, seen));
  };
  return ids(result).indexOf(before) >= 0 && ids(result).indexOf(before) < ids(result).indexOf(after) && reaches(after);
}
