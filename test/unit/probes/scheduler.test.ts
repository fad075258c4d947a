import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import sinon from 'sinon';
import { EngineError } from '../../../src/errors.js';
import { createLogger, silentLogger } from '../../../src/log.js';
import type { ProberRunner } from '../../../src/probes/prober-runner.js';
import type { ProbeSchedulerOptions } from '../../../src/probes/scheduler.js';
import { ProbeScheduler } from '../../../src/probes/scheduler.js';
import { summarizeReachability } from '../../../src/probes/model.js';
import type { ReachabilityStatus } from '../../../src/probes/model.js';
import { FakeEngine } from '../../support/fake-engine.js';
import { container, desiredState, document, link, publish } from '../reconcile/fixtures.js';
import { FakeRunner } from '../../support/fake-runner.js';

const probe = (name: string, spec: Record<string, unknown>) => document('Probe', name, spec);

const START = Date.parse('2024-05-01T12:00:00Z');

describe('ProbeScheduler', () => {
  let clock: sinon.SinonFakeTimers;
  let engine: FakeEngine;
  let runner: FakeRunner;
  const schedulers: ProbeScheduler[] = [];

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: START, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    engine = new FakeEngine();
    runner = new FakeRunner();
    for (const name of ['web', 'db', 'api']) engine.seedContainer({ name, image: 'mooring/busybox:latest' });
  });

  afterEach(async () => {
    await Promise.all(schedulers.splice(0).map((scheduler) => scheduler.stop()));
    clock.restore();
  });

  function scheduler(options: Partial<ProbeSchedulerOptions> = {}): ProbeScheduler {
    const created = new ProbeScheduler({ engine, logger: silentLogger(), instance: 'test', runner, jitterMs: 0, ...options });
    schedulers.push(created);
    return created;
  }

  const byName = (snapshot: ReachabilityStatus[], name: string) => {
    const found = snapshot.find((check) => check.name === name);
    assert.ok(found, `expected a check named ${name}`);
    return found;
  };

  const webToDb = desiredState([container('web'), container('db', { expose: [5432] }), link('web-db', { from: 'web', to: 'db', network: 'back' })]);

  it('lists every check as Unknown before the first round', () => {
    const probes = scheduler();
    probes.setDesired(webToDb);
    assert.deepEqual(probes.snapshot(), [
      { name: 'link/web-db:5432', resource: 'Link/web-db', kind: 'link', from: 'web', to: 'db', port: 5432, protocol: 'tcp', expect: 'reachable', healthy: null, consecutiveFailures: 0, consecutiveSuccesses: 0 },
    ]);
  });

  it('closes its runner (the probe threads) when it stops', async () => {
    let closed = 0;
    const closing: ProberRunner = { run: (request) => runner.run(request), close: async () => void closed++ };
    const probes = new ProbeScheduler({ engine, logger: silentLogger(), instance: 'test', runner: closing, jitterMs: 0 });
    probes.start();
    await probes.stop();
    assert.equal(closed, 1);
  });

  it("runs one prober per source per round, with all of that source's checks", async () => {
    const probes = scheduler();
    probes.setDesired(
      desiredState([
        container('web'),
        container('db'),
        container('api'),
        link('web-db', { from: 'web', to: 'db', ports: [5432, 5433] }),
        link('web-api', { from: 'web', to: 'api', ports: [80] }),
        link('api-db', { from: 'api', to: 'db', ports: [5432] }),
        publish('www-http', { container: 'www', containerPort: 80, hostPort: 8080 }),
      ]),
    );
    engine.seedContainer({ name: 'www', portBindings: [{ containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 8080 }] });
    await probes.runRound();
    const calls = runner.calls.map((call) => [call.source?.name ?? 'host', call.checks.map((check) => `${check.host}:${check.port}`).sort()]);
    assert.deepEqual(calls.sort(), [
      ['api', ['db:5432']],
      ['host', ['127.0.0.1:8080']],
      ['web', ['api:80', 'db:5432', 'db:5433']],
      ['www', [`${engine.container('www')?.endpoints[0]?.ipv4Address}:80`]],
    ]);
    const web = runner.calls.find((call) => call.source?.name === 'web');
    assert.equal(web?.source?.id, engine.container('web')?.id);
    assert.ok(runner.calls.every((call) => call.checks.every((check) => check.timeoutMs === 1000)));
  });

  it('records the last probe with its time, method and result', async () => {
    const probes = scheduler();
    probes.setDesired(webToDb);
    await probes.runRound();
    assert.deepEqual(byName(probes.snapshot(), 'link/web-db:5432'), {
      name: 'link/web-db:5432',
      resource: 'Link/web-db',
      kind: 'link',
      from: 'web',
      to: 'db',
      port: 5432,
      protocol: 'tcp',
      expect: 'reachable',
      healthy: true,
      consecutiveFailures: 0,
      consecutiveSuccesses: 1,
      lastTransitionTime: '2024-05-01T12:00:00.000Z',
      lastProbe: { at: '2024-05-01T12:00:00.000Z', success: true, durationMs: 2.5, resolvedAddresses: ['172.18.0.3'], reason: 'Connected', message: 'fake', method: 'nsenter' },
    });
  });

  it('turns a link unhealthy after three failed rounds, and healthy after one success', async () => {
    const probes = scheduler();
    probes.setDesired(webToDb);
    await probes.runRound();
    runner.reasons.set('link/web-db:5432', 'ConnectionRefused');
    const seen: (boolean | null)[] = [];
    for (let round = 1; round <= 3; round++) {
      await clock.tickAsync(10_000);
      await probes.runRound();
      seen.push(byName(probes.snapshot(), 'link/web-db:5432').healthy);
    }
    assert.deepEqual(seen, [true, true, false]);
    const failed = byName(probes.snapshot(), 'link/web-db:5432');
    assert.equal(failed.consecutiveFailures, 3);
    assert.equal(failed.lastTransitionTime, '2024-05-01T12:00:30.000Z');
    assert.equal(failed.lastProbe?.reason, 'ConnectionRefused');
    assert.equal(failed.lastProbe?.success, false);

    runner.reasons.delete('link/web-db:5432');
    await clock.tickAsync(10_000);
    await probes.runRound();
    const recovered = byName(probes.snapshot(), 'link/web-db:5432');
    assert.equal(recovered.healthy, true);
    assert.equal(recovered.lastTransitionTime, '2024-05-01T12:00:40.000Z');
  });

  it('calls a Probe that expects unreachable healthy when the connection fails', async () => {
    const probes = scheduler();
    probes.setDesired(desiredState([probe('isolated', { from: 'web', to: 'db', ports: [5432], expect: 'unreachable' })]));
    runner.reasons.set('probe/isolated:5432', 'DNSResolutionFailed');
    await probes.runRound();
    const check = byName(probes.snapshot(), 'probe/isolated:5432');
    assert.equal(check.healthy, true);
    assert.equal(check.lastProbe?.success, true);
  });

  it("honours a Probe's own failureThreshold and timeout", async () => {
    const probes = scheduler();
    probes.setDesired(desiredState([probe('strict', { from: 'web', to: 'db', ports: [1], failureThreshold: 1, timeout: '250ms' })]));
    await probes.runRound();
    runner.reasons.set('probe/strict:1', 'Timeout');
    await probes.runRound();
    assert.equal(byName(probes.snapshot(), 'probe/strict:1').healthy, false);
    assert.equal(runner.calls[0]?.checks[0]?.timeoutMs, 250);
  });

  it('says SourceNotRunning, Unknown, when the source is stopped, without running a prober or counting a failure', async () => {
    const probes = scheduler();
    probes.setDesired(webToDb);
    await probes.runRound();
    engine.setStatus('web', 'exited');
    runner.calls.length = 0;
    await probes.runRound();
    const check = byName(probes.snapshot(), 'link/web-db:5432');
    assert.equal(check.healthy, null);
    assert.equal(check.consecutiveFailures, 0);
    assert.deepEqual(check.lastProbe && [check.lastProbe.reason, check.lastProbe.method, check.lastProbe.message], ['SourceNotRunning', 'none', 'container web is exited']);
    assert.deepEqual(runner.calls, []);
  });

  it('says SourceNotRunning when the source container does not exist', async () => {
    const probes = scheduler();
    probes.setDesired(desiredState([link('ghost-db', { from: 'ghost', to: 'db', ports: [1] })]));
    await probes.runRound();
    assert.equal(byName(probes.snapshot(), 'link/ghost-db:1').lastProbe?.reason, 'SourceNotRunning');
  });

  it('makes a failing prober Unknown with ProbeError, never unreachable, and logs it once', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
    const probes = scheduler({ logger: createLogger({ stream, format: 'json', level: 'warn' }) });
    probes.setDesired(webToDb);
    await probes.runRound();
    runner.failure = 'nsenter: cannot open /proc/42/ns/net';
    for (let round = 0; round < 4; round++) await probes.runRound();
    const check = byName(probes.snapshot(), 'link/web-db:5432');
    assert.equal(check.healthy, null);
    assert.equal(check.consecutiveFailures, 0);
    assert.equal(check.lastProbe?.reason, 'ProbeError');
    assert.match(check.lastProbe?.message ?? '', /cannot open \/proc\/42/);
    assert.equal(lines.filter((line) => line.includes('cannot probe')).length, 1);
  });

  it('makes an engine that fails Unknown with ProbeError', async () => {
    const probes = scheduler();
    probes.setDesired(webToDb);
    engine.failNext('inspectContainer', new EngineError('connect ECONNREFUSED /var/run/docker.sock', { transient: true }));
    await probes.runRound();
    const check = byName(probes.snapshot(), 'link/web-db:5432');
    assert.deepEqual([check.healthy, check.lastProbe?.reason], [null, 'ProbeError']);
    assert.match(check.lastProbe?.message ?? '', /ECONNREFUSED/);
  });

  it('looks up an ephemeral host port from the engine, and fails the publish once its container is gone', async () => {
    engine.seedContainer({ name: 'eph', image: 'mooring/busybox:latest', portBindings: [{ containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0' }] });
    const bound = engine.container('eph')?.portBindings[0]?.hostPort;
    assert.ok(bound);
    const probes = scheduler();
    probes.setDesired(desiredState([publish('eph-http', { container: 'eph', containerPort: 80 })]));
    await probes.runRound();
    const host = runner.calls.find((call) => call.source === undefined);
    assert.deepEqual(host?.checks.map((check) => `${check.host}:${check.port}`), [`127.0.0.1:${bound}`]);
    const check = byName(probes.snapshot(), 'publish/eph-http');
    assert.deepEqual([check.port, check.healthy, check.lastProbe?.method], [bound, true, 'host']);

    await engine.removeContainer('eph');
    for (let round = 0; round < 3; round++) await probes.runRound();
    const gone = byName(probes.snapshot(), 'publish/eph-http');
    assert.deepEqual([gone.healthy, gone.port, gone.lastProbe?.reason, gone.lastProbe?.message], [false, 0, 'TargetNotRunning', 'container eph does not exist: nothing there can answer']);
  });

  it('records a UDP publish as NotProbed and never probes it', async () => {
    const probes = scheduler();
    probes.setDesired(desiredState([publish('dns', { container: 'api', containerPort: 53, hostPort: 5353, protocol: 'udp' })]));
    await probes.runRound();
    const check = byName(probes.snapshot(), 'publish/dns');
    assert.deepEqual([check.healthy, check.lastProbe?.reason, check.protocol], [null, 'NotProbed', 'udp']);
    assert.deepEqual(runner.calls, []);
  });

  it('keeps the state of unchanged checks across desired states, and starts changed ones over', async () => {
    const probes = scheduler();
    probes.setDesired(webToDb);
    await probes.runRound();
    probes.setDesired(desiredState([container('web'), container('db', { expose: [5432] }), link('web-db', { from: 'web', to: 'db', network: 'back' }), link('api-db', { from: 'api', to: 'db', ports: [1] })]));
    assert.equal(byName(probes.snapshot(), 'link/web-db:5432').healthy, true);
    assert.equal(byName(probes.snapshot(), 'link/api-db:1').healthy, null);

    probes.setDesired(desiredState([container('db', { expose: [5432] }), link('web-db', { from: 'api', to: 'db' })]));
    assert.deepEqual(
      probes.snapshot().map((check) => [check.name, check.from, check.healthy]),
      [['link/web-db:5432', 'api', null]],
    );
  });

  it('runs rounds every interval once started, and a Probe on its own interval', async () => {
    const rounds = sinon.spy();
    const probes = scheduler({ intervalMs: 10_000, onRound: rounds });
    probes.setDesired(desiredState([container('db', { expose: [5432] }), link('web-db', { from: 'web', to: 'db' }), probe('slow', { from: 'api', to: 'db', ports: [1], interval: '30s' })]));
    probes.start();
    await clock.tickAsync(0);
    await clock.tickAsync(60_000);
    const count = (source: string) => runner.calls.filter((call) => call.source?.name === source).length;
    assert.equal(count('web'), 7);
    assert.equal(count('api'), 3);
    assert.equal(rounds.callCount, 7);

    await probes.stop();
    await clock.tickAsync(60_000);
    assert.equal(count('web'), 7);
  });

  it('jitters the start of each source within jitterMs, delaying a round by no more than that', async () => {
    const names = Array.from({ length: 20 }, (_, index) => `src${index}`);
    for (const name of names) engine.seedContainer({ name, image: 'mooring/busybox:latest' });
    const probes = scheduler({ intervalMs: 10_000, jitterMs: 2000, concurrency: 2 });
    probes.setDesired(desiredState(names.map((name) => link(`${name}-db`, { from: name, to: 'db', ports: [1] }))));
    probes.start();
    await clock.tickAsync(1);
    assert.ok(runner.calls.length < 20, 'every source started at once');
    await clock.tickAsync(2000);
    assert.equal(runner.calls.length, 20);
  });

  it('probes at most `concurrency` sources at once', async () => {
    let running = 0;
    let most = 0;
    const slow: ProberRunner = {
      run: async (request) => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 100));
        running--;
        return runner.run(request);
      },
    };
    const names = Array.from({ length: 20 }, (_, index) => `src${index}`);
    for (const name of names) engine.seedContainer({ name, image: 'mooring/busybox:latest' });
    const probes = scheduler({ runner: slow, concurrency: 3 });
    probes.setDesired(desiredState(names.map((name) => link(`${name}-db`, { from: name, to: 'db', ports: [1] }))));
    const round = probes.runRound();
    await clock.tickAsync(1000);
    await round;
    assert.equal(most, 3);
    assert.equal(runner.calls.length, 20);
  });

  it('rejects options that make no sense', () => {
    assert.throws(() => scheduler({ intervalMs: 0 }), /Expected `intervalMs` to be a finite number > 0, got 0/);
    assert.throws(() => scheduler({ concurrency: 1.5 }), /Expected `concurrency` to be an integer >= 1, got 1.5/);
  });
});

describe('summarizeReachability', () => {
  it('counts healthy, unhealthy and unknown checks', () => {
    const check = (healthy: boolean | null) => ({ healthy }) as ReachabilityStatus;
    assert.deepEqual(summarizeReachability([check(true), check(true), check(false), check(null)]), { total: 4, healthy: 2, unhealthy: 1, unknown: 1 });
  });
});
