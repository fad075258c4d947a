import assert from 'node:assert/strict';
import { EngineError, SkippedError, TerminalError } from '../../../src/errors.js';
import { ALL } from '../../../src/controller/keys.js';
import type { PassDecision, PassOutcome, RetryRule } from '../../../src/controller/retry.js';
import { RETRY_RULES, decide } from '../../../src/controller/retry.js';
import type { Action } from '../../../src/reconcile/actions.js';
import type { ActionOutcome } from '../../../src/reconcile/apply.js';
import type { ReconcileError, ReconcileResult } from '../../../src/reconcile/reconcile.js';
import type { HoldBack } from '../../../src/status/build.js';

const transient = () => new EngineError('connect ECONNRESET', { transient: true });
const conflict = () => new EngineError('409 conflict', { statusCode: 409, transient: false });

function action(resource: string): Action {
  return { id: `start-container:${resource}`, type: 'start-container', resource, name: resource, dependsOn: [], reason: 'test' } as unknown as Action;
}

function outcome(resource: string, error?: Error, skipped = false): ActionOutcome {
  return { action: action(resource), ok: error === undefined, ...(error === undefined ? {} : { error }), ...(skipped ? { skipped } : {}), durationMs: 1 };
}

function result(outcomes: ActionOutcome[], options: { problems?: ReconcileError[]; removeAt?: number } = {}): ReconcileResult {
  const errors = [
    ...(options.problems ?? []),
    ...outcomes.filter((each) => !each.ok).map((each) => ({ resource: each.action.resource, message: each.error!.message, error: each.error! })),
  ];
  return {
    observed: { containers: [], networks: [] } as unknown as ReconcileResult['observed'],
    plan: { actions: [], problems: [], kept: options.removeAt === undefined ? [] : [{ resource: 'Network/old', reason: 'not declared', removeAt: options.removeAt }] } as unknown as ReconcileResult['plan'],
    outcomes,
    converged: errors.length === 0,
    errors,
  };
}

const hold = (reason: HoldBack['reason'], retryAt: number): HoldBack => ({ reason, message: '', retryAt });

describe('the retry decision', () => {
  it('has one rule per outcome, in the table the docs show', () => {
    assert.deepEqual(RETRY_RULES, {
      succeeded: { requeue: 'forget', events: 'follow' },
      'failed-transient': { requeue: 'rate-limited', events: 'follow' },
      'failed-terminal': { requeue: 'none', events: 'ignore' },
      blocked: { requeue: 'none', events: 'follow' },
      'backing-off': { requeue: 'none', events: 'follow' },
      'crash-looping': { requeue: 'after', events: 'follow' },
      'removal-pending': { requeue: 'after', events: 'follow' },
    } satisfies Record<PassOutcome, RetryRule>);
  });

  const cases: { name: string; result: ReconcileResult; heldBack?: Map<string, HoldBack>; erred?: string[]; expected: PassDecision[] }[] = [
    { name: 'success forgets the resource and the whole state', result: result([outcome('Container/a')]), expected: [{ key: ALL, outcome: 'succeeded' }, { key: 'Container/a', outcome: 'succeeded' }] },
    { name: 'a transient engine failure is requeued rate-limited', result: result([outcome('Container/a', transient())]), expected: [{ key: ALL, outcome: 'succeeded' }, { key: 'Container/a', outcome: 'failed-transient' }] },
    { name: 'a 4xx answer is terminal', result: result([outcome('Container/a', conflict())]), expected: [{ key: ALL, outcome: 'succeeded' }, { key: 'Container/a', outcome: 'failed-terminal' }] },
    { name: 'a TerminalError is terminal', result: result([outcome('Container/a', new TerminalError('bad config'))]), expected: [{ key: ALL, outcome: 'succeeded' }, { key: 'Container/a', outcome: 'failed-terminal' }] },
    { name: 'a bug (any other Error) is terminal', result: result([outcome('Container/a', new TypeError('oops'))]), expected: [{ key: ALL, outcome: 'succeeded' }, { key: 'Container/a', outcome: 'failed-terminal' }] },
    {
      name: 'a transient failure outranks a terminal one of the same resource',
      result: result([outcome('Container/a', conflict()), outcome('Container/a', transient())]),
      expected: [{ key: ALL, outcome: 'succeeded' }, { key: 'Container/a', outcome: 'failed-transient' }],
    },
    {
      name: 'a skipped action is blocked: what it waits for brings it back',
      result: result([outcome('Container/a', new SkippedError('create-network:n failed', { transient: true, cause: transient() }), true)]),
      expected: [{ key: ALL, outcome: 'succeeded' }, { key: 'Container/a', outcome: 'blocked' }],
    },
    {
      name: 'a plan problem is blocked',
      result: result([], { problems: [{ resource: 'Container/b', message: 'name taken', error: new TerminalError('name taken') }] }),
      expected: [{ key: ALL, outcome: 'succeeded' }, { key: 'Container/b', outcome: 'blocked' }],
    },
    { name: 'a resource that erred before and has no error now has succeeded', result: result([]), erred: ['Container/c'], expected: [{ key: ALL, outcome: 'succeeded' }, { key: 'Container/c', outcome: 'succeeded' }] },
    {
      name: 'a resource held back by its backoff stays as it is',
      result: result([]),
      erred: ['Container/d'],
      heldBack: new Map([['Container/d', hold('BackOff', 5000)]]),
      expected: [{ key: ALL, outcome: 'succeeded' }, { key: 'Container/d', outcome: 'backing-off' }],
    },
    {
      name: 'a crash loop is requeued after its back-off',
      result: result([]),
      heldBack: new Map([['Container/e', hold('CrashLoopBackOff', 7000)]]),
      expected: [{ key: ALL, outcome: 'succeeded' }, { key: 'Container/e', outcome: 'crash-looping', at: 7000 }],
    },
    {
      name: 'a removal in its grace requeues the whole state when it is due',
      result: result([], { removeAt: 9000 }),
      expected: [{ key: ALL, outcome: 'succeeded' }, { key: ALL, outcome: 'removal-pending', at: 9000 }],
    },
  ];
  for (const { name, result: given, heldBack, erred, expected } of cases) {
    it(name, () => {
      assert.deepEqual(decide(given, heldBack ?? new Map(), erred ?? []), expected);
    });
  }
});
