import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { LoadedManifests } from '../../../src/manifests/desired-state.js';
import { durationMs, loadDesiredState } from '../../../src/manifests/desired-state.js';
import { containerNetworks } from '../../../src/manifests/container-networks.js';
import { containerSpec } from '../../../src/manifests/schema.js';

const doc = (kind: string, name: string, spec: string) => `apiVersion: mooring/v1\nkind: ${kind}\nmetadata: { name: ${name} }\nspec: ${spec}\n`;
const net = (name: string) => doc('Network', name, '{}');
const ctr = (name: string, spec = '') => doc('Container', name, `{ image: mooring/busybox:latest${spec ? `, ${spec}` : ''} }`);
const BROKEN = doc('Container', 'broken', '{ image: 5 }');

describe('loadDesiredState', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mooring-desired-'));
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  async function put(files: Record<string, string>): Promise<void> {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(directory, path)), { recursive: true });
      await writeFile(join(directory, path), content);
    }
  }

  const load = (previous?: LoadedManifests) => loadDesiredState({ directory, ...(previous ? { lastGood: previous.lastGood } : {}) });

  /** What a pass would reconcile, by `file: Kind/name`. */
  function desired(loaded: LoadedManifests): string[] {
    const { networks, containers, links, publishes, probes } = loaded.desired;
    return [...networks, ...containers, ...links, ...publishes, ...probes].map((document) => `${document.source.file}: ${document.kind}/${document.name}`).sort();
  }

  it('reports every error at once: a document with a schema error is still declared, and its own references are checked', async () => {
    await put({
      'web.yaml': ctr('web', 'ports: ["8080:80"], networks: [{ name: frnt }]'),
      'app.yaml': ctr('app', 'dependsOn: [web]'),
      'publish.yaml': doc('PortPublish', 'web-http', '{ container: web, containerPort: 80 }'),
      'net.yaml': doc('Network', 'front', '{ subnet: 10.0.0.0/24 }'),
    });
    const loaded = await load();
    const errors = loaded.files.flatMap((file) => file.errors.map((error) => `${error.file}: ${error.resource ?? ''}: ${error.path ?? ''}: ${error.detail}`));
    assert.deepEqual(errors, [
      'net.yaml: Network/front: spec.subnet: unknown field `subnet`: set it under `ipam`: `ipam: {subnet: ...}`',
      'web.yaml: Container/web: spec.ports: unknown field `ports`: publish ports with a PortPublish (`kind: PortPublish`, `spec: {container, containerPort, hostPort}`)',
      'web.yaml: Container/web: spec.networks.0.name: network `frnt` is not declared (declare a Network, with `external: true` for one that exists already); did you mean `front`?',
    ]);
    // Nothing declared in the invalid files is applied; what refers to it is held back, and says why.
    assert.deepEqual(desired(loaded), []);
    assert.ok(loaded.heldBackErrors.every((error) => /this follows from holding back invalid files net\.yaml, web\.yaml$/.test(error.detail)));
  });

  it('takes valid files as they are', async () => {
    await put({ 'net.yaml': net('front'), 'app/web.yaml': `${ctr('web', 'networks: [{ name: front }]')}---\n${ctr('db')}` });
    const loaded = await load();
    assert.equal(loaded.directoryExists, true);
    assert.deepEqual(desired(loaded), ['app/web.yaml: Container/db', 'app/web.yaml: Container/web', 'net.yaml: Network/front']);
    assert.deepEqual(loaded.usingLastGood, []);
    assert.deepEqual(loaded.desired.unavailableFiles, []);
    assert.deepEqual([...loaded.lastGood.keys()], ['app/web.yaml', 'net.yaml']);
  });

  it('gives an invalid file without a last good version as unavailable, keeping the others', async () => {
    await put({ 'a.yaml': ctr('a'), 'b.yaml': `${ctr('b')}---\n${BROKEN}` });
    const loaded = await load();
    assert.deepEqual(desired(loaded), ['a.yaml: Container/a']);
    assert.deepEqual(loaded.desired.unavailableFiles, ['b.yaml']);
    assert.deepEqual(loaded.usingLastGood, []);
    assert.deepEqual([...loaded.lastGood.keys()], ['a.yaml']);
    // The file still shows what did load, and why it is held back.
    const b = loaded.files.find((file) => file.file === 'b.yaml');
    assert.deepEqual(b?.documents.map((document) => document.name), ['b']);
    assert.deepEqual(b?.errors.map((error) => error.message), ['b.yaml:9:9: Container/broken: spec.image: expected a string, got 5']);
  });

  it('keeps the last good version of a file that turns invalid, until it is valid again', async () => {
    await put({ 'a.yaml': ctr('a'), 'b.yaml': ctr('b') });
    const first = await load();
    await put({ 'b.yaml': `${ctr('b2')}---\n${BROKEN}` });
    const second = await load(first);
    assert.deepEqual(desired(second), ['a.yaml: Container/a', 'b.yaml: Container/b']);
    assert.deepEqual(second.usingLastGood, ['b.yaml']);
    assert.deepEqual(second.desired.unavailableFiles, []);
    assert.deepEqual(second.lastGood.get('b.yaml')?.map((document) => document.name), ['b']);
    assert.equal(second.desired.revision, first.desired.revision);

    const third = await load(second);
    assert.deepEqual(third.usingLastGood, ['b.yaml'], 'the last good version outlives more invalid loads');

    await put({ 'b.yaml': ctr('b2') });
    const fixed = await load(third);
    assert.deepEqual(desired(fixed), ['a.yaml: Container/a', 'b.yaml: Container/b2']);
    assert.deepEqual(fixed.usingLastGood, []);
    assert.notEqual(fixed.desired.revision, first.desired.revision);
  });

  it('holds back a file whose documents break a rule across files', async () => {
    await put({ 'a.yaml': ctr('a'), 'b.yaml': ctr('b', 'dependsOn: [a]') });
    const first = await load();
    await put({ 'b.yaml': ctr('b', 'dependsOn: [nothing]') });
    const second = await load(first);
    assert.deepEqual(second.files.find((file) => file.file === 'b.yaml')?.errors.map((error) => error.detail), ['Container/nothing is not declared']);
    assert.deepEqual(second.usingLastGood, ['b.yaml']);
    assert.deepEqual(desired(second), ['a.yaml: Container/a', 'b.yaml: Container/b']);
  });

  it('drops deleted files, from the desired state and from the last good versions', async () => {
    await put({ 'a.yaml': ctr('a'), 'b.yaml': ctr('b') });
    const first = await load();
    await unlink(join(directory, 'b.yaml'));
    const second = await load(first);
    assert.deepEqual(desired(second), ['a.yaml: Container/a']);
    assert.deepEqual([...second.lastGood.keys()], ['a.yaml']);
    assert.deepEqual(second.desired.unavailableFiles, []);
  });

  it('steps a valid file back when it only fits the broken version of another', async () => {
    // Before: b runs on the network `old`. Now net.yaml renames it to `front` but breaks, and b follows the rename.
    await put({ 'net.yaml': net('old'), 'app.yaml': ctr('b', 'networks: [{ name: old }]'), 'new.yaml': ctr('c') });
    const first = await load();
    await put({
      'net.yaml': `${net('front')}---\n${BROKEN}`,
      'app.yaml': ctr('b', 'networks: [{ name: front }]'),
      'new.yaml': `${ctr('c')}---\n${ctr('d', 'networks: [{ name: front }]')}`,
    });
    await put({ 'fresh.yaml': ctr('e', 'networks: [{ name: front }]') });
    const second = await load(first);
    // Judged as they are, only net.yaml is invalid: front is declared there.
    assert.deepEqual(second.files.filter((file) => file.errors.length > 0).map((file) => file.file), ['net.yaml']);
    // What is reconciled must hold together: with net.yaml at its last good version, front does not exist.
    assert.deepEqual(desired(second), ['app.yaml: Container/b', 'net.yaml: Network/old', 'new.yaml: Container/c']);
    assert.deepEqual(second.usingLastGood, ['app.yaml', 'net.yaml', 'new.yaml']);
    assert.deepEqual(second.desired.unavailableFiles, ['fresh.yaml']);
    assert.deepEqual(second.heldBackErrors.map((error) => `${error.file}: ${error.detail}`), [
      'app.yaml: network `front` is not declared (declare a Network, with `external: true` for one that exists already); this follows from holding back invalid file net.yaml',
      'fresh.yaml: network `front` is not declared (declare a Network, with `external: true` for one that exists already); this follows from holding back invalid file net.yaml',
      'new.yaml: network `front` is not declared (declare a Network, with `external: true` for one that exists already); this follows from holding back invalid file net.yaml',
    ]);
    // The next load starts from versions that held together, not from the ones stepped back.
    assert.deepEqual(second.lastGood.get('app.yaml')?.map((document) => document.spec), first.lastGood.get('app.yaml')?.map((document) => document.spec));
    assert.equal(second.lastGood.has('fresh.yaml'), false);
  });

  it('leaves a file out when even its last good version no longer fits the others', async () => {
    await put({ 'net.yaml': net('front'), 'app.yaml': ctr('web', 'networks: [{ name: front }]') });
    const first = await load();
    await put({ 'net.yaml': net('back'), 'app.yaml': `${ctr('web', 'networks: [{ name: back }]')}---\n${BROKEN}` });
    const second = await load(first);
    assert.deepEqual(desired(second), ['net.yaml: Network/back']);
    assert.deepEqual(second.desired.unavailableFiles, ['app.yaml']);
    assert.deepEqual(second.usingLastGood, []);
    assert.deepEqual(second.lastGood.get('app.yaml')?.map((document) => document.name), ['web'], 'kept for when net.yaml declares front again');
  });

  it('keeps every last good version when the directory cannot be read', async () => {
    await put({ 'manifests/a.yaml': ctr('a'), 'manifests/sub/b.yaml': ctr('b') });
    const first = await loadDesiredState({ directory: join(directory, 'manifests') });
    await rm(join(directory, 'manifests'), { recursive: true });
    await writeFile(join(directory, 'manifests'), 'not a directory');
    const second = await loadDesiredState({ directory: join(directory, 'manifests'), lastGood: first.lastGood });
    assert.deepEqual(second.usingLastGood, ['a.yaml', 'sub/b.yaml']);
    assert.deepEqual(second.desired.unavailableFiles, ['./']);
    assert.equal(second.desired.containers.length, 2);
  });

  it('treats a missing directory as declaring nothing', async () => {
    const loaded = await loadDesiredState({ directory: join(directory, 'missing') });
    assert.equal(loaded.directoryExists, false);
    assert.deepEqual(loaded.files, []);
    assert.deepEqual(desired(loaded), []);
  });

  it('keeps the revision while only comments and layout change', async () => {
    await put({ 'a.yaml': ctr('a', 'command: [sleep, "1d"]') });
    const first = await load();
    await put({ 'a.yaml': `# the same container, written out\n${doc('Container', 'a', '\n  image: mooring/busybox:latest\n  command:\n    - sleep\n    - "1d"')}` });
    const second = await load(first);
    assert.equal(second.desired.revision, first.desired.revision);
    await put({ 'a.yaml': ctr('a', 'command: [sleep, "2d"]') });
    assert.notEqual((await load(second)).desired.revision, first.desired.revision);
  });
});

describe('containerNetworks', () => {
  const spec = (value: Record<string, unknown>) => containerSpec.parse({ image: 'x', ...value });

  it('is the declared networks, the default bridge, or nothing with a network mode', () => {
    assert.deepEqual(containerNetworks(spec({ networks: [{ name: 'front', aliases: ['www'] }] })), [{ name: 'front', aliases: ['www'] }]);
    assert.deepEqual(containerNetworks(spec({})), [{ name: 'bridge', aliases: [] }]);
    assert.deepEqual(containerNetworks(spec({ networkMode: 'host' })), []);
    assert.deepEqual(containerNetworks(spec({ networkMode: 'container:db' })), []);
  });
});

describe('durationMs', () => {
  const cases: [Parameters<typeof durationMs>[0], number][] = [
    [0, 0],
    [1.5, 1500],
    ['500ms', 500],
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
  ];
  for (const [value, expected] of cases) {
    it(`${JSON.stringify(value)} is ${expected} ms`, () => assert.equal(durationMs(value), expected));
  }
});
