/**
 * Stateful services on the real engine with the real `mooring run`: a
 * database-like container keeps what it wrote in its volume across every
 * recreate and a restart of mooring; mounts, tmpfs and secrets are where they
 * should be; a secret's content shows nowhere but in the container's file.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_ID, TEST_IMAGE, docker, dockerMaybe, removeLabelled, requireEngine, uniqueName } from '../support/docker.js';
import type { Status } from '../../src/status/model.js';
import { eventually, MooringProcess, requireBuild, statusWaiter } from '../support/mooring-process.js';

interface Inspected {
  Id: string;
  State: { Running: boolean };
  Config: { Env: string[]; Labels: Record<string, string> };
}

async function inspect(name: string): Promise<Inspected | undefined> {
  const text = await dockerMaybe('container', 'inspect', name);
  return text === undefined ? undefined : (JSON.parse(text) as Inspected[])[0];
}

const exec = (container: string, script: string) => docker('exec', container, 'sh', '-c', script);

/** Secret contents: unique, so that finding one anywhere can only be a leak. */
const FIRST_SECRET = `first-${RUN_ID}-s3cr3t`;
const SECOND_SECRET = `second-${RUN_ID}-s3cr3t`;
const THIRD_SECRET = `third-${RUN_ID}-s3cr3t`;

