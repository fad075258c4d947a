import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../../../../src/log.js';
import { ManifestWatcher } from '../../../../src/controller/triggers/watch.js';

describe('ManifestWatcher', () => {
  let root: string;
  let directory: string;
  let changes: number;
  let watcher: ManifestWatcher;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'mooring-watch-'));
    directory = join(root, 'manifests');
    changes = 0;
    watcher = new ManifestWatcher({ directory, logger: silentLogger(), debounceMs: 50, pollMs: 50, onChange: () => changes++ });
  });

  afterEach(async () => {
    await watcher.close();
    await rm(root, { recursive: true, force: true });
  });

  async function until(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!condition()) {
      if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
      await sleep(10);
    }
  }

  /** Lets any event in flight arrive and any debounce run out. */
  const settle = () => sleep(400);

  it('reports a burst of changes once, an atomic save by rename included', async () => {
    await mkdir(directory);
    await watcher.start();
    await writeFile(join(directory, 'app.yaml'), 'a: 1\n');
    await until(() => changes === 1, 'the new file is reported');
    await writeFile(join(directory, '.app.yaml.tmp'), 'a: 2\n');
    await rename(join(directory, '.app.yaml.tmp'), join(directory, 'app.yaml'));
    await writeFile(join(directory, 'other.yml'), 'b: 1\n');
    await until(() => changes === 2, 'the save is reported');
    await settle();
    assert.equal(changes, 2);
  });

  it("ignores editors' swap and backup files", async () => {
    await mkdir(directory);
    await watcher.start();
    await writeFile(join(directory, '.app.yaml.swp'), 'x');
    await writeFile(join(directory, 'app.yaml~'), 'x');
    await writeFile(join(directory, '#app.yaml#'), 'x');
    await settle();
    assert.equal(changes, 0);
  });

  it('sees changes in subdirectories', async () => {
    await mkdir(join(directory, 'team'), { recursive: true });
    await watcher.start();
    await writeFile(join(directory, 'team', 'db.yaml'), 'a: 1\n');
    await until(() => changes === 1, 'the file in the subdirectory is reported');
  });

  it('waits for a missing directory, and follows one removed and created again', async () => {
    await watcher.start();
    await mkdir(directory);
    await until(() => changes === 1, 'the new directory is reported');
    await writeFile(join(directory, 'app.yaml'), 'a: 1\n');
    await until(() => changes === 2, 'a file in it is reported');
    await rm(directory, { recursive: true });
    await until(() => changes === 3, 'the removal is reported');
    await settle();
    // Created again with a file in it: reported once both are there, however the two race with the watcher.
    const before = changes;
    await mkdir(directory);
    await writeFile(join(directory, 'app.yaml'), 'a: 2\n');
    await until(() => changes > before, 'the directory is reported again');
    await settle();
    const after = changes;
    await writeFile(join(directory, 'again.yaml'), 'a: 1\n');
    await until(() => changes > after, 'a file in the new directory is reported');
  });

  it('follows a directory replaced within one burst, even when it gets the same inode back', async () => {
    await mkdir(directory);
    await writeFile(join(directory, 'app.yaml'), 'a: 1\n');
    await watcher.start();
    await rm(directory, { recursive: true });
    await mkdir(directory);
    await writeFile(join(directory, 'app.yaml'), 'a: 2\n');
    await until(() => changes > 0, 'the replacement is reported');
    await settle();
    const before = changes;
    await writeFile(join(directory, 'later.yaml'), 'b: 1\n');
    await until(() => changes > before, 'a file written in the new directory is reported');
  });
});
