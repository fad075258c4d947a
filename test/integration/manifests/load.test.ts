import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs/promises';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import type { LoaderFs } from '../../../src/manifests/load.js';
import { loadManifestDirectory } from '../../../src/manifests/load.js';
import { MAX_FILE_BYTES } from '../../../src/manifests/limits.js';
import { MAX_DOCUMENTS_PER_FILE, parseManifest } from '../../../src/manifests/parse.js';

const NETWORK = 'apiVersion: mooring/v1\nkind: Network\nmetadata:\n  name: front\nspec: {}\n';
const network = (name: string) => NETWORK.replace('front', name);

describe('loadManifestDirectory', () => {
  let directory: string;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mooring-load-'));
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  async function put(files: Record<string, string | Uint8Array>): Promise<void> {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(directory, path)), { recursive: true });
      await writeFile(join(directory, path), content);
    }
  }

  async function load() {
    const loaded = await loadManifestDirectory(directory);
    return {
      ...loaded,
      summary: loaded.files.map((file) => ({ file: file.file, documents: file.documents.map((document) => document.name), errors: file.errors.map((error) => error.message) })),
    };
  }

  it('reports a missing directory as absent, not as an error', async () => {
    const loaded = await loadManifestDirectory(join(directory, 'nope'));
    assert.deepEqual(loaded, { directory: join(directory, 'nope'), directoryExists: false, files: [] });
  });

  it('reports a file given for the directory', async () => {
    await put({ 'file.yaml': NETWORK });
    const loaded = await loadManifestDirectory(join(directory, 'file.yaml'));
    assert.deepEqual(
      loaded.files.map((file) => [file.file, file.errors.map((error) => error.message)]),
      [['./', [`./:1:1: ${join(directory, 'file.yaml')} is not a directory`]]],
    );
  });

  it('walks subdirectories for yaml, yml and json files, skipping hidden files and editor leftovers', async () => {
    await put({
      'a.yaml': network('a'),
      'b.yml': network('b'),
      'c.json': JSON.stringify({ apiVersion: 'mooring/v1', kind: 'Network', metadata: { name: 'c' }, spec: {} }),
      'sub/deeper/d.yaml': network('d'),
      'README.md': '# not a manifest',
      'notes.txt': 'hello',
      '.hidden.yaml': network('hidden'),
      '.git/config.yaml': network('git'),
      'a.yaml.swp': 'swap',
      'a.yaml~': 'backup',
      '.#a.yaml': 'emacs lock',
      '#a.yaml#': 'emacs autosave',
      'dir.yaml/e.yaml': network('e'),
    });
    const { summary } = await load();
    assert.deepEqual(summary, [
      { file: 'a.yaml', documents: ['a'], errors: [] },
      { file: 'b.yml', documents: ['b'], errors: [] },
      { file: 'c.json', documents: ['c'], errors: [] },
      { file: 'dir.yaml/e.yaml', documents: ['e'], errors: [] },
      { file: 'sub/deeper/d.yaml', documents: ['d'], errors: [] },
    ]);
  });

  it('takes empty files as no documents, and hashes each file', async () => {
    await put({ 'empty.yaml': '', 'comments.yaml': '# later\n', 'a.yaml': NETWORK });
    const loaded = await load();
    assert.deepEqual(loaded.summary.map((file) => [file.file, file.documents.length, file.errors.length]), [
      ['a.yaml', 1, 0],
      ['comments.yaml', 0, 0],
      ['empty.yaml', 0, 0],
    ]);
    assert.match(loaded.files[0]?.digest ?? '', /^[0-9a-f]{64}$/);
  });

  it('refuses binary, non-UTF-8 and UTF-16 files, saying where', async () => {
    await put({
      'binary.yaml': Buffer.from([0x61, 0x3a, 0x20, 0x31, 0x0a, 0x62, 0x00, 0x01]),
      'latin1.yaml': Buffer.concat([Buffer.from('# ok\nname: caf'), Buffer.from([0xe9]), Buffer.from('\n')]),
      'utf16.yaml': Buffer.from('\ufeffa: 1\n', 'utf16le'),
      'good.yaml': NETWORK,
    });
    const { summary } = await load();
    assert.deepEqual(summary, [
      { file: 'binary.yaml', documents: [], errors: ['binary.yaml:2:2: binary file: expected UTF-8 text, got a NUL byte'] },
      { file: 'good.yaml', documents: ['front'], errors: [] },
      { file: 'latin1.yaml', documents: [], errors: ['latin1.yaml:2:10: not UTF-8 text: expected UTF-8, got an invalid byte sequence'] },
      { file: 'utf16.yaml', documents: [], errors: ['utf16.yaml:1:1: UTF-16 text: save the file as UTF-8'] },
    ]);
  });

  it('refuses files over 1 MiB and reads one of exactly 1 MiB', async () => {
    const line = `# ${'x'.repeat(61)}\n`;
    const exact = `${NETWORK}${line.repeat(Math.floor((MAX_FILE_BYTES - NETWORK.length) / line.length))}`;
    await put({ 'exact.yaml': exact.padEnd(MAX_FILE_BYTES, '#'), 'large.yaml': `${NETWORK}${'#'.repeat(MAX_FILE_BYTES)}` });
    const { summary } = await load();
    assert.deepEqual(summary, [
      { file: 'exact.yaml', documents: ['front'], errors: [] },
      { file: 'large.yaml', documents: [], errors: [`large.yaml:1:1: file too large: ${NETWORK.length + MAX_FILE_BYTES} bytes, the limit is ${MAX_FILE_BYTES} bytes (1 MiB)`] },
    ]);
  });

  it('reports unreadable entries (a FIFO, a dangling link, a link loop) without hanging, and loads the rest', async () => {
    await put({ 'good.yaml': NETWORK, 'target.yaml': network('target') });
    execFileSync('mkfifo', [join(directory, 'fifo.yaml')]);
    await symlink('missing.yaml', join(directory, 'dangling.yaml'));
    await symlink('loop-b.yaml', join(directory, 'loop-a.yaml'));
    await symlink('loop-a.yaml', join(directory, 'loop-b.yaml'));
    await symlink('target.yaml', join(directory, 'via-link.yaml'));
    await symlink('nowhere', join(directory, 'dangling-dir'));
    const { summary } = await load();
    assert.deepEqual(summary, [
      { file: 'dangling.yaml', documents: [], errors: ['dangling.yaml:1:1: cannot read: it does not exist (a dangling symbolic link?)'] },
      { file: 'fifo.yaml', documents: [], errors: ['fifo.yaml:1:1: not a regular file'] },
      { file: 'good.yaml', documents: ['front'], errors: [] },
      { file: 'loop-a.yaml', documents: [], errors: ['loop-a.yaml:1:1: cannot read: a loop of symbolic links'] },
      { file: 'loop-b.yaml', documents: [], errors: ['loop-b.yaml:1:1: cannot read: a loop of symbolic links'] },
      { file: 'target.yaml', documents: ['target'], errors: [] },
      { file: 'via-link.yaml', documents: ['target'], errors: [] },
    ]);
  });

  it('follows directory links once, so a link back up the tree cannot loop', async () => {
    await put({ 'a.yaml': network('a'), 'sub/b.yaml': network('b') });
    await symlink('..', join(directory, 'sub', 'up'));
    await symlink('.', join(directory, 'self'));
    await symlink('sub', join(directory, 'z-sub'));
    const { summary } = await load();
    assert.deepEqual(summary.map((file) => file.file), ['a.yaml', 'sub/b.yaml']);
  });

  describe('hostile input: a clear error with the file (and line), bounded work, the other files loaded', () => {
    it('a 5 MB file is refused unread', async () => {
      await put({ 'good.yaml': NETWORK, 'huge.yaml': Buffer.alloc(5 * 1024 * 1024, 0x23) });
      const { summary } = await load();
      assert.deepEqual(summary, [
        { file: 'good.yaml', documents: ['front'], errors: [] },
        { file: 'huge.yaml', documents: [], errors: [`huge.yaml:1:1: file too large: ${5 * 1024 * 1024} bytes, the limit is ${MAX_FILE_BYTES} bytes (1 MiB)`] },
      ]);
    });

    it('a YAML alias bomb is refused at the document that would expand it', async () => {
      const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (let i = 1; i < 9; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
      await put({ 'bomb.yaml': `${NETWORK}---\napiVersion: mooring/v1\nkind: Network\nmetadata: { name: bomb }\nspec:\n  options:\n    ${levels.join('\n    ')}\n` });
      const { summary } = await load();
      assert.deepEqual(summary, [
        { file: 'bomb.yaml', documents: ['front'], errors: ['bomb.yaml:7:1: too many alias expansions (more than 100): the document would grow without bound'] },
      ]);
    });

    it(`${MAX_DOCUMENTS_PER_FILE + 1000} documents in a file: an error at the first past the limit, which is not parsed further`, async () => {
      const documents = Array.from({ length: MAX_DOCUMENTS_PER_FILE + 1000 }, (_, i) => network(`n${i}`));
      await put({ 'many.yaml': documents.join('---\n') });
      const loaded = await loadManifestDirectory(directory);
      const [file] = loaded.files;
      // The `---` that starts document 1001: each document is 5 lines and its separator.
      const line = MAX_DOCUMENTS_PER_FILE * 6;
      assert.deepEqual(file?.errors.map((error) => error.message), [`many.yaml:${line}:1: too many documents: more than ${MAX_DOCUMENTS_PER_FILE} in one file; split it into several files`]);
      assert.equal(file?.documents.length, MAX_DOCUMENTS_PER_FILE);
    });

    it('a directory replaced by a file while the directory is walked', async () => {
      await put({ 'good.yaml': NETWORK, 'sub/inner.yaml': network('inner') });
      const replacing: LoaderFs = {
        ...fs,
        readdir: (async (path: string, options: { withFileTypes: true }) => {
          if (path === join(directory, 'sub')) {
            await rm(path, { recursive: true });
            await writeFile(path, 'now a file');
          }
          return fs.readdir(path, options);
        }) as LoaderFs['readdir'],
      };
      const loaded = await loadManifestDirectory(directory, { fs: replacing });
      assert.deepEqual(loaded.files.map((file) => [file.file, file.errors.map((error) => error.message)]), [
        ['good.yaml', []],
        ['sub/', ['sub/:1:1: cannot list directory: a path component is not a directory']],
      ]);
    });

    it('a loop of directory links is walked once', async () => {
      await put({ 'a/x.yaml': network('x') });
      await symlink('../b', join(directory, 'a', 'to-b'));
      await mkdir(join(directory, 'b'));
      await symlink('../a', join(directory, 'b', 'to-a'));
      const { summary } = await load();
      assert.deepEqual(summary, [{ file: 'a/x.yaml', documents: ['x'], errors: [] }]);
    });
  });

  it('never throws, whatever bytes a file holds', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        await writeFile(join(directory, 'fuzz.yaml'), bytes);
        const loaded = await loadManifestDirectory(directory);
        assert.equal(loaded.files.length, 1);
      }),
      { numRuns: 60 },
    );
  });
});

