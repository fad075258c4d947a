import assert from 'node:assert/strict';
import type { AnyDocument, DesiredState } from '../../../../src/manifests/model.js';
import type { Action, Plan } from '../../../../src/reconcile/actions.js';
import { LABELS, isOwnedBy, ownerLabels } from '../../../../src/engine/labels.js';
import { FakeEngine } from '../../../support/fake-engine.js';
import { IMAGE, container, desiredState, link, network, publish } from '../fixtures.js';
import { app, back, db, everything, front, pair, web } from './documents.js';
import { INSTANCE, converge, ids, ordered, planFor } from '../helpers.js';

function find<T extends Action['type']>(result: Plan, id: string): Extract<Action, { type: T }> {
  const action = result.actions.find((candidate) => candidate.id === id);
  assert.ok(action, `expected action ${id} in ${ids(result).join(', ')}`);
  return action as Extract<Action, { type: T }>;
}

interface Case {
  name: string;
  /** Applied to the engine first. */
  before?: AnyDocument[];
  /** What someone did to the engine after that. */
  drift?: (engine: FakeEngine) => void | Promise<void>;
  desired: AnyDocument[];
  unavailableFiles?: string[];
  allowEmpty?: boolean;
  /** The action ids, in plan order. */
  actions: string[];
  problems?: string[];
  check?: (result: Plan, engine: FakeEngine) => void;
}

/** The dependencies of an action, as planned. */
const depsOf = (result: Plan, id: string) => find(result, id).dependsOn;

