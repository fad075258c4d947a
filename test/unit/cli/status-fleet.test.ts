import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveNode } from '../../../src/cli/node.js';
import { renderMetrics } from '../../../src/status/metrics.js';
import { silentLogger } from '../../../src/log.js';
import { EngineError } from '../../../src/errors.js';
import { EventEmitter } from 'node:events';
import { createApplyCommand } from '../../../src/cli/apply.js';
import { FakeEngine } from '../../support/fake-engine.js';
import { runCommand } from '../../support/cli-io.js';
import { runStatus as status } from '../../support/status-command.js';
import { directoryPerTest } from '../../support/temp-directory.js';
import { sampleStatus } from '../status/status-fixture.js';

const FLEET = ['a', 'b', undefined]
  .map((node, i) => `apiVersion: mooring/v1\nkind: Container\nmetadata: { name: c${i} }\nspec: { image: mooring/busybox:latest${node ? `, node: ${node}` : ''} }\n`)
  .join('---\n');

describe('a fleet of nodes: mooring status, metrics, the node', () => {
  const dir = directoryPerTest('mooring-fleet-');

  it('merges a status file and a node\u2019s /status URL into tables with a NODE column', async () => {
    const one = sampleStatus();
    one.daemon.node = 'node-1';
    const two = sampleStatus();
    two.daemon.node = 'node-2';
    two.sync = { ...two.sync, state: 'Degraded', message: '1 resource with errors (Network/mesh)' };
    const file = join(dir(), 'one.json');
    await writeFile(file, JSON.stringify(one));
    const server = createServer((_, response) => response.end(JSON.stringify(two)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/status`;
      const shown = await status('--status', file, '--status', url);
      assert.equal(shown.code, 0, shown.stderr);
      const lines = shown.stdout.split('\n');
      assert.match(lines[0]!, /^NODE +INSTANCE +SYNC +ENGINE +WRITTEN +PASSES$/);
      assert.match(lines[1]!, /^node-1 +default +Synced +reachable, version 20\.10\.24 +5s ago +17 \(2 with errors\)$/);
      assert.match(lines[2]!, /^node-2 +default +Degraded /);
      assert.ok(lines.includes('node-2: 1 resource with errors (Network/mesh)'), shown.stdout);
      assert.ok(lines.some((line) => /^node-1 +Container +web +Healthy/.test(line)), shown.stdout);
      assert.ok(lines.some((line) => /^node-2 +link\/web-db:5432 +web +db +5432\/tcp/.test(line)), shown.stdout);
      assert.ok(lines.includes('6 checks on 2 nodes: 2 healthy, 2 unhealthy, 2 unknown'), shown.stdout);
      const json = JSON.parse((await status('--status', file, '--status', url, '-o', 'json')).stdout) as { items: { daemon: { node: string } }[] };
      assert.deepEqual(json.items.map((item) => item.daemon.node), ['node-1', 'node-2']);
    } finally {
      server.close();
    }
  });

  it('shows each node\u2019s volumes and mounts, orphans included, as one host\u2019s status does', async () => {
    const one = sampleStatus();
    one.daemon.node = 'node-1';
    const two = sampleStatus();
    two.daemon.node = 'node-2';
    two.volumes = [{ name: 'pgdata', state: 'Orphaned', driver: 'local', reclaimPolicy: 'Retain', usedBy: [], message: 'remove it by hand with `docker volume rm pgdata`' }];
    two.resources = two.resources.map((resource) => (resource.name === 'web' ? { ...resource, mounts: ['volume:pgdata:/data:rw'] } : resource));
    const files = await Promise.all([one, two].map(async (status, i) => {
      const file = join(dir(), `${i}.json`);
      await writeFile(file, JSON.stringify(status));
      return file;
    }));
    const shown = await status(...files.flatMap((file) => ['--status', file]));
    assert.equal(shown.code, 0, shown.stderr);
    const lines = shown.stdout.split('\n');
    assert.ok(lines.some((line) => /^NODE +VOLUME +STATE +DRIVER +USED BY +DETAIL$/.test(line)), shown.stdout);
    assert.ok(lines.some((line) => /^node-2 +pgdata +Orphaned +local +- +remove it by hand/.test(line)), shown.stdout);
    assert.ok(lines.some((line) => /^node-2 +web +volume:pgdata:\/data:rw$/.test(line)), shown.stdout);
  });

  it('shows the nodes it can read and fails for the others', async () => {
    const file = join(dir(), 'one.json');
    await writeFile(file, JSON.stringify(sampleStatus()));
    const shown = await status('--status', file, '--status', join(dir(), 'gone.json'));
    assert.equal(shown.code, 1);
    assert.match(shown.stderr, /no status file at .*gone\.json/);
    assert.match(shown.stdout, /^NODE/);
  });

  it('says why a node\u2019s /status could not be read', async () => {
    const file = join(dir(), 'one.json');
    await writeFile(file, JSON.stringify(sampleStatus()));
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/status`;
    await new Promise((resolve) => closed.close(resolve));
    const shown = await status('--status', file, '--status', url);
    assert.equal(shown.code, 1);
    assert.match(shown.stderr, new RegExp(`^mooring: cannot read ${url}: connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+$`, 'm'));
  });

  it('labels every metric with the node, when the status names one', () => {
    const sample = sampleStatus();
    sample.daemon.node = 'node-1';
    const samples = renderMetrics(sample).split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    assert.ok(samples.length > 5);
    for (const line of samples) assert.match(line, /node="node-1"/, line);
    assert.doesNotMatch(renderMetrics(sampleStatus()), /node=/);
  });

  it('mooring apply --node applies that node\u2019s share; without it, the engine\u2019s node\u2019s and what names no node', async () => {
    await writeFile(join(dir(), 'fleet.yaml'), FLEET);
    const applied = async (...args: string[]) => {
      const engine = new FakeEngine();
      engine.swarmState = { hostname: 'b', active: true, manager: true };
      const deps = { openEngine: () => engine, signals: new EventEmitter(), exit: () => undefined };
      const { code, stderr } = await runCommand(createApplyCommand(deps), ['-m', dir(), ...args]);
      assert.equal(code, 0, stderr);
      return (await engine.listContainers()).map((container) => container.name).sort();
    };
    assert.deepEqual(await applied('--node', 'a'), ['c0']);
    assert.deepEqual(await applied(), ['c1', 'c2']);
  });

  it('mooring apply --node needs only the secret files its own containers read', async () => {
    await writeFile(join(dir(), 'fleet.yaml'), `${FLEET}---\napiVersion: mooring/v1\nkind: Secret\nmetadata: { name: pw }\nspec: { file: /nonexistent/mooring-test/pw.txt }\n` +
      '---\napiVersion: mooring/v1\nkind: Container\nmetadata: { name: db }\nspec: { image: mooring/busybox:latest, node: b, secrets: [pw] }\n');
    const engine = new FakeEngine();
    const deps = { openEngine: () => engine, signals: new EventEmitter(), exit: () => undefined };
    const onA = await runCommand(createApplyCommand(deps), ['-m', dir(), '--node', 'a', '--state-dir', join(dir(), 'state')]);
    assert.equal(onA.code, 0, onA.stderr);
    assert.deepEqual((await engine.listContainers()).map((container) => container.name), ['c0']);
    const onB = await runCommand(createApplyCommand(deps), ['-m', dir(), '--node', 'b', '--state-dir', join(dir(), 'state')]);
    assert.equal(onB.code, 1);
    assert.match(onB.stderr, /Secret\/pw: spec\.file: cannot read secret file \/nonexistent\/mooring-test\/pw\.txt/);
  });

  it('is --node, else the engine\u2019s hostname in a swarm, else this host\u2019s name', async () => {
    const logger = silentLogger();
    const engine = (swarm: () => Promise<{ hostname: string; active: boolean; manager: boolean }>) => ({ swarm });
    const hostname = () => 'this-host';
    assert.deepEqual(await resolveNode({ flag: 'n1', engine: engine(async () => ({ hostname: 'x', active: true, manager: true })), logger, hostname }), { node: 'n1', explicit: true });
    assert.deepEqual(await resolveNode({ engine: engine(async () => ({ hostname: 'swarm-host', active: true, manager: false })), logger, hostname }), { node: 'swarm-host', explicit: false });
    assert.deepEqual(await resolveNode({ engine: engine(async () => ({ hostname: 'engine-host', active: false, manager: false })), logger, hostname }), { node: 'this-host', explicit: false });
    const away = engine(async () => {
      throw new EngineError('connect ENOENT', { transient: true });
    });
    assert.deepEqual(await resolveNode({ engine: away, logger, hostname }), { node: 'this-host', explicit: false });
  });
});
