/**
 * Stopping never leaves a container down: a stop finishes the sequences that
 * have begun (a container removed to be recreated is created and started),
 * begins no other, and the final status says what runs at exit.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_ID, TEST_IMAGE, dockerMaybe, removeLabelled, requireEngine, uniqueName } from '../support/docker.js';
import type { ResourceStatus } from '../../src/status/model.js';
import { MooringProcess, eventually, readStatus, requireBuild } from '../support/mooring-process.js';

interface Inspected {
  Id: string;
  State: { Running: boolean };
  Config: { Env: string[] };
}

async function inspect(name: string): Promise<Inspected | undefined> {
  const text = await dockerMaybe('container', 'inspect', name);
  return text === undefined ? undefined : (JSON.parse(text) as Inspected[])[0];
}

/** A container whose process ignores SIGTERM (sleep as pid 1): stopping it takes its whole `stopTimeout`. */
const container = (name: string, options: { version: number; stopTimeout: number; networkMode?: string }) => `apiVersion: mooring/v1
kind: Container
metadata: { name: ${name} }
spec:
  image: ${TEST_IMAGE}
  pullPolicy: Never
  command: ["sleep", "1d"]
  stopTimeout: ${options.stopTimeout}
  env: { VERSION: "${options.version}" }
${options.networkMode ? `  networkMode: "${options.networkMode}"\n` : ''}`;

/** Waits until `process` logs a line (JSON) that `match` accepts. */
function logged(process: MooringProcess, what: string, match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return eventually(what, async () => process.stderr.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>).find(match), {
    describe: async () => `log:\n${process.stderr.slice(-4000)}`,
  });
}

const recreateBegun = (line: Record<string, unknown>) => line.message === 'engine stopContainer' && line.action === 'recreate-container';