const cases: Case[] = [
  {
    name: 'nothing declared, nothing running: nothing to do',
    desired: [],
    actions: [],
  },
  {
    name: 'creates networks, then containers joined to their first network, connects the rest, then starts',
    desired: app,
    actions: [
      'create-network:back',
      'create-network:front',
      'pull-image:db',
      'pull-image:web',
      'create-container:db',
      'create-container:web',
      'connect:web:back',
      'start-container:db',
      'start-container:web',
    ],
    check: (result) => {
      const create = find<'create-container'>(result, 'create-container:web');
      assert.deepEqual(create.container.endpoints, [{ network: 'front', aliases: ['www'], links: [] }]);
      assert.equal(create.container.networkMode, 'front');
      assert.ok(ordered(result, 'create-network:front', 'create-container:web'));
      assert.ok(ordered(result, 'create-network:back', 'connect:web:back'));
      assert.ok(ordered(result, 'connect:web:back', 'start-container:web'));
      assert.ok(ordered(result, 'pull-image:web', 'create-container:web'));
      assert.match(create.reason, /declared in app\.yaml/);
    },
  },
  {
    name: 'labels every created resource as owned, with its source file and spec hash',
    desired: [network('front', {}, 'net.yaml'), container('web', { networks: [{ name: 'front' }] }, 'web.yaml')],
    actions: ['create-network:front', 'pull-image:web', 'create-container:web', 'start-container:web'],
    check: (result) => {
      const net = find<'create-network'>(result, 'create-network:front').network;
      const made = find<'create-container'>(result, 'create-container:web').container;
      for (const [labels, kind, name, file] of [[net.labels, 'Network', 'front', 'net.yaml'], [made.labels, 'Container', 'web', 'web.yaml']] as const) {
        assert.ok(isOwnedBy(labels, INSTANCE));
        assert.equal(labels[LABELS.kind], kind);
        assert.equal(labels[LABELS.name], name);
        assert.equal(labels[LABELS.source], file);
        assert.match(labels[LABELS.specHash] ?? '', /^[0-9a-f]{16}$/);
      }
      assert.equal(made.labels[LABELS.stopTimeout], '10');
    },
  },
  {
    name: 'no-op: a converged engine needs nothing, whichever equivalent forms the manifests use',
    before: everything({ env: { A: 1, B: true }, expose: [80], command: 'sleep 3600' }),
    desired: everything({ env: { B: 'true', A: '1' }, expose: ['80/tcp'], command: ['sleep', '3600'] }),
    actions: [],
  },
  {
    name: 'a changed environment variable recreates exactly that container, and says what changed',
    before: app,
    desired: [front, back, container('web', { networks: [{ name: 'front', aliases: ['www'] }, { name: 'back' }], env: { FOO: 'b' } }), db],
    actions: ['pull-image:web', 'recreate-container:web', 'connect:web:back', 'start-container:web'],
    check: (result) => {
      const recreate = find<'recreate-container'>(result, 'recreate-container:web');
      assert.deepEqual(recreate.changes, [{ field: 'env.FOO', to: 'b' }]);
      assert.equal(recreate.reason, 'spec changed');
    },
  },
  {
    name: 'a changed image shows old and new',
    before: [container('solo', { image: IMAGE })],
    desired: [container('solo', { image: 'mooring/busybox:2' })],
    actions: ['pull-image:solo', 'recreate-container:solo', 'start-container:solo'],
    check: (result) => {
      assert.deepEqual(find(result, 'recreate-container:solo').changes, [{ field: 'image', from: IMAGE, to: 'mooring/busybox:2' }]);
    },
  },
  {
    name: 'a changed command with an unrecorded old value still names the field',
    before: [container('solo', { command: 'sleep 10' })],
    desired: [container('solo', { command: 'sleep 20' })],
    actions: ['pull-image:solo', 'recreate-container:solo', 'start-container:solo'],
    check: (result) => {
      assert.deepEqual(find(result, 'recreate-container:solo').changes, [{ field: 'command', fromUnknown: true, to: 'sleep 20' }]);
    },
  },
  {
    name: 'an alias change reconnects in place without recreating',
    before: app,
    desired: [front, back, container('web', { networks: [{ name: 'front', aliases: ['www', 'site'] }, { name: 'back' }] }), db],
    actions: ['disconnect:web:front', 'connect:web:front'],
    check: (result) => {
      assert.ok(ordered(result, 'disconnect:web:front', 'connect:web:front'));
      const connect = find<'connect'>(result, 'connect:web:front');
      assert.deepEqual(connect.endpoint.aliases, ['site', 'www']);
      assert.deepEqual(connect.changes, [{ field: 'networks.front.aliases', from: 'www', to: 'site, www' }]);
    },
  },
  {
    name: 'joining and leaving networks is done in place',
    before: app,
    desired: [front, back, container('web', { networks: [{ name: 'front', aliases: ['www'] }] }), container('db', { networks: [{ name: 'back', aliases: ['database'] }, { name: 'front' }] })],
    actions: ['disconnect:web:back', 'connect:db:front'],
  },
  {
    name: 'a network-scoped link is an endpoint link, set at connect time',
    before: app,
    desired: [...app, link('web-db', { from: 'web', to: 'db', network: 'back', alias: 'sql' })],
    actions: ['disconnect:web:back', 'connect:web:back'],
    check: (result) => {
      assert.deepEqual(find<'connect'>(result, 'connect:web:back').endpoint.links, ['db:sql']);
    },
  },
  {
    name: 'a legacy link is a creation-time setting: the source is recreated, after its target exists',
    before: [container('server', { expose: [80] }), container('client')],
    desired: [container('server', { expose: [80] }), container('client'), link('client-server', { from: 'client', to: 'server' })],
    actions: ['pull-image:client', 'recreate-container:client', 'start-container:client'],
    check: (result) => {
      const recreate = find<'recreate-container'>(result, 'recreate-container:client');
      assert.deepEqual(recreate.container.links, ['server:server']);
      assert.deepEqual(recreate.changes, [{ field: 'links', to: 'server:server' }]);
    },
  },
  {
    name: 'a published port is a creation-time setting',
    before: [container('site')],
    desired: [container('site'), publish('site-http', { container: 'site', containerPort: 80, hostPort: 8080 })],
    actions: ['pull-image:site', 'recreate-container:site', 'start-container:site'],
    check: (result) => {
      const config = find<'recreate-container'>(result, 'recreate-container:site').container;
      assert.deepEqual(config.portBindings, [{ containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080 }]);
      assert.deepEqual(config.exposedPorts, ['80/tcp']);
    },
  },
  {
    name: 'an immutable network change recreates the network and reconnects every container with all its aliases',
    before: [...app, container('cache', { networks: [{ name: 'back', aliases: ['redis', 'kv'] }] })],
    desired: [front, network('back', { ipam: { subnet: '10.78.0.0/24' } }), web, db, container('cache', { networks: [{ name: 'back', aliases: ['redis', 'kv'] }] })],
    actions: [
      'disconnect:cache:back',
      'disconnect:db:back',
      'disconnect:web:back',
      'recreate-network:back',
      'connect:cache:back',
      'connect:db:back',
      'connect:web:back',
    ],
    check: (result) => {
      assert.deepEqual(find<'connect'>(result, 'connect:cache:back').endpoint.aliases, ['kv', 'redis']);
      assert.deepEqual(find<'connect'>(result, 'connect:db:back').endpoint.aliases, ['database']);
      const recreate = find<'recreate-network'>(result, 'recreate-network:back');
      assert.deepEqual(recreate.changes, [{ field: 'ipam.subnet', from: '10.77.0.0/24', to: '10.78.0.0/24' }]);
      assert.ok(ordered(result, 'disconnect:db:back', 'recreate-network:back'));
      assert.ok(ordered(result, 'recreate-network:back', 'connect:db:back'));
    },
  },
  {
    name: 'a network recreate with a container about to be created on it creates it after',
    before: [back],
    desired: [network('back', { internal: true }), db],
    actions: ['recreate-network:back', 'pull-image:db', 'create-container:db', 'start-container:db'],
    check: (result) => assert.ok(ordered(result, 'recreate-network:back', 'create-container:db')),
  },
  {
    name: 'a network used by a container mooring does not manage is not recreated',
    before: app,
    drift: (engine) => {
      engine.seedContainer({ name: 'stranger' }, { endpoints: [{ network: 'back', aliases: [], links: [] }] });
    },
    desired: [front, network('back', { ipam: { subnet: '10.78.0.0/24' } }), web, db],
    actions: [],
    problems: ['Network/back'],
    check: (result) => assert.match(result.problems[0]!.message, /containers mooring does not manage are attached: stranger/),
  },
  {
    name: 'a container name held by an unmanaged container is a conflict; its dependents are skipped, the rest proceeds',
    drift: (engine) => {
      engine.seedContainer({ name: 'db' });
    },
    desired: [
      container('db'),
      container('api', { dependsOn: ['db'] }),
      container('client'),
      link('client-db', { from: 'client', to: 'db' }),
      container('independent'),
    ],
    actions: ['pull-image:api', 'pull-image:independent', 'create-container:api', 'create-container:independent', 'start-container:independent'],
    problems: ['Container/db', 'Container/client', 'Container/api'],
    check: (result) => {
      const message = (resource: string) => result.problems.find((problem) => problem.resource === resource)!.message;
      assert.match(message('Container/db'), /taken by a container mooring does not manage/);
      assert.match(message('Container/api'), /skipped: needs Container\/db/);
      assert.match(message('Container/client'), /skipped: needs Container\/db/);
    },
  },
  {
    name: "a name held by another instance's resource is a conflict that names the instance",
    drift: (engine) => {
      engine.seedNetwork({ name: 'front', labels: ownerLabels({ instance: 'other', kind: 'Network', name: 'front', source: 'x.yaml', specHash: 'x' }) });
    },
    desired: [front, container('web', { networks: [{ name: 'front' }] })],
    actions: [],
    problems: ['Network/front', 'Container/web'],
    check: (result) => {
      assert.match(result.problems[0]!.message, /taken by a network of mooring instance "other"/);
      assert.match(result.problems[1]!.message, /needs Network\/front/);
    },
  },
  {
    name: 'an external network is used, never created or changed',
    drift: (engine) => {
      engine.seedNetwork({ name: 'shared', internal: true });
    },
    desired: [network('shared', { external: true }), container('web', { networks: [{ name: 'shared', aliases: ['w'] }] })],
    actions: ['pull-image:web', 'create-container:web', 'start-container:web'],
  },
  {
    name: 'a missing external network is an error on it and on its containers',
    desired: [network('shared', { external: true }), container('web', { networks: [{ name: 'shared' }] }), container('other')],
    actions: ['pull-image:other', 'create-container:other', 'start-container:other'],
    problems: ['Network/shared', 'Container/web'],
  },
  {
    name: 'prunes owned resources no manifest declares: containers first (with their stop timeout), then networks',
    before: [...app, container('old', { networks: [{ name: 'back' }], stopTimeout: 3 }), network('gone')],
    desired: [front, network('back', { ipam: { subnet: '10.77.0.0/24' } }), web, db],
    actions: ['remove-container:old', 'remove-network:gone'],
    check: (result) => {
      const remove = find<'remove-container'>(result, 'remove-container:old');
      assert.equal(remove.stopTimeoutSeconds, 3);
      assert.match(remove.reason, /no manifest declares it \(it came from app\.yaml\)/);
    },
  },
  {
    name: 'a pruned network is removed after its containers leave it',
    before: [network('gone'), container('web', { networks: [{ name: 'gone' }, { name: 'bridge' }] })],
    desired: [container('web', { networks: [{ name: 'bridge' }] })],
    actions: ['disconnect:web:gone', 'remove-network:gone'],
    check: (result) => assert.ok(ordered(result, 'disconnect:web:gone', 'remove-network:gone')),
  },
  {
    name: 'an empty desired state never prunes without allowEmpty',
    before: app,
    desired: [],
    actions: [],
    check: (result) => {
      assert.match(result.pruneRefused ?? '', /no manifest declares anything, yet 2 container\(s\) and 2 network\(s\).*--allow-empty/);
    },
  },
  {
    name: 'an empty desired state prunes everything with allowEmpty',
    before: app,
    desired: [],
    allowEmpty: true,
    actions: ['remove-container:db', 'remove-container:web', 'remove-network:back', 'remove-network:front'],
  },
  {
    name: 'prunes nothing while a file fails to load: it may declare anything',
    before: [network('front', {}, 'net.yaml'), network('old', {}, 'gone.yaml'), container('web', { networks: [{ name: 'front' }] }, 'broken.yaml'), container('gone', {}, 'gone.yaml')],
    desired: [network('front', {}, 'net.yaml')],
    unavailableFiles: ['broken.yaml'],
    actions: [],
    check: (result) =>
      assert.deepEqual(
        result.kept.map((kept) => kept.resource),
        ['Container/gone', 'Container/web', 'Network/old'],
      ),
  },
  {
    // Created from a.yaml, then moved to b.yaml unchanged (so not recreated, its label still says a.yaml), and b.yaml now fails to load.
    name: 'keeps a container whose declaration moved into a file that now fails to load',
    before: [container('web', {}, 'a.yaml')],
    desired: [network('front', {}, 'a.yaml')],
    unavailableFiles: ['b.yaml'],
    actions: ['create-network:front'],
    check: (result) => assert.deepEqual(result.kept, [{ resource: 'Container/web', reason: 'nothing is removed while a manifest that may declare it fails to load: b.yaml' }]),
  },
  {
    name: 'never prunes what a directory that cannot be listed declared',
    before: [network('front', {}, 'net.yaml'), container('web', {}, 'team/web.yaml')],
    desired: [network('front', {}, 'net.yaml')],
    unavailableFiles: ['team/'],
    actions: [],
    check: (result) => assert.deepEqual(result.kept, [{ resource: 'Container/web', reason: 'nothing is removed while a manifest that may declare it fails to load: team/' }]),
  },
  {
    name: 'an unlistable manifests directory keeps everything',
    before: [network('front', {}, 'net.yaml'), container('web', {}, 'web.yaml')],
    desired: [],
    unavailableFiles: ['./'],
    allowEmpty: true,
    actions: [],
  },
  {
    name: 'unmanaged resources are never touched, even when nothing declares them',
    drift: (engine) => {
      engine.seedNetwork({ name: 'theirs' });
      engine.seedContainer({ name: 'theirs', networkMode: 'theirs' });
    },
    desired: [container('mine')],
    actions: ['pull-image:mine', 'create-container:mine', 'start-container:mine'],
  },
  {
    name: 'state stopped stops a running container; a stopped one with state running is started',
    before: [container('a'), container('b')],
    drift: (engine) => engine.setStatus('b', 'exited', 1),
    desired: [container('a', { state: 'stopped' }), container('b')],
    actions: ['stop-container:a', 'start-container:b'],
    check: (result) => assert.match(find(result, 'start-container:b').reason, /exited/),
  },
  {
    name: 'a paused container declared running is unpaused, not started',
    before: [container('a')],
    drift: (engine) => engine.setStatus('a', 'paused'),
    desired: [container('a')],
    actions: ['start-container:a'],
    check: (result) => {
      const action = find(result, 'start-container:a');
      assert.equal(action.type === 'start-container' && action.unpause, true);
      assert.match(action.reason, /paused/);
    },
  },
  {
    name: 'a container to start may be replaced should the engine refuse to start it for good, unless another is bound to it by id',
    before: [container('fresh'), container('ran'), container('main'), container('sidecar', { networkMode: 'container:main' })],
    drift: (engine) => {
      engine.setStatus('fresh', 'created');
      engine.setStatus('ran', 'exited', 1);
      engine.setStatus('main', 'created');
      engine.setStatus('sidecar', 'created');
    },
    desired: [container('fresh'), container('ran'), container('main'), container('sidecar', { networkMode: 'container:main' })],
    actions: ['start-container:fresh', 'start-container:main', 'start-container:ran', 'start-container:sidecar'],
    check: (result, engine) => {
      const fresh = find<'start-container'>(result, 'start-container:fresh').replaceIfUnstartable;
      assert.equal(fresh?.containerId, engine.container('fresh')?.id);
      assert.equal(fresh?.container.name, 'fresh');
      assert.equal(find<'start-container'>(result, 'start-container:ran').replaceIfUnstartable?.containerId, engine.container('ran')?.id);
      assert.equal(find<'start-container'>(result, 'start-container:main').replaceIfUnstartable, undefined);
      assert.ok(find<'start-container'>(result, 'start-container:sidecar').replaceIfUnstartable);
    },
  },
  {
    name: 'a dead container is recreated',
    before: [container('a')],
    drift: (engine) => engine.setStatus('a', 'dead'),
    desired: [container('a')],
    actions: ['pull-image:a', 'recreate-container:a', 'start-container:a'],
  },
  {
    name: 'a container removed by hand is created again; one disconnected by hand is reconnected',
    before: app,
    drift: async (engine) => {
      await engine.removeContainer('db');
      await engine.disconnectNetwork('web', 'back');
    },
    desired: app,
    actions: ['pull-image:db', 'create-container:db', 'connect:web:back', 'start-container:db'],
  },
  {
    name: 'a container connected by hand to another network is disconnected from it',
    before: app,
    drift: async (engine) => {
      await engine.connectNetwork('db', { network: 'front', aliases: [], links: [] });
    },
    desired: app,
    actions: ['disconnect:db:front'],
  },
  {
    name: 'order: a link target and a dependsOn target start before their dependents',
    desired: [container('db'), container('api', { dependsOn: ['db'] }), container('client'), link('client-api', { from: 'client', to: 'api' })],
    actions: [
      'pull-image:api',
      'pull-image:client',
      'pull-image:db',
      'create-container:api',
      'create-container:client',
      'create-container:db',
      'start-container:db',
      'start-container:api',
      'start-container:client',
    ],
    check: (result) => {
      assert.ok(ordered(result, 'start-container:db', 'start-container:api'));
      assert.ok(ordered(result, 'create-container:api', 'create-container:client'));
      assert.ok(ordered(result, 'start-container:api', 'start-container:client'));
    },
  },
  {
    name: 'network-scoped links both ways: both ends are made and started at once, each with its link',
    desired: pair(),
    actions: ['create-network:pair', 'pull-image:one', 'pull-image:two', 'create-container:one', 'create-container:two', 'start-container:one', 'start-container:two'],
    check: (result) => {
      assert.deepEqual(find<'create-container'>(result, 'create-container:one').container.endpoints, [{ network: 'pair', aliases: [], links: ['two:two'] }]);
      assert.deepEqual(find<'create-container'>(result, 'create-container:two').container.endpoints, [{ network: 'pair', aliases: [], links: ['one:one'] }]);
      assert.deepEqual(depsOf(result, 'create-container:one'), ['create-network:pair', 'pull-image:one']);
      assert.deepEqual(depsOf(result, 'start-container:one'), ['create-container:one']);
    },
  },
  {
    name: 'a ring of network-scoped links on a second network: each connect waits only for its own container and the network',
    desired: [
      network('front'),
      network('ring'),
      ...['a', 'b', 'c'].map((name) => container(name, { networks: [{ name: 'front' }, { name: 'ring' }] })),
      link('a-b', { from: 'a', to: 'b', network: 'ring' }),
      link('b-c', { from: 'b', to: 'c', network: 'ring' }),
      link('c-a', { from: 'c', to: 'a', network: 'ring' }),
    ],
    actions: [
      'create-network:front',
      'create-network:ring',
      'pull-image:a',
      'pull-image:b',
      'pull-image:c',
      'create-container:a',
      'create-container:b',
      'create-container:c',
      'connect:a:ring',
      'connect:b:ring',
      'connect:c:ring',
      'start-container:a',
      'start-container:b',
      'start-container:c',
    ],
    check: (result) => {
      assert.deepEqual(find<'connect'>(result, 'connect:a:ring').endpoint.links, ['b:b']);
      assert.deepEqual(depsOf(result, 'connect:a:ring'), ['create-container:a', 'create-network:ring']);
      assert.deepEqual(depsOf(result, 'start-container:a'), ['connect:a:ring', 'create-container:a']);
    },
  },
  {
    name: 'a network-scoped link to a container that cannot be made holds nothing of its source back',
    drift: (engine) => void engine.seedContainer({ name: 'two' }),
    desired: pair({}, [{ name: 'front' }, { name: 'pair' }]).concat(network('front')),
    actions: ['create-network:front', 'create-network:pair', 'pull-image:one', 'create-container:one', 'connect:one:pair', 'start-container:one'],
    problems: ['Container/two'],
    check: (result) => assert.deepEqual(find<'connect'>(result, 'connect:one:pair').endpoint.links, ['two:two']),
  },
  {
    name: 'recreating one end of a two-way pair gives it its link back and leaves the other end alone',
    before: pair(),
    desired: pair().map((doc) => (doc.name === 'one' && doc.kind === 'Container' ? container('one', { networks: [{ name: 'pair' }], env: { V: '2' } }) : doc)),
    actions: ['pull-image:one', 'recreate-container:one', 'start-container:one'],
    check: (result) => {
      assert.deepEqual(find<'recreate-container'>(result, 'recreate-container:one').container.endpoints, [{ network: 'pair', aliases: [], links: ['two:two'] }]);
    },
  },
  {
    name: 'stopping a two-way pair: neither end waits for the other',
    before: pair(),
    desired: pair({ state: 'stopped' }),
    actions: ['stop-container:one', 'stop-container:two'],
    check: (result) => {
      assert.deepEqual(depsOf(result, 'stop-container:one'), []);
      assert.deepEqual(depsOf(result, 'stop-container:two'), []);
    },
  },
  {
    name: 'order: stopping goes in reverse, dependents first',
    before: [container('db'), container('api', { dependsOn: ['db'] })],
    desired: [container('db', { state: 'stopped' }), container('api', { dependsOn: ['db'], state: 'stopped' })],
    actions: ['stop-container:api', 'stop-container:db'],
    check: (result) => assert.ok(ordered(result, 'stop-container:api', 'stop-container:db')),
  },
  {
    name: 'a container in container: network mode is created after, and recreated with, the one it shares',
    before: [container('main'), container('sidecar', { networkMode: 'container:main' })],
    desired: [container('main', { env: { V: '2' } }), container('sidecar', { networkMode: 'container:main' })],
    actions: ['pull-image:main', 'pull-image:sidecar', 'recreate-container:main', 'recreate-container:sidecar', 'start-container:main', 'start-container:sidecar'],
    check: (result) => {
      assert.ok(ordered(result, 'recreate-container:main', 'recreate-container:sidecar'));
      assert.ok(ordered(result, 'start-container:main', 'start-container:sidecar'));
      assert.match(find(result, 'recreate-container:sidecar').reason, /shares the network namespace of container main, which is recreated/);
    },
  },
  {
    name: 'the source of a legacy link is recreated with its target, which the engine binds it to',
    before: [container('server', { expose: [80] }), container('client'), link('client-server', { from: 'client', to: 'server' })],
    desired: [container('server', { expose: [80, 81] }), container('client'), link('client-server', { from: 'client', to: 'server' })],
    actions: ['pull-image:client', 'pull-image:server', 'recreate-container:server', 'recreate-container:client', 'start-container:server', 'start-container:client'],
    check: (result) => {
      assert.ok(ordered(result, 'recreate-container:server', 'recreate-container:client'));
      assert.ok(ordered(result, 'start-container:server', 'start-container:client'));
      assert.equal(find(result, 'recreate-container:client').reason, 'it has a legacy link to container server, which is recreated');
    },
  },
  {
    name: 'host and none network modes join no network',
    desired: [container('h', { networkMode: 'host' }), container('n', { networkMode: 'none' })],
    actions: ['pull-image:h', 'pull-image:n', 'create-container:h', 'create-container:n', 'start-container:h', 'start-container:n'],
    check: (result) => {
      const config = find<'create-container'>(result, 'create-container:h').container;
      assert.equal(config.networkMode, 'host');
      assert.deepEqual(config.endpoints, []);
    },
  },
  {
    name: 'a network no manifest declares and the engine lacks is an error on it',
    desired: [container('web', { networks: [{ name: 'nowhere' }] })],
    actions: [],
    problems: ['Network/nowhere', 'Container/web'],
  },
];

