/**
 * Built images in a pass (issue 15), against the fake engine: the plan builds
 * only when the image's digest label is stale, the container follows the new
 * image, and a failed build stops its container alone and is not built again
 * with the same digest until the retry interval has passed.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { systemClock } from '../../../src/clock.js';
import { EngineError } from '../../../src/errors.js';
import { createLogger, silentLogger } from '../../../src/log.js';
import type { Logger } from '../../../src/log.js';
import type { BuildContext, DesiredState } from '../../../src/manifests/model.js';
import { ManifestError } from '../../../src/manifests/errors.js';
import { Builds } from '../../../src/reconcile/builds.js';
import { reconcile } from '../../../src/reconcile/reconcile.js';
import { FakeEngine } from '../../support/fake-engine.js';
import { container, desiredState } from './fixtures.js';
import { INSTANCE } from './helpers.js';

describe('built images in a pass (issue 15)', () => {
  let now = 0;
  const clock = { ...systemClock, now: () => now };
  const context = (digest: string): BuildContext => ({ directory: '/srv/api', dockerfile: 'Dockerfile', files: ['Dockerfile', 'main.js'], digest });

  /** `api` is built from a context with `digest`; `web` runs a plain image. */
  function desired(digest: string | ManifestError): DesiredState {
    const state = desiredState([container('api', { image: 'example/api:dev', build: { context: './api', args: { VERSION: '2' } } }), container('web')]);
    return { ...state, inputs: { secrets: new Map(), envFiles: new Map(), builds: new Map([['api', typeof digest === 'string' ? { value: context(digest) } : { error: digest }]]) } };
  }

  const pass = (engine: FakeEngine, builds: Builds, state: DesiredState, logger: Logger = silentLogger()) =>
    reconcile({ engine, logger, clock, instance: INSTANCE, desired: state, builds, retry: { minTimeoutMs: 1, maxTimeoutMs: 1 } });

  it('builds the image with its context, args and digest label, logs the output at debug level, then passes as a no-op', async () => {
    const engine = new FakeEngine();
    const builds = new Builds({ engine, clock });
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', format: 'json', stream: new Writable({ write: (chunk, _encoding, done) => done(void lines.push(String(chunk))) }) });
    const first = await pass(engine, builds, desired('d1'), logger);
    assert.ok(first.converged, JSON.stringify(first.errors));
    assert.deepEqual(engine.builds.map(({ tag, context: directory, files, args, labels }) => ({ tag, directory, files, args, labels })), [
      { tag: 'example/api:dev', directory: '/srv/api', files: ['Dockerfile', 'main.js'], args: { VERSION: '2' }, labels: { 'io.mooring.build-digest': 'd1' } },
    ]);
    assert.equal((await engine.inspectContainer('api'))?.imageId, 'sha256:built-1');
    assert.ok(lines.some((line) => JSON.parse(line).level === 'debug' && /Successfully built by the fake engine/.test(JSON.parse(line).message)), 'the build output is logged at debug level');

    const again = await pass(engine, builds, desired('d1'));
    assert.deepEqual(again.outcomes, []);
    assert.equal(engine.builds.length, 1);
  });

  it('builds again and recreates the container when the digest changes', async () => {
    const engine = new FakeEngine();
    const builds = new Builds({ engine, clock });
    await pass(engine, builds, desired('d1'));
    const result = await pass(engine, builds, desired('d2'));
    assert.ok(result.converged);
    assert.deepEqual(result.plan.actions.map((action) => action.id), ['pull-image:api', 'recreate-container:api', 'start-container:api']);
    assert.match(result.plan.actions[1]!.reason, /its image is built anew: its build context or settings changed since image example\/api:dev was built/);
    assert.equal((await engine.inspectContainer('api'))?.imageId, 'sha256:built-2');
  });

  it('a failed build stops its container alone, and is built again only once its digest changes or the retry interval passed', async () => {
    const engine = new FakeEngine();
    const builds = new Builds({ engine, clock, retryAfterMs: 60_000 });
    engine.failNext('buildImage', new EngineError('build image example/api:dev failed: exit 3; its last lines:\nStep 2/2 : RUN false', { transient: false }));
    const failed = await pass(engine, builds, desired('d1'));
    assert.deepEqual(failed.errors.map((error) => error.resource), ['Container/api']);
    assert.match(failed.errors[0]!.message, /RUN false/);
    assert.equal((await engine.inspectContainer('web'))?.status, 'running');
    assert.equal(await engine.inspectContainer('api'), undefined);

    const buildCalls = () => engine.calls.filter((call) => call.method === 'buildImage').length;
    now += 59_000;
    const remembered = await pass(engine, builds, desired('d1'));
    assert.equal(buildCalls(), 1, 'the same context is not built again inside the interval');
    assert.match(remembered.errors[0]!.message, /RUN false[\s\S]*built again when its context or settings change/);

    now += 1_000;
    assert.ok((await pass(engine, builds, desired('d1'))).converged, 'built again once the interval passed');
    assert.equal(buildCalls(), 2);

    engine.failNext('buildImage', new EngineError('build image example/api:dev failed: exit 3', { transient: false }));
    await pass(engine, builds, desired('d2'));
    assert.ok((await pass(engine, builds, desired('d3'))).converged, 'a new digest is built at once');
  });

  it('a context that could not be read stops its container alone, with the place that names it', async () => {
    const engine = new FakeEngine();
    const result = await pass(engine, new Builds({ engine, clock }), desired(new ManifestError('cannot read the build context /srv/missing: ENOENT', { file: 'app.yaml', line: 7, column: 5, resource: 'Container/api', path: 'spec.build.context' })));
    assert.deepEqual(result.plan.problems.map((problem) => [problem.resource, problem.message]), [['Container/api', 'cannot read the build context /srv/missing: ENOENT (app.yaml:7)']]);
    assert.equal((await engine.inspectContainer('web'))?.status, 'running');
    assert.deepEqual(engine.builds, []);
  });
});
