import assert from 'node:assert/strict';
import { parseManifest } from '../../../src/manifests/parse.js';
import { validateManifestSet } from '../../../src/manifests/validate.js';

/** One document per line, so that document `i` of a file is on line `2i + 1` (documents are separated by `---`). */
const doc = (kind: string, name: string, spec: string) => `{apiVersion: mooring/v1, kind: ${kind}, metadata: {name: ${name}}, spec: ${spec}}`;
const net = (name: string, spec = '') => doc('Network', name, `{${spec}}`);
const ctr = (name: string, spec = '') => doc('Container', name, `{image: mooring/busybox:latest${spec ? `, ${spec}` : ''}}`);
const lnk = (name: string, spec: string) => doc('Link', name, `{${spec}}`);
const pub = (name: string, spec: string) => doc('PortPublish', name, `{${spec}}`);
const prb = (name: string, spec: string) => doc('Probe', name, `{${spec}}`);

type Files = Record<string, string[]>;
/** An expected error: in `file`, on `line`, at the column where the text `at` starts, then `Kind/name: path: message`. */
type Expected = [file: string, line: number, at: string, rest: string];

function textOf(documents: string[]): string {
  return documents.join('\n---\n');
}

function validate(files: Files): string[] {
  const documents = Object.entries(files).flatMap(([file, documents]) => {
    const parsed = parseManifest(file, textOf(documents));
    assert.deepEqual(parsed.errors.map((error) => error.message), [], 'the fixture itself must match the schema');
    return parsed.documents;
  });
  return validateManifestSet(documents).map((error) => error.message);
}

/** `file:line:col` of the text `at` on that line of the fixture. */
function position(files: Files, file: string, line: number, at: string): string {
  const text = textOf(files[file] ?? []).split('\n')[line - 1] ?? '';
  const column = text.indexOf(at) + 1;
  assert.ok(column > 0, `${JSON.stringify(at)} is not on ${file}:${line}`);
  return `${file}:${line}:${column}`;
}

const expand = (files: Files, expected: Expected[]) =>
  expected.map(([file, line, at, rest]) => `${position(files, file, line, at)}: ${rest.replace(/@\{(\S+?):(\d+):(.+?)\}/g, (_, f: string, l: string, a: string) => position(files, f, Number(l), a))}`);

interface Case {
  title: string;
  files: Files;
  expected: Expected[];
}

