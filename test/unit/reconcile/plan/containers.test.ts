import assert from 'node:assert/strict';
import { LABELS, isOwnedBy, ownerLabels } from '../../../../src/engine/labels.js';
import { IMAGE, container, link, network, publish } from '../fixtures.js';
import { INSTANCE } from '../helpers.js';
import type { Row } from './table.js';
import { bare, ctr, engine, find, planTable, runs } from './table.js';

const web = container('web', { networks: [{ name: 'front', aliases: ['www'] }, { name: 'back' }] });
const main = container('main');
const sidecar = container('sidecar', { networkMode: 'container:main' });
const server = container('server', { expose: [80] });
const client = container('client');
const clientToServer = link('client-server', { from: 'client', to: 'server' });
const made = (name: string) => ownerLabels({ instance: INSTANCE, kind: 'Container', name, source: 'app.yaml', specHash: 'old' });

const rows: Row[] = [
  {
    name: 'a declared container the engine lacks is pulled, created on its first network, connected to the rest, then started',
    desired: [network('front'), network('back'), web],
    actions: [
      ['create-network', 'Network/back', 'declared in app.yaml and not present', []],
      ['create-network', 'Network/front', 'declared in app.yaml and not present', []],
      ['pull-image', 'Container/web', 'pullPolicy IfNotPresent: pulled only when missing', []],
      ['create-container', 'Container/web', 'declared in app.yaml and not present', ['create-network:front', 'pull-image:web']],
      ['connect', 'Container/web', 'joins network back', ['create-container:web', 'create-network:back']],
      ['start-container', 'Container/web', 'created; state: running', ['connect:web:back', 'create-container:web']],
    ],
    check: (result) => {
      const create = find<'create-container'>(result, 'create-container:web');
      assert.deepEqual(create.container.endpoints, [{ network: 'front', aliases: ['www'], links: [] }]);
      assert.equal(create.container.networkMode, 'front');
    },
  },
  {
    name: 'every created resource is labelled as owned, with its source file, spec hash and stop timeout',
    desired: [network('front', {}, 'net.yaml'), container('web', { networks: [{ name: 'front' }] }, 'web.yaml')],
    actions: [
      ['create-network', 'Network/front', 'declared in net.yaml and not present', []],
      ['pull-image', 'Container/web', 'pullPolicy IfNotPresent', []],
      ['create-container', 'Container/web', 'declared in web.yaml and not present', ['create-network:front', 'pull-image:web']],
      ['start-container', 'Container/web', 'created; state: running', ['create-container:web']],
    ],
    check: (result) => {
      const net = find<'create-network'>(result, 'create-network:front').network;
      const made = find<'create-container'>(result, 'create-container:web').container;
      for (const [labels, kind, name, file] of [[net.labels, 'Network', 'front', 'net.yaml'], [made.labels, 'Container', 'web', 'web.yaml']] as const) {
        assert.ok(isOwnedBy(labels, INSTANCE));
        assert.deepEqual([labels[LABELS.kind], labels[LABELS.name], labels[LABELS.source]], [kind, name, file]);
        assert.match(labels[LABELS.specHash] ?? '', /^[0-9a-f]{16}$/);
      }
      assert.equal(made.labels[LABELS.stopTimeout], '10');
    },
  },
  {
    name: 'host and none network modes join no network',
    desired: [container('h', { networkMode: 'host' }), container('n', { networkMode: 'none' })],
    actions: [
      ['pull-image', 'Container/h', 'pullPolicy IfNotPresent', []],
      ['pull-image', 'Container/n', 'pullPolicy IfNotPresent', []],
      ['create-container', 'Container/h', 'declared in app.yaml', ['pull-image:h']],
      ['create-container', 'Container/n', 'declared in app.yaml', ['pull-image:n']],
      ['start-container', 'Container/h', 'created; state: running', ['create-container:h']],
      ['start-container', 'Container/n', 'created; state: running', ['create-container:n']],
    ],
    check: (result) => {
      const config = find<'create-container'>(result, 'create-container:h').container;
      assert.equal(config.networkMode, 'host');
      assert.deepEqual(config.endpoints, []);
    },
  },
  {
    name: 'the pull policy is in the pull action and its reason',
    desired: [container('a', { pullPolicy: 'Always' }), container('n', { pullPolicy: 'Never' })],
    actions: [
      ['pull-image', 'Container/a', 'pullPolicy Always: pulled before every creation', []],
      ['pull-image', 'Container/n', 'pullPolicy Never: must be present; never pulled', []],
      ['create-container', 'Container/a', 'declared in app.yaml', ['pull-image:a']],
      ['create-container', 'Container/n', 'declared in app.yaml', ['pull-image:n']],
      ['start-container', 'Container/a', 'created; state: running', ['create-container:a']],
      ['start-container', 'Container/n', 'created; state: running', ['create-container:n']],
    ],
    check: (result) => assert.equal(find<'pull-image'>(result, 'pull-image:n').policy, 'Never'),
  },
  {
    name: 'a container that matches its manifest needs nothing',
    desired: [network('front'), network('back'), web, main, sidecar, server, client, clientToServer, publish('web-80', { container: 'web', containerPort: 80 })],
    observed: runs([network('front'), network('back'), web, main, sidecar, server, client, clientToServer, publish('web-80', { container: 'web', containerPort: 80 })]),
    actions: [],
  },
  {
    name: 'a changed environment variable recreates the container with the stop timeout it was made with, and says what changed',
    desired: [container('solo', { env: { FOO: 'b' } })],
    observed: runs([container('solo', { stopTimeout: 3 })]),
    actions: [
      ['pull-image', 'Container/solo', 'pullPolicy IfNotPresent', []],
      ['recreate-container', 'Container/solo', 'spec changed', ['pull-image:solo']],
      ['start-container', 'Container/solo', 'recreated; state: running', ['recreate-container:solo']],
    ],
    check: (result) => {
      const recreate = find<'recreate-container'>(result, 'recreate-container:solo');
      assert.deepEqual(recreate.changes, [{ field: 'env.FOO', to: 'b' }, { field: 'stopTimeoutSeconds', fromUnknown: true, to: '10' }]);
      assert.equal(recreate.stopTimeoutSeconds, 3);
      assert.equal(recreate.containerId, 'ctr-solo');
    },
  },
  {
    name: 'a changed image shows old and new; an unrecorded old value still names the field',
    desired: [container('img', { image: 'mooring/busybox:2' }), container('cmd', { command: 'sleep 20' })],
    observed: runs([container('img'), container('cmd', { command: 'sleep 10' })]),
    actions: [
      ['pull-image', 'Container/cmd', 'pullPolicy IfNotPresent', []],
      ['pull-image', 'Container/img', 'pullPolicy IfNotPresent', []],
      ['recreate-container', 'Container/cmd', 'spec changed', ['pull-image:cmd']],
      ['recreate-container', 'Container/img', 'spec changed', ['pull-image:img']],
      ['start-container', 'Container/cmd', 'recreated; state: running', ['recreate-container:cmd']],
      ['start-container', 'Container/img', 'recreated; state: running', ['recreate-container:img']],
    ],
    check: (result) => {
      assert.deepEqual(find(result, 'recreate-container:img').changes, [{ field: 'image', from: IMAGE, to: 'mooring/busybox:2' }]);
      assert.deepEqual(find(result, 'recreate-container:cmd').changes, [{ field: 'command', fromUnknown: true, to: 'sleep 20' }]);
    },
  },
  {
    name: 'a container made without field digests is compared by what the engine shows, with the default stop timeout',
    desired: [container('old')],
    observed: engine(bare(), { containers: [ctr('old', { image: 'busybox:1', labels: made('old') })] }),
    actions: [
      ['pull-image', 'Container/old', 'pullPolicy IfNotPresent', []],
      ['recreate-container', 'Container/old', 'spec changed', ['pull-image:old']],
      ['start-container', 'Container/old', 'recreated; state: running', ['recreate-container:old']],
    ],
    check: (result) => {
      const recreate = find<'recreate-container'>(result, 'recreate-container:old');
      assert.deepEqual(recreate.changes, [{ field: 'image', from: 'busybox:1', to: IMAGE }]);
      assert.equal(recreate.stopTimeoutSeconds, 10);
    },
  },
  {
    name: 'a container made without field digests whose shown fields match changed in its spec',
    desired: [container('old')],
    observed: engine(bare(), { containers: [ctr('old', { labels: made('old') })] }),
    actions: [
      ['pull-image', 'Container/old', 'pullPolicy IfNotPresent', []],
      ['recreate-container', 'Container/old', 'spec changed', ['pull-image:old']],
      ['start-container', 'Container/old', 'recreated; state: running', ['recreate-container:old']],
    ],
    check: (result) => assert.equal(find(result, 'recreate-container:old').changes[0]?.field, 'spec'),
  },
  {
    name: 'a dead container is recreated',
    desired: [main],
    observed: runs([main], { main: { status: 'dead' } }),
    actions: [
      ['pull-image', 'Container/main', 'pullPolicy IfNotPresent', []],
      ['recreate-container', 'Container/main', 'the container is dead', ['pull-image:main']],
      ['start-container', 'Container/main', 'recreated; state: running', ['recreate-container:main']],
    ],
  },
  {
    name: 'a container name held by a container mooring does not manage is a problem; what needs it is skipped, the rest proceeds',
    desired: [container('db'), container('api', { dependsOn: ['db'] }), container('client'), link('client-db', { from: 'client', to: 'db' }), container('independent')],
    observed: engine(bare(), { containers: [ctr('db')] }),
    actions: [
      ['pull-image', 'Container/api', 'pullPolicy IfNotPresent', []],
      ['pull-image', 'Container/independent', 'pullPolicy IfNotPresent', []],
      ['create-container', 'Container/api', 'declared in app.yaml', ['pull-image:api']],
      ['create-container', 'Container/independent', 'declared in app.yaml', ['pull-image:independent']],
      ['start-container', 'Container/independent', 'created; state: running', ['create-container:independent']],
    ],
    problems: [
      ['Container/db', 'the name db is taken by a container mooring does not manage; it is left untouched'],
      ['Container/client', 'skipped: needs Container/db'],
      ['Container/api', 'skipped: needs Container/db'],
    ],
  },
  {
    name: 'a container sharing the network namespace of a recreated one is recreated after it',
    desired: [container('main', { env: { V: '2' } }), sidecar],
    observed: runs([main, sidecar]),
    actions: [
      ['pull-image', 'Container/main', 'pullPolicy IfNotPresent', []],
      ['pull-image', 'Container/sidecar', 'pullPolicy IfNotPresent', []],
      ['recreate-container', 'Container/main', 'spec changed', ['pull-image:main']],
      ['recreate-container', 'Container/sidecar', 'it shares the network namespace of container main, which is recreated', ['pull-image:sidecar', 'recreate-container:main']],
      ['start-container', 'Container/main', 'recreated; state: running', ['recreate-container:main']],
      ['start-container', 'Container/sidecar', 'recreated; state: running', ['recreate-container:main', 'recreate-container:sidecar', 'start-container:main']],
    ],
  },
  {
    name: 'recreates cascade along legacy links and shared namespaces; a target created anew counts too',
    desired: [server, client, clientToServer, container('tap', { networkMode: 'container:client' })],
    observed: runs([client, clientToServer, container('tap', { networkMode: 'container:client' })]),
    actions: [
      ['pull-image', 'Container/client', 'pullPolicy IfNotPresent', []],
      ['pull-image', 'Container/server', 'pullPolicy IfNotPresent', []],
      ['pull-image', 'Container/tap', 'pullPolicy IfNotPresent', []],
      ['create-container', 'Container/server', 'declared in app.yaml and not present', ['pull-image:server']],
      ['recreate-container', 'Container/client', 'it has a legacy link to container server, which is created', ['create-container:server', 'pull-image:client']],
      ['recreate-container', 'Container/tap', 'it shares the network namespace of container client, which is recreated', ['pull-image:tap', 'recreate-container:client']],
      ['start-container', 'Container/server', 'created; state: running', ['create-container:server']],
      ['start-container', 'Container/client', 'recreated; state: running', ['create-container:server', 'recreate-container:client', 'start-container:server']],
      ['start-container', 'Container/tap', 'recreated; state: running', ['recreate-container:client', 'recreate-container:tap', 'start-container:client']],
    ],
  },
  {
    name: 'a legacy link is a creation-time setting: adding one recreates its source',
    desired: [server, client, clientToServer],
    observed: runs([server, client]),
    actions: [
      ['pull-image', 'Container/client', 'pullPolicy IfNotPresent', []],
      ['recreate-container', 'Container/client', 'spec changed', ['pull-image:client']],
      ['start-container', 'Container/client', 'recreated; state: running', ['recreate-container:client']],
    ],
    check: (result) => assert.deepEqual(find(result, 'recreate-container:client').changes, [{ field: 'links', to: 'server:server' }]),
  },
  {
    name: 'a published port is a creation-time setting, shown as the engine binds it',
    desired: [container('site'), publish('site-http', { container: 'site', containerPort: 80, hostPort: 8080 })],
    observed: runs([container('site')]),
    actions: [
      ['pull-image', 'Container/site', 'pullPolicy IfNotPresent', []],
      ['recreate-container', 'Container/site', 'spec changed', ['pull-image:site']],
      ['start-container', 'Container/site', 'recreated; state: running', ['recreate-container:site']],
    ],
    check: (result) => {
      const recreate = find<'recreate-container'>(result, 'recreate-container:site');
      assert.deepEqual(recreate.container.portBindings, [{ containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080 }]);
      assert.deepEqual(recreate.container.exposedPorts, ['80/tcp']);
      assert.deepEqual(recreate.changes.map((change) => change.field), ['exposedPorts', 'ports']);
    },
  },
];

describe('plan: containers', () => planTable(rows));
