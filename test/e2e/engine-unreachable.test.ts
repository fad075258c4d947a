import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_ID, TEST_IMAGE, uniqueName } from '../support/docker.js';
import { MooringProcess, eventually, readStatus, requireBuild } from '../support/mooring-process.js';

/** `/healthz` and friends, as a load balancer or a probe would ask. */
async function get(address: string, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://${address}${path}`);
  return { status: response.status, body: await response.text() };
}

describe('mooring run without an engine, end to end', function () {
  let directory: string;
  let daemon: MooringProcess | undefined;

  before(async function () {
    requireBuild();
    directory = await mkdtemp(join(tmpdir(), 'mooring-e2e-noengine-'));
  });

  after(async () => {
    await daemon?.kill();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('keeps running, says so in the status, the log and /readyz, and stops cleanly', async () => {
    const manifests = join(directory, 'manifests');
    await mkdir(manifests);
    await writeFile(
      join(manifests, 'app.yaml'),
      `apiVersion: mooring/v1\nkind: Container\nmetadata: { name: ${uniqueName('nowhere')} }\nspec: { image: ${TEST_IMAGE}, command: sleep 1d }\n`,
    );
    const statusFile = join(directory, 'status.json');
    daemon = new MooringProcess([
      'run', '-m', manifests, '--instance', `e2e-noengine-${RUN_ID}`, '--status', statusFile,
      '--docker-host', `unix://${join(directory, 'no-engine.sock')}`, '--listen', '127.0.0.1:0',
    ]);
    const status = await eventually('the status says the engine does not answer', async () => {
      const current = await readStatus(statusFile);
      return current && current.engine.reachable === false ? current : undefined;
    });
    assert.equal(status.sync.state, 'Degraded');
    assert.match(status.engine.lastError ?? '', /no-engine\.sock/);
    assert.ok(status.resources.every((resource) => resource.health === 'Unknown'));
    assert.match(daemon.stderr, /"level":"error","message":"the engine does not answer; retrying with backoff"/);

    const address = /"address":"([^"]+)"/.exec(daemon.stderr)?.[1];
    assert.ok(address, `expected the HTTP address in the log:\n${daemon.stderr}`);
    assert.equal((await get(address, '/healthz')).status, 200);
    assert.equal((await get(address, '/readyz')).status, 503);
    const served = await get(address, '/status');
    assert.equal(served.status, 200);
    assert.equal((JSON.parse(served.body) as { engine: { reachable: boolean } }).engine.reachable, false);

    // Retrying in the background, it is still there a while later.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(daemon.running, true);
    daemon.signal('SIGTERM');
    assert.deepEqual(await daemon.exited, { code: 0, signal: null }, daemon.stderr.slice(-2000));
    assert.ok((await readStatus(statusFile))?.daemon.stoppedAt);
  });
});
