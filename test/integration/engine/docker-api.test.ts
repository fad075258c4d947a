/**
 * The Docker adapter against a stand-in for the Engine API, for what the real
 * engine cannot be made to do on demand: answer 500, drop the event stream,
 * speak TLS, count requests exactly while nothing else runs.
 *
 * test/fixtures/tls holds a CA (ca.pem), a client certificate (cert.pem,
 * key.pem) and a server certificate for 127.0.0.1 (server-cert.pem,
 * server-key.pem), made with openssl, valid for 100 years.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { containerConfig } from '../../../src/engine/container-config.js';
import { DockerEngine } from '../../../src/engine/docker/index.js';
import { demuxLogs } from '../../../src/engine/docker/streams.js';
import { engineRejection as rejection } from '../../support/engine-rejection.js';
import type { EngineEvent } from '../../../src/engine/port.js';
import { silentLogger } from '../../../src/log.js';

const TLS_FIXTURES = fileURLToPath(new URL('../../fixtures/tls/', import.meta.url));

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** Answers by `METHOD /path` without the API version and query; records every request. */
class StandIn {
  readonly requests: string[] = [];
  readonly routes = new Map<string, Handler>();

  handle: Handler = (request, response) => {
    const path = (request.url ?? '').replace(/^\/v1\.41/, '').replace(/\?.*$/, '');
    const key = `${request.method} ${path}`;
    this.requests.push(key);
    const route = this.routes.get(key);
    if (route) route(request, response);
    else json(response, 404, { message: `no route for ${key}` });
  };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

function listed(id: string, endpointId: string, status = 'running') {
  return {
    Id: id,
    Names: [`/${id}`],
    Image: 'img',
    Labels: {},
    State: status,
    Ports: [],
    HostConfig: { NetworkMode: 'net' },
    NetworkSettings: { Networks: { net: { Aliases: null, Links: null, NetworkID: 'n1', EndpointID: endpointId, IPAddress: '10.0.0.2', IPAMConfig: null } } },
  };
}

function inspected(id: string, endpointId: string, aliases: string[]) {
  return {
    Id: id,
    Name: `/${id}`,
    Config: { Image: 'img', Labels: {} },
    State: { Status: 'running', Pid: 42, ExitCode: 0, StartedAt: '2026-01-01T00:00:00Z', FinishedAt: '0001-01-01T00:00:00Z' },
    HostConfig: { NetworkMode: 'net' },
    NetworkSettings: {
      Ports: {},
      Networks: { net: { Aliases: [...aliases, id.slice(0, 12)], Links: null, NetworkID: 'n1', EndpointID: endpointId, IPAddress: '10.0.0.2', IPAMConfig: null } },
    },
  };
}

describe('DockerEngine against a stand-in Engine API', () => {
  let directory: string;
  let server: Server;
  let standIn: StandIn;
  let engine: DockerEngine;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mooring-api-'));
    standIn = new StandIn();
    server = createServer(standIn.handle);
    const socket = join(directory, 'docker.sock');
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    engine = new DockerEngine({ dockerHost: `unix://${socket}`, env: {}, logger: silentLogger() });
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(directory, { recursive: true, force: true });
  });

