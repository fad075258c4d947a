/**
 * bin/mooring.js runs the one-shot commands from dist/cli.cjs (the bundle, with
 * V8's code cache) and the daemon from dist/cli/main.js: the bundle must do
 * what the modules tsc built do, and its cache must be used.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireBuild } from '../../support/mooring-process.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The environment of a user's shell: without the test runner's loader (NODE_OPTIONS=--import tsx). */
const { NODE_OPTIONS: _testLoader, ...USER_ENV } = process.env;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function node(args: string[], cwd: string): Promise<Result> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, env: USER_ENV, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** `mooring ARGS` as bin/mooring.js runs it, and as dist/cli/main.js runs it without the bundle. */
const viaBin = (home: string, args: string[]) => node([join(home, 'bin/mooring.js'), ...args], ROOT);
const viaModules = (home: string, args: string[]) => node([join(home, 'modules.mjs'), ...args], ROOT);

describe('bin/mooring.js and the bundle of the one-shot commands', function () {
  this.timeout(120_000);
  /** A copy of bin/ and dist/, so that its caches and files' times are this suite's own. */
  let home: string;

  before(async () => {
    requireBuild();
    home = await mkdtemp(join(tmpdir(), 'mooring-start-'));
    await cp(join(ROOT, 'bin'), join(home, 'bin'), { recursive: true });
    await cp(join(ROOT, 'dist'), join(home, 'dist'), { recursive: true, preserveTimestamps: true, filter: (source) => !/\.cache$/.test(source) });
    await cp(join(ROOT, 'package.json'), join(home, 'package.json'));
    await symlink(join(ROOT, 'node_modules'), join(home, 'node_modules'));
    await writeFile(join(home, 'modules.mjs'), "import { main } from './dist/cli/main.js';\n\nprocess.exitCode = await main(process.argv.slice(2));\n");
  });

  after(async () => {
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('prints and exits as the modules tsc built do', async () => {
    for (const args of [
      ['--version'],
      ['--help'],
      ['bogus'],
      ['validate', 'manifests'],
      ['validate', '--output', 'json', 'manifests'],
      ['validate', 'test/fixtures/broken'],
      ['validate', '--policy', 'test/fixtures/no-such-policy.yaml', 'manifests'],
      ['schema'],
      ['convert', 'test/fixtures/compose/migrate/compose.yaml'],
    ]) {
      assert.deepEqual(await viaBin(home, args), await viaModules(home, args), args.join(' '));
    }
  });

  it("writes a command's code cache at its first run and uses it at the next", async () => {
    const cache = join(home, 'dist/cli.cjs.validate.cache');
    assert.equal((await viaBin(home, ['validate', 'manifests'])).code, 0);
    const written = (await stat(cache)).mtimeMs;
    assert.equal((await viaBin(home, ['validate', 'manifests'])).code, 0);
    // Written again only when V8 refuses it.
    assert.equal((await stat(cache)).mtimeMs, written);
  });

  it('runs from the modules when the bundle is older than them: dist/ built again by tsc alone', async () => {
    const cache = join(home, 'dist/cli.cjs.schema.cache');
    await rm(cache, { force: true });
    const past = new Date((await stat(join(home, 'dist/cli/main.js'))).mtimeMs - 60_000);
    await utimes(join(home, 'dist/cli.cjs'), past, past);
    assert.equal((await viaBin(home, ['schema'])).code, 0);
    // Only the bundle writes a cache.
    await assert.rejects(stat(cache), { code: 'ENOENT' });
  });
});
