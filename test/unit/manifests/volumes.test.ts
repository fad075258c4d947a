import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { parseManifest } from '../../../src/manifests/parse.js';
import { validateManifestSet } from '../../../src/manifests/validate.js';
import { createManifestLoader, loadDesiredState } from '../../../src/manifests/desired-state.js';
import { parseEnvFile } from '../../../src/manifests/inputs.js';
import { SecretContent } from '../../../src/manifests/secret-content.js';
import { normalizeMount, normalizeSecretReference } from '../../../src/manifests/volumes.js';

const doc = (kind: string, name: string, spec: string) => `{apiVersion: mooring/v1, kind: ${kind}, metadata: {name: ${name}}, spec: ${spec}}`;
const vol = (name: string, spec = '') => doc('Volume', name, `{${spec}}`);
const sec = (name: string, spec = 'env: HOME') => doc('Secret', name, `{${spec}}`);
const ctr = (name: string, spec = '') => doc('Container', name, `{image: mooring/busybox:latest${spec ? `, ${spec}` : ''}}`);

function messages(documents: string[]): string[] {
  const parsed = parseManifest('a.yaml', documents.join('\n---\n'));
  return [...parsed.errors, ...validateManifestSet(parsed.documents)].map((error) => error.message);
}

describe('volumes, secrets and env files in manifests', () => {
  describe('the schema and the rules across documents', () => {
    const cases: { title: string; documents: string[]; expected: RegExp[] }[] = [
      {
        title: 'short and long mounts of a declared volume, a bind, a tmpfs; secrets short and long',
        documents: [
          vol('pgdata'),
          sec('pw'),
          ctr('db', 'mounts: ["pgdata:/var/lib/data", "/srv/conf:/etc/conf:ro", {type: volume, source: pgdata, target: /backup, readOnly: true}, {type: tmpfs, target: /run/cache, size: 64m, mode: "1777"}], secrets: [pw, {name: pw, target: /etc/app/pw, mode: "0440", uid: 0}]'),
        ],
        expected: [],
      },
      {
        title: 'an undeclared volume, with a suggestion',
        documents: [vol('pgdata'), ctr('db', 'mounts: ["pgdta:/data"]')],
        expected: [/^a\.yaml:3:\d+: Container\/db: spec\.mounts\.0: Volume\/pgdta is not declared .*; did you mean `pgdata`\?$/],
      },
      {
        title: 'a relative bind source',
        documents: [ctr('db', 'mounts: ["./data:/data"]')],
        expected: [/spec\.mounts\.0: a bind mount's source must be an absolute host path, got "\.\/data"$/],
      },
      {
        title: 'a relative target, in the short and the long form',
        documents: [vol('v'), ctr('db', 'mounts: ["v:data", {type: tmpfs, target: run}]')],
        expected: [/spec\.mounts\.0: expected "SOURCE:TARGET"/, /spec\.mounts\.1\.target: expected an absolute path/],
      },
      {
        title: 'two mounts on one target, a secret included',
        documents: [vol('v'), sec('pw'), ctr('db', 'mounts: ["v:/data", "/srv:/data/"], secrets: [{name: pw, target: /data}]')],
        expected: [/spec\.mounts\.1: target \/data is already mounted by spec\.mounts\.0$/, /spec\.secrets\.0: target \/data is already mounted by spec\.mounts\.0$/],
      },
      {
        title: 'an undeclared secret, with a suggestion',
        documents: [sec('db-password'), ctr('db', 'secrets: [db-pasword]')],
        expected: [/spec\.secrets\.0: Secret\/db-pasword is not declared; did you mean `db-password`\?$/],
      },
      {
        title: 'InPlace updates only for secrets directly in /run/secrets',
        documents: [sec('pw'), ctr('db', 'secretsUpdate: InPlace, secrets: [pw, {name: pw, target: /etc/pw}]')],
        expected: [/spec\.secrets\.1\.target: `secretsUpdate: InPlace` needs secrets directly in \/run\/secrets/],
      },
      {
        title: 'a Secret with both file and env, or neither',
        documents: [sec('a', 'file: x, env: Y'), sec('b', '')],
        expected: [/Secret\/a: spec: expected exactly one of `file` and `env`/, /Secret\/b: spec: expected exactly one of `file` and `env`/],
      },
      {
        title: 'a Volume with an unknown reclaim policy, and a Compose habit',
        documents: [vol('v', 'reclaimPolicy: Recycle'), ctr('db', 'volumes: ["v:/data"]')],
        expected: [/Volume\/v: spec\.reclaimPolicy: /, /Container\/db: spec\.volumes: .*`mounts`/],
      },
    ];
    for (const { title, documents, expected } of cases) {
      it(title, () => {
        const found = messages(documents);
        assert.equal(found.length, expected.length, found.join('\n'));
        expected.forEach((pattern, i) => assert.match(found[i] ?? '', pattern));
      });
    }
  });

  describe('normalizing', () => {
    it('reads the short form of a mount as a volume, or a bind when the source is a path', () => {
      assert.deepEqual(normalizeMount('data:/var/lib/data/:ro'), { type: 'volume', source: 'data', target: '/var/lib/data', readOnly: true });
      assert.deepEqual(normalizeMount('/srv:/srv'), { type: 'bind', source: '/srv', target: '/srv', readOnly: false, createHostPath: false });
    });

    it('puts a secret in /run/secrets, mode 0400, unless told otherwise', () => {
      assert.deepEqual(normalizeSecretReference('pw'), { name: 'pw', target: '/run/secrets/pw', mode: '0400' });
      assert.deepEqual(normalizeSecretReference({ name: 'pw', target: '/etc/pw', mode: '440', uid: 1 }), { name: 'pw', target: '/etc/pw', mode: '0440', uid: 1 });
    });
  });

  describe('env files', () => {
    it('reads them as docker --env-file does: values verbatim, comments, names taken from the environment', () => {
      const parsed = parseEnvFile('# settings\nA=1\n  B="two words"\nEMPTY=\n\nFROM_ENV\nUNSET\nC=x=y\r\n', { FROM_ENV: 'here' });
      assert.deepEqual(parsed, { variables: { A: '1', B: '"two words"', EMPTY: '', FROM_ENV: 'here', C: 'x=y' } });
    });

    it('refuses a line whose name has spaces', () => {
      assert.deepEqual(parseEnvFile('A B=1\n', {}), { error: 'line 1: expected KEY=value, got a variable name with spaces or none' });
    });
  });

  describe('reading secrets and env files with the manifests', () => {
    let directory: string;
    beforeEach(async () => {
      directory = await mkdtemp(path.join(tmpdir(), 'mooring-inputs-'));
    });
    afterEach(() => rm(directory, { recursive: true, force: true }));

    it('reads them relative to the manifest file, merges env files under env, and the revision follows their content', async () => {
      await mkdir(path.join(directory, 'app'));
      await writeFile(path.join(directory, 'app', 'pw.txt'), 's3cret');
      await writeFile(path.join(directory, 'app', 'app.env'), 'A=1\nB=2\n');
      await writeFile(path.join(directory, 'app', 'app.yaml'), [sec('pw', 'file: pw.txt'), ctr('web', 'envFiles: [app.env], secrets: [pw], env: {B: 3}')].join('\n---\n'));
      const first = await loadDesiredState({ directory });
      assert.deepEqual(first.files.flatMap((file) => file.errors.map(String)), []);
      assert.equal(first.desired.inputs?.secrets.get('pw')?.value?.bytes().toString(), 's3cret');
      assert.deepEqual(first.desired.inputs?.envFiles.get('web')?.value, { A: '1', B: '2' });
      await writeFile(path.join(directory, 'app', 'pw.txt'), 'other');
      const second = await loadDesiredState({ directory });
      assert.notEqual(second.desired.revision, first.desired.revision);
    });

    it('reads them again on every load of the daemon\'s cached loader, though no manifest changed', async () => {
      await writeFile(path.join(directory, 'pw.txt'), 'one');
      await writeFile(path.join(directory, 'a.yaml'), sec('pw', 'file: pw.txt'));
      const load = createManifestLoader();
      const first = await load({ directory });
      assert.equal(await load({ directory, lastGood: first.lastGood }), first, 'nothing changed: the same result');
      await writeFile(path.join(directory, 'pw.txt'), 'two');
      const second = await load({ directory, lastGood: first.lastGood });
      assert.notEqual(second.desired.revision, first.desired.revision);
      assert.equal(second.desired.inputs?.secrets.get('pw')?.value?.bytes().toString(), 'two');
    });

    it('reports a missing secret file and env file at the field that names them, with the path', async () => {
      await writeFile(path.join(directory, 'a.yaml'), [sec('pw', 'file: nowhere.txt'), ctr('web', 'envFiles: [missing.env]'), sec('token', 'env: MOORING_TEST_UNSET_VARIABLE')].join('\n---\n'));
      const loaded = await loadDesiredState({ directory, env: {} });
      const errors = loaded.files.flatMap((file) => file.errors.map((error) => error.message));
      assert.equal(errors.length, 3, errors.join('\n'));
      assert.match(errors[0]!, new RegExp(`^a\\.yaml:1:\\d+: Secret/pw: spec\\.file: cannot read secret file ${path.join(directory, 'nowhere.txt')}: .*ENOENT`));
      assert.match(errors[1]!, /^a\.yaml:3:\d+: Container\/web: spec\.envFiles\.0: cannot read env file .*missing\.env/);
      assert.match(errors[2]!, /^a\.yaml:5:\d+: Secret\/token: spec\.env: variable MOORING_TEST_UNSET_VARIABLE is not set in mooring's environment$/);
      // The file still applies: only the containers that use what is missing stop.
      assert.deepEqual(loaded.desired.containers.map((container) => container.name), ['web']);
    });

    it('refuses a secret file or env file that is a FIFO, unread, and the load goes on', async function () {
      // Reading a FIFO waits for a writer: without the refusal this load never ends.
      this.timeout(10_000);
      execFileSync('mkfifo', [path.join(directory, 'pw.fifo'), path.join(directory, 'app.fifo')]);
      await writeFile(path.join(directory, 'a.yaml'), [sec('pw', 'file: pw.fifo'), ctr('web', 'envFiles: [app.fifo]')].join('\n---\n'));
      const loaded = await loadDesiredState({ directory, env: {} });
      const errors = loaded.files.flatMap((file) => file.errors.map((error) => error.message));
      assert.equal(errors.length, 2, errors.join('\n'));
      assert.match(errors[0]!, /^a\.yaml:1:\d+: Secret\/pw: spec\.file: cannot read secret file .*pw\.fifo: not a regular file$/);
      assert.match(errors[1]!, /^a\.yaml:3:\d+: Container\/web: spec\.envFiles\.0: cannot read env file .*app\.fifo: not a regular file$/);
    });
  });

  it('keys the revision\u2019s digest of secrets per process: the status and logs show it, and no one can test a guess against it', function () {
    this.timeout(30_000);
    const script = "import { inputsRevision } from './src/manifests/inputs.ts'; import { SecretContent } from './src/manifests/secret-content.ts';" +
      "const inputs = () => ({ secrets: new Map([['pw', { value: new SecretContent(Buffer.from('hunter2')) }]]), envFiles: new Map() });" +
      "console.log(inputsRevision(inputs()) === inputsRevision(inputs()) ? inputsRevision(inputs()) : 'unstable');";
    const revision = () => execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' }).trim();
    const [first, second] = [revision(), revision()];
    assert.match(first, /^[0-9a-f]{16}$/, 'the same inputs give the same revision within a process');
    assert.notEqual(first, second);
  });

  it('never shows a secret\'s content when serialized or inspected', () => {
    const content = new SecretContent(Buffer.from('hunter2'));
    const shown = [JSON.stringify({ content }), inspect({ content }, { depth: 5 }), String(content), `${content}`].join(' ');
    assert.doesNotMatch(shown, /hunter2/);
    assert.equal(content.bytes().toString(), 'hunter2');
  });
});
