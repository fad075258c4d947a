import assert from 'node:assert/strict';
import type { AnyDocument, Document } from '../../../src/manifests/model.js';
import { splitCommand } from '../../../src/manifests/command-line.js';
import { effectiveContainer, effectiveNetwork, normalizeImage } from '../../../src/reconcile/effective-config.js';
import { container, desiredState, link, network, publish } from './fixtures.js';

function hashOf(subject: Document<'Container'>, others: AnyDocument[] = []): string {
  return effectiveContainer({ document: subject, desired: desiredState([subject, ...others]), instance: 'test' }).hash;
}

describe('effective config', () => {
  describe('splitCommand', () => {
    const cases: [string, string[]][] = [
      ['sleep 3600', ['sleep', '3600']],
      ['  httpd   -f -p 80  ', ['httpd', '-f', '-p', '80']],
      [`sh -c 'echo "a b"; exit 1'`, ['sh', '-c', 'echo "a b"; exit 1']],
      ['echo "a \\"quoted\\" word" x\\ y', ['echo', 'a "quoted" word', 'x y']],
      [`echo '' ""`, ['echo', '', '']],
    ];
    for (const [line, words] of cases) {
      it(`splits ${line}`, () => assert.deepEqual(splitCommand(line), words));
    }

    it('refuses an unclosed quote', () => {
      assert.throws(() => splitCommand('echo "oops'), /expected a closing " in the command line/);
    });
  });

  it('normalizes image references that name the same image', () => {
    for (const reference of ['busybox', 'busybox:latest', 'library/busybox', 'docker.io/library/busybox:latest']) {
      assert.equal(normalizeImage(reference), 'busybox:latest');
    }
    assert.equal(normalizeImage('localhost:5000/app'), 'localhost:5000/app:latest');
    assert.equal(normalizeImage('app@sha256:abc'), 'app@sha256:abc');
  });

  describe('the container spec hash', () => {
    it('is the same for equivalent forms of the same spec', () => {
      const base = hashOf(container('web', {
        image: 'busybox',
        command: 'httpd -f -p 80',
        env: { B: '2', A: 'true', C: '1' },
        expose: [80, '53/udp'],
        labels: { y: '1', x: '2' },
        extraHosts: ['b:10.0.0.2', 'a:host-gateway'],
      }), [publish('p2', { container: 'web', containerPort: 81 }), publish('p1', { container: 'web', containerPort: 80, hostPort: 8080 })]);
      const same = hashOf(container('web', {
        image: 'docker.io/library/busybox:latest',
        command: ['httpd', '-f', '-p', '80'],
        env: { C: 1, A: true, B: 2 },
        expose: ['53/udp', '80/tcp'],
        labels: { x: '2', y: '1' },
        extraHosts: ['a:host-gateway', 'b:10.0.0.2'],
        restartPolicy: 'unless-stopped',
        stopTimeout: 10,
        state: 'running',
        pullPolicy: 'IfNotPresent',
      }), [publish('p1', { container: 'web', containerPort: 80, hostPort: 8080, protocol: 'tcp', hostIp: '0.0.0.0' }), publish('p2', { container: 'web', containerPort: 81 })]);
      assert.equal(same, base);
    });

    it('does not cover what changes in place or does not reach the engine', () => {
      const base = hashOf(container('web'));
      assert.equal(hashOf(container('web', { networks: [{ name: 'front', aliases: ['a', 'b'], ipv4Address: '10.0.0.5' }] })), base);
      assert.equal(hashOf(container('web', { state: 'stopped', pullPolicy: 'Never', dependsOn: ['db'] }), [container('db')]), base);
      assert.equal(hashOf(container('web', {}, 'moved-to-another-file.yaml')), base);
      assert.equal(hashOf(container('web'), [link('l', { from: 'web', to: 'db', network: 'front', alias: 'sql' })]), base);
      assert.equal(hashOf(container('web'), [link('l', { from: 'other', to: 'web' }), publish('p', { container: 'other', containerPort: 80 })]), base);
    });

    it('covers every creation-time setting', () => {
      const base = hashOf(container('web'));
      const changed = [
        hashOf(container('web', { image: 'other' })),
        hashOf(container('web', { command: 'sleep 1' })),
        hashOf(container('web', { entrypoint: 'sh' })),
        hashOf(container('web', { env: { A: '1' } })),
        hashOf(container('web', { workingDir: '/tmp' })),
        hashOf(container('web', { user: 'nobody' })),
        hashOf(container('web', { hostname: 'h' })),
        hashOf(container('web', { labels: { a: 'b' } })),
        hashOf(container('web', { restartPolicy: 'always' })),
        hashOf(container('web', { networkMode: 'host' })),
        hashOf(container('web', { expose: [80] })),
        hashOf(container('web', { extraHosts: ['gw:host-gateway'] })),
        hashOf(container('web', { healthcheck: { test: 'true', interval: '5s' } })),
        hashOf(container('web', { stopTimeout: 3 })),
        hashOf(container('web'), [link('l', { from: 'web', to: 'db' })]),
        hashOf(container('web'), [publish('p', { container: 'web', containerPort: 80 })]),
      ];
      assert.equal(new Set([base, ...changed]).size, changed.length + 1);
    });

    it('stays the same across runs and versions (changing it would recreate every container on upgrade)', () => {
      assert.equal(hashOf(container('web', { image: 'mooring/busybox:latest', command: 'sleep 3600', env: { A: '1' } })), '1bd6b642184461a7');
    });
  });

  it('builds the creation config: first network at creation, merged links and publishes, healthcheck in nanoseconds', () => {
    const web = container('web', {
      networks: [{ name: 'front', aliases: ['www', 'site', 'www'] }, { name: 'back' }],
      healthcheck: { test: 'nc -z localhost 80', interval: '1m30s', timeout: 2, retries: 3 },
      env: { B: 'x', A: 1 },
    });
    const effective = effectiveContainer({
      document: web,
      desired: desiredState([web, link('legacy', { from: 'web', to: 'old', alias: 'o' }), link('scoped', { from: 'web', to: 'db', network: 'back' }), publish('p', { container: 'web', containerPort: 80, protocol: 'udp', hostPort: 5353 })]),
      instance: 'test',
    });
    assert.deepEqual(effective.endpoints, [
      { network: 'front', aliases: ['site', 'www'], links: [] },
      { network: 'back', aliases: [], links: ['db:db'] },
    ]);
    const { config } = effective;
    assert.deepEqual(config.endpoints, [effective.endpoints[0]]);
    assert.equal(config.networkMode, 'front');
    assert.deepEqual(config.env, ['A=1', 'B=x']);
    assert.deepEqual(config.links, ['old:o']);
    assert.deepEqual(config.exposedPorts, ['80/udp']);
    assert.deepEqual(config.portBindings, [{ containerPort: 80, protocol: 'udp', hostIp: '0.0.0.0', hostPort: 5353 }]);
    assert.deepEqual(config.healthcheck, { test: ['CMD-SHELL', 'nc -z localhost 80'], intervalNs: 90e9, timeoutNs: 2e9, retries: 3 });
    assert.deepEqual(config.restartPolicy, { name: 'unless-stopped' });
    // A network-scoped link's target is needed neither to create nor to start the source.
    assert.deepEqual(effective.needs, { dependsOn: [], legacyLinks: ['old'] });
  });

  it('gives the network hash only the network settings', () => {
    const hash = (doc: Document<'Network'>) => effectiveNetwork({ document: doc, instance: 'test' }).hash;
    const base = hash(network('front', { labels: { a: '1', b: '2' }, options: { x: 'y' } }));
    assert.equal(hash(network('front', { labels: { b: '2', a: '1' }, options: { x: 'y' }, driver: 'bridge', internal: false }, 'other.yaml')), base);
    for (const change of [{ internal: true }, { attachable: true }, { enableIPv6: true }, { ipam: { subnet: '10.1.0.0/24' } }, { options: {} }, { driver: 'macvlan' }]) {
      assert.notEqual(hash(network('front', { labels: { a: '1', b: '2' }, options: { x: 'y' }, ...change })), base, JSON.stringify(change));
    }
  });
});
