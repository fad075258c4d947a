import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import sinon from 'sinon';
import { createRunCommand } from '../../../src/cli/run.js';
import type { Status } from '../../../src/status/model.js';
import { FakeEngine } from '../../support/fake-engine.js';
import { captureIo } from '../../support/cli-io.js';
import { statusSchemaErrors } from '../../support/status-schema.js';

const MANIFESTS = `
apiVersion: mooring/v1
kind: Container
metadata: { name: web }
spec:
  image: mooring/busybox:latest
  command: sleep 3600
`;

describe('mooring run', () => {
  let directory: string;
  let engine: FakeEngine;
  let instance: string;
  /** The codes of the exits a second stop signal asked for. */
  let exits: number[];

  beforeEach(async () => {
    exits = [];
    directory = await mkdtemp(join(tmpdir(), 'mooring-run-'));
    await writeFile(join(directory, 'app.yaml'), MANIFESTS);
    engine = new FakeEngine();
    instance = `run-test-${randomBytes(4).toString('hex')}`;
  });

  afterEach(() => rm(directory, { recursive: true, force: true }));

  function run(signals: EventEmitter, ...args: string[]) {
    const { io, output } = captureIo();
    let code = -1;
    const command = createRunCommand({ openEngine: sinon.fake.returns(engine), signals, stopped: () => undefined, exit: (exit) => exits.push(exit) })(io, (exit) => (code = exit))
      .exitOverride()
      .configureOutput({ writeOut: (text) => (output.stdout += text), writeErr: (text) => (output.stderr += text) });
    const done = command
      .parseAsync(['-m', join(directory, 'manifests'), '--instance', instance, '--status', join(directory, 'status.json'), '--log-level', 'debug', ...args], { from: 'user' })
      .then(() => ({ code, ...output }));
    return { done };
  }

  async function readStatus(): Promise<Status | undefined> {
    try {
      return JSON.parse(await readFile(join(directory, 'status.json'), 'utf8')) as Status;
    } catch {
      return undefined;
    }
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await sleep(20);
    }
  }

  it('runs until SIGTERM, reloads on SIGHUP, refuses a second daemon of the instance, and exits 0 with a final status', async () => {
    await rm(join(directory, 'manifests'), { force: true, recursive: true });
    const signals = new EventEmitter();
    const first = run(signals, '--resync', '1m');
    const empty = await until('a first status', readStatus);
    assert.equal(empty.engine.reachable, true);
    assert.deepEqual(empty.manifests, []);

    const second = await run(new EventEmitter()).done;
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`mooring: another mooring daemon already runs instance "${instance}" on this host \\(pid ${process.pid}, `));

    await mkdir(join(directory, 'manifests'));
    await writeFile(join(directory, 'manifests', 'app.yaml'), MANIFESTS);
    signals.emit('SIGHUP', 'SIGHUP');
    const synced = await until('web in the status', async () => {
      const status = await readStatus();
      return status?.sync.state === 'Synced' && status.resources.length === 1 ? status : undefined;
    });
    assert.deepEqual(statusSchemaErrors(synced), []);
    assert.equal(engine.container('web')?.status, 'running');

    signals.emit('SIGTERM', 'SIGTERM');
    const exited = await first.done;
    assert.equal(exited.code, 0, exited.stderr);
    assert.match(exited.stderr, /"message":"reloading the manifests"/);
    assert.match(exited.stderr, /"message":"received SIGTERM"/);
    const final = await readStatus();
    assert.ok(final?.daemon.stoppedAt, 'the final status says the daemon stopped');
    assert.equal(engine.container('web')?.status, 'running', 'containers keep running');
    assert.equal(signals.listenerCount('SIGTERM'), 0, 'the signal handlers are removed');

    // The lock went with the first daemon.
    const againSignals = new EventEmitter();
    const again = run(againSignals);
    await until('a second daemon', async () => ((await readStatus())?.daemon.stoppedAt === undefined ? true : undefined));
    againSignals.emit('SIGINT', 'SIGINT');
    assert.equal((await again.done).code, 0);
  });

  it('a second stop signal exits at once, while the first waits for a start begun', async () => {
    await mkdir(join(directory, 'manifests'));
    await writeFile(join(directory, 'manifests', 'app.yaml'), MANIFESTS);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let starting!: () => void;
    const started = new Promise<void>((resolve) => (starting = resolve));
    const startContainer = engine.startContainer.bind(engine);
    sinon.stub(engine, 'startContainer').callsFake(async (name: string) => {
      starting();
      await released;
      await startContainer(name);
    });
    const signals = new EventEmitter();
    const daemon = run(signals);
    await started;
    signals.emit('SIGTERM', 'SIGTERM');
    assert.deepEqual(exits, []);
    signals.emit('SIGINT', 'SIGINT');
    assert.deepEqual(exits, [130]);
    release();
    const exited = await daemon.done;
    assert.match(exited.stderr, /"message":"received SIGINT again: exiting now, without finishing what has begun nor writing a final status"/);
    assert.equal(engine.container('web')?.status, 'running');
  });

  it('refuses two different manifests directories, as the argument and with -m, and starts nothing', async () => {
    await assert.rejects(run(new EventEmitter(), directory).done, /two manifests directories: .* as the argument and .*manifests with -m; give one of them/);
    assert.equal(await readStatus(), undefined);
  });

  it('refuses a duration it cannot read', async () => {
    await assert.rejects(run(new EventEmitter(), '--resync', 'soon').done, /expected a duration such as "30s", "500ms" or "1m" \(a plain number is seconds\), got "soon"/);
  });
});
