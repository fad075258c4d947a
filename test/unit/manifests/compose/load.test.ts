import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadDesiredState } from '../../../../src/manifests/desired-state.js';
import { isManifestFileName } from '../../../../src/manifests/load.js';

const COMPOSE = 'services:\n  web:\n    image: mooring/busybox:latest\n    ports: ["18080:80"]\n';
const PROBE = 'apiVersion: mooring/v1\nkind: Probe\nmetadata: { name: to-web }\nspec: { from: host, to: 127.0.0.1, ports: [18080] }\n---\napiVersion: mooring/v1\nkind: Link\nmetadata: { name: side-web }\nspec: { from: side, to: shop-web-1, network: shop_default }\n---\napiVersion: mooring/v1\nkind: Container\nmetadata: { name: side }\nspec: { image: mooring/busybox:latest, networks: [{ name: shop_default }] }\n';

describe('Compose projects in the manifests tree', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mooring-compose-'));
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  async function put(files: Record<string, string>): Promise<void> {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(directory, path)), { recursive: true });
      await writeFile(join(directory, path), content);
    }
  }

  it('loads a project beside mooring manifests that refer to its containers and networks', async () => {
    await put({ 'shop/compose.yaml': COMPOSE, 'shop/compose.override.yaml': 'services:\n  web:\n    hostname: shop\n', 'side.yaml': PROBE });
    const loaded = await loadDesiredState({ directory });
    assert.deepEqual(loaded.files.map((file) => [file.file, file.errors.map((error) => error.message)]), [['shop/compose.yaml', []], ['side.yaml', []]]);
    assert.deepEqual(loaded.desired.containers.map((container) => container.name), ['shop-web-1', 'side']);
    assert.equal(loaded.desired.containers[0]!.spec.hostname, 'shop');
    assert.deepEqual(loaded.desired.networks.map((network) => network.name), ['shop_default']);
  });

  it('keeps the last good version of a project through a broken edit of any of its files', async () => {
    await put({ 'shop/compose.yaml': COMPOSE, 'shop/.env': 'TAG=latest\n' });
    const good = await loadDesiredState({ directory });
    assert.deepEqual(good.desired.unavailableFiles, []);

    await put({ 'shop/compose.override.yaml': 'services:\n  web:\n    ports: ["eighty"]\n' });
    const broken = await loadDesiredState({ directory, lastGood: good.lastGood });
    assert.deepEqual(broken.files[0]!.errors.map((error) => error.message), ['shop/compose.override.yaml:3:13: service web: ports[1]: expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], got "eighty"']);
    assert.deepEqual(broken.usingLastGood, ['shop/compose.yaml']);
    assert.deepEqual(broken.desired.containers.map((container) => container.name), ['shop-web-1']);

    await rm(join(directory, 'shop/compose.override.yaml'));
    await put({ 'shop/compose.yaml': 'services:\n  web:\n    image: mooring/busybox:${TAG:?set TAG}\n', 'shop/.env': '' });
    const unset = await loadDesiredState({ directory, lastGood: good.lastGood });
    assert.deepEqual(unset.files[0]!.errors.map((error) => error.message), ['shop/compose.yaml:3:5: service web: image: required variable TAG is missing a value: set TAG']);
    assert.deepEqual(unset.usingLastGood, ['shop/compose.yaml']);
  });

  it('changes the project digest when its .env changes', async () => {
    await put({ 'shop/compose.yaml': COMPOSE, 'shop/.env': 'A=1\n' });
    const before = await loadDesiredState({ directory });
    await put({ 'shop/.env': 'A=2\n' });
    const after = await loadDesiredState({ directory });
    assert.notEqual(before.files[0]!.digest, after.files[0]!.digest);
  });

  it('refuses a second Compose file in one directory, and an override alone, so prune waits', async () => {
    await put({ 'a/compose.yaml': COMPOSE, 'a/docker-compose.yml': COMPOSE, 'b/compose.override.yaml': COMPOSE });
    const loaded = await loadDesiredState({ directory });
    assert.deepEqual(loaded.files.map((file) => [file.file, file.errors.length]), [['a/compose.yaml', 0], ['a/docker-compose.yml', 1], ['b/compose.override.yaml', 1]]);
    assert.deepEqual(loaded.desired.unavailableFiles, ['a/docker-compose.yml', 'b/compose.override.yaml']);
  });

  it('watches a project\'s .env as a manifest file', () => {
    assert.equal(isManifestFileName('.env'), true);
    assert.equal(isManifestFileName('.hidden.yaml'), false);
  });
});