describe('volumes, mounts and secrets, end to end', function () {
  // Each case recreates the database and waits for the daemon to say so: several passes, each with a stop.
  this.timeout(240_000);
  const instance = `e2e-vol-${RUN_ID}`;
  const db = uniqueName('vol-db');
  const data = uniqueName('vol-data');
  const scratch = uniqueName('vol-scratch');
  const imageTag = `mooring/busybox:${uniqueName('tag')}`;
  let directory: string;
  let manifests: string;
  let hostConf: string;
  let statusFile: string;
  let stateDir: string;
  let daemon: MooringProcess | undefined;
  /** Every daemon's log, for the leak check. */
  let logs = '';

  const database = (options: { image?: string; secretsUpdate?: 'Recreate' | 'InPlace' } = {}) => `apiVersion: mooring/v1
kind: Container
metadata: { name: ${db} }
spec:
  image: ${options.image ?? TEST_IMAGE}
  pullPolicy: Never
  command: ["sh", "-c", "echo started >> /data/log && exec sleep 1d"]
  stopTimeout: 1
  secretsUpdate: ${options.secretsUpdate ?? 'Recreate'}
  mounts:
    - ${data}:/data
    - ${hostConf}:/conf:ro
    - { type: tmpfs, target: /cache, size: 8m }
    - { type: volume, source: ${scratch}, target: /scratch }
  secrets:
    - pw
${options.secretsUpdate === 'InPlace' ? '' : '    - { name: pw, target: /etc/app/pw, mode: "0440" }\n'}  envFiles: [db.env]
`;
  const volumes = `apiVersion: mooring/v1
kind: Volume
metadata: { name: ${data} }
spec: {}
---
apiVersion: mooring/v1
kind: Volume
metadata: { name: ${scratch} }
spec: { reclaimPolicy: Delete }
---
apiVersion: mooring/v1
kind: Secret
metadata: { name: pw }
spec: { file: pw.txt }
`;
  /** Keeps the directory from being empty once the database's files are gone, so that pruning runs. */
  const keeper = `apiVersion: mooring/v1
kind: Network
metadata: { name: ${uniqueName('vol-keep')} }
spec: {}
`;

  const statusUntil = statusWaiter(() => statusFile, () => daemon);
  const synced = (status: Status) => status.sync.state === 'Synced' && status.resources.every((resource) => resource.health === 'Healthy');
  const lines = async () => (await exec(db, 'cat /data/log')).trim().split('\n');
  const startDaemon = () => {
    daemon = new MooringProcess([
      'run', '-m', manifests, '--instance', instance, '--status', statusFile, '--state-dir', stateDir,
      '--probe-interval', '1s', '--resync', '10m', '--prune-delay', '1s', '--log-level', 'debug',
    ]);
  };
  const stopDaemon = async () => {
    daemon?.signal('SIGTERM');
    await daemon?.exited;
    logs += daemon?.stderr ?? '';
  };
  /** Waits until the database runs as a container other than `previous`, started once more than before. */
  const recreated = async (previous: string, startsBefore: number) => {
    await eventually('the database is recreated and running', async () => {
      const current = await inspect(db);
      return current && current.Id !== previous && current.State.Running;
    });
    await eventually('it has written its start line', async () => (await lines().catch(() => [])).length === startsBefore + 1);
    return statusUntil('Synced again', synced);
  };

  before(async function () {
    await requireEngine(this);
    requireBuild();
    directory = await mkdtemp(join(tmpdir(), 'mooring-e2e-vol-'));
    manifests = join(directory, 'manifests');
    hostConf = join(directory, 'conf');
    statusFile = join(directory, 'status.json');
    stateDir = join(directory, 'state');
    await mkdir(manifests);
    await mkdir(hostConf);
    await writeFile(join(hostConf, 'app.conf'), 'setting=1\n');
    await writeFile(join(manifests, 'pw.txt'), FIRST_SECRET);
    await writeFile(join(manifests, 'db.env'), 'ROLE=primary\n');
    await writeFile(join(manifests, 'keep.yaml'), keeper);
    await docker('tag', TEST_IMAGE, imageTag);
    startDaemon();
    await statusUntil('the daemon reports a synced directory', (current) => current.engine.reachable === true && current.sync.state === 'Synced');
  });

  after(async () => {
    await daemon?.kill();
    await removeLabelled(`io.mooring.instance=${instance}`);
    await dockerMaybe('volume', 'rm', '-f', data, scratch);
    await dockerMaybe('image', 'rm', imageTag);
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('creates the volumes and the container; mounts, tmpfs and secrets are where they should be, read-only where asked', async () => {
    await writeFile(join(manifests, 'volumes.yaml'), volumes);
    await writeFile(join(manifests, 'db.yaml'), database());
    const status = await statusUntil('the database runs, Healthy, its volumes Healthy', (current) =>
      synced(current) && current.volumes?.length === 2 && current.volumes.every((volume) => volume.state === 'Healthy'));
    assert.deepEqual(status.volumes?.find((volume) => volume.name === data)?.usedBy, [db]);
    assert.ok(status.resources.find((resource) => resource.name === db)?.mounts?.includes(`volume:${data}:/data:rw`));
    assert.deepEqual(await lines(), ['started']);
    assert.equal(await exec(db, 'cat /conf/app.conf'), 'setting=1');
    assert.match(await exec(db, 'touch /conf/new 2>&1 || echo refused'), /Read-only file system|refused/);
    assert.match(await exec(db, 'grep " /cache " /proc/mounts'), /^tmpfs \/cache tmpfs /);
    assert.equal(await exec(db, 'cat /run/secrets/pw'), FIRST_SECRET);
    assert.equal(await exec(db, 'stat -c %a /run/secrets/pw /etc/app/pw'), '400\n440');
    assert.match(await exec(db, 'touch /run/secrets/x 2>&1 || echo refused'), /Read-only file system|refused/);
    assert.equal(await exec(db, 'echo $ROLE'), 'primary');
  });

  it('keeps the data across an env-file edit, an image change and a secret change, each recreating the container', async () => {
    let before = (await inspect(db))!.Id;
    await writeFile(join(manifests, 'db.env'), 'ROLE=replica\n');
    daemon!.signal('SIGHUP');
    await recreated(before, 1);
    assert.equal(await exec(db, 'echo $ROLE'), 'replica');

    before = (await inspect(db))!.Id;
    await writeFile(join(manifests, 'db.yaml'), database({ image: imageTag }));
    await recreated(before, 2);

    before = (await inspect(db))!.Id;
    await writeFile(join(manifests, 'pw.txt'), SECOND_SECRET);
    daemon!.signal('SIGHUP');
    await recreated(before, 3);
    assert.equal(await exec(db, 'cat /run/secrets/pw'), SECOND_SECRET);
    assert.deepEqual(await lines(), ['started', 'started', 'started', 'started']);
  });

  it('with secretsUpdate: InPlace, replaces the secret file in the running container and recreates nothing', async () => {
    const before = (await inspect(db))!.Id;
    await writeFile(join(manifests, 'db.yaml'), database({ image: imageTag, secretsUpdate: 'InPlace' }));
    await recreated(before, 4);
    const id = (await inspect(db))!.Id;
    await writeFile(join(manifests, 'pw.txt'), THIRD_SECRET);
    daemon!.signal('SIGHUP');
    await eventually('the running container reads the new secret', async () => (await exec(db, 'cat /run/secrets/pw')) === THIRD_SECRET);
    await statusUntil('Synced', synced);
    assert.equal((await inspect(db))!.Id, id);
  });

  it('recreates nothing when mooring restarts, and the data is as it was', async () => {
    const id = (await inspect(db))!.Id;
    await stopDaemon();
    startDaemon();
    await statusUntil('the new daemon is Synced', (current) => current.daemon.pid === daemon!.child.pid && synced(current));
    assert.equal((await inspect(db))!.Id, id);
    assert.equal((await lines()).length, 5);
  });

  it('never shows a secret in docker inspect, the status, the plan or the logs', async () => {
    const inspected = await docker('container', 'inspect', db);
    const plan = await MooringProcess.run(['plan', '-m', manifests, '--instance', instance, '--state-dir', stateDir, '-o', 'json']);
    assert.equal(plan.exit.code, 0, plan.stderr);
    const shown = [inspected, await readFile(statusFile, 'utf8'), plan.stdout, plan.stderr, logs, daemon!.stderr].join('\n');
    for (const secret of [FIRST_SECRET, SECOND_SECRET, THIRD_SECRET]) assert.ok(!shown.includes(secret), `${secret} leaked`);
  });

  it('keeps a Retain volume and its data when its manifest goes (Orphaned), and removes a Delete volume once unused', async () => {
    await rm(join(manifests, 'db.yaml'));
    await rm(join(manifests, 'volumes.yaml'));
    const status = await statusUntil('the database is gone and its volume Orphaned', (current) =>
      current.sync.state === 'Synced' && current.volumes?.length === 1 && current.volumes[0]?.state === 'Orphaned');
    assert.equal(status.volumes?.[0]?.name, data);
    assert.match(status.volumes?.[0]?.message ?? '', new RegExp(`docker volume rm ${data}`));
    assert.equal(await inspect(db), undefined);
    await eventually('the Delete volume is removed', async () => (await dockerMaybe('volume', 'inspect', scratch)) === undefined);
    const kept = await docker('run', '--rm', '-v', `${data}:/data`, TEST_IMAGE, 'cat', '/data/log');
    assert.equal(kept.trim().split('\n').length, 5);
  });
});

describe('upgrading to mooring with volumes, on the real engine', () => {
  it('plans a container made by the 0.1.0 release (its labels as recorded) as unchanged', async function () {
    await requireEngine(this);
    requireBuild();
    const recorded = JSON.parse(await readFile(new URL('../fixtures/upgrade/labels-0.1.0.json', import.meta.url), 'utf8')) as { containers: Record<string, Record<string, string>> };
    const instance = `e2e-upg-${RUN_ID}`;
    const name = uniqueName('upg-plain');
    const directory = await mkdtemp(join(tmpdir(), 'mooring-e2e-upg-'));
    try {
      const labels = { ...recorded.containers['upgrade-rec-plain'], 'io.mooring.instance': instance, 'io.mooring.name': name };
      await docker('create', '--name', name, ...Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]), '--restart', 'unless-stopped', TEST_IMAGE, 'sleep', '3600');
      await docker('start', name);
      await writeFile(join(directory, 'app.yaml'), `apiVersion: mooring/v1\nkind: Container\nmetadata: { name: ${name} }\nspec:\n  image: mooring/busybox:latest\n  command: sleep 3600\n`);
      const plan = await MooringProcess.run(['plan', '-m', directory, '--instance', instance]);
      assert.equal(plan.exit.code, 0, plan.stdout + plan.stderr);
      assert.match(plan.stdout, /^Nothing to do/);
    } finally {
      await removeLabelled(`io.mooring.instance=${instance}`);
      await rm(directory, { recursive: true, force: true });
    }
  });
});
