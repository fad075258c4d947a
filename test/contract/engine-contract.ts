/**
 * The engine contract: what mooring relies on from an `Engine`, as cases that run
 * unchanged against the in-memory fake and the real Docker adapter, so the fake
 * cannot drift from Docker. What the port cannot do (make a process exit, pause a
 * container) comes from a small per-engine hook, never from skipping a case.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import type { ContainerConfig, Engine, NetworkConfig, ObservedContainer } from '../../src/engine/port.js';
import { EngineError } from '../../src/engine/errors.js';
import { containerConfig } from '../fakes/fake-engine.js';
import { TEST_IMAGE, uniqueName } from '../helpers/docker.js';
import { EventLog } from './event-log.js';

/** Exit code of a process killed by SIGKILL. */
const KILLED = 137;

export interface EngineUnderTest {
  engine: Engine;
  /** Kills the container's process with SIGKILL, as the OOM killer would: it exits with 137. */
  kill(name: string): Promise<void>;
  /** Freezes the container's processes, as `docker pause` does. */
  pause(name: string): Promise<void>;
}

export function engineContract(name: string, makeEngine: (context: Mocha.Context) => Promise<EngineUnderTest>): void {
  describe(`engine contract: ${name}`, function () {
    this.timeout(60_000);
    let subject: EngineUnderTest;
    let engine: Engine;
    /** What the current case made, removed after it by name. */
    const made = { containers: new Set<string>(), networks: new Set<string>() };

    before(async function () {
      subject = await makeEngine(this);
      engine = subject.engine;
    });

    afterEach(async () => {
      for (const container of made.containers) await engine.removeContainer(container);
      for (const network of made.networks) await engine.removeNetwork(network);
      made.containers.clear();
      made.networks.clear();
    });

    /** A user-defined network with labels and its own subnet, random so parallel runs on one engine do not collide. */
    function networkConfig(suffix: string, overrides: Partial<NetworkConfig> = {}): NetworkConfig {
      const subnet = `10.${randomInt(200, 250)}.${randomInt(0, 256)}`;
      const config: NetworkConfig = {
        name: uniqueName(suffix),
        driver: 'bridge',
        internal: false,
        attachable: false,
        enableIPv6: false,
        ipam: { subnet: `${subnet}.0/24`, gateway: `${subnet}.1` },
        options: {},
        labels: { 'io.mooring.contract': 'network', 'io.mooring.name': suffix },
        ...overrides,
      };
      made.networks.add(config.name);
      return config;
    }

    async function network(suffix: string, overrides: Partial<NetworkConfig> = {}): Promise<NetworkConfig> {
      const config = networkConfig(suffix, overrides);
      await engine.createNetwork(config);
      return config;
    }

    /** A long-running container with labels, defaults as mooring's own. */
    function config(suffix: string, overrides: Partial<ContainerConfig> = {}): ContainerConfig {
      const full = containerConfig({
        name: uniqueName(suffix),
        image: TEST_IMAGE,
        command: ['sleep', '3600'],
        labels: { 'io.mooring.contract': 'container', 'io.mooring.name': suffix },
        stopTimeoutSeconds: 1,
        ...overrides,
      });
      made.containers.add(full.name);
      return full;
    }

    async function container(suffix: string, overrides: Partial<ContainerConfig> = {}, options: { start?: boolean } = {}): Promise<ContainerConfig> {
      const full = config(suffix, overrides);
      await engine.createContainer(full);
      if (options.start) await engine.startContainer(full.name);
      return full;
    }

    async function listed(containerName: string): Promise<ObservedContainer | undefined> {
      return (await engine.listContainers()).find((observed) => observed.name === containerName);
    }

    async function inspected(containerName: string): Promise<ObservedContainer> {
      const observed = await engine.inspectContainer(containerName);
      assert.ok(observed, `${containerName} should exist`);
      return observed;
    }

    it('reports the pinned API version, and which images are present', async () => {
      assert.equal((await engine.info()).apiVersion, '1.41');
      assert.equal(await engine.imageExists(TEST_IMAGE), true);
      assert.equal(await engine.imageExists(`mooring/absent-${uniqueName('image')}:latest`), false);
    });

    describe('networks', () => {
      it('creates a network with labels, IPAM and internal, and lists it as created', async () => {
        const wanted = networkConfig('net', { internal: true, attachable: true });
        const id = await engine.createNetwork(wanted);
        const found = (await engine.listNetworks()).find((observed) => observed.name === wanted.name);
        assert.ok(found, 'the new network is listed');
        assert.equal(found.id, id);
        assert.deepEqual(
          { driver: found.driver, internal: found.internal, attachable: found.attachable, enableIPv6: found.enableIPv6, ipam: found.ipam, labels: found.labels },
          { driver: 'bridge', internal: true, attachable: true, enableIPv6: false, ipam: wanted.ipam, labels: wanted.labels },
        );
      });

      it('gives a network created without IPAM a subnet and gateway of its own', async () => {
        const wanted = await network('auto', { ipam: undefined });
        const found = (await engine.listNetworks()).find((observed) => observed.name === wanted.name);
        assert.match(found?.ipam?.subnet ?? '', /^\d+\.\d+\.\d+\.\d+\/\d+$/);
        assert.match(found?.ipam?.gateway ?? '', /^\d+\.\d+\.\d+\.\d+$/);
      });

      it('refuses a second network of the same name with a non-transient 409', async () => {
        const first = await network('dup');
        await assertEngineError(engine.createNetwork({ ...first, ipam: undefined }), 409);
      });

      it('removes a network, and removing a missing one succeeds', async () => {
        const gone = await network('gone');
        await engine.removeNetwork(gone.name);
        assert.equal((await engine.listNetworks()).find((observed) => observed.name === gone.name), undefined);
        await engine.removeNetwork(gone.name);
      });

      it('refuses, non-transiently, to remove a network a running container is attached to', async () => {
        const busy = await network('busy');
        await container('busy-user', { networkMode: busy.name, endpoints: [{ network: busy.name, aliases: [], links: [] }] }, { start: true });
        await assertEngineError(engine.removeNetwork(busy.name), 403);
        assert.ok((await engine.listNetworks()).some((observed) => observed.name === busy.name), 'the network is still there');
      });

      it('refuses, non-transiently, to remove a pre-defined network', async () => {
        await assertEngineError(engine.removeNetwork('bridge'), 403);
      });

      it('removes a network whose only containers are stopped; such a container then cannot start', async () => {
        const idle = await network('idle');
        const user = await container('idle-user', { networkMode: idle.name, endpoints: [{ network: idle.name, aliases: [], links: [] }] });
        await engine.removeNetwork(idle.name);
        assert.equal((await engine.listNetworks()).find((observed) => observed.name === idle.name), undefined);
        await assertEngineError(engine.startContainer(user.name), 404);
      });
    });

    describe('containers', () => {
      it('creates a container from its config; the list shows it created, with its labels and its endpoint', async () => {
        const net = await network('create-net');
        const wanted = await container('create', { networkMode: net.name, endpoints: [{ network: net.name, aliases: ['db'], links: [] }] });
        const found = await listed(wanted.name);
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
        const first = await container('dup');
        await assertEngineError(engine.createContainer(first), 409);
      });

      it('refuses a missing image with a non-transient 404', async () => {
        const wanted = config('no-image', { image: `mooring/absent-${uniqueName('image')}:latest` });
        await assertEngineError(engine.createContainer(wanted), 404);
        assert.equal(await engine.inspectContainer(wanted.name), undefined);
      });

      it('starts a container; starting it again is a no-op', async () => {
        const wanted = await container('start', {}, { start: true });
        const running = await listed(wanted.name);
        assert.equal(running?.status, 'running');
        assert.deepEqual(running.labels, wanted.labels);
        const first = await inspected(wanted.name);
        await engine.startContainer(wanted.name);
        const second = await inspected(wanted.name);
        assert.equal(second.status, 'running');
        assert.equal(second.startedAt, first.startedAt, 'not started a second time');
      });

      it('inspects a running container: its start time and process, no finish yet', async () => {
        const wanted = await container('running', {}, { start: true });
        const observed = await inspected(wanted.name);
        assert.equal(observed.status, 'running');
        assert.ok(observed.startedAt !== undefined && observed.startedAt > 0, `startedAt ${observed.startedAt}`);
        assert.equal(observed.finishedAt, undefined);
        assert.ok(observed.pid !== undefined && observed.pid > 0, `pid ${observed.pid}`);
        assert.deepEqual([observed.exitCode, observed.restartCount], [0, 0]);
      });

      it('inspects an exited container: when it started and finished, and its exit code', async () => {
        const wanted = await container('exited', {}, { start: true });
        await subject.kill(wanted.name);
        const observed = await inspected(wanted.name);
        assert.equal(observed.status, 'exited');
        assert.equal(observed.exitCode, KILLED);
        assert.equal(observed.pid, 0);
        assert.ok(observed.startedAt !== undefined && observed.finishedAt !== undefined, 'both times are known');
        assert.ok(observed.finishedAt >= observed.startedAt, `finishedAt ${observed.finishedAt} >= startedAt ${observed.startedAt}`);
        const inList = await listed(wanted.name);
        assert.equal(inList?.status, 'exited', 'once inspect shows it exited, so does the list');
        assert.deepEqual(inList.labels, wanted.labels);
        for (const key of ['startedAt', 'finishedAt', 'exitCode', 'pid'] as const) assert.equal(inList[key], undefined, `the list shows no ${key}`);
      });

      it('inspecting a missing container gives undefined; starting, unpausing or connecting one is a non-transient 404, as is connecting to a missing network', async () => {
        const missing = uniqueName('never-made');
        assert.equal(await engine.inspectContainer(missing), undefined);
        await assertEngineError(engine.startContainer(missing), 404);
        await assertEngineError(engine.unpauseContainer(missing), 404);
        const net = await network('missing');
        await assertEngineError(engine.connectNetwork(missing, { network: net.name, aliases: [], links: [] }), 404);
        // Running: a stopped container's connect is only recorded, and fails when it starts.
        const wanted = await container('missing-net', {}, { start: true });
        await assertEngineError(engine.connectNetwork(wanted.name, { network: uniqueName('never-made'), aliases: [], links: [] }), 404);
      });

      it('binds an ephemeral host port while the container runs, and lists it', async () => {
        const wanted = await container('ports', { portBindings: [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1' }] });
        assert.deepEqual((await listed(wanted.name))?.portBindings, [], 'nothing is bound before it starts');
        await engine.startContainer(wanted.name);
        const bound = (await listed(wanted.name))?.portBindings ?? [];
        assert.equal(bound.length, 1);
        assert.deepEqual({ ...bound[0], hostPort: undefined }, { containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: undefined });
        assert.ok(bound[0]!.hostPort! > 0, `host port ${bound[0]!.hostPort}`);
        await engine.stopContainer(wanted.name, 1);
        assert.deepEqual((await listed(wanted.name))?.portBindings, [], 'nothing is bound once it stopped');
      });

      it('stops a running container; stopping a stopped, a never-started or a missing one succeeds', async () => {
        const running = await container('stop', {}, { start: true });
        await engine.stopContainer(running.name, 1);
        assert.equal((await inspected(running.name)).status, 'exited');
        assert.equal((await listed(running.name))?.status, 'exited');
        await engine.stopContainer(running.name, 1);
        const created = await container('stop-created');
        await engine.stopContainer(created.name, 1);
        assert.equal((await inspected(created.name)).status, 'created');
        await engine.stopContainer(uniqueName('never-made'), 1);
      });

      it('stops a paused container', async () => {
        const wanted = await container('stop-paused', {}, { start: true });
        await subject.pause(wanted.name);
        await engine.stopContainer(wanted.name, 1);
        assert.equal((await inspected(wanted.name)).status, 'exited');
      });

      it('lists a paused container as paused, with its labels; unpausing resumes it, and unpausing a running one is a no-op', async () => {
        const wanted = await container('pause', {}, { start: true });
        await subject.pause(wanted.name);
        const paused = await listed(wanted.name);
        assert.equal(paused?.status, 'paused');
        assert.deepEqual(paused.labels, wanted.labels);
        await engine.unpauseContainer(wanted.name);
        assert.equal((await inspected(wanted.name)).status, 'running');
        await engine.unpauseContainer(wanted.name);
        assert.equal((await listed(wanted.name))?.status, 'running');
        await engine.stopContainer(wanted.name, 1);
        await engine.unpauseContainer(wanted.name);
        assert.equal((await inspected(wanted.name)).status, 'exited', 'unpausing an exited container leaves it exited');
      });

      it('links a container to another only when that one exists, joins its namespace only when it starts, and starts either only while that one runs', async () => {
        await assertEngineError(engine.createContainer(config('link-missing', { links: [`${uniqueName('never-made')}:db`] })), 400);
        const orphan = await container('join-missing', { networkMode: `container:${uniqueName('never-made')}` });
        await assertEngineError(engine.startContainer(orphan.name), 404);
        const owner = await container('join-owner');
        const guest = await container('join-guest', { networkMode: `container:${owner.name}` });
        const linker = await container('link-client', { links: [`${owner.name}:db`] });
        await assertEngineError(engine.startContainer(guest.name), 409);
        // Docker answers 500 here, which the adapter (rightly: the target may start) calls transient.
        await assertEngineError(engine.startContainer(linker.name), 500, { transient: true });
        await engine.startContainer(owner.name);
        await engine.startContainer(guest.name);
        await engine.startContainer(linker.name);
        assert.deepEqual([(await inspected(guest.name)).status, (await inspected(linker.name)).status], ['running', 'running']);
        assert.deepEqual((await inspected(guest.name)).endpoints, [], 'a container in another namespace has no endpoints of its own');
      });

      it('removes a running container; removing a missing one succeeds', async () => {
        const wanted = await container('remove', {}, { start: true });
        await engine.removeContainer(wanted.name);
        assert.equal(await listed(wanted.name), undefined);
        assert.equal(await engine.inspectContainer(wanted.name), undefined);
        await engine.removeContainer(wanted.name);
      });
    });

    describe('endpoints', () => {
      it('connects a running container with aliases and an address; the list shows them, and every endpoint of a running container has an address', async () => {
        const first = await network('ep-first');
        const second = await network('ep-second');
        const wanted = await container('ep', { networkMode: first.name, endpoints: [{ network: first.name, aliases: ['one'], links: [] }] }, { start: true });
        const address = second.ipam!.subnet!.replace(/0\/24$/, '77');
        await engine.connectNetwork(wanted.name, { network: second.name, aliases: ['two', 'deux'], ipv4Address: address, links: [] });
        const found = await listed(wanted.name);
        assert.ok(found);
        const byNetwork = Object.fromEntries(found.endpoints.map((endpoint) => [endpoint.network, endpoint]));
        assert.deepEqual(Object.keys(byNetwork).sort(), [first.name, second.name].sort());
        assert.deepEqual(byNetwork[first.name]!.aliases, ['one']);
        assert.deepEqual([...byNetwork[second.name]!.aliases].sort(), ['deux', 'two']);
        assert.equal(byNetwork[second.name]!.ipv4Address, address);
        assert.ok(inSubnet(byNetwork[first.name]!.ipv4Address, first.ipam!.subnet!), `${byNetwork[first.name]!.ipv4Address} in ${first.ipam!.subnet}`);
      });

      it('gives a container an address in its network when it starts; before, and after it stops, it shows only the one it asked for', async () => {
        const net = await network('addr');
        const asked = net.ipam!.subnet!.replace(/0\/24$/, '88');
        const free = await container('addr-free', { networkMode: net.name, endpoints: [{ network: net.name, aliases: [], links: [] }] });
        const fixed = await container('addr-fixed', { networkMode: net.name, endpoints: [{ network: net.name, aliases: [], links: [], ipv4Address: asked }] });
        const addresses = async () => Object.fromEntries((await engine.listContainers()).filter((observed) => [free.name, fixed.name].includes(observed.name)).map((observed) => [observed.name, observed.endpoints[0]?.ipv4Address]));
        assert.deepEqual(await addresses(), { [free.name]: undefined, [fixed.name]: asked });
        await engine.startContainer(free.name);
        await engine.startContainer(fixed.name);
        const running = await addresses();
        assert.ok(inSubnet(running[free.name], net.ipam!.subnet!), `${running[free.name]} in ${net.ipam!.subnet}`);
        assert.equal(running[fixed.name], asked);
        await engine.stopContainer(free.name, 1);
        await engine.stopContainer(fixed.name, 1);
        assert.deepEqual(await addresses(), { [free.name]: undefined, [fixed.name]: asked });
      });

      it('connects with network-scoped links and shows them', async () => {
        const net = await network('links');
        const target = await container('links-target', { networkMode: net.name, endpoints: [{ network: net.name, aliases: [], links: [] }] }, { start: true });
        const client = await container('links-client', {}, { start: true });
        await engine.connectNetwork(client.name, { network: net.name, aliases: [], links: [`${target.name}:db`] });
        const endpoint = (await listed(client.name))?.endpoints.find((observed) => observed.network === net.name);
        assert.deepEqual(endpoint?.links, [`${target.name}:db`]);
      });

      it('refuses, non-transiently, to connect a container that shares another namespace', async () => {
        const net = await network('shared');
        const host = await container('shared-host', { networkMode: 'host' }, { start: true });
        await assertEngineError(engine.connectNetwork(host.name, { network: net.name, aliases: [], links: [] }), 400);
        const owner = await container('shared-owner', {}, { start: true });
        const guest = await container('shared-guest', { networkMode: `container:${owner.name}` }, { start: true });
        await assertEngineError(engine.connectNetwork(guest.name, { network: net.name, aliases: [], links: [] }), 400);
      });

      it('refuses, non-transiently, aliases on the default bridge', async () => {
        const wanted = await container('bridge-alias', {}, { start: true });
        await engine.disconnectNetwork(wanted.name, 'bridge');
        await assertEngineError(engine.connectNetwork(wanted.name, { network: 'bridge', aliases: ['x'], links: [] }), 400);
      });

      it('refuses to connect a container twice to one network, non-transiently', async () => {
        const net = await network('twice');
        const wanted = await container('twice', { networkMode: net.name, endpoints: [{ network: net.name, aliases: [], links: [] }] }, { start: true });
        await assertEngineError(engine.connectNetwork(wanted.name, { network: net.name, aliases: [], links: [] }), 403);
      });

      it('disconnects a container; disconnecting one that is not connected, or a missing container or network, succeeds', async () => {
        const first = await network('disc-first');
        const second = await network('disc-second');
        const wanted = await container('disc', { networkMode: first.name, endpoints: [{ network: first.name, aliases: [], links: [] }] }, { start: true });
        await engine.connectNetwork(wanted.name, { network: second.name, aliases: ['x'], links: [] });
        await engine.disconnectNetwork(wanted.name, second.name);
        assert.deepEqual((await listed(wanted.name))?.endpoints.map((endpoint) => endpoint.network), [first.name]);
        await engine.disconnectNetwork(wanted.name, second.name);
        await engine.disconnectNetwork(uniqueName('never-made'), second.name);
        await engine.disconnectNetwork(wanted.name, uniqueName('never-made'));
        const stopped = await container('disc-stopped');
        await engine.disconnectNetwork(stopped.name, second.name);
      });
    });

    describe('events', () => {
      let log: EventLog;
      beforeEach(async () => {
        log = await EventLog.subscribe(engine, () => network(`warm-${randomInt(1e9)}`));
      });
      afterEach(() => log.close());

      it('reports start, die, connect, disconnect and destroy, container events with the container labels', async () => {
        const net = await network('ev-net');
        const wanted = await container('ev', {}, { start: true });
        const id = (await inspected(wanted.name)).id;
        await engine.connectNetwork(wanted.name, { network: net.name, aliases: ['ev'], links: [] });
        await engine.disconnectNetwork(wanted.name, net.name);
        await engine.stopContainer(wanted.name, 1);
        await engine.removeContainer(wanted.name);

        for (const action of ['create', 'start', 'die', 'destroy']) {
          const event = await log.next((event) => event.type === 'container' && event.action === action && event.id === id);
          assert.equal(event.name, wanted.name);
          assert.deepEqual(event.labels, wanted.labels, `${action} carries the labels`);
        }
        for (const action of ['connect', 'disconnect']) {
          const event = await log.next((event) => event.type === 'network' && event.action === action && event.containerId === id && event.name === net.name);
          assert.ok(event.id, `${action} names the network`);
          assert.deepEqual(event.labels, {}, 'network events carry no labels');
        }
      });

      it('reports a network created and destroyed, by name, without labels', async () => {
        const net = await network('ev-life');
        await engine.removeNetwork(net.name);
        for (const action of ['create', 'destroy']) {
          const event = await log.next((event) => event.type === 'network' && event.action === action && event.name === net.name);
          assert.deepEqual(event.labels, {}, `${action} carries no labels`);
        }
      });

      it('a stop, and the removal of a running container, send kill before die: a death that was asked for', async () => {
        const stopped = await container('ev-stop', {}, { start: true });
        const removed = await container('ev-rm', {}, { start: true });
        const ids = [(await inspected(stopped.name)).id, (await inspected(removed.name)).id];
        await engine.stopContainer(stopped.name, 1);
        await engine.removeContainer(removed.name);
        for (const [index, id] of ids.entries()) {
          const actions = ['kill', 'die', index === 0 ? 'stop' : 'destroy'];
          for (const action of actions) await log.next((event) => event.type === 'container' && event.action === action && event.id === id);
          // Docker sends a second kill (SIGKILL) when the process outlives the stop timeout.
          const seen = log.actions(id).filter((action) => actions.includes(action));
          assert.deepEqual([...new Set(seen)], actions, `${index === 0 ? 'stop' : 'remove'}: ${seen.join(', ')}`);
        }
      });

      it('after a die event, inspect shows the container exited', async () => {
        const wanted = await container('die', {}, { start: true });
        const id = (await inspected(wanted.name)).id;
        await subject.kill(wanted.name);
        await log.next((event) => event.type === 'container' && event.action === 'die' && event.id === id);
        const observed = await inspected(wanted.name);
        assert.equal(observed.status, 'exited');
        assert.equal(observed.exitCode, KILLED);
      });
    });
  });
}

/** `promise` fails with an `EngineError` of `statusCode` that retrying cannot fix, unless `transient`. */
async function assertEngineError(promise: Promise<unknown>, statusCode: number, options: { transient?: boolean } = {}): Promise<void> {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof EngineError, `expected an EngineError, got ${String(error)}`);
    assert.equal(error.statusCode, statusCode, error.message);
    assert.equal(error.transient, options.transient ?? false, `${error.message}: transient`);
    return true;
  });
}

function inSubnet(address: string | undefined, subnet: string): boolean {
  return address !== undefined && address.startsWith(subnet.replace(/0\/24$/, ''));
}
