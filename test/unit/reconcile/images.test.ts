import assert from 'node:assert/strict';
import { imageRef } from '../../../src/engine/image-ref.js';
import { FakeEngine } from '../../fakes/fake-engine.js';
import { container, desiredState, network } from './fixtures.js';
import { converge, ids, planFor } from './helpers.js';

const IMAGE = 'mooring/busybox:latest';

describe('images follow their tags (issue 15)', () => {
  const desired = desiredState([network('net'), container('web', { image: IMAGE, networks: [{ name: 'net' }] })]);

  it('recreates an IfNotPresent container whose tag was re-pointed locally, then stays put', async () => {
    const engine = new FakeEngine();
    await converge(engine, desired);
    assert.deepEqual(ids(await planFor(engine, desired)), []);

    engine.retag(IMAGE, 'sha256:rebuilt0000000000');
    const result = await converge(engine, desired);
    const recreate = result.plan.actions.find((action) => action.type === 'recreate-container');
    assert.match(recreate?.reason ?? '', /the image changed: mooring\/busybox:latest now points to rebuilt00000/);
    assert.equal(engine.calls.filter((call) => call.method === 'pullImage').length, 0);
    assert.equal((await engine.inspectContainer('web'))?.imageId, 'sha256:rebuilt0000000000');
    assert.deepEqual(ids(await planFor(engine, desired)), []);
  });

  it('spells a tag one way whichever way it is written, and leaves a digest alone', () => {
    assert.equal(imageRef('busybox'), 'busybox:latest');
    assert.equal(imageRef('docker.io/library/busybox:1.36'), 'busybox:1.36');
    assert.equal(imageRef('localhost:5000/team/app'), 'localhost:5000/team/app:latest');
    assert.equal(imageRef('busybox@sha256:abc'), undefined);
  });
});
