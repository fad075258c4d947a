/**
 * The Docker adapter against the real engine: Docker's quirks absorbed, its
 * failures named, the endpoint alias cache, request counting, events and
 * runContainer. What it creates is checked with the docker CLI, as a user would.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { containerConfig } from '../../../src/engine/container-config.js';
import { DockerEngine } from '../../../src/engine/docker/index.js';
import { engineRejection as rejection } from '../../support/engine-rejection.js';
import type { ContainerConfig, EngineEvent } from '../../../src/engine/port.js';
import { createLogger, silentLogger } from '../../../src/log.js';
import { TEST_IMAGE, docker, dockerMaybe, removeLabelled, requireEngine, uniqueName } from '../../support/docker.js';

/** Every resource of this suite carries it, so `after` finds them all. */
const SUITE_LABEL = { 'io.mooring.test': uniqueName('engine') };

function config(name: string, overrides: Partial<ContainerConfig> = {}): ContainerConfig {
  return containerConfig({ name, image: TEST_IMAGE, command: ['sleep', '3600'], labels: { ...SUITE_LABEL }, stopTimeoutSeconds: 1, ...overrides });
}

async function inspect(name: string, format: string): Promise<unknown> {
  return JSON.parse(await docker('inspect', '--format', `{{json ${format}}}`, name));
}

