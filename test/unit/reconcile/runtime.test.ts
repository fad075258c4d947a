import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { ContainerConfig, NetworkConfig } from '../../../src/engine/port.js';
import type { AnyDocument } from '../../../src/manifests/model.js';
import type { UpdateContainerAction } from '../../../src/reconcile/actions.js';
import { effectiveContainer, effectiveNetwork } from '../../../src/reconcile/effective-config.js';
import { formatPlan, formatReconcileResult } from '../../../src/reconcile/format-plan.js';
import { FakeEngine } from '../../support/fake-engine.js';
import { container, desiredState, document, link, network, publish } from './fixtures.js';
import { INSTANCE, converge, ids, planFor } from './helpers.js';

interface Recorded {
  documents: { kind: AnyDocument['kind']; name: string; spec: Record<string, unknown> }[];
  networks: Record<string, NetworkConfig>;
  containers: Record<string, ContainerConfig>;
}

const before = JSON.parse(readFileSync(new URL('../../fixtures/upgrade/before-issue-15.json', import.meta.url), 'utf8')) as Recorded;

function recordedDocuments(): AnyDocument[] {
  return before.documents.map(({ kind, name, spec }) => {
    if (kind === 'Container') return container(name, spec);
    if (kind === 'Network') return network(name, spec);
    return kind === 'Link' ? link(name, spec) : publish(name, spec);
  });
}

/** As JSON keeps it: members that are undefined are gone. */
const plain = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

const MiB = 1024 * 1024;

