/**
 * Reachability against the real engine: containers made with the docker CLI as
 * a user would, probed by mooring's prober from inside their namespaces.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DockerEngine } from '../../../src/engine/docker/index.js';
import { silentLogger } from '../../../src/log.js';
import type { ProbeSchedulerOptions } from '../../../src/probes/scheduler.js';
import { ProbeScheduler } from '../../../src/probes/scheduler.js';
import { summarizeReachability } from '../../../src/probes/model.js';
import { createProberRunner } from '../../../src/probes/prober-runner.js';
import { proberProgram } from '../../../src/probes/prober-program.js';
import type { ReachabilityStatus } from '../../../src/probes/model.js';
import type { Status } from '../../../src/status/model.js';
import { renderMetrics } from '../../../src/status/metrics.js';
import { writeFileAtomic } from '../../../src/status/write.js';
import { promtoolCheck } from '../../support/promtool.js';
import { TEST_IMAGE, docker, dockerMaybe, removeByName, requireEngine, uniqueName } from '../../support/docker.js';
import { container, desiredState, document, link, publish } from '../../unit/reconcile/fixtures.js';

const execFileAsync = promisify(execFile);
const probe = (name: string, spec: Record<string, unknown>) => document('Probe', name, spec);

const names = {
  front: uniqueName('front'),
  other: uniqueName('other'),
  web: uniqueName('web'),
  db: uniqueName('db'),
  stranger: uniqueName('stranger'),
  legacyDb: uniqueName('legacy-db'),
  legacyClient: uniqueName('legacy-client'),
  published: uniqueName('published'),
  idle: uniqueName('idle'),
};
const nodeImage = `${uniqueName('node')}:latest`;

/** busybox's httpd, serving on `port`; PID 1 ignores SIGTERM, hence `stop -t 1` below. */
const httpd = (port: number) => [TEST_IMAGE, 'httpd', '-f', '-p', String(port), '-h', '/www'];

/**
 * An image with nothing but node, made from this machine's node (no registry is
 * reachable): what the probe-container method needs from `--probe-image`.
 */
