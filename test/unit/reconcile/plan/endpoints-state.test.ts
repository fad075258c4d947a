import assert from 'node:assert/strict';
import { DEFAULT_NETWORK } from '../../../../src/manifests/container-networks.js';
import { container, link } from '../fixtures.js';
import { app, back, db, front } from './documents.js';
import type { Row } from './table.js';
import { endpoint, find, planTable, runs } from './table.js';

const webToDb = link('web-db', { from: 'web', to: 'db', network: 'back', alias: 'sql' });

const endpoints: Row[] = [
  {
    name: 'an alias change reconnects in place, with what changed',
    desired: [front, back, container('web', { networks: [{ name: 'front', aliases: ['www', 'site'] }, { name: 'back' }] }), db],
    observed: runs(app),
    actions: [
      ['disconnect', 'Container/web', 'endpoint settings changed; reconnect', []],
      ['connect', 'Container/web', 'endpoint settings changed (aliases site, www)', ['disconnect:web:front']],
    ],
    check: (result) => assert.deepEqual(find(result, 'connect:web:front').changes, [{ field: 'networks.front.aliases', from: 'www', to: 'site, www' }]),
  },
  {
    name: 'joining and leaving networks is done in place',
    desired: [front, back, container('web', { networks: [{ name: 'front', aliases: ['www'] }] }), container('db', { networks: [{ name: 'back', aliases: ['database'] }, { name: 'front' }] })],
    observed: runs(app),
    actions: [
      ['disconnect', 'Container/web', 'no manifest attaches it to network back', []],
      ['connect', 'Container/db', 'not connected to network front', []],
    ],
  },
  {
    name: 'a network-scoped link is an endpoint setting: it reconnects, never recreates',
    desired: [...app, webToDb],
    observed: runs(app),
    actions: [
      ['disconnect', 'Container/web', 'endpoint settings changed; reconnect', []],
      ['connect', 'Container/web', 'endpoint settings changed (links db:sql)', ['disconnect:web:back']],
    ],
    check: (result) => assert.deepEqual(find(result, 'connect:web:back').changes, [{ field: 'networks.back.links', to: 'db:sql' }]),
  },
  {
    // The adapter reads Docker's `/db:/web/sql` as `db:sql` (test/unit/engine/docker/mapping.test.ts).
    name: 'a link the engine reports as declared is the same link',
    desired: [...app, webToDb],
    observed: runs(app, { web: { endpoints: [endpoint('web', 'front', ['www']), endpoint('web', 'back', [], ['db:sql'])] } }),
    actions: [],
  },
  {
    name: 'a changed address reconnects with it',
    desired: [front, back, container('db', { networks: [{ name: 'back', aliases: ['database'], ipv4Address: '10.77.0.9' }] })],
    observed: runs([front, back, db], { db: { endpoints: [{ ...endpoint('db', 'back', ['database']), ipv4Address: '10.77.0.5' }] } }),
    actions: [
      ['disconnect', 'Container/db', 'endpoint settings changed; reconnect', []],
      ['connect', 'Container/db', 'endpoint settings changed (aliases database; ipv4 10.77.0.9)', ['disconnect:db:back']],
    ],
    check: (result) => assert.deepEqual(find(result, 'connect:db:back').changes, [{ field: 'networks.back.ipv4Address', from: '10.77.0.5', to: '10.77.0.9' }]),
  },
  {
    name: 'a container connected by hand to another network is disconnected from it; one disconnected by hand is reconnected',
    desired: app,
    observed: runs(app, {
      db: { endpoints: [endpoint('db', 'back', ['database']), endpoint('db', 'front')] },
      web: { endpoints: [endpoint('web', 'front', ['www'])] },
    }),
    actions: [
      ['disconnect', 'Container/db', 'no manifest attaches it to network front', []],
      ['connect', 'Container/web', 'not connected to network back', []],
    ],
  },
  {
    name: 'a container in host or container: network mode has no endpoints to keep',
    desired: [container('main'), container('h', { networkMode: 'host' }), container('side', { networkMode: 'container:main' })],
    observed: runs([container('main'), container('h', { networkMode: 'host' }), container('side', { networkMode: 'container:main' })], {
      h: { endpoints: [endpoint('h', 'host')] },
      side: { endpoints: [endpoint('side', DEFAULT_NETWORK)] },
    }),
    actions: [],
  },
];