describe('container runtime options (issue 15)', () => {
  describe('upgrade safety: what mooring made before these fields existed', () => {
    const desired = desiredState(recordedDocuments());

    it('computes the same configs, labels and hashes', () => {
      for (const document of desired.networks) {
        assert.deepEqual(plain(effectiveNetwork({ document, instance: 'upgrade' }).config), before.networks[document.name], `Network/${document.name}`);
      }
      for (const document of desired.containers) {
        assert.deepEqual(plain(effectiveContainer({ document, desired, instance: 'upgrade' }).config), before.containers[document.name], `Container/${document.name}`);
      }
    });

    it('plans the containers and networks it made as unchanged', async () => {
      const engine = new FakeEngine();
      const relabel = (labels: Record<string, string>) => ({ ...labels, 'io.mooring.instance': INSTANCE });
      for (const config of Object.values(before.networks)) engine.seedNetwork({ ...config, labels: relabel(config.labels) });
      for (const config of Object.values(before.containers)) {
        engine.seedContainer({ ...config, labels: relabel(config.labels) }, { status: config.labels['io.mooring.name'] === 'everything' ? 'exited' : 'running' });
      }
      const result = await planFor(engine, desired);
      assert.deepEqual(ids(result).filter((id) => !id.startsWith('connect:')), []);
    });
  });

  describe('the schema', () => {
    it('reads sizes as Docker does', () => {
      const spec = container('web', { resources: { memory: '512m', memorySwap: '1g', memoryReservation: '256M', cpus: 1.5, pidsLimit: 200 }, shmSize: '64k' }).spec;
      assert.deepEqual(spec.resources, { memory: 512 * MiB, memorySwap: 1024 * MiB, memoryReservation: 256 * MiB, cpus: 1.5, pidsLimit: 200 });
      assert.equal(spec.shmSize, 64 * 1024);
      assert.equal(container('web', { shmSize: 1000 }).spec.shmSize, 1000);
    });

    for (const [field, value] of [
      ['resources', { memory: '12 parsecs' }],
      ['capAdd', ['NET ADMIN']],
      ['devices', ['fuse']],
      ['pid', 'private'],
      ['ipc', 'container:'],
      ['oomScoreAdj', 1001],
      ['stopSignal', 'sig quit'],
    ] as const) {
      it(`refuses ${field}: ${JSON.stringify(value)}`, () => assert.throws(() => container('web', { [field]: value })));
    }

    it('takes IPAM pools as a list, or the single form, not both', () => {
      const dual = network('dual', { enableIPv6: true, ipam: { configs: [{ subnet: '172.30.0.0/24' }, { subnet: 'fd00:30::/64' }] } });
      assert.deepEqual(effectiveNetwork({ document: dual, instance: 'x' }).config.ipamConfigs, [{ subnet: '172.30.0.0/24' }, { subnet: 'fd00:30::/64' }]);
      assert.throws(() => network('both', { ipam: { subnet: '10.0.0.0/24', configs: [{ subnet: '10.1.0.0/24' }] } }), /either `configs` or `subnet`/);
    });
  });

  describe('the effective config', () => {
    const everything = {
      resources: { memory: '512m', cpus: 1.5, cpuShares: 512, cpuset: '0,1', pidsLimit: 200 },
      capAdd: ['cap_net_admin', 'SYS_TIME'],
      capDrop: ['ALL'],
      devices: ['/dev/fuse', '/dev/null:/dev/nothing:r'],
      ulimits: { nproc: 512, nofile: { soft: 1024, hard: 4096 } },
      sysctls: { 'net.ipv4.ip_unprivileged_port_start': 0 },
      dns: ['10.0.0.2', '10.0.0.1'],
      dnsSearch: ['example.internal'],
      dnsOptions: ['ndots:2'],
      readOnlyRootfs: true,
      init: true,
      stopSignal: 'quit',
      shmSize: '256m',
      securityOpt: ['no-new-privileges:true'],
      groupAdd: ['video', 44],
      oomScoreAdj: 100,
      pid: 'container:db',
      ipc: 'shareable',
      logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } },
    };

    it('normalizes every field as the engine reads it', () => {
      const subject = container('web', everything);
      const { config } = effectiveContainer({ document: subject, desired: desiredState([subject]), instance: 'x' });
      assert.deepEqual(config.runtime, {
        resources: { memory: 512 * MiB, cpus: 1.5, cpuShares: 512, cpuset: '0,1', pidsLimit: 200 },
        capAdd: ['NET_ADMIN', 'SYS_TIME'],
        capDrop: ['ALL'],
        devices: [
          { pathOnHost: '/dev/fuse', pathInContainer: '/dev/fuse', permissions: 'rwm' },
          { pathOnHost: '/dev/null', pathInContainer: '/dev/nothing', permissions: 'r' },
        ],
        ulimits: [{ name: 'nofile', soft: 1024, hard: 4096 }, { name: 'nproc', soft: 512, hard: 512 }],
        sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' },
        dns: ['10.0.0.2', '10.0.0.1'],
        dnsSearch: ['example.internal'],
        dnsOptions: ['ndots:2'],
        readOnlyRootfs: true,
        init: true,
        stopSignal: 'SIGQUIT',
        shmSize: 256 * MiB,
        securityOpt: ['no-new-privileges:true'],
        groupAdd: ['44', 'video'],
        oomScoreAdj: 100,
        pid: 'container:db',
        ipc: 'shareable',
        logging: { driver: 'json-file', options: { 'max-file': '3', 'max-size': '10m' } },
      });
    });

    it('leaves fields at their default out of the hash and the field digests', () => {
      const plainWeb = container('web');
      const defaults = container('web', { privileged: false, init: false, readOnlyRootfs: false, capAdd: [], devices: [], dns: [], oomScoreAdj: 0, resources: {}, sysctls: {} });
      const of = (document: typeof plainWeb) => effectiveContainer({ document, desired: desiredState([document]), instance: 'x' });
      assert.equal(of(defaults).hash, of(plainWeb).hash);
      assert.deepEqual(of(defaults).fieldDigests, of(plainWeb).fieldDigests);
      assert.equal(of(defaults).config.runtime, undefined);
    });

    it('records a digest per resource, so a plan names the limit that changed', () => {
      const subject = container('web', { resources: { memory: '256m', cpus: 1 } });
      const { fieldDigests } = effectiveContainer({ document: subject, desired: desiredState([subject]), instance: 'x' });
      assert.ok(fieldDigests['resources.memory'] && fieldDigests['resources.cpus']);
      assert.equal(fieldDigests.resources, undefined);
    });
  });

  describe('changes applied in place', () => {
    async function running(spec: Record<string, unknown>) {
      const engine = new FakeEngine();
      await converge(engine, desiredState([container('web', spec)]));
      return { engine, id: engine.container('web')!.id };
    }

    it('updates a memory limit in place, keeps the container, and the next pass is a no-op', async () => {
      const { engine, id } = await running({ resources: { memory: '256m' } });
      const desired = desiredState([container('web', { resources: { memory: '512m' } })]);
      const planned = await planFor(engine, desired);
      assert.deepEqual(ids(planned), ['update-container:web']);
      const update = planned.actions[0] as UpdateContainerAction;
      assert.deepEqual(update.changes, [{ field: 'resources.memory', from: '256m', to: '512m' }]);
      assert.match(formatPlan(planned), /^~ update container web: resources\.memory: 256m → 512m \(in place\)$/m);

      const applied = await converge(engine, desired);
      assert.ok(applied.converged);
      assert.equal(engine.container('web')!.id, id);
      assert.equal(engine.container('web')!.runtime!.resources.memory, 512 * MiB);
      assert.deepEqual(ids(await planFor(engine, desired)), []);
    });

    it('changes the restart policy in place', async () => {
      const { engine, id } = await running({ restartPolicy: 'always' });
      const desired = desiredState([container('web', { restartPolicy: 'no' })]);
      assert.deepEqual((await planFor(engine, desired)).actions[0]!.changes, [{ field: 'restartPolicy', from: 'always', to: 'no' }]);
      await converge(engine, desired);
      assert.equal(engine.container('web')!.id, id);
      assert.deepEqual(ids(await planFor(engine, desired)), []);
    });

    it('sets a limit a container was created without, in place', async () => {
      const { engine, id } = await running({});
      const desired = desiredState([container('web', { resources: { cpus: 0.5 } })]);
      await converge(engine, desired);
      assert.equal(engine.container('web')!.id, id);
      assert.equal(engine.container('web')!.runtime!.resources.cpus, 0.5);
      assert.deepEqual(ids(await planFor(engine, desired)), []);
    });

    it('changes a limit back after an update, though the labels still say the old value', async () => {
      const { engine, id } = await running({ resources: { memory: '256m' } });
      await converge(engine, desiredState([container('web', { resources: { memory: '512m' } })]));
      const back = desiredState([container('web', { resources: { memory: '256m' } })]);
      assert.deepEqual(ids(await planFor(engine, back)), ['update-container:web']);
      await converge(engine, back);
      assert.equal(engine.container('web')!.id, id);
      assert.equal(engine.container('web')!.runtime!.resources.memory, 256 * MiB);
    });

    it('recreates when a limit is lifted, which the engine cannot do in place', async () => {
      const { engine } = await running({ resources: { memory: '256m' } });
      const planned = await planFor(engine, desiredState([container('web')]));
      assert.deepEqual(ids(planned), ['pull-image:web', 'recreate-container:web', 'start-container:web']);
      assert.match(planned.actions[1]!.reason, /resources\.memory is no longer set/);
    });

    it('recreates when another field changes with the resources', async () => {
      const { engine } = await running({ resources: { memory: '256m' } });
      const planned = await planFor(engine, desiredState([container('web', { resources: { memory: '512m' }, env: { A: '1' } })]));
      assert.ok(ids(planned).includes('recreate-container:web'));
      assert.deepEqual(planned.actions.find((action) => action.type === 'recreate-container')!.changes.map((change) => change.field), ['env.A', 'resources.memory']);
    });

    it('recreates for a field the engine fixes at creation', async () => {
      const { engine } = await running({ capDrop: ['ALL'] });
      const planned = await planFor(engine, desiredState([container('web', { capDrop: ['NET_RAW'] })]));
      assert.deepEqual(planned.actions.find((action) => action.type === 'recreate-container')!.changes, [{ field: 'capDrop', fromUnknown: true, to: 'NET_RAW' }]);
    });
  });

  it('builds documents with every field the way the loader does', () => {
    assert.equal(document('Container', 'x', { image: 'busybox', privileged: true }).spec.privileged, true);
  });
});