async function buildNodeImage(tag: string): Promise<void> {
  const node = await realpath(process.execPath);
  const libraries = (await execFileAsync('ldd', [node])).stdout.match(/\/\S+/g) ?? [];
  const tar = spawn('tar', ['-cPh', '--transform', 's,^/,,', node, ...new Set(libraries)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const load = spawn('docker', ['import', '-', tag], { stdio: ['pipe', 'ignore', 'inherit'] });
  tar.stdout.pipe(load.stdin);
  const [tarCode, loadCode] = await Promise.all([once(tar, 'close'), once(load, 'close')]);
  assert.deepEqual([tarCode[0], loadCode[0]], [0, 0], `building ${tag} from ${node}`);
}

async function ipOn(containerName: string, network: string): Promise<string> {
  return docker('inspect', '-f', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, containerName);
}

describe('reachability probes (engine)', function () {
  this.timeout(120_000);
  let scheduler: ProbeScheduler;
  let strangerIp: string;

  const checkNamed = (name: string): ReachabilityStatus => {
    const found = scheduler.snapshot().find((check) => check.name === name);
    assert.ok(found, `expected a check named ${name}`);
    return found;
  };

  /** Rounds until `accept` holds for the check, for states that need a process to start listening. */
  async function roundsUntil(name: string, accept: (check: ReachabilityStatus) => boolean, what: string): Promise<ReachabilityStatus> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      await scheduler.runRound();
      const check = checkNamed(name);
      if (accept(check)) return check;
      if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(check)} after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  function newScheduler(options: Partial<ProbeSchedulerOptions> = {}): ProbeScheduler {
    return new ProbeScheduler({ engine: new DockerEngine({ logger: silentLogger() }), logger: silentLogger(), instance: uniqueName('probes'), jitterMs: 0, ...options });
  }

  before(async function () {
    await requireEngine(this);
    await docker('network', 'create', names.front);
    await docker('network', 'create', names.other);
    await docker('run', '-d', '--name', names.db, '--network', names.front, '--network-alias', 'database', ...httpd(5432));
    await docker('run', '-d', '--name', names.web, '--network', names.front, TEST_IMAGE, 'sleep', '3600');
    await docker('run', '-d', '--name', names.stranger, '--network', names.other, ...httpd(5432));
    await docker('run', '-d', '--name', names.legacyDb, ...httpd(80));
    await docker('run', '-d', '--name', names.legacyClient, '--link', `${names.legacyDb}:legacydb`, TEST_IMAGE, 'sleep', '3600');
    await docker('run', '-d', '--name', names.published, '-p', '80', ...httpd(80));
    await docker('create', '--name', names.idle, TEST_IMAGE, 'sleep', '3600');
    strangerIp = await ipOn(names.stranger, names.other);

    scheduler = newScheduler({ timeoutMs: 1000 });
    scheduler.setDesired(
      desiredState([
        container(names.db),
        container(names.web),
        link('web-db', { from: names.web, to: names.db, alias: 'database', network: names.front, ports: [5432] }),
        link('legacy', { from: names.legacyClient, to: names.legacyDb, alias: 'legacydb', ports: [80] }),
        link('idle-db', { from: names.idle, to: names.db, ports: [5432] }),
        publish('published-http', { container: names.published, containerPort: 80, hostIp: '0.0.0.0' }),
        probe('isolated-by-name', { from: names.web, to: names.stranger, ports: [5432], expect: 'unreachable' }),
        probe('isolated-by-ip', { from: names.web, to: strangerIp, ports: [5432], expect: 'unreachable', timeout: '500ms' }),
        probe('reach-stranger', { from: names.web, to: names.stranger, ports: [5432] }),
      ]),
    );
  });

  after(async () => {
    await scheduler?.stop();
    await removeByName({ containers: Object.values(names), networks: [names.front, names.other] });
    await dockerMaybe('rmi', nodeImage);
  });

  it('finds a linked pair on a user-defined network healthy by alias, from inside the source', async () => {
    const check = await roundsUntil('link/web-db:5432', (candidate) => candidate.healthy === true, 'the link by alias');
    assert.equal(check.lastProbe?.reason, 'Connected');
    assert.equal(check.lastProbe?.method, 'setns', 'auto, as root, enters namespaces from a thread');
    assert.deepEqual(check.lastProbe?.resolvedAddresses, [await ipOn(names.db, names.front)]);
  });

  it("resolves a legacy link through the source's hosts file", async () => {
    const check = await roundsUntil('link/legacy:80', (candidate) => candidate.healthy === true, 'the legacy link');
    assert.deepEqual(check.lastProbe?.resolvedAddresses, [await ipOn(names.legacyDb, 'bridge')]);
  });

  it('finds a container on another network unreachable, and a Probe expecting that healthy', async () => {
    await scheduler.runRound();
    const byName = checkNamed('probe/isolated-by-name:5432');
    assert.deepEqual([byName.healthy, byName.lastProbe?.reason], [true, 'DNSResolutionFailed']);
    const byIp = checkNamed('probe/isolated-by-ip:5432');
    assert.equal(byIp.healthy, true);
    assert.ok(['Timeout', 'ConnectionRefused', 'NetworkUnreachable'].includes(byIp.lastProbe?.reason ?? ''), `expected Timeout, ConnectionRefused or NetworkUnreachable, got ${byIp.lastProbe?.reason}`);
    const reach = await roundsUntil('probe/reach-stranger:5432', (candidate) => candidate.healthy === false, 'the probe expecting reachable');
    assert.equal(reach.lastProbe?.reason, 'DNSResolutionFailed');
    assert.ok(reach.consecutiveFailures >= 3);
  });

  it('answers a published port from the host, on the port the engine chose', async () => {
    const bound = Number((await docker('port', names.published, '80/tcp')).split('\n')[0]?.split(':').at(-1));
    const check = await roundsUntil('publish/published-http', (candidate) => candidate.healthy === true, 'the publish');
    assert.deepEqual([check.port, check.lastProbe?.method, check.lastProbe?.resolvedAddresses], [bound, 'host', ['127.0.0.1']]);
  });

  it('says SourceNotRunning, Unknown, for a source that is not running', async () => {
    await scheduler.runRound();
    const check = checkNamed('link/idle-db:5432');
    assert.deepEqual([check.healthy, check.lastProbe?.reason], [null, 'SourceNotRunning']);
  });

  it('turns a link unhealthy after failureThreshold rounds once the target stops, and healthy when it starts again', async () => {
    await roundsUntil('link/web-db:5432', (candidate) => candidate.healthy === true, 'the link before the stop');
    await docker('stop', '-t', '1', names.db);
    const seen: (boolean | null)[] = [];
    for (let round = 0; round < 3; round++) {
      await scheduler.runRound();
      seen.push(checkNamed('link/web-db:5432').healthy);
    }
    assert.deepEqual(seen, [true, true, false]);
    assert.equal(checkNamed('link/web-db:5432').lastProbe?.reason, 'TargetNotRunning');

    await docker('start', names.db);
    await roundsUntil('link/web-db:5432', (candidate) => candidate.healthy === true, 'the link after the start');
  });

  for (const method of ['nsenter', 'probe-container'] as const) {
    it(`gives the same verdicts with the ${method} method, resolving as the source does`, async () => {
      if (method === 'probe-container') await buildNodeImage(nodeImage);
      const other = newScheduler({ method, probeImage: nodeImage });
      other.setDesired(
        desiredState([
          link('web-db', { from: names.web, to: names.db, alias: 'database', network: names.front, ports: [5432] }),
          link('legacy', { from: names.legacyClient, to: names.legacyDb, alias: 'legacydb', ports: [80] }),
          probe('isolated-by-name', { from: names.web, to: names.stranger, ports: [5432], expect: 'unreachable' }),
        ]),
      );
      await other.runRound();
      assert.deepEqual(
        other.snapshot().map((check) => [check.name, check.healthy, check.lastProbe?.method, check.lastProbe?.reason]),
        [
          ['link/legacy:80', true, method, 'Connected'],
          ['link/web-db:5432', true, method, 'Connected'],
          ['probe/isolated-by-name:5432', true, method, 'DNSResolutionFailed'],
        ],
      );
      if (method === 'probe-container') {
        assert.equal(await docker('ps', '-aq', '--filter', `label=io.mooring.kind=Prober`, '--filter', `label=io.mooring.name=${names.web}`), '', 'the probe container is removed');
      }
    });
  }

  it('falls back to nsenter when the probe threads cannot start (the FFI does not load)', async () => {
    const engine = new DockerEngine({ logger: silentLogger() });
    const program = { ...proberProgram(), thread: { script: "throw new Error('no FFI here')", eval: true } };
    const fallback = newScheduler({ runner: createProberRunner({ engine, logger: silentLogger(), method: 'auto', program }) });
    fallback.setDesired(desiredState([link('web-db', { from: names.web, to: names.db, alias: 'database', network: names.front, ports: [5432] })]));
    await fallback.runRound();
    assert.deepEqual(
      fallback.snapshot().map((check) => [check.name, check.healthy, check.lastProbe?.method]),
      [['link/web-db:5432', true, 'nsenter']],
    );
  });

  it('writes a metrics file that promtool accepts', async () => {
    await scheduler.runRound();
    const reachability = scheduler.snapshot();
    const status: Status = {
      apiVersion: 'mooring/v1',
      kind: 'Status',
      generatedAt: new Date().toISOString(),
      daemon: { version: '0.0.0-test', instance: 'probes-test', pid: process.pid, startedAt: new Date().toISOString(), manifestsDirectory: '/nowhere' },
      engine: { reachable: true },
      sync: { state: 'Synced', revision: 'r', reconcileTotal: 1, reconcileErrorsTotal: 0, lastReconcileAt: new Date().toISOString() },
      manifests: [],
      resources: [],
      reachability,
      reachabilitySummary: summarizeReachability(reachability),
    };
    const directory = await mkdtemp(join(tmpdir(), 'mooring-metrics-'));
    try {
      const path = join(directory, 'mooring.prom');
      await writeFileAtomic(path, renderMetrics(status));
      const text = await readFile(path, 'utf8');
      assert.match(text, /^mooring_reachability_healthy\{check="link\/web-db:5432",.*\} 1$/m);
      assert.deepEqual(await promtoolCheck(text), { code: 0, output: '' });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