describe('plan: scenarios reached by converging the fake engine first', () => {
  for (const testCase of cases) {
    it(testCase.name, async () => {
      const engine = new FakeEngine();
      if (testCase.before) {
        const result = await converge(engine, desiredState(testCase.before));
        assert.ok(result.converged, `the setup did not converge: ${JSON.stringify(result.errors)}`);
      }
      await testCase.drift?.(engine);
      const result = await planFor(engine, desiredState(testCase.desired, testCase.unavailableFiles), { allowEmpty: testCase.allowEmpty ?? false });
      assert.deepEqual(ids(result), testCase.actions);
      assert.deepEqual(result.problems.map((problem) => problem.resource), testCase.problems ?? [], JSON.stringify(result.problems));
      testCase.check?.(result, engine);
    });
  }

  it('is pure: the same inputs give the same plan, and the inputs are not changed', async () => {
    const engine = new FakeEngine();
    await converge(engine, desiredState(app));
    const desired: DesiredState = desiredState([front, network('back', { internal: true }), web, container('db', { env: { X: '1' } })]);
    const snapshot = JSON.stringify(desired);
    const first = await planFor(engine, desired);
    const second = await planFor(engine, desired);
    assert.deepEqual(second, first);
    assert.equal(JSON.stringify(desired), snapshot);
  });

  it('never plans an action on a resource it does not own', async () => {
    const engine = new FakeEngine();
    engine.seedNetwork({ name: 'front' });
    engine.seedContainer({ name: 'db' });
    engine.seedContainer({ name: 'other-instance', labels: ownerLabels({ instance: 'other', kind: 'Container', name: 'x', source: 'x', specHash: 'x' }) });
    const result = await planFor(engine, desiredState(app), { allowEmpty: true });
    const foreign = new Set(['Network/front', 'Container/db', 'Container/other-instance']);
    assert.deepEqual(result.actions.filter((action) => foreign.has(action.resource)), []);
  });
});
