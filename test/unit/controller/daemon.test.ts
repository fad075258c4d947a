import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sinon from 'sinon';
import { systemClock } from '../../../src/clock.js';
import type { DaemonOptions } from '../../../src/controller/options.js';
import { Daemon } from '../../../src/controller/daemon.js';
import { EngineError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';
import type { LoadedManifests } from '../../../src/manifests/desired-state.js';
import { ManifestError } from '../../../src/manifests/errors.js';
import type { AnyDocument } from '../../../src/manifests/model.js';
import type { ProberCheck } from '../../../src/probes/prober.js';
import type { ProberRun, ProberRunner } from '../../../src/probes/prober-runner.js';
import type { ResourceStatus, Status } from '../../../src/status/model.js';
import { FakeEngine } from '../../support/fake-engine.js';
import { statusSchemaErrors } from '../../support/status-schema.js';
import { container, desiredState, link, network } from '../reconcile/fixtures.js';

const START = Date.parse('2024-05-01T12:00:00Z');
const INSTANCE = 'test';

/**
 * Manifest files in memory, loaded with the loader's last-good rule: an
 * invalid file stands in with its last good version, or with nothing.
 */
class FakeManifests {
  readonly files = new Map<string, { documents: AnyDocument[]; errors: ManifestError[] }>();
  /** The `lastGood` each load was given. */
  readonly lastGoodSeen: (ReadonlyMap<string, AnyDocument[]> | undefined)[] = [];
  /** Files that the next load does not see, as while an editor swaps them. */
  readonly hiddenOnce = new Set<string>();

  set(file: string, documents: AnyDocument[]): void {
    this.files.set(file, { documents, errors: [] });
  }

  break(file: string, message: string, line: number, column: number): void {
    this.files.set(file, { documents: [], errors: [new ManifestError(message, { file, line, column })] });
  }

  readonly load = async (options: { directory: string; lastGood?: ReadonlyMap<string, AnyDocument[]> }): Promise<LoadedManifests> => {
    this.lastGoodSeen.push(options.lastGood);
    const visible = [...this.files].filter(([file]) => !this.hiddenOnce.has(file)).sort(([a], [b]) => (a < b ? -1 : 1));
    this.hiddenOnce.clear();
    const documents: AnyDocument[] = [];
    const usingLastGood: string[] = [];
    const unavailable: string[] = [];
    const lastGood = new Map<string, AnyDocument[]>();
    for (const [file, { documents: current, errors }] of visible) {
      const previous = options.lastGood?.get(file);
      if (errors.length === 0) lastGood.set(file, current);
      else if (previous) lastGood.set(file, previous);
      if (errors.length === 0) documents.push(...current);
      else if (previous) {
        usingLastGood.push(file);
        documents.push(...previous);
      } else unavailable.push(file);
    }
    const desired = { ...desiredState(documents, unavailable), revision: JSON.stringify(documents.map((document) => [document.kind, document.name, document.spec])) };
    return {
      directory: options.directory,
      directoryExists: true,
      files: visible.map(([file, { documents: current, errors }]) => ({ file, digest: file, documents: current, errors })),
      desired,
      usingLastGood,
      lastGood,
      heldBackErrors: [],
    };
  };
}

/** Every check connects. */
class ConnectedRunner implements ProberRunner {
  async run(request: { checks: ProberCheck[] }): Promise<ProberRun> {
    return { method: 'nsenter', results: request.checks.map((check) => ({ id: check.id, reason: 'Connected', resolvedAddresses: ['172.18.0.2'], durationMs: 1, message: 'connected' })) };
  }
}

describe('Daemon', () => {
  let clock: sinon.SinonFakeTimers;
  let engine: FakeEngine;
  let manifests: FakeManifests;
  let changed: () => void;
  let directory: string;
  let daemon: Daemon | undefined;
  const statuses: Status[] = [];

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mooring-daemon-'));
    clock = sinon.useFakeTimers({ now: START, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    engine = new FakeEngine();
    manifests = new FakeManifests();
    changed = () => assert.fail('the daemon has not started its watcher');
    statuses.length = 0;
  });

  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    clock.restore();
    await rm(directory, { recursive: true, force: true });
    for (const status of statuses) assert.deepEqual(statusSchemaErrors(status), [], 'every status validates against the schema');
  });

  async function start(options: Partial<DaemonOptions> = {}): Promise<Daemon> {
    daemon = new Daemon({
      engine,
      logger: silentLogger(),
      clock: systemClock,
      instance: INSTANCE,
      manifestsDirectory: '/etc/mooring/manifests',
      statusFile: join(directory, 'status.json'),
      resyncMs: 30_000,
      probes: { runner: new ConnectedRunner(), intervalMs: 10_000, jitterMs: 0 },
      retry: { retries: 1, minTimeoutMs: 10, maxTimeoutMs: 10 },
      backoff: { initialMs: 1000, maxMs: 8000 },
      crashLoop: { minRunMs: 10_000, backoff: { initialMs: 10_000, maxMs: 40_000 } },
      eventsBackoff: { initialMs: 500, maxMs: 2000 },
      loadManifests: manifests.load,
      watchManifests: (watcher) => {
        changed = watcher.onChange;
        return { start: async () => undefined, close: async () => undefined };
      },
      pid: 4242,
      ...options,
    });
    await daemon.start();
    await settle();
    return daemon;
  }

  /** Runs the timers due within `ms` and everything they set off. */
  async function settle(ms = 0): Promise<void> {
    await clock.tickAsync(ms);
    if (daemon?.status) statuses.push(daemon.status);
  }

  function current(): Status {
    assert.ok(daemon?.status, 'expected a status');
    return daemon.status;
  }

  function resource(kind: string, name: string): ResourceStatus {
    const found = current().resources.find((candidate) => candidate.kind === kind && candidate.name === name);
    assert.ok(found, `expected ${kind}/${name} in the status`);
    return found;
  }

  function condition(kind: string, name: string, type: string): string {
    const found = resource(kind, name).conditions.find((candidate) => candidate.type === type);
    return found ? `${found.status} ${found.reason}` : 'absent';
  }

  const passes = () => current().sync.reconcileTotal;
  const starts = (name: string) => engine.calls.filter((call) => call.method === 'startContainer' && call.args[0] === name).length;

  const app = () => [
    network('front'),
    container('web', { networks: [{ name: 'front', aliases: ['www'] }], expose: [80] }),
    container('db', { networks: [{ name: 'front' }], expose: [5432] }),
    link('web-db', { from: 'web', to: 'db', network: 'front' }),
  ];

  it('converges at start, verifies, and says Synced and Healthy', async () => {
    manifests.set('app.yaml', app());
    await start();
    await settle(1000);
    assert.equal(engine.container('web')?.status, 'running');
    assert.equal(engine.container('db')?.status, 'running');
    const status = current();
    assert.equal(status.sync.state, 'Synced', status.sync.message);
    assert.equal(status.engine.reachable, true);
    assert.equal(status.engine.version, '20.10.24');
    assert.deepEqual(
      status.resources.map((entry) => `${entry.kind}/${entry.name} ${entry.health}`),
      ['Network/front Healthy', 'Container/web Healthy', 'Container/db Healthy', 'Link/web-db Healthy'],
    );
    assert.equal(resource('Container', 'web').dockerId, engine.container('web')?.id);
    assert.equal(condition('Container', 'web', 'Ready'), 'True Running');
    assert.equal(condition('Container', 'web', 'Synced'), 'True InSync');
    assert.equal(status.reachabilitySummary.healthy, 1);
    assert.deepEqual(status.manifests, [
      { file: 'app.yaml', valid: true, usingLastKnownGood: false, errors: [], documents: app().map((document) => ({ kind: document.kind, name: document.name })) },
    ]);
    assert.equal(status.daemon.pid, 4242);
    assert.equal(status.daemon.manifestsDirectory, '/etc/mooring/manifests');

    await daemon!.stop();
    const written = JSON.parse(await readFile(join(directory, 'status.json'), 'utf8')) as Status;
    statuses.push(written);
    assert.equal(written.daemon.stoppedAt, new Date(Date.now()).toISOString());
    assert.equal(written.sync.state, 'Synced');
  });

  it('turns a burst of triggers into one pass that reads the manifests once', async () => {
    manifests.set('app.yaml', app());
    await start();
    await settle(1000);
    const before = passes();
    const loads = manifests.lastGoodSeen.length;
    engine.clearCalls();
    changed();
    changed();
    daemon!.reload();
    changed();
    await settle(0);
    assert.equal(passes(), before + 1);
    assert.equal(manifests.lastGoodSeen.length, loads + 1);
    assert.deepEqual(engine.calls.map((call) => call.method).sort(), ['listContainers', 'listImages', 'listNetworks', 'listVolumes']);
  });

  it('repairs a removed container and a disconnected network from engine events', async () => {
    manifests.set('app.yaml', app());
    await start();
    await settle(1000);
    const oldId = engine.container('web')!.id;
    await engine.removeContainer('web');
    await settle(100);
    await settle(100);
    assert.equal(engine.container('web')?.status, 'running');
    assert.notEqual(engine.container('web')?.id, oldId);
    assert.deepEqual(engine.container('web')?.endpoints.map((endpoint) => `${endpoint.network} ${endpoint.aliases.join(',')}`), ['front www']);

    await engine.disconnectNetwork('db', 'front');
    await settle(100);
    await settle(100);
    assert.deepEqual(engine.container('db')?.endpoints.map((endpoint) => endpoint.network), ['front']);
    assert.equal(current().sync.state, 'Synced');
  });

  it('unpauses a container paused by hand, and the sync state follows', async () => {
    manifests.set('app.yaml', app());
    await start();
    await settle(1000);
    engine.setStatus('web', 'paused');
    await settle(100);
    assert.equal(engine.container('web')?.status, 'running');
    assert.equal(engine.calls.filter((call) => call.method === 'unpauseContainer').length, 1);
    assert.notEqual(current().sync.state, 'Synced', 'the pass that unpaused it has not verified it yet');
    await settle(200);
    assert.equal(current().sync.state, 'Synced');
  });

  it('ignores events about containers it does not own', async () => {
    manifests.set('app.yaml', app());
    engine.seedContainer({ name: 'stranger' });
    await start();
    await settle(1000);
    const before = passes();
    engine.setStatus('stranger', 'exited', 1);
    await settle(1000);
    assert.equal(passes(), before);
  });

  it('backs off a resource whose actions keep failing, holds it back, and forgets on success', async () => {
    manifests.set('app.yaml', [container('web')]);
    engine.failNext('startContainer', new EngineError('engine overloaded', { statusCode: 500, transient: true }), { times: 4 });
    await start();
    // Two attempts 10 ms apart within the pass, then a backoff of 1 s from the second failure.
    await settle(50);
    assert.equal(starts('web'), 2);
    assert.equal(engine.container('web')?.status, 'created');
    assert.equal(resource('Container', 'web').health, 'Degraded');
    assert.match(resource('Container', 'web').lastError ?? '', /engine overloaded/);
    assert.equal(current().sync.state, 'Degraded');

    // Other triggers meanwhile leave it alone.
    changed();
    await settle(0);
    assert.equal(condition('Container', 'web', 'Synced'), 'False BackOff');
    await settle(959);
    assert.equal(starts('web'), 2);
    await settle(1);
    await settle(10);
    assert.equal(starts('web'), 4, 'retried after 1 s, failing again');
    await settle(1999);
    assert.equal(starts('web'), 4);
    await settle(1);
    assert.equal(starts('web'), 5);
    assert.equal(engine.container('web')?.status, 'running');
    await settle(100);
    assert.equal(resource('Container', 'web').health, 'Healthy');
    assert.equal(resource('Container', 'web').lastError, undefined);
    assert.equal(current().sync.state, 'Synced');

    // Success forgot the failures: the next one backs off from the start.
    engine.failNext('startContainer', new EngineError('engine overloaded', { statusCode: 500, transient: true }), { times: 2 });
    engine.setStatus('web', 'exited', 0);
    await settle(100);
    const after = starts('web');
    await settle(1000);
    assert.equal(starts('web'), after + 1);
  });

  it('removes a resource that backs off as soon as no manifest declares it, and the status forgets it', async () => {
    manifests.set('app.yaml', [container('web')]);
    manifests.set('other.yaml', [container('db')]);
    engine.failNext('startContainer', new EngineError('engine overloaded', { statusCode: 500, transient: true }), { times: 10, when: (name) => name === 'web' });
    await start();
    await settle(50);
    assert.equal(engine.container('web')?.status, 'created', 'its start failed; it backs off');
    manifests.files.delete('app.yaml');
    changed();
    await settle(0);
    await settle(10_300);
    assert.equal(engine.container('web'), undefined, 'removed after the prune delay, without waiting for its backoff');
    await settle(200);
    assert.equal(current().sync.state, 'Synced', current().sync.message);
    assert.deepEqual(current().resources.map((entry) => entry.name), ['db']);
  });

  it('a changed spec ends a backoff: the fix is tried at once', async () => {
    manifests.set('app.yaml', [container('web')]);
    engine.failNext('startContainer', new EngineError('engine overloaded', { statusCode: 500, transient: true }), { times: 2 });
    await start();
    await settle(50);
    assert.equal(engine.container('web')?.status, 'created', 'its start failed; it backs off');
    manifests.set('app.yaml', [container('web', { env: { FIXED: '1' } })]);
    changed();
    await settle(0);
    await settle(300);
    assert.equal(engine.container('web')?.status, 'running');
    assert.ok(engine.containerConfig('web')?.env.includes('FIXED=1'));
  });

  it('does not retry a terminal failure on its own', async () => {
    manifests.set('app.yaml', [container('web', { image: 'missing:1', pullPolicy: 'Never' })]);
    await start();
    await settle(60_000);
    assert.equal(resource('Container', 'web').health, 'Missing');
    assert.match(resource('Container', 'web').lastError ?? '', /expected image missing:1 to be present/);
    const checks = engine.calls.filter((call) => call.method === 'imageExists').length;
    assert.equal(checks, 3, 'once at start, then only at the two resyncs');
  });

  it('does not retry a terminal failure because of the events the failed attempt itself caused', async () => {
    // `main` cannot be replaced: `sidecar` is bound to its id.
    const app = [network('front'), container('main', { networks: [{ name: 'front' }] }), container('sidecar', { networkMode: 'container:main' })];
    manifests.set('app.yaml', app);
    await start();
    assert.equal(engine.container('main')?.status, 'running');
    // As the engine does when a start fails: it joins the container's networks, then leaves them, then answers.
    const startContainer = engine.startContainer.bind(engine);
    let attempts = 0;
    sinon.stub(engine, 'startContainer').callsFake(async (name: string) => {
      if (name !== 'main') return startContainer(name);
      attempts++;
      await engine.disconnectNetwork('main', 'front');
      await engine.connectNetwork('main', { network: 'front', aliases: [], links: [] });
      throw new EngineError('start container main: 500 Internal Server Error: task 0123: already exists', { statusCode: 500, transient: false, kind: 'unstartable' });
    });
    await engine.stopContainer('sidecar', 1);
    await engine.stopContainer('main', 1);
    await settle(60_000);
    assert.equal(resource('Container', 'main').health, 'Degraded');
    assert.ok(attempts >= 1 && attempts <= 4, `tried ${attempts} times in a minute: after the stop's events, and then at the two resyncs`);
  });

  it('holds a crash-looping container back with a growing backoff, and says CrashLoopBackOff', async () => {
    manifests.set('app.yaml', [container('crasher', { restartPolicy: 'no' })]);
    await start();
    await settle(200);
    assert.equal(starts('crasher'), 1);
    const crash = async () => {
      await settle(1000);
      engine.setStatus('crasher', 'exited', 1);
      await settle(100);
    };
    await crash();
    assert.equal(starts('crasher'), 2, 'the first crash is restarted at once');
    await crash();
    assert.equal(starts('crasher'), 2);
    assert.equal(resource('Container', 'crasher').health, 'Degraded');
    assert.equal(condition('Container', 'crasher', 'Ready'), 'False CrashLoopBackOff');
    assert.equal(condition('Container', 'crasher', 'Synced'), 'False CrashLoopBackOff');
    assert.equal(current().sync.state, 'Degraded');
    assert.match(current().sync.message ?? '', /crash looping: Container\/crasher/);
    // Resyncs and manifest changes do not cut the backoff short.
    changed();
    await settle(9899);
    assert.equal(starts('crasher'), 2);
    await settle(1);
    assert.equal(starts('crasher'), 3);
    await crash();
    await settle(19_000);
    assert.equal(starts('crasher'), 3);
    await settle(1000);
    assert.equal(starts('crasher'), 4, 'the second backoff is twice as long');

    // A fixed spec ends the loop at once.
    await crash();
    manifests.set('app.yaml', [container('crasher', { restartPolicy: 'no', command: 'sleep 7200' })]);
    changed();
    await settle(500);
    assert.equal(engine.container('crasher')?.status, 'running');
    assert.equal(engine.containerConfig('crasher')?.command?.join(' '), 'sleep 7200');
  });

  it('restarts a container whose death the engine announced before its list shows it, without waiting for a resync', async () => {
    manifests.set('app.yaml', [container('crasher', { restartPolicy: 'no' })]);
    await start();
    await settle(200);
    assert.equal(starts('crasher'), 1);
    await settle(1000);
    // As Engine 20.10 does: `die` comes first, and a list made right after it still says running.
    engine.setStatus('crasher', 'exited', 1, { listLags: true });
    await settle(200);
    assert.equal(starts('crasher'), 2, 'the pass the event asked for saw the container exited and started it');
    engine.setStatus('crasher', 'exited', 1, { listLags: true });
    await settle(200);
    assert.equal(starts('crasher'), 2, 'the second quick death is held back');
    assert.equal(condition('Container', 'crasher', 'Ready'), 'False CrashLoopBackOff');
  });

  it('counts a death it observes before the die event arrives as a crash, once', async () => {
    manifests.set('app.yaml', [container('crasher', { restartPolicy: 'no' })]);
    await start();
    await settle(200);
    await settle(1000);
    // Each restart dies at once, and its die event comes only after the next pass has inspected the container.
    const start_ = engine.startContainer.bind(engine);
    sinon.stub(engine, 'startContainer').callsFake(async (name: string) => {
      await start_(name);
      engine.setStatus(name, 'exited', 1, { eventDelayMs: 1000 });
    });
    engine.setStatus('crasher', 'exited', 1);
    await settle(200);
    assert.equal(starts('crasher'), 2, 'the first crash is restarted at once');
    await settle(2000);
    assert.equal(starts('crasher'), 2, 'the second, seen by inspection before its event, is held back');
    assert.equal(condition('Container', 'crasher', 'Ready'), 'False CrashLoopBackOff');
    await settle(10_000);
    assert.equal(starts('crasher'), 3, 'restarted after a 10 s back-off: the late event did not count the death twice');
  });

  it('stays not ready after a crash loop\'s back-off until the restarted container has outlived the crash window', async () => {
    manifests.set('app.yaml', [container('crasher', { restartPolicy: 'no' })]);
    await start();
    await settle(1200);
    engine.setStatus('crasher', 'exited', 1);
    await settle(1200);
    engine.setStatus('crasher', 'exited', 1);
    await settle(10_000);
    assert.equal(engine.container('crasher')?.status, 'running', 'restarted after the back-off');
    assert.equal(resource('Container', 'crasher').health, 'Degraded');
    assert.equal(condition('Container', 'crasher', 'Ready'), 'False CrashLoopBackOff');
    await settle(10_000);
    assert.equal(resource('Container', 'crasher').health, 'Healthy', 'it ran for the crash window: the loop is over');
    assert.equal(current().sync.state, 'Synced');
  });

  it('says Progressing, not unreachable, before the engine was first contacted', async () => {
    manifests.set('app.yaml', app());
    sinon.stub(engine, 'listNetworks').callsFake(() => new Promise(() => undefined));
    await start();
    await settle(5000);
    const status = current();
    assert.equal(status.engine.reachable, null);
    assert.equal(status.sync.state, 'Progressing');
    assert.match(status.sync.message ?? '', /not been contacted yet/);
    const stopped = daemon!.stop();
    // The pass in flight, then the final observation, each wait out the stop deadline.
    await settle(16_000);
    await stopped;
  });

  it('during a long pass says Progressing for what it applies, and writes the status every few seconds', async () => {
    manifests.set('app.yaml', app());
    await start();
    await settle(1000);
    assert.equal(current().sync.state, 'Synced');
    let finish: () => void = () => undefined;
    const startContainer = engine.startContainer.bind(engine);
    sinon.stub(engine, 'startContainer').callsFake((name: string) => new Promise<void>((resolve) => (finish = () => void startContainer(name).then(resolve))));
    await engine.stopContainer('web', 1);
    await settle(200);
    const during = current();
    assert.equal(during.sync.state, 'Progressing');
    assert.match(during.sync.message ?? '', /applying 1 change/);
    assert.equal(resource('Container', 'web').health, 'Progressing');
    assert.equal(condition('Container', 'web', 'Synced'), 'False Progressing');
    assert.equal(resource('Container', 'db').health, 'Healthy', 'what the pass does not touch keeps its health');
    const first = current().generatedAt;
    await settle(2000);
    assert.notEqual(current().generatedAt, first, 'published again while the pass runs');
    assert.match(current().sync.message ?? '', /for 2s so far/);
    finish();
    await settle(500);
    assert.equal(current().sync.state, 'Synced');
  });

  it('finds out within 30 s that the engine hangs, with a resync far away, and resyncs once it answers', async () => {
    manifests.set('app.yaml', app());
    await start({ resyncMs: 600_000 });
    await settle(1000);
    assert.equal(current().sync.state, 'Synced');
    // As the Docker adapter does with a hung engine: every request fails at its 10 s deadline.
    let hung = true;
    const hang = <T>(call: () => Promise<T>) => () =>
      hung ? new Promise<never>((_, reject) => setTimeout(() => reject(new EngineError('the engine did not answer within 10000 ms', { transient: true, kind: 'timeout' })), 10_000)) : call();
    for (const method of ['info', 'listNetworks', 'listContainers'] as const) {
      const answer = engine[method].bind(engine) as () => Promise<never>;
      sinon.stub(engine, method).callsFake(hang(answer));
    }
    await settle(30_000);
    assert.equal(current().engine.reachable, false);
    assert.match(current().engine.lastError ?? '', /did not answer within 10000 ms/);
    hung = false;
    await settle(15_000);
    assert.equal(current().engine.reachable, true);
    assert.equal(current().sync.state, 'Synced');
  });

  it('keeps running while the engine is away at start, says so, and converges when it answers', async () => {
    manifests.set('app.yaml', app());
    engine.available = false;
    await start();
    await settle(3000);
    const status = current();
    assert.equal(status.engine.reachable, false);
    assert.match(status.engine.lastError ?? '', /ECONNREFUSED/);
    assert.equal(status.sync.state, 'Degraded');
    assert.equal(resource('Container', 'web').health, 'Unknown');
    assert.equal(condition('Container', 'web', 'Ready'), 'Unknown EngineUnreachable');
    engine.available = true;
    await settle(2000);
    await settle(100);
    assert.equal(engine.container('web')?.status, 'running');
    assert.equal(current().engine.reachable, true);
    assert.equal(current().sync.state, 'Synced');
  });

  it('notices the engine going away mid-run, and resyncs when it is back', async () => {
    manifests.set('app.yaml', app());
    await start();
    await settle(1000);
    engine.available = false;
    engine.endEvents(new EngineError('socket hang up', { transient: true }));
    await settle(0);
    await settle(0);
    assert.equal(current().engine.reachable, false);
    assert.equal(current().sync.state, 'Degraded');
    // Whatever happens while the stream is down goes unseen...
    engine.available = true;
    await engine.removeContainer('db');
    // ...and is repaired once the stream is back.
    await settle(2000);
    await settle(100);
    assert.equal(engine.container('db')?.status, 'running');
    assert.equal(current().engine.reachable, true);
  });

  it('keeps the last good version of an invalid file, says so with the error, and resumes when fixed', async () => {
    manifests.set('app.yaml', app());
    await start();
    await settle(1000);
    manifests.break('app.yaml', 'spec.image: expected a string, got a number', 7, 12);
    changed();
    await settle(500); // the load reads a changed directory twice, the debounce apart
    assert.equal(manifests.lastGoodSeen.at(-1)?.has('app.yaml'), true);
    assert.equal(engine.container('web')?.status, 'running');
    assert.equal(engine.mutatingCalls().filter((call) => call.method.startsWith('remove')).length, 0);
    const file = current().manifests[0]!;
    assert.deepEqual({ valid: file.valid, usingLastKnownGood: file.usingLastKnownGood, documents: file.documents.length }, { valid: false, usingLastKnownGood: true, documents: 4 });
    assert.deepEqual(file.errors, [{ line: 7, column: 12, message: 'spec.image: expected a string, got a number' }]);
    assert.equal(current().sync.state, 'OutOfSync');

    manifests.set('app.yaml', [...app().slice(0, 3), link('web-db', { from: 'web', to: 'db', network: 'front', ports: [5432] })].map((document) =>
      document.kind === 'Container' && document.name === 'db' ? container('db', { networks: [{ name: 'front' }], expose: [5432], env: { MODE: 'fixed' } }) : document,
    ));
    changed();
    await settle(500); // the load reads a changed directory twice, the debounce apart
    assert.deepEqual(engine.containerConfig('db')?.env, ['MODE=fixed']);
    await settle(100);
    assert.equal(current().manifests[0]?.valid, true);
    assert.equal(current().sync.state, 'Synced');
  });

  it('prunes what a deleted file declared, but only if it is still gone when looked at again and after the prune delay', async () => {
    manifests.set('app.yaml', app());
    manifests.set('extra.yaml', [container('extra')]);
    await start();
    await settle(1000);
    manifests.hiddenOnce.add('extra.yaml');
    changed();
    await settle(1000);
    assert.equal(engine.container('extra')?.status, 'running', 'an editor swapping the file in is not a deletion');
    assert.equal(current().sync.state, 'Synced');
    manifests.files.delete('extra.yaml');
    changed();
    await settle(1000);
    assert.equal(engine.container('extra')?.status, 'running', 'removed only after the prune delay');
    assert.equal(current().sync.state, 'Progressing');
    assert.match(current().sync.message ?? '', /no manifest declares Container\/extra: removed in \d+s if that holds/);
    await settle(9500);
    assert.equal(engine.container('extra'), undefined);
  });

  it('a removal that stops being planned within the prune delay never happens: a file written slowly in place', async () => {
    manifests.set('app.yaml', [...app(), container('extra')]);
    await start();
    await settle(1000);
    const extraId = engine.container('extra')?.id;
    // The first half of the file is written; the rest follows 1.5 s later.
    manifests.set('app.yaml', app());
    changed();
    await settle(1500);
    manifests.set('app.yaml', [...app(), container('extra')]);
    changed();
    await settle(20_000);
    assert.equal(engine.container('extra')?.id, extraId, 'never removed, never recreated');
    assert.equal(current().sync.state, 'Synced');
  });

  it('on stop, finishes the sequence begun, begins no other, writes a final status, and leaves containers running', async () => {
    // `second` shares the network namespace of `first`: its creation waits for first's, which is slow.
    manifests.set('app.yaml', [container('first'), container('second', { networkMode: 'container:first' })]);
    const createContainer = engine.createContainer.bind(engine);
    sinon.stub(engine, 'createContainer').callsFake(async (config) => {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      return createContainer(config);
    });
    await start();
    await settle(1000);
    const stopped = daemon!.stop();
    await settle(2000);
    await stopped;
    assert.equal(engine.container('first')?.status, 'running', 'the creation in flight finished, and its start followed');
    assert.equal(engine.container('second'), undefined, 'nothing new began');
    assert.ok(!engine.mutatingCalls().some((call) => call.method === 'stopContainer' || call.method === 'removeContainer'));
    const written = JSON.parse(await readFile(join(directory, 'status.json'), 'utf8')) as Status;
    statuses.push(written);
    assert.equal(written.daemon.stoppedAt, new Date(Date.now()).toISOString());
    const first = written.resources.find((entry) => entry.name === 'first');
    assert.equal(first?.dockerId, engine.container('first')?.id, 'the final status observed the engine after the pass');
    assert.equal(first?.conditions.find((entry) => entry.type === 'Ready')?.reason, 'Running');
    assert.equal(written.resources.find((entry) => entry.name === 'second')?.health, 'Missing');
    const before = passes();
    changed();
    await settle(60_000);
    assert.equal(passes(), before, 'no pass after stop');
  });

  it('waits past its deadline for a recreate begun; the final status has the new container, running', async () => {
    manifests.set('app.yaml', [container('web', { env: { V: '1' } })]);
    await start({ stopTimeoutMs: 5000 });
    await settle(1000);
    const old = engine.container('web')!.id;
    const startContainer = engine.startContainer.bind(engine);
    sinon.stub(engine, 'startContainer').callsFake(async (name: string) => {
      await new Promise((resolve) => setTimeout(resolve, 20_000));
      await startContainer(name);
    });
    manifests.set('app.yaml', [container('web', { env: { V: '2' } })]);
    changed();
    await settle(200);
    assert.equal(engine.container('web')?.status, 'created', 'the recreate has begun: the new container waits for its start');
    const stopped = daemon!.stop();
    let done = false;
    void stopped.then(() => (done = true));
    await settle(10_000);
    assert.equal(done, false, 'the stop waits for the start, past its deadline');
    await settle(10_000);
    await stopped;
    const web = engine.container('web')!;
    assert.notEqual(web.id, old);
    assert.equal(web.status, 'running');
    const written = JSON.parse(await readFile(join(directory, 'status.json'), 'utf8')) as Status;
    statuses.push(written);
    const entry = written.resources.find((candidate) => candidate.name === 'web');
    assert.equal(entry?.dockerId, web.id);
    assert.equal(entry?.health, 'Healthy');
    assert.equal(written.sync.state, 'Synced', written.sync.message);
  });

  it('the final status lists what was not begun, with the container that still runs', async () => {
    manifests.set('app.yaml', [container('web', { env: { V: '1' } })]);
    await start();
    await settle(1000);
    const old = engine.container('web')!.id;
    const imageExists = engine.imageExists.bind(engine);
    sinon.stub(engine, 'imageExists').callsFake(async (image: string) => {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      return imageExists(image);
    });
    manifests.set('app.yaml', [container('web', { env: { V: '2' } })]);
    changed();
    await settle(200);
    const stopped = daemon!.stop();
    await settle(3000);
    await stopped;
    assert.equal(engine.container('web')?.id, old, 'the recreate had not begun');
    const written = JSON.parse(await readFile(join(directory, 'status.json'), 'utf8')) as Status;
    statuses.push(written);
    const entry = written.resources.find((candidate) => candidate.name === 'web');
    assert.equal(entry?.dockerId, old);
    assert.deepEqual(entry?.conditions.map((condition) => `${condition.type} ${condition.status} ${condition.reason}`), ['Synced False DependencyNotReady', 'Ready True Running']);
    assert.match(entry?.conditions[0]?.message ?? '', /^pull-image:web skipped: mooring is stopping$/);
  });

  it('stops within its deadlines when an engine call hangs before anything began', async () => {
    manifests.set('app.yaml', [container('web')]);
    await start({ stopTimeoutMs: 5000 });
    sinon.stub(engine, 'listContainers').callsFake(() => new Promise<never>(() => undefined));
    changed();
    await settle(200);
    const stopped = daemon!.stop();
    let done = false;
    void stopped.then(() => (done = true));
    await settle(9999);
    assert.equal(done, false, 'the pass in flight, then the final observation, each have the deadline');
    await settle(1);
    await stopped;
    assert.ok(current().daemon.stoppedAt);
    assert.equal(current().engine.reachable, false);
    assert.equal(current().engine.lastError, 'the engine did not answer within 5000 ms');
  });

  it('writes the status at least once per resync period', async () => {
    manifests.set('app.yaml', app());
    await start();
    await settle(1000);
    const before = current().generatedAt;
    await settle(30_000);
    assert.equal(Date.parse(current().generatedAt) - Date.parse(before) <= 30_000 + 1000, true);
    assert.notEqual(current().generatedAt, before);
  });
});
