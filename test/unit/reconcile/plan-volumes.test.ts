import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AnyDocument, DesiredState } from '../../../src/manifests/model.js';
import type { ResolvedInputs } from '../../../src/manifests/model.js';
import { SecretContent } from '../../../src/manifests/secret-content.js';
import type { Action, Plan } from '../../../src/reconcile/actions.js';
import { reconcile } from '../../../src/reconcile/reconcile.js';
import { RemovalGrace } from '../../../src/reconcile/removal-grace.js';
import { formatPlan } from '../../../src/reconcile/format-plan.js';
import { LABELS } from '../../../src/engine/labels.js';
import { silentLogger } from '../../../src/log.js';
import { systemClock } from '../../../src/clock.js';
import { FakeEngine } from '../../support/fake-engine.js';
import { IMAGE, container, desiredState, document } from './fixtures.js';
import { INSTANCE, converge, ids, ordered, planFor } from './helpers.js';

const volume = (name: string, spec: Record<string, unknown> = {}) => document('Volume', name, spec);
const secret = (name: string) => document('Secret', name, { env: 'UNUSED' });

/** A desired state with Volumes and Secrets, and the secrets' contents and env files as the loader reads them. */
function storageState(documents: AnyDocument[], inputs: { secrets?: Record<string, string>; envFiles?: Record<string, Record<string, string>> } = {}, unavailableFiles: string[] = []): DesiredState {
  const resolved: ResolvedInputs = {
    secrets: new Map(Object.entries(inputs.secrets ?? {}).map(([name, value]) => [name, { value: new SecretContent(Buffer.from(value)) }])),
    envFiles: new Map(Object.entries(inputs.envFiles ?? {}).map(([name, value]) => [name, { value }])),
  };
  return {
    ...desiredState(documents, unavailableFiles),
    volumes: documents.filter((doc) => doc.kind === 'Volume') as DesiredState['volumes'],
    secrets: documents.filter((doc) => doc.kind === 'Secret') as DesiredState['secrets'],
    inputs: resolved,
  };
}

function find<T extends Action['type']>(result: Plan, id: string): Extract<Action, { type: T }> {
  const action = result.actions.find((candidate) => candidate.id === id);
  assert.ok(action, `expected action ${id} in ${ids(result).join(', ')}`);
  return action as Extract<Action, { type: T }>;
}

const db = (spec: Record<string, unknown> = {}) => container('db', { mounts: ['pgdata:/var/lib/data'], ...spec });
const other = container('other');

