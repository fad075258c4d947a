import assert from 'node:assert/strict';
import { systemClock } from '../../../src/clock.js';
import { silentLogger } from '../../../src/log.js';
import { Pulls } from '../../../src/reconcile/pulls.js';
import { reconcile } from '../../../src/reconcile/reconcile.js';
import { FakeEngine } from '../../support/fake-engine.js';
import { container, desiredState, network } from './fixtures.js';
import { INSTANCE, converge, ids, planFor } from './helpers.js';

const IMAGE = 'mooring/busybox:latest';

describe('images follow their tags (issue 15)', () => {
  const desired = desiredState([network('net'), container('web', { image: IMAGE, networks: [{ name: 'net' }] })]);

  it('recreates an IfNotPresent container whose tag was re-pointed locally, then stays put', async () => {
    const engine = new FakeEngine();
    await converge(engine, desired);
    assert.deepEqual(ids(await planFor(engine, desired)), []);

    engine.retag(IMAGE, 'sha256:rebuilt0000000000');
    const result = await converge(engine, desired);
    const recreate = result.plan.actions.find((action) => action.type === 'recreate-container');
    assert.match(recreate?.reason ?? '', /the image changed: mooring\/busybox:latest now points to rebuilt00000/);
    assert.equal(engine.calls.filter((call) => call.method === 'pullImage').length, 0);
    assert.equal((await engine.inspectContainer('web'))?.imageId, 'sha256:rebuilt0000000000');
    assert.deepEqual(ids(await planFor(engine, desired)), []);
  });
});

describe('pullPolicy Always and Never (issue 15)', () => {
  const REMOTE = 'registry.example/team/app:1';
  const always = desiredState([container('app', { image: REMOTE, pullPolicy: 'Always' })]);
  let now = 0;
  const clock = { ...systemClock, now: () => now };
  const pass = (engine: FakeEngine, pulls: Pulls, desired = always) =>
    reconcile({ engine, logger: silentLogger(), clock, instance: INSTANCE, desired, pulls, retry: { minTimeoutMs: 1, maxTimeoutMs: 1 } });
  const pullCount = (engine: FakeEngine) => engine.calls.filter((call) => call.method === 'pullImage').length;

  it('pulls at most once per interval, and recreates once the pull moved the tag', async () => {
    const engine = new FakeEngine({ images: [] });
    engine.publish(REMOTE, 'sha256:first00000000000');
    const pulls = new Pulls({ engine, clock, logger: silentLogger(), intervalMs: 60_000 });
    assert.ok((await pass(engine, pulls)).converged);
    assert.equal(pullCount(engine), 1, 'the creation used the image the bounded pull just brought');

    engine.publish(REMOTE, 'sha256:second0000000000');
    now += 59_000;
    const inside = await pass(engine, pulls);
    assert.deepEqual(inside.outcomes, []);
    assert.equal(pullCount(engine), 1, 'no pull inside the interval');

    now += 1_000;
    const due = await pass(engine, pulls);
    assert.equal(pullCount(engine), 2);
    assert.match(due.plan.actions.find((action) => action.type === 'recreate-container')?.reason ?? '', /the image changed/);
    assert.equal((await engine.inspectContainer('app'))?.imageId, 'sha256:second0000000000');
    assert.deepEqual((await pass(engine, pulls)).outcomes, []);
  });

  it('keeps what runs when the registry cannot be reached, and asks it again only after the interval', async () => {
    const engine = new FakeEngine({ images: [REMOTE] });
    const pulls = new Pulls({ engine, clock, logger: silentLogger(), intervalMs: 60_000 });
    assert.ok((await pass(engine, pulls)).converged);
    assert.ok((await pass(engine, pulls)).converged);
    assert.equal(pullCount(engine), 1);
    now += 60_000;
    assert.ok((await pass(engine, pulls)).converged);
    assert.equal(pullCount(engine), 2);
  });

  it('never pulls a Never image, and errs on that container when it is missing', async () => {
    const engine = new FakeEngine({ images: [] });
    engine.publish(REMOTE, 'sha256:first00000000000');
    const never = desiredState([container('app', { image: REMOTE, pullPolicy: 'Never' })]);
    const result = await pass(engine, new Pulls({ engine, clock, logger: silentLogger() }), never);
    assert.equal(pullCount(engine), 0);
    assert.deepEqual(result.errors.map((error) => error.resource), ['Container/app']);
    assert.match(result.errors[0]!.message, /expected image registry\.example\/team\/app:1 to be present \(pullPolicy Never\)/);
  });
});
