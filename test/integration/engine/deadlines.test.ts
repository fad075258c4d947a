/**
 * Deadlines against an engine that hangs: a unix socket that accepts every
 * connection and never answers, as a dockerd stopped with SIGSTOP does (the
 * kernel accepts for it). No request may wait for ever, and none may leave its
 * connection open; the event stream, which is quiet by nature, is not cut.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server, Socket } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerEngine } from '../../../src/engine/docker/index.js';
import { EngineError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';

const DEADLINE_MS = 300;

/** How long `call` took to fail, timed from before it starts: the deadline runs from its first request. */
async function timing(call: () => Promise<unknown>): Promise<{ error: EngineError; elapsedMs: number }> {
  const started = performance.now();
  try {
    await call();
  } catch (error) {
    assert.ok(error instanceof EngineError, `expected an EngineError, got ${String(error)}`);
    return { error, elapsedMs: performance.now() - started };
  }
  assert.fail('expected a rejection');
}

describe('DockerEngine deadlines against a hung engine', function () {
  let directory: string;
  let socketPath: string;
  let server: Server;
  let open: Set<Socket>;
  /** What the engine answers on each connection: nothing, or only the start of an answer. */
  let answer: (socket: Socket) => void;
  let engine: DockerEngine;

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mooring-hung-'));
    socketPath = join(directory, 'docker.sock');
    open = new Set();
    answer = () => {};
    server = createServer((socket) => {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => {});
      socket.once('data', () => answer(socket));
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    engine = new DockerEngine({ dockerHost: `unix://${socketPath}`, env: {}, logger: silentLogger(), requestTimeoutMs: DEADLINE_MS, stopMarginMs: DEADLINE_MS, pullIdleMs: DEADLINE_MS });
  });

  afterEach(async () => {
    for (const socket of open) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
    await rm(directory, { recursive: true, force: true });
  });

  /** The client closes its side of every connection it gave up on. */
  const allClosed = async () => {
    const deadline = Date.now() + 5000;
    while (open.size > 0 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(open.size, 0, 'every connection given up on is closed');
  };

  it('gives up on lists, inspections and changes at the deadline, as a transient timeout that names the engine', async () => {
    const calls: [string, () => Promise<unknown>][] = [
      ['read the engine version', () => engine.info()],
      ['list containers', () => engine.listContainers()],
      ['list networks', () => engine.listNetworks()],
      ['inspect container web', () => engine.inspectContainer('web')],
      ['start container web', () => engine.startContainer('web')],
      ['remove container web', () => engine.removeContainer('web')],
      ['connect container web to network net', () => engine.connectNetwork('web', { network: 'net', aliases: [], links: [] })],
    ];
    const results = await Promise.all(calls.map(([, call]) => timing(call)));
    for (const [index, { error, elapsedMs }] of results.entries()) {
      const what = calls[index]![0];
      assert.equal(error.message, `${what}: the engine at unix://${socketPath} did not answer within ${DEADLINE_MS} ms`);
      assert.deepEqual([error.kind, error.transient, error.statusCode], ['timeout', true, undefined], what);
      assert.ok(elapsedMs >= DEADLINE_MS - 5 && elapsedMs < DEADLINE_MS + 2000, `${what} gave up after ${elapsedMs} ms`);
    }
    await allClosed();
  });

  it('gives up on inspecting an image at the deadline (dockerode cannot abort that request: its connection stays until the engine answers)', async () => {
    const { error, elapsedMs } = await timing(() => engine.imageExists('busybox'));
    assert.deepEqual([error.kind, error.message], ['timeout', `inspect image busybox: the engine at unix://${socketPath} did not answer within ${DEADLINE_MS} ms`]);
    assert.ok(elapsedMs < DEADLINE_MS + 2000);
  });

  it('gives a stop its own timeout plus the margin', async () => {
    const { error, elapsedMs } = await timing(() => engine.stopContainer('web', 1));
    assert.equal(error.kind, 'timeout');
    assert.match(error.message, new RegExp(`^stop container web: .* did not answer within ${1000 + DEADLINE_MS} ms$`));
    assert.ok(elapsedMs >= 1000 + DEADLINE_MS - 5, `gave up after ${elapsedMs} ms, before the stop timeout and margin`);
    await allClosed();
  });

  it('gives up on a pull whose progress stops', async () => {
    answer = (socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
    const { error, elapsedMs } = await timing(() => engine.pullImage('busybox'));
    assert.equal(error.message, `pull image busybox: the engine at unix://${socketPath} sent no progress within ${DEADLINE_MS} ms`);
    assert.equal(error.kind, 'timeout');
    assert.ok(elapsedMs >= DEADLINE_MS - 5);
    await allClosed();
  });

  it('gives up on an event stream the engine never answers, but keeps one that answered and stays quiet', async () => {
    const never = await timing(async () => {
      for await (const _ of engine.events({ signal: new AbortController().signal })) assert.fail('no event expected');
    });
    assert.equal(never.error.kind, 'timeout');
    await allClosed();

    answer = (socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n');
    const abort = new AbortController();
    let ended = false;
    const following = (async () => {
      for await (const _ of engine.events({ signal: abort.signal })) assert.fail('no event expected');
      ended = true;
    })();
    while (open.size === 0) await new Promise((resolve) => setImmediate(resolve));
    // Quiet for several deadlines, then ended by its signal, quietly.
    const quietUntil = Date.now() + 4 * DEADLINE_MS;
    while (Date.now() < quietUntil) {
      assert.equal(ended, false, 'a quiet stream stays open');
      assert.equal(open.size, 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    abort.abort();
    await following;
    await allClosed();
  });
});