describe('planning volumes', () => {
  it('creates a declared volume, with its ownership labels and reclaim policy, before the container that mounts it', async () => {
    const engine = new FakeEngine();
    const desired = storageState([volume('pgdata', { driverOpts: { type: 'tmpfs', device: 'tmpfs' } }), db()]);
    const result = await planFor(engine, desired);
    assert.ok(ordered(result, 'create-volume:pgdata', 'create-container:db'));
    const created = find<'create-volume'>(result, 'create-volume:pgdata').volume;
    assert.equal(created.labels[LABELS.managedBy], 'mooring');
    assert.equal(created.labels[LABELS.instance], INSTANCE);
    assert.equal(created.labels[LABELS.reclaimPolicy], 'Retain');
    assert.deepEqual(created.driverOpts, { device: 'tmpfs', type: 'tmpfs' });
    assert.deepEqual(find<'create-container'>(result, 'create-container:db').container.mounts, [{ type: 'volume', source: 'pgdata', target: '/var/lib/data', readOnly: false }]);

    assert.ok((await converge(engine, desired)).converged);
    assert.deepEqual(ids(await planFor(engine, desired)), []);
  });

  it('never recreates a volume whose driver options changed: VolumeSpecDiffers, and the container still mounts it', async () => {
    const engine = new FakeEngine();
    await converge(engine, storageState([volume('pgdata'), db()]));
    const changed = storageState([volume('pgdata', { driverOpts: { type: 'nfs' } }), db()]);
    const result = await planFor(engine, changed);
    assert.deepEqual(ids(result), []);
    assert.deepEqual(result.problems.map((problem) => problem.resource), ['Volume/pgdata']);
    assert.match(result.problems[0]!.message, /^VolumeSpecDiffers: driverOpts\.type: \(unset\) → nfs; mooring never removes a volume/);
  });

  it('says a volume keeps the reclaimPolicy it was made with when the manifest changes it, since its labels cannot change', async () => {
    const engine = new FakeEngine();
    await converge(engine, storageState([volume('pgdata', { reclaimPolicy: 'Delete' }), db(), other]));
    const retained = await planFor(engine, storageState([volume('pgdata', { reclaimPolicy: 'Retain' }), db(), other]));
    assert.deepEqual(ids(retained), []);
    assert.deepEqual(retained.problems.map((problem) => problem.resource), ['Volume/pgdata']);
    assert.match(retained.problems[0]!.message, /^VolumeSpecDiffers: reclaimPolicy: Delete → Retain; .* keeps reclaimPolicy Delete: it is removed, with its data, once no manifest declares it/);

    const madeRetain = new FakeEngine();
    await converge(madeRetain, storageState([volume('pgdata'), db(), other]));
    const deleted = await planFor(madeRetain, storageState([volume('pgdata', { reclaimPolicy: 'Delete', driverOpts: { type: 'nfs' } }), db(), other]));
    assert.equal(deleted.problems.length, 1, 'one problem names both differences');
    assert.match(deleted.problems[0]!.message, /^VolumeSpecDiffers: driverOpts\.type: \(unset\) → nfs; mooring never removes a volume to recreate it/);
    assert.match(deleted.problems[0]!.message, /; reclaimPolicy: Retain → Delete; .* keeps reclaimPolicy Retain: it stays, with its data, once no manifest declares it, until removed by hand$/);
  });

  it('keeps an undeclared volume with Retain, as Orphaned, with the command that removes it', async () => {
    const engine = new FakeEngine();
    await converge(engine, storageState([volume('pgdata'), db(), other]));
    const result = await converge(engine, storageState([other]));
    assert.deepEqual(ids(result.plan), ['remove-container:db']);
    assert.deepEqual(result.plan.kept, [{ resource: 'Volume/pgdata', reason: 'Orphaned: no manifest declares it (it came from app.yaml); reclaimPolicy Retain keeps it and its data; remove it by hand with `docker volume rm pgdata`' }]);
    assert.ok(engine.volumes.get('pgdata'), 'the volume and its data stay');
  });

  it('removes an undeclared volume with Delete once the containers that used it are gone', async () => {
    const engine = new FakeEngine();
    await converge(engine, storageState([volume('pgdata', { reclaimPolicy: 'Delete' }), db(), other]));
    const result = await converge(engine, storageState([other]));
    assert.ok(ordered(result.plan, 'remove-container:db', 'remove-volume:pgdata'));
    assert.ok(result.converged);
    assert.equal(engine.volumes.get('pgdata'), undefined);
  });

  it('removes a Delete volume only once no manifest has declared it for the whole prune delay (a file read half written)', async () => {
    const engine = new FakeEngine();
    // No container mounts it: its removal waits for no other, so the grace alone holds it.
    const declared = storageState([volume('pgdata', { reclaimPolicy: 'Delete' }), other]);
    await converge(engine, declared);
    let now = 0;
    const grace = new RemovalGrace({ delayMs: 10_000 });
    const pass = (desired: DesiredState) =>
      reconcile({ engine, logger: silentLogger(), clock: { ...systemClock, now: () => now }, instance: INSTANCE, desired, removalGrace: grace, retry: { minTimeoutMs: 1, maxTimeoutMs: 1 } });
    const halfWritten = await pass(storageState([other]));
    assert.ok(!ids(halfWritten.plan).includes('remove-volume:pgdata'), ids(halfWritten.plan).join(', '));
    assert.ok(engine.volumes.get('pgdata'));
    now = 5_000;
    await pass(declared);
    now = 12_000;
    assert.ok(!ids((await pass(storageState([other]))).plan).includes('remove-volume:pgdata'), 'the grace starts over');
    now = 22_000;
    assert.ok(ids((await pass(storageState([other]))).plan).includes('remove-volume:pgdata'));
    assert.equal(engine.volumes.get('pgdata'), undefined);
  });

  it('keeps a Delete volume while a container that stays uses it', async () => {
    const engine = new FakeEngine();
    await converge(engine, storageState([volume('pgdata', { reclaimPolicy: 'Delete' }), other]));
    engine.seedContainer({ name: 'by-hand', mounts: [{ type: 'volume', source: 'pgdata', target: '/data', readOnly: false }] });
    const result = await planFor(engine, storageState([other]));
    assert.deepEqual(ids(result), []);
    assert.match(result.kept[0]?.reason ?? '', /removed once unused; in use by by-hand$/);
  });

  for (const [title, desired, reason] of [
    ['a manifest fails to load', storageState([other], {}, ['broken.yaml']), /nothing is removed while a manifest that may declare it fails to load: broken\.yaml/],
    ['no manifest declares anything', storageState([]), /no manifest declares anything/],
  ] as const) {
    it(`removes no Delete volume while ${title}`, async () => {
      const engine = new FakeEngine();
      await converge(engine, storageState([volume('pgdata', { reclaimPolicy: 'Delete' }), other]));
      const result = await planFor(engine, desired);
      assert.ok(!ids(result).includes('remove-volume:pgdata'));
      assert.match(result.kept.find((entry) => entry.resource === 'Volume/pgdata')?.reason ?? '', reason);
    });
  }

  it('never creates a missing external volume: the containers that mount it wait', async () => {
    const result = await planFor(new FakeEngine(), storageState([volume('pgdata', { external: true }), db(), other]));
    assert.deepEqual(ids(result).filter((id) => id.includes(':db')), []);
    assert.ok(ids(result).includes('create-container:other'));
    assert.match(result.problems.map((problem) => problem.message).join('\n'), /external volume pgdata does not exist; mooring never creates it/);
  });

  it('recreates a container whose mounts change; the volume stays', async () => {
    const engine = new FakeEngine();
    await converge(engine, storageState([volume('pgdata'), db()]));
    const result = await planFor(engine, storageState([volume('pgdata'), db({ mounts: ['pgdata:/var/lib/data:ro'] })]));
    assert.deepEqual(ids(result), ['pull-image:db', 'recreate-container:db', 'start-container:db']);
    assert.deepEqual(find(result, 'recreate-container:db').changes, [{ field: 'mounts', fromUnknown: true, to: 'volume:pgdata:/var/lib/data:ro' }]);
  });

  it('recreates a container whose volume mount gains nocopy, and gives the engine NoCopy', async () => {
    const engine = new FakeEngine();
    await converge(engine, storageState([volume('pgdata'), db()]));
    const noCopy = db({ mounts: [{ type: 'volume', source: 'pgdata', target: '/var/lib/data', noCopy: true }] });
    const result = await planFor(engine, storageState([volume('pgdata'), noCopy]));
    assert.deepEqual(find(result, 'recreate-container:db').changes, [{ field: 'mounts', fromUnknown: true, to: 'volume:pgdata:/var/lib/data:rw:nocopy' }]);
    assert.deepEqual(find<'recreate-container'>(result, 'recreate-container:db').container.mounts, [{ type: 'volume', source: 'pgdata', target: '/var/lib/data', readOnly: false, noCopy: true }]);
  });

  it('gives a recreated container the anonymous volumes of the old one, as docker compose does, and says so', async () => {
    const engine = new FakeEngine({ imageVolumes: { [IMAGE]: ['/data'] } });
    await converge(engine, storageState([container('db')]));
    const anonymous = engine.container('db')?.mounts?.[0]?.name;
    assert.match(anonymous ?? '', /^[0-9a-f]{64}$/);
    const result = await converge(engine, storageState([container('db', { env: { CHANGED: 1 } })]));
    const recreate = find<'recreate-container'>(result.plan, 'recreate-container:db');
    assert.match(recreate.reason, new RegExp(`keeps the old container's /data \\(anonymous volume ${anonymous!.slice(0, 12)}\\)`));
    assert.equal(engine.container('db')?.mounts?.[0]?.name, anonymous);
    assert.deepEqual(ids(await planFor(engine, storageState([container('db', { env: { CHANGED: 1 } })]))), []);
  });

  it('recreates a container whose env file changed, and the explicit env wins over the file', async () => {
    const engine = new FakeEngine();
    const web = container('web', { envFiles: ['app.env'], env: { B: 'explicit' } });
    await converge(engine, storageState([web], { envFiles: { web: { A: '1', B: 'file' } } }));
    assert.deepEqual(engine.containerConfig('web')?.env, ['A=1', 'B=explicit']);
    const result = await planFor(engine, storageState([web], { envFiles: { web: { A: '2', B: 'file' } } }));
    assert.deepEqual(find(result, 'recreate-container:web').changes.map((change) => change.field), ['env.A']);
  });

  it('stops only the container whose secret or env file cannot be read', async () => {
    const web = container('web', { envFiles: ['app.env'] });
    const desired = storageState([web, other]);
    const result = await planFor(new FakeEngine(), desired);
    assert.deepEqual(ids(result), ['pull-image:other', 'create-container:other', 'start-container:other']);
    assert.deepEqual(result.problems, [{ resource: 'Container/web', message: 'its env files were not read' }]);
  });
});

