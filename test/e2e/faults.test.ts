/**
 * Faults, end to end: the real `mooring` process against an engine of its own
 * (scripts/second-engine.sh: a second dockerd in its own network namespace), so
 * that stopping, killing and freezing it disturbs no other test. Each test waits
 * on what a user would observe (the status file, the engine's containers) and
 * prints its figure; docs/reliability.md quotes them.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Status } from '../../src/status/model.js';
import { RUN_ID, TEST_IMAGE, requireEngine } from '../support/docker.js';
import { eventually, MooringProcess, readStatus, requireBuild, statusWaiter } from '../support/mooring-process.js';

const execFileAsync = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../scripts/second-engine.sh', import.meta.url));
/** Short: it names a network namespace and directories. */
const ENGINES = `mf${RUN_ID}`;
const ENGINE = `${ENGINES}-1`;
const COUNT = 20;

async function secondEngine(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('bash', [SCRIPT, ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.trim();
}

interface Listed {
  id: string;
  name: string;
  state: string;
  hash: string;
}

describe('faults, end to end, on an engine of their own', function () {
  this.timeout(240_000);
  const figures: string[] = [];
  let socket: string;
  let directory: string;
  let manifests: string;
  let statusFile: string;
  let daemon: MooringProcess | undefined;
  let instance: string;
  /** Set once the engine's start began: a start that fails half-way leaves things to stop too. */
  let engineStarted = false;

  const docker = async (...args: string[]) => (await execFileAsync('docker', ['-H', socket, ...args], { maxBuffer: 16 * 1024 * 1024 })).stdout.trim();

  /** This instance's containers on the engine, by name. */
  const owned = async (): Promise<Listed[]> => {
    const lines = await docker('ps', '-a', '--filter', `label=io.mooring.instance=${instance}`, '--format', '{{.ID}} {{.Names}} {{.State}} {{.Label "io.mooring.spec-hash"}}');
    return lines
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [id = '', name = '', state = '', hash = ''] = line.split(' ');
        return { id, name, state, hash };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  };

  const names = (count: number) => Array.from({ length: count }, (_, index) => `${instance}-c${String(index + 1).padStart(2, '0')}`).sort();

  const app = (count: number, greeting = 'hello') =>
    [
      `apiVersion: mooring/v1\nkind: Network\nmetadata: { name: ${instance}-net }\nspec: {}\n`,
      ...names(count).map(
        (name) =>
          `apiVersion: mooring/v1\nkind: Container\nmetadata: { name: ${name} }\nspec:\n  image: ${TEST_IMAGE}\n  pullPolicy: Never\n  command: ["sleep", "1d"]\n  stopTimeout: 1\n  env: { GREETING: ${greeting} }\n  networks: [{ name: ${instance}-net }]\n`,
      ),
    ].join('---\n');

  const describeState = async () => `last status: ${JSON.stringify(await readStatus(statusFile), null, 2).slice(0, 3000)}\ndaemon log:\n${daemon?.stderr.slice(-4000) ?? ''}`;
  const waitForStatus = statusWaiter(() => statusFile, () => daemon);
  const statusUntil = (what: string, check: (status: Status) => boolean, timeoutMs = 180_000) => waitForStatus(what, check, timeoutMs);

  /**
   * Synced, every resource Healthy, and the engine runs exactly the declared containers, once each. Only a
   * status the running daemon wrote counts: one killed leaves its last status behind.
   */
  const converged = async (count: number, what: string) => {
    await statusUntil(
      what,
      (status) =>
        status.daemon.pid === daemon?.child.pid &&
        status.engine.reachable === true &&
        status.sync.state === 'Synced' &&
        status.resources.length === count + 1 &&
        status.resources.every((resource) => resource.health === 'Healthy'),
    );
    const listed = await owned();
    assert.deepEqual(listed.map((container) => container.name), names(count), 'each declared container once, and nothing else');
    assert.ok(listed.every((container) => container.state === 'running'), JSON.stringify(listed));
    return listed;
  };

  const startMooring = () => {
    daemon = new MooringProcess([
      'run', '-m', manifests, '--instance', instance, '--status', statusFile, '--docker-host', socket,
      '--resync', '2s', '--probe-interval', '1s', '--listen', '127.0.0.1:0', '--log-level', 'debug',
    ]);
  };

  const enginePid = async () => Number(await secondEngine('pid', ENGINE));

  /** Stops the engine's process with `signal` and waits until it is gone; resolves to when the signal was sent. */
  const killEngine = async (signal: NodeJS.Signals): Promise<number> => {
    const pid = await enginePid();
    assert.ok(pid > 0, 'the engine runs');
    const sentAt = Date.now();
    process.kill(pid, signal);
    await eventually(`dockerd (${pid}) exits`, async () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, { timeoutMs: 60_000 });
    return sentAt;
  };

  const readyz = async () => {
    const address = /"address":"([^"]+)"/.exec(daemon?.stderr ?? '')?.[1];
    assert.ok(address, 'the HTTP address is in the log');
    return (await fetch(`http://${address}/readyz`)).status;
  };

  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

  before(async function () {
    this.timeout(180_000);
    await requireEngine(this);
    requireBuild();
    if (process.getuid?.() !== 0) {
      if (process.env.CI === 'true') throw new Error('the fault tests start an engine of their own, which needs root');
      this.skip();
    }
    engineStarted = true;
    const started = await secondEngine('start', ENGINES, '1');
    socket = started.split(' ')[1]!;
    directory = await mkdtemp(join(tmpdir(), 'mooring-e2e-faults-'));
  });

  beforeEach(async () => {
    instance = `f${RUN_ID}${Math.random().toString(36).slice(2, 6)}`;
    manifests = join(directory, instance);
    statusFile = join(directory, `${instance}.json`);
    await mkdir(manifests);
  });

  afterEach(async () => {
    await daemon?.kill();
    daemon = undefined;
    // The engine is this suite's alone, but each test starts from an empty one.
    const containers = await docker('ps', '-aq', '--filter', `label=io.mooring.instance=${instance}`).catch(() => '');
    if (containers) await docker('rm', '-f', ...containers.split('\n')).catch(() => '');
    const networks = await docker('network', 'ls', '-q', '--filter', `label=io.mooring.instance=${instance}`).catch(() => '');
    if (networks) await docker('network', 'rm', ...networks.split('\n')).catch(() => '');
  });

  after(async function () {
    this.timeout(120_000);
    if (figures.length > 0) console.log(`\n    fault figures:\n${figures.map((line) => `      ${line}`).join('\n')}`);
    await daemon?.kill();
    try {
      if (engineStarted) await secondEngine('stop', ENGINES);
    } finally {
      if (directory) await rm(directory, { recursive: true, force: true });
    }
  });

  it('the engine stopped and started again: reported unreachable, then everything runs again, nothing duplicated', async () => {
    await writeFile(join(manifests, 'app.yaml'), app(5));
    startMooring();
    await converged(5, 'the first sync');
    const stoppedAt = await killEngine('SIGTERM');
    await statusUntil('the status says the engine does not answer', (status) => status.engine.reachable === false);
    const unreachableMs = Date.now() - stoppedAt;
    assert.equal(await readyz(), 503);
    const restartedAt = Date.now();
    await secondEngine('start', ENGINES, '1');
    const answersMs = Date.now() - restartedAt;
    await converged(5, 'everything runs again');
    assert.equal(await readyz(), 200);
    figures.push(
      `engine stopped (SIGTERM, its containers stopped with it): unreachable in the status ${seconds(unreachableMs)} after SIGTERM; ` +
        `started again: answers after ${seconds(answersMs)}, all 5 running and Synced ${seconds(Date.now() - restartedAt)} after the start`,
    );
  });

  it('the engine hung (SIGSTOP): reported unreachable within a resync period and the request deadline, then Synced again with nothing recreated', async () => {
    await writeFile(join(manifests, 'app.yaml'), app(5));
    startMooring();
    const before = await converged(5, 'the first sync');
    const pid = await enginePid();
    process.kill(pid, 'SIGSTOP');
    const stoppedAt = Date.now();
    try {
      await statusUntil('the status says the engine does not answer', (status) => status.engine.reachable === false && status.sync.state !== 'Synced', 60_000);
      assert.equal(await readyz(), 503);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const unreachableMs = Date.now() - stoppedAt;
    const resumedAt = Date.now();
    const after = await converged(5, 'Synced again');
    assert.deepEqual(after.map((container) => container.id), before.map((container) => container.id), 'nothing was recreated');
    figures.push(`engine hung: unreachable in the status after ${seconds(unreachableMs)} (request deadline 10 s, resync 2 s); Synced ${seconds(Date.now() - resumedAt)} after SIGCONT`);
  });

  it('the engine paused (SIGSTOP) for 15 s while a manifest changed: the change is applied once it answers', async () => {
    await writeFile(join(manifests, 'app.yaml'), app(5));
    startMooring();
    await converged(5, 'the first sync');
    const pid = await enginePid();
    process.kill(pid, 'SIGSTOP');
    let resumedAt: number;
    try {
      await writeFile(join(manifests, 'app.yaml'), app(6));
      // The fault itself lasts 15 s; nothing waits on it for synchronisation.
      await new Promise((resolve) => setTimeout(resolve, 15_000));
    } finally {
      process.kill(pid, 'SIGCONT');
      resumedAt = Date.now();
    }
    await converged(6, 'the sixth container runs');
    figures.push(`engine paused 15 s with a change pending: Synced with the change ${seconds(Date.now() - resumedAt)} after SIGCONT`);
  });

  it('the engine killed (SIGKILL) in the middle of an apply of 20 containers: all 20 run once it is back, none twice', async () => {
    await writeFile(join(manifests, 'app.yaml'), app(COUNT));
    startMooring();
    // Mid-apply: some containers started, not all.
    await eventually('some containers run, not all', async () => {
      const listed = await owned();
      const running = listed.filter((container) => container.state === 'running').length;
      return running > 0 && running < COUNT;
    }, { timeoutMs: 120_000, describe: describeState });
    const mid = await owned();
    await killEngine('SIGKILL');
    await statusUntil('the status says the engine does not answer', (status) => status.engine.reachable === false);
    const restartedAt = Date.now();
    await secondEngine('start', ENGINES, '1');
    const answersMs = Date.now() - restartedAt;
    await converged(COUNT, `all ${COUNT} run`);
    const replaced = (daemon!.stderr.match(/replacing the container with a new one/g) ?? []).length;
    figures.push(
      `engine killed mid-apply (${mid.filter((container) => container.state === 'running').length} of ${COUNT} running, ${mid.length} created): ` +
        `the engine answers ${seconds(answersMs)} after its start; all ${COUNT} running and Synced ${seconds(Date.now() - restartedAt)} after it; ` +
        `${replaced} container(s) the engine could no longer start were replaced`,
    );
  });

  it('mooring killed (SIGKILL) in the middle of a 20-container recreate and started again: converges with no leftover or duplicate', async () => {
    await writeFile(join(manifests, 'app.yaml'), app(COUNT));
    startMooring();
    const before = await converged(COUNT, `all ${COUNT} run`);
    const oldHashes = new Set(before.map((container) => container.hash));
    await writeFile(join(manifests, 'app.yaml'), app(COUNT, 'changed'));
    await eventually('the recreate is under way, not done', async () => {
      const listed = await owned();
      const recreated = listed.filter((container) => !oldHashes.has(container.hash)).length;
      return (recreated > 0 || listed.length < COUNT) && recreated < COUNT;
    }, { timeoutMs: 120_000, describe: describeState });
    await daemon!.kill();
    const mid = await owned();
    const restartedAt = Date.now();
    startMooring();
    const after = await converged(COUNT, `all ${COUNT} recreated and running`);
    assert.ok(after.every((container) => !oldHashes.has(container.hash)), 'every container has the new spec');
    for (const container of after) assert.match(await docker('inspect', '--format', '{{json .Config.Env}}', container.name), /GREETING=changed/);
    figures.push(
      `mooring killed mid-recreate (${mid.filter((container) => !oldHashes.has(container.hash)).length} of ${COUNT} recreated, ${COUNT - mid.length} missing): ` +
        `Synced with all ${COUNT} recreated once, ${seconds(Date.now() - restartedAt)} after it was started again`,
    );
  });
});
