import assert from 'node:assert/strict';
import type { ObservedContainer, ObservedVolume } from '../../../src/engine/port.js';
import { LABELS } from '../../../src/engine/labels.js';
import type { ReconcileResult } from '../../../src/reconcile/reconcile.js';
import { mountsOf, volumeStatuses } from '../../../src/status/volumes.js';
import { renderMetrics } from '../../../src/status/metrics.js';
import { formatStatus } from '../../../src/cli/status.js';
import { desiredState, document } from '../reconcile/fixtures.js';
import { statusSchemaErrors } from '../../support/status-schema.js';
import { sampleStatus } from './status-fixture.js';
import { FakeEngine } from '../../support/fake-engine.js';
import { EngineError } from '../../../src/errors.js';
import { INSTANCE as HELPERS_INSTANCE, converge } from '../reconcile/helpers.js';

const INSTANCE = 'default';
const owned = (name: string, extra: Record<string, string> = {}) => ({
  [LABELS.managedBy]: 'mooring', [LABELS.instance]: INSTANCE, [LABELS.kind]: 'Volume', [LABELS.name]: name, [LABELS.source]: 'db.yaml', ...extra,
});
const observedVolume = (name: string, labels: Record<string, string>): ObservedVolume => ({ name, driver: 'local', driverOpts: {}, labels, mountpoint: `/var/lib/docker/volumes/${name}/_data` });
const user = (name: string, volume: string): ObservedContainer => ({
  id: name, name, image: 'busybox', labels: {}, status: 'running', networkMode: 'bridge', endpoints: [], portBindings: [],
  mounts: [{ type: 'volume', name: volume, source: '', target: '/data', readOnly: false, driver: 'local' }],
});

function pass(volumes: ObservedVolume[], containers: ObservedContainer[], plan: Partial<ReconcileResult['plan']> = {}): ReconcileResult {
  return { observed: { instance: INSTANCE, networks: [], containers, volumes }, plan: { actions: [], problems: [], kept: [], ...plan }, outcomes: [], converged: true, errors: [] };
}

