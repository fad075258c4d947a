/** Volumes and mounts: create, list, inspect with users, remove, and what the engine refuses. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { VolumeConfig } from '../../src/engine/port.js';
import { uniqueName } from '../support/docker.js';
import type { Contract } from './contract.js';
import { assertEngineError } from './contract.js';

export function volumeCases(c: Contract): void {
  describe('volumes', () => {
    const made = new Set<string>();
    let hostDirectory: string;

    const volumeConfig = (suffix: string, overrides: Partial<VolumeConfig> = {}): VolumeConfig => {
      const config = { name: uniqueName(suffix), driver: 'local', driverOpts: {}, labels: { 'io.mooring.contract': 'volume' }, ...overrides };
      made.add(config.name);
      return config;
    };

    beforeEach(async () => {
      hostDirectory = await mkdtemp(path.join(tmpdir(), 'mooring-contract-'));
    });

    afterEach(async () => {
      // Containers first: a volume in use cannot be removed.
      await c.removeMade();
      for (const name of made) await c.engine.removeVolume(name);
      made.clear();
      await rm(hostDirectory, { recursive: true, force: true });
    });

    it('creates a volume with its driver and labels, lists and inspects it; creating it again and removing it twice succeed', async () => {
      const wanted = volumeConfig('vol');
      await c.engine.createVolume(wanted);
      await c.engine.createVolume(wanted);
      const listed = (await c.engine.listVolumes()).find((volume) => volume.name === wanted.name);
      assert.ok(listed, 'the new volume is listed');
      assert.deepEqual({ driver: listed.driver, driverOpts: listed.driverOpts, labels: listed.labels }, { driver: 'local', driverOpts: {}, labels: wanted.labels });
      assert.match(listed.mountpoint, new RegExp(`${wanted.name}`));
      assert.deepEqual((await c.engine.inspectVolume(wanted.name))?.usedBy, []);
      await c.engine.removeVolume(wanted.name);
      await c.engine.removeVolume(wanted.name);
      assert.equal(await c.engine.inspectVolume(wanted.name), undefined);
    });

    it('mounts a volume, a read-only bind and a tmpfs, and reports each on the container, listed and inspected', async () => {
      const volume = volumeConfig('data');
      await c.engine.createVolume(volume);
      const container = await c.container('mounter', {
        mounts: [
          { type: 'volume', source: volume.name, target: '/data', readOnly: false },
          { type: 'bind', source: hostDirectory, target: '/host', readOnly: true },
          { type: 'tmpfs', target: '/scratch', readOnly: false, tmpfsSizeBytes: 1024 * 1024 },
        ],
      });
      for (const observed of [await c.listed(container.name), await c.inspected(container.name)]) {
        const mounts = (observed?.mounts ?? []).map(({ type, name, target, readOnly }) => ({ type, name, target, readOnly })).sort((a, b) => a.target.localeCompare(b.target));
        assert.deepEqual(mounts, [
          { type: 'volume', name: volume.name, target: '/data', readOnly: false },
          { type: 'bind', name: undefined, target: '/host', readOnly: true },
          { type: 'tmpfs', name: undefined, target: '/scratch', readOnly: false },
        ]);
      }
      assert.deepEqual((await c.engine.inspectVolume(volume.name))?.usedBy, [container.name]);
    });

    it('refuses, non-transiently, to remove a volume a container uses, even a stopped one', async () => {
      const volume = volumeConfig('busy');
      await c.engine.createVolume(volume);
      await c.container('user', { mounts: [{ type: 'volume', source: volume.name, target: '/data', readOnly: false }] });
      await assertEngineError(c.engine.removeVolume(volume.name), 409);
      assert.ok(await c.engine.inspectVolume(volume.name), 'the volume is still there');
    });

    it('creates a volume a mount names that does not exist, without labels', async () => {
      const name = volumeConfig('implicit').name;
      await c.container('implicit-user', { mounts: [{ type: 'volume', source: name, target: '/data', readOnly: false }] });
      assert.deepEqual((await c.engine.inspectVolume(name))?.labels, {});
    });

    it('refuses a bind of a missing host path, unless it may create it', async () => {
      const missing = path.join(hostDirectory, 'missing');
      await assertEngineError(c.engine.createContainer(c.config('bind-missing', { mounts: [{ type: 'bind', source: missing, target: '/x', readOnly: false }] })), 400);
      await c.container('bind-created', { mounts: [{ type: 'bind', source: missing, target: '/x', readOnly: false, createHostPath: true }] }, { start: true });
      assert.ok((await stat(missing)).isDirectory());
    });
  });
}