  describe('quirks and errors', () => {
    it('takes 304 from start and stop, and 404 from stop and remove, as success', async () => {
      standIn.routes.set('POST /containers/web/start', (_, response) => response.writeHead(304).end());
      standIn.routes.set('POST /containers/web/stop', (_, response) => response.writeHead(304).end());
      standIn.routes.set('DELETE /containers/web', (_, response) => json(response, 404, { message: 'No such container: web' }));
      standIn.routes.set('DELETE /networks/net', (_, response) => json(response, 404, { message: 'network net not found' }));
      await engine.startContainer('web');
      await engine.stopContainer('web', 3);
      await engine.stopContainer('gone', 3);
      await engine.removeContainer('web');
      await engine.removeNetwork('net');
      assert.deepEqual(engine.requestCounts(), {
        total: 5,
        mutating: 5,
        byOperation: { startContainer: 1, stopContainer: 2, removeContainer: 1, removeNetwork: 1 },
      });
    });

    it('takes a removal already in progress as success, and other conflicts as failures', async () => {
      let message = 'removal of container web is already in progress';
      standIn.routes.set('DELETE /containers/web', (_, response) => json(response, 409, { message }));
      await engine.removeContainer('web');
      message = 'You cannot remove a running container';
      const error = await rejection(engine.removeContainer('web'));
      assert.deepEqual([error.statusCode, error.transient, error.message], [409, false, `remove container web: 409 Conflict: ${message}`]);
    });

    it('says a start the engine refuses because it kept the task of an interrupted start is unstartable, not transient', async () => {
      const message = 'task 22254a692758d9fb6a8935983f2b8fde6ff054078998312a9f28a4b4d33cc4b8: already exists';
      standIn.routes.set('POST /containers/web/start', (_, response) => json(response, 500, { message }));
      standIn.routes.set('POST /containers/other/start', (_, response) => json(response, 500, { message: 'driver failed programming external connectivity' }));
      const error = await rejection(engine.startContainer('web'));
      assert.deepEqual([error.kind, error.transient, error.statusCode], ['unstartable', false, 500]);
      assert.match(error.message, new RegExp(`^start container web: 500 Internal Server Error: ${message} \\(the engine kept the task`));
      standIn.routes.set('POST /containers/runc/start', (_, response) => json(response, 500, { message: 'id already in use' }));
      assert.equal((await rejection(engine.startContainer('runc'))).kind, 'unstartable');
      const other = await rejection(engine.startContainer('other'));
      assert.deepEqual([other.kind, other.transient], [undefined, true]);
    });

    it('makes 5xx transient and 4xx terminal, with what failed and the engine’s own words', async () => {
      standIn.routes.set('GET /containers/json', (_, response) => json(response, 500, { message: 'boom' }));
      standIn.routes.set('POST /containers/create', (_, response) => json(response, 400, { message: 'invalid reference format' }));
      const list = await rejection(engine.listContainers());
      assert.deepEqual([list.statusCode, list.transient, list.message], [500, true, 'list containers: 500 Internal Server Error: boom']);
      const create = await rejection(
        engine.createContainer(containerConfig({ name: 'web', image: 'Bad Image' })),
      );
      assert.deepEqual([create.statusCode, create.transient, create.message], [400, false, 'create container web: 400 Bad Request: invalid reference format']);
    });

    it('makes a connection cut mid-answer transient', async () => {
      standIn.routes.set('GET /networks', (request) => request.socket.destroy());
      const error = await rejection(engine.listNetworks());
      assert.equal(error.transient, true);
      assert.match(error.message, /^list networks: cannot reach the engine at unix:\/\/.*docker\.sock: /);
    });
  });

