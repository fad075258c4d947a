/**
 * The container image, built from the Dockerfile and run the way the README says:
 * the containerized daemon converges a manifest directory through the mounted
 * Docker socket, probes from inside containers, and writes its status to the
 * mounted volume.
 *
 * No registry answers here, so the base image is a stand-in for node:20 made of
 * this host's node, npm and nsenter (local-node-image.sh), and the registry's
 * TLS-intercepting proxy is trusted through the Dockerfile's optional
 * extra-ca-certificates.crt, taken from the system bundle.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import type { Status } from '../../../src/status/model.js';
import { RUN_ID, TEST_IMAGE, docker, dockerMaybe, removeByName, removeLabelled, requireEngine, uniqueName } from '../../support/docker.js';

const execFileAsync = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../../..');
const SYSTEM_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
/** Carried by the base image and so by every image built from it: what `after` removes. */
const RUN_LABEL = `io.mooring.test-image-run=${RUN_ID}`;
const BASE_IMAGE = `mooring-test/node-base:${RUN_ID}`;
const IMAGE = `mooring-test/mooring:${RUN_ID}`;

const instance = uniqueName('ship');
const names = {
  network: uniqueName('ship-net'),
  web: uniqueName('ship-web'),
  client: uniqueName('ship-client'),
  daemon: uniqueName('ship-mooring'),
};

/** A manifest directory: a web server and a client on a user-defined network, with a Link the daemon probes. */
function manifests(): string {
  const doc = (kind: string, name: string, spec: Record<string, unknown>) => stringify({ apiVersion: 'mooring/v1', kind, metadata: { name }, spec });
  const container = { image: TEST_IMAGE, pullPolicy: 'Never', stopTimeout: 1, networks: [{ name: names.network }] };
  return [
    doc('Network', names.network, {}),
    doc('Container', names.web, { ...container, command: 'httpd -f -p 80 -h /www', expose: [80] }),
    doc('Container', names.client, { ...container, command: 'sleep 3600' }),
    doc('Link', `${names.client}-to-web`, { from: names.client, to: names.web, alias: 'www', network: names.network, ports: [80] }),
  ].join('---\n');
}

/** The files `git` would put in a fresh clone, as they are in this working tree, plus the CA bundle. */
async function buildContext(directory: string): Promise<void> {
  const { stdout } = await execFileAsync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO, maxBuffer: 16 * 1024 * 1024 });
  for (const file of stdout.split('\0').filter(Boolean)) {
    if (!existsSync(join(REPO, file))) continue;
    await mkdir(dirname(join(directory, file)), { recursive: true });
    await copyFile(join(REPO, file), join(directory, file));
  }
  if (existsSync(SYSTEM_CA_BUNDLE)) await copyFile(SYSTEM_CA_BUNDLE, join(directory, 'extra-ca-certificates.crt'));
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

async function readStatus(file: string): Promise<Status | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Status;
  } catch {
    return undefined;
  }
}

/** Polls until `check` returns a value, or fails with what was last seen. */
async function eventually<T>(what: string, deadlineMs: number, check: () => Promise<T | undefined>, describe: () => Promise<string>): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`expected ${what} within ${deadlineMs / 1000} s; last seen:\n${await describe()}`);
    await new Promise((done) => setTimeout(done, 500));
  }
}

