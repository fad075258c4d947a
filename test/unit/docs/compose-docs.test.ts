/** docs/compose.md keeps up with the attribute table: every attribute it knows is named there. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SERVICE_ATTRIBUTES, TOP_LEVEL_ATTRIBUTES } from '../../../src/manifests/compose/attributes.js';

describe('docs/compose.md', () => {
  it('names every attribute of the table', async () => {
    const text = await readFile(resolve(import.meta.dirname, '../../../docs/compose.md'), 'utf8');
    const missing = [...Object.keys(SERVICE_ATTRIBUTES), ...Object.keys(TOP_LEVEL_ATTRIBUTES)].filter((attribute) => !text.includes(`\`${attribute}\``));
    assert.deepEqual(missing, []);
  });
});
