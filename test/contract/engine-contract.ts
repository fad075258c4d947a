/**
 * The engine contract: what mooring relies on from an `Engine`, as cases that run
 * unchanged against the in-memory fake and the real Docker adapter, so the fake
 * cannot drift from Docker. What the port cannot do (make a process exit, pause a
 * container) comes from a small per-engine hook, never from skipping a case.
 */
import assert from 'node:assert/strict';
import { TEST_IMAGE, uniqueName } from '../support/docker.js';
import { containerCases } from './container-cases.js';
import type { EngineUnderTest } from './contract.js';
import { Contract } from './contract.js';
import { endpointCases } from './endpoint-cases.js';
import { eventCases } from './event-cases.js';
import { imageCases } from './image-cases.js';
import { networkCases } from './network-cases.js';
import { volumeCases } from './volume-cases.js';

export type { EngineUnderTest } from './contract.js';

export function engineContract(name: string, makeEngine: (context: Mocha.Context) => Promise<EngineUnderTest>): void {
  describe(`engine contract: ${name}`, function () {
    this.timeout(60_000);
    const c = new Contract();

    before(async function () {
      c.use(await makeEngine(this));
    });

    afterEach(() => c.removeMade());

    it('reports the pinned API version, and which images are present', async () => {
      assert.equal((await c.engine.info()).apiVersion, '1.41');
      assert.equal(await c.engine.imageExists(TEST_IMAGE), true);
      assert.equal(await c.engine.imageExists(`mooring/absent-${uniqueName('image')}:latest`), false);
    });

    networkCases(c);
    containerCases(c);
    endpointCases(c);
    eventCases(c);
    volumeCases(c);
    imageCases(c);
  });
}
