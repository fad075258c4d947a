import assert from 'node:assert/strict';
import sinon from 'sinon';
import { systemClock } from '../../../src/clock.js';
import { WorkQueue } from '../../../src/controller/work-queue.js';

describe('WorkQueue', () => {
  let clock: sinon.SinonFakeTimers;
  let queue: WorkQueue<string>;

  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    queue = new WorkQueue({ clock: systemClock, backoff: { initialMs: 1000, maxMs: 8000 } });
  });

  afterEach(() => {
    queue.shutDown();
    clock.restore();
  });

  /** What `take` resolves to once timers up to `ms` from now have run; undefined if it is still waiting. */
  async function takeWithin(ms: number): Promise<string[] | undefined> {
    let taken: string[] | undefined;
    const taking = queue.take().then((keys) => (taken = keys));
    await clock.tickAsync(ms);
    if (taken === undefined) {
      // Leave no take behind: a later add would hand its keys to it.
      queue.add('__unblock__');
      await taking;
      queue.done(['__unblock__']);
      return undefined;
    }
    return taken;
  }

  it('hands out a burst of adds as one batch, each key once, in order', async () => {
    for (const key of ['b', 'a', 'b', 'c', 'a']) queue.add(key);
    assert.deepEqual(await queue.take(), ['b', 'a', 'c']);
  });

  it('never hands out a key in flight: re-adding it marks it dirty until done', async () => {
    queue.add('a');
    const first = await queue.take();
    queue.add('a');
    queue.add('b');
    assert.deepEqual(await queue.take(), ['b']);
    assert.equal(await takeWithin(10_000), undefined);
    queue.done(first!);
    assert.deepEqual(await queue.take(), ['a']);
  });

  it('delays addAfter, and the earlier of two delays wins', async () => {
    queue.addAfter('a', 500);
    queue.addAfter('a', 200);
    queue.addAfter('a', 900);
    assert.equal(await takeWithin(199), undefined);
    assert.deepEqual(await takeWithin(1), ['a']);
    queue.done(['a']);
    assert.equal(await takeWithin(2000), undefined);
  });

  it('backs off each key exponentially, capped, until forget', async () => {
    const delays = [1, 2, 3, 4, 5].map(() => queue.addRateLimited('a'));
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 8000]);
    assert.equal(queue.failures('a'), 5);
    assert.deepEqual([...queue.backingOff().keys()], ['a']);
    assert.equal(queue.backingOff().get('a'), Date.now() + 8000);
    assert.equal(await takeWithin(7999), undefined);
    assert.deepEqual(await takeWithin(1), ['a']);
    queue.done(['a']);
    assert.equal(queue.backingOff().size, 0);
    queue.forget('a');
    assert.equal(queue.failures('a'), 0);
    assert.equal(queue.addRateLimited('a'), 1000);
  });

  it('keeps a backoff even when a shorter plain delay for the key fires first', async () => {
    queue.addRateLimited('a');
    queue.addRateLimited('a');
    queue.addAfter('a', 100);
    assert.deepEqual(await takeWithin(100), ['a']);
    queue.done(['a']);
    assert.ok(queue.backingOff().has('a'), 'the 2 s backoff still runs');
    assert.deepEqual(await takeWithin(1900), ['a']);
  });

  it('forget ends a pending backoff', async () => {
    queue.addRateLimited('a');
    queue.forget('a');
    assert.equal(queue.backingOff().size, 0);
    assert.equal(await takeWithin(5000), undefined);
  });

  it('after shutDown, take resolves to undefined and adds are ignored', async () => {
    const waiting = queue.take();
    queue.shutDown();
    assert.equal(await waiting, undefined);
    queue.add('a');
    assert.equal(await queue.take(), undefined);
  });
});
