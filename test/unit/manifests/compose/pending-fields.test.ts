/**
 * The translators of the attributes that wait for issues 14 and 15: what they
 * produce now, in the shapes those schemas take, so that switching a row on
 * needs nothing else.
 */
import assert from 'node:assert/strict';
import type { ServiceTranslation } from '../../../../src/manifests/compose/context.js';
import { SERVICE_ATTRIBUTES } from '../../../../src/manifests/compose/attributes.js';
import { hasContainerField } from '../../../../src/manifests/compose/schema-fields.js';

function translation(): ServiceTranslation {
  return {
    names: {
      project: 'shop',
      directory: '/srv/shop',
      containers: new Map([['web', 'shop-web-1'], ['db', 'shop-db-1']]),
      services: new Map([['web', []], ['db', []]]),
      profiles: new Set(),
      networks: new Map([['default', 'shop_default']]),
      volumes: new Map([['data', 'shop_data']]),
      secrets: new Map([['token', 'shop_token']]),
      configs: new Map([['nginx', '/srv/shop/nginx.conf'], ['broken', undefined]]),
    },
    service: 'web',
    container: 'shop-web-1',
    attributes: {},
    spec: {},
    origins: new Map(),
    networkKeys: [],
    documents: [],
    lookup: () => undefined,
    problem: () => assert.fail('no problem expected'),
  };
}

function translate(attributes: Record<string, unknown>): Record<string, unknown> {
  const result = translation();
  for (const [attribute, value] of Object.entries(attributes)) {
    const row = SERVICE_ATTRIBUTES[attribute];
    assert.ok(row && 'translate' in row, attribute);
    row.translate(value, result, attribute);
  }
  return result.spec;
}

