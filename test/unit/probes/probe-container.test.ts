import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import sinon from 'sinon';
import type { ContainerConfig, RunResult } from '../../../src/engine/port.js';
import { silentLogger } from '../../../src/log.js';
import { createProberRunner } from '../../../src/probes/prober-runner.js';
import { FakeEngine } from '../../support/fake-engine.js';
import type { LoopbackPorts } from '../../support/loopback.js';
import { loopbackPorts } from '../../support/loopback.js';

/** Runs what the probe container would run, with the host's node, so the config is tested for what it does. */
function runLocally(config: ContainerConfig): Promise<RunResult> {
  const env = Object.fromEntries(config.env.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
  return new Promise((resolve) => {
    execFile(process.execPath, config.command ?? [], { env }, (error, stdout, stderr) => {
      resolve({ exitCode: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('the probe-container method', () => {
  let ports: LoopbackPorts;
  let port: number;

  before(async () => {
    ports = await loopbackPorts();
    port = ports.open;
  });

  after(async () => {
    await ports.close();
  });

  it("runs the prober with node in an ephemeral container joined to the source's network namespace", async () => {
    const engine = new FakeEngine({ images: ['node:20-slim'] });
    const run = sinon.stub(engine, 'runContainer').callsFake(runLocally);
    const runner = createProberRunner({ engine, logger: silentLogger(), method: 'probe-container', probeImage: 'node:20-slim' });
    const result = await runner.run({ source: { id: 'abc123', name: 'web', pid: 0 }, checks: [{ id: 'c', host: '127.0.0.1', port, timeoutMs: 1000 }] });

    assert.ok('results' in result, JSON.stringify(result));
    assert.equal(result.method, 'probe-container');
    assert.equal(result.results[0]?.reason, 'Connected');
    const config = run.firstCall.args[0];
    assert.equal(config.networkMode, 'container:abc123');
    assert.equal(config.image, 'node:20-slim');
    assert.deepEqual(config.entrypoint, ['node']);
    assert.equal(config.restartPolicy.name, 'no');
    assert.equal(config.labels['io.mooring.instance'], undefined, 'no reconcile pass may take a probe container for its own');
    assert.equal(config.labels['io.mooring.kind'], 'Prober');
  });

  it('reports a probe container that fails as a prober error', async () => {
    const engine = new FakeEngine({ images: ['node:20-slim'], runResult: { exitCode: 127, stdout: '', stderr: 'exec: "node": executable file not found in $PATH' } });
    const runner = createProberRunner({ engine, logger: silentLogger(), method: 'probe-container', probeImage: 'node:20-slim' });
    const result = await runner.run({ source: { id: 'abc123', name: 'web', pid: 0 }, checks: [{ id: 'c', host: '127.0.0.1', port, timeoutMs: 1000 }] });
    assert.ok('error' in result);
    assert.match(result.error, /exit with 0, got 127: exec: "node"/);
  });

  it('asks for --probe-image when mooring does not run in a container', async () => {
    const runner = createProberRunner({ engine: new FakeEngine(), logger: silentLogger(), method: 'probe-container', env: {} });
    const result = await runner.run({ source: { id: 'abc123', name: 'web', pid: 0 }, checks: [{ id: 'c', host: '127.0.0.1', port, timeoutMs: 1000 }] });
    assert.ok('error' in result);
    assert.match(result.error, /--probe-image/);
  });

  it('runs host checks in this process', async () => {
    const runner = createProberRunner({ engine: new FakeEngine(), logger: silentLogger(), method: 'auto' });
    const result = await runner.run({ checks: [{ id: 'c', host: '127.0.0.1', port, timeoutMs: 1000 }] });
    assert.deepEqual('results' in result && [result.method, result.results[0]?.reason], ['host', 'Connected']);
  });
});
