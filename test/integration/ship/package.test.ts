/**
 * Installing mooring the way the README says: `npm pack` a tarball, install it
 * globally (here under a temporary prefix), and the `mooring` it puts on the
 * PATH runs, with the systemd unit shipped beside it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../../..');
/** The environment of a user's shell: without the test runner's loader (NODE_OPTIONS=--import tsx), which npm's children cannot resolve. */
const { NODE_OPTIONS: _testLoader, ...USER_ENV } = process.env;
const options = { env: USER_ENV, maxBuffer: 16 * 1024 * 1024 };

describe('the npm package', function () {
  this.timeout(5 * 60_000);
  let work: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'mooring-pack-'));
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('packs into a tarball that installs globally and runs, with the systemd unit', async () => {
    // --ignore-scripts: prepack would build dist/ again, under the feet of other tests; `npm test` has just built it.
    await execFileAsync('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { ...options, cwd: REPO });
    const tarball = (await readdir(work)).find((name) => name.endsWith('.tgz'));
    assert.ok(tarball, 'expected npm pack to write a tarball');
    const prefix = join(work, 'prefix');
    await execFileAsync('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', join(work, tarball)], options);
    const mooring = join(prefix, 'bin', 'mooring');
    const { stdout: version } = await execFileAsync(mooring, ['--version'], options);
    assert.match(version.trim(), /^\d+\.\d+\.\d+/);
    const { stdout: validated } = await execFileAsync(mooring, ['validate', join(REPO, 'manifests')], options);
    assert.match(validated, /valid/);
    const installed = join(prefix, 'lib', 'node_modules', 'mooring');
    for (const file of ['systemd/mooring.service', 'systemd/mooring.default', 'dist/probes/prober.js']) {
      assert.ok(existsSync(join(installed, file)), `expected the package to ship ${file}`);
    }
  });
});