describe('the container image', function () {
  this.timeout(10 * 60_000);
  let work: string;
  let manifestsDir: string;
  let statusDir: string;

  before(async function () {
    await requireEngine(this);
    work = await mkdtemp(join(tmpdir(), 'mooring-image-'));
    manifestsDir = join(work, 'manifests');
    statusDir = join(work, 'status');
    await mkdir(manifestsDir);
    await mkdir(statusDir);
    await writeFile(join(manifestsDir, 'stack.yaml'), manifests());
    await execFileAsync('bash', [join(REPO, 'test/integration/ship/local-node-image.sh'), BASE_IMAGE, RUN_LABEL]);
    const context = join(work, 'context');
    await buildContext(context);
    // Docker 20.10 without buildx: the classic builder, which the Dockerfile is written for too.
    await execFileAsync('docker', ['build', '--quiet', '--build-arg', `BASE_IMAGE=${BASE_IMAGE}`, '--tag', IMAGE, context], {
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
      maxBuffer: 64 * 1024 * 1024,
    });
  });

  afterEach(async () => {
    await dockerMaybe('rm', '-f', names.daemon);
  });

  after(async () => {
    await removeByName({ containers: [names.daemon] });
    await removeLabelled(`io.mooring.instance=${instance}`);
    // Probe containers carry no instance label; a daemon removed mid-round may leave one.
    for (const source of [names.client, names.web]) await removeLabelled(`io.mooring.name=${source}`);
    await dockerMaybe('image', 'prune', '--all', '--force', '--filter', `label=${RUN_LABEL}`);
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Starts the image as the README's `docker run` line does, with a unique instance and quick probes. */
  async function runDaemon(dockerFlags: string[], mooringFlags: string[]): Promise<void> {
    await rm(join(statusDir, 'status.json'), { force: true });
    await docker(
      'run', '--detach', '--name', names.daemon,
      '--volume', '/var/run/docker.sock:/var/run/docker.sock',
      '--volume', `${manifestsDir}:/etc/mooring/manifests:ro`,
      '--volume', `${statusDir}:/var/lib/mooring`,
      ...dockerFlags,
      IMAGE,
      'run', '-m', '/etc/mooring/manifests', '--status', '/var/lib/mooring/status.json', '--metrics-file', '/var/lib/mooring/metrics.prom',
      '--instance', instance, '--probe-interval', '1s', ...mooringFlags,
    );
  }

  async function daemonLogs(): Promise<string> {
    const logs = await dockerMaybe('logs', '--tail', '30', names.daemon);
    const status = await readFile(join(statusDir, 'status.json'), 'utf8').catch(() => '(no status file)');
    return `status.json: ${status.slice(0, 4000)}\ndaemon log:\n${logs ?? '(none)'}`;
  }

  /** The status once everything is Synced and the link is healthy by the given probe method. */
  async function convergedStatus(method: string): Promise<Status> {
    return eventually('the status to show Synced and the link healthy', 120_000, async () => {
      const status = await readStatus(join(statusDir, 'status.json'));
      const link = status?.reachability.find((check) => check.kind === 'link');
      if (status?.sync.state !== 'Synced' || link?.healthy !== true || link.lastProbe?.method !== method) return undefined;
      return status;
    }, daemonLogs);
  }

  it('converges the manifests and probes from namespace-entering threads with the host pid namespace and the two capabilities', async () => {
    const port = await freePort();
    await runDaemon(
      [
        '--network', 'host', '--pid', 'host', '--cap-add', 'SYS_ADMIN', '--cap-add', 'SYS_PTRACE',
        // The image's HEALTHCHECK, checked sooner than every 30 s; on the host network the port must be free.
        '--env', `MOORING_HEALTHCHECK_URL=http://127.0.0.1:${port}/healthz`, '--health-interval', '1s', '--health-start-period', '1s',
      ],
      ['--listen', `127.0.0.1:${port}`],
    );
    const status = await convergedStatus('setns');
    assert.equal(status.daemon.instance, instance);
    assert.equal(status.daemon.manifestsDirectory, '/etc/mooring/manifests');
    for (const name of [names.web, names.client]) {
      assert.equal(await docker('inspect', '--format', '{{.State.Running}} {{index .Config.Labels "io.mooring.instance"}}', name), `true ${instance}`);
      assert.equal(status.resources.find((resource) => resource.kind === 'Container' && resource.name === name)?.health, 'Healthy');
    }
    assert.match(await readFile(join(statusDir, 'metrics.prom'), 'utf8'), /^mooring_build_info\{/m);
    await eventually('the HEALTHCHECK to report healthy', 60_000, async () => {
      const health = await docker('inspect', '--format', '{{.State.Health.Status}}', names.daemon);
      return health === 'healthy' ? health : undefined;
    }, async () => docker('inspect', '--format', '{{json .State.Health}}', names.daemon));

    // `docker stop` is SIGTERM to the daemon, PID 1 of its container: it exits 0 and leaves the containers running.
    await docker('stop', '--time', '15', names.daemon);
    assert.equal(await docker('inspect', '--format', '{{.State.ExitCode}}', names.daemon), '0');
    assert.equal(await docker('inspect', '--format', '{{.State.Running}}', names.web), 'true');
  });

  it('probes from a probe container of its own image without any privilege', async () => {
    await runDaemon([], ['--probe-method', 'probe-container']);
    const status = await convergedStatus('probe-container');
    assert.equal(status.resources.find((resource) => resource.name === names.web)?.health, 'Healthy');
  });
});