describe('secrets', () => {
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), 'mooring-state-'));
  });
  afterEach(() => rm(stateDir, { recursive: true, force: true }));

  const pass = (engine: FakeEngine, desired: DesiredState) =>
    reconcile({ engine, logger: silentLogger(), clock: systemClock, instance: INSTANCE, desired, stateDir, retry: { minTimeoutMs: 1, maxTimeoutMs: 1 } });
  const app = (spec: Record<string, unknown> = {}) => container('app', { secrets: ['pw', { name: 'pw', target: '/etc/app/pw', mode: '0440' }], ...spec });

  it('writes each secret under the state directory with its mode, binds it read-only, and keeps its content out of the labels and the plan', async () => {
    const engine = new FakeEngine();
    const result = await pass(engine, storageState([secret('pw'), app()], { secrets: { pw: 'hunter2' } }));
    assert.ok(result.converged, JSON.stringify(result.errors));
    const config = engine.containerConfig('app')!;
    const secretsDirectory = path.join(stateDir, 'secrets', INSTANCE, 'app');
    assert.deepEqual(config.mounts?.map(({ source, target, readOnly }) => [path.relative(secretsDirectory, source!), target, readOnly]), [
      [path.join('files', path.basename(config.mounts![0]!.source!)), '/etc/app/pw', true],
      ['run-secrets', '/run/secrets', true],
    ]);
    assert.equal(await readFile(path.join(secretsDirectory, 'run-secrets', 'pw'), 'utf8'), 'hunter2');
    assert.equal((await stat(path.join(secretsDirectory, 'run-secrets', 'pw'))).mode & 0o777, 0o400);
    assert.equal((await stat(config.mounts![0]!.source!)).mode & 0o777, 0o440);
    assert.equal((await stat(stateDir)).mode & 0o777, 0o700);
    const shown = JSON.stringify([config.labels, config.env, result.plan]) + formatPlan(result.plan);
    assert.doesNotMatch(shown, /hunter2/);
  });

  it('recreates the container when the secret changes, and only replaces the file with secretsUpdate: InPlace', async () => {
    for (const [update, expected] of [['Recreate', ['pull-image:app', 'recreate-container:app', 'start-container:app']], ['InPlace', []]] as const) {
      const engine = new FakeEngine();
      const spec = { secretsUpdate: update, secrets: ['pw'] };
      await pass(engine, storageState([secret('pw'), app(spec)], { secrets: { pw: 'one' } }));
      const result = await pass(engine, storageState([secret('pw'), app(spec)], { secrets: { pw: 'two' } }));
      assert.deepEqual(ids(result.plan), expected, update);
      assert.equal(await readFile(path.join(stateDir, 'secrets', INSTANCE, 'app', 'run-secrets', 'pw'), 'utf8'), 'two');
    }
  });

  it('removes a secret file no reference wants any more, and the directory of a removed container', async () => {
    const engine = new FakeEngine();
    await pass(engine, storageState([secret('pw'), secret('token'), app({ secrets: ['pw', 'token'] }), other], { secrets: { pw: 'a', token: 'b' } }));
    await pass(engine, storageState([secret('pw'), app({ secrets: ['pw'] }), other], { secrets: { pw: 'a' } }));
    await assert.rejects(stat(path.join(stateDir, 'secrets', INSTANCE, 'app', 'run-secrets', 'token')));
    await pass(engine, storageState([other]));
    await assert.rejects(stat(path.join(stateDir, 'secrets', INSTANCE, 'app')));
  });

  it('removes the secret files of a container whose manifest drops its last secret', async () => {
    const engine = new FakeEngine();
    await pass(engine, storageState([secret('pw'), app({ secrets: ['pw', { name: 'pw', target: '/etc/app/pw' }] }), other], { secrets: { pw: 'hunter2' } }));
    const result = await pass(engine, storageState([app({ secrets: [] }), other]));
    assert.ok(result.converged, JSON.stringify(result.errors));
    assert.deepEqual(engine.containerConfig('app')?.mounts, undefined);
    await assert.rejects(stat(path.join(stateDir, 'secrets', INSTANCE, 'app')), 'no file of the secret stays on the host');
    assert.deepEqual(result.plan.secretFiles, { app: [] });
    assert.equal((await pass(engine, storageState([app({ secrets: [] }), other]))).plan.secretFiles, undefined, 'once the container binds none, there is nothing to remove');
  });
});
