import assert from 'node:assert/strict';
import { CrashLoopTracker } from '../../../src/daemon/crash-loop.js';

describe('CrashLoopTracker', () => {
  const tracker = () => new CrashLoopTracker({ minRunMs: 10_000, backoff: { initialMs: 10_000, maxMs: 40_000 } });

  it('restarts the first crash at once, then backs off doubling up to the cap', () => {
    const crashes = tracker();
    const retries: number[] = [];
    let now = 0;
    for (let i = 0; i < 5; i++) {
      crashes.started('web', now);
      now += 1000;
      const loop = crashes.died('web', now);
      assert.equal(loop?.crashes, i + 1);
      retries.push(loop!.retryAt - now);
      now = loop!.retryAt;
    }
    assert.deepEqual(retries, [0, 10_000, 20_000, 40_000, 40_000]);
  });

  it('holds a looping container back until its retry time', () => {
    const crashes = tracker();
    crashes.started('web', 0);
    crashes.died('web', 100);
    crashes.started('web', 200);
    crashes.died('web', 300);
    assert.deepEqual([...crashes.heldBack(301).keys()], ['web']);
    assert.equal(crashes.heldBack(10_300).size, 0);
  });

  it('a death after a long run, or a death without a start seen, is no crash', () => {
    const crashes = tracker();
    assert.equal(crashes.died('web', 5), undefined, 'mooring never saw it start');
    crashes.started('web', 0);
    crashes.died('web', 100);
    crashes.started('web', 200);
    assert.equal(crashes.died('web', 60_000), undefined);
    assert.equal(crashes.loop('web', 60_000), undefined);
  });

  it('a death that was asked for (stop, kill) is no crash', () => {
    const crashes = tracker();
    crashes.started('web', 0);
    crashes.killed('web');
    assert.equal(crashes.died('web', 100), undefined);
    crashes.started('web', 200);
    assert.equal(crashes.died('web', 300)?.crashes, 1, 'the next unasked death is one');
  });

  it('a run that lasts minRunMs ends the loop, even before it dies', () => {
    const crashes = tracker();
    crashes.started('web', 0);
    crashes.died('web', 100);
    crashes.started('web', 200);
    assert.equal(crashes.loop('web', 5000)?.crashes, 1);
    assert.equal(crashes.loop('web', 10_200), undefined);
  });

  it('forget starts over', () => {
    const crashes = tracker();
    crashes.started('web', 0);
    crashes.died('web', 100);
    crashes.started('web', 100);
    crashes.died('web', 200);
    crashes.forget('web');
    assert.equal(crashes.heldBack(201).size, 0);
  });
});
