/** Networks: create, list, remove, and what the engine refuses. */
import assert from 'node:assert/strict';
import type { Contract } from './contract.js';
import { assertEngineError } from './contract.js';

export function networkCases(c: Contract): void {
  describe('networks', () => {
    it('creates a network with labels, IPAM and internal, and lists it as created', async () => {
      const wanted = c.networkConfig('net', { internal: true, attachable: true });
      const id = await c.engine.createNetwork(wanted);
      const found = (await c.engine.listNetworks()).find((observed) => observed.name === wanted.name);
      assert.ok(found, 'the new network is listed');
      assert.equal(found.id, id);
      assert.deepEqual(
        { driver: found.driver, internal: found.internal, attachable: found.attachable, enableIPv6: found.enableIPv6, ipam: found.ipam, labels: found.labels },
        { driver: 'bridge', internal: true, attachable: true, enableIPv6: false, ipam: wanted.ipam, labels: wanted.labels },
      );
    });

    it('gives a network created without IPAM a subnet and gateway of its own', async () => {
      const wanted = await c.network('auto', { ipam: undefined });
      const found = (await c.engine.listNetworks()).find((observed) => observed.name === wanted.name);
      assert.match(found?.ipam?.subnet ?? '', /^\d+\.\d+\.\d+\.\d+\/\d+$/);
      assert.match(found?.ipam?.gateway ?? '', /^\d+\.\d+\.\d+\.\d+$/);
    });

    it('refuses a second network of the same name with a non-transient 409', async () => {
      const first = await c.network('dup');
      await assertEngineError(c.engine.createNetwork({ ...first, ipam: undefined }), 409);
    });

    it('removes a network, and removing a missing one succeeds', async () => {
      const gone = await c.network('gone');
      await c.engine.removeNetwork(gone.name);
      assert.equal((await c.engine.listNetworks()).find((observed) => observed.name === gone.name), undefined);
      await c.engine.removeNetwork(gone.name);
    });

    it('refuses, non-transiently, to remove a network a running container is attached to', async () => {
      const busy = await c.network('busy');
      await c.container('busy-user', { networkMode: busy.name, endpoints: [{ network: busy.name, aliases: [], links: [] }] }, { start: true });
      await assertEngineError(c.engine.removeNetwork(busy.name), 403);
      assert.ok((await c.engine.listNetworks()).some((observed) => observed.name === busy.name), 'the network is still there');
    });

    it('refuses, non-transiently, to remove a pre-defined network', async () => {
      await assertEngineError(c.engine.removeNetwork('bridge'), 403);
    });

    it('removes a network whose only containers are stopped; such a container then cannot start', async () => {
      const idle = await c.network('idle');
      const user = await c.container('idle-user', { networkMode: idle.name, endpoints: [{ network: idle.name, aliases: [], links: [] }] });
      await c.engine.removeNetwork(idle.name);
      assert.equal((await c.engine.listNetworks()).find((observed) => observed.name === idle.name), undefined);
      await assertEngineError(c.engine.startContainer(user.name), 404);
    });
  });
}
