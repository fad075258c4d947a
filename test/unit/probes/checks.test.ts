import assert from 'node:assert/strict';
import { checksFor } from '../../../src/probes/checks.js';
import { container, desiredState, document, link, publish } from '../reconcile/fixtures.js';

const probe = (name: string, spec: Record<string, unknown>) => document('Probe', name, spec);

/** The fields a user sees in the status, plus how each check connects. */
function summary(documents: Parameters<typeof desiredState>[0]) {
  return checksFor(desiredState(documents)).map(({ name, from, to, targetContainer, port, protocol, expect, target, notProbed }) => ({
    name,
    from,
    to,
    targetContainer,
    port,
    protocol,
    expect,
    target,
    ...(notProbed === undefined ? {} : { notProbed: true }),
  }));
}

describe('checksFor', () => {
  it('checks a Link on its own ports, through its alias', () => {
    assert.deepEqual(summary([container('web'), container('db'), link('web-db', { from: 'web', to: 'db', alias: 'database', network: 'back', ports: [5432, 6432] })]), [
      { name: 'link/web-db:5432', from: 'web', to: 'database', targetContainer: 'db', port: 5432, protocol: 'tcp', expect: 'reachable', target: { type: 'address', host: 'database', port: 5432 } },
      { name: 'link/web-db:6432', from: 'web', to: 'database', targetContainer: 'db', port: 6432, protocol: 'tcp', expect: 'reachable', target: { type: 'address', host: 'database', port: 6432 } },
    ]);
  });

  it("defaults a Link's ports to the target's TCP exposed and published ports, once each", () => {
    const documents = [
      container('web'),
      container('api', { expose: [8080, '9090/tcp', '53/udp', '8080'] }),
      publish('api-http', { container: 'api', containerPort: 80, hostPort: 8000 }),
      publish('api-9090', { container: 'api', containerPort: 9090 }),
      publish('api-dns', { container: 'api', containerPort: 5353, protocol: 'udp' }),
      link('web-api', { from: 'web', to: 'api' }),
    ];
    const ports = checksFor(desiredState(documents))
      .filter((check) => check.kind === 'link')
      .map((check) => [check.name, check.to, check.port]);
    assert.deepEqual(ports, [
      ['link/web-api:80', 'api', 80],
      ['link/web-api:8080', 'api', 8080],
      ['link/web-api:9090', 'api', 9090],
    ]);
  });

  it('makes a Link to a target without ports a DNS-only check on port 0', () => {
    assert.deepEqual(summary([container('a'), container('b'), link('a-b', { from: 'a', to: 'b' })]), [
      { name: 'link/a-b', from: 'a', to: 'b', targetContainer: 'b', port: 0, protocol: 'tcp', expect: 'reachable', target: { type: 'address', host: 'b', port: 0 } },
    ]);
  });

  it('makes a Probe with no ports a DNS-only check on port 0', () => {
    assert.deepEqual(summary([container('a'), container('b'), probe('a-b', { from: 'a', to: 'b', ports: [], expect: 'reachable' })]), [
      { name: 'probe/a-b', from: 'a', to: 'b', targetContainer: 'b', port: 0, protocol: 'tcp', expect: 'reachable', target: { type: 'address', host: 'b', port: 0 } },
    ]);
  });

  for (const [hostIp, dialled] of [
    ['0.0.0.0', '127.0.0.1'],
    ['::', '::1'],
    ['127.0.0.2', '127.0.0.2'],
  ] as const) {
    it(`dials a TCP publish on ${hostIp} from the host at ${dialled}, and the container's own port from inside it`, () => {
      assert.deepEqual(summary([container('web'), publish('web-http', { container: 'web', containerPort: 80, hostPort: 8080, hostIp })]), [
        {
          name: 'publish/web-http',
          from: 'host',
          to: dialled,
          targetContainer: 'web',
          port: 8080,
          protocol: 'tcp',
          expect: 'reachable',
          target: { type: 'publish', host: dialled, hostPort: 8080, container: 'web', containerPort: 80 },
        },
      ]);
    });
  }

  it('looks up an ephemeral host port at round time', () => {
    assert.deepEqual(summary([container('web'), publish('web-http', { container: 'web', containerPort: 80 })]), [
      {
        name: 'publish/web-http',
        from: 'host',
        to: '127.0.0.1',
        targetContainer: 'web',
        port: 0,
        protocol: 'tcp',
        expect: 'reachable',
        target: { type: 'publish', host: '127.0.0.1', container: 'web', containerPort: 80 },
      },
    ]);
  });

  it('records a UDP publish as not probed, with the reason', () => {
    const [check] = checksFor(desiredState([container('dns'), publish('dns-udp', { container: 'dns', containerPort: 53, hostPort: 5353, protocol: 'udp' })]));
    assert.equal(check?.protocol, 'udp');
    assert.match(check?.notProbed ?? '', /UDP/);
  });

  it('checks a Probe on each port with its own expectation and settings', () => {
    const checks = checksFor(desiredState([probe('isolated', { from: 'web', to: 'db', ports: [5432, 3306], expect: 'unreachable', interval: '30s', timeout: '500ms', failureThreshold: 2 })]));
    assert.deepEqual(
      checks.map(({ name, from, to, port, expect, intervalMs, timeoutMs, failureThreshold }) => ({ name, from, to, port, expect, intervalMs, timeoutMs, failureThreshold })),
      [
        { name: 'probe/isolated:3306', from: 'web', to: 'db', port: 3306, expect: 'unreachable', intervalMs: 30_000, timeoutMs: 500, failureThreshold: 2 },
        { name: 'probe/isolated:5432', from: 'web', to: 'db', port: 5432, expect: 'unreachable', intervalMs: 30_000, timeoutMs: 500, failureThreshold: 2 },
      ],
    );
  });

  it("dials a Probe to a container on a network at that container's address, looked up every round", () => {
    assert.deepEqual(summary([container('web'), probe('to-web', { from: 'host', to: { container: 'web', network: 'bridge' }, ports: [80] })]), [
      {
        name: 'probe/to-web:80',
        from: 'host',
        to: 'web@bridge',
        targetContainer: 'web',
        port: 80,
        protocol: 'tcp',
        expect: 'reachable',
        target: { type: 'container', container: 'web', network: 'bridge', port: 80 },
      },
    ]);
  });

  it('makes a Probe by name about the container of that name, when one is declared', () => {
    const checks = checksFor(desiredState([container('db'), probe('by-name', { from: 'web', to: 'db', ports: [1] }), probe('by-ip', { from: 'web', to: '10.0.0.1', ports: [1] })]));
    assert.deepEqual(
      checks.map((check) => [check.name, check.targetContainer]),
      [
        ['probe/by-ip:1', undefined],
        ['probe/by-name:1', 'db'],
      ],
    );
  });

  it('leaves settings a Probe does not give to the scheduler', () => {
    const [check] = checksFor(desiredState([probe('p', { from: 'web', to: '10.0.0.1', ports: [80] })]));
    assert.equal(check?.expect, 'reachable');
    assert.deepEqual([check?.intervalMs, check?.timeoutMs, check?.failureThreshold], [undefined, undefined, undefined]);
  });

  it('names the manifest each check belongs to as Kind/name', () => {
    const checks = checksFor(
      desiredState([
        container('web'),
        container('db', { expose: [5432] }),
        link('web-db', { from: 'web', to: 'db' }),
        publish('web-http', { container: 'web', containerPort: 80, hostPort: 8080 }),
        probe('web-out', { from: 'web', to: '10.0.0.1', ports: [80, 443] }),
      ]),
    );
    assert.deepEqual(
      checks.map((check) => [check.name, check.resource]),
      [
        ['link/web-db:5432', 'Link/web-db'],
        ['probe/web-out:443', 'Probe/web-out'],
        ['probe/web-out:80', 'Probe/web-out'],
        ['publish/web-http', 'PortPublish/web-http'],
      ],
    );
  });

  it('dials host.docker.internal at loopback from the host, and leaves it to containers to resolve', () => {
    const checks = checksFor(desiredState([probe('from-host', { from: 'host', to: 'host.docker.internal', ports: [80] }), probe('from-web', { from: 'web', to: 'host.docker.internal', ports: [80] })]));
    assert.deepEqual(
      checks.map((check) => [check.name, check.to, check.target.type === 'address' && check.target.host]),
      [
        ['probe/from-host:80', 'host.docker.internal', '127.0.0.1'],
        ['probe/from-web:80', 'host.docker.internal', 'host.docker.internal'],
      ],
    );
  });

  it('gives every check a unique name, sorted', () => {
    const checks = checksFor(
      desiredState([
        container('a', { expose: [80, 443] }),
        container('b'),
        link('b-a', { from: 'b', to: 'a' }),
        link('a-b', { from: 'a', to: 'b', ports: [1] }),
        publish('a-80', { container: 'a', containerPort: 80, hostPort: 8080 }),
        probe('a-out', { from: 'a', to: 'b', ports: [2, 1] }),
      ]),
    );
    const names = checks.map((check) => check.name);
    assert.deepEqual(names, [...new Set(names)].sort());
    assert.equal(names.length, 6);
  });
});
