/**
 * The reconciler against the real engine: what a user of the example manifests
 * would check by hand with `docker exec`, `nslookup`, `nc` and a browser.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { stringify } from 'yaml';
import { DockerEngine } from '../../../src/engine/docker/index.js';
import type { Engine } from '../../../src/engine/port.js';
import { loadDesiredState } from '../../../src/manifests/desired-state.js';
import type { DesiredState } from '../../../src/manifests/model.js';
import { silentLogger } from '../../../src/log.js';
import { systemClock } from '../../../src/clock.js';
import type { ReconcileResult } from '../../../src/reconcile/reconcile.js';
import { reconcile } from '../../../src/reconcile/reconcile.js';
import { reported } from '../../unit/reconcile/reported.js';
import { main } from '../../../src/cli/main.js';
import { TEST_IMAGE, docker, dockerMaybe, removeByName, removeLabelled, requireEngine, uniqueName } from '../../support/docker.js';

type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, unknown> };

const manifest = (kind: string, name: string, spec: Record<string, unknown>): Manifest => ({ apiVersion: 'mooring/v1', kind, metadata: { name }, spec });
/** PID 1 in busybox ignores SIGTERM: a short stop timeout keeps recreations quick. */
const containerDoc = (name: string, spec: Record<string, unknown> = {}) =>
  manifest('Container', name, { image: TEST_IMAGE, pullPolicy: 'Never', command: 'sleep 3600', stopTimeout: 1, ...spec });
const httpd = { command: 'httpd -f -p 80 -h /' };

async function writeManifests(directory: string, documents: Manifest[]): Promise<void> {
  await rm(directory, { recursive: true, force: true });
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, 'manifests.yaml'), documents.map((document) => stringify(document)).join('---\n'));
}

/** An engine that counts the calls made through it. */
function counting(engine: Engine): { engine: Engine; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(engine, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { engine: proxy, calls };
}

async function eventually<T>(check: () => Promise<T>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what}: still failing after ${timeoutMs} ms: ${error instanceof Error ? error.message : String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

async function containerId(name: string): Promise<string> {
  return docker('inspect', '--format', '{{.Id}}', name);
}

/** Connects from the test process and reads the start of an HTTP answer. */
function httpStatusLine(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write('GET / HTTP/1.0\r\n\r\n'));
    let data = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('timed out')));
    socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
    socket.on('end', () => resolve(data.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
  });
}

