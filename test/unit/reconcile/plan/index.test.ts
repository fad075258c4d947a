import assert from 'node:assert/strict';
import { ownerLabels } from '../../../../src/engine/labels.js';
import { container, network } from '../fixtures.js';
import { app, back, db, everything, front, pair, web } from './documents.js';
import type { Row } from './table.js';
import { bare, ctr, engine, find, net, planOf, planTable, runs } from './table.js';

const rows: Row[] = [
  { name: 'nothing declared, nothing running: nothing to do', desired: [], actions: [] },
  {
    name: 'a converged engine needs nothing, whichever equivalent forms the manifests use',
    desired: everything({ env: { B: 'true', A: '1' }, expose: ['80/tcp'], command: ['sleep', '3600'] }),
    observed: runs(everything({ env: { A: 1, B: true }, expose: [80], command: 'sleep 3600' })),
    actions: [],
  },
  {
    name: 'a network recreate with a container about to be created on it creates the container after',
    desired: [network('back', { internal: true }), db],
    observed: runs([back]),
    actions: [
      ['recreate-network', 'Network/back', 'immutable settings changed', []],
      ['pull-image', 'Container/db', 'pullPolicy IfNotPresent', []],
      ['create-container', 'Container/db', 'declared in app.yaml and not present', ['pull-image:db', 'recreate-network:back']],
      ['start-container', 'Container/db', 'created; state: running', ['create-container:db']],
    ],
  },
  {
    // Created from a.yaml, then moved to b.yaml unchanged (so not recreated, its label still says a.yaml), and b.yaml now fails to load.
    name: 'keeps a container whose declaration moved into a file that now fails to load',
    desired: [network('front', {}, 'a.yaml')],
    observed: runs([container('web', {}, 'a.yaml')]),
    unavailableFiles: ['b.yaml'],
    actions: [['create-network', 'Network/front', 'declared in a.yaml and not present', []]],
    kept: ['Container/web'],
  },
  {
    name: 'an unlistable manifests directory keeps everything, even with allowEmpty',
    desired: [],
    observed: runs([network('front', {}, 'net.yaml'), container('web', {}, 'web.yaml')]),
    unavailableFiles: ['./'],
    allowEmpty: true,
    actions: [],
    kept: ['Container/web', 'Network/front'],
  },
  {
    name: 'a network-scoped link to a container that cannot be made holds nothing of its source back',
    desired: [network('front'), ...pair({}, [{ name: 'front' }, { name: 'pair' }])],
    observed: engine(bare(), { containers: [ctr('two')] }),
    actions: [
      ['create-network', 'Network/front', 'declared in app.yaml', []],
      ['create-network', 'Network/pair', 'declared in app.yaml', []],
      ['pull-image', 'Container/one', 'pullPolicy IfNotPresent', []],
      ['create-container', 'Container/one', 'declared in app.yaml', ['create-network:front', 'pull-image:one']],
      ['connect', 'Container/one', 'joins network pair (links two:two)', ['create-container:one', 'create-network:pair']],
      ['start-container', 'Container/one', 'created; state: running', ['connect:one:pair', 'create-container:one']],
    ],
    problems: [['Container/two', 'the name two is taken by a container mooring does not manage']],
  },
  {
    name: 'recreating one end of a two-way pair gives it its link back and leaves the other end alone',
    desired: pair().map((doc) => (doc.name === 'one' && doc.kind === 'Container' ? container('one', { networks: [{ name: 'pair' }], env: { V: '2' } }) : doc)),
    observed: runs(pair()),
    actions: [
      ['pull-image', 'Container/one', 'pullPolicy IfNotPresent', []],
      ['recreate-container', 'Container/one', 'spec changed', ['pull-image:one']],
      ['start-container', 'Container/one', 'recreated; state: running', ['recreate-container:one']],
    ],
    check: (result) => assert.deepEqual(find<'recreate-container'>(result, 'recreate-container:one').container.endpoints, [{ network: 'pair', aliases: [], links: ['two:two'] }]),
  },
  {
    name: 'stopping a two-way pair: neither end waits for the other',
    desired: pair({ state: 'stopped' }),
    observed: runs(pair()),
    actions: [
      ['stop-container', 'Container/one', 'the container is running; state: stopped', []],
      ['stop-container', 'Container/two', 'the container is running; state: stopped', []],
    ],
  },
];

describe('plan', () => {
  planTable(rows);

  it('is pure: the same inputs give the same plan, and the inputs are not changed', () => {
    const row = { desired: [front, network('back', { internal: true }), web, container('db', { env: { X: '1' } })], observed: runs(app) };
    const snapshot = JSON.stringify(row);
    assert.deepEqual(planOf(row), planOf(row));
    assert.equal(JSON.stringify(row), snapshot);
  });

  it('never plans an action on a resource it does not own', () => {
    const other = ownerLabels({ instance: 'other', kind: 'Container', name: 'x', source: 'x', specHash: 'x' });
    const result = planOf({ desired: app, observed: engine(bare(), { networks: [net('front')], containers: [ctr('db'), ctr('other-instance', { labels: other })] }), allowEmpty: true });
    const foreign = new Set(['Network/front', 'Container/db', 'Container/other-instance']);
    assert.deepEqual(result.actions.filter((action) => foreign.has(action.resource)), []);
    assert.ok(result.actions.length > 0);
  });
});