  describe('pullImage', () => {
    it('fails on an error inside the progress stream, naming the image', async () => {
      standIn.routes.set('POST /images/create', (_, response) => {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        response.write('{"status":"Pulling from library/app"}\n{"errorDetail":{"message":"manifest unknown"},');
        response.end('"error":"manifest for app:9 not found: manifest unknown"}\n');
      });
      const error = await rejection(engine.pullImage('app:9'));
      assert.deepEqual([error.transient, error.message], [false, 'pull image app:9: manifest for app:9 not found: manifest unknown']);
    });

    it('says the registry is unreachable, transient, when the engine cannot dial it', async () => {
      standIn.routes.set('POST /images/create', (_, response) =>
        json(response, 500, { message: 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host' }),
      );
      const error = await rejection(engine.pullImage('app:9'));
      assert.equal(error.transient, true);
      assert.equal(error.statusCode, 500);
      assert.equal(error.message, 'pull image app:9: the registry is unreachable: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host');
    });

    it('resolves when the stream ends without an error', async () => {
      standIn.routes.set('POST /images/create', (_, response) => {
        response.writeHead(200);
        response.end('{"status":"Pulling"}\n{"status":"Status: Downloaded newer image for app:9"}\n');
      });
      await engine.pullImage('app:9');
    });
  });

  describe('listContainers', () => {
    it('inspects a container only when one of its endpoints is new, and drops one that vanished meanwhile', async () => {
      let endpointOfB = 'e-b1';
      standIn.routes.set('GET /containers/json', (_, response) => json(response, 200, [listed('a', 'e-a'), listed('b', endpointOfB), listed('gone', 'e-g')]));
      standIn.routes.set('GET /containers/a/json', (_, response) => json(response, 200, inspected('a', 'e-a', ['alpha'])));
      standIn.routes.set('GET /containers/b/json', (_, response) => json(response, 200, inspected('b', endpointOfB, [endpointOfB === 'e-b1' ? 'bravo' : 'bravo2'])));
      standIn.routes.set('GET /containers/gone/json', (_, response) => json(response, 404, { message: 'No such container: gone' }));

      const aliases = (containers: Awaited<ReturnType<DockerEngine['listContainers']>>) =>
        containers.map((container) => [container.name, container.endpoints.map((endpoint) => endpoint.aliases)]);
      assert.deepEqual(aliases(await engine.listContainers()), [['a', [['alpha']]], ['b', [['bravo']]]]);
      assert.deepEqual(standIn.requests.sort(), ['GET /containers/a/json', 'GET /containers/b/json', 'GET /containers/gone/json', 'GET /containers/json']);

      standIn.requests.length = 0;
      standIn.routes.set('GET /containers/json', (_, response) => json(response, 200, [listed('a', 'e-a'), listed('b', endpointOfB)]));
      assert.deepEqual(aliases(await engine.listContainers()), [['a', [['alpha']]], ['b', [['bravo']]]]);
      assert.deepEqual(standIn.requests, ['GET /containers/json']);

      standIn.requests.length = 0;
      endpointOfB = 'e-b2';
      assert.deepEqual(aliases(await engine.listContainers()), [['a', [['alpha']]], ['b', [['bravo2']]]]);
      assert.deepEqual(standIn.requests, ['GET /containers/json', 'GET /containers/b/json']);
    });
  });

  describe('events', () => {
    const event = (action: string, id: string, attributes: Record<string, string>) =>
      JSON.stringify({ Type: 'container', Action: action, Actor: { ID: id, Attributes: attributes }, time: 1700000000, timeNano: 1700000000123000064 });

    it('yields events split across chunks, then throws a transient error when the engine closes the stream', async () => {
      standIn.routes.set('GET /events', (_, response) => {
        response.writeHead(200, { 'Content-Type': 'application/json' });
        const first = `${event('create', 'c1', { name: 'web', image: 'img', 'io.mooring.instance': 'default' })}\n`;
        response.write(first.slice(0, 20));
        response.write(first.slice(20));
        response.write(`${JSON.stringify({ Type: 'network', Action: 'connect', Actor: { ID: 'n1', Attributes: { container: 'c1', name: 'front', type: 'bridge' } }, time: 1700000001 })}\n`);
        response.end(`${JSON.stringify({ Type: 'image', Action: 'pull', Actor: { ID: 'img' } })}\n`);
      });
      const seen: EngineEvent[] = [];
      const error = await rejection(
        (async () => {
          for await (const item of engine.events({ signal: new AbortController().signal })) seen.push(item);
        })(),
      );
      assert.deepEqual(seen, [
        { resource: 'container', change: 'created', id: 'c1', name: 'web', labels: { 'io.mooring.instance': 'default' }, time: 1700000000123 },
        { resource: 'network', change: 'connected', id: 'n1', name: 'front', labels: {}, containerId: 'c1', time: 1700000001000 },
      ]);
      assert.equal(error.transient, true);
      assert.match(error.message, /^watch engine events: the engine at unix:\/\/.* closed the event stream$/);
    });

    it('asks the engine for container, network and image events (image events only invalidate the image list)', async () => {
      let query = '';
      standIn.routes.set('GET /events', (request, response) => {
        query = decodeURIComponent(request.url ?? '');
        response.writeHead(200);
        response.end();
      });
      await rejection((async () => {
        for await (const _ of engine.events({ signal: new AbortController().signal })) void _;
      })());
      assert.match(query, /filters=\{"type":\["container","network","image"\]\}/);
    });

    it('ends quietly when the signal aborts while the stream is open', async () => {
      standIn.routes.set('GET /events', (_, response) => {
        response.writeHead(200);
        response.write(`${event('start', 'c1', { name: 'web' })}\n`);
      });
      const abort = new AbortController();
      const seen: string[] = [];
      for await (const item of engine.events({ signal: abort.signal })) {
        seen.push(item.change);
        abort.abort();
      }
      assert.deepEqual(seen, ['started']);
    });
  });

  it('demuxes a container’s log frames into stdout and stderr', () => {
    const frame = (stream: number, text: string) => {
      const payload = Buffer.from(text);
      const header = Buffer.alloc(8);
      header.writeUInt8(stream, 0);
      header.writeUInt32BE(payload.length, 4);
      return Buffer.concat([header, payload]);
    };
    assert.deepEqual(demuxLogs(Buffer.concat([frame(1, 'a\n'), frame(2, 'oops\n'), frame(1, 'b\n')])), { stdout: 'a\nb\n', stderr: 'oops\n' });
    assert.deepEqual(demuxLogs(Buffer.alloc(0)), { stdout: '', stderr: '' });
  });
});

describe('DockerEngine over TLS (stand-in)', () => {
  let server: Server;
  let port: number;
  const clientOnly: { path?: string } = {};

  before(async () => {
    server = createTlsServer(
      {
        cert: readFileSync(join(TLS_FIXTURES, 'server-cert.pem')),
        key: readFileSync(join(TLS_FIXTURES, 'server-key.pem')),
        ca: readFileSync(join(TLS_FIXTURES, 'ca.pem')),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (_, response) => json(response, 200, { Version: '20.10.24', ApiVersion: '1.41' }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    // The client's certificate without the CA: TLS that cannot verify the server.
    clientOnly.path = await mkdtemp(join(tmpdir(), 'mooring-client-'));
    for (const file of ['cert.pem', 'key.pem']) await copyFile(join(TLS_FIXTURES, file), join(clientOnly.path, file));
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    if (clientOnly.path) await rm(clientOnly.path, { recursive: true, force: true });
  });

  const engineWith = (env: NodeJS.ProcessEnv) => new DockerEngine({ env: { DOCKER_HOST: `tcp://127.0.0.1:${port}`, ...env }, logger: silentLogger() });

  it('verifies the engine against DOCKER_CERT_PATH/ca.pem and presents the client certificate (DOCKER_TLS_VERIFY)', async () => {
    assert.deepEqual(await engineWith({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: TLS_FIXTURES }).info(), { version: '20.10.24', apiVersion: '1.41' });
  });

  it('connects without verifying under DOCKER_TLS', async () => {
    assert.equal((await engineWith({ DOCKER_TLS: '1', DOCKER_CERT_PATH: clientOnly.path }).info()).version, '20.10.24');
  });

  it('refuses an engine it cannot verify, as a terminal error', async () => {
    const error = await rejection(engineWith({ DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: clientOnly.path }).info());
    assert.equal(error.transient, false);
    assert.match(error.message, /^read the engine version: .*certificate/i);
  });

  it('fails without TLS against a TLS engine', async () => {
    const error = await rejection(engineWith({}).info());
    assert.match(error.message, /^read the engine version: /);
  });
});
