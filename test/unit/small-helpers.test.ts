import assert from 'node:assert/strict';
import { compare } from '../../src/compare.js';
import { errorMessage } from '../../src/errors.js';
import { count, plural } from '../../src/plural.js';
import { positive } from '../../src/positive.js';

describe('small shared helpers', () => {
  it('count and plural agree a noun with its number, with -es after a sibilant', () => {
    assert.deepEqual([count(0, 'file'), count(1, 'file'), count(2, 'file')], ['0 files', '1 file', '2 files']);
    assert.deepEqual([count(1, 'failed pass'), count(3, 'failed pass')], ['1 failed pass', '3 failed passes']);
    assert.deepEqual([plural(1, 'problem'), plural(2, 'problem')], ['problem', 'problems']);
  });

  it('errorMessage gives an Error its message and anything else as a string', () => {
    assert.equal(errorMessage(new Error('boom')), 'boom');
    assert.equal(errorMessage('plain'), 'plain');
    assert.equal(errorMessage(42), '42');
  });

  it('compare orders by code unit, whatever the locale', () => {
    assert.deepEqual(['b', 'B', 'a', 'a'].sort(compare), ['B', 'a', 'a', 'b']);
  });

  it('positive passes a finite number above 0 and names the option otherwise', () => {
    assert.equal(positive('intervalMs', 5), 5);
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => positive('intervalMs', bad), { name: 'TypeError', message: `Expected \`intervalMs\` to be a finite number > 0, got ${bad}` });
    }
  });
});
