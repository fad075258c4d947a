import assert from 'node:assert/strict';
import fc from 'fast-check';
import { closest, editDistance } from '../../../src/manifests/did-you-mean.js';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and swaps of neighbours', () => {
    assert.equal(editDistance('image', 'imgae'), 1);
    assert.equal(editDistance('front', 'frnt'), 1);
    assert.equal(editDistance('web', 'db'), 2);
    assert.equal(editDistance('', 'abc'), 3);
  });

  it('with a bound, answers the distance when within it and bound + 1 when not', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 8 }), fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 8 }), fc.nat(4), (a, b, max) => {
        assert.equal(editDistance(a, b, max), Math.min(editDistance(a, b), max + 1));
      }),
      { numRuns: 500 },
    );
  });
});

describe('closest', () => {
  it('suggests the close name among thousands, and nothing when none is close', () => {
    const names = Array.from({ length: 5000 }, (_, i) => `container-${i}`);
    assert.equal(closest('container-4999x', names), 'container-4999');
    assert.equal(closest('something-else', names), undefined);
  });
});
