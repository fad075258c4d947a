import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadDesiredState } from '../../../src/manifests/desired-state.js';
import { plan } from '../../../src/reconcile/plan/index.js';
import { FakeEngine } from '../../support/fake-engine.js';
import { observe } from '../../../src/reconcile/observe.js';

const FIXTURE = fileURLToPath(new URL('../../fixtures/upgrade/', import.meta.url));
/** The instance the labels were recorded under. */
const INSTANCE = 'upgrade-rec';

describe('upgrading mooring', () => {
  it('plans containers created by the 0.1.0 release (labels recorded from real containers) as unchanged', async () => {
    const recorded = JSON.parse(await readFile(`${FIXTURE}labels-0.1.0.json`, 'utf8')) as { containers: Record<string, Record<string, string>> };
    const loaded = await loadDesiredState({ directory: `${FIXTURE}manifests` });
    assert.deepEqual(loaded.files.flatMap((file) => file.errors.map(String)), []);

    const engine = new FakeEngine();
    engine.seedNetwork({ name: 'upgrade-rec-net' });
    for (const [name, labels] of Object.entries(recorded.containers)) engine.seedContainer({ name, labels, image: 'mooring/busybox:latest' });
    const result = plan({ desired: loaded.desired, observed: await observe({ engine, instance: INSTANCE }), instance: INSTANCE });

    const remade = result.actions.filter((action) => action.type === 'create-container' || action.type === 'recreate-container');
    assert.deepEqual(remade.map((action) => `${action.id}: ${action.reason}`), []);
    assert.equal(Object.keys(recorded.containers).length, loaded.desired.containers.length);
  });
});
