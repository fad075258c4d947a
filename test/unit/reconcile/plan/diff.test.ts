import assert from 'node:assert/strict';
import { isDeclaredNetworkMode, normalizeLink } from '../../../../src/reconcile/plan/diff.js';

describe('plan: diff helpers', () => {
  const links: [reported: string, link: string][] = [
    ['/db:/web/sql', 'db:sql'],
    ['db:sql', 'db:sql'],
    ['/db:/web/db', 'db:db'],
  ];
  for (const [reported, link] of links) {
    it(`reads the link ${reported} as ${link}`, () => assert.equal(normalizeLink(reported), link));
  }

  const modes: [mode: string, declared: boolean][] = [
    ['host', true],
    ['none', true],
    ['container:main', true],
    ['bridge', false],
    ['front', false],
    ['default', false],
  ];
  for (const [mode, declared] of modes) {
    it(`the network mode ${mode} is ${declared ? '' : 'not '}one a manifest sets`, () => assert.equal(isDeclaredNetworkMode(mode), declared));
  }
});
