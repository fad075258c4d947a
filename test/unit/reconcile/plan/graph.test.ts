import { container, link, network } from '../fixtures.js';
import type { Row } from './table.js';
import { planTable, runs } from './table.js';

const nowhere = 'network nowhere does not exist and no manifest declares it';
const pairOf = (networks: { name: string }[]) => [
  container('one', { networks }),
  container('two', { networks }),
  link('one-to-two', { from: 'one', to: 'two', network: 'pair' }),
  link('two-to-one', { from: 'two', to: 'one', network: 'pair' }),
];

const rows: Row[] = [
  {
    name: 'order: teardown first, then build-up, when dependencies leave a choice',
    desired: [network('n'), container('a', { state: 'stopped' })],
    observed: runs([container('a'), container('z')]),
    actions: [
      ['stop-container', 'Container/a', 'the container is running; state: stopped', []],
      ['remove-container', 'Container/z', 'no manifest declares it', []],
      ['create-network', 'Network/n', 'declared in app.yaml', []],
    ],
  },
  {
    name: 'a dependsOn target starts before its dependent; a legacy link target is made and started before its source',
    desired: [container('db'), container('api', { dependsOn: ['db'] }), container('client'), link('client-api', { from: 'client', to: 'api' })],
    actions: [
      ['pull-image', 'Container/api', 'pullPolicy IfNotPresent', []],
      ['pull-image', 'Container/client', 'pullPolicy IfNotPresent', []],
      ['pull-image', 'Container/db', 'pullPolicy IfNotPresent', []],
      ['create-container', 'Container/api', 'declared in app.yaml', ['pull-image:api']],
      ['create-container', 'Container/client', 'declared in app.yaml', ['create-container:api', 'pull-image:client']],
      ['create-container', 'Container/db', 'declared in app.yaml', ['pull-image:db']],
      ['start-container', 'Container/db', 'created; state: running', ['create-container:db']],
      ['start-container', 'Container/api', 'created; state: running', ['create-container:api', 'create-container:db', 'start-container:db']],
      ['start-container', 'Container/client', 'created; state: running', ['create-container:api', 'create-container:client', 'start-container:api']],
    ],
  },
  {
    name: 'network-scoped links both ways: neither end waits for the other',
    desired: [network('pair'), ...pairOf([{ name: 'pair' }])],
    actions: [
      ['create-network', 'Network/pair', 'declared in app.yaml', []],
      ['pull-image', 'Container/one', 'pullPolicy IfNotPresent', []],
      ['pull-image', 'Container/two', 'pullPolicy IfNotPresent', []],
      ['create-container', 'Container/one', 'declared in app.yaml', ['create-network:pair', 'pull-image:one']],
      ['create-container', 'Container/two', 'declared in app.yaml', ['create-network:pair', 'pull-image:two']],
      ['start-container', 'Container/one', 'created; state: running', ['create-container:one']],
      ['start-container', 'Container/two', 'created; state: running', ['create-container:two']],
    ],
  },
  {
    name: 'a connect waits only for its own container and its network',
    desired: [network('front'), network('pair'), ...pairOf([{ name: 'front' }, { name: 'pair' }])],
    observed: runs([network('front'), network('pair')]),
    actions: [
      ['pull-image', 'Container/one', 'pullPolicy IfNotPresent', []],
      ['pull-image', 'Container/two', 'pullPolicy IfNotPresent', []],
      ['create-container', 'Container/one', 'declared in app.yaml', ['pull-image:one']],
      ['create-container', 'Container/two', 'declared in app.yaml', ['pull-image:two']],
      ['connect', 'Container/one', 'joins network pair (links two:two)', ['create-container:one']],
      ['connect', 'Container/two', 'joins network pair (links one:one)', ['create-container:two']],
      ['start-container', 'Container/one', 'created; state: running', ['connect:one:pair', 'create-container:one']],
      ['start-container', 'Container/two', 'created; state: running', ['connect:two:pair', 'create-container:two']],
    ],
  },
  {
    name: 'what needs an unusable resource is dropped, and so is what needs that, each with a problem; unneeded pulls go too',
    desired: [container('web', { networks: [{ name: 'nowhere' }] }), container('api', { dependsOn: ['web'] })],
    actions: [
      ['pull-image', 'Container/api', 'pullPolicy IfNotPresent', []],
      ['create-container', 'Container/api', 'declared in app.yaml', ['pull-image:api']],
    ],
    problems: [
      ['Network/nowhere', nowhere],
      ['Container/web', `skipped: needs Network/nowhere: ${nowhere}`],
      ['Container/api', `skipped: needs Container/web: it is not created (needs Network/nowhere: ${nowhere})`],
    ],
  },
  {
    name: 'actions whose dependencies form a cycle are skipped, each with a problem',
    desired: [container('a', { dependsOn: ['b'] }), container('b', { dependsOn: ['a'] })],
    actions: [
      ['pull-image', 'Container/a', 'pullPolicy IfNotPresent', []],
      ['pull-image', 'Container/b', 'pullPolicy IfNotPresent', []],
      ['create-container', 'Container/a', 'declared in app.yaml', ['pull-image:a']],
      ['create-container', 'Container/b', 'declared in app.yaml', ['pull-image:b']],
    ],
    problems: [
      ['Container/a', 'skipped start-container:a: its dependencies form a cycle (start-container:b)'],
      ['Container/b', 'skipped start-container:b: its dependencies form a cycle (start-container:a)'],
    ],
  },
];

describe('plan: dependencies and order', () => planTable(rows));
