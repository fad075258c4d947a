import assert from 'node:assert/strict';
import { canonicalJson, specHash } from '../../../src/engine/spec-hash.js';

describe('specHash', () => {
  it('does not depend on key order or undefined members', () => {
    assert.equal(specHash({ a: 1, b: { c: [1, 2], d: undefined } }), specHash({ b: { c: [1, 2] }, a: 1 }));
  });

  it('keeps array order, which is meaningful', () => {
    assert.notEqual(specHash({ a: [1, 2] }), specHash({ a: [2, 1] }));
  });

  it('serializes nested keys sorted', () => {
    assert.equal(canonicalJson({ z: { b: 1, a: 2 }, y: null }), '{"y":null,"z":{"a":2,"b":1}}');
  });
});
