/**
 * What the status must never claim, against the real engine: a publish whose
 * container does not listen, or is stopped while another process holds its
 * host port, is not Healthy; a Probe to a container's address follows it
 * across a recreate; a container without a network cannot reach anything.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { DockerEngine } from '../../../src/engine/docker/index.js';
import { silentLogger } from '../../../src/log.js';
import { CLOSE_GRACE_MS } from '../../../src/probes/dials.js';
import { runChecks } from '../../../src/probes/prober.js';
import { ProbeScheduler } from '../../../src/probes/scheduler.js';
import type { ReachabilityStatus } from '../../../src/probes/model.js';
import { TEST_IMAGE, docker, removeByName, requireEngine, uniqueName } from '../../support/docker.js';
import { container, desiredState, document, publish } from '../../unit/reconcile/fixtures.js';

const probe = (name: string, spec: Record<string, unknown>) => document('Probe', name, spec);

const names = {
  net: uniqueName('truth-net'),
  deaf: uniqueName('deaf'),
  stopped: uniqueName('stopped'),
  server: uniqueName('server'),
  client: uniqueName('client'),
  filler: uniqueName('filler'),
  loner: uniqueName('loner'),
};

/** busybox's httpd on `port`; PID 1 ignores SIGTERM, hence `stop -t 1`. */
const httpd = (port: number) => [TEST_IMAGE, 'httpd', '-f', '-p', String(port), '-h', '/www'];