describe('reconcile against the real engine', function () {
  this.timeout(180_000);
  let engine: DockerEngine;
  let workdir: string;
  const instances: string[] = [];
  const unmanaged: string[] = [];

  before(async function () {
    await requireEngine(this);
    engine = new DockerEngine({ logger: silentLogger() });
    workdir = await mkdtemp(join(tmpdir(), 'mooring-reconcile-'));
  });

  after(async () => {
    for (const instance of instances) await removeLabelled(`io.mooring.instance=${instance}`);
    await removeByName({ containers: unmanaged });
    if (workdir) await rm(workdir, { recursive: true, force: true });
  });

  /** A scenario has its own instance, so one scenario's pass never prunes another's resources. */
  function scenario(suffix: string) {
    const instance = uniqueName(suffix);
    instances.push(instance);
    const directory = join(workdir, suffix);
    return {
      instance,
      directory,
      name: (resource: string) => `${instance}-${resource}`,
      async desired(documents: Manifest[]): Promise<DesiredState> {
        await writeManifests(directory, documents);
        const loaded = await loadDesiredState({ directory });
        assert.deepEqual(loaded.files.flatMap((file) => file.errors.map((error) => error.message)), []);
        return loaded.desired;
      },
      async pass(documents: Manifest[], options: { engine?: Engine } = {}): Promise<ReconcileResult> {
        const desired = await this.desired(documents);
        return reconcile({ engine: options.engine ?? engine, logger: silentLogger(), clock: systemClock, instance, desired, retry: { minTimeoutMs: 100 } });
      },
    };
  }

  async function converged(pass: Promise<ReconcileResult>): Promise<ReconcileResult> {
    const result = await pass;
    assert.ok(result.converged, `not converged: ${JSON.stringify(result.errors)}`);
    return result;
  }

  it('containers on a user-defined network resolve each other by name, alias and network-scoped link', async () => {
    const s = scenario('dns');
    const [net, server, client] = [s.name('net'), s.name('server'), s.name('client')];
    await converged(s.pass([
      manifest('Network', net, {}),
      containerDoc(server, { ...httpd, networks: [{ name: net, aliases: ['alpha', 'beta'] }] }),
      containerDoc(client, { networks: [{ name: net }] }),
      manifest('Link', s.name('client-server'), { from: client, to: server, network: net, alias: 'linked', ports: [80] }),
    ]));
    for (const host of [server, 'alpha', 'beta', 'linked']) {
      await eventually(() => docker('exec', client, 'nslookup', host), `nslookup ${host}`);
      await eventually(() => docker('exec', client, 'nc', '-w', '2', host, '80', '-e', 'true'), `nc ${host} 80`);
    }
  });

  it('two containers linked both ways reach each other; a recreated one, at a new address, is reached again both ways', async () => {
    const s = scenario('two-way');
    const [net, one, two, filler] = [s.name('net'), s.name('one'), s.name('two'), s.name('filler')];
    const documents = [
      manifest('Network', net, {}),
      containerDoc(one, { ...httpd, networks: [{ name: net }] }),
      containerDoc(two, { ...httpd, networks: [{ name: net }] }),
      manifest('Link', s.name('one-to-two'), { from: one, to: two, network: net, alias: 'right', ports: [80] }),
      manifest('Link', s.name('two-to-one'), { from: two, to: one, network: net, alias: 'left', ports: [80] }),
    ];
    const address = (name: string) => docker('inspect', '--format', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, name);
    /** What `from` resolves `alias` to, through Docker's DNS, once it answers at all. */
    const resolved = (from: string, alias: string) =>
      eventually(async () => /^Name:\s+\S+\s*\nAddress:\s+(\S+)$/m.exec(await docker('exec', from, 'nslookup', alias))?.[1] ?? assert.fail('no address'), `nslookup ${alias} in ${from}`);
    const bothWays = async () => {
      await eventually(() => docker('exec', one, 'nc', '-w', '2', 'right', '80', '-e', 'true'), 'one reaches two as right');
      await eventually(() => docker('exec', two, 'nc', '-w', '2', 'left', '80', '-e', 'true'), 'two reaches one as left');
    };

    const first = await converged(s.pass(documents));
    // Neither end waits for the other.
    for (const [self, other] of [[one, two], [two, one]] as const) {
      for (const action of first.plan.actions.filter((candidate) => candidate.resource === `Container/${self}`)) {
        assert.deepEqual(action.dependsOn.filter((id) => id.endsWith(`:${other}`)), [], action.id);
      }
    }
    await bothWays();
    assert.equal(await resolved(two, 'left'), await address(one));

    // The filler takes the address `one` leaves, so the recreated `one` gets another.
    const old = { id: await containerId(one), address: await address(one) };
    await docker('rm', '-f', one);
    try {
      await docker('run', '-d', '--name', filler, '--network', net, TEST_IMAGE, 'sleep', '3600');
      assert.equal(await address(filler), old.address);
      const again = await converged(s.pass(documents));
      assert.deepEqual(again.plan.actions.map((action) => action.id), [`pull-image:${one}`, `create-container:${one}`, `start-container:${one}`]);
      assert.notEqual(await containerId(one), old.id);
      const renewed = await address(one);
      assert.notEqual(renewed, old.address);
      // `two` was left alone, and its alias for `one` follows the name to the new address.
      assert.equal(await resolved(two, 'left'), renewed);
      await bothWays();
    } finally {
      await removeByName({ containers: [filler] });
    }
  });

  it('the host reaches a published port', async () => {
    const s = scenario('publish');
    const web = s.name('web');
    await converged(s.pass([
      containerDoc(web, httpd),
      manifest('PortPublish', s.name('web-http'), { container: web, containerPort: 80, hostIp: '127.0.0.1' }),
    ]));
    const binding = await docker('port', web, '80/tcp');
    const port = Number(binding.split('\n')[0]!.split(':').pop());
    assert.ok(port > 0, `expected a host port, got ${binding}`);
    assert.match(await eventually(() => httpStatusLine(port), 'HTTP on the published port'), /^HTTP\/1\.[01] /);
  });

  it('a legacy link gives the hosts entry and the environment variables', async () => {
    const s = scenario('legacy');
    const [server, client] = [s.name('server'), s.name('client')];
    await converged(s.pass([
      containerDoc(server, { ...httpd, expose: [80] }),
      containerDoc(client),
      manifest('Link', s.name('client-server'), { from: client, to: server, alias: 'legacysrv' }),
    ]));
    const hosts = await docker('exec', client, 'cat', '/etc/hosts');
    assert.match(hosts, /^\d+\.\d+\.\d+\.\d+\s+legacysrv\b/m);
    const env = await docker('exec', client, 'env');
    assert.match(env, /^LEGACYSRV_PORT_80_TCP=tcp:\/\/\d+\.\d+\.\d+\.\d+:80$/m);
    assert.match(env, /^LEGACYSRV_PORT_80_TCP_PORT=80$/m);
    await eventually(() => docker('exec', client, 'nc', '-w', '2', 'legacysrv', '80', '-e', 'true'), 'nc legacysrv 80');
  });

  it('host and none network modes', async () => {
    const s = scenario('modes');
    const [hosted, isolated] = [s.name('hosted'), s.name('isolated')];
    await converged(s.pass([containerDoc(hosted, { networkMode: 'host' }), containerDoc(isolated, { networkMode: 'none' })]));
    assert.equal(await docker('exec', isolated, 'ls', '/sys/class/net'), 'lo');
    const hostInterfaces = (await docker('exec', hosted, 'ls', '/sys/class/net')).split('\n');
    assert.ok(hostInterfaces.includes('docker0'), `expected the host's interfaces, got ${hostInterfaces.join(' ')}`);
  });

  it('a container paused by hand is unpaused', async () => {
    const s = scenario('paused');
    const box = s.name('box');
    const documents = [containerDoc(box, {})];
    await converged(s.pass(documents));
    await docker('pause', box);
    const repair = await converged(s.pass(documents));
    assert.deepEqual(repair.plan.actions.map((action) => action.id), [`start-container:${box}`]);
    assert.equal(await docker('inspect', '--format', '{{.State.Status}}', box), 'running');
    assert.deepEqual((await converged(s.pass(documents))).plan.actions, []);
  });

  it('extraHosts with host-gateway names the gateway', async () => {
    const s = scenario('gateway');
    const box = s.name('box');
    await converged(s.pass([containerDoc(box, { extraHosts: ['gw:host-gateway', 'fixed:10.1.2.3'] })]));
    // The default bridge's gateway, as the container itself sees it (the network's IPAM config may omit it).
    const gateway = await docker('inspect', '--format', '{{.NetworkSettings.Networks.bridge.Gateway}}', box);
    assert.match(gateway, /^\d+\.\d+\.\d+\.\d+$/);
    const hosts = await docker('exec', box, 'cat', '/etc/hosts');
    assert.match(hosts, new RegExp(`^${gateway.replaceAll('.', '\\.')}\\s+gw$`, 'm'));
    assert.match(hosts, /^10\.1\.2\.3\s+fixed$/m);
  });

  it('a change to one field recreates exactly that container', async () => {
    const s = scenario('recreate');
    const [net, a, b, c] = [s.name('net'), s.name('a'), s.name('b'), s.name('c')];
    const documents = (bEnv: string) => [
      manifest('Network', net, {}),
      containerDoc(a, { networks: [{ name: net }] }),
      containerDoc(b, { networks: [{ name: net, aliases: ['bee'] }], env: { GREETING: bEnv } }),
      containerDoc(c, { networks: [{ name: net }] }),
    ];
    await converged(s.pass(documents('hello')));
    const before = { a: await containerId(a), b: await containerId(b), c: await containerId(c) };
    const result = await converged(s.pass(documents('bonjour')));
    assert.deepEqual(result.plan.actions.map((action) => action.id), [`pull-image:${b}`, `recreate-container:${b}`, `start-container:${b}`]);
    assert.deepEqual(result.plan.actions[1]!.changes, [{ field: 'env.GREETING', fromUnknown: true, to: 'bonjour' }]);
    assert.equal(await containerId(a), before.a);
    assert.equal(await containerId(c), before.c);
    assert.notEqual(await containerId(b), before.b);
    assert.match(await docker('exec', b, 'env'), /^GREETING=bonjour$/m);
    await eventually(() => docker('exec', a, 'nslookup', 'bee'), 'the recreated container keeps its alias');
  });

  it('an alias change reconnects without recreating', async () => {
    const s = scenario('alias');
    const [net, server, client] = [s.name('net'), s.name('server'), s.name('client')];
    const documents = (alias: string) => [
      manifest('Network', net, {}),
      containerDoc(server, { networks: [{ name: net, aliases: [alias] }] }),
      containerDoc(client, { networks: [{ name: net }] }),
    ];
    await converged(s.pass(documents('first')));
    const id = await containerId(server);
    const result = await converged(s.pass(documents('second')));
    assert.deepEqual(result.plan.actions.map((action) => action.type), ['disconnect', 'connect']);
    assert.equal(await containerId(server), id);
    await eventually(() => docker('exec', client, 'nslookup', 'second'), 'nslookup the new alias');
    assert.equal(await dockerMaybe('exec', client, 'nslookup', 'first'), undefined);
  });

  it('a network subnet change recreates the network and keeps every alias', async () => {
    const s = scenario('subnet');
    const [net, a, b] = [s.name('net'), s.name('a'), s.name('b')];
    const octet = 100 + (process.pid % 100);
    const third = Math.floor(Math.random() * 250);
    const documents = (subnet: string) => [
      manifest('Network', net, { ipam: { subnet } }),
      containerDoc(a, { networks: [{ name: net, aliases: ['a-one', 'a-two'] }] }),
      containerDoc(b, { networks: [{ name: net, aliases: ['b-one'] }] }),
    ];
    await converged(s.pass(documents(`10.${octet}.${third}.0/24`)));
    const before = { network: await docker('network', 'inspect', '--format', '{{.Id}}', net), a: await containerId(a), b: await containerId(b) };
    const result = await converged(s.pass(documents(`10.${octet}.${third + 1}.0/24`)));
    assert.ok(result.plan.actions.some((action) => action.type === 'recreate-network'));
    assert.notEqual(await docker('network', 'inspect', '--format', '{{.Id}}', net), before.network);
    assert.equal(await containerId(a), before.a);
    assert.equal(await containerId(b), before.b);
    const address = await docker('inspect', '--format', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, a);
    assert.ok(address.startsWith(`10.${octet}.${third + 1}.`), `expected an address in the new subnet, got ${address}`);
    for (const alias of ['a-one', 'a-two', a]) await eventually(() => docker('exec', b, 'nslookup', alias), `nslookup ${alias}`);
    await eventually(() => docker('exec', a, 'nslookup', 'b-one'), 'nslookup b-one');
  });

  it('a name taken by an unmanaged container is left untouched and reported; the rest proceeds', async () => {
    const s = scenario('conflict');
    const [taken, free] = [s.name('taken'), s.name('free')];
    unmanaged.push(taken);
    await docker('create', '--name', taken, '--label', 'owner=someone-else', TEST_IMAGE, 'sleep', '1');
    const id = await containerId(taken);
    const result = await s.pass([containerDoc(taken, { env: { X: '1' } }), containerDoc(free)]);
    assert.equal(result.converged, false);
    assert.deepEqual(result.errors.map(reported), [{ resource: `Container/${taken}`, message: `the name ${taken} is taken by a container mooring does not manage; it is left untouched`, terminal: true }]);
    assert.equal(await containerId(taken), id);
    assert.equal(await docker('inspect', '--format', '{{.State.Status}}', taken), 'created');
    assert.equal(await docker('inspect', '--format', '{{index .Config.Labels "owner"}}', taken), 'someone-else');
    assert.equal(await docker('inspect', '--format', '{{.State.Status}}', free), 'running');
  });

  it('apply twice: the second pass makes no mutating call, and plan then exits 0', async () => {
    const s = scenario('idem');
    const [net, web, db] = [s.name('net'), s.name('web'), s.name('db')];
    await writeManifests(s.directory, [
      manifest('Network', net, { ipam: { subnet: `10.${100 + (process.pid % 100)}.252.0/24` } }),
      containerDoc(db, { networks: [{ name: net, aliases: ['database'] }], env: { A: 1, B: true } }),
      containerDoc(web, { ...httpd, networks: [{ name: net, aliases: ['www'] }, { name: 'bridge' }], expose: ['80/tcp'], dependsOn: [db], healthcheck: { test: 'true', interval: '30s' } }),
      manifest('Link', s.name('web-db'), { from: web, to: db, network: net, alias: 'sql' }),
      manifest('PortPublish', s.name('web-http'), { container: web, containerPort: 80, hostIp: '127.0.0.1' }),
    ]);
    const cli = async (...args: string[]) => {
      const stdout = new PassThrough();
      let text = '';
      stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      const code = await main([...args, '-m', s.directory, '--instance', s.instance], { stdout, stderr: new PassThrough(), env: process.env });
      return { code, text };
    };
    assert.equal((await cli('plan')).code, 2);
    const applied = await cli('apply');
    assert.equal(applied.code, 0, applied.text);
    assert.match(applied.text, /Converged\./);

    const { engine: counted, calls } = counting(engine);
    const desired = (await loadDesiredState({ directory: s.directory })).desired;
    const again = await reconcile({ engine: counted, logger: silentLogger(), clock: systemClock, instance: s.instance, desired });
    assert.ok(again.converged);
    assert.deepEqual(again.plan.actions, []);
    assert.deepEqual([...calls].sort(), ['listContainers', 'listImages', 'listNetworks', 'listVolumes']);

    const planned = await cli('plan');
    assert.equal(planned.code, 0, planned.text);
    assert.equal(planned.text, 'Nothing to do: the engine matches the manifests.\n');
    assert.equal((await cli('apply')).code, 0);
  });
});
