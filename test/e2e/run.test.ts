import assert from 'node:assert/strict';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_ID, TEST_IMAGE, docker, dockerMaybe, removeLabelled, requireEngine, uniqueName } from '../support/docker.js';
import { promtoolCheck } from '../support/promtool.js';
import type { Status } from '../../src/status/model.js';
import { eventually, MooringProcess, readStatus, requireBuild, statusWaiter } from '../support/mooring-process.js';

interface Inspected {
  Id: string;
  State: { Running: boolean };
  Config: { Env: string[] };
  NetworkSettings: { Networks: Record<string, { Aliases: string[] | null }> };
}

async function inspect(name: string): Promise<Inspected | undefined> {
  const text = await dockerMaybe('container', 'inspect', name);
  return text === undefined ? undefined : (JSON.parse(text) as Inspected[])[0];
}

/** Short, so that the removal tests do not wait long; long enough for the slow write below to finish well within it. */
const PRUNE_DELAY_S = 5;

describe('mooring run, end to end', function () {
  const instance = `e2e-${RUN_ID}`;
  const net = uniqueName('run-net');
  const db = uniqueName('run-db');
  const web = uniqueName('run-web');
  const extra = uniqueName('run-extra');
  let directory: string;
  let manifests: string;
  let statusFile: string;
  let metricsFile: string;
  let daemon: MooringProcess | undefined;

  /** Line numbers in the tests refer to this text: `stopTimeout` is on line 23. */
  const app = (options: { greeting?: string; stopTimeout?: string } = {}) => `apiVersion: mooring/v1
kind: Network
metadata: { name: ${net} }
spec: {}
---
apiVersion: mooring/v1
kind: Container
metadata: { name: ${db} }
spec:
  image: ${TEST_IMAGE}
  pullPolicy: Never
  command: ["nc", "-ll", "-p", "5432", "-e", "cat"]
  expose: [5432]
  networks: [{ name: ${net}, aliases: [database] }]
---
apiVersion: mooring/v1
kind: Container
metadata: { name: ${web} }
spec:
  image: ${TEST_IMAGE}
  pullPolicy: Never
  command: ["sleep", "1d"]
  stopTimeout: ${options.stopTimeout ?? '1'}
  env: { GREETING: ${options.greeting ?? 'hello'} }
  networks: [{ name: ${net} }]
---
apiVersion: mooring/v1
kind: Link
metadata: { name: web-to-db }
spec: { from: ${web}, to: ${db}, alias: database, network: ${net}, ports: [5432] }
`;

  const extraFile = `apiVersion: mooring/v1
kind: Container
metadata: { name: ${extra} }
spec:
  image: ${TEST_IMAGE}
  pullPolicy: Never
  command: ["sleep", "1d"]
  stopTimeout: 1
`;

  const status = async (): Promise<Status> => {
    const found = await readStatus(statusFile);
    assert.ok(found, 'expected a status file');
    return found;
  };

  /** Waits until the status satisfies `check`, validating every version read on the way. */
  const statusUntil = statusWaiter(() => statusFile, () => daemon);

  const synced = (status: Status) => status.sync.state === 'Synced' && status.resources.every((resource) => resource.health === 'Healthy');

  before(async function () {
    await requireEngine(this);
    requireBuild();
    directory = await mkdtemp(join(tmpdir(), 'mooring-e2e-'));
    manifests = join(directory, 'manifests');
    statusFile = join(directory, 'status.json');
    metricsFile = join(directory, 'mooring.prom');
    await mkdir(manifests);
    // A resync far away: repairs within the test's deadline come from the engine's events.
    daemon = new MooringProcess([
      'run', '-m', manifests, '--instance', instance, '--status', statusFile, '--metrics-file', metricsFile,
      '--probe-interval', '1s', '--resync', '10m', '--prune-delay', `${PRUNE_DELAY_S}s`, '--log-level', 'debug',
    ]);
    await statusUntil('the daemon reports an empty, synced directory', (current) => current.engine.reachable === true && current.sync.state === 'Synced');
  });

  after(async () => {
    await daemon?.kill();
    await removeLabelled(`io.mooring.instance=${instance}`);
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('converges files added to the directory; the status says Synced, Healthy, and the link healthy', async () => {
    await writeFile(join(manifests, 'app.yaml'), app());
    await writeFile(join(manifests, 'extra.yaml'), extraFile);
    const current = await statusUntil('everything is Synced and Healthy and the link answers', (candidate) =>
      synced(candidate) && candidate.resources.length === 5 && candidate.reachabilitySummary.healthy === 1);
    assert.deepEqual(current.resources.map((resource) => `${resource.kind}/${resource.name}`).sort(), [
      `Container/${db}`, `Container/${extra}`, `Container/${web}`, 'Link/web-to-db', `Network/${net}`,
    ].sort());
    assert.equal(current.reachability[0]?.lastProbe?.reason, 'Connected');
    assert.equal((await inspect(web))?.State.Running, true);
    assert.deepEqual((await inspect(db))?.NetworkSettings.Networks[net]?.Aliases?.includes('database'), true);

    const shown = await MooringProcess.run(['status', '--status', statusFile]);
    assert.equal(shown.exit.code, 0, shown.stderr);
    assert.match(shown.stdout, /^Sync: {4}Synced, /m);
    assert.match(shown.stdout, /^link\/web-to-db:5432 .* Healthy +Connected /m);
  });

  it('converges an edit: the changed container is recreated, the other is left alone', async () => {
    const dbId = (await inspect(db))?.Id;
    await writeFile(join(manifests, 'app.yaml'), app({ greeting: 'bye' }));
    await eventually('web runs with the new environment', async () => (await inspect(web))?.Config.Env.includes('GREETING=bye') && (await inspect(web))?.State.Running);
    await statusUntil('Synced again', synced);
    assert.equal((await inspect(db))?.Id, dbId);
  });

  it('repairs `docker rm -f` of a managed container, from the engine events', async () => {
    const before = (await inspect(web))?.Id;
    await docker('rm', '-f', web);
    const repaired = await eventually('web runs again', async () => {
      const found = await inspect(web);
      return found?.State.Running && found.Id !== before ? found : undefined;
    });
    assert.ok(repaired.Config.Env.includes('GREETING=bye'));
    await statusUntil('Synced again', synced);
  });

  it('repairs `docker network disconnect`, aliases included', async () => {
    await docker('network', 'disconnect', net, db);
    await eventually('db is back on the network with its alias', async () => (await inspect(db))?.NetworkSettings.Networks[net]?.Aliases?.includes('database'));
    await statusUntil('the link answers again', (current) => synced(current) && current.reachabilitySummary.healthy === 1);
  });

  it('an invalid edit removes nothing; the status names the file and the line, and a fix resumes', async () => {
    const ids = await Promise.all([db, web, extra].map(async (name) => (await inspect(name))?.Id));
    await writeFile(join(manifests, 'app.yaml'), app({ greeting: 'again', stopTimeout: 'soon' }));
    const broken = await statusUntil('app.yaml is invalid in the status', (current) => current.manifests.some((file) => file.file === 'app.yaml' && !file.valid));
    const file = broken.manifests.find((entry) => entry.file === 'app.yaml')!;
    assert.equal(file.usingLastKnownGood, true);
    assert.deepEqual([file.errors[0]?.line, file.errors[0]?.column], [23, 3]);
    assert.equal(file.errors[0]?.path, 'spec.stopTimeout');
    assert.equal(broken.sync.state, 'OutOfSync');
    assert.deepEqual(await Promise.all([db, web, extra].map(async (name) => (await inspect(name))?.Id)), ids);
    assert.ok((await inspect(web))?.Config.Env.includes('GREETING=bye'), 'the last good version stays applied');

    await writeFile(join(manifests, 'app.yaml'), app({ greeting: 'again' }));
    await eventually('the fixed version is applied', async () => (await inspect(web))?.Config.Env.includes('GREETING=again'));
    await statusUntil('Synced again', synced);
  });

  it('deleting a file prunes what it declared, after the prune delay', async () => {
    await rm(join(manifests, 'extra.yaml'));
    await statusUntil('the removal is pending', (candidate) => /no manifest declares Container\/.*: removed in \d+s/.test(candidate.sync.message ?? ''));
    assert.ok(await inspect(extra), 'kept while the removal waits');
    await eventually('extra is removed', async () => ((await inspect(extra)) === undefined ? true : undefined));
    const current = await statusUntil('Synced without extra', (candidate) => synced(candidate) && candidate.resources.length === 4);
    assert.ok(!current.manifests.some((entry) => entry.file === 'extra.yaml'));
  });

  it('a file written slowly in place removes and recreates nothing', async () => {
    await writeFile(join(manifests, 'app.yaml'), `${app({ greeting: 'again' })}---\n${extraFile}`);
    await statusUntil('extra is back, and Synced', (current) => synced(current) && current.resources.some((resource) => resource.name === extra));
    const ids = await Promise.all([db, web, extra].map(async (name) => (await inspect(name))?.Id));
    // As `(head; sleep 1.5; tail) > app.yaml` does: the daemon may read the first half alone, which does not declare extra.
    const started = Date.now();
    const file = await open(join(manifests, 'app.yaml'), 'w');
    try {
      await file.write(app({ greeting: 'again' }));
      await file.sync();
      await statusUntil('the daemon has read the first half', (current) => !current.resources.some((resource) => resource.name === extra));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await file.write(`---\n${extraFile}`);
    } finally {
      await file.close();
    }
    await statusUntil('Synced, with the prune delay over since the first half was read', (current) =>
      synced(current) && Date.parse(current.generatedAt) > started + (PRUNE_DELAY_S + 1) * 1000 && current.resources.some((resource) => resource.name === extra));
    assert.deepEqual(await Promise.all([db, web, extra].map(async (name) => (await inspect(name))?.Id)), ids, 'nothing removed or recreated');
  });

  it('holds back a container that keeps dying, and says CrashLoopBackOff', async () => {
    const crasher = uniqueName('run-crasher');
    await writeFile(
      join(manifests, 'crasher.yaml'),
      `apiVersion: mooring/v1\nkind: Container\nmetadata: { name: ${crasher} }\nspec: { image: ${TEST_IMAGE}, pullPolicy: Never, command: ["false"], restartPolicy: "no" }\n`,
    );
    const looping = await statusUntil('the crasher is in CrashLoopBackOff', (current) =>
      current.resources.some((resource) => resource.name === crasher && resource.conditions.some((condition) => condition.reason === 'CrashLoopBackOff')));
    assert.equal(looping.resources.find((resource) => resource.name === crasher)?.health, 'Degraded');
    assert.equal(looping.sync.state, 'Degraded');
    assert.match(daemon!.stderr, new RegExp(`container ${crasher} keeps exiting soon after starting; backing off`));
    // The resync is 10 minutes away: the restart between the two deaths came from the engine's die event.
    assert.equal(daemon!.stderr.match(new RegExp(`"message":"started container ${crasher}"`, 'g'))?.length, 2, 'started, and restarted once after its first death');
    await rm(join(manifests, 'crasher.yaml'));
    await eventually('the crasher is removed', async () => ((await inspect(crasher)) === undefined ? true : undefined));
    await statusUntil('Synced again', synced);
  });

  it('refuses a second daemon of the same instance on this host', async () => {
    const second = await MooringProcess.run(['run', '-m', manifests, '--instance', instance, '--status', join(directory, 'second.json')]);
    assert.equal(second.exit.code, 1);
    assert.match(second.stderr, new RegExp(`another mooring daemon already runs instance "${instance}" on this host \\(pid ${daemon!.child.pid}, `));
    assert.equal(await readStatus(join(directory, 'second.json')), undefined);
  });

  it('refuses `mooring apply` of the same instance while the daemon runs, naming its pid; --force applies', async () => {
    const refused = await MooringProcess.run(['apply', '-m', manifests, '--instance', instance]);
    assert.equal(refused.exit.code, 1);
    assert.match(refused.stderr, new RegExp(`^mooring: a mooring daemon runs instance "${instance}" on this host \\(pid ${daemon!.child.pid}, .*or pass --force$`, 'm'));
    const forced = await MooringProcess.run(['apply', '-m', manifests, '--instance', instance, '--force']);
    assert.equal(forced.exit.code, 0, forced.stdout + forced.stderr);
    assert.match(forced.stdout, /^Nothing to do: the engine matches the manifests\.$/m);
  });

  it('writes metrics that Prometheus parses', async () => {
    const text = await readFile(metricsFile, 'utf8');
    // Every sample carries the node it comes from (docs/multi-host.md).
    assert.match(text, /^mooring_reconcile_total\{node="[^"]+"\} \d+$/m);
    assert.match(text, new RegExp(`^mooring_resource_ready\\{kind="Container",name="${web}",node="[^"]+"\\} 1$`, 'm'));
    const verdict = await promtoolCheck(text);
    assert.equal(verdict.code, 0, verdict.output);
  });

  it('on SIGTERM exits 0, leaves the containers running, and writes a final status', async () => {
    daemon!.signal('SIGTERM');
    const exit = await daemon!.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, daemon!.stderr.slice(-2000));
    const final = await status();
    assert.ok(final.daemon.stoppedAt, 'the final status says the daemon stopped');
    assert.equal(final.sync.state, 'Synced');
    for (const name of [db, web]) assert.equal((await inspect(name))?.State.Running, true, `${name} keeps running`);
    assert.match(daemon!.stderr, /"message":"stopped"/);
  });
});
