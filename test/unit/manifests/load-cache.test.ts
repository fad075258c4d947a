import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifestDirectory, ParseCache } from '../../../src/manifests/load.js';
import { createManifestLoader, loadDesiredState } from '../../../src/manifests/desired-state.js';

const network = (name: string) => `apiVersion: mooring/v1\nkind: Network\nmetadata:\n  name: ${name}\nspec: {}\n`;
const link = (to: string) => `apiVersion: mooring/v1\nkind: Link\nmetadata:\n  name: web-to-db\nspec:\n  from: web\n  to: ${to}\n  ports: [5432]\n`;

describe('loading again what did not change', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mooring-load-cache-'));
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  const put = (file: string, text: string) => writeFile(join(directory, file), text);
  const documentsOf = (loaded: { files: { file: string; documents: object[] }[] }, file: string) => loaded.files.find((entry) => entry.file === file)?.documents;

  it('parses a changed file again and takes an unchanged one from the cache', async () => {
    await put('a.yaml', network('front'));
    await put('b.yaml', network('back'));
    const cache = new ParseCache();
    const first = await loadManifestDirectory(directory, { cache });
    await put('b.yaml', network('middle'));
    const second = await loadManifestDirectory(directory, { cache });
    assert.equal(documentsOf(second, 'a.yaml'), documentsOf(first, 'a.yaml'), 'a.yaml is unchanged: its parse is the one kept');
    assert.notEqual(documentsOf(second, 'b.yaml'), documentsOf(first, 'b.yaml'));
    assert.deepEqual(second.files.map((file) => file.documents.map((document) => document.name)), [['front'], ['middle']]);
  });

  it('forgets a deleted file: written again with the same bytes, it is a new file', async () => {
    await put('a.yaml', network('front'));
    const cache = new ParseCache();
    const first = await loadManifestDirectory(directory, { cache });
    await rm(join(directory, 'a.yaml'));
    assert.deepEqual((await loadManifestDirectory(directory, { cache })).files, []);
    await put('a.yaml', network('front'));
    const again = await loadManifestDirectory(directory, { cache });
    assert.notEqual(documentsOf(again, 'a.yaml'), documentsOf(first, 'a.yaml'));
  });

  it('returns the previous desired state as it was when no file changed, and loads afresh when one did', async () => {
    await put('a.yaml', network('front'));
    await put('b.yaml', link('db'));
    const load = createManifestLoader();
    const first = await load({ directory });
    const same = await load({ directory, lastGood: first.lastGood });
    assert.equal(same, first);
    await put('a.yaml', network('back'));
    const changed = await load({ directory, lastGood: same.lastGood });
    assert.notEqual(changed, first);
    assert.deepEqual(changed.desired.networks.map((document) => document.name), ['back']);
    assert.equal(documentsOf(changed, 'b.yaml'), documentsOf(first, 'b.yaml'), 'b.yaml is unchanged: not parsed again');
  });

  it('gives the same errors on every load: errors across files are not added to the cached parse', async () => {
    await put('a.yaml', network('front'));
    await put('b.yaml', link('db'));
    const load = createManifestLoader();
    const expected = (await loadDesiredState({ directory })).files.map((file) => file.errors.map((error) => error.message));
    assert.ok(expected.flat().length > 0, 'the Link names containers no manifest declares');
    let loaded = await load({ directory });
    for (const name of ['one', 'two', 'three']) {
      await put('a.yaml', network(name));
      loaded = await load({ directory, lastGood: loaded.lastGood });
    }
    assert.deepEqual(loaded.files.map((file) => file.errors.map((error) => error.message)), expected);
  });
});
