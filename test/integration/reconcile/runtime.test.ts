/**
 * The Container runtime fields against the real engine (issue 15): each shows
 * in `docker inspect` as declared, resources change in place, and containers
 * made before these fields existed plan as unchanged.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DockerEngine } from '../../../src/engine/docker/index.js';
import type { ContainerConfig } from '../../../src/engine/port.js';
import { loadDesiredState } from '../../../src/manifests/desired-state.js';
import { PRIVILEGED } from '../../../src/manifests/policy.js';
import { silentLogger } from '../../../src/log.js';
import { systemClock } from '../../../src/clock.js';
import { observe } from '../../../src/reconcile/observe.js';
import { plan } from '../../../src/reconcile/plan/index.js';
import type { ReconcileResult } from '../../../src/reconcile/reconcile.js';
import { reconcile } from '../../../src/reconcile/reconcile.js';
import { main } from '../../../src/cli/main.js';
import { captureIo } from '../../support/cli-io.js';
import { TEST_IMAGE, docker, dockerMaybe, removeLabelled, requireEngine, uniqueName } from '../../support/docker.js';

type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; spec: Record<string, unknown> };
const manifest = (kind: string, name: string, spec: Record<string, unknown>): Manifest => ({ apiVersion: 'mooring/v1', kind, metadata: { name }, spec });
const containerDoc = (name: string, spec: Record<string, unknown> = {}) =>
  manifest('Container', name, { image: TEST_IMAGE, pullPolicy: 'Never', command: 'sleep 3600', stopTimeout: 1, ...spec });

async function inspect(name: string): Promise<{
  Id: string;
  State: { Status: string; Health?: { Status: string } };
  Config: Record<string, unknown>;
  HostConfig: Record<string, unknown>; NetworkSettings: { Networks: Record<string, { IPAMConfig?: Record<string, string> }> } }> {
  return JSON.parse(await docker('inspect', name))[0];
}

describe('container runtime options against the real engine', function () {
  this.timeout(180_000);
  let engine: DockerEngine;
  let workdir: string;
  const instance = uniqueName('runtime');
  /** Its own instance, so the other tests' containers are not pruned in its plan. */
  const upgrade = uniqueName('upgrade');

  before(async function () {
    await requireEngine(this);
    engine = new DockerEngine({ logger: silentLogger() });
    workdir = await mkdtemp(join(tmpdir(), 'mooring-runtime-'));
  });

  after(async () => {
    await removeLabelled(`io.mooring.instance=${instance}`);
    await removeLabelled(`io.mooring.instance=${upgrade}`);
    if (workdir) await rm(workdir, { recursive: true, force: true });
  });

  async function writeManifests(documents: Manifest[]): Promise<string> {
    const directory = join(workdir, 'manifests');
    await rm(directory, { recursive: true, force: true });
    await mkdir(directory, { recursive: true });
    await writeFile(join(directory, 'app.yaml'), documents.map((document) => stringify(document)).join('---\n'));
    return directory;
  }

  async function desired(documents: Manifest[]) {
    const loaded = await loadDesiredState({ directory: await writeManifests(documents), policy: PRIVILEGED });
    assert.deepEqual(loaded.files.flatMap((file) => file.errors.map((error) => error.message)), []);
    return loaded.desired;
  }

  async function pass(documents: Manifest[]): Promise<ReconcileResult> {
    const result = await reconcile({ engine, logger: silentLogger(), clock: systemClock, instance, desired: await desired(documents), retry: { minTimeoutMs: 100 } });
    assert.ok(result.converged, `not converged: ${JSON.stringify(result.errors)}`);
    return result;
  }

  it('creates a container whose every runtime field shows in docker inspect as declared', async () => {
    const [net, box] = [uniqueName('rt-net'), uniqueName('rt-box')];
    const documents = [
      manifest('Network', net, { enableIPv6: true, ipam: { configs: [{ subnet: '172.31.250.0/24' }, { subnet: 'fd00:31:250::/64' }] } }),
      containerDoc(box, {
        networks: [{ name: net, aliases: ['api'], ipv4Address: '172.31.250.10', ipv6Address: 'fd00:31:250::10' }],
        resources: { memory: '128m', memorySwap: '256m', memoryReservation: '64m', cpus: 0.5, cpuShares: 512, cpuset: '0', pidsLimit: 200 },
        capAdd: ['NET_ADMIN'],
        capDrop: ['MKNOD'],
        devices: ['/dev/null:/dev/nothing:r'],
        ulimits: { nofile: { soft: 1024, hard: 4096 }, nproc: 512 },
        sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' },
        dns: ['10.0.0.2'],
        dnsSearch: ['example.internal'],
        dnsOptions: ['ndots:2'],
        readOnlyRootfs: true,
        init: true,
        stopSignal: 'SIGQUIT',
        shmSize: '32m',
        securityOpt: ['no-new-privileges:true'],
        groupAdd: ['44'],
        oomScoreAdj: 100,
        ipc: 'shareable',
        logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } },
      }),
    ];
    await pass(documents);
    const { Config, HostConfig, NetworkSettings } = await inspect(box);
    assert.equal(Config.StopSignal, 'SIGQUIT');
    assert.deepEqual(
      {
        Memory: HostConfig.Memory, MemorySwap: HostConfig.MemorySwap, MemoryReservation: HostConfig.MemoryReservation, NanoCpus: HostConfig.NanoCpus,
        CpuShares: HostConfig.CpuShares, CpusetCpus: HostConfig.CpusetCpus, PidsLimit: HostConfig.PidsLimit, CapAdd: HostConfig.CapAdd, CapDrop: HostConfig.CapDrop,
        Devices: HostConfig.Devices, Ulimits: HostConfig.Ulimits, Sysctls: HostConfig.Sysctls, Dns: HostConfig.Dns, DnsSearch: HostConfig.DnsSearch,
        DnsOptions: HostConfig.DnsOptions, ReadonlyRootfs: HostConfig.ReadonlyRootfs, Init: HostConfig.Init, ShmSize: HostConfig.ShmSize,
        SecurityOpt: HostConfig.SecurityOpt, GroupAdd: HostConfig.GroupAdd, OomScoreAdj: HostConfig.OomScoreAdj, IpcMode: HostConfig.IpcMode, LogConfig: HostConfig.LogConfig,
      },
      {
        Memory: 128 * 2 ** 20, MemorySwap: 256 * 2 ** 20, MemoryReservation: 64 * 2 ** 20, NanoCpus: 5e8, CpuShares: 512, CpusetCpus: '0', PidsLimit: 200,
        CapAdd: ['NET_ADMIN'], CapDrop: ['MKNOD'], Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/nothing', CgroupPermissions: 'r' }],
        Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 4096 }, { Name: 'nproc', Soft: 512, Hard: 512 }],
        Sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' }, Dns: ['10.0.0.2'], DnsSearch: ['example.internal'], DnsOptions: ['ndots:2'],
        ReadonlyRootfs: true, Init: true, ShmSize: 32 * 2 ** 20, SecurityOpt: ['no-new-privileges:true'], GroupAdd: ['44'], OomScoreAdj: 100, IpcMode: 'shareable',
        LogConfig: { Type: 'json-file', Config: { 'max-file': '3', 'max-size': '10m' } },
      },
    );
    assert.deepEqual(NetworkSettings.Networks[net]?.IPAMConfig, { IPv4Address: '172.31.250.10', IPv6Address: 'fd00:31:250::10' });
    // What the process sees: the read-only root, the resolver settings.
    assert.match(await docker('exec', box, 'cat', '/etc/resolv.conf'), /search example.internal[\s\S]*options ndots:2/);
    await assert.rejects(docker('exec', box, 'touch', '/file'), /Read-only file system/);
    const network = JSON.parse(await docker('network', 'inspect', net))[0] as { IPAM: { Config: { Subnet: string }[] } };
    assert.deepEqual(network.IPAM.Config.map((pool) => pool.Subnet), ['172.31.250.0/24', 'fd00:31:250::/64']);

    const again = await pass(documents);
    assert.deepEqual(again.plan.actions.map((action) => action.id), [], 'a second pass changes nothing');
  });

  it('changes a memory limit in place: same container, new HostConfig.Memory, and the next pass is a no-op', async () => {
    const web = uniqueName('rt-web');
    await pass([containerDoc(web, { resources: { memory: '64m' }, restartPolicy: 'always' })]);
    const before = await inspect(web);

    const changed = [containerDoc(web, { resources: { memory: '256m' }, restartPolicy: 'on-failure' })];
    const updated = await pass(changed);
    assert.deepEqual(updated.plan.actions.map((action) => action.id), [`update-container:${web}`]);
    assert.deepEqual(updated.plan.actions[0]!.changes, [
      { field: 'resources.memory', from: '64m', to: '256m' },
      { field: 'restartPolicy', from: 'always', to: 'on-failure' },
    ]);
    const after = await inspect(web);
    assert.equal(after.Id, before.Id);
    assert.equal(after.HostConfig.Memory, 256 * 2 ** 20);
    assert.equal((after.HostConfig.RestartPolicy as { Name: string }).Name, 'on-failure');

    const next = await pass(changed);
    assert.deepEqual(next.plan.actions.map((action) => action.id), []);
    // A new adapter has no cache: it reads the in-place state from the engine too.
    const fresh = new DockerEngine({ logger: silentLogger() });
    const replanned = plan({ desired: await desired(changed), observed: await observe({ engine: fresh, instance }), instance });
    assert.deepEqual(replanned.actions.map((action) => action.id), []);
  });

  it('plans containers created by the previous release as unchanged', async () => {
    const recorded = JSON.parse(await readFile(new URL('../../fixtures/upgrade/before-issue-15.json', import.meta.url), 'utf8')) as {
      documents: { kind: string; name: string; spec: Record<string, unknown> }[];
      containers: Record<string, ContainerConfig>;
    };
    // The ones that name no other resource, under this run's names; `everything` depends on `minimal`.
    const names = ['minimal', 'everything', 'restart-no', 'restart-on-failure', 'hosted', 'none'];
    const rename = (name: string) => `${upgrade}-${name}`;
    for (const name of names) {
      const config = recorded.containers[name]!;
      const labels = { ...config.labels, 'io.mooring.instance': upgrade, 'io.mooring.name': rename(name) };
      // As the previous release sent it: the recorded config has no runtime fields.
      await engine.createContainer({ ...config, name: rename(name), labels });
      if (name !== 'everything') await engine.startContainer(rename(name));
    }
    const documents = recorded.documents
      .filter((document) => names.includes(document.name))
      .map(({ name, spec }) => manifest('Container', rename(name), { image: TEST_IMAGE, command: 'sleep 3600', ...spec, ...(spec.dependsOn ? { dependsOn: [rename('minimal')] } : {}) }));
    const planned = plan({ desired: await desired(documents), observed: await observe({ engine, instance: upgrade }), instance: upgrade });
    assert.deepEqual(planned.actions.map((action) => `${action.id}: ${action.reason}`), []);
  });

  it('the baseline policy refuses a privileged container at its file:line and changes nothing; --policy privileged applies it', async () => {
    const root = uniqueName('rt-root');
    // Created, not started: an engine that itself runs without every capability cannot start a privileged container.
    const directory = await writeManifests([containerDoc(root, { privileged: true, state: 'stopped' })]);
    const apply = async (...flags: string[]) => {
      const { io, output } = captureIo(process.env);
      const code = await main(['apply', directory, '--instance', instance, ...flags], io);
      return { code, ...output };
    };
    const refused = await apply();
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^app\.yaml:\d+:\d+: Container\/\S+: spec\.privileged: privileged: true is not allowed by the daemon's policy \(baseline\); allow it with/m);
    assert.equal(await dockerMaybe('inspect', root), undefined, 'nothing was created');

    const applied = await apply('--policy', 'privileged');
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal((await inspect(root)).HostConfig.Privileged, true);
  });

  it('starts a dependent only after its dependency turns healthy and a one-shot exits 0', async () => {
    const [db, migrate, api] = [uniqueName('rt-db'), uniqueName('rt-migrate'), uniqueName('rt-api')];
    const documents = [
      containerDoc(db, { healthcheck: { test: 'test -e /tmp/ready', interval: '500ms', retries: 1 } }),
      containerDoc(migrate, { command: ['sh', '-c', 'sleep 1'], restartPolicy: 'no' }),
      containerDoc(api, { dependsOn: [{ name: db, condition: 'healthy' }, { name: migrate, condition: 'completed' }] }),
    ];
    const first = await pass(documents);
    assert.deepEqual(first.plan.waiting?.map((entry) => entry.resource), [`Container/${api}`]);
    assert.equal((await inspect(api)).State.Status, 'created');

    await docker('exec', db, 'touch', '/tmp/ready');
    // What the daemon's trigger waits for: the engine reports db healthy and migrate exited.
    await eventually(async () => assert.equal((await inspect(db)).State.Health?.Status, 'healthy'));
    await eventually(async () => assert.equal((await inspect(migrate)).State.Status, 'exited'));
    const second = await pass(documents);
    assert.deepEqual(second.plan.actions.map((action) => action.id), [`start-container:${api}`]);
    assert.equal((await inspect(api)).State.Status, 'running');
    assert.equal((await inspect(migrate)).State.Status, 'exited', 'the completed one-shot stays exited');
    assert.deepEqual((await pass(documents)).plan.actions, []);
  });
});

/** Polls an observable condition of the engine until it holds. */
async function eventually(check: () => Promise<void>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
