/**
 * `dependsOn: {condition: healthy}` under the daemon: the dependent waits,
 * Progressing with WaitingForDependency, and the engine's health event (not
 * the resync, far away) wakes the pass that starts it.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_ID, TEST_IMAGE, docker, removeLabelled, requireEngine, uniqueName } from '../support/docker.js';
import { MooringProcess, requireBuild, statusWaiter } from '../support/mooring-process.js';

describe('mooring run: a dependent waits for its dependency to be healthy', function () {
  this.timeout(120_000);
  const instance = `e2e-depends-${RUN_ID}`;
  const db = uniqueName('dep-db');
  const api = uniqueName('dep-api');
  let directory: string;
  let statusFile: string;
  let daemon: MooringProcess | undefined;
  const statusUntil = statusWaiter(() => statusFile, () => daemon);

  before(async function () {
    await requireEngine(this);
    requireBuild();
    directory = await mkdtemp(join(tmpdir(), 'mooring-e2e-depends-'));
    statusFile = join(directory, 'status.json');
    await mkdir(join(directory, 'manifests'));
  });

  after(async () => {
    await daemon?.kill();
    await removeLabelled(`io.mooring.instance=${instance}`);
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('is Progressing with WaitingForDependency, and started by the pass the health event wakes', async () => {
    await writeFile(join(directory, 'manifests', 'app.yaml'), `apiVersion: mooring/v1
kind: Container
metadata: { name: ${db} }
spec:
  image: ${TEST_IMAGE}
  pullPolicy: Never
  command: ["sleep", "1d"]
  stopTimeout: 1
  healthcheck: { test: "test -e /tmp/ready", interval: 500ms, retries: 1 }
---
apiVersion: mooring/v1
kind: Container
metadata: { name: ${api} }
spec:
  image: ${TEST_IMAGE}
  pullPolicy: Never
  command: ["sleep", "1d"]
  stopTimeout: 1
  dependsOn: [{ name: ${db}, condition: healthy }]
`);
    // A resync far away: only the engine's health event can start api within the test's deadline.
    daemon = new MooringProcess(['run', '-m', join(directory, 'manifests'), '--instance', instance, '--status', statusFile, '--resync', '10m', '--probe-interval', '1s']);
    const waiting = await statusUntil('api waits for db', (status) =>
      status.resources.some((resource) => resource.name === api && resource.conditions.some((condition) => condition.reason === 'WaitingForDependency')));
    const entry = waiting.resources.find((resource) => resource.name === api)!;
    assert.equal(entry.health, 'Progressing');
    assert.match(entry.conditions.find((condition) => condition.type === 'Ready')!.message, new RegExp(`container ${db} is not healthy yet`));
    assert.equal(waiting.sync.state, 'Progressing');

    await docker('exec', db, 'touch', '/tmp/ready');
    await statusUntil('api runs', (status) =>
      status.resources.some((resource) => resource.name === api && resource.conditions.some((condition) => condition.type === 'Ready' && condition.reason === 'Running')));
    assert.equal(await docker('inspect', '--format', '{{.State.Status}}', api), 'running');
  });
});