describe('parseManifest under generated input', () => {
  /** Pieces of YAML and of manifests, so that generated text reaches deep into the parser and the schema. */
  const token = fc.constantFrom(
    'apiVersion: mooring/v1\n', 'kind: Container\n', 'kind: Network\n', 'kind: Link\n', 'kind: Probe\n', 'kind: PortPublish\n',
    'metadata:\n', '  name: web\n', 'spec:\n', '  image: x\n', '  networks:\n', '    - name: a\n', '  ports: [1, 2]\n', '  env: {A: 1}\n',
    '---\n', '- ', ': ', '&a ', '*a ', '<<: *a\n', '[', ']', '{', '}', ', ', '"', "'", '#', '\t', '  ', '\n', '? ', '!!str ', '%YAML 1.2\n', '\u0000', '\ufeff',
  );
  const yamlish = fc.array(fc.oneof(token, fc.string({ maxLength: 8 })), { maxLength: 40 }).map((parts) => parts.join(''));
  const manifestLike = fc
    .record({
      apiVersion: fc.oneof(fc.constant('mooring/v1'), fc.string()),
      kind: fc.oneof(fc.constantFrom('Network', 'Container', 'Link', 'PortPublish', 'Probe'), fc.string()),
      metadata: fc.oneof(fc.record({ name: fc.string() }), fc.jsonValue()),
      spec: fc.jsonValue(),
    }, { requiredKeys: [] })
    .map((value) => JSON.stringify(value));

  it('never throws, and every error names the file and a position', () => {
    fc.assert(
      fc.property(fc.oneof(yamlish, manifestLike, fc.string({ unit: 'binary' })), (text) => {
        const result = parseManifest('gen.yaml', text);
        for (const error of result.errors) {
          assert.equal(error.file, 'gen.yaml');
          assert.ok(error.line >= 1 && error.column >= 1, error.message);
          assert.ok(error.message.startsWith(`gen.yaml:${error.line}:${error.column}: `), error.message);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
