import assert from 'node:assert/strict';
import { buildStatus } from '../../../src/status/build.js';
import type { PassRecord, StatusInput } from '../../../src/status/build.js';
import type { LoadedManifests } from '../../../src/manifests/desired-state.js';
import { ManifestError } from '../../../src/manifests/errors.js';
import type { AnyDocument, DesiredState } from '../../../src/manifests/model.js';
import type { Status } from '../../../src/status/model.js';
import { FakeEngine } from '../../support/fake-engine.js';
import { statusSchemaErrors } from '../../support/status-schema.js';
import { container, desiredState, link, network } from '../reconcile/fixtures.js';
import { INSTANCE, converge } from '../reconcile/helpers.js';
import { sampleStatus } from './status-fixture.js';

const NOW = Date.parse('2024-05-01T12:00:00Z');

function loaded(documents: AnyDocument[], extra: Partial<LoadedManifests> = {}): LoadedManifests {
  const desired: DesiredState = desiredState(documents);
  return {
    directory: '/etc/mooring/manifests',
    directoryExists: true,
    files: [{ file: 'app.yaml', digest: 'd', documents, errors: [] }],
    desired,
    usingLastGood: [],
    lastGood: new Map([['app.yaml', documents]]),
    heldBackErrors: [],
    ...extra,
  };
}

function input(manifests: LoadedManifests, lastPass: PassRecord | undefined, extra: Partial<StatusInput> = {}): StatusInput {
  return {
    now: NOW,
    daemon: { version: '0.1.0', instance: INSTANCE, pid: 4242, startedAt: '2024-05-01T11:00:00.000Z', manifestsDirectory: '/etc/mooring/manifests' },
    engine: { reachable: true, version: '20.10.24' },
    counters: { reconcileTotal: 2, reconcileErrorsTotal: 0 },
    manifests,
    ...(lastPass === undefined ? {} : { lastPass }),
    resourceErrors: new Map(),
    reachability: [],
    ...extra,
  };
}

async function pass(engine: FakeEngine, documents: AnyDocument[]): Promise<PassRecord> {
  return { result: await converge(engine, desiredState(documents)), endedAt: NOW - 500, durationMs: 42, heldBack: new Map() };
}

const check = (name: string, healthy: boolean | null) => ({
  name,
  resource: 'Link/web-db',
  kind: 'link' as const,
  from: 'web',
  to: 'db',
  port: 5432,
  protocol: 'tcp' as const,
  expect: 'reachable' as const,
  healthy,
  consecutiveFailures: healthy === false ? 3 : 0,
  consecutiveSuccesses: healthy ? 1 : 0,
});

