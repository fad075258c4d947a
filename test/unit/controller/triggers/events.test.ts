import assert from 'node:assert/strict';
import sinon from 'sinon';
import { systemClock } from '../../../../src/clock.js';
import { EngineError } from '../../../../src/errors.js';
import type { EngineEvent } from '../../../../src/engine/port.js';
import { followEngineEvents } from '../../../../src/controller/triggers/events.js';
import { FakeEngine } from '../../../support/fake-engine.js';

describe('followEngineEvents', () => {
  let clock: sinon.SinonFakeTimers;
  let engine: FakeEngine;
  let abort: AbortController;
  let log: string[];
  let events: EngineEvent[];
  let following: Promise<void>;

  beforeEach(() => {
    clock = sinon.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    engine = new FakeEngine();
    abort = new AbortController();
    log = [];
    events = [];
  });

  afterEach(async () => {
    abort.abort();
    await clock.tickAsync(0);
    await following;
    clock.restore();
  });

  function follow(options: { livenessMs?: number } = {}): void {
    following = followEngineEvents({
      ...options,
      engine,
      signal: abort.signal,
      clock: systemClock,
      backoff: { initialMs: 500, maxMs: 4000 },
      stableMs: 10_000,
      onConnect: (info) => log.push(`connect ${info.version}`),
      onEvent: (event) => events.push(event),
      onDisconnect: (error, retryInMs) => log.push(`drop ${retryInMs}: ${error.message}`),
    });
  }

  it('delivers events, and reconnects after a backoff when the stream drops', async () => {
    follow();
    await clock.tickAsync(0);
    await engine.createNetwork({ name: 'front', driver: 'bridge', internal: false, attachable: false, enableIPv6: false, options: {}, labels: {} });
    await clock.tickAsync(0);
    assert.deepEqual(events.map((event) => `${event.resource} ${event.change} ${event.name}`), ['network created front']);
    engine.endEvents(new EngineError('socket hang up', { transient: true }));
    await clock.tickAsync(0);
    assert.deepEqual(log, ['connect 20.10.24', 'drop 500: socket hang up']);
    await clock.tickAsync(500);
    assert.equal(log.at(-1), 'connect 20.10.24');
  });

  it('backs off while the engine is away, and starts over after a stable stream', async () => {
    engine.available = false;
    follow();
    await clock.tickAsync(500 + 1000 + 2000 + 4000 + 4000);
    assert.deepEqual(
      log.map((line) => line.split(':')[0]),
      ['drop 500', 'drop 1000', 'drop 2000', 'drop 4000', 'drop 4000', 'drop 4000'],
    );
    engine.available = true;
    await clock.tickAsync(4000);
    assert.equal(log.at(-1), 'connect 20.10.24');
    await clock.tickAsync(10_000);
    engine.endEvents();
    await clock.tickAsync(0);
    assert.equal(log.at(-1), 'drop 500: the engine ended its event stream');
  });

  it('drops a quiet stream whose engine no longer answers, and reconnects once it does', async () => {
    follow({ livenessMs: 3000 });
    await clock.tickAsync(3000 * 3);
    assert.deepEqual(log, ['connect 20.10.24'], 'a quiet stream whose engine answers stays up');
    const hung = new EngineError('read the engine version: the engine at unix:///x.sock did not answer within 10000 ms', { transient: true, kind: 'timeout' });
    engine.failNext('info', hung);
    await clock.tickAsync(3000);
    assert.deepEqual(log, [
      'connect 20.10.24',
      `drop 500: the engine no longer answers while its event stream is open: ${hung.message}`,
    ]);
    await clock.tickAsync(500);
    assert.equal(log.at(-1), 'connect 20.10.24');
    await engine.createNetwork({ name: 'back', driver: 'bridge', internal: false, attachable: false, enableIPv6: false, options: {}, labels: {} });
    await clock.tickAsync(0);
    assert.deepEqual(events.map((event) => `${event.change} ${event.name}`), ['created back'], 'the new stream delivers events');
  });

  it('ends quietly when aborted, also while waiting to retry', async () => {
    engine.available = false;
    follow();
    await clock.tickAsync(0);
    abort.abort();
    await following;
    assert.deepEqual(log, ['drop 500: connect ECONNREFUSED /var/run/docker.sock']);
  });
});