async function ipOn(containerName: string, network: string): Promise<string> {
  return docker('inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, containerName);
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return (server.address() as AddressInfo).port;
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('probes that do not lie (engine)', function () {
  this.timeout(120_000);
  let scheduler: ProbeScheduler;
  /** The host port the stopped container published, then held by a process of the test. */
  let takenPort: number;
  // The prober may hang up before the greeting is written: a reset then is no error of the test's.
  const impostor = createServer((socket) => socket.on('error', () => undefined).end('not the container\n'));

  const checkNamed = (name: string): ReachabilityStatus => {
    const found = scheduler.snapshot().find((check) => check.name === name);
    assert.ok(found, `expected a check named ${name}`);
    return found;
  };

  /** Rounds until `accept` holds for the check, for states that need a process to start or the threshold to pass. */
  async function roundsUntil(name: string, accept: (check: ReachabilityStatus) => boolean, what: string): Promise<ReachabilityStatus> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      await scheduler.runRound();
      const check = checkNamed(name);
      if (accept(check)) return check;
      if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(check)} after 30 s`);
    }
  }

  before(async function () {
    await requireEngine(this);
    // A port free a moment ago, for the container that will be stopped; the engine binds it first.
    const probePort = createServer();
    takenPort = await listen(probePort, 0);
    await close(probePort);
    await docker('network', 'create', names.net);
    await docker('run', '-d', '--name', names.deaf, '-p', '127.0.0.1::8080', TEST_IMAGE, 'sleep', '3600');
    await docker('run', '-d', '--name', names.stopped, '-p', `127.0.0.1:${takenPort}:80`, ...httpd(80));
    await docker('run', '-d', '--name', names.server, '--network', names.net, ...httpd(80));
    await docker('run', '-d', '--name', names.client, '--network', names.net, TEST_IMAGE, 'sleep', '3600');
    await docker('run', '-d', '--name', names.loner, '--network', 'none', TEST_IMAGE, 'sleep', '3600');

    scheduler = new ProbeScheduler({ engine: new DockerEngine({ logger: silentLogger() }), logger: silentLogger(), instance: uniqueName('truth'), jitterMs: 0 });
    scheduler.setDesired(
      desiredState([
        container(names.deaf),
        container(names.stopped),
        container(names.server),
        container(names.client),
        container(names.loner),
        publish('deaf-http', { container: names.deaf, containerPort: 8080, hostIp: '127.0.0.1' }),
        publish('stopped-http', { container: names.stopped, containerPort: 80, hostPort: takenPort, hostIp: '127.0.0.1' }),
        probe('client-server', { from: names.client, to: { container: names.server, network: names.net }, ports: [80] }),
        // TEST-NET-1: no packet can leave a namespace with loopback only, and none would go anywhere.
        probe('loner-out', { from: names.loner, to: '192.0.2.1', ports: [80] }),
        probe('loner-isolated', { from: names.loner, to: '192.0.2.1', ports: [80], expect: 'unreachable' }),
      ]),
    );
  });

  after(async () => {
    await scheduler?.stop();
    if (impostor.listening) await close(impostor);
    await removeByName({ containers: Object.values(names), networks: [names.net] });
  });

  it('does not count the connection docker-proxy accepts for a container that listens on nothing', async () => {
    const hostPort = Number((await docker('port', names.deaf, '8080/tcp')).split('\n')[0]?.split(':').at(-1));
    const [direct] = (await runChecks({ checks: [{ id: 'deaf', host: '127.0.0.1', port: hostPort, timeoutMs: 2000, closeGraceMs: CLOSE_GRACE_MS }] })).results;
    // docker-proxy accepts and closes; without the userland proxy the container's reset comes through.
    assert.ok(['ConnectionClosed', 'ConnectionRefused'].includes(direct?.reason ?? ''), `expected the host port not to count, got ${JSON.stringify(direct)}`);

    const check = await roundsUntil('publish/deaf-http', (candidate) => candidate.healthy === false, 'the publish of a container that listens on nothing');
    assert.equal(check.lastProbe?.reason, 'BackendRefused');
    assert.equal(check.port, hostPort);
    assert.match(check.lastProbe?.message ?? '', new RegExp(`^${names.deaf} on [0-9.]+:8080 from inside its network namespace: ConnectionRefused: `));
  });

  it("says TargetNotRunning, never Healthy, for a stopped container's publish whose host port another process answers", async () => {
    await roundsUntil('publish/stopped-http', (candidate) => candidate.healthy === true, 'the publish while its container runs');
    await docker('stop', '-t', '1', names.stopped);
    assert.equal(await listen(impostor, takenPort), takenPort);
    const [direct] = (await runChecks({ checks: [{ id: 'impostor', host: '127.0.0.1', port: takenPort, timeoutMs: 2000 }] })).results;
    assert.equal(direct?.reason, 'Connected', 'something answers on the host port');

    const check = await roundsUntil('publish/stopped-http', (candidate) => candidate.healthy === false, 'the publish of a stopped container');
    assert.deepEqual([check.lastProbe?.reason, check.lastProbe?.method], ['TargetNotRunning', 'none']);
    assert.match(check.lastProbe?.message ?? '', /is exited: nothing there can answer/);
  });

  it("follows a Probe's target container across a recreate, to its new address", async () => {
    const before = await ipOn(names.server, names.net);
    const first = await roundsUntil('probe/client-server:80', (candidate) => candidate.healthy === true, 'the probe to the container');
    assert.deepEqual(first.lastProbe?.resolvedAddresses, [before]);

    await docker('rm', '-f', names.server);
    // Another container takes the next address (or the one just freed), so the recreated one surely gets a new one.
    await docker('run', '-d', '--name', names.filler, '--network', names.net, TEST_IMAGE, 'sleep', '3600');
    await docker('run', '-d', '--name', names.server, '--network', names.net, ...httpd(80));
    const after = await ipOn(names.server, names.net);
    assert.notEqual(after, before);

    const check = await roundsUntil('probe/client-server:80', (candidate) => candidate.lastProbe?.resolvedAddresses[0] === after, 'the probe after the recreate');
    assert.deepEqual([check.healthy, check.lastProbe?.reason, check.to], [true, 'Connected', `${names.server}@${names.net}`]);
  });

  it('says NetworkUnreachable from a container without a network, not ConnectionRefused', async () => {
    await scheduler.runRound();
    const out = checkNamed('probe/loner-out:80');
    const isolated = checkNamed('probe/loner-isolated:80');
    assert.deepEqual([out.lastProbe?.reason, out.lastProbe?.method], ['NetworkUnreachable', 'setns']);
    assert.match(out.lastProbe?.message ?? '', /ENETUNREACH/);
    assert.deepEqual([isolated.healthy, isolated.lastProbe?.reason], [true, 'NetworkUnreachable']);
  });
});
