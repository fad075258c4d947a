import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../../src/cli/main.js';
import { captureIo } from '../../support/cli-io.js';

const BROKEN = fileURLToPath(new URL('../../fixtures/broken', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../../manifests', import.meta.url));

async function run(...args: string[]) {
  const { io, output } = captureIo();
  const code = await main(args, io);
  return { code, ...output };
}

describe('mooring validate', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mooring-validate-'));
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  it('exits 0 on the example manifests, with a one-line summary', async () => {
    const result = await run('validate', '-m', EXAMPLES);
    assert.equal(result.code, 0);
    assert.equal(result.stderr, '');
    assert.match(result.stdout, /^\S+manifests: valid \(8 files, \d+ documents\)\n$/);
  });

  it('takes the directory as an argument too', async () => {
    await writeFile(join(directory, 'net.yaml'), 'apiVersion: mooring/v1\nkind: Network\nmetadata: { name: front }\nspec: {}\n');
    const result = await run('validate', directory);
    assert.deepEqual(result, { code: 0, stdout: `${directory}: valid (1 file, 1 document)\n`, stderr: '' });
  });

  it('refuses two different directories, as the argument and with -m, rather than pick one', async () => {
    const result = await run('validate', EXAMPLES, '-m', directory);
    assert.deepEqual(result, { code: 1, stdout: '', stderr: `error: two manifests directories: ${EXAMPLES} as the argument and ${directory} with -m; give one of them\n` });
  });

  it('exits 1 on a missing directory', async () => {
    const result = await run('validate', '-m', join(directory, 'missing'));
    assert.deepEqual(result, { code: 1, stdout: '', stderr: `${join(directory, 'missing')}: no such directory\n` });
  });

  it('reports every error of a broken directory with its file, line and column, on stderr, and exits 1', async () => {
    const result = await run('validate', '-m', BROKEN);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.deepEqual(result.stderr.split('\n'), [
      'list.json:1:1: expected a mapping with apiVersion, kind, metadata and spec, got a list of 1',
      'nested/duplicates.yml:6:3: duplicate key: a key may appear only once in a mapping',
      'nested/duplicates.yml:12:3: Network/front: metadata.name: duplicate Network/front: already declared at good.yaml:5:3',
      'references.yaml:8:20: Container/worker: spec.dependsOn.1: Container/queue is not declared',
      'references.yaml:11:17: Container/worker: spec.networks.0.aliases.0: alias `www` on network `front` is already used by Container/web (good.yaml:18:17)',
      'references.yaml:12:7: Container/worker: spec.networks.0.ipv4Address: expected an address in subnet 10.77.0.0/24 of network `front`, got 10.78.0.5',
      'references.yaml:19:3: Link/worker-to-web: spec.from: Container/worker is not on the default `bridge` network: a legacy link needs both containers there (set `network` for a link on a user-defined network)',
      'references.yaml:20:3: Link/worker-to-web: spec.to: Container/web is not on the default `bridge` network: a legacy link needs both containers there (set `network` for a link on a user-defined network)',
      'references.yaml:38:3: PortPublish/worker-http-again: spec.hostPort: host port 0.0.0.0:18080/tcp is already published by PortPublish/worker-http (references.yaml:29:3)',
      'schema.yaml:6:1: Container/api: spec.image: required field is missing (expected a string)',
      'schema.yaml:7:3: Container/api: spec.imgae: unknown field `imgae`; did you mean `image`?',
      'schema.yaml:8:3: Container/api: spec.restartPolicy: expected one of no, always, unless-stopped, on-failure, got "sometimes"',
      'schema.yaml:9:16: Container/api: spec.expose.1: expected a port such as 80, "80/tcp" or "53/udp", got "53/sctp"',
      'schema.yaml:12:1: Contaner/typo: kind: expected one of Network, Container, Link, PortPublish, Probe, Volume, Secret, got "Contaner"; did you mean `Container`?',
      'schema.yaml:23:3: PortPublish/web-http: spec.containerPort: expected a number, got "80"',
      'schema.yaml:24:3: PortPublish/web-http: spec.hostIp: expected an IPv4 address or an IPv6 address, got "localhost"',
      // The parser notices the unclosed quote where the file ends.
      'syntax.yaml:13:1: invalid YAML: Missing closing "quote',
      // Documents that do not parse or match the format count too.
      `${BROKEN}: 17 errors in 5 files (6 files, 14 documents, 6 of them malformed)`,
      '',
    ]);
  });

  it('prints files, documents and errors as JSON for machines', async () => {
    const result = await run('validate', '-m', BROKEN, '--output', 'json');
    assert.equal(result.code, 1);
    assert.equal(result.stderr, '');
    const report = JSON.parse(result.stdout) as {
      valid: boolean;
      files: { file: string; valid: boolean; documents: number; malformedDocuments: number; errors: number }[];
      documents: { kind: string; name: string; file: string; line: number; column: number }[];
      errors: Record<string, unknown>[];
    };
    assert.equal(report.valid, false);
    assert.deepEqual(report.files.map((file) => [file.file, file.valid, file.documents, file.malformedDocuments, file.errors]), [
      ['good.yaml', true, 2, 0, 0],
      ['list.json', false, 0, 1, 1],
      ['nested/duplicates.yml', false, 1, 1, 2],
      ['references.yaml', false, 4, 0, 6],
      ['schema.yaml', false, 0, 3, 7],
      ['syntax.yaml', false, 1, 1, 1],
    ]);
    assert.deepEqual(report.documents[1], { kind: 'Container', name: 'web', file: 'good.yaml', line: 10, column: 1 });
    assert.equal(report.errors.length, 17);
    assert.deepEqual(report.errors[3], {
      file: 'references.yaml',
      line: 8,
      column: 20,
      kind: 'Container',
      name: 'worker',
      path: 'spec.dependsOn.1',
      message: 'Container/queue is not declared',
    });
    // An error outside any document has no kind, name or path.
    assert.deepEqual(report.errors[0], { file: 'list.json', line: 1, column: 1, message: 'expected a mapping with apiVersion, kind, metadata and spec, got a list of 1' });
  });

  it('refuses an unknown output format', async () => {
    const result = await run('validate', '-m', EXAMPLES, '--output', 'yaml');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /argument 'yaml' is invalid/);
  });
});
