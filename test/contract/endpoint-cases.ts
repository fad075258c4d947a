/** Endpoints: connect and disconnect with aliases, addresses and links. */
import assert from 'node:assert/strict';
import { uniqueName } from '../support/docker.js';
import type { Contract } from './contract.js';
import { assertEngineError, inSubnet } from './contract.js';

export function endpointCases(c: Contract): void {
  describe('endpoints', () => {
    it('connects a running container with aliases and an address; the list shows them, and every endpoint of a running container has an address', async () => {
      const first = await c.network('ep-first');
      const second = await c.network('ep-second');
      const wanted = await c.container('ep', { networkMode: first.name, endpoints: [{ network: first.name, aliases: ['one'], links: [] }] }, { start: true });
      const address = second.ipam!.subnet!.replace(/0\/24$/, '77');
      await c.engine.connectNetwork(wanted.name, { network: second.name, aliases: ['two', 'deux'], ipv4Address: address, links: [] });
      const found = await c.listed(wanted.name);
      assert.ok(found);
      const byNetwork = Object.fromEntries(found.endpoints.map((endpoint) => [endpoint.network, endpoint]));
      assert.deepEqual(Object.keys(byNetwork).sort(), [first.name, second.name].sort());
      assert.deepEqual(byNetwork[first.name]!.aliases, ['one']);
      assert.deepEqual([...byNetwork[second.name]!.aliases].sort(), ['deux', 'two']);
      assert.equal(byNetwork[second.name]!.ipv4Address, address);
      assert.ok(inSubnet(byNetwork[first.name]!.ipv4Address, first.ipam!.subnet!), `${byNetwork[first.name]!.ipv4Address} in ${first.ipam!.subnet}`);
    });

    it('gives a container an address in its network when it starts; before, and after it stops, it shows only the one it asked for', async () => {
      const net = await c.network('addr');
      const asked = net.ipam!.subnet!.replace(/0\/24$/, '88');
      const free = await c.container('addr-free', { networkMode: net.name, endpoints: [{ network: net.name, aliases: [], links: [] }] });
      const fixed = await c.container('addr-fixed', { networkMode: net.name, endpoints: [{ network: net.name, aliases: [], links: [], ipv4Address: asked }] });
      const addresses = async () => Object.fromEntries((await c.engine.listContainers()).filter((observed) => [free.name, fixed.name].includes(observed.name)).map((observed) => [observed.name, observed.endpoints[0]?.ipv4Address]));
      assert.deepEqual(await addresses(), { [free.name]: undefined, [fixed.name]: asked });
      await c.engine.startContainer(free.name);
      await c.engine.startContainer(fixed.name);
      const running = await addresses();
      assert.ok(inSubnet(running[free.name], net.ipam!.subnet!), `${running[free.name]} in ${net.ipam!.subnet}`);
      assert.equal(running[fixed.name], asked);
      await c.engine.stopContainer(free.name, 1);
      await c.engine.stopContainer(fixed.name, 1);
      assert.deepEqual(await addresses(), { [free.name]: undefined, [fixed.name]: asked });
    });

    it('connects with network-scoped links and shows them', async () => {
      const net = await c.network('links');
      const target = await c.container('links-target', { networkMode: net.name, endpoints: [{ network: net.name, aliases: [], links: [] }] }, { start: true });
      const client = await c.container('links-client', {}, { start: true });
      await c.engine.connectNetwork(client.name, { network: net.name, aliases: [], links: [`${target.name}:db`] });
      const endpoint = (await c.listed(client.name))?.endpoints.find((observed) => observed.network === net.name);
      assert.deepEqual(endpoint?.links, [`${target.name}:db`]);
    });

    it('refuses, non-transiently, to connect a container that shares another namespace', async () => {
      const net = await c.network('shared');
      const host = await c.container('shared-host', { networkMode: 'host' }, { start: true });
      await assertEngineError(c.engine.connectNetwork(host.name, { network: net.name, aliases: [], links: [] }), 400);
      const owner = await c.container('shared-owner', {}, { start: true });
      const guest = await c.container('shared-guest', { networkMode: `container:${owner.name}` }, { start: true });
      await assertEngineError(c.engine.connectNetwork(guest.name, { network: net.name, aliases: [], links: [] }), 400);
    });

    it('shows a shared namespace by its owner’s name, whether it was given the name or the id', async () => {
      const owner = await c.container('ns-owner', {}, { start: true });
      const ownerId = (await c.inspected(owner.name)).id;
      const byName = await c.container('ns-by-name', { networkMode: `container:${owner.name}` });
      const byId = await c.container('ns-by-id', { networkMode: `container:${ownerId}` });
      for (const guest of [byName, byId]) {
        assert.equal((await c.inspected(guest.name)).networkMode, `container:${owner.name}`, `${guest.name} inspected`);
        assert.equal((await c.listed(guest.name))?.networkMode, `container:${owner.name}`, `${guest.name} listed`);
      }
    });

    it('refuses, non-transiently, aliases on the default bridge', async () => {
      const wanted = await c.container('bridge-alias', {}, { start: true });
      await c.engine.disconnectNetwork(wanted.name, 'bridge');
      await assertEngineError(c.engine.connectNetwork(wanted.name, { network: 'bridge', aliases: ['x'], links: [] }), 400);
    });

    it('refuses to connect a container twice to one network, non-transiently', async () => {
      const net = await c.network('twice');
      const wanted = await c.container('twice', { networkMode: net.name, endpoints: [{ network: net.name, aliases: [], links: [] }] }, { start: true });
      await assertEngineError(c.engine.connectNetwork(wanted.name, { network: net.name, aliases: [], links: [] }), 403);
    });

    it('disconnects a container; disconnecting one that is not connected, or a missing container or network, succeeds', async () => {
      const first = await c.network('disc-first');
      const second = await c.network('disc-second');
      const wanted = await c.container('disc', { networkMode: first.name, endpoints: [{ network: first.name, aliases: [], links: [] }] }, { start: true });
      await c.engine.connectNetwork(wanted.name, { network: second.name, aliases: ['x'], links: [] });
      await c.engine.disconnectNetwork(wanted.name, second.name);
      assert.deepEqual((await c.listed(wanted.name))?.endpoints.map((endpoint) => endpoint.network), [first.name]);
      await c.engine.disconnectNetwork(wanted.name, second.name);
      await c.engine.disconnectNetwork(uniqueName('never-made'), second.name);
      await c.engine.disconnectNetwork(wanted.name, uniqueName('never-made'));
      const stopped = await c.container('disc-stopped');
      await c.engine.disconnectNetwork(stopped.name, second.name);
    });
  });
}