describe('dependsOn with a condition', () => {
  const db = container('db', { healthcheck: { test: 'true' } });
  const migrate = container('migrate', { command: 'true', restartPolicy: 'no' });
  const api = container('api', { dependsOn: ['plain', { name: 'db', condition: 'healthy' }, { name: 'migrate', condition: 'completed' }] });
  const plainDep = container('plain');
  const desired = desiredState([db, migrate, plainDep, api]);

  it('creates the dependent but starts it only once the dependency is healthy and the one-shot completed', async () => {
    const engine = new FakeEngine();
    const first = await converge(engine, desired);
    assert.ok(ids(first.plan).includes('create-container:api'));
    assert.ok(!ids(first.plan).includes('start-container:api'));
    assert.deepEqual(first.plan.waiting, [{
      resource: 'Container/api',
      reason: 'WaitingForDependency',
      message: 'container db is not healthy yet; container migrate is not completed (exited with 0) yet; started once it is',
    }]);
    assert.match(formatPlan(first.plan), /^… wait Container\/api: container db is not healthy yet/m);
    assert.match(formatReconcileResult(first), /^… wait Container\/api: container db is not healthy yet/m);

    engine.setHealth('db', 'healthy');
    const waiting = await planFor(engine, desired);
    assert.deepEqual(waiting.waiting?.map((entry) => entry.message), ['container migrate is not completed (exited with 0) yet; started once it is']);

    engine.setStatus('migrate', 'exited', 0);
    const ready = await converge(engine, desired);
    assert.deepEqual(ids(ready.plan), ['start-container:api'], 'the completed one-shot is not started again');
    assert.equal(ready.plan.waiting, undefined);
    assert.equal(engine.container('api')!.status, 'running');
    assert.deepEqual(ids(await planFor(engine, desired)), []);
  });

  it('keeps waiting on a one-shot that failed, and restarts it as any exited container', async () => {
    const engine = new FakeEngine();
    await converge(engine, desired);
    engine.setHealth('db', 'healthy');
    engine.setStatus('migrate', 'exited', 1);
    const planned = await planFor(engine, desired);
    assert.ok(ids(planned).includes('start-container:migrate'));
    assert.ok(!ids(planned).includes('start-container:api'));
  });

  it('leaves a dependent that runs alone when its dependency turns unhealthy', async () => {
    const engine = new FakeEngine();
    await converge(engine, desired);
    engine.setHealth('db', 'healthy');
    engine.setStatus('migrate', 'exited', 0);
    await converge(engine, desired);
    engine.setHealth('db', 'unhealthy');
    assert.deepEqual(ids(await planFor(engine, desired)), []);
  });

  it('refuses an unknown condition, and checks the name as in the plain form', () => {
    assert.throws(() => container('api', { dependsOn: [{ name: 'db', condition: 'ready' }] }));
  });
});
