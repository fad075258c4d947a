import assert from 'node:assert/strict';
import { CrashLoopTracker } from '../../../src/controller/crash-loop.js';

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

  it("counts a run's end once, whether a pass observes it or the die event says it first", () => {
    const crashes = tracker();
    crashes.started('web', 0);
    assert.equal(crashes.observedStopped('web', 300, { startedAt: 10, finishedAt: 40 })?.crashes, 1);
    assert.equal(crashes.died('web', 350), undefined, 'the late event is the same death');
    crashes.started('web', 400);
    assert.equal(crashes.died('web', 500)?.crashes, 2);
    assert.equal(crashes.observedStopped('web', 600), undefined, 'the pass after the event sees the same death');
    assert.equal(crashes.loop('web', 600)?.crashes, 2);
  });

  it("measures an observed run by the inspection's times, or else up to when it was seen stopped", () => {
    const crashes = tracker();
    crashes.started('web', 0);
    assert.equal(crashes.observedStopped('web', 60_000, { startedAt: 5, finishedAt: 500 })?.crashes, 1, 'it ran 495 ms');
    crashes.started('web', 60_000);
    assert.equal(crashes.observedStopped('web', 75_000), undefined, 'seen stopped 15 s after its start: no proof of a crash');
  });

  it('says a container is looping from the second crash until a restart has outlived the crash window', () => {
    const crashes = tracker();
    crashes.started('web', 0);
    crashes.died('web', 100);
    assert.equal(crashes.looping(100).size, 0, 'one crash is no loop');
    crashes.started('web', 200);
    crashes.died('web', 300);
    assert.equal(crashes.looping(301).get('web')?.provenAt, undefined, 'held back');
    crashes.started('web', 10_300);
    assert.equal(crashes.looping(10_400).get('web')?.provenAt, 20_300);
    assert.equal(crashes.heldBack(10_400).size, 0, 'it may run');
    assert.equal(crashes.looping(20_300).size, 0);
  });
});
