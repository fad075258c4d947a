import assert from 'node:assert/strict';
import type { SwarmState } from '../../../../src/engine/port.js';
import { FakeEngine } from '../../../support/fake-engine.js';
import { container, desiredState, network } from '../fixtures.js';
import { INSTANCE, converge, ids } from '../helpers.js';
import { observe } from '../../../../src/reconcile/observe.js';
import { plan } from '../../../../src/reconcile/plan/index.js';

const MANAGER: SwarmState = { hostname: 'a', active: true, manager: true };
const WORKER: SwarmState = { hostname: 'b', active: true, manager: false };
const ALONE: SwarmState = { hostname: 'c', active: false, manager: false, message: 'This node is not part of a swarm' };

const mesh = network('mesh', { driver: 'overlay', attachable: true });
const app = desiredState([mesh, network('local'), container('web', { networks: [{ name: 'mesh' }, { name: 'local' }] }), container('tool')]);

async function planOn(swarm: SwarmState, engine = new FakeEngine()) {
  engine.swarmState = swarm;
  return { engine, result: plan({ desired: app, observed: await observe({ engine, instance: INSTANCE, swarm: true }), instance: INSTANCE }) };
}

describe('overlay networks, by the engine\u2019s place in the swarm', () => {
  it('a manager\u2019s mooring creates the overlay, then the containers on it', async () => {
    const { result } = await planOn(MANAGER);
    assert.ok(ids(result).includes('create-network:mesh'));
    assert.deepEqual(result.problems, []);
  });

  it('a worker\u2019s mooring never creates it, nor takes it for missing: its containers are created on it', async () => {
    const { result } = await planOn(WORKER);
    assert.ok(!ids(result).some((id) => id.includes('network:mesh')), ids(result).join(', '));
    assert.ok(ids(result).includes('create-container:web'));
    assert.deepEqual(result.problems, []);
  });

  it('a manager\u2019s mooring never recreates an overlay, whose other nodes\u2019 containers it cannot see: it says why, and its own stay connected', async () => {
    const engine = new FakeEngine();
    engine.swarmState = MANAGER;
    await converge(engine, app);
    const changed = desiredState([network('mesh', { driver: 'overlay', attachable: true, options: { 'com.docker.network.driver.mtu': '1350' } }), ...app.networks.slice(1), ...app.containers]);
    const result = plan({ desired: changed, observed: await observe({ engine, instance: INSTANCE, swarm: true }), instance: INSTANCE });
    assert.deepEqual(ids(result), []);
    assert.deepEqual(result.problems.map((problem) => problem.resource), ['Network/mesh']);
    assert.match(result.problems[0]!.message, /^must be recreated \(options\.com\.docker\.network\.driver\.mtu: \(unset\) → 1350\) but an overlay may have containers of other nodes attached, .*`docker network rm mesh`/);
  });

  it('a worker\u2019s mooring never removes an overlay no manifest declares any more', async () => {
    const engine = new FakeEngine();
    engine.swarmState = MANAGER;
    await converge(engine, app);
    engine.swarmState = WORKER;
    const observed = await observe({ engine, instance: INSTANCE });
    assert.deepEqual(observed.swarm, WORKER, 'an overlay of mooring is listed: the swarm state is read without being asked');
    const result = plan({ desired: desiredState([container('tool')]), observed, instance: INSTANCE });
    assert.ok(!ids(result).includes('remove-network:mesh'), ids(result).join(', '));
    assert.ok(ids(result).includes('remove-network:local'));
  });

  it('an engine in no swarm: SwarmUnavailable, with its words, on the overlay and what needs it; everything else goes on', async () => {
    const { result } = await planOn(ALONE);
    const problems = Object.fromEntries(result.problems.map((problem) => [problem.resource, problem]));
    assert.equal(problems['Network/mesh']?.reason, 'SwarmUnavailable');
    assert.match(problems['Network/mesh']?.message ?? '', /This node is not part of a swarm/);
    assert.equal(problems['Container/web']?.reason, 'SwarmUnavailable');
    assert.ok(ids(result).includes('create-container:tool'));
    assert.ok(ids(result).includes('create-network:local'));
  });

  it('a node whose share is empty removes what it ran: the directory is not empty, another node has it all', async () => {
    const engine = new FakeEngine();
    await converge(engine, desiredState([container('tool')]));
    const share = { ...desiredState([]), remote: desiredState([container('tool', { node: 'b' })]).containers };
    const result = plan({ desired: share, observed: await observe({ engine, instance: INSTANCE }), instance: INSTANCE });
    assert.equal(result.pruneRefused, undefined);
    assert.ok(ids(result).includes('remove-container:tool'));
  });

  it('the swarm state costs a request only when an overlay is declared or listed', async () => {
    const engine = new FakeEngine();
    await converge(engine, desiredState([container('tool')]));
    engine.calls.length = 0;
    await converge(engine, desiredState([container('tool')]));
    assert.ok(!engine.calls.some((call) => call.method === 'swarm'), engine.calls.map((call) => call.method).join(', '));
  });
});
