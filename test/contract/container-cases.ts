/** Containers: create, the states they go through, inspect, and what the engine refuses. */
import assert from 'node:assert/strict';
import { TEST_IMAGE, uniqueName } from '../support/docker.js';
import type { Contract } from './contract.js';
import { KILLED, assertEngineError } from './contract.js';

export function containerCases(c: Contract): void {
  describe('containers', () => {
    it('creates a container from its config; the list shows it created, with its labels and its endpoint', async () => {
      const net = await c.network('create-net');
      const wanted = await c.container('create', { networkMode: net.name, endpoints: [{ network: net.name, aliases: ['db'], links: [] }] });
      const found = await c.listed(wanted.name);
      assert.ok(found, 'the new container is listed');
      assert.equal(found.status, 'created');
      assert.equal(found.image, TEST_IMAGE);
      assert.equal(found.networkMode, net.name);
      assert.deepEqual(found.labels, wanted.labels);
      assert.deepEqual(
        found.endpoints.map(({ network, aliases, links }) => ({ network, aliases, links })),
        [{ network: net.name, aliases: ['db'], links: [] }],
      );
    });

    it('refuses a second container of the same name with a non-transient 409', async () => {
      const first = await c.container('dup');
      await assertEngineError(c.engine.createContainer(first), 409);
    });

    it('refuses a missing image with a non-transient 404', async () => {
      const wanted = c.config('no-image', { image: `mooring/absent-${uniqueName('image')}:latest` });
      await assertEngineError(c.engine.createContainer(wanted), 404);
      assert.equal(await c.engine.inspectContainer(wanted.name), undefined);
    });

    it('starts a container; starting it again is a no-op', async () => {
      const wanted = await c.container('start', {}, { start: true });
      const running = await c.listed(wanted.name);
      assert.equal(running?.status, 'running');
      assert.deepEqual(running.labels, wanted.labels);
      const first = await c.inspected(wanted.name);
      await c.engine.startContainer(wanted.name);
      const second = await c.inspected(wanted.name);
      assert.equal(second.status, 'running');
      assert.equal(second.startedAt, first.startedAt, 'not started a second time');
    });

    it('inspects a running container: its start time and process, no finish yet', async () => {
      const wanted = await c.container('running', {}, { start: true });
      const observed = await c.inspected(wanted.name);
      assert.equal(observed.status, 'running');
      assert.ok(observed.startedAt !== undefined && observed.startedAt > 0, `startedAt ${observed.startedAt}`);
      assert.equal(observed.finishedAt, undefined);
      assert.ok(observed.pid !== undefined && observed.pid > 0, `pid ${observed.pid}`);
      assert.deepEqual([observed.exitCode, observed.restartCount], [0, 0]);
    });

    it('inspects an exited container: when it started and finished, and its exit code', async () => {
      const wanted = await c.container('exited', {}, { start: true });
      await c.kill(wanted.name);
      const observed = await c.inspected(wanted.name);
      assert.equal(observed.status, 'exited');
      assert.equal(observed.exitCode, KILLED);
      assert.equal(observed.pid, 0);
      assert.ok(observed.startedAt !== undefined && observed.finishedAt !== undefined, 'both times are known');
      assert.ok(observed.finishedAt >= observed.startedAt, `finishedAt ${observed.finishedAt} >= startedAt ${observed.startedAt}`);
      const inList = await c.listed(wanted.name);
      assert.equal(inList?.status, 'exited', 'once inspect shows it exited, so does the list');
      assert.deepEqual(inList.labels, wanted.labels);
      for (const key of ['startedAt', 'finishedAt', 'pid'] as const) assert.equal(inList[key], undefined, `the list shows no ${key}`);
      assert.equal(inList.exitCode, KILLED, 'the list shows the exit code of an exited container');
    });

    it('inspecting a missing container gives undefined; starting, unpausing or connecting one is a non-transient 404, as is connecting to a missing network', async () => {
      const missing = uniqueName('never-made');
      assert.equal(await c.engine.inspectContainer(missing), undefined);
      await assertEngineError(c.engine.startContainer(missing), 404);
      await assertEngineError(c.engine.unpauseContainer(missing), 404);
      const net = await c.network('missing');
      await assertEngineError(c.engine.connectNetwork(missing, { network: net.name, aliases: [], links: [] }), 404);
      // Running: a stopped container's connect is only recorded, and fails when it starts.
      const wanted = await c.container('missing-net', {}, { start: true });
      await assertEngineError(c.engine.connectNetwork(wanted.name, { network: uniqueName('never-made'), aliases: [], links: [] }), 404);
    });

    it('binds an ephemeral host port while the container runs, and lists it', async () => {
      const wanted = await c.container('ports', { portBindings: [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1' }] });
      assert.deepEqual((await c.listed(wanted.name))?.portBindings, [], 'nothing is bound before it starts');
      await c.engine.startContainer(wanted.name);
      const bound = (await c.listed(wanted.name))?.portBindings ?? [];
      assert.equal(bound.length, 1);
      assert.deepEqual({ ...bound[0], hostPort: undefined }, { containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: undefined });
      assert.ok(bound[0]!.hostPort! > 0, `host port ${bound[0]!.hostPort}`);
      await c.engine.stopContainer(wanted.name, 1);
      assert.deepEqual((await c.listed(wanted.name))?.portBindings, [], 'nothing is bound once it stopped');
    });

    it('stops a running container; stopping a stopped, a never-started or a missing one succeeds', async () => {
      const running = await c.container('stop', {}, { start: true });
      await c.engine.stopContainer(running.name, 1);
      assert.equal((await c.inspected(running.name)).status, 'exited');
      assert.equal((await c.listed(running.name))?.status, 'exited');
      await c.engine.stopContainer(running.name, 1);
      const created = await c.container('stop-created');
      await c.engine.stopContainer(created.name, 1);
      assert.equal((await c.inspected(created.name)).status, 'created');
      await c.engine.stopContainer(uniqueName('never-made'), 1);
    });

    it('stops a paused container', async () => {
      const wanted = await c.container('stop-paused', {}, { start: true });
      await c.pause(wanted.name);
      await c.engine.stopContainer(wanted.name, 1);
      assert.equal((await c.inspected(wanted.name)).status, 'exited');
    });

    it('lists a paused container as paused, with its labels; unpausing resumes it, and unpausing a running one is a no-op', async () => {
      const wanted = await c.container('pause', {}, { start: true });
      await c.pause(wanted.name);
      const paused = await c.listed(wanted.name);
      assert.equal(paused?.status, 'paused');
      assert.deepEqual(paused.labels, wanted.labels);
      await c.engine.unpauseContainer(wanted.name);
      assert.equal((await c.inspected(wanted.name)).status, 'running');
      await c.engine.unpauseContainer(wanted.name);
      assert.equal((await c.listed(wanted.name))?.status, 'running');
      await c.engine.stopContainer(wanted.name, 1);
      await c.engine.unpauseContainer(wanted.name);
      assert.equal((await c.inspected(wanted.name)).status, 'exited', 'unpausing an exited container leaves it exited');
    });

    it('links a container to another only when that one exists, joins its namespace only when it starts, and starts either only while that one runs', async () => {
      await assertEngineError(c.engine.createContainer(c.config('link-missing', { links: [`${uniqueName('never-made')}:db`] })), 400);
      const orphan = await c.container('join-missing', { networkMode: `container:${uniqueName('never-made')}` });
      await assertEngineError(c.engine.startContainer(orphan.name), 404);
      const owner = await c.container('join-owner');
      const guest = await c.container('join-guest', { networkMode: `container:${owner.name}` });
      const linker = await c.container('link-client', { links: [`${owner.name}:db`] });
      await assertEngineError(c.engine.startContainer(guest.name), 409);
      // Docker answers 500 here, which the adapter (rightly: the target may start) calls transient.
      await assertEngineError(c.engine.startContainer(linker.name), 500, { transient: true });
      await c.engine.startContainer(owner.name);
      await c.engine.startContainer(guest.name);
      await c.engine.startContainer(linker.name);
      assert.deepEqual([(await c.inspected(guest.name)).status, (await c.inspected(linker.name)).status], ['running', 'running']);
      assert.deepEqual((await c.inspected(guest.name)).endpoints, [], 'a container in another namespace has no endpoints of its own');
    });

    it('removes a running container; removing a missing one succeeds', async () => {
      const wanted = await c.container('remove', {}, { start: true });
      await c.engine.removeContainer(wanted.name);
      assert.equal(await c.listed(wanted.name), undefined);
      assert.equal(await c.engine.inspectContainer(wanted.name), undefined);
      await c.engine.removeContainer(wanted.name);
    });
  });
}
