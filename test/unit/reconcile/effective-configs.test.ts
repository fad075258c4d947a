import assert from 'node:assert/strict';
import { EffectiveConfigCache, effectiveConfigs } from '../../../src/reconcile/effective-configs.js';
import { plan } from '../../../src/reconcile/plan/index.js';
import { FakeEngine } from '../../support/fake-engine.js';
import { container, desiredState, link, network } from './fixtures.js';
import { INSTANCE, converge, planFor } from './helpers.js';
import { observe } from '../../../src/reconcile/observe.js';

describe('the effective configs kept across passes', () => {
  const documents = [network('front'), container('web', { networks: [{ name: 'front' }] }), container('db', { networks: [{ name: 'front' }] }), link('web-db', { from: 'web', to: 'db', network: 'front' })];

  it('are made once for one desired state object, and again for another, another instance or state directory', () => {
    const cache = new EffectiveConfigCache();
    const desired = desiredState(documents);
    const first = cache.of({ desired, instance: INSTANCE });
    assert.equal(cache.of({ desired, instance: INSTANCE }), first);
    assert.notEqual(cache.of({ desired: desiredState(documents), instance: INSTANCE }), first);
    const second = cache.of({ desired, instance: INSTANCE });
    assert.notEqual(cache.of({ desired, instance: 'other' }), second);
    assert.notEqual(cache.of({ desired, instance: 'other', stateDir: '/var/lib/mooring' }), cache.of({ desired, instance: 'other' }));
    assert.deepEqual(first, effectiveConfigs({ desired, instance: INSTANCE }));
  });

  it('give the plan it would make without them, pass after pass', async () => {
    const engine = new FakeEngine();
    const desired = desiredState(documents);
    await converge(engine, desired);
    const cache = new EffectiveConfigCache();
    const observed = await observe({ engine, instance: INSTANCE });
    for (let pass = 0; pass < 2; pass++) assert.deepEqual(plan({ desired, observed, instance: INSTANCE, effectiveCache: cache }), await planFor(engine, desired));
    engine.setStatus('web', 'exited', 1);
    const after = await observe({ engine, instance: INSTANCE });
    assert.deepEqual(plan({ desired, observed: after, instance: INSTANCE, effectiveCache: cache }).actions.map((action) => action.id), ['start-container:web']);
  });
});
