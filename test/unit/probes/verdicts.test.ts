/**
 * Every reason a check can get from a round, with the fake engine and a fake
 * prober: what is dialled, from where, and what the status then says.
 */
import assert from 'node:assert/strict';
import sinon from 'sinon';
import { EngineError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';
import { ProbeScheduler } from '../../../src/probes/scheduler.js';
import type { ReachabilityStatus } from '../../../src/probes/model.js';
import { FakeEngine } from '../../support/fake-engine.js';
import { container, desiredState, document, link, publish } from '../reconcile/fixtures.js';
import { FakeRunner } from '../../support/fake-runner.js';

const probe = (name: string, spec: Record<string, unknown>) => document('Probe', name, spec);

describe('probe verdicts', () => {
  let clock: sinon.SinonFakeTimers;
  let engine: FakeEngine;
  let runner: FakeRunner;
  let scheduler: ProbeScheduler;

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: Date.parse('2024-05-01T12:00:00Z'), toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    engine = new FakeEngine();
    runner = new FakeRunner();
    engine.seedNetwork({ name: 'back' });
    engine.seedContainer({ name: 'web' });
    engine.seedContainer({ name: 'db' }, { endpoints: [{ network: 'back', aliases: [], links: [], ipv4Address: '10.1.0.5' }] });
    engine.seedContainer({ name: 'www', portBindings: [{ containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080 }] });
    scheduler = new ProbeScheduler({ engine, logger: silentLogger(), instance: 'test', runner, jitterMs: 0 });
  });

  afterEach(async () => {
    await scheduler.stop();
    clock.restore();
  });

  const check = (name: string): ReachabilityStatus => {
    const found = scheduler.snapshot().find((candidate) => candidate.name === name);
    assert.ok(found, `expected a check named ${name}`);
    return found;
  };
  const rounds = async (count: number) => {
    for (let round = 0; round < count; round++) await scheduler.runRound();
  };
  const verdict = (name: string) => {
    const { healthy, consecutiveFailures, lastProbe } = check(name);
    return { healthy, consecutiveFailures, reason: lastProbe?.reason, method: lastProbe?.method };
  };
  const wwwAddress = () => engine.container('www')?.endpoints[0]?.ipv4Address;
  const dialled = () => runner.calls.map((call) => [call.source?.name ?? 'host', ...call.checks.map((prober) => `${prober.host}:${prober.port}`)]);

  describe('publishes', () => {
    beforeEach(() => scheduler.setDesired(desiredState([container('www'), publish('www-http', { container: 'www', containerPort: 80, hostPort: 8080 })])));

    it('are Healthy only when the host port and, in the same round, the container its own port answer', async () => {
      await rounds(1);
      assert.deepEqual(dialled().sort(), [
        ['host', '127.0.0.1:8080'],
        ['www', `${wwwAddress()}:80`],
      ]);
      assert.deepEqual(verdict('publish/www-http'), { healthy: true, consecutiveFailures: 0, reason: 'Connected', method: 'host' });
      assert.match(check('publish/www-http').lastProbe?.message ?? '', /www on .*:80 from inside its network namespace/);
    });

    it('are BackendRefused when the container refuses its own port, whatever accepted on the host port', async () => {
      runner.reasons.set('publish/www-http#backend', 'ConnectionRefused');
      await rounds(3);
      assert.deepEqual(verdict('publish/www-http'), { healthy: false, consecutiveFailures: 3, reason: 'BackendRefused', method: 'host' });
      assert.match(check('publish/www-http').lastProbe?.message ?? '', /www on .*:80 from inside its network namespace: ConnectionRefused: .*127\.0\.0\.1:8080 from the host: Connected/);
    });

    it('are HostPortUnreachable when the container answers but the host port does not', async () => {
      let failures = 0;
      for (const reason of ['ConnectionRefused', 'ConnectionClosed', 'Timeout'] as const) {
        runner.reasons.set('publish/www-http', reason);
        await rounds(3);
        failures += 3;
        assert.deepEqual(verdict('publish/www-http'), { healthy: false, consecutiveFailures: failures, reason: 'HostPortUnreachable', method: 'host' }, reason);
        assert.match(check('publish/www-http').lastProbe?.message ?? '', new RegExp(`^127\\.0\\.0\\.1:8080 from the host: ${reason}: `));
      }
    });

    it('are HostPortUnreachable, without dialling, when the engine reports the port bound elsewhere or not at all', async () => {
      scheduler.setDesired(desiredState([container('www'), publish('www-http', { container: 'www', containerPort: 80, hostPort: 9090 })]));
      await rounds(1);
      assert.deepEqual(runner.calls, []);
      assert.equal(check('publish/www-http').lastProbe?.reason, 'HostPortUnreachable');
      assert.equal(check('publish/www-http').lastProbe?.message, 'the engine reports no host port 9090 bound to www 80/tcp');
    });

    it('are TargetNotRunning, never Healthy, while the container is stopped, even when something answers on the host port', async () => {
      engine.setStatus('www', 'exited');
      await rounds(3);
      assert.deepEqual(runner.calls, [], 'nothing is dialled: an answer could only come from another process');
      assert.deepEqual(verdict('publish/www-http'), { healthy: false, consecutiveFailures: 3, reason: 'TargetNotRunning', method: 'none' });
      assert.equal(check('publish/www-http').lastProbe?.message, 'container www is exited: nothing there can answer');
    });

    it('are Unknown with ProbeError when the prober in the container fails, not a verdict on the publish', async () => {
      const run = runner.run.bind(runner);
      sinon.stub(runner, 'run').callsFake(async (request) => (request.source ? { method: 'setns', error: 'setns: EPERM' } : run(request)));
      await rounds(1);
      assert.deepEqual(verdict('publish/www-http'), { healthy: null, consecutiveFailures: 0, reason: 'ProbeError', method: 'setns' });
      assert.match(check('publish/www-http').lastProbe?.message ?? '', /^checking www on .*: prober failed \(setns\): setns: EPERM$/);
    });
  });

  describe('links and probes to a container that is not running', () => {
    beforeEach(() => {
      scheduler.setDesired(
        desiredState([
          container('web'),
          container('db'),
          link('web-db', { from: 'web', to: 'db', ports: [5432] }),
          probe('web-not-db', { from: 'web', to: 'db', ports: [5432], expect: 'unreachable' }),
          probe('web-db-by-address', { from: 'web', to: { container: 'db', network: 'back' }, ports: [5432] }),
        ]),
      );
      engine.setStatus('db', 'exited');
    });

    it('fail a reachable expectation (TargetNotRunning), without dialling', async () => {
      await rounds(3);
      assert.deepEqual(runner.calls, []);
      assert.deepEqual(verdict('link/web-db:5432'), { healthy: false, consecutiveFailures: 3, reason: 'TargetNotRunning', method: 'none' });
      assert.deepEqual(verdict('probe/web-db-by-address:5432'), { healthy: false, consecutiveFailures: 3, reason: 'TargetNotRunning', method: 'none' });
    });

    it('leave an unreachable expectation Unknown: a stopped target proves no isolation', async () => {
      await rounds(3);
      assert.deepEqual(verdict('probe/web-not-db:5432'), { healthy: null, consecutiveFailures: 0, reason: 'TargetNotRunning', method: 'none' });
      assert.equal(check('probe/web-not-db:5432').lastProbe?.success, false);
    });
  });

  describe('links and probes by name', () => {
    beforeEach(() =>
      scheduler.setDesired(
        desiredState([
          container('web'),
          container('db'),
          link('web-db', { from: 'web', to: 'db', ports: [5432] }),
          probe('web-not-db', { from: 'web', to: 'db', ports: [5432], expect: 'unreachable' }),
        ]),
      ),
    );

    it("count only a connection to the target's own addresses", async () => {
      await rounds(1);
      assert.deepEqual(
        runner.calls.flatMap((call) => call.checks.map((prober) => [prober.id, prober.host, prober.addresses])),
        [
          ['link/web-db:5432', 'db', ['10.1.0.5']],
          ['probe/web-not-db:5432', 'db', ['10.1.0.5']],
        ],
      );
    });

    it('start over when the name becomes, or stops being, a declared container: the check is about something else', async () => {
      scheduler.setDesired(desiredState([container('web'), probe('web-db', { from: 'web', to: 'db', ports: [1] })]));
      await rounds(1);
      assert.equal(check('probe/web-db:1').healthy, true);
      scheduler.setDesired(desiredState([container('web'), container('db'), probe('web-db', { from: 'web', to: 'db', ports: [1] })]));
      assert.equal(check('probe/web-db:1').healthy, null);
    });

    it('are ResolvedElsewhere when the name leads to another address: unhealthy for reachable, Unknown for unreachable', async () => {
      for (const name of ['link/web-db:5432', 'probe/web-not-db:5432']) runner.reasons.set(name, 'ResolvedElsewhere');
      await rounds(3);
      assert.deepEqual(verdict('link/web-db:5432'), { healthy: false, consecutiveFailures: 3, reason: 'ResolvedElsewhere', method: 'nsenter' });
      assert.deepEqual(verdict('probe/web-not-db:5432'), { healthy: null, consecutiveFailures: 0, reason: 'ResolvedElsewhere', method: 'nsenter' });
    });
  });

  describe('probes to a container on a network', () => {
    it("dial the container's address on that network, looked up every round, and follow it across a recreate", async () => {
      scheduler.setDesired(desiredState([container('web'), container('db'), probe('web-db', { from: 'web', to: { container: 'db', network: 'back' }, ports: [5432] })]));
      await rounds(1);
      assert.deepEqual(dialled(), [['web', '10.1.0.5:5432']]);
      assert.equal(check('probe/web-db:5432').to, 'db@back');

      await engine.removeContainer('db');
      engine.seedContainer({ name: 'db' }, { endpoints: [{ network: 'back', aliases: [], links: [], ipv4Address: '10.1.0.9' }] });
      runner.calls.length = 0;
      await rounds(1);
      assert.deepEqual(dialled(), [['web', '10.1.0.9:5432']]);
      assert.deepEqual(verdict('probe/web-db:5432'), { healthy: true, consecutiveFailures: 0, reason: 'Connected', method: 'nsenter' });
      assert.equal(check('probe/web-db:5432').consecutiveSuccesses, 2, 'the same check, not a new one');
    });

    it('are TargetNotOnNetwork when the container has no address there: unhealthy for reachable, Unknown for unreachable', async () => {
      scheduler.setDesired(
        desiredState([
          container('web'),
          probe('to-www', { from: 'web', to: { container: 'www', network: 'back' }, ports: [80] }),
          probe('not-to-www', { from: 'web', to: { container: 'www', network: 'back' }, ports: [80], expect: 'unreachable' }),
        ]),
      );
      await rounds(3);
      assert.deepEqual(runner.calls, []);
      assert.deepEqual(verdict('probe/to-www:80'), { healthy: false, consecutiveFailures: 3, reason: 'TargetNotOnNetwork', method: 'none' });
      assert.deepEqual(verdict('probe/not-to-www:80'), { healthy: null, consecutiveFailures: 0, reason: 'TargetNotOnNetwork', method: 'none' });
      assert.equal(check('probe/to-www:80').lastProbe?.message, 'container www has no IPv4 address on network back');
    });
  });

  describe("the prober's network verdicts", () => {
    beforeEach(() =>
      scheduler.setDesired(
        desiredState([
          probe('out', { from: 'web', to: '10.9.9.9', ports: [1] }),
          probe('isolated', { from: 'web', to: '10.9.9.9', ports: [2], expect: 'unreachable' }),
        ]),
      ),
    );

    it('NetworkUnreachable fails a reachable expectation and meets an unreachable one', async () => {
      for (const name of ['probe/out:1', 'probe/isolated:2']) runner.reasons.set(name, 'NetworkUnreachable');
      await rounds(3);
      assert.deepEqual(verdict('probe/out:1'), { healthy: false, consecutiveFailures: 3, reason: 'NetworkUnreachable', method: 'nsenter' });
      assert.deepEqual(verdict('probe/isolated:2'), { healthy: true, consecutiveFailures: 0, reason: 'NetworkUnreachable', method: 'nsenter' });
    });

    it('ConnectionClosed (accepted, then closed at once) meets neither expectation', async () => {
      for (const name of ['probe/out:1', 'probe/isolated:2']) runner.reasons.set(name, 'ConnectionClosed');
      await rounds(3);
      assert.deepEqual(verdict('probe/out:1'), { healthy: false, consecutiveFailures: 3, reason: 'ConnectionClosed', method: 'nsenter' });
      assert.deepEqual(verdict('probe/isolated:2'), { healthy: false, consecutiveFailures: 3, reason: 'ConnectionClosed', method: 'nsenter' });
    });
  });

  it('watch for a close only where a proxy may stand between: the host port of a publish, an address that is not a container', async () => {
    scheduler.setDesired(
      desiredState([
        container('web'),
        container('db'),
        container('www'),
        link('web-db', { from: 'web', to: 'db', ports: [1] }),
        probe('web-db-address', { from: 'web', to: { container: 'db', network: 'back' }, ports: [2] }),
        probe('web-gateway', { from: 'web', to: 'host.docker.internal', ports: [3] }),
        publish('www-http', { container: 'www', containerPort: 80, hostPort: 8080 }),
      ]),
    );
    await rounds(1);
    const watched = new Map(runner.calls.flatMap((call) => call.checks.map((prober) => [prober.id, prober.closeGraceMs])));
    assert.deepEqual([...watched].sort(([a], [b]) => (a < b ? -1 : 1)), [
      ['link/web-db:1', undefined],
      ['probe/web-db-address:2', undefined],
      ['probe/web-gateway:3', 100],
      ['publish/www-http', 100],
      ['publish/www-http#backend', undefined],
    ]);
  });

  describe('requests to the engine', () => {
    it('list the containers once per round and inspect each source container once, however many checks it has', async () => {
      scheduler.setDesired(
        desiredState([
          container('web'),
          container('db'),
          container('www'),
          link('web-db', { from: 'web', to: 'db', ports: [1, 2, 3] }),
          link('web-www', { from: 'web', to: 'www', ports: [80] }),
          probe('web-db', { from: 'web', to: { container: 'db', network: 'back' }, ports: [4, 5] }),
          publish('www-http', { container: 'www', containerPort: 80, hostPort: 8080 }),
        ]),
      );
      engine.calls.length = 0;
      await rounds(2);
      const reads = engine.calls.map((call) => [call.method, ...call.args]);
      const { id: web } = engine.container('web') ?? {};
      const { id: www } = engine.container('www') ?? {};
      assert.deepEqual(reads.filter(([method]) => method === 'listContainers').length, 2);
      assert.deepEqual(reads.filter(([method]) => method === 'inspectContainer').map(([, id]) => id).sort(), [web, web, www, www].sort());
    });

    it('make every check Unknown with ProbeError when the list fails', async () => {
      scheduler.setDesired(desiredState([container('db'), link('web-db', { from: 'web', to: 'db', ports: [1] }), publish('www-http', { container: 'www', containerPort: 80, hostPort: 8080 })]));
      engine.failNext('listContainers', new EngineError('connect ECONNREFUSED /var/run/docker.sock', { transient: true }));
      await rounds(1);
      assert.deepEqual(runner.calls, []);
      for (const name of ['link/web-db:1', 'publish/www-http']) {
        assert.deepEqual(verdict(name), { healthy: null, consecutiveFailures: 0, reason: 'ProbeError', method: 'none' });
        assert.match(check(name).lastProbe?.message ?? '', /^listing containers: .*ECONNREFUSED/);
      }
    });
  });
});
