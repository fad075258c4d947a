/**
 * The modules a load brings in: the Compose translation only for a directory
 * with a Compose project, since `mooring validate` pays for every module it
 * loads at each start.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const LOAD = fileURLToPath(new URL('../../../src/manifests/load.ts', import.meta.url));

/** The URLs of the modules a new process loads to load `directory`, as a module hook sees them. */
async function modulesLoading(directory: string, log: string): Promise<string[]> {
  const hook = `import { appendFileSync } from 'node:fs'; export async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
  const script = `import { loadManifestDirectory } from ${JSON.stringify(LOAD)}; await loadManifestDirectory(${JSON.stringify(directory)});`;
  await execFileAsync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, '--import', 'tsx', '--input-type=module', '-e', script]);
  return (await readFile(log, 'utf8')).split('\n').filter(Boolean);
}

describe('the modules a manifests load brings in', function () {
  this.timeout(60_000);
  let directory: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mooring-load-modules-'));
    await mkdir(join(directory, 'plain'));
    await writeFile(join(directory, 'plain', 'web.yaml'), 'apiVersion: mooring/v1\nkind: Network\nmetadata:\n  name: back\nspec: {}\n');
    await mkdir(join(directory, 'compose'));
    await writeFile(join(directory, 'compose', 'compose.yaml'), 'services:\n  web:\n    image: busybox\n');
  });
  after(() => rm(directory, { recursive: true, force: true }));

  const composeModules = (urls: string[]) => urls.filter((url) => url.includes('/manifests/compose/') && !url.endsWith('/detect.ts'));

  it('leaves the Compose translation out for a directory of mooring manifests', async () => {
    assert.deepEqual(composeModules(await modulesLoading(join(directory, 'plain'), join(directory, 'plain.log'))), []);
  });

  it('loads it for a directory with a Compose project', async () => {
    assert.ok(composeModules(await modulesLoading(join(directory, 'compose'), join(directory, 'compose.log'))).some((url) => url.endsWith('/compose/read.ts')));
  });
});
