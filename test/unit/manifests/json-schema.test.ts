import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { main } from '../../../src/cli/main.js';
import { manifestJsonSchema } from '../../../src/manifests/json-schema.js';

const COMMITTED = new URL('../../../schema/mooring.schema.json', import.meta.url);
const EXAMPLES = new URL('../../../manifests/', import.meta.url);

describe('the JSON Schema', () => {
  it('`mooring schema` prints the committed schema/mooring.schema.json (regenerate: node bin/mooring.js schema > schema/mooring.schema.json)', async () => {
    const stdout = new PassThrough();
    let printed = '';
    stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const code = await main(['schema'], { stdout, stderr: new PassThrough(), env: {} });
    assert.equal(code, 0);
    assert.equal(printed, await readFile(COMMITTED, 'utf8'));
  });

  it('accepts every example document, and refuses an unknown field as the loader does', async () => {
    // The patterns carry the address rules; formats such as `cidrv4` are zod's own names, unknown to JSON Schema.
    const validate = new Ajv({ strict: false, validateFormats: false }).compile(manifestJsonSchema());
    const files = (await readdir(EXAMPLES)).filter((file) => file.endsWith('.yaml'));
    assert.ok(files.length > 0);
    for (const file of files) {
      for (const document of parseAllDocuments(await readFile(new URL(file, EXAMPLES), 'utf8'))) {
        assert.ok(validate(document.toJS()), `${file}: ${JSON.stringify(validate.errors)}`);
      }
    }
    assert.equal(validate({ apiVersion: 'mooring/v1', kind: 'Container', metadata: { name: 'web' }, spec: { image: 'x', imgae: 'y' } }), false);
  });
});
