import assert from 'node:assert/strict';
import { apiAtLeast, hostConfigMounts, mountsOf, observedVolume } from '../../../../src/engine/docker/volume-mapping.js';
import { containerCreateBody } from '../../../../src/engine/docker/mapping.js';
import { containerConfig } from '../../../../src/engine/container-config.js';

describe('Engine API JSON for volumes and mounts', () => {
  it('puts mounts in HostConfig.Mounts, and binds that may create their host path in Binds', () => {
    const body = containerCreateBody(containerConfig({
      name: 'db',
      image: 'busybox',
      mounts: [
        { type: 'volume', source: 'pgdata', target: '/data', readOnly: false, subpath: 'dumps' },
        { type: 'volume', source: 'empty', target: '/www', readOnly: false, noCopy: true },
        { type: 'bind', source: '/srv/conf', target: '/conf', readOnly: true },
        { type: 'bind', source: '/srv/new', target: '/new', readOnly: true, createHostPath: true },
        { type: 'tmpfs', target: '/cache', readOnly: false, tmpfsSizeBytes: 65536, tmpfsMode: 0o1777 },
      ],
    }));
    assert.deepEqual(body.HostConfig?.Mounts, [
      { Type: 'volume', Source: 'pgdata', Target: '/data', ReadOnly: false, VolumeOptions: { Subpath: 'dumps' } },
      { Type: 'volume', Source: 'empty', Target: '/www', ReadOnly: false, VolumeOptions: { NoCopy: true } },
      { Type: 'bind', Source: '/srv/conf', Target: '/conf', ReadOnly: true },
      { Type: 'tmpfs', Source: '', Target: '/cache', ReadOnly: false, TmpfsOptions: { SizeBytes: 65536, Mode: 0o1777 } },
    ]);
    assert.deepEqual(body.HostConfig?.Binds, ['/srv/new:/new:ro']);
  });

  it('leaves HostConfig as it was for a container without mounts', () => {
    assert.deepEqual(hostConfigMounts(undefined), {});
    assert.deepEqual(hostConfigMounts([]), {});
    assert.equal('Mounts' in (containerCreateBody(containerConfig({ name: 'plain', image: 'busybox' })).HostConfig ?? {}), false);
  });

  it('reads a container\'s Mounts, and none at all as no `mounts`', () => {
    assert.deepEqual(mountsOf([
      { Type: 'volume', Name: 'pgdata', Source: '/var/lib/docker/volumes/pgdata/_data', Destination: '/data', Driver: 'local', RW: true },
      { Type: 'bind', Source: '/srv', Destination: '/srv', RW: false },
    ]), { mounts: [
      { type: 'volume', name: 'pgdata', source: '/var/lib/docker/volumes/pgdata/_data', target: '/data', readOnly: false, driver: 'local' },
      { type: 'bind', source: '/srv', target: '/srv', readOnly: true },
    ] });
    assert.deepEqual(mountsOf(null), {});
  });

  it('reads a volume, null labels and options as empty', () => {
    assert.deepEqual(observedVolume({ Name: 'v', Driver: 'local', Mountpoint: '/m', Labels: null, Options: null, CreatedAt: '2026-12-01T10:00:00Z' }), {
      name: 'v', driver: 'local', driverOpts: {}, labels: {}, mountpoint: '/m', createdAt: Date.parse('2026-12-01T10:00:00Z'),
    });
  });

  it('compares API versions by number', () => {
    assert.equal(apiAtLeast('1.41', '1.45'), false);
    assert.equal(apiAtLeast('1.45', '1.45'), true);
    assert.equal(apiAtLeast('1.100', '1.45'), true);
    assert.equal(apiAtLeast('2.0', '1.45'), true);
  });
});
