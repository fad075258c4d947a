/**
 * Hostile input under `mooring run`: each file below is refused with an error
 * that names it, and nothing managed is removed or recreated meanwhile; the
 * daemon's memory stays bounded.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_ID, TEST_IMAGE, dockerMaybe, removeLabelled, requireEngine, uniqueName } from '../support/docker.js';
import type { Status } from '../../src/status/model.js';
import { MooringProcess, requireBuild, statusWaiter } from '../support/mooring-process.js';

/** Far above the idle daemon's ~130 MB; a loader that read a 5 MB file or expanded an alias bomb whole would pass it. */
const RSS_BOUND_MB = 400;

describe('mooring run, end to end: hostile manifests', function () {
  const instance = `hostile-${RUN_ID}`;
  const box = uniqueName('hostile-box');
  let directory: string;
  let manifests: string;
  let statusFile: string;
  let daemon: MooringProcess | undefined;

  const app = (comment = '') => `# ${comment}
apiVersion: mooring/v1
kind: Container
metadata: { name: ${box} }
spec: { image: ${TEST_IMAGE}, pullPolicy: Never, command: ["sleep", "1d"], stopTimeout: 1 }
`;

  const boxId = async () => (await dockerMaybe('container', 'inspect', '--format', '{{.Id}} {{.State.Running}}', box))?.trim();

  const statusUntil = statusWaiter(() => statusFile, () => daemon);

  const invalid = (file: string, pattern: RegExp) => (status: Status) =>
    status.manifests.some((entry) => entry.file === file && !entry.valid && entry.errors.some((error) => pattern.test(error.message)));

  async function rssMb(): Promise<number> {
    const text = await readFile(`/proc/${daemon!.child.pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB$/m.exec(text)?.[1] ?? 0) / 1024;
  }

  let original: string | undefined;
  let peakRssMb = 0;

  /** After each hostile file: the box is the same container, running, and the daemon's memory bounded. */
  async function unharmed(): Promise<void> {
    assert.equal(await boxId(), original, 'the managed container was neither removed nor recreated');
    assert.ok(daemon!.running, 'the daemon runs');
    const rss = await rssMb();
    peakRssMb = Math.max(peakRssMb, rss);
    assert.ok(rss < RSS_BOUND_MB, `the daemon's RSS is ${rss.toFixed(0)} MB`);
  }

  before(async function () {
    await requireEngine(this);
    requireBuild();
    directory = await mkdtemp(join(tmpdir(), 'mooring-hostile-'));
    manifests = join(directory, 'manifests');
    statusFile = join(directory, 'status.json');
    await mkdir(manifests);
    await writeFile(join(manifests, 'app.yaml'), app());
    daemon = new MooringProcess(['run', '-m', manifests, '--instance', instance, '--status', statusFile, '--resync', '2s', '--prune-delay', '2s', '--probe-interval', '1s']);
    await statusUntil('the box runs and everything is Synced', (status) => status.sync.state === 'Synced' && status.resources.some((resource) => resource.name === box && resource.health === 'Healthy'));
    original = await boxId();
    assert.match(original ?? '', / true$/);
  });

  after(async () => {
    if (peakRssMb > 0) console.log(`      hostile manifests: the daemon's RSS was at most ${peakRssMb.toFixed(0)} MB after each input`);
    await daemon?.kill();
    await removeLabelled(`io.mooring.instance=${instance}`);
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('a 5 MB file is refused unread', async () => {
    await writeFile(join(manifests, 'big.yaml'), 'a: b\n'.repeat(1_048_576));
    await statusUntil('big.yaml is invalid', invalid('big.yaml', /file too large/));
    await unharmed();
  });

  it('a YAML alias bomb is refused', async () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let level = 1; level < 9; level++) {
      const previous = String.fromCharCode(96 + level);
      const name = String.fromCharCode(97 + level);
      levels.push(`${name}: &${name} [*${previous},*${previous},*${previous},*${previous},*${previous},*${previous},*${previous},*${previous},*${previous},*${previous}]`);
    }
    await writeFile(join(manifests, 'bomb.yaml'), `${levels.join('\n')}\n`);
    await statusUntil('bomb.yaml is invalid', invalid('bomb.yaml', /alias/i));
    await unharmed();
  });

  it('binary data is refused with where it is', async () => {
    await writeFile(join(manifests, 'binary.yaml'), Buffer.from([0x6b, 0x69, 0x6e, 0x64, 0x3a, 0x00, 0xff, 0xfe, 0x00]));
    await statusUntil('binary.yaml is invalid', invalid('binary.yaml', /binary file/));
    await unharmed();
  });

  it('2,000 documents in one file are refused at the document past the limit', async () => {
    const documents = Array.from({ length: 2000 }, (_, index) => `apiVersion: mooring/v1\nkind: Network\nmetadata: { name: hostile-${RUN_ID}-${index} }\nspec: {}\n`);
    await writeFile(join(manifests, 'many.yaml'), documents.join('---\n'));
    await statusUntil('many.yaml is invalid', invalid('many.yaml', /document/));
    assert.equal(await dockerMaybe('network', 'inspect', `hostile-${RUN_ID}-0`), undefined, 'nothing of an invalid file is applied');
    await unharmed();
  });

  it('a symlink loop is refused', async () => {
    await symlink('loop-b.yaml', join(manifests, 'loop-a.yaml'));
    await symlink('loop-a.yaml', join(manifests, 'loop-b.yaml'));
    await statusUntil('the loop is reported', (status) => status.manifests.some((entry) => entry.file.startsWith('loop-') && !entry.valid));
    await unharmed();
  });

  it('50 edits in 2 s remove and recreate nothing', async () => {
    for (let edit = 0; edit < 50; edit++) {
      await writeFile(join(manifests, 'app.yaml'), app(`edit ${edit}`));
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    const settled = Date.now();
    await statusUntil('a resync after the edits has passed', (status) => Date.parse(status.sync.lastReconcileAt ?? '') > settled + 2000);
    await unharmed();
  });

  it('the manifests directory replaced by a file prunes nothing', async () => {
    await rename(manifests, `${manifests}.away`);
    await writeFile(manifests, 'not a directory\n');
    const replaced = Date.now();
    await statusUntil('a pass after the prune delay has seen the file', (status) => Date.parse(status.sync.lastReconcileAt ?? '') > replaced + 3000);
    await unharmed();
    await rm(manifests);
    await rename(`${manifests}.away`, manifests);
  });
});