const a = container('a');
const states: Row[] = [
  {
    name: 'state stopped stops a running container, with its stop timeout',
    desired: [container('a', { state: 'stopped', stopTimeout: 4 })],
    observed: runs([container('a', { stopTimeout: 4 })]),
    actions: [['stop-container', 'Container/a', 'the container is running; state: stopped', []]],
    check: (result) => assert.equal(find<'stop-container'>(result, 'stop-container:a').stopTimeoutSeconds, 4),
  },
  {
    name: 'state stopped stops a restarting or paused container, and leaves an exited one alone',
    desired: ['r', 'p', 'e'].map((name) => container(name, { state: 'stopped' })),
    observed: runs(['r', 'p', 'e'].map((name) => container(name, { state: 'stopped' })), { r: { status: 'restarting' }, p: { status: 'paused' }, e: { status: 'exited' } }),
    actions: [
      ['stop-container', 'Container/p', 'the container is paused; state: stopped', []],
      ['stop-container', 'Container/r', 'the container is restarting; state: stopped', []],
    ],
  },
  {
    name: 'a new container declared stopped is created and not started',
    desired: [container('a', { state: 'stopped' })],
    actions: [
      ['pull-image', 'Container/a', 'pullPolicy IfNotPresent', []],
      ['create-container', 'Container/a', 'declared in app.yaml and not present', ['pull-image:a']],
    ],
  },
  {
    name: 'an exited or created container declared running is started, and may be replaced should the engine refuse for good',
    desired: [a, container('b')],
    observed: runs([a, container('b')], { a: { status: 'exited' }, b: { status: 'created' } }),
    actions: [
      ['start-container', 'Container/a', 'the container is exited; state: running', []],
      ['start-container', 'Container/b', 'the container is created; state: running', []],
    ],
    check: (result) => {
      const start = find<'start-container'>(result, 'start-container:a');
      assert.equal(start.replaceIfUnstartable?.containerId, 'ctr-a');
      assert.equal(start.replaceIfUnstartable?.container.name, 'a');
      assert.equal(start.unpause, undefined);
    },
  },
  {
    name: 'a one-shot whose restart policy is no or on-failure is left exited once it exited with 0; one that failed, or restarts always, is started',
    desired: [container('job', { restartPolicy: 'no' }), container('retry', { restartPolicy: 'on-failure' }), container('failed', { restartPolicy: 'no' }), container('server', { restartPolicy: 'always' })],
    observed: runs([container('job', { restartPolicy: 'no' }), container('retry', { restartPolicy: 'on-failure' }), container('failed', { restartPolicy: 'no' }), container('server', { restartPolicy: 'always' })], {
      job: { status: 'exited', exitCode: 0 },
      retry: { status: 'exited', exitCode: 0 },
      failed: { status: 'exited', exitCode: 1 },
      server: { status: 'exited', exitCode: 0 },
    }),
    actions: [
      ['start-container', 'Container/failed', 'the container is exited; state: running', []],
      ['start-container', 'Container/server', 'the container is exited; state: running', []],
    ],
  },
  {
    name: 'a paused container declared running is unpaused, never replaced',
    desired: [a],
    observed: runs([a], { a: { status: 'paused' } }),
    actions: [['start-container', 'Container/a', 'the container is paused; state: running', []]],
    check: (result) => {
      const start = find<'start-container'>(result, 'start-container:a');
      assert.equal(start.unpause, true);
      assert.equal(start.replaceIfUnstartable, undefined);
    },
  },
  {
    name: 'a container another is bound to by id is started but never replaced',
    desired: [container('main'), container('side', { networkMode: 'container:main' })],
    observed: runs([container('main'), container('side', { networkMode: 'container:main' })], { main: { status: 'created' }, side: { status: 'created' } }),
    actions: [
      ['start-container', 'Container/main', 'the container is created; state: running', []],
      ['start-container', 'Container/side', 'the container is created; state: running', ['start-container:main']],
    ],
    check: (result) => {
      assert.equal(find<'start-container'>(result, 'start-container:main').replaceIfUnstartable, undefined);
      assert.ok(find<'start-container'>(result, 'start-container:side').replaceIfUnstartable);
    },
  },
  {
    name: 'stopping goes in reverse: whatever needs a container stops first',
    desired: [container('db', { state: 'stopped' }), container('api', { dependsOn: ['db'], state: 'stopped' })],
    observed: runs([container('db'), container('api', { dependsOn: ['db'] })]),
    actions: [
      ['stop-container', 'Container/api', 'the container is running; state: stopped', []],
      ['stop-container', 'Container/db', 'the container is running; state: stopped', ['stop-container:api']],
    ],
  },
];

describe('plan: endpoints', () => planTable(endpoints));
describe('plan: state', () => planTable(states));
