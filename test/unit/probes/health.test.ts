import assert from 'node:assert/strict';
import type { HealthState, Outcome } from '../../../src/probes/health.js';
import { DEFAULT_THRESHOLDS, INITIAL_HEALTH, nextHealth, outcomeOf } from '../../../src/probes/health.js';
import type { ProbeReason } from '../../../src/probes/model.js';

describe('outcomeOf', () => {
  const table: [ProbeReason, Outcome, Outcome][] = [
    // reason, expect reachable, expect unreachable
    ['Connected', 'pass', 'fail'],
    ['ConnectionRefused', 'fail', 'pass'],
    ['NetworkUnreachable', 'fail', 'pass'],
    ['Timeout', 'fail', 'pass'],
    ['DNSResolutionFailed', 'fail', 'pass'],
    ['HostPortUnreachable', 'fail', 'pass'],
    ['BackendRefused', 'fail', 'pass'],
    // Something accepted the connection: neither the service answering nor isolation.
    ['ConnectionClosed', 'fail', 'fail'],
    // Nothing there to reach: the expectation of reaching it fails, isolation is untested.
    ['TargetNotRunning', 'fail', 'unknown'],
    ['TargetNotOnNetwork', 'fail', 'unknown'],
    ['ResolvedElsewhere', 'fail', 'unknown'],
    ['SourceNotRunning', 'unknown', 'unknown'],
    ['NotProbed', 'unknown', 'unknown'],
    ['ProbeError', 'unknown', 'unknown'],
  ];
  for (const [reason, reachable, unreachable] of table) {
    it(`${reason}: ${reachable} when reachable is expected, ${unreachable} when unreachable is`, () => {
      assert.equal(outcomeOf('reachable', reason), reachable);
      assert.equal(outcomeOf('unreachable', reason), unreachable);
    });
  }
});

describe('nextHealth', () => {
  /** Runs `outcomes` from the initial state, one second apart, and returns every state. */
  function run(outcomes: Outcome[], thresholds = DEFAULT_THRESHOLDS): HealthState[] {
    const states: HealthState[] = [];
    let state = INITIAL_HEALTH;
    outcomes.forEach((outcome, index) => {
      state = nextHealth(state, outcome, thresholds, `t${index}`);
      states.push(state);
    });
    return states;
  }
  const healthOf = (states: HealthState[]) => states.map((state) => state.healthy);

  it('is Unknown until the first success, then healthy at once (successThreshold 1)', () => {
    assert.deepEqual(healthOf(run(['pass'])), [true]);
  });

  it('turns unhealthy only at the third failure in a row (failureThreshold 3)', () => {
    assert.deepEqual(healthOf(run(['pass', 'fail', 'fail', 'fail', 'fail'])), [true, true, true, false, false]);
  });

  it('stays Unknown while failures start out below the threshold', () => {
    assert.deepEqual(healthOf(run(['fail', 'fail', 'fail'])), [null, null, false]);
  });

  it('a success resets the failure streak', () => {
    const states = run(['pass', 'fail', 'fail', 'pass', 'fail', 'fail']);
    assert.deepEqual(healthOf(states), [true, true, true, true, true, true]);
    assert.deepEqual(states.at(-1), { healthy: true, consecutiveFailures: 2, consecutiveSuccesses: 0, lastTransitionTime: 't0' });
  });

  it('an unknown result makes the check Unknown without counting or breaking a streak', () => {
    const states = run(['pass', 'fail', 'unknown', 'fail', 'fail']);
    assert.deepEqual(healthOf(states), [true, true, null, null, false]);
    assert.equal(states[2]?.consecutiveFailures, 1);
    assert.equal(states[4]?.consecutiveFailures, 3);
  });

  it('sets lastTransitionTime when, and only when, healthy changes', () => {
    const states = run(['fail', 'pass', 'pass', 'fail', 'fail', 'fail', 'fail', 'pass']);
    assert.deepEqual(
      states.map((state) => state.lastTransitionTime),
      [undefined, 't1', 't1', 't1', 't1', 't5', 't5', 't7'],
    );
  });

  it("honours a check's own failureThreshold", () => {
    assert.deepEqual(healthOf(run(['pass', 'fail'], { failureThreshold: 1, successThreshold: 1 })), [true, false]);
  });
});
