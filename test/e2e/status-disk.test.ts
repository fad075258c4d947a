/**
 * `mooring run` with its status directory read-only, then full: a tmpfs of
 * 64 KiB of our own, remounted read-only and filled up. The old status stays
 * intact, no temporary file is left, the metrics (on another disk) go on, the
 * daemon goes on reconciling, and says so in its log and on /healthz.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RUN_ID, TEST_IMAGE, dockerMaybe, removeLabelled, requireEngine, uniqueName } from '../support/docker.js';
import { MooringProcess, eventually, readStatus, requireBuild } from '../support/mooring-process.js';

const execFileAsync = promisify(execFile);
const mount = (...args: string[]) => execFileAsync('mount', args);

async function healthz(address: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://${address}/healthz`);
  return { status: response.status, body: await response.text() };
}

/** Writes zeros until the file system says ENOSPC. */
async function fill(path: string): Promise<void> {
  const handle = await open(path, 'w');
  try {
    for (;;) await handle.write(Buffer.alloc(4096));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    await handle.close();
  }
}

describe('mooring run with a read-only or full status directory', function () {
  this.timeout(240_000);
  const instance = `e2e-disk-${RUN_ID}`;
  const first = uniqueName('disk-first');
  const second = uniqueName('disk-second');
  let directory: string;
  let statusDirectory: string;
  let mounted = false;
  let daemon: MooringProcess | undefined;

  const container = (name: string) => `apiVersion: mooring/v1
kind: Container
metadata: { name: ${name} }
spec: { image: ${TEST_IMAGE}, pullPolicy: Never, command: ["sleep", "1d"], stopTimeout: 1 }
`;
  const log = () => daemon?.stderr.slice(-4000) ?? '';
  let manifests: string;
  let edits = 0;
  /** A manifest edit: a pass, then a status write. Without checks to probe, nothing else writes within the test's time. */
  const nudge = () => writeFile(join(manifests, 'first.yaml'), `${container(first)}# edit ${++edits}\n`);

  before(async function () {
    await requireEngine(this);
    requireBuild();
    directory = await mkdtemp(join(tmpdir(), 'mooring-e2e-disk-'));
    statusDirectory = join(directory, 'status');
    await mkdir(statusDirectory);
    try {
      await mount('-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', statusDirectory);
      mounted = true;
    } catch (error) {
      // Root alone does not make a read-only directory: chmod does not stop root. This needs a mount of our own.
      if (process.env.CI === 'true') throw error;
      this.skip();
    }
  });

  after(async () => {
    await daemon?.kill();
    await removeLabelled(`io.mooring.instance=${instance}`);
    if (mounted) await mount('-o', 'remount,rw', statusDirectory).catch(() => undefined);
    if (mounted) await execFileAsync('umount', [statusDirectory]);
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('keeps the old status, writes the metrics, reconciles, and says so in the log and on /healthz; then recovers', async () => {
    manifests = join(directory, 'manifests');
    await mkdir(manifests);
    await writeFile(join(manifests, 'first.yaml'), container(first));
    const statusFile = join(statusDirectory, 'status.json');
    const metricsFile = join(directory, 'mooring.prom');
    daemon = new MooringProcess([
      'run', '-m', manifests, '--instance', instance, '--status', statusFile, '--metrics-file', metricsFile,
      '--listen', '127.0.0.1:0', '--probe-interval', '1s', '--resync', '10m', '--log-level', 'info',
    ]);
    const address = await eventually('the daemon serves HTTP', async () => /"address":"(127\.0\.0\.1:\d+)"/.exec(daemon?.stderr ?? '')?.[1], { describe: async () => log() });
    await eventually('the first container runs and the status says Synced', async () => (await readStatus(statusFile))?.sync.state === 'Synced', { describe: async () => log() });

    // Read-only.
    await mount('-o', 'remount,ro', statusDirectory);
    const frozen = await readFile(statusFile, 'utf8');
    await writeFile(join(manifests, 'second.yaml'), container(second));
    const failingSince = await eventually('/healthz names the read-only status file', async () => {
      const answer = await healthz(address);
      return answer.status === 200 && answer.body.startsWith('degraded:') && answer.body.includes(`writing ${statusFile} fails`) ? answer.body : undefined;
    });
    assert.match(failingSince, /read-only file system/);
    assert.match(log(), /writing the status file failed; the previous one stays as it was, and reconciling goes on/);
    await eventually('the daemon creates the second container meanwhile', async () => (await dockerMaybe('container', 'inspect', second)) !== undefined, { describe: async () => log() });
    await eventually('the metrics file says the status write fails', async () => /^mooring_status_write_success\{file=".*status\.json",node="[^"]+"\} 0$/m.test(await readFile(metricsFile, 'utf8')));
    assert.equal(await readFile(statusFile, 'utf8'), frozen);

    // Full: every failed write's temporary file is removed, so freeing the space is enough.
    await mount('-o', 'remount,rw', statusDirectory);
    await fill(join(statusDirectory, 'filler'));
    const failedWrites = async () => Number(/\((\d+) in a row\): ENOSPC/.exec((await healthz(address)).body)?.[1] ?? 0);
    await nudge();
    const full = await eventually('/healthz says the disk is full', async () => (await failedWrites()) || undefined, { describe: async () => log() });
    await nudge();
    await eventually('another write failed on the full disk', async () => ((await failedWrites()) > full ? true : undefined), { describe: async () => log() });
    assert.deepEqual((await readdir(statusDirectory)).sort(), ['filler', 'status.json']);
    assert.ok(await readStatus(statusFile), 'the status file is whole');

    await rm(join(statusDirectory, 'filler'));
    await nudge();
    await eventually('/healthz says ok again', async () => ((await healthz(address)).body === 'ok\n' ? true : undefined), { describe: async () => log() });
    const status = await readStatus(statusFile);
    assert.ok(status?.resources.some((resource) => resource.name === second), 'the status lists the container created meanwhile');
    assert.match(log(), /writing the status file works again/);
    assert.deepEqual((await readdir(statusDirectory)).sort(), ['status.json']);
  });
});
