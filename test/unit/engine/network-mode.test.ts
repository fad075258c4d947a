import assert from 'node:assert/strict';
import { containerMode, namespaceOwner, sharedNamespace } from '../../../src/engine/network-mode.js';

describe('engine: network modes', () => {
  const modes: [mode: string, shared: boolean, owner: string | undefined][] = [
    ['host', true, undefined],
    ['none', true, undefined],
    [containerMode('main'), true, 'main'],
    ['bridge', false, undefined],
    ['front', false, undefined],
  ];
  for (const [mode, shared, owner] of modes) {
    it(`${mode} ${shared ? 'shares' : 'is'} a namespace${owner ? ` of ${owner}` : ''}`, () => {
      assert.equal(sharedNamespace(mode), shared);
      assert.equal(namespaceOwner(mode), owner);
    });
  }
});
