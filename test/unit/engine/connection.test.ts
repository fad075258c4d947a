import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_VERSION, dockerodeOptions, resolveEngineAddress } from '../../../src/engine/connection.js';

describe('resolveEngineAddress', () => {
  let certs: string;

  before(async () => {
    certs = await mkdtemp(join(tmpdir(), 'mooring-certs-'));
    for (const file of ['ca.pem', 'cert.pem', 'key.pem']) await writeFile(join(certs, file), `${file} contents`);
  });

  after(async () => {
    await rm(certs, { recursive: true, force: true });
  });

  it('defaults to the local socket', () => {
    assert.deepEqual(resolveEngineAddress({ env: {} }), { type: 'unix', socketPath: '/var/run/docker.sock', url: 'unix:///var/run/docker.sock' });
    assert.deepEqual(resolveEngineAddress({ env: { DOCKER_HOST: '' } }).url, 'unix:///var/run/docker.sock');
  });

  it('reads unix:// addresses, an empty path meaning the default socket', () => {
    assert.deepEqual(resolveEngineAddress({ env: { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' } }), {
      type: 'unix',
      socketPath: '/run/user/1000/docker.sock',
      url: 'unix:///run/user/1000/docker.sock',
    });
    assert.equal(resolveEngineAddress({ env: { DOCKER_HOST: 'unix://' } }).url, 'unix:///var/run/docker.sock');
  });

  it('lets --docker-host win over DOCKER_HOST', () => {
    assert.equal(resolveEngineAddress({ dockerHost: 'tcp://10.0.0.5:2375', env: { DOCKER_HOST: 'unix:///other.sock' } }).url, 'tcp://10.0.0.5:2375');
  });

  it('reads tcp:// addresses, defaulting the port as the docker CLI does', () => {
    assert.deepEqual(resolveEngineAddress({ env: { DOCKER_HOST: 'tcp://docker.example:4243' } }), { type: 'tcp', host: 'docker.example', port: 4243, url: 'tcp://docker.example:4243' });
    assert.equal(resolveEngineAddress({ env: { DOCKER_HOST: 'tcp://docker.example' } }).url, 'tcp://docker.example:2375');
    assert.equal(resolveEngineAddress({ env: { DOCKER_HOST: 'tcp://docker.example', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs } }).url, 'tcp://docker.example:2376');
    assert.deepEqual(resolveEngineAddress({ env: { DOCKER_HOST: 'tcp://[::1]:2375' } }), { type: 'tcp', host: '::1', port: 2375, url: 'tcp://[::1]:2375' });
  });

  it('turns on verified TLS for any non-empty DOCKER_TLS_VERIFY, with the certificates in DOCKER_CERT_PATH', () => {
    for (const value of ['1', 'true', '0']) {
      const address = resolveEngineAddress({ env: { DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: value, DOCKER_CERT_PATH: certs } });
      assert.ok(address.type === 'tcp' && address.tls);
      assert.equal(address.tls.verify, true);
      assert.equal(address.tls.ca?.toString(), 'ca.pem contents');
      assert.equal(address.tls.cert?.toString(), 'cert.pem contents');
      assert.equal(address.tls.key?.toString(), 'key.pem contents');
    }
  });

  it('turns on TLS without verification for DOCKER_TLS, and reads ~/.docker when DOCKER_CERT_PATH is unset', () => {
    const address = resolveEngineAddress({ env: { DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS: '1' } });
    assert.ok(address.type === 'tcp' && address.tls);
    assert.deepEqual([address.tls.verify, address.tls.certPath], [false, join(homedir(), '.docker')]);
  });

  it('uses plain TCP without either variable, even when DOCKER_CERT_PATH is set', () => {
    const address = resolveEngineAddress({ env: { DOCKER_HOST: 'tcp://127.0.0.1:2375', DOCKER_CERT_PATH: certs } });
    assert.ok(address.type === 'tcp');
    assert.equal(address.tls, undefined);
  });

  it('refuses a client certificate without its key', async () => {
    const partial = await mkdtemp(join(tmpdir(), 'mooring-certs-'));
    try {
      await writeFile(join(partial, 'cert.pem'), 'cert');
      assert.throws(() => resolveEngineAddress({ env: { DOCKER_HOST: 'tcp://127.0.0.1:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: partial } }), {
        name: 'TypeError',
        message: `Expected ${join(partial, 'key.pem')} beside cert.pem, got none`,
      });
    } finally {
      await rm(partial, { recursive: true, force: true });
    }
  });

  it('names the option and the value it cannot use', () => {
    assert.throws(() => resolveEngineAddress({ dockerHost: 'ssh://me@host', env: {} }), {
      name: 'TypeError',
      message: 'Expected --docker-host to be unix:///path/to/socket or tcp://host:port, got "ssh://me@host"',
    });
    assert.throws(() => resolveEngineAddress({ env: { DOCKER_HOST: 'localhost:2375' } }), /^TypeError: Expected DOCKER_HOST to be unix/);
    assert.throws(() => resolveEngineAddress({ env: { DOCKER_HOST: 'tcp://host:2375/prefix' } }), /Expected DOCKER_HOST to be tcp:\/\/host:port, got "tcp:\/\/host:2375\/prefix"/);
    assert.throws(() => resolveEngineAddress({ env: { DOCKER_HOST: 'tcp://' } }), /Expected DOCKER_HOST to be tcp:\/\/host:port/);
  });
});

describe('dockerodeOptions', () => {
  it('pins the API version and sets every address option, so the environment dockerode reads decides nothing', () => {
    const options = dockerodeOptions({ type: 'unix', socketPath: '/s.sock', url: 'unix:///s.sock' });
    assert.equal(options.version, API_VERSION);
    assert.equal(options.socketPath, '/s.sock');
    for (const key of ['host', 'port', 'ca', 'cert', 'key', 'timeout'] as const) {
      assert.ok(key in options && options[key] === undefined, `${key} is set to undefined`);
    }
  });

  it('speaks plain HTTP to a TCP address without TLS', () => {
    const options = dockerodeOptions({ type: 'tcp', host: '10.0.0.5', port: 2375, url: 'tcp://10.0.0.5:2375' });
    assert.deepEqual([options.host, options.port, options.protocol, options.agent], ['10.0.0.5', 2375, 'http', undefined]);
  });

  it('carries TLS settings, including whether to verify, in an https agent', () => {
    const ca = Buffer.from('ca');
    const options = dockerodeOptions({ type: 'tcp', host: 'h', port: 2376, url: 'tcp://h:2376', tls: { verify: false, certPath: '/c', ca } });
    assert.equal(options.protocol, 'https');
    assert.ok(options.agent instanceof Agent);
    assert.equal(options.agent.options.rejectUnauthorized, false);
    assert.equal(options.agent.options.ca, ca);
  });
});
