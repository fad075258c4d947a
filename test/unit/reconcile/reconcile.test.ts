import assert from 'node:assert/strict';
import { EngineError } from '../../../src/errors.js';
import { formatPlan, formatReconcileResult } from '../../../src/reconcile/format-plan.js';
import { FakeEngine } from '../../support/fake-engine.js';
import { container, desiredState, link, network, publish } from './fixtures.js';
import { converge, planFor } from './helpers.js';
import { reported } from './reported.js';

const example = desiredState([
  network('front'),
  network('back', { ipam: { subnet: '10.90.0.0/24' } }),
  container('web', { networks: [{ name: 'front', aliases: ['www'] }, { name: 'back' }], expose: [80] }),
  container('db', { networks: [{ name: 'back', aliases: ['database'] }] }),
  container('legacy'),
  link('web-db', { from: 'web', to: 'db', network: 'back', alias: 'sql' }),
  link('legacy-web', { from: 'legacy', to: 'web' }),
  publish('web-http', { container: 'web', containerPort: 80, hostPort: 8080 }),
]);

describe('reconcile', () => {
  it('converges, and a second pass makes only the four list calls (the adapter answers the image list from its cache)', async () => {
    const engine = new FakeEngine();
    const first = await converge(engine, example);
    assert.ok(first.converged, JSON.stringify(first.errors));
    assert.deepEqual(first.errors, []);
    engine.clearCalls();
    const second = await converge(engine, example);
    assert.ok(second.converged);
    assert.deepEqual(second.outcomes, []);
    assert.deepEqual(engine.calls.map((call) => call.method).sort(), ['listContainers', 'listImages', 'listNetworks', 'listVolumes']);
  });

  it('reports plan problems and refused pruning as not converged', async () => {
    const engine = new FakeEngine();
    engine.seedContainer({ name: 'db' });
    const result = await converge(engine, example);
    assert.equal(result.converged, false);
    assert.deepEqual(reported(result.errors.find((error) => error.resource === 'Container/db')), {
      resource: 'Container/db',
      message: 'the name db is taken by a container mooring does not manage; it is left untouched',
      terminal: true,
    });

    const other = new FakeEngine();
    await converge(other, example);
    const empty = await converge(other, desiredState([]));
    assert.equal(empty.converged, false);
    assert.match(empty.pruneRefused ?? '', /--allow-empty/);
    assert.equal(other.container('web')?.status, 'running');
  });

  it('rejects when the engine cannot be observed', async () => {
    const engine = new FakeEngine();
    engine.available = false;
    await assert.rejects(converge(engine, example), EngineError);
  });

  it('prints a plan as a diff with reasons and a summary', async () => {
    const engine = new FakeEngine();
    await converge(engine, example);
    engine.seedContainer({ name: 'intruder', labels: {} });
    const changed = desiredState([
      network('front'),
      network('back', { ipam: { subnet: '10.90.0.0/24' } }),
      container('web', { networks: [{ name: 'front', aliases: ['www', 'site'] }, { name: 'back' }], expose: [80], env: { FOO: 'b' } }),
      container('db', { networks: [{ name: 'back', aliases: ['database'] }] }),
      container('intruder'),
      link('web-db', { from: 'web', to: 'db', network: 'back', alias: 'sql' }),
      publish('web-http', { container: 'web', containerPort: 80, hostPort: 8080 }),
    ]);
    const text = formatPlan(await planFor(engine, changed));
    assert.equal(
      text,
      [
        '- remove container legacy: no manifest declares it (it came from app.yaml)',
        '* image mooring/busybox:latest for container web: pullPolicy IfNotPresent: pulled only when missing',
        '~ recreate container web: spec changed (env.FOO: (unset) → b)',
        '+ connect container web to network back: joins network back (links db:sql)',
        '> start container web: recreated; state: running',
        '! Container/intruder: the name intruder is taken by a container mooring does not manage; it is left untouched',
        '',
        'Plan: 1 to recreate, 1 to remove, 1 to connect or disconnect, 1 to start or stop, 1 problem.',
        '',
      ].join('\n'),
    );
  });

  it('says when there is nothing to do', async () => {
    const engine = new FakeEngine();
    const result = await converge(engine, example);
    assert.match(formatReconcileResult(result), /\+ create network front: done \(\d+ ms\)[\s\S]*\nConverged\.\n$/);
    assert.equal(formatPlan(await planFor(engine, example)), 'Nothing to do: the engine matches the manifests.\n');
    assert.equal(formatReconcileResult(await converge(engine, example)), 'Nothing to do: the engine matches the manifests.\n');
  });
});
