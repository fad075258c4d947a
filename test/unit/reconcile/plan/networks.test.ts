import assert from 'node:assert/strict';
import { LABELS, ownerLabels } from '../../../../src/engine/labels.js';
import { container, network } from '../fixtures.js';
import type { Row } from './table.js';
import { bare, ctr, endpoint, engine, find, net, planTable, runs } from './table.js';

const front = network('front');
const back = network('back', { ipam: { subnet: '10.77.0.0/24' } });
const db = container('db', { networks: [{ name: 'back', aliases: ['database'] }] });
const cache = container('cache', { networks: [{ name: 'back', aliases: ['redis', 'kv'] }] });
const other = ownerLabels({ instance: 'other', kind: 'Network', name: 'front', source: 'x.yaml', specHash: 'x' });

const rows: Row[] = [
  {
    name: 'a declared network the engine lacks is created',
    desired: [front],
    actions: [['create-network', 'Network/front', 'declared in app.yaml and not present', []]],
    check: (result) => assert.equal(find<'create-network'>(result, 'create-network:front').network.labels[LABELS.source], 'app.yaml'),
  },
  {
    name: 'a network that matches its manifest needs nothing',
    desired: [front, back],
    observed: runs([front, back]),
    actions: [],
  },
  {
    name: 'a changed immutable setting recreates the network and says which',
    desired: [network('back', { ipam: { subnet: '10.78.0.0/24' } })],
    observed: runs([back]),
    actions: [['recreate-network', 'Network/back', 'immutable settings changed', []]],
    check: (result) => {
      const recreate = find<'recreate-network'>(result, 'recreate-network:back');
      assert.deepEqual(recreate.changes, [{ field: 'ipam.subnet', from: '10.77.0.0/24', to: '10.78.0.0/24' }]);
      assert.equal(recreate.networkId, 'net-back');
    },
  },
  {
    name: 'a changed label or option is a recreate; mooring\'s own labels are not the user\'s',
    desired: [network('front', { labels: { team: 'b' }, options: { 'com.docker.network.bridge.enable_icc': 'false' } })],
    observed: runs([network('front', { labels: { team: 'a' } })]),
    actions: [['recreate-network', 'Network/front', 'immutable settings changed', []]],
    check: (result) =>
      assert.deepEqual(find(result, 'recreate-network:front').changes, [
        { field: 'options.com.docker.network.bridge.enable_icc', to: 'false' },
        { field: 'labels.team', from: 'a', to: 'b' },
      ]),
  },
  {
    name: 'a hash that differs with no field found to differ is a change of the spec',
    desired: [front],
    observed: engine({ networks: [net('front', { labels: { ...runs([front]).networks[1]!.labels, [LABELS.specHash]: 'old' } })] }),
    actions: [['recreate-network', 'Network/front', 'immutable settings changed', []]],
    check: (result) => assert.deepEqual(find(result, 'recreate-network:front').changes[0]?.fromUnknown, true),
  },
  {
    name: 'a recreate disconnects the network\'s containers first and reconnects them with all their aliases',
    desired: [network('back', { ipam: { subnet: '10.78.0.0/24' } }), db, cache],
    observed: runs([back, db, cache]),
    actions: [
      ['disconnect', 'Container/cache', 'network back is recreated; reconnect with all its aliases', []],
      ['disconnect', 'Container/db', 'network back is recreated; reconnect with all its aliases', []],
      ['recreate-network', 'Network/back', 'immutable settings changed', ['disconnect:cache:back', 'disconnect:db:back']],
      ['connect', 'Container/cache', 'network back is recreated; reconnect with all its aliases (aliases kv, redis)', ['disconnect:cache:back', 'recreate-network:back']],
      ['connect', 'Container/db', 'network back is recreated; reconnect with all its aliases (aliases database)', ['disconnect:db:back', 'recreate-network:back']],
    ],
    check: (result) => assert.deepEqual(find<'connect'>(result, 'connect:cache:back').endpoint.aliases, ['kv', 'redis']),
  },
  {
    name: 'a network a container mooring does not manage uses is not recreated',
    desired: [network('back', { ipam: { subnet: '10.78.0.0/24' } })],
    observed: engine(runs([back]), { containers: [ctr('stranger', { networkMode: 'back', endpoints: [endpoint('stranger', 'back')] })] }),
    actions: [],
    problems: [['Network/back', 'must be recreated (ipam.subnet: 10.77.0.0/24 → 10.78.0.0/24) but containers mooring does not manage are attached: stranger; disconnect them first']],
  },
  {
    name: 'a network a container kept while a manifest fails to load uses is not recreated',
    desired: [network('back', { internal: true })],
    observed: runs([back, db]),
    unavailableFiles: ['broken.yaml'],
    actions: [],
    problems: [['Network/back', 'containers kept while a manifest fails to load are attached: db']],
    kept: ['Container/db'],
  },
  {
    name: 'a name held by a network mooring does not manage is a problem, and the network is left alone',
    desired: [front],
    observed: engine(bare(), { networks: [net('front')] }),
    actions: [],
    problems: [['Network/front', 'the name front is taken by a network mooring does not manage; it is left untouched']],
  },
  {
    name: "a name held by another instance's network names that instance; what joins it is skipped",
    desired: [front, container('web', { networks: [{ name: 'front' }] })],
    observed: engine(bare(), { networks: [net('front', { labels: other })] }),
    actions: [],
    problems: [
      ['Network/front', 'taken by a network of mooring instance "other"'],
      ['Container/web', 'skipped: needs Network/front'],
    ],
  },
  {
    name: 'an external network that exists is used as it is, whatever its settings',
    desired: [network('shared', { external: true }), container('web', { networks: [{ name: 'shared', aliases: ['w'] }] })],
    observed: engine(bare(), { networks: [net('shared', { internal: true })] }),
    actions: [
      ['pull-image', 'Container/web', 'pullPolicy IfNotPresent', []],
      ['create-container', 'Container/web', 'declared in app.yaml', ['pull-image:web']],
      ['start-container', 'Container/web', 'created; state: running', ['create-container:web']],
    ],
  },
  {
    name: 'a missing external network is a problem on it and on the containers that join it',
    desired: [network('shared', { external: true }), container('web', { networks: [{ name: 'shared' }] })],
    actions: [],
    problems: [
      ['Network/shared', 'external network shared does not exist; mooring never creates it'],
      ['Container/web', 'skipped: needs Network/shared'],
    ],
  },
  {
    name: 'a network no manifest declares that a container joins must exist',
    desired: [container('web', { networks: [{ name: 'nowhere' }] })],
    actions: [],
    problems: [
      ['Network/nowhere', 'network nowhere does not exist and no manifest declares it'],
      ['Container/web', 'skipped: needs Network/nowhere'],
    ],
  },
  {
    name: 'the built-in bridge is used without a manifest',
    desired: [container('web')],
    actions: [
      ['pull-image', 'Container/web', 'pullPolicy IfNotPresent', []],
      ['create-container', 'Container/web', 'declared in app.yaml', ['pull-image:web']],
      ['start-container', 'Container/web', 'created; state: running', ['create-container:web']],
    ],
  },
];

describe('plan: networks', () => planTable(rows));
