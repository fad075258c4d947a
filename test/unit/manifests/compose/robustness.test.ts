/** Whatever a Compose file holds, translating it never throws: every problem is an error at a place. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { translateComposeProject } from '../../../../src/manifests/compose/project.js';
import { SERVICE_ATTRIBUTES } from '../../../../src/manifests/compose/attributes.js';

const scalar = fc.oneof(fc.string({ maxLength: 12 }), fc.integer({ min: -2, max: 70000 }), fc.boolean(), fc.constant(null), fc.constantFrom('$', '${', '${X:?}', '$$', '80:80', 'a=b', 'service:web', '1m30s'));
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('a', 'target', 'published', 'condition', 'aliases', 'test', 'driver', 'source', 'type'), tie('node'), { maxKeys: 3 })),
})).node;
const attributes = fc.dictionary(fc.constantFrom(...Object.keys(SERVICE_ATTRIBUTES), 'x-mooring', 'bogus'), value, { maxKeys: 5 });
const compose = fc.record({
  services: fc.dictionary(fc.constantFrom('web', 'db', 'cache'), attributes, { maxKeys: 3 }),
  networks: fc.option(fc.dictionary(fc.constantFrom('default', 'back'), value, { maxKeys: 2 }), { nil: undefined }),
});

describe('Compose translation on any input', () => {
  it('never throws, and places every error in a file of the project', () => {
    fc.assert(
      fc.property(compose, (model) => {
        const project = translateComposeProject({ files: [{ file: 'p/compose.yaml', text: stringify(model) }], directory: '/srv/p', environment: () => undefined });
        for (const error of project.errors) {
          assert.equal(error.file, 'p/compose.yaml');
          assert.ok(error.line >= 1 && error.column >= 1);
        }
      }),
      { numRuns: 300 },
    );
  });
});
