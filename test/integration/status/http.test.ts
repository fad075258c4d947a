import assert from 'node:assert/strict';
import { request } from 'node:http';
import { silentLogger } from '../../../src/log.js';
import type { StatusServer } from '../../../src/status/http.js';
import { startStatusServer } from '../../../src/status/http.js';
import { renderMetrics } from '../../../src/status/metrics.js';
import type { FileWrite, Status } from '../../../src/status/model.js';
import { sampleStatus } from '../../unit/status/status-fixture.js';

interface Answer {
  status: number;
  contentType: string | undefined;
  body: string;
}

function get(address: string, path: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, `http://${address}`);
    const outgoing = request(url, { method }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, contentType: response.headers['content-type'], body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('startStatusServer', () => {
  let server: StatusServer | undefined;
  let status: Status | undefined;
  let ready: boolean;
  let writes: FileWrite[];

  beforeEach(async () => {
    status = undefined;
    ready = false;
    writes = [];
    server = await startStatusServer({ listen: '127.0.0.1:0', logger: silentLogger(), getStatus: () => status, isReady: () => ready, fileWrites: () => writes });
  });

  afterEach(async () => {
    await server?.close();
  });

  it('listens on the port it was given, or a free one for port 0', () => {
    assert.match(server?.address ?? '', /^127\.0\.0\.1:[1-9]\d*$/);
  });

  it('answers /healthz while it serves, before the first sync too', async () => {
    assert.deepEqual(await get(server!.address, '/healthz'), { status: 200, contentType: 'text/plain; charset=utf-8', body: 'ok\n' });
  });

  it('answers /healthz with 200 and a body that names each file that cannot be written; /metrics says so too', async () => {
    writes = [
      { file: '/var/lib/mooring/status.json', failure: { error: 'EROFS: read-only file system', since: '2024-05-01T12:00:00.000Z', count: 7 } },
      { file: '/var/lib/node-exporter/mooring.prom' },
    ];
    assert.deepEqual(await get(server!.address, '/healthz'), {
      status: 200,
      contentType: 'text/plain; charset=utf-8',
      body:
        'degraded: reconciling goes on, but the status cannot be written\n' +
        'writing /var/lib/mooring/status.json fails since 2024-05-01T12:00:00.000Z (7 in a row): EROFS: read-only file system\n',
    });
    status = sampleStatus();
    const metrics = (await get(server!.address, '/metrics')).body;
    assert.match(metrics, /^mooring_status_write_success\{file="\/var\/lib\/mooring\/status\.json"\} 0$/m);
    assert.match(metrics, /^mooring_status_write_success\{file="\/var\/lib\/node-exporter\/mooring\.prom"\} 1$/m);
    writes = [{ file: '/var/lib/mooring/status.json' }];
    assert.equal((await get(server!.address, '/healthz')).body, 'ok\n');
  });

  it('answers /readyz with 503 until the first sync, then 200', async () => {
    assert.equal((await get(server!.address, '/readyz')).status, 503);
    ready = true;
    assert.equal((await get(server!.address, '/readyz')).status, 200);
  });

  it('serves the metrics in the Prometheus text format', async () => {
    assert.equal((await get(server!.address, '/metrics')).status, 503);
    status = sampleStatus();
    const answer = await get(server!.address, '/metrics');
    assert.equal(answer.status, 200);
    assert.equal(answer.contentType, 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(answer.body, renderMetrics(status));
  });

  it('serves the status as JSON', async () => {
    status = sampleStatus();
    const answer = await get(server!.address, '/status?pretty');
    assert.equal(answer.status, 200);
    assert.equal(answer.contentType, 'application/json; charset=utf-8');
    assert.deepEqual(JSON.parse(answer.body), status);
  });

  it('answers HEAD without a body, 404 for other paths and 405 for other methods', async () => {
    assert.deepEqual(await get(server!.address, '/healthz', 'HEAD'), { status: 200, contentType: 'text/plain; charset=utf-8', body: '' });
    assert.equal((await get(server!.address, '/nope')).status, 404);
    assert.equal((await get(server!.address, '/healthz', 'POST')).status, 405);
  });

  it('answers 500 and keeps serving when the status cannot be read', async () => {
    await server?.close();
    server = await startStatusServer({
      listen: '127.0.0.1:0',
      logger: silentLogger(),
      getStatus: () => {
        throw new Error('boom');
      },
      isReady: () => true,
    });
    assert.equal((await get(server.address, '/status')).status, 500);
    assert.equal((await get(server.address, '/healthz')).status, 200);
  });

  it('rejects a listen address it cannot parse, and one that is taken', async () => {
    await assert.rejects(startStatusServer({ listen: 'localhost', logger: silentLogger(), getStatus: () => undefined, isReady: () => true }), /Expected `listen` to be host:port/);
    await assert.rejects(startStatusServer({ listen: server!.address, logger: silentLogger(), getStatus: () => undefined, isReady: () => true }), /EADDRINUSE/);
  });

  it('listens on IPv6 loopback in brackets', async () => {
    const v6 = await startStatusServer({ listen: '[::1]:0', logger: silentLogger(), getStatus: () => undefined, isReady: () => true });
    try {
      assert.match(v6.address, /^\[::1\]:\d+$/);
      assert.equal((await get(v6.address, '/healthz')).status, 200);
    } finally {
      await v6.close();
    }
  });
});