describe('buildStatus', () => {
  const documents = [network('front'), container('web', { networks: [{ name: 'front' }] }), container('db', { networks: [{ name: 'front' }] }), link('web-db', { from: 'web', to: 'db', network: 'front', ports: [5432] })];

  it('the sample status validates against the published schema', () => {
    assert.deepEqual(statusSchemaErrors(sampleStatus()), []);
    const broken = { ...sampleStatus(), sync: { ...sampleStatus().sync, state: 'Fine' } };
    assert.match(statusSchemaErrors(broken).join('\n'), /\/sync\/state: must be equal to one of the allowed values/);
  });

  it('says Progressing after a pass that changed things, and Synced and Healthy once a pass finds nothing to do', async () => {
    const engine = new FakeEngine();
    const first = buildStatus(input(loaded(documents), await pass(engine, documents), { reachability: [check('link/web-db:5432', true)] }));
    assert.equal(first.sync.state, 'Progressing');
    assert.equal(first.resources.find((resource) => resource.name === 'web')?.health, 'Progressing');
    assert.deepEqual(statusSchemaErrors(first), []);

    const second = buildStatus(input(loaded(documents), await pass(engine, documents), { reachability: [check('link/web-db:5432', true)], previous: first }));
    assert.deepEqual(statusSchemaErrors(second), []);
    assert.equal(second.sync.state, 'Synced');
    assert.equal(second.sync.message, undefined);
    assert.equal(second.sync.lastReconcileAt, '2024-05-01T11:59:59.500Z');
    assert.deepEqual(
      second.resources.map((resource) => `${resource.kind}/${resource.name} ${resource.health} ${resource.dockerId === undefined ? '-' : 'id'}`),
      ['Network/front Healthy id', 'Container/web Healthy id', 'Container/db Healthy id', 'Link/web-db Healthy -'],
    );
    const web = second.resources.find((resource) => resource.name === 'web')!;
    assert.deepEqual(web.conditions, [
      { type: 'Synced', status: 'True', reason: 'InSync', message: '', lastTransitionTime: '2024-05-01T12:00:00.000Z' },
      { type: 'Ready', status: 'True', reason: 'Running', message: '', lastTransitionTime: '2024-05-01T12:00:00.000Z' },
    ]);
  });

  it('keeps lastTransitionTime while a condition holds, and moves it when it changes', async () => {
    const engine = new FakeEngine();
    await converge(engine, desiredState(documents));
    const earlier = buildStatus(input(loaded(documents), await pass(engine, documents)));
    const later = buildStatus({ ...input(loaded(documents), await pass(engine, documents)), now: NOW + 60_000, previous: earlier });
    const ready = (status: Status) => status.resources.find((resource) => resource.name === 'db')!.conditions.find((condition) => condition.type === 'Ready')!;
    assert.equal(ready(later).lastTransitionTime, ready(earlier).lastTransitionTime);
    engine.setStatus('db', 'exited', 3);
    const last = buildStatus({ ...input(loaded(documents), await pass(engine, documents)), now: NOW + 120_000, previous: later });
    assert.equal(ready(last).lastTransitionTime, '2024-05-01T12:02:00.000Z');
  });

  it('says Unknown and Degraded while the engine does not answer', async () => {
    const engine = new FakeEngine();
    const status = buildStatus(input(loaded(documents), await pass(engine, documents), { engine: { reachable: false, lastError: 'connect ECONNREFUSED /var/run/docker.sock' } }));
    assert.equal(status.sync.state, 'Degraded');
    assert.match(status.sync.message ?? '', /ECONNREFUSED/);
    assert.ok(status.resources.every((resource) => resource.health === 'Unknown'));
    assert.deepEqual(statusSchemaErrors(status), []);
  });

  it('names the resources with errors, and says Missing for what could not be created', async () => {
    const engine = new FakeEngine();
    engine.seedContainer({ name: 'db' });
    const status = buildStatus(input(loaded(documents), await pass(engine, documents)));
    assert.equal(status.sync.state, 'Degraded');
    assert.match(status.sync.message ?? '', /1 resource with errors \(Container\/db\)/);
    const db = status.resources.find((resource) => resource.name === 'db')!;
    assert.equal(db.health, 'Missing');
    assert.equal(db.dockerId, undefined, "the id of a container mooring does not own is not shown");
    assert.match(db.lastError ?? '', /taken by a container mooring does not manage/);
    assert.equal(db.conditions[0]?.reason, 'Blocked');
  });

  it('says OutOfSync for an invalid file whose last good version is applied, with its errors', async () => {
    const engine = new FakeEngine();
    await converge(engine, desiredState(documents));
    const error = new ManifestError('expected a string, got 42', { file: 'app.yaml', line: 7, column: 12, resource: 'Container/web', path: 'spec.image' });
    const manifests = loaded(documents, { files: [{ file: 'app.yaml', digest: 'e', documents: [], errors: [error] }], usingLastGood: ['app.yaml'] });
    const status = buildStatus(input(manifests, await pass(engine, documents)));
    assert.equal(status.sync.state, 'OutOfSync');
    assert.match(status.sync.message ?? '', /invalid manifest 1 file, not applied as written: app\.yaml/);
    assert.deepEqual(status.manifests[0], {
      file: 'app.yaml',
      valid: false,
      usingLastKnownGood: true,
      errors: [{ line: 7, column: 12, path: 'spec.image', resource: 'Container/web', message: 'expected a string, got 42' }],
      documents: documents.map((document) => ({ kind: document.kind, name: document.name })),
    });
  });

  it('lists a valid file held back because of another as invalid, with the reason', () => {
    const error = new ManifestError('network `front` is not declared; this follows from holding back invalid file net.yaml', { file: 'app.yaml', line: 3, column: 5 });
    const manifests = loaded([], { heldBackErrors: [error], desired: desiredState([], ['app.yaml']) });
    const status = buildStatus(input(manifests, undefined));
    assert.deepEqual(status.manifests[0]?.errors.map((entry) => entry.message), [error.detail]);
    assert.equal(status.manifests[0]?.valid, false);
    assert.deepEqual(status.manifests[0]?.documents, [], 'nothing of it is applied');
  });

  it('marks a one-shot that exited with 0 Healthy and Completed when its restart policy leaves it so, and one that failed Degraded', async () => {
    const engine = new FakeEngine();
    const jobs = [container('job', { restartPolicy: 'no' }), container('failed', { restartPolicy: 'no' }), container('server', { restartPolicy: 'always' })];
    await converge(engine, desiredState(jobs));
    engine.setStatus('job', 'exited', 0);
    engine.setStatus('failed', 'exited', 2);
    engine.setStatus('server', 'exited', 0);
    // The pass that would start them again is not applied: the status judges what the engine shows.
    const result = await converge(engine, desiredState(jobs), { holdBack: new Set(['Container/failed', 'Container/server']) });
    const status = buildStatus(input(loaded(jobs), { result, endedAt: NOW, durationMs: 1, heldBack: new Map() }));
    const ready = (name: string) => status.resources.find((resource) => resource.name === name)?.conditions.find((condition) => condition.type === 'Ready');
    assert.deepEqual([ready('job')?.status, ready('job')?.reason], ['True', 'Completed']);
    assert.equal(status.resources.find((resource) => resource.name === 'job')?.health, 'Healthy');
    assert.deepEqual([ready('failed')?.status, ready('failed')?.reason], ['False', 'NotRunning']);
    assert.deepEqual([ready('server')?.status, ready('server')?.reason], ['False', 'NotRunning']);
    assert.deepEqual(statusSchemaErrors(status), []);
  });

  it('marks a crash-looping container Degraded with CrashLoopBackOff', async () => {
    const engine = new FakeEngine();
    const crasher = [container('crasher', { restartPolicy: 'no' })];
    await converge(engine, desiredState(crasher));
    engine.setStatus('crasher', 'exited', 1);
    const hold = { reason: 'CrashLoopBackOff' as const, message: 'back-off 20s restarting container crasher', retryAt: NOW + 20_000 };
    const result = await converge(engine, desiredState(crasher), { holdBack: new Set(['Container/crasher']) });
    const record: PassRecord = { result, endedAt: NOW, durationMs: 1, heldBack: new Map([['Container/crasher', hold]]) };
    const status = buildStatus(input(loaded(crasher), record));
    const entry = status.resources[0]!;
    assert.equal(entry.health, 'Degraded');
    assert.deepEqual(entry.conditions.map((condition) => `${condition.type} ${condition.status} ${condition.reason}`), ['Synced False CrashLoopBackOff', 'Ready False CrashLoopBackOff']);
    assert.equal(status.sync.state, 'Degraded');
    assert.deepEqual(statusSchemaErrors(status), []);
  });

  it('derives a Link from its checks: Degraded when one fails, Unknown before any result', async () => {
    const engine = new FakeEngine();
    await converge(engine, desiredState(documents));
    const record = await pass(engine, documents);
    const failing = buildStatus(input(loaded(documents), record, { reachability: [{ ...check('link/web-db:5432', false), lastProbe: { at: '2024-05-01T12:00:00.000Z', success: false, durationMs: 1, resolvedAddresses: [], reason: 'ConnectionRefused', message: 'refused', method: 'nsenter' } }] }));
    const linkStatus = failing.resources.find((resource) => resource.kind === 'Link')!;
    assert.equal(linkStatus.health, 'Degraded');
    assert.deepEqual(linkStatus.conditions.map((condition) => `${condition.type} ${condition.status} ${condition.reason} ${condition.message}`), ['Reachable False ConnectionRefused link/web-db:5432: refused']);
    const pending = buildStatus(input(loaded(documents), record, { reachability: [check('link/web-db:5432', null)] }));
    assert.equal(pending.resources.find((resource) => resource.kind === 'Link')?.health, 'Unknown');
  });

  it("counts a check in the resource it carries, whatever the check's name", async () => {
    const engine = new FakeEngine();
    await converge(engine, desiredState(documents));
    const record = await pass(engine, documents);
    const status = buildStatus(input(loaded(documents), record, { reachability: [{ ...check('renamed', false), resource: 'Link/web-db' }, { ...check('link/web-db:5432', false), resource: 'Link/other' }] }));
    const linkStatus = status.resources.find((resource) => resource.kind === 'Link')!;
    assert.deepEqual(linkStatus.conditions.map((condition) => `${condition.status} ${condition.message}`), ['False renamed: ']);
  });
});