describe('Compose attributes that wait for mooring fields', () => {
  it('volumes and tmpfs → mounts: named volumes, binds against the project directory, tmpfs', () => {
    assert.deepEqual(translate({
      volumes: ['data:/var/lib/data', './conf:/etc/app:ro', '/srv/logs:/logs:rw,cached', { type: 'bind', source: 'static', target: '/www', read_only: true }, { type: 'volume', source: 'data', target: '/sub', volume: { subpath: 'a' } }, { type: 'tmpfs', target: '/scratch', tmpfs: { size: '64m', mode: 1777 } }],
      tmpfs: ['/run:size=1048576,mode=0755', '/tmp'],
    }).mounts, [
      { type: 'volume', source: 'shop_data', target: '/var/lib/data', readOnly: false },
      { type: 'bind', source: '/srv/shop/conf', target: '/etc/app', readOnly: true, createHostPath: true },
      { type: 'bind', source: '/srv/logs', target: '/logs', readOnly: false, createHostPath: true },
      { type: 'bind', source: '/srv/shop/static', target: '/www', readOnly: true, createHostPath: false },
      { type: 'volume', source: 'shop_data', target: '/sub', readOnly: false, subpath: 'a' },
      { type: 'tmpfs', target: '/scratch', size: '64m', mode: '1777' },
      { type: 'tmpfs', target: '/run', size: 1048576, mode: '0755' },
      { type: 'tmpfs', target: '/tmp' },
    ]);
  });

  it('refuses an anonymous volume, an undeclared one, and modes mooring lacks', () => {
    for (const [entry, message] of [
      ['/data', /anonymous volume/],
      ['other:/data', /volume "other" is not declared/],
      ['data:/data:z', /the mode z is not supported/],
      ['./cache:/cache:nocopy', /the mode nocopy is for a named volume/],
    ] as const) {
      assert.throws(() => translate({ volumes: [entry] }), message);
    }
  });

  it('nocopy, in the short and the long syntax, on named volumes', () => {
    assert.deepEqual(translate({ volumes: ['data:/a:ro,nocopy', { type: 'volume', source: 'data', target: '/b', volume: { nocopy: true } }] }).mounts, [
      { type: 'volume', source: 'shop_data', target: '/a', readOnly: true, noCopy: true },
      { type: 'volume', source: 'shop_data', target: '/b', readOnly: false, noCopy: true },
    ]);
  });

  it('configs → read-only binds of their files, at /<source> or the target given (relative to /)', () => {
    assert.deepEqual(translate({ configs: ['nginx', { source: 'nginx', target: 'etc/nginx.conf' }, { source: 'nginx', target: '/etc/app.conf' }, 'broken'] }).mounts, [
      { type: 'bind', source: '/srv/shop/nginx.conf', target: '/nginx', readOnly: true, createHostPath: false },
      { type: 'bind', source: '/srv/shop/nginx.conf', target: '/etc/nginx.conf', readOnly: true, createHostPath: false },
      { type: 'bind', source: '/srv/shop/nginx.conf', target: '/etc/app.conf', readOnly: true, createHostPath: false },
    ]);
    assert.throws(() => translate({ configs: ['other'] }), /config "other" is not declared/);
    assert.throws(() => translate({ configs: [{ source: 'nginx', mode: 440 }] }), /`mode` is not supported by mooring for a config/);
  });

  it('secrets and env_file → secrets and envFiles', () => {
    const spec = translate({ secrets: ['token', { source: 'token', target: 'api-key', mode: 440, uid: '1000' }], env_file: ['./app.env', { path: '/etc/shared.env', required: true }] });
    assert.deepEqual(spec.secrets, [
      { name: 'shop_token', target: '/run/secrets/token', mode: '0444' },
      { name: 'shop_token', target: '/run/secrets/api-key', mode: '0440', uid: 1000 },
    ]);
    assert.deepEqual(spec.envFiles, ['/srv/shop/app.env', '/etc/shared.env']);
  });

  it('resources from deploy and the service-level attributes, into one field', () => {
    assert.deepEqual(translate({ cpu_shares: 512, memswap_limit: '1g', mem_limit: '512mb', pids_limit: '100' }).resources, { cpuShares: 512, memorySwap: '1g', memory: '512m', pidsLimit: 100 });
    const deploy = { deploy: { replicas: 1, resources: { limits: { cpus: '0.5', memory: '512M', pids: 100 }, reservations: { memory: '128mb' } } } };
    if (hasContainerField('resources')) {
      assert.deepEqual(translate(deploy).resources, { cpus: 0.5, memory: '512M', pidsLimit: 100, memoryReservation: '128m' });
    } else {
      assert.throws(() => translate(deploy), /needs the Container field `resources` \(issue 15\)/);
    }
    assert.throws(() => translate({ deploy: { placement: {} } }), /`deploy.placement` is not supported/);
    assert.throws(() => translate({ deploy: { replicas: 2 } }), /one container per service/);
  });

  it('the runtime options, in the runtime schema\'s shapes', () => {
    assert.deepEqual(translate({
      cap_add: ['NET_ADMIN'],
      cap_drop: ['ALL'],
      privileged: 'true',
      devices: ['/dev/fuse', { source: '/dev/kmsg', target: '/dev/kmsg', permissions: 'r' }],
      ulimits: { nproc: 65535, nofile: { soft: 1024, hard: 4096 } },
      sysctls: ['net.core.somaxconn=1024'],
      dns: '8.8.8.8',
      dns_search: ['example.com'],
      dns_opt: ['ndots:2'],
      read_only: true,
      init: true,
      stop_signal: 'SIGQUIT',
      shm_size: '64m',
      security_opt: ['no-new-privileges:true'],
      group_add: ['audio'],
      oom_score_adj: '-500',
      pid: 'service:db',
      ipc: 'host',
      logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': 3 } },
    }), {
      capAdd: ['NET_ADMIN'],
      capDrop: ['ALL'],
      privileged: true,
      devices: ['/dev/fuse', '/dev/kmsg:/dev/kmsg:r'],
      ulimits: { nproc: 65535, nofile: { soft: 1024, hard: 4096 } },
      sysctls: { 'net.core.somaxconn': '1024' },
      dns: ['8.8.8.8'],
      dnsSearch: ['example.com'],
      dnsOptions: ['ndots:2'],
      readOnlyRootfs: true,
      init: true,
      stopSignal: 'SIGQUIT',
      shmSize: '64m',
      securityOpt: ['no-new-privileges:true'],
      groupAdd: ['audio'],
      oomScoreAdj: -500,
      pid: 'container:shop-db-1',
      ipc: 'host',
      logging: { driver: 'json-file', options: { 'max-size': '10m', 'max-file': '3' } },
    });
  });
});