describe('DockerEngine (engine)', function () {
  this.timeout(60_000);
  let engine: DockerEngine;
  const network = uniqueName('engine-net');

  before(async function () {
    await requireEngine(this);
    engine = new DockerEngine({ env: process.env, logger: silentLogger() });
    await docker('network', 'create', '--label', `io.mooring.test=${SUITE_LABEL['io.mooring.test']}`, network);
  });

  after(async () => {
    await removeLabelled(`io.mooring.test=${SUITE_LABEL['io.mooring.test']}`);
  });

  it('reports the engine version and the pinned API version', async () => {
    const info = await engine.info();
    assert.equal(info.apiVersion, '1.41');
    assert.equal(info.version, await docker('version', '--format', '{{.Server.Version}}'));
  });

  describe('quirks', () => {
    it('starting a running container, stopping a stopped one, and removing a missing one succeed', async () => {
      const name = uniqueName('quirks');
      await engine.createContainer(config(name));
      await engine.startContainer(name);
      await engine.startContainer(name);
      assert.equal(await docker('inspect', '--format', '{{.State.Status}}', name), 'running');
      await engine.stopContainer(name, 1);
      await engine.stopContainer(name, 1);
      assert.equal(await docker('inspect', '--format', '{{.State.Status}}', name), 'exited');
      await engine.removeContainer(name);
      await engine.removeContainer(name);
      await engine.stopContainer(name, 1);
      assert.equal(await dockerMaybe('inspect', name), undefined);
    });

    it('removing a missing network, and disconnecting from one, succeed; inspecting a missing container is undefined', async () => {
      await engine.removeNetwork(uniqueName('never-made'));
      await engine.disconnectNetwork(uniqueName('no-container'), uniqueName('no-network'));
      assert.equal(await engine.inspectContainer(uniqueName('never-made')), undefined);
    });

    it('tells whether an image is present', async () => {
      assert.equal(await engine.imageExists(TEST_IMAGE), true);
      assert.equal(await engine.imageExists(`mooring/absent-${randomBytes(4).toString('hex')}:latest`), false);
    });
  });

  describe('errors', () => {
    it('a taken name is a 409 that says what failed, not transient', async () => {
      const name = uniqueName('taken');
      await engine.createContainer(config(name));
      const error = await rejection(engine.createContainer(config(name)));
      assert.equal(error.statusCode, 409);
      assert.equal(error.transient, false);
      assert.match(error.message, new RegExp(`^create container ${name}: 409 Conflict: .*already in use`));
      await engine.removeContainer(name);
    });

    it('a missing container is a 404 for start; a missing image is a 404 for create', async () => {
      const missing = uniqueName('missing');
      const start = await rejection(engine.startContainer(missing));
      assert.deepEqual([start.statusCode, start.transient], [404, false]);
      assert.match(start.message, new RegExp(`^start container ${missing}: 404 Not Found: No such container`));
      const create = await rejection(engine.createContainer(config(uniqueName('no-image'), { image: 'mooring/absent:latest' })));
      assert.deepEqual([create.statusCode, create.transient], [404, false]);
    });

    it('an engine that does not answer is transient, and the message names the address', async () => {
      const absent = new DockerEngine({ dockerHost: 'unix:///nonexistent/docker.sock', env: {}, logger: silentLogger() });
      const error = await rejection(absent.listContainers());
      assert.equal(error.transient, true);
      assert.equal(error.statusCode, undefined);
      assert.match(error.message, /^list containers: cannot reach the engine at unix:\/\/\/nonexistent\/docker\.sock: .*ENOENT/);
    });

    it('a pull fails clearly when no registry answers', async () => {
      const error = await rejection(engine.pullImage(`mooring/absent-${randomBytes(4).toString('hex')}:latest`));
      assert.match(error.message, /^pull image mooring\/absent-\w+:latest: /);
      if (/registry is unreachable/.test(error.message)) assert.equal(error.transient, true);
      else assert.equal(error.transient, false, error.message);
    });
  });

  describe('createContainer', () => {
    it('maps every setting of the config', async () => {
      const name = uniqueName('full');
      const id = await engine.createContainer(
        config(name, {
          command: ['-c', 'sleep 3600'],
          entrypoint: ['/bin/sh'],
          env: ['A=1', 'B=two words'],
          workingDir: '/tmp',
          user: '65534',
          hostname: 'fullhost',
          labels: { ...SUITE_LABEL, team: 'blue' },
          restartPolicy: { name: 'on-failure' },
          networkMode: network,
          endpoints: [{ network, aliases: ['first', 'second'], links: [] }],
          exposedPorts: ['9000/udp'],
          portBindings: [
            { containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1' },
            { containerPort: 81, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: 0 },
          ],
          extraHosts: ['gw:host-gateway', 'fixed:10.1.2.3'],
          healthcheck: { test: ['CMD-SHELL', 'true'], intervalNs: 30e9, timeoutNs: 2e9, retries: 4, startPeriodNs: 1e9 },
          stopTimeoutSeconds: 7,
        }),
      );
      assert.equal(await docker('inspect', '--format', '{{.Id}}', name), id);
      const c = (await inspect(name, '.')) as {
        Config: Record<string, unknown>;
        HostConfig: Record<string, unknown>;
        NetworkSettings: { Networks: Record<string, { Aliases: string[] }> };
      };
      assert.deepEqual(c.Config.Cmd, ['-c', 'sleep 3600']);
      assert.deepEqual(c.Config.Entrypoint, ['/bin/sh']);
      assert.ok((c.Config.Env as string[]).includes('B=two words'));
      assert.deepEqual([c.Config.WorkingDir, c.Config.User, c.Config.Hostname, c.Config.StopTimeout], ['/tmp', '65534', 'fullhost', 7]);
      assert.equal((c.Config.Labels as Record<string, string>).team, 'blue');
      assert.deepEqual(Object.keys(c.Config.ExposedPorts as object).sort(), ['80/tcp', '81/tcp', '9000/udp']);
      assert.deepEqual(c.Config.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 30e9, Timeout: 2e9, StartPeriod: 1e9, Retries: 4 });
      assert.deepEqual(c.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 0 });
      assert.equal(c.HostConfig.NetworkMode, network);
      assert.deepEqual(c.HostConfig.PortBindings, { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }], '81/tcp': [{ HostIp: '127.0.0.1', HostPort: '0' }] });
      assert.deepEqual(c.HostConfig.ExtraHosts, ['gw:host-gateway', 'fixed:10.1.2.3']);
      assert.deepEqual(c.NetworkSettings.Networks[network]?.Aliases?.filter((alias) => !id.startsWith(alias)), ['first', 'second']);
    });

    it('joins the first network with its address and links, connects the rest, and sets legacy links', async () => {
      const [target, source] = [uniqueName('target'), uniqueName('source')];
      const subnet = `10.${100 + (process.pid % 100)}.${Math.floor(Math.random() * 250)}`;
      const fixed = uniqueName('fixed-net');
      await docker('network', 'create', '--label', `io.mooring.test=${SUITE_LABEL['io.mooring.test']}`, '--subnet', `${subnet}.0/24`, fixed);
      await engine.createContainer(config(target, { networkMode: network, endpoints: [{ network, aliases: [], links: [] }] }));
      await engine.startContainer(target);
      await docker('network', 'connect', 'bridge', target);
      await engine.createContainer(
        config(source, {
          networkMode: network,
          endpoints: [
            { network, aliases: ['src'], links: [`${target}:tgt`] },
            { network: fixed, aliases: ['fixed-src'], ipv4Address: `${subnet}.77`, links: [] },
          ],
        }),
      );
      const networks = (await inspect(source, '.NetworkSettings.Networks')) as Record<string, { Links: string[] | null; IPAMConfig: { IPv4Address?: string } | null }>;
      assert.deepEqual(Object.keys(networks).sort(), [fixed, network].sort());
      assert.deepEqual(networks[network]?.Links, [`${target}:tgt`]);
      assert.equal(networks[fixed]?.IPAMConfig?.IPv4Address, `${subnet}.77`);
      await engine.startContainer(source);
      assert.match(await docker('exec', source, 'nslookup', 'tgt'), /Address.*\d+\.\d+\.\d+\.\d+/);
      const observed = await engine.inspectContainer(source);
      assert.deepEqual(
        observed?.endpoints.map(({ network: name, aliases, links, ipv4Address }) => ({ name, aliases, links, ipv4Address })).sort((a, b) => a.name.localeCompare(b.name)),
        [
          { name: fixed, aliases: ['fixed-src'], links: [], ipv4Address: `${subnet}.77` },
          { name: network, aliases: ['src'], links: [`${target}:tgt`], ipv4Address: observed?.endpoints.find((e) => e.network === network)?.ipv4Address },
        ].sort((a, b) => a.name.localeCompare(b.name)),
      );

      const legacy = uniqueName('legacy');
      await engine.createContainer(config(legacy, { links: [`${target}:old`] }));
      await engine.startContainer(legacy);
      assert.match(await docker('exec', legacy, 'cat', '/etc/hosts'), /\sold(\s|$)/m);
    });
  });

  describe('observing', () => {
    it('lists containers in one request once their endpoints are known, inspecting only what changed', async () => {
      const names = [uniqueName('obs-a'), uniqueName('obs-b'), uniqueName('obs-c')];
      for (const [index, name] of names.entries()) {
        await engine.createContainer(config(name, { networkMode: network, endpoints: [{ network, aliases: [`alias-${index}`], links: [] }] }));
        await engine.startContainer(name);
      }
      // Other suites may run beside this one: which containers were inspected comes from the debug log.
      const log = new PassThrough();
      const lines: string[] = [];
      log.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
      const fresh = new DockerEngine({ env: process.env, logger: createLogger({ level: 'debug', format: 'json', stream: log }) });
      const list = async () => {
        lines.length = 0;
        const before = fresh.requestCounts();
        const containers = (await fresh.listContainers()).filter((container) => names.includes(container.name));
        await new Promise((resolve) => setImmediate(resolve));
        const inspected = lines.flatMap((line) => (JSON.parse(line) as { containers?: string[] }).containers ?? []);
        const after = fresh.requestCounts();
        assert.equal(after.byOperation.listContainers, (before.byOperation.listContainers ?? 0) + 1);
        assert.equal(after.total - before.total, 1 + inspected.length, 'one list request, plus one inspection per container whose endpoints are new');
        assert.equal(after.mutating, 0);
        return { aliases: Object.fromEntries(containers.map((container) => [container.name, container.endpoints.flatMap((endpoint) => endpoint.aliases)])), inspected };
      };

      const first = await list();
      assert.deepEqual(first.aliases, { [names[0]!]: ['alias-0'], [names[1]!]: ['alias-1'], [names[2]!]: ['alias-2'] });
      assert.deepEqual(names.filter((name) => first.inspected.includes(name)), names);

      const second = await list();
      assert.deepEqual(second.aliases, first.aliases);
      assert.deepEqual(names.filter((name) => second.inspected.includes(name)), []);

      // Someone reconnects one container with another alias: a new endpoint, so that one container is inspected again.
      await docker('network', 'disconnect', network, names[1]!);
      await docker('network', 'connect', '--alias', 'renamed', network, names[1]!);
      const third = await list();
      assert.deepEqual(third.aliases[names[1]!], ['renamed']);
      assert.deepEqual(names.filter((name) => third.inspected.includes(name)), [names[1]]);
    });

    it('knows the aliases of a stopped container, and forgets them when it reconnects it', async () => {
      const name = uniqueName('stopped');
      await engine.createContainer(config(name, { networkMode: network, endpoints: [{ network, aliases: ['before'], links: [] }] }));
      const find = async () => (await engine.listContainers()).find((container) => container.name === name);
      assert.deepEqual((await find())?.endpoints.map((endpoint) => endpoint.aliases), [['before']]);
      await engine.disconnectNetwork(name, network);
      await engine.connectNetwork(name, { network, aliases: ['after'], links: [] });
      assert.deepEqual((await find())?.endpoints.map((endpoint) => endpoint.aliases), [['after']]);
    });

    it('reports host ports, process id and state from inspect', async () => {
      const name = uniqueName('ports');
      await engine.createContainer(config(name, { command: ['httpd', '-f', '-p', '80', '-h', '/'], portBindings: [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1' }] }));
      await engine.startContainer(name);
      const observed = await engine.inspectContainer(name);
      const bound = Number((await docker('port', name, '80/tcp')).split(':').at(-1));
      assert.deepEqual(observed?.portBindings, [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1', hostPort: bound }]);
      assert.equal(observed?.status, 'running');
      assert.equal(observed?.pid, Number(await docker('inspect', '--format', '{{.State.Pid}}', name)));
      assert.equal(typeof observed?.startedAt, 'number');
      const listed = (await engine.listContainers()).find((container) => container.name === name);
      assert.deepEqual(listed?.portBindings, observed?.portBindings);
    });

    it('lists networks with their IPAM settings and labels', async () => {
      const name = uniqueName('ipam-net');
      const created = {
        name,
        driver: 'bridge',
        internal: true,
        attachable: true,
        enableIPv6: false,
        ipam: { subnet: '10.213.7.0/24', gateway: '10.213.7.1' },
        options: { 'com.docker.network.bridge.enable_icc': 'true' },
        labels: { ...SUITE_LABEL },
      };
      await engine.createNetwork(created);
      const observed = (await engine.listNetworks()).find((candidate) => candidate.name === name);
      assert.deepEqual({ ...observed, id: undefined }, { id: undefined, ...created }, 'listed as created');
      const again = await rejection(engine.createNetwork({ ...observed!, labels: SUITE_LABEL }));
      assert.deepEqual([again.statusCode, again.transient], [409, false]);
      await engine.removeNetwork(name);
      assert.equal((await engine.listNetworks()).some((candidate) => candidate.name === name), false);
    });
  });

  describe('events', () => {
    it('streams container and network events until the signal aborts', async () => {
      const name = uniqueName('events');
      const marker = uniqueName('events-marker');
      const abort = new AbortController();
      const seen: EngineEvent[] = [];
      const watching = (async () => {
        for await (const event of engine.events({ signal: abort.signal })) {
          if (event.name === name || event.name?.startsWith(marker) || (event.resource === 'network' && event.containerId !== undefined)) seen.push(event);
          if (seen.some((candidate) => candidate.change === 'started' && candidate.name === name)) abort.abort();
        }
      })();
      // The stream is attached once it shows something done after it began: marker networks until one shows.
      const markerSeen = () => seen.some((event) => event.name?.startsWith(marker));
      for (let attempt = 0; !markerSeen(); attempt++) {
        await docker('network', 'create', '--label', `io.mooring.test=${SUITE_LABEL['io.mooring.test']}`, `${marker}-${attempt}`);
        for (let polls = 0; polls < 20 && !markerSeen(); polls++) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const id = await engine.createContainer(config(name, { networkMode: network, endpoints: [{ network, aliases: [], links: [] }] }));
      await engine.startContainer(name);
      await Promise.race([watching, new Promise((_, reject) => setTimeout(() => reject(new Error(`no start event; saw ${JSON.stringify(seen)}`)), 10_000))]);
      const create = seen.find((event) => event.resource === 'container' && event.change === 'created');
      assert.deepEqual([create?.id, create?.labels['io.mooring.test']], [id, SUITE_LABEL['io.mooring.test']]);
      const connect = seen.find((event) => event.resource === 'network' && event.change === 'connected' && event.containerId === id);
      assert.equal(connect?.name, network);
      assert.ok(seen.every((event) => event.time > Date.now() - 60_000 && event.time <= Date.now() + 1000));
    });

    it('ends at once for a signal already aborted', async () => {
      const abort = new AbortController();
      abort.abort();
      const events: EngineEvent[] = [];
      for await (const event of engine.events({ signal: abort.signal })) events.push(event);
      assert.deepEqual(events, []);
    });
  });

  describe('runContainer', () => {
    it('runs to completion, separates stdout from stderr, gives the exit code and removes the container', async () => {
      const name = uniqueName('run');
      const result = await engine.runContainer(config(name, { command: ['sh', '-c', 'echo out; echo err >&2; echo more; exit 3'] }), { timeoutMs: 10_000 });
      assert.deepEqual(result, { exitCode: 3, stdout: 'out\nmore\n', stderr: 'err\n' });
      assert.equal(await dockerMaybe('inspect', name), undefined);
    });

    it('joins another container’s network namespace', async () => {
      const server = uniqueName('run-server');
      await engine.createContainer(config(server, { command: ['httpd', '-f', '-p', '8080', '-h', '/'] }));
      await engine.startContainer(server);
      const result = await engine.runContainer(config(uniqueName('run-joined'), { command: ['nc', '-w', '2', '127.0.0.1', '8080', '-e', 'true'], networkMode: `container:${server}` }), {
        timeoutMs: 10_000,
      });
      assert.equal(result.exitCode, 0, result.stderr);
    });

    it('gives up after the timeout and still removes the container', async () => {
      const name = uniqueName('run-slow');
      const error = await rejection(engine.runContainer(config(name, { command: ['sleep', '30'] }), { timeoutMs: 500 }));
      assert.match(error.message, new RegExp(`^run container ${name}: it did not exit within 500 ms`));
      assert.equal(await dockerMaybe('inspect', name), undefined);
    });
  });
});
