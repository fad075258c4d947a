import assert from 'node:assert/strict';
import { LABELS, MANAGED_BY } from '../../../../src/engine/labels.js';
import { DEFAULT_NETWORK } from '../../../../src/manifests/container-networks.js';
import { container, network } from '../fixtures.js';
import { INSTANCE } from '../helpers.js';
import type { Row } from './table.js';
import { ctr, endpoint, engine, find, net, planTable, runs } from './table.js';

const front = network('front');
const back = network('back');
const web = container('web', { networks: [{ name: 'front' }, { name: 'back' }] });
const db = container('db', { networks: [{ name: 'back' }] });
const app = [front, back, web, db];
const unavailable = 'nothing is removed while a manifest that may declare it fails to load';

const rows: Row[] = [
  {
    name: 'owned resources no manifest declares are removed, containers with the stop timeout they were made with',
    desired: [front],
    observed: runs([front, container('old', { stopTimeout: 3 }), network('gone')]),
    actions: [
      ['remove-container', 'Container/old', 'no manifest declares it (it came from app.yaml)', []],
      ['remove-network', 'Network/gone', 'no manifest declares it (it came from app.yaml)', []],
    ],
    check: (result) => assert.equal(find<'remove-container'>(result, 'remove-container:old').stopTimeoutSeconds, 3),
  },
  {
    name: 'an owned container without source or stop timeout labels is removed with the default timeout',
    desired: [front],
    observed: engine(runs([front]), { containers: [ctr('stray', { labels: { [LABELS.managedBy]: MANAGED_BY, [LABELS.instance]: INSTANCE, [LABELS.stopTimeout]: 'x' } })] }),
    actions: [['remove-container', 'Container/stray', 'no manifest declares it', []]],
    check: (result) => {
      const remove = find<'remove-container'>(result, 'remove-container:stray');
      assert.equal(remove.reason, 'no manifest declares it');
      assert.equal(remove.stopTimeoutSeconds, 10);
    },
  },
  {
    name: 'a removed network is first left by the declared containers still attached to it',
    desired: [container('web', { networks: [{ name: DEFAULT_NETWORK }] })],
    observed: runs([network('gone'), container('web', { networks: [{ name: 'gone' }, { name: DEFAULT_NETWORK }] })]),
    actions: [
      ['disconnect', 'Container/web', 'no manifest attaches it to network gone', []],
      ['remove-network', 'Network/gone', 'no manifest declares it', ['disconnect:web:gone']],
    ],
  },
  {
    name: 'teardown: a container about to be recreated leaves a removed network before both',
    desired: [container('web', { networks: [{ name: DEFAULT_NETWORK }], env: { V: '2' } })],
    observed: runs([network('gone'), container('web', { networks: [{ name: 'gone' }, { name: DEFAULT_NETWORK }] })]),
    actions: [
      ['disconnect', 'Container/web', 'network gone is removed', []],
      ['remove-network', 'Network/gone', 'no manifest declares it', ['disconnect:web:gone']],
      ['pull-image', 'Container/web', 'pullPolicy IfNotPresent', []],
      ['recreate-container', 'Container/web', 'spec changed', ['disconnect:web:gone', 'pull-image:web']],
      ['start-container', 'Container/web', 'recreated; state: running', ['recreate-container:web']],
    ],
  },
  {
    name: 'a removed network waits for the removal of its removed containers, which are not disconnected first',
    desired: [front],
    observed: runs([front, network('gone'), container('old', { networks: [{ name: 'gone' }] })]),
    actions: [
      ['remove-container', 'Container/old', 'no manifest declares it', []],
      ['remove-network', 'Network/gone', 'no manifest declares it', ['remove-container:old']],
    ],
  },
  {
    name: 'a network containers mooring does not manage are attached to is kept, with a problem',
    desired: [front],
    observed: engine(runs([front, network('gone')]), { containers: [ctr('stranger', { networkMode: 'gone', endpoints: [endpoint('stranger', 'gone')] })] }),
    actions: [],
    problems: [['Network/gone', 'no manifest declares it, but containers mooring does not manage are attached: stranger; it is kept']],
  },
  {
    name: 'an owned network a declared container joins is not removed',
    desired: [container('web', { networks: [{ name: 'old' }] })],
    observed: runs([network('old'), container('web', { networks: [{ name: 'old' }] })]),
    actions: [],
  },
  {
    name: 'removing a container waits for the removal of those sharing its network namespace',
    desired: [front],
    observed: runs([front, container('main'), container('side', { networkMode: 'container:main' })]),
    actions: [
      ['remove-container', 'Container/side', 'no manifest declares it', []],
      ['remove-container', 'Container/main', 'no manifest declares it', ['remove-container:side']],
    ],
  },
  {
    name: 'an empty desired state never prunes without allowEmpty',
    desired: [],
    observed: runs(app),
    actions: [],
    pruneRefused: `no manifest declares anything, yet 2 container(s) and 2 network(s) carry the labels of instance "${INSTANCE}": refusing to remove them; pass --allow-empty to remove them`,
  },
  {
    name: 'an empty desired state prunes everything with allowEmpty',
    desired: [],
    observed: runs(app),
    allowEmpty: true,
    actions: [
      ['remove-container', 'Container/db', 'no manifest declares it', []],
      ['remove-container', 'Container/web', 'no manifest declares it', []],
      ['remove-network', 'Network/back', 'no manifest declares it', ['remove-container:db', 'remove-container:web']],
      ['remove-network', 'Network/front', 'no manifest declares it', ['remove-container:web']],
    ],
  },
  {
    name: 'nothing is removed while a manifest fails to load: it may declare anything',
    desired: [front],
    observed: runs([front, network('old'), container('web'), container('gone')]),
    unavailableFiles: ['broken.yaml'],
    actions: [],
    kept: ['Container/web', 'Container/gone', 'Network/old'],
    check: (result) => assert.ok(result.kept.every((kept) => kept.reason === `${unavailable}: broken.yaml`)),
  },
  {
    name: 'resources mooring does not own are never removed, even when nothing declares them',
    desired: [container('mine')],
    observed: engine(runs([]), { networks: [net('theirs')], containers: [ctr('theirs', { networkMode: 'theirs', endpoints: [endpoint('theirs', 'theirs')] })] }),
    actions: [
      ['pull-image', 'Container/mine', 'pullPolicy IfNotPresent', []],
      ['create-container', 'Container/mine', 'declared in app.yaml', ['pull-image:mine']],
      ['start-container', 'Container/mine', 'created; state: running', ['create-container:mine']],
    ],
  },
];

describe('plan: prune and teardown', () => planTable(rows));
