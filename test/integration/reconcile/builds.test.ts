/**
 * Images built from a context directory against the real engine (issue 15):
 * built once, not again on a no-op pass, built anew and the container
 * recreated when a context file changes; a failed build is an error on its
 * container alone, with the build's last lines, and is not built again with
 * the same context.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerEngine } from '../../../src/engine/docker/index.js';
import { silentLogger } from '../../../src/log.js';
import { systemClock } from '../../../src/clock.js';
import { loadDesiredState } from '../../../src/manifests/desired-state.js';
import { Builds } from '../../../src/reconcile/builds.js';
import { reconcile } from '../../../src/reconcile/reconcile.js';
import { TEST_IMAGE, docker, dockerMaybe, removeLabelled, requireEngine, uniqueName } from '../../support/docker.js';

describe('images built from a context against the real engine', function () {
  this.timeout(180_000);
  const instance = uniqueName('builds');
  const app = uniqueName('built-app');
  const broken = uniqueName('built-broken');
  const plain = uniqueName('built-plain');
  const appImage = `${uniqueName('built')}:app`;
  const brokenImage = `${uniqueName('built')}:broken`;
  let engine: DockerEngine;
  let directory: string;
  let builds: Builds;

  before(async function () {
    await requireEngine(this);
    engine = new DockerEngine({ logger: silentLogger() });
    builds = new Builds({ engine, clock: systemClock });
    directory = await mkdtemp(join(tmpdir(), 'mooring-builds-'));
    await mkdir(join(directory, 'app'));
    await writeFile(join(directory, 'app', 'Dockerfile'), `FROM ${TEST_IMAGE}\nARG GREETING\nCOPY . /app\nRUN echo "$GREETING" > /app/greeting\n`);
    await writeFile(join(directory, 'app', 'index.html'), 'v1\n');
    await writeFile(join(directory, 'app', '.dockerignore'), 'scratch/\n');
    await mkdir(join(directory, 'app', 'scratch'));
    await mkdir(join(directory, 'broken'));
    await writeFile(join(directory, 'broken', 'Dockerfile'), `FROM ${TEST_IMAGE}\nRUN echo about to fail && exit 3\n`);
    await writeFile(join(directory, 'stack.yaml'), [
      manifest(app, `image: ${appImage}\n  build: { context: ./app, args: { GREETING: hello } }\n  command: ["sleep", "3600"]`),
      manifest(broken, `image: ${brokenImage}\n  build: ./broken\n  command: ["sleep", "3600"]`),
      manifest(plain, `image: ${TEST_IMAGE}\n  command: ["sleep", "3600"]`),
    ].join('---\n'));
  });

  after(async () => {
    await removeLabelled(`io.mooring.instance=${instance}`);
    await dockerMaybe('rmi', '-f', appImage, brokenImage);
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  function manifest(name: string, spec: string): string {
    return `apiVersion: mooring/v1\nkind: Container\nmetadata: { name: ${name} }\nspec:\n  ${spec}\n  stopTimeout: 1\n`;
  }

  async function pass() {
    const loaded = await loadDesiredState({ directory });
    return reconcile({ engine, logger: silentLogger(), clock: systemClock, instance, desired: loaded.desired, builds, retry: { minTimeoutMs: 100 } });
  }

  const buildsOf = (result: Awaited<ReturnType<typeof pass>>) => result.plan.actions.filter((action) => action.type === 'pull-image' && action.build).map((action) => action.resource);

  it('builds the image, runs it, and fails the broken build on its own container only', async () => {
    const result = await pass();
    assert.deepEqual(buildsOf(result).sort(), [`Container/${app}`, `Container/${broken}`].sort());
    assert.equal(await docker('exec', app, 'cat', '/app/index.html', '/app/greeting'), 'v1\nhello');
    // Ignored by .dockerignore: not sent.
    assert.equal(await dockerMaybe('exec', app, 'ls', '/app/scratch'), undefined);
    assert.equal(await docker('inspect', '-f', '{{.State.Running}}', plain), 'true');

    assert.deepEqual(result.errors.map((error) => error.resource), [`Container/${broken}`]);
    const [failure] = result.errors;
    assert.match(failure!.message, /returned a non-zero code: 3/);
    assert.match(failure!.message, /about to fail/, 'the build output ends the error');
    assert.equal(await dockerMaybe('inspect', broken), undefined, 'nothing is made of a failed build');
  });

  it('builds nothing on a pass where nothing changed, not even the build that failed', async () => {
    const before = await docker('inspect', '-f', '{{.Id}}', app);
    const counts = engine.requestCounts().byOperation.buildImage ?? 0;
    const result = await pass();
    assert.deepEqual(result.plan.actions.filter((action) => action.resource !== `Container/${broken}`).map((action) => action.id), []);
    assert.equal(engine.requestCounts().byOperation.buildImage ?? 0, counts, 'the failed build is not tried again with the same context');
    assert.match(result.errors[0]?.message ?? '', /built again when its context or settings change/);
    assert.equal(await docker('inspect', '-f', '{{.Id}}', app), before);
  });

  it('builds again and recreates the container when a context file changes', async () => {
    const before = await docker('inspect', '-f', '{{.Id}}', app);
    await writeFile(join(directory, 'app', 'scratch', 'ignored.txt'), 'not part of the context\n');
    assert.deepEqual(buildsOf(await pass()).filter((resource) => resource !== `Container/${broken}`), [], 'an ignored file changes nothing');

    await writeFile(join(directory, 'app', 'index.html'), 'v2\n');
    const result = await pass();
    assert.deepEqual(buildsOf(result).filter((resource) => resource !== `Container/${broken}`), [`Container/${app}`]);
    assert.match(result.plan.actions.find((action) => action.type === 'recreate-container')?.reason ?? '', /its image is built anew: its build context or settings changed/);
    assert.notEqual(await docker('inspect', '-f', '{{.Id}}', app), before);
    assert.equal(await docker('exec', app, 'cat', '/app/index.html'), 'v2');
    assert.equal(await docker('inspect', '-f', '{{.Image}}', app), await docker('image', 'inspect', '-f', '{{.Id}}', appImage));
  });

  it('builds the failed one once its Dockerfile is fixed', async () => {
    await writeFile(join(directory, 'broken', 'Dockerfile'), `FROM ${TEST_IMAGE}\nRUN echo fixed\n`);
    const result = await pass();
    assert.deepEqual(result.errors, []);
    assert.equal(await docker('inspect', '-f', '{{.State.Running}}', broken), 'true');
  });
});