const cases: Case[] = [
  // Names
  {
    title: 'the same kind and name twice, across files',
    files: { 'a.yaml': [ctr('web')], 'b.yaml': [ctr('web')] },
    expected: [['b.yaml', 1, 'name: web', 'Container/web: metadata.name: duplicate Container/web: already declared at @{a.yaml:1:name: web}']],
  },
  { title: 'the same name for different kinds', files: { 'a.yaml': [net('web'), ctr('web', 'networks: [{name: web}]')] }, expected: [] },
  // Networks
  {
    title: 'an undeclared network, with a suggestion',
    files: { 'a.yaml': [net('front'), ctr('web', 'networks: [{name: frnt}]')] },
    expected: [['a.yaml', 3, 'name: frnt', 'Container/web: spec.networks.0.name: network `frnt` is not declared (declare a Network, with `external: true` for one that exists already); did you mean `front`?']],
  },
  { title: 'an external network and the built-in bridge may be referenced', files: { 'a.yaml': [net('shared', 'external: true'), ctr('web', 'networks: [{name: shared}, {name: bridge}]')] }, expected: [] },
  {
    title: 'host joined as a network',
    files: { 'a.yaml': [ctr('web', 'networks: [{name: host}]')] },
    expected: [['a.yaml', 1, 'name: host', 'Container/web: spec.networks.0.name: `host` cannot be joined as a network: use `networkMode: host`']],
  },
  {
    title: 'networks and networkMode together',
    files: { 'a.yaml': [ctr('web', 'networks: [{name: bridge}], networkMode: host')] },
    expected: [['a.yaml', 1, 'networkMode', 'Container/web: spec.networkMode: expected either `networks` or `networkMode`, got both']],
  },
  {
    title: 'a network listed twice',
    files: { 'a.yaml': [net('front'), ctr('web', 'networks: [{name: front}, {name: front}]')] },
    expected: [['a.yaml', 3, 'name: front}]', 'Container/web: spec.networks.1.name: network `front` is listed twice']],
  },
  {
    title: 'a built-in network declared',
    files: { 'a.yaml': [net('bridge'), net('host', 'external: true')] },
    expected: [['a.yaml', 1, 'name: bridge', 'Network/bridge: metadata.name: `bridge` is a built-in network: reference it without declaring it (or declare it with `external: true`)']],
  },
  {
    title: 'a gateway and range outside the subnet',
    files: { 'a.yaml': [net('front', 'ipam: {subnet: 10.1.0.0/16, gateway: 10.2.0.1, ipRange: 10.1.0.0/15}')] },
    expected: [
      ['a.yaml', 1, 'gateway', 'Network/front: spec.ipam.gateway: expected an address in subnet 10.1.0.0/16, got 10.2.0.1'],
      ['a.yaml', 1, 'ipRange', 'Network/front: spec.ipam.ipRange: expected a range within subnet 10.1.0.0/16, got 10.1.0.0/15'],
    ],
  },
  // References to containers
  {
    title: 'networkMode and dependsOn naming undeclared containers',
    files: { 'a.yaml': [ctr('web', 'networkMode: "container:proxy", dependsOn: [db]')] },
    expected: [
      ['a.yaml', 1, 'networkMode', 'Container/web: spec.networkMode: Container/proxy is not declared'],
      ['a.yaml', 1, 'db]', 'Container/web: spec.dependsOn.0: Container/db is not declared'],
    ],
  },
  {
    title: 'a Link between undeclared containers',
    files: { 'a.yaml': [ctr('web'), lnk('web-db', 'from: wbe, to: db')] },
    expected: [
      ['a.yaml', 3, 'from', 'Link/web-db: spec.from: Container/wbe is not declared; did you mean `web`?'],
      ['a.yaml', 3, 'to: db', 'Link/web-db: spec.to: Container/db is not declared'],
    ],
  },
  {
    title: 'a PortPublish of an undeclared container',
    files: { 'a.yaml': [pub('web-http', 'container: web, containerPort: 80')] },
    expected: [['a.yaml', 1, 'container: web', 'PortPublish/web-http: spec.container: Container/web is not declared']],
  },
  {
    title: 'a Probe from an undeclared container; from the host is fine',
    files: { 'a.yaml': [prb('p1', 'from: app, to: db, ports: [1]'), prb('p2', 'from: host, to: 127.0.0.1, ports: [1]')] },
    expected: [['a.yaml', 1, 'from', 'Probe/p1: spec.from: Container/app is not declared (or `host`)']],
  },
  {
    title: "a Probe to an undeclared container's address",
    files: { 'a.yaml': [prb('p', 'from: host, to: {container: ghost, network: bridge}, ports: [1]')] },
    expected: [['a.yaml', 1, 'container', 'Probe/p: spec.to.container: Container/ghost is not declared']],
  },
  {
    title: "a Probe to a container's address on an undeclared network",
    files: { 'a.yaml': [ctr('web'), prb('p', 'from: host, to: {container: web, network: back}, ports: [1]')] },
    expected: [['a.yaml', 3, 'network', 'Probe/p: spec.to.network: network `back` is not declared (declare a Network, with `external: true` for one that exists already)']],
  },
  {
    title: "a Probe to a container's address on a network it is not attached to; on its own network is fine",
    files: { 'a.yaml': [net('back'), ctr('web'), prb('p', 'from: host, to: {container: web, network: back}, ports: [1]'), prb('p2', 'from: host, to: {container: web, network: bridge}, ports: [1]')] },
    expected: [['a.yaml', 5, 'network', 'Probe/p: spec.to.network: Container/web is not attached to network `back` (its networks: bridge): it has no address there to probe']],
  },
  // Links
  {
    title: 'a network-scoped link on an undeclared network',
    files: { 'a.yaml': [ctr('a'), ctr('b'), lnk('a-b', 'from: a, to: b, network: back')] },
    expected: [['a.yaml', 5, 'network', 'Link/a-b: spec.network: network `back` is not declared (declare a Network, with `external: true` for one that exists already)']],
  },
  {
    title: 'a network-scoped link on the default bridge',
    files: { 'a.yaml': [ctr('a'), ctr('b'), lnk('a-b', 'from: a, to: b, network: bridge')] },
    expected: [['a.yaml', 5, 'network', 'Link/a-b: spec.network: a network-scoped link needs a user-defined network; leave `network` out for a legacy link on the default bridge']],
  },
  {
    title: 'a network-scoped link whose container is not on the network',
    files: { 'a.yaml': [net('back'), ctr('a', 'networks: [{name: back}]'), ctr('b'), lnk('a-b', 'from: a, to: b, network: back')] },
    expected: [['a.yaml', 7, 'to: b', 'Link/a-b: spec.to: Container/b is not attached to network `back`: a network-scoped link needs both containers on it']],
  },
  {
    title: 'a legacy link whose container is not on the default bridge',
    files: { 'a.yaml': [net('back'), ctr('a', 'networks: [{name: back}]'), ctr('b', 'networks: [{name: bridge}]'), lnk('a-b', 'from: a, to: b')] },
    expected: [
      [
        'a.yaml',
        7,
        'from',
        'Link/a-b: spec.from: Container/a is not on the default `bridge` network: a legacy link needs both containers there (set `network` for a link on a user-defined network)',
      ],
    ],
  },
  {
    title: 'a link from a container without network',
    files: { 'a.yaml': [ctr('a', 'networkMode: none'), ctr('b'), lnk('a-b', 'from: a, to: b')] },
    expected: [['a.yaml', 5, 'from', 'Link/a-b: spec.from: Container/a has `networkMode: none`: it has no network to link on']],
  },
  {
    title: 'two links from one container under one alias',
    files: { 'a.yaml': [ctr('a'), ctr('b'), ctr('c'), lnk('a-b', 'from: a, to: b, alias: db'), lnk('a-c', 'from: a, to: c, alias: db')] },
    expected: [['a.yaml', 9, 'alias', 'Link/a-c: spec.alias: alias `db` of Container/a is already used by Link/a-b (@{a.yaml:7:alias})']],
  },
  // PortPublish
  {
    title: 'publishing from containers on the host network, without network, or sharing another one',
    files: {
      'a.yaml': [
        ctr('h', 'networkMode: host'),
        ctr('n', 'networkMode: none'),
        ctr('s', 'networkMode: "container:h"'),
        pub('h-80', 'container: h, containerPort: 80'),
        pub('n-80', 'container: n, containerPort: 80'),
        pub('s-80', 'container: s, containerPort: 80'),
      ],
    },
    expected: [
      ['a.yaml', 7, 'container: h', 'PortPublish/h-80: spec.container: Container/h has `networkMode: host`: its ports cannot be published, since it uses the host network, so its ports are the host\u2019s already'],
      ['a.yaml', 9, 'container: n', 'PortPublish/n-80: spec.container: Container/n has `networkMode: none`: its ports cannot be published, since it has no network'],
      ['a.yaml', 11, 'container: s', 'PortPublish/s-80: spec.container: Container/s has `networkMode: container:h`: its ports cannot be published, since it shares the network of h; publish on that container instead'],
    ],
  },
  {
    title: 'the same host port twice, and a wildcard bind overlapping a specific one',
    files: {
      'a.yaml': [
        ctr('web'),
        pub('p1', 'container: web, containerPort: 80, hostPort: 8080'),
        pub('p2', 'container: web, containerPort: 81, hostPort: 8080, hostIp: 127.0.0.1'),
        pub('p3', 'container: web, containerPort: 82, hostPort: 8080, protocol: udp'),
        pub('p4', 'container: web, containerPort: 83, hostPort: 9090, hostIp: 127.0.0.1'),
        pub('p5', 'container: web, containerPort: 84, hostPort: 9090, hostIp: 127.0.0.2'),
        pub('p6', 'container: web, containerPort: 85'),
        pub('p7', 'container: web, containerPort: 86'),
        pub('p8', 'container: web, containerPort: 87, hostPort: 9090, hostIp: "::"'),
      ],
    },
    expected: [['a.yaml', 5, 'hostPort', 'PortPublish/p2: spec.hostPort: host port 127.0.0.1:8080/tcp is already published by PortPublish/p1 (@{a.yaml:3:hostPort})']],
  },
  // Addresses and aliases
  {
    title: 'fixed addresses outside the subnet, without a subnet, on the default bridge, and twice',
    files: {
      'a.yaml': [
        net('front', 'ipam: {subnet: 10.1.0.0/24}'),
        net('plain'),
        net('shared', 'external: true'),
        ctr('a', 'networks: [{name: front, ipv4Address: 10.1.1.5}]'),
        ctr('b', 'networks: [{name: plain, ipv4Address: 10.9.0.5}]'),
        ctr('c', 'networks: [{name: bridge, ipv4Address: 172.17.0.50}]'),
        ctr('d', 'networks: [{name: front, ipv4Address: 10.1.0.5}, {name: shared, ipv4Address: 192.168.7.7}]'),
        ctr('e', 'networks: [{name: front, ipv4Address: 10.1.0.5}]'),
      ],
    },
    expected: [
      ['a.yaml', 7, 'ipv4Address', 'Container/a: spec.networks.0.ipv4Address: expected an address in subnet 10.1.0.0/24 of network `front`, got 10.1.1.5'],
      ['a.yaml', 9, 'ipv4Address', 'Container/b: spec.networks.0.ipv4Address: a fixed ipv4Address needs a user-defined network with `ipam.subnet`; `plain` has none'],
      ['a.yaml', 11, 'ipv4Address', 'Container/c: spec.networks.0.ipv4Address: a fixed ipv4Address needs a user-defined network with `ipam.subnet`; `bridge` has none'],
      ['a.yaml', 15, 'ipv4Address', 'Container/e: spec.networks.0.ipv4Address: address 10.1.0.5 on network `front` is already used by Container/d (@{a.yaml:13:ipv4Address})'],
    ],
  },
  {
    title: 'one alias for two containers in one network, and an alias that is another container\u2019s name',
    files: {
      'a.yaml': [
        net('front'),
        net('back'),
        ctr('a', 'networks: [{name: front, aliases: [db, a]}, {name: back, aliases: [cache]}]'),
        ctr('b', 'networks: [{name: front, aliases: [db]}, {name: back, aliases: [a]}]'),
        ctr('c', 'networks: [{name: back, aliases: [cache2]}, {name: front, aliases: [cache]}]'),
      ],
    },
    expected: [
      ['a.yaml', 7, 'db]', 'Container/b: spec.networks.0.aliases.0: alias `db` on network `front` is already used by Container/a (@{a.yaml:5:db,})'],
      ['a.yaml', 7, 'a]}]', 'Container/b: spec.networks.1.aliases.0: alias `a` on network `back` is already used by Container/a (@{a.yaml:5:name: a})'],
    ],
  },
  {
    title: 'aliases on the default bridge',
    files: { 'a.yaml': [ctr('a', 'networks: [{name: bridge, aliases: [www]}]')] },
    expected: [['a.yaml', 1, 'aliases', 'Container/a: spec.networks.0.aliases: aliases need a user-defined network: the default `bridge` does not resolve names']],
  },
  // Cycles
  {
    title: 'a container that depends on itself',
    files: { 'a.yaml': [ctr('a', 'dependsOn: [a]')] },
    expected: [['a.yaml', 1, 'a]', 'Container/a: spec.dependsOn.0: dependency cycle: a \u2192 a (a \u2192 a by dependsOn); none of these containers can start first']],
  },
  {
    title: 'a cycle through dependsOn, a Link and a shared network namespace, reported once',
    files: {
      'a.yaml': [ctr('web', 'dependsOn: [api]'), ctr('api', 'networkMode: "container:db"'), ctr('db')],
      'b.yaml': [lnk('db-web', 'from: db, to: web')],
    },
    expected: [
      [
        'a.yaml',
        3,
        'networkMode',
        'Container/api: spec.networkMode: dependency cycle: api \u2192 db \u2192 web \u2192 api (api \u2192 db by networkMode, db \u2192 web by Link/db-web, web \u2192 api by dependsOn); none of these containers can start first',
      ],
    ],
  },
  {
    title: 'legacy links both ways are a cycle: each needs the other to exist first',
    files: { 'a.yaml': [ctr('one'), ctr('two'), lnk('one-to-two', 'from: one, to: two'), lnk('two-to-one', 'from: two, to: one')] },
    expected: [
      [
        'a.yaml',
        5,
        'to: two',
        'Link/one-to-two: spec.to: dependency cycle: one \u2192 two \u2192 one (one \u2192 two by Link/one-to-two, two \u2192 one by Link/two-to-one); none of these containers can start first',
      ],
    ],
  },
  {
    title: 'network-scoped links both ways are no cycle: they order nothing',
    files: {
      'a.yaml': [
        net('n'),
        ctr('one', 'networks: [{name: n}]'),
        ctr('two', 'networks: [{name: n}]'),
        lnk('one-to-two', 'from: one, to: two, network: n'),
        lnk('two-to-one', 'from: two, to: one, network: n'),
      ],
    },
    expected: [],
  },
  {
    title: 'a ring of network-scoped links, and one against dependsOn, are no cycle',
    files: {
      'a.yaml': [
        net('n'),
        ctr('a', 'networks: [{name: n}], dependsOn: [c]'),
        ctr('b', 'networks: [{name: n}]'),
        ctr('c', 'networks: [{name: n}]'),
        lnk('a-b', 'from: a, to: b, network: n'),
        lnk('b-c', 'from: b, to: c, network: n'),
        lnk('c-a', 'from: c, to: a, network: n'),
      ],
    },
    expected: [],
  },
  {
    title: 'a Link from a container to itself, legacy or network-scoped, is refused as what it is',
    files: { 'a.yaml': [net('n'), ctr('a', 'networks: [{name: bridge}, {name: n}]'), lnk('a-a', 'from: a, to: a'), lnk('a-me', 'from: a, to: a, network: n, alias: me')] },
    expected: [
      ['a.yaml', 5, 'to: a', 'Link/a-a: spec.to: a Link from Container/a to itself: a container needs none to reach itself (on `localhost`, or by a network alias in `spec.networks`)'],
      ['a.yaml', 7, 'to: a', 'Link/a-me: spec.to: a Link from Container/a to itself: a container needs none to reach itself (on `localhost`, or by a network alias in `spec.networks`)'],
    ],
  },
  {
    title: 'dependencies without a cycle',
    files: { 'a.yaml': [ctr('a', 'dependsOn: [b, c]'), ctr('b', 'dependsOn: [c]'), ctr('c'), lnk('a-c', 'from: a, to: c')] },
    expected: [],
  },
  // Builds
  {
    title: 'one image built from two contexts, across files; built alike, or by one container, it is fine',
    files: {
      'a.yaml': [doc('Container', 'api', '{image: team/api:dev, build: ./api}'), doc('Container', 'worker', '{image: team/api:dev, build: {context: ./api}}')],
      'b.yaml': [doc('Container', 'api2', '{image: team/api:dev, build: {context: ./api, args: {MODE: two}}}'), doc('Container', 'web', '{image: team/web:dev, build: ./web}')],
    },
    expected: [['b.yaml', 1, 'build:', 'Container/api2: spec.build: image team/api:dev is also built by Container/api (@{a.yaml:1:build:}) from another context or settings: build it alike, or give each its own image']],
  },
];

describe('validateManifestSet', () => {
  for (const { title, files, expected } of cases) {
    it(title, () => assert.deepEqual(validate(files), expand(files, expected)));
  }

  it('reports two separate cycles each', () => {
    const errors = validate({ 'a.yaml': [ctr('a', 'dependsOn: [b]'), ctr('b', 'dependsOn: [a]'), ctr('c', 'dependsOn: [d]'), ctr('d', 'dependsOn: [c]')] });
    assert.deepEqual(
      errors.map((error) => error.replace(/^.*dependency cycle: (.*?) \(.*$/, '$1')),
      ['a \u2192 b \u2192 a', 'c \u2192 d \u2192 c'],
    );
  });
});
