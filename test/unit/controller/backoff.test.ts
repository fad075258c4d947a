import assert from 'node:assert/strict';
import { KeyedBackoff, backoffDelay } from '../../../src/controller/backoff.js';

describe('backoff', () => {
  it('doubles from the initial delay up to the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, { initialMs: 100, maxMs: 1000 }));
    assert.deepEqual(delays, [100, 200, 400, 800, 1000, 1000]);
  });

  it('stays at the cap however many attempts, without overflowing', () => {
    assert.equal(backoffDelay(10_000), 300_000);
    assert.equal(backoffDelay(3, { initialMs: 10, factor: 3, maxMs: 1e9 }), 90);
  });

  it('refuses attempts below 1 and bad options', () => {
    assert.throws(() => backoffDelay(0), /Expected `attempt` to be an integer >= 1, got 0/);
    assert.throws(() => new KeyedBackoff({ initialMs: -1 }), /Expected `initialMs` to be a finite number > 0, got -1/);
  });

  it('counts failures per key and starts over on reset', () => {
    const backoff = new KeyedBackoff<string>({ initialMs: 10, maxMs: 50 });
    assert.deepEqual([backoff.fail('a'), backoff.fail('a'), backoff.fail('b'), backoff.fail('a')], [10, 20, 10, 40]);
    assert.equal(backoff.failures('a'), 3);
    backoff.reset('a');
    assert.equal(backoff.failures('a'), 0);
    assert.equal(backoff.fail('a'), 10);
  });
});
