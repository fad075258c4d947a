/**
 * Images follow their tags against the real engine (issue 15): a tag re-pointed
 * by a local build recreates the container that runs it, and the adapter lists
 * images once while its event stream says nothing changed.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { DockerEngine } from '../../../src/engine/docker/index.js';
import type { EngineEvent } from '../../../src/engine/port.js';
import { silentLogger } from '../../../src/log.js';
import { systemClock } from '../../../src/clock.js';
import { observe } from '../../../src/reconcile/observe.js';
import { plan } from '../../../src/reconcile/plan/index.js';
import { reconcile } from '../../../src/reconcile/reconcile.js';
import { container, desiredState } from '../../unit/reconcile/fixtures.js';
import { TEST_IMAGE, docker, dockerMaybe, removeLabelled, requireEngine, uniqueName } from '../../support/docker.js';

describe('images follow their tags against the real engine', function () {
  this.timeout(120_000);
  const instance = uniqueName('images');
  const tag = `${uniqueName('img')}:v1`;
  let engine: DockerEngine;
  let workdir: string;

  before(async function () {
    await requireEngine(this);
    engine = new DockerEngine({ logger: silentLogger() });
    workdir = await mkdtemp(join(tmpdir(), 'mooring-images-'));
    await docker('tag', TEST_IMAGE, tag);
  });

  after(async () => {
    await removeLabelled(`io.mooring.instance=${instance}`);
    await dockerMaybe('rmi', '-f', tag);
    if (workdir) await rm(workdir, { recursive: true, force: true });
  });

  /** Builds FROM the test image with a label, so the tag points to a new image id. */
  async function rebuild(label: string): Promise<string> {
    await writeFile(join(workdir, 'Dockerfile'), `FROM ${TEST_IMAGE}\nLABEL mooring.test=${label}\n`);
    await docker('build', '-q', '-t', tag, workdir);
    return docker('image', 'inspect', '-f', '{{.Id}}', tag);
  }

  it('recreates a container whose IfNotPresent tag was rebuilt, then passes as a no-op', async () => {
    const name = uniqueName('img-box');
    const desired = desiredState([container(name, { image: tag, command: 'sleep 3600', stopTimeout: 1 })]);
    const pass = () => reconcile({ engine, logger: silentLogger(), clock: systemClock, instance, desired, retry: { minTimeoutMs: 100 } });
    assert.ok((await pass()).converged);
    const before = await docker('inspect', '-f', '{{.Id}}', name);

    const rebuilt = await rebuild(instance);
    const result = await pass();
    assert.ok(result.converged, JSON.stringify(result.errors));
    assert.match(result.plan.actions.find((action) => action.type === 'recreate-container')?.reason ?? '', /the image changed/);
    assert.notEqual(await docker('inspect', '-f', '{{.Id}}', name), before);
    assert.equal(await docker('inspect', '-f', '{{.Image}}', name), rebuilt);

    const again = plan({ desired, observed: await observe({ engine, instance }), instance });
    assert.deepEqual(again.actions.map((action) => action.id), []);
  });

  it('lists images once while the event stream is live, and again after an image event', async () => {
    const controller = new AbortController();
    const events = engine.events({ signal: controller.signal })[Symbol.asyncIterator]();
    // The stream is live once it delivered something: a marker container's event.
    const marker = uniqueName('img-marker');
    const first = events.next();
    await docker('create', '--label', `io.mooring.instance=${instance}`, '--name', marker, TEST_IMAGE);
    let event = await first;
    while (!event.done && (event.value as EngineEvent).name !== marker) event = await events.next();
    // The stream is read as the daemon reads it: all along.
    const drained = (async () => {
      while (!(await events.next()).done);
    })();
    try {
      const lists = () => engine.requestCounts().byOperation.listImages ?? 0;
      await engine.listImages();
      const once = lists();
      await engine.listImages();
      assert.equal(lists(), once, 'a second list came from the cache');

      const rebuilt = await rebuild(`${instance}-again`);
      let listed = await engine.listImages();
      // The image event follows the build's answer: until it arrives, the cache answers with the old list.
      while (!listed.some((image) => image.id === rebuilt && image.tags.includes(tag))) {
        await delay(20);
        listed = await engine.listImages();
      }
      assert.ok(lists() > once, 'the image event invalidated the cache');
    } finally {
      controller.abort();
      await drained;
    }
  });
});