describe('the status of volumes', () => {
  const desired = {
    ...desiredState([]),
    volumes: [document('Volume', 'pgdata', {}), document('Volume', 'missing', {}), document('Volume', 'byhand', {}), document('Volume', 'changed', {})],
  };

  it('says per volume Healthy, Missing, Adopted, Degraded (VolumeSpecDiffers) or Orphaned, with its driver and users', () => {
    const statuses = volumeStatuses({
      desired,
      instance: INSTANCE,
      lastPass: pass(
        [observedVolume('pgdata', owned('pgdata')), observedVolume('byhand', {}), observedVolume('changed', owned('changed')), observedVolume('old', owned('old')), observedVolume('foreign', {})],
        [user('db', 'pgdata'), user('backup', 'pgdata'), user('legacy', 'old')],
        {
          problems: [{ resource: 'Volume/changed', message: 'VolumeSpecDiffers: driver: local → nfs' }],
          kept: [{ resource: 'Volume/old', reason: 'Orphaned: no manifest declares it; remove it by hand with `docker volume rm old`' }],
        },
      ),
    });
    assert.deepEqual(statuses.map(({ name, state, reason, usedBy }) => [name, state, reason, usedBy]), [
      ['byhand', 'Adopted', undefined, []],
      ['changed', 'Degraded', 'VolumeSpecDiffers', []],
      ['missing', 'Missing', undefined, []],
      ['old', 'Orphaned', undefined, ['legacy']],
      ['pgdata', 'Healthy', undefined, ['backup', 'db']],
    ]);
    assert.match(statuses.find((status) => status.name === 'old')?.message ?? '', /docker volume rm old/);
  });

  it('says which instance of mooring made an Adopted volume, and that its Delete policy may remove it', () => {
    const statuses = volumeStatuses({
      desired,
      instance: INSTANCE,
      lastPass: pass([observedVolume('pgdata', { ...owned('pgdata'), [LABELS.instance]: 'staging', [LABELS.reclaimPolicy]: 'Delete' }), observedVolume('byhand', {})], []),
    });
    const byName = new Map(statuses.map((status) => [status.name, status]));
    assert.equal(byName.get('pgdata')?.state, 'Adopted');
    assert.match(byName.get('pgdata')?.message ?? '', /^made by mooring instance "staging": .*reclaimPolicy Delete has that instance remove it once/);
    assert.match(byName.get('byhand')?.message ?? '', /^made outside mooring/);
  });

  it('takes what the last pass made or removed from its outcomes, since its observation is from before: made is Healthy, removed is gone, failed says why', async () => {
    const engine = new FakeEngine();
    const declare = (...names: [string, Record<string, unknown>][]) => ({ ...desiredState([]), volumes: names.map(([name, spec]) => document('Volume', name, spec)) });
    await converge(engine, declare(['old', { reclaimPolicy: 'Delete' }], ['keep', {}]), { allowEmpty: true });
    engine.failNext('createVolume', new EngineError('plugin "nfs3" not found', { statusCode: 404, transient: false }), { when: (config) => (config as { name: string }).name === 'broken' });
    const desired = declare(['keep', {}], ['fresh', {}], ['broken', {}]);
    const result = await converge(engine, desired, { allowEmpty: true });
    const statuses = volumeStatuses({ desired, instance: HELPERS_INSTANCE, lastPass: result });
    assert.deepEqual(statuses.map(({ name, state }) => [name, state]), [['broken', 'Missing'], ['fresh', 'Healthy'], ['keep', 'Healthy']]);
    assert.match(statuses[0]!.message ?? '', /plugin "nfs3" not found/);
  });

  it('says Unknown before any pass has observed the engine', () => {
    assert.deepEqual(volumeStatuses({ desired, instance: INSTANCE }).map((status) => status.state), ['Unknown', 'Unknown', 'Unknown', 'Unknown']);
  });

  it('lists a container\'s mounts, an anonymous volume as such', () => {
    const anonymous = 'a'.repeat(64);
    const observed = { ...user('db', 'pgdata'), mounts: [...user('db', 'pgdata').mounts!, { type: 'volume' as const, name: anonymous, source: '', target: '/var/lib/x', readOnly: false }, { type: 'bind' as const, source: '/srv', target: '/srv', readOnly: true }] };
    assert.deepEqual(mountsOf(observed), ['bind:/srv:/srv:ro', 'volume:(anonymous aaaaaaaaaaaa):/var/lib/x:rw', 'volume:pgdata:/data:rw']);
    assert.equal(mountsOf({ ...observed, mounts: [] }), undefined);
  });

  it('publishes them in the status file (schema), in `mooring status`, and as metrics', () => {
    const status = {
      ...sampleStatus(),
      volumes: [
        { name: 'pgdata', state: 'Healthy' as const, driver: 'local', reclaimPolicy: 'Retain' as const, usedBy: ['db'] },
        { name: 'old', state: 'Orphaned' as const, driver: 'local', reclaimPolicy: 'Retain' as const, usedBy: [], message: 'remove it by hand with `docker volume rm old`' },
      ],
    };
    status.resources = [{ ...status.resources[0]!, mounts: ['volume:pgdata:/data:rw'] }, ...status.resources.slice(1)];
    assert.deepEqual(statusSchemaErrors(status), []);
    const text = formatStatus(status, Date.parse(status.generatedAt));
    assert.match(text, /^VOLUME +STATE +DRIVER +USED BY +DETAIL$/m);
    assert.match(text, /^old +Orphaned +local +- +remove it by hand/m);
    assert.match(text, /^web +volume:pgdata:\/data:rw$/m);
    const metrics = renderMetrics(status);
    assert.match(metrics, /^mooring_volume_info\{volume="pgdata",state="Healthy",driver="local",reclaim_policy="Retain"\} 1$/m);
    assert.match(metrics, /^mooring_volumes_orphaned 1$/m);
  });
});