describe('stopping never leaves a container down, end to end', function () {
  const instance = `e2e-stop-${RUN_ID}`;
  let directory: string;
  let manifests: string;
  const processes: MooringProcess[] = [];
  const start = (args: string[]) => {
    const started = new MooringProcess([...args, '--instance', instance, '-m', manifests]);
    processes.push(started);
    return started;
  };
  const declare = (...documents: string[]) => writeFile(join(manifests, 'app.yaml'), documents.join('---\n'));

  before(async function () {
    await requireEngine(this);
    requireBuild();
    directory = await mkdtemp(join(tmpdir(), 'mooring-e2e-stop-'));
    manifests = join(directory, 'manifests');
    await mkdir(manifests);
  });

  afterEach(async () => {
    for (const process of processes.splice(0)) await process.kill();
    await removeLabelled(`io.mooring.instance=${instance}`);
  });

  after(async () => {
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('SIGTERM to mooring run during the recreate of several containers: each is created and started again, and the final status has their ids', async () => {
    const names = ['a', 'b', 'c'].map((suffix) => uniqueName(`stop-run-${suffix}`));
    // Stopping each old container takes 9 s, past the daemon's 8 s stop deadline.
    const declareAll = (version: number) => declare(...names.map((name) => container(name, { version, stopTimeout: 9 })));
    await declareAll(1);
    const statusFile = join(directory, 'status.json');
    const daemon = start(['run', '--status', statusFile, '--resync', '10m', '--probe-interval', '1m', '--log-level', 'debug']);
    await eventually('the three containers run', async () => {
      const status = await readStatus(statusFile);
      return status?.sync.state === 'Synced' && status.resources.filter((resource) => resource.health === 'Healthy').length === 3;
    }, { describe: async () => daemon.stderr.slice(-4000) });
    const before = await Promise.all(names.map(async (name) => (await inspect(name))!.Id));

    await declareAll(2);
    await logged(daemon, 'a recreate has begun', recreateBegun);
    daemon.signal('SIGTERM');
    assert.deepEqual(await daemon.exited, { code: 0, signal: null }, daemon.stderr.slice(-4000));

    assert.match(daemon.stderr, /still finishing what the pass began for Container\//, 'the stop waited past its deadline');
    const final = await readStatus(statusFile);
    assert.ok(final?.daemon.stoppedAt, 'a final status');
    const resources: ResourceStatus[] = final.resources;
    for (const [index, name] of names.entries()) {
      const inspected = await inspect(name);
      assert.equal(inspected?.State.Running, true, `${name} runs`);
      assert.notEqual(inspected.Id, before[index], `${name} was recreated`);
      assert.ok(inspected.Config.Env.includes('VERSION=2'));
      const entry = resources.find((resource) => resource.name === name);
      assert.equal(entry?.dockerId, inspected.Id, `the final status has the id docker inspect has for ${name}`);
      assert.equal(entry?.conditions.find((condition) => condition.type === 'Ready')?.reason, 'Running');
    }
    assert.equal(final.sync.state, 'Synced', final.sync.message);
  });

  describe('mooring apply', () => {
    const a = uniqueName('stop-apply-a');
    const b = uniqueName('stop-apply-b');

    /** Applies `a` at version 1, then starts applying version 2 with `b`, which shares a's network namespace, and waits until a's recreate has begun. */
    async function applyingRecreate(stopTimeout: number): Promise<{ applying: MooringProcess; before: string }> {
      await declare(container(a, { version: 1, stopTimeout }));
      const first = await MooringProcess.run(['apply', '-m', manifests, '--instance', instance]);
      assert.equal(first.exit.code, 0, first.stdout + first.stderr);
      const before = (await inspect(a))!.Id;
      // b's creation waits for a's: it is not begun while a's recreate runs.
      await declare(container(a, { version: 2, stopTimeout }), container(b, { version: 1, stopTimeout: 1, networkMode: `container:${a}` }));
      const applying = start(['apply', '--log-level', 'debug']);
      await logged(applying, "a's recreate has begun", recreateBegun);
      return { applying, before };
    }

    it('a first SIGINT finishes the recreate begun, begins nothing more, says what was done and not, and exits 130', async () => {
      const { applying, before } = await applyingRecreate(3);
      applying.signal('SIGINT');
      assert.deepEqual(await applying.exited, { code: 130, signal: null }, applying.stdout + applying.stderr.slice(-4000));
      assert.match(applying.stderr, /^mooring: SIGINT: finishing what has begun, beginning nothing more; interrupt again to exit now$/m);
      assert.match(applying.stdout, new RegExp(`^~ recreate container ${a}: done \\(\\d+ ms\\)$`, 'm'));
      assert.match(applying.stdout, new RegExp(`^> start container ${a}: done \\(\\d+ ms\\)$`, 'm'));
      assert.match(applying.stdout, new RegExp(`^\\+ create container ${b}: skipped, mooring is stopping$`, 'm'));
      assert.match(applying.stdout, /^Interrupted \(SIGINT\): \d+ actions? done, 2 not begun\. Run `mooring apply` again to finish\.$/m);
      const after = await inspect(a);
      assert.equal(after?.State.Running, true);
      assert.notEqual(after.Id, before);
      assert.equal(await inspect(b), undefined);
    });

    it('a second SIGINT exits at once', async () => {
      // Stopping the old a takes 30 s: exiting at once means exiting while it still runs.
      const { applying, before } = await applyingRecreate(30);
      applying.signal('SIGINT');
      await eventually('the first SIGINT is handled', async () => applying.stderr.includes('interrupt again to exit now'));
      applying.signal('SIGINT');
      assert.deepEqual(await applying.exited, { code: 130, signal: null });
      assert.match(applying.stderr, /^mooring: SIGINT again: exiting now; what was in flight may be left half done \(`mooring plan` shows what is left\)$/m);
      const old = await inspect(a);
      assert.equal(old?.Id, before);
      assert.equal(old.State.Running, true, 'the engine is still stopping the old container: mooring did not wait');
    });
  });
});
