import assert from 'node:assert/strict';
import { buildStatus } from '../../../src/status/build.js';
import type { StatusInput } from '../../../src/status/build.js';
import type { SwarmState } from '../../../src/engine/port.js';
import type { AnyDocument } from '../../../src/manifests/model.js';
import { FakeEngine } from '../../support/fake-engine.js';
import { statusSchemaErrors } from '../../support/status-schema.js';
import { container, desiredState, network } from '../reconcile/fixtures.js';
import { INSTANCE, converge } from '../reconcile/helpers.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const documents: AnyDocument[] = [network('mesh', { driver: 'overlay', attachable: true }), container('web', { networks: [{ name: 'mesh' }] })];

/** The status after two passes on an engine in `swarm`'s place (the second sees what the first did). */
async function statusOn(swarm: SwarmState, engine = new FakeEngine()): Promise<ReturnType<typeof buildStatus>> {
  engine.swarmState = swarm;
  await converge(engine, desiredState(documents));
  const result = await converge(engine, desiredState(documents));
  const input: StatusInput = {
    now: NOW,
    daemon: { version: '0.1.0', instance: INSTANCE, pid: 4242, startedAt: '2024-05-01T11:00:00.000Z', manifestsDirectory: '/m', node: swarm.hostname },
    engine: { reachable: true },
    counters: { reconcileTotal: 2, reconcileErrorsTotal: 0 },
    manifests: {
      directory: '/m',
      directoryExists: true,
      files: [{ file: 'app.yaml', digest: 'd', documents, errors: [] }],
      desired: desiredState(documents),
      usingLastGood: [],
      lastGood: new Map(),
      heldBackErrors: [],
    },
    lastPass: { result, endedAt: NOW, durationMs: 1, heldBack: new Map() },
    resourceErrors: new Map(),
    reachability: [],
  };
  const status = buildStatus(input);
  assert.deepEqual(statusSchemaErrors(status), []);
  return status;
}

const conditionOf = (status: ReturnType<typeof buildStatus>, name: string, type: string) =>
  status.resources.find((resource) => resource.name === name)?.conditions.find((condition) => condition.type === type);

describe('the status of a node of a swarm', () => {
  it('in no swarm: the overlay and the container on it are SwarmUnavailable, with the engine\u2019s words', async () => {
    const status = await statusOn({ hostname: 'n1', active: false, manager: false, message: 'This node is not part of a swarm' });
    assert.equal(status.daemon.node, 'n1');
    for (const name of ['mesh', 'web']) {
      const synced = conditionOf(status, name, 'Synced');
      assert.equal(synced?.reason, 'SwarmUnavailable', name);
      assert.match(synced?.message ?? '', /This node is not part of a swarm/);
    }
    assert.equal(status.sync.state, 'Degraded');
  });

  it('a worker: the overlay it does not list is NotAttached, and Unknown rather than Missing', async () => {
    const status = await statusOn({ hostname: 'n2', active: true, manager: false });
    const mesh = status.resources.find((resource) => resource.name === 'mesh');
    assert.equal(mesh?.health, 'Unknown');
    assert.equal(conditionOf(status, 'mesh', 'Ready')?.reason, 'NotAttached');
  });

  it('a manager: the overlay is its own, Created and Healthy', async () => {
    const status = await statusOn({ hostname: 'n1', active: true, manager: true });
    assert.equal(status.resources.find((resource) => resource.name === 'mesh')?.health, 'Healthy');
    assert.equal(conditionOf(status, 'mesh', 'Ready')?.reason, 'Created');
  });
});
