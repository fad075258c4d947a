import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.js';
import type { Document } from '../../../src/manifests/model.js';
import { loadDesiredState } from '../../../src/manifests/desired-state.js';
import { BASELINE, PRIVILEGED, checkPolicy, resolvePolicy } from '../../../src/manifests/policy.js';
import { container } from '../reconcile/fixtures.js';
import { captureIo } from '../../support/cli-io.js';

const vpn = `apiVersion: mooring/v1
kind: Container
metadata: { name: vpn }
spec:
  image: mooring/busybox:latest
  networkMode: host
  capAdd:
    - CHOWN
    - NET_ADMIN
  privileged: true
`;

/** A Container with bind mounts as the volumes fields write them (the schema of issue 14 is not needed to check them). */
function mounting(mounts: unknown[]): Document<'Container'> {
  const document = container('files');
  return { ...document, spec: { ...document.spec, mounts } } as Document<'Container'>;
}

const refused = (document: Document<'Container'>, policy = BASELINE) => checkPolicy([document], policy).map((error) => `${error.path}: ${error.detail.split(' is not allowed')[0]}`);

describe('the operator policy', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mooring-policy-'));
  });
  afterEach(() => rm(directory, { recursive: true, force: true }));

  describe('baseline', () => {
    it('refuses what escapes the container, each at its field', () => {
      const document = container('box', {
        privileged: true,
        pid: 'host',
        ipc: 'host',
        devices: ['/dev/fuse'],
        capAdd: ['CHOWN', 'cap_net_admin', 'ALL'],
        securityOpt: ['no-new-privileges:true', 'seccomp=unconfined', 'apparmor:unconfined', 'label=disable'],
      });
      assert.deepEqual(refused(document), [
        'spec.privileged: privileged: true',
        'spec.pid: pid: host',
        'spec.ipc: ipc: host',
        'spec.capAdd.1: NET_ADMIN',
        'spec.capAdd.2: ALL',
        'spec.devices.0: device /dev/fuse',
        'spec.securityOpt.1: seccomp=unconfined',
        'spec.securityOpt.2: apparmor:unconfined',
        'spec.securityOpt.3: label=disable',
      ]);
    });

    it('allows host networking, Docker\'s default capabilities, and what confines further', () => {
      assert.deepEqual(refused(container('web', { networkMode: 'host', capAdd: ['NET_BIND_SERVICE'], capDrop: ['ALL'], securityOpt: ['no-new-privileges:true'], pid: 'container:db' })), []);
    });

    it('refuses bind mounts of the host\'s system paths and of the engine\'s sockets, however they are written', () => {
      const document = mounting([
        '/etc:/host-etc:ro',
        { type: 'bind', source: '/', target: '/host' },
        '/var/run/docker.sock:/var/run/docker.sock',
        '/srv/../proc/1:/p',
        '/var/lib/docker/volumes:/v',
        { type: 'bind', source: '/srv/data', target: '/data' },
        'data:/data',
        '/srv/etc:/etc',
        '/home/me/mooring.sock:/s',
      ]);
      assert.deepEqual(refused(document), [
        'spec.mounts.0: a bind mount of /etc',
        'spec.mounts.1.source: a bind mount of /',
        'spec.mounts.2: a bind mount of /var/run/docker.sock',
        'spec.mounts.3: a bind mount of /srv/../proc/1',
        'spec.mounts.4: a bind mount of /var/lib/docker/volumes',
        'spec.mounts.8: a bind mount of /home/me/mooring.sock',
      ]);
    });
  });

  it('refuses a build context that sends the host\'s protected paths into an image, resolved from the manifest\'s file', () => {
    const built = (build: unknown, file = 'app.yaml') => ({ ...container('api', {}, file), spec: { ...container('api').spec, build } }) as Document<'Container'>;
    const check = (document: Document<'Container'>, policy = BASELINE) => checkPolicy([document], policy, '/srv/manifests').map((error) => `${error.path}: ${error.detail.split(' is not allowed')[0]}`);
    assert.deepEqual(check(built({ context: '/etc', dockerfile: 'Dockerfile', args: {} })), ['spec.build.context: a build context of /etc']);
    assert.deepEqual(check(built({ context: '../../../root', dockerfile: 'Dockerfile', args: {} }, 'team/app.yaml')), ['spec.build.context: a build context of /root']);
    assert.deepEqual(check(built({ context: './api', dockerfile: 'Dockerfile', args: {} }, 'team/app.yaml')), []);
    assert.deepEqual(check(built({ context: '/etc', dockerfile: 'Dockerfile', args: {} }), PRIVILEGED), []);
  });

  it('privileged allows everything', () => {
    assert.deepEqual(refused(container('box', { privileged: true, pid: 'host', devices: ['/dev/fuse'] }), PRIVILEGED), []);
    assert.deepEqual(refused(mounting(['/etc:/etc']), PRIVILEGED), []);
  });

  it('a policy file allows the items it lists, and nothing else', async () => {
    const file = join(directory, 'policy.yaml');
    await writeFile(file, 'allow:\n  capAdd: [NET_ADMIN]\n  devices: ["/dev/dri/**"]\n  bindMounts: ["/etc/ssl/**"]\n');
    const policy = await resolvePolicy(file);
    const document = container('box', { capAdd: ['NET_ADMIN', 'SYS_ADMIN'], devices: ['/dev/dri/card0', '/dev/fuse'] });
    assert.deepEqual(refused(document, policy), ['spec.capAdd.1: SYS_ADMIN', 'spec.devices.1: device /dev/fuse']);
    assert.deepEqual(refused(mounting(['/etc/ssl/certs:/certs:ro', '/etc/shadow:/s']), policy), ['spec.mounts.1: a bind mount of /etc/shadow']);
    assert.match(checkPolicy([document], policy)[0]!.detail, new RegExp(`not allowed by the daemon's policy \\(${file.replace(/[/.]/g, '\\$&')}\\)`));
  });

  it('refuses a policy file that is missing or invalid, naming it', async () => {
    await assert.rejects(resolvePolicy(join(directory, 'none.yaml')), /--policy \S+none\.yaml: expected baseline, privileged or a policy file/);
    const file = join(directory, 'bad.yaml');
    await writeFile(file, 'allow:\n  capAdd: NET_ADMIN\n');
    await assert.rejects(resolvePolicy(file), /--policy \S+bad\.yaml: allow\.capAdd: /);
    await writeFile(file, 'alow: {}\n');
    await assert.rejects(resolvePolicy(file), /--policy \S+bad\.yaml: \(file\): /);
  });

  it('makes a refused field an error at its file and line, and the file keeps its last good version', async () => {
    const path = join(directory, 'vpn.yaml');
    await writeFile(path, vpn.replace('  privileged: true\n', ''));
    const good = await loadDesiredState({ directory, policy: PRIVILEGED });
    await writeFile(path, vpn);
    const loaded = await loadDesiredState({ directory, lastGood: good.lastGood });
    assert.deepEqual(loaded.files[0]!.errors.map((error) => error.message), [
      'vpn.yaml:9:7: Container/vpn: spec.capAdd.1: NET_ADMIN is not allowed by the daemon\'s policy (baseline); ' +
        'allow it with `allow: { capAdd: [NET_ADMIN] }` in a policy file given with --policy, or run with --policy privileged',
      'vpn.yaml:10:3: Container/vpn: spec.privileged: privileged: true is not allowed by the daemon\'s policy (baseline); ' +
        'allow it with `allow: { privileged: true }` in a policy file given with --policy, or run with --policy privileged',
    ]);
    assert.deepEqual(loaded.usingLastGood, ['vpn.yaml']);
    assert.equal(loaded.desired.containers[0]!.spec.privileged, undefined);
    assert.equal((await loadDesiredState({ directory, policy: PRIVILEGED })).files[0]!.errors.length, 0);
  });

  it('`mooring validate --policy` shows the refusals before a push', async () => {
    await writeFile(join(directory, 'vpn.yaml'), vpn);
    const { io, output } = captureIo();
    assert.equal(await main(['validate', directory], io), 1);
    assert.match(output.stderr, /^vpn\.yaml:9:7: Container\/vpn: spec\.capAdd\.1: NET_ADMIN is not allowed/m);
    const allowed = captureIo();
    assert.equal(await main(['validate', directory, '--policy', 'privileged'], allowed.io), 0);
    const missing = captureIo();
    assert.equal(await main(['validate', directory, '--policy', join(directory, 'nope.yaml')], missing.io), 1);
    assert.match(missing.output.stderr, /^mooring: --policy \S+nope\.yaml: expected baseline, privileged or a policy file/);
  });

  it('`mooring schema --policy` prints the committed schema/policy.schema.json (regenerate: node bin/mooring.js schema --policy > schema/policy.schema.json)', async () => {
    const { io, output } = captureIo();
    assert.equal(await main(['schema', '--policy'], io), 0);
    assert.equal(output.stdout, await readFile(new URL('../../../schema/policy.schema.json', import.meta.url), 'utf8'));
  });
});
