import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import sinon from 'sinon';
import { EngineError, TerminalError } from '../../../src/errors.js';
import { createLogger, silentLogger } from '../../../src/log.js';
import { systemClock } from '../../../src/clock.js';
import type { ActionOutcome } from '../../../src/reconcile/apply.js';
import { STOPPING, apply } from '../../../src/reconcile/apply.js';
import { FakeEngine } from '../../support/fake-engine.js';
import { IMAGE, container, desiredState, network } from './fixtures.js';
import { converge, planFor } from './helpers.js';
import { reported, reportedOutcome } from './reported.js';

const transient = () => new EngineError('connect ECONNRESET', { transient: true });
const terminal = () => new EngineError('invalid config', { statusCode: 400, transient: false });

function outcomeOf(result: { outcomes: ActionOutcome[] }, id: string) {
  const outcome = result.outcomes.find((candidate) => candidate.action.id === id);
  assert.ok(outcome, `expected an outcome for ${id}`);
  return outcome;
}

describe('apply', () => {
  it('retries transient engine errors with backoff and succeeds', async () => {
    const engine = new FakeEngine();
    engine.failNext('createContainer', transient(), { times: 2 });
    const create = sinon.spy(engine, 'createContainer');
    const result = await converge(engine, desiredState([container('web')]));
    assert.equal(create.callCount, 3);
    assert.ok(result.converged);
    assert.equal(engine.container('web')?.status, 'running');
  });

  it('gives up after its retries, and says the failure may pass', async () => {
    const engine = new FakeEngine();
    engine.failNext('createNetwork', transient(), { times: 10 });
    const result = await converge(engine, desiredState([network('front')]));
    assert.equal(engine.calls.filter((call) => call.method === 'createNetwork').length, 4);
    assert.deepEqual(result.errors.map(reported), [{ resource: 'Network/front', message: 'create-network:front failed: connect ECONNRESET', terminal: false }]);
  });

  for (const [name, error] of [['an engine 4xx', terminal()], ['a TerminalError', new TerminalError('bad')]] as const) {
    it(`does not retry ${name}`, async () => {
      const engine = new FakeEngine();
      engine.failNext('createContainer', error);
      const create = sinon.spy(engine, 'createContainer');
      const result = await converge(engine, desiredState([container('web')]));
      assert.equal(create.callCount, 1);
      assert.equal(result.converged, false);
      assert.equal(reported(result.errors[0])?.terminal, true);
    });
  }

  describe('a container the engine refuses to start for good (it kept the task of an interrupted start)', () => {
    const unstartable = () => new EngineError('start container web: 500 Internal Server Error: task 0123abcd: already exists', { statusCode: 500, transient: false, kind: 'unstartable' });

    for (const status of ['created', 'exited'] as const) {
      it(`is replaced by a new one, started, when it is ${status}`, async () => {
      const engine = new FakeEngine();
      await converge(engine, desiredState([container('web')]));
        engine.setStatus('web', status, 137);
        const old = engine.container('web')!.id;
        engine.failNext('startContainer', unstartable());
        engine.clearCalls();
        const result = await converge(engine, desiredState([container('web')]));
        assert.ok(result.converged, JSON.stringify(result.errors));
        assert.deepEqual(engine.mutatingCalls().map((call) => call.method), ['startContainer', 'removeContainer', 'createContainer', 'startContainer']);
        assert.notEqual(engine.container('web')?.id, old);
        assert.equal(engine.container('web')?.status, 'running');
      });
    }

    it('fails once, not retried, when another container is bound to it by id', async () => {
      const engine = new FakeEngine();
      const desired = desiredState([container('main'), container('sidecar', { networkMode: 'container:main' })]);
      await converge(engine, desired);
      await engine.stopContainer('sidecar', 1);
      await engine.stopContainer('main', 1);
      engine.failNext('startContainer', unstartable(), { times: 10, when: (name) => name === 'main' });
      engine.clearCalls();
      const result = await converge(engine, desired);
      assert.deepEqual(engine.mutatingCalls().map((call) => `${call.method} ${String(call.args[0])}`), ['startContainer main']);
      assert.equal(reported(result.errors.find((error) => error.resource === 'Container/main'))?.terminal, true);
      assert.match(result.errors[0]?.message ?? '', /already exists/);
    });
  });

  it('does not retry a request the engine did not answer in time within the pass; the failure may pass', async () => {
    const engine = new FakeEngine();
    engine.failNext('createContainer', new EngineError('create container web: the engine at unix:///x did not answer within 10000 ms', { transient: true, kind: 'timeout' }), { times: 10 });
    const result = await converge(engine, desiredState([container('web')]));
    assert.equal(engine.calls.filter((call) => call.method === 'createContainer').length, 1);
    assert.equal(reported(result.errors[0])?.terminal, false);
  });

  it("one resource's failure stops only what depends on it", async () => {
    const engine = new FakeEngine();
    engine.failNext('createContainer', terminal(), { when: (config) => (config as { name: string }).name === 'broken' });
    const result = await converge(engine, desiredState([container('broken'), container('after', { dependsOn: ['broken'] }), container('fine')]));
    assert.equal(engine.container('fine')?.status, 'running');
    assert.equal(engine.container('after')?.status, 'created');
    const start = outcomeOf(result, 'start-container:after');
    assert.equal(start.ok, false);
    assert.equal(start.skipped, true);
    assert.match(start.error?.message ?? '', /create-container:broken failed: invalid config/);
    assert.deepEqual(result.errors.map((error) => error.resource).sort(), ['Container/after', 'Container/broken']);
  });

  it('skips the containers of a network that could not be created', async () => {
    const engine = new FakeEngine();
    engine.failNext('createNetwork', terminal());
    const result = await converge(engine, desiredState([network('front'), container('web', { networks: [{ name: 'front' }] }), container('solo')]));
    assert.equal(engine.container('web'), undefined);
    assert.equal(engine.container('solo')?.status, 'running');
    assert.match(outcomeOf(result, 'create-container:web').error?.message ?? '', /create-network:front failed/);
  });

  it('runs independent actions in parallel, never more than the concurrency at once', async () => {
    const engine = new FakeEngine();
    const names = Array.from({ length: 10 }, (_, i) => `c${i}`);
    const planned = await planFor(engine, desiredState(names.map((name) => container(name))));
    let inFlight = 0;
    let most = 0;
    const original = engine.createContainer.bind(engine);
    sinon.stub(engine, 'createContainer').callsFake(async (config) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return original(config);
    });
    const outcomes = await apply({ engine, logger: silentLogger(), clock: systemClock, actions: planned.actions, concurrency: 3 });
    assert.ok(outcomes.every((outcome) => outcome.ok));
    assert.equal(most, 3);
  });

  it('rejects a concurrency that is not a positive integer', async () => {
    await assert.rejects(apply({ engine: new FakeEngine(), logger: silentLogger(), clock: systemClock, actions: [], concurrency: 0 }), /Expected `concurrency` to be an integer >= 1, got 0/);
  });

  it('leaves held-back resources and their dependents alone', async () => {
    const engine = new FakeEngine();
    const result = await converge(engine, desiredState([container('db'), container('api', { dependsOn: ['db'] }), container('other')]), { holdBack: new Set(['Container/db']) });
    assert.equal(engine.container('db'), undefined);
    assert.equal(engine.container('other')?.status, 'running');
    assert.equal(outcomeOf(result, 'create-container:db').error?.message, 'Container/db is held back');
    assert.equal(result.converged, false);
    assert.deepEqual(result.errors.map(reported).map((error) => [error?.resource, error?.terminal]), [['Container/api', false]]);
  });

  describe('images', () => {
    it('IfNotPresent pulls a missing image, once for all the containers that use it', async () => {
      const engine = new FakeEngine({ images: [], pullable: [IMAGE] });
      const pull = sinon.spy(engine, 'pullImage');
      const result = await converge(engine, desiredState([container('a'), container('b')]));
      assert.ok(result.converged);
      assert.equal(pull.callCount, 1);
    });

    it('IfNotPresent does not pull an image that is present', async () => {
      const engine = new FakeEngine();
      const pull = sinon.spy(engine, 'pullImage');
      await converge(engine, desiredState([container('a')]));
      assert.equal(pull.callCount, 0);
    });

    it('Always pulls before creating', async () => {
      const engine = new FakeEngine({ pullable: [IMAGE] });
      const pull = sinon.spy(engine, 'pullImage');
      await converge(engine, desiredState([container('a', { pullPolicy: 'Always' })]));
      assert.equal(pull.callCount, 1);
    });

    it('Never with a missing image is a terminal error on that container only', async () => {
      const engine = new FakeEngine({ images: [IMAGE] });
      const pull = sinon.spy(engine, 'pullImage');
      const result = await converge(engine, desiredState([container('a', { image: 'missing:1', pullPolicy: 'Never' }), container('b')]));
      assert.equal(pull.callCount, 0);
      assert.equal(engine.container('b')?.status, 'running');
      assert.deepEqual(result.errors.map(reported), [{ resource: 'Container/a', message: 'pull-image:a failed: expected image missing:1 to be present (pullPolicy Never), got none', terminal: true }]);
    });

    it('a failed pull is an error on that container only, and keeps the old container running', async () => {
      const engine = new FakeEngine();
      await converge(engine, desiredState([container('a'), container('b')]));
      const before = engine.container('a')!.id;
      const result = await converge(engine, desiredState([container('a', { image: 'unreachable:2' }), container('b', { env: { X: '1' } })]));
      assert.equal(engine.container('a')?.id, before);
      assert.equal(engine.container('a')?.status, 'running');
      assert.equal(engine.container('b')?.status, 'running');
      assert.deepEqual(result.errors.map((error) => error.resource), ['Container/a']);
      assert.match(result.errors[0]!.message, /pull access denied for unreachable:2/);
    });
  });

  it('logs every action with kind, name, reason and duration', async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        callback();
      },
    });
    const engine = new FakeEngine();
    engine.failNext('startContainer', terminal());
    const planned = await planFor(engine, desiredState([network('front'), container('web', { networks: [{ name: 'front' }] })]));
    await apply({ engine, logger: createLogger({ format: 'json', stream, level: 'debug' }), clock: systemClock, actions: planned.actions, pass: 7 });
    const info = lines.find((line) => line.message === 'created network front');
    assert.ok(info, JSON.stringify(lines));
    assert.equal(info.level, 'info');
    assert.equal(info.kind, 'Network');
    assert.equal(info.name, 'front');
    assert.equal(info.pass, 7);
    assert.match(String(info.reason), /not present/);
    assert.equal(typeof info.durationMs, 'number');
    assert.ok(lines.some((line) => line.level === 'debug' && line.message === 'engine createContainer' && line.name === 'web'));
    const failure = lines.find((line) => line.level === 'error');
    assert.equal(failure?.message, 'start-container:web failed: invalid config');
  });

  describe('stopping: a begun sequence runs to its end, one not begun is skipped', () => {
    type Held = 'stopContainer' | 'imageExists' | 'disconnectNetwork';

    /** The first call of `method` waits until `release()`; `entered` resolves once it waits. */
    function hold(engine: FakeEngine, method: Held): { entered: Promise<unknown[]>; release: () => void } {
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      let enter!: (args: unknown[]) => void;
      const entered = new Promise<unknown[]>((resolve) => (enter = resolve));
      const target = engine as unknown as Record<Held, (...args: unknown[]) => Promise<unknown>>;
      const original = target[method].bind(engine);
      let held = false;
      sinon.stub(target, method).callsFake(async (...args: unknown[]) => {
        if (!held) {
          held = true;
          enter(args);
          await released;
        }
        return original(...args);
      });
      return { entered, release };
    }

    /** Applies `desired` over what `engine` runs; aborts once `held` is entered, then releases it. */
    async function applyStopping(engine: FakeEngine, desired: ReturnType<typeof desiredState>, method: Held, options: { concurrency?: number } = {}) {
      const planned = await planFor(engine, desired);
      const held = hold(engine, method);
      const abort = new AbortController();
      const finishing: string[][] = [];
      engine.clearCalls();
      const applying = apply({
        engine,
        logger: silentLogger(),
        clock: systemClock,
        actions: planned.actions,
        retry: { minTimeoutMs: 1, maxTimeoutMs: 1 },
        signal: abort.signal,
        onStopping: (resources) => finishing.push(resources),
        ...options,
      });
      const heldArgs = await held.entered;
      abort.abort();
      held.release();
      return { outcomes: await applying, finishing, heldArgs, called: () => engine.mutatingCalls().map((call) => call.method) };
    }

    const twoNetworks = (env: Record<string, string>) =>
      desiredState([network('front'), network('back'), container('web', { env, networks: [{ name: 'front' }, { name: 'back' }] })]);

    it('a recreate begun before the abort still creates, connects and starts the container', async () => {
      const engine = new FakeEngine();
      await converge(engine, twoNetworks({ V: '1' }));
      const before = engine.container('web')!.id;
      const result = await applyStopping(engine, twoNetworks({ V: '2' }), 'stopContainer');
      assert.deepEqual(result.called(), ['stopContainer', 'removeContainer', 'createContainer', 'connectNetwork', 'startContainer']);
      assert.ok(result.outcomes.every((outcome) => outcome.ok), JSON.stringify(result.outcomes.map((outcome) => [outcome.action.id, outcome.error])));
      const after = engine.container('web')!;
      assert.notEqual(after.id, before);
      assert.equal(after.status, 'running');
      assert.deepEqual(after.endpoints.map((endpoint) => endpoint.network).sort(), ['back', 'front']);
      assert.ok(engine.containerConfig('web')?.env.includes('V=2'));
      assert.deepEqual(result.finishing, [['Container/web']]);
    });

    it('a recreate not begun at the abort changes nothing: the old container keeps running', async () => {
      const engine = new FakeEngine();
      await converge(engine, twoNetworks({ V: '1' }));
      const before = engine.container('web')!;
      const result = await applyStopping(engine, twoNetworks({ V: '2' }), 'imageExists');
      assert.deepEqual(result.called(), []);
      assert.deepEqual(engine.container('web'), before);
      assert.equal(outcomeOf(result, 'pull-image:web').ok, true, 'the check in flight finishes');
      for (const id of ['recreate-container:web', 'connect:web:back', 'start-container:web']) {
        assert.deepEqual({ ...reportedOutcome(outcomeOf(result, id)), action: undefined }, { action: undefined, ok: false, skipped: true, terminal: false, error: STOPPING, durationMs: 0 });
      }
      assert.deepEqual(result.finishing, [[]]);
    });

    it('finishes only the sequences begun; the others are skipped whole', async () => {
      const engine = new FakeEngine();
      const desired = (env: Record<string, string>) => desiredState([container('a', { env }), container('b', { env })]);
      await converge(engine, desired({ V: '1' }));
      const ids = { a: engine.container('a')!.id, b: engine.container('b')!.id };
      const result = await applyStopping(engine, desired({ V: '2' }), 'stopContainer', { concurrency: 1 });
      const begun = result.heldArgs[0] === ids.a ? 'a' : 'b';
      const other = begun === 'a' ? 'b' : 'a';
      assert.equal(engine.container(begun)?.status, 'running');
      assert.notEqual(engine.container(begun)?.id, ids[begun]);
      assert.equal(engine.container(other)?.id, ids[other], `${other} is left as it was`);
      assert.equal(engine.container(other)?.status, 'running');
      assert.equal(outcomeOf(result, `recreate-container:${other}`).error?.message, STOPPING);
      assert.deepEqual(result.finishing, [[`Container/${begun}`]]);
    });

    it('what a begun sequence depends on runs too: containers disconnected for a network recreate are connected again', async () => {
      const engine = new FakeEngine();
      const desired = (subnet: string) =>
        desiredState([network('back', { ipam: { subnet } }), container('a', { networks: [{ name: 'back', aliases: ['first'] }] }), container('b', { networks: [{ name: 'back' }] })]);
      await converge(engine, desired('10.77.0.0/24'));
      const result = await applyStopping(engine, desired('10.78.0.0/24'), 'disconnectNetwork', { concurrency: 1 });
      assert.ok(result.outcomes.every((outcome) => outcome.ok), JSON.stringify(result.outcomes.map((outcome) => [outcome.action.id, outcome.error])));
      const back = engine.network('back')!;
      assert.equal(back.ipam?.subnet, '10.78.0.0/24');
      for (const name of ['a', 'b']) assert.deepEqual(engine.container(name)?.endpoints.map((endpoint) => endpoint.networkId), [back.id], `${name} is on the new network`);
      assert.deepEqual(engine.container('a')?.endpoints[0]?.aliases, ['first']);
      assert.deepEqual(result.finishing[0]?.slice().sort(), ['Container/a', 'Container/b', 'Network/back']);
    });

    it('a begun sequence keeps retrying transient failures after the abort', async () => {
      const engine = new FakeEngine();
      await converge(engine, twoNetworks({ V: '1' }));
      engine.failNext('createContainer', transient(), { times: 2 });
      const result = await applyStopping(engine, twoNetworks({ V: '2' }), 'stopContainer');
      assert.equal(engine.calls.filter((call) => call.method === 'createContainer').length, 3);
      assert.equal(engine.container('web')?.status, 'running');
      assert.ok(result.outcomes.every((outcome) => outcome.ok));
    });

    it('an action in flight of a sequence not begun finishes its attempt but is not retried', async () => {
      const engine = new FakeEngine();
      await converge(engine, twoNetworks({ V: '1' }));
      const before = engine.container('web')!;
      engine.failNext('imageExists', transient(), { times: 10 });
      const result = await applyStopping(engine, twoNetworks({ V: '2' }), 'imageExists');
      assert.equal(engine.calls.filter((call) => call.method === 'imageExists').length, 1);
      const pull = outcomeOf(result, 'pull-image:web');
      assert.equal(pull.ok, false);
      assert.equal(reportedOutcome(pull).terminal, false);
      assert.deepEqual(engine.container('web'), before);
    });

    it('an abort before apply starts skips everything', async () => {
      const engine = new FakeEngine();
      const planned = await planFor(engine, desiredState([container('web')]));
      const finishing: string[][] = [];
      const outcomes = await apply({ engine, logger: silentLogger(), clock: systemClock, actions: planned.actions, signal: AbortSignal.abort(), onStopping: (resources) => finishing.push(resources) });
      assert.ok(outcomes.every((outcome) => outcome.skipped && outcome.error?.message === STOPPING));
      assert.deepEqual(engine.mutatingCalls(), []);
      assert.deepEqual(finishing, [[]]);
    });
  });
});
