/** Events: what arrives, with what, in what order, on a subscription made before the action. */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import type { Contract } from './contract.js';
import { KILLED } from './contract.js';
import { EventLog } from './event-log.js';

export function eventCases(c: Contract): void {
  describe('events', () => {
    let log: EventLog;
    beforeEach(async () => {
      log = await EventLog.subscribe(c.engine, () => c.network(`warm-${randomInt(1e9)}`));
    });
    afterEach(() => log.close());

    it('reports start, die, connect, disconnect and destroy, container events with the container labels', async () => {
      const net = await c.network('ev-net');
      const wanted = await c.container('ev', {}, { start: true });
      const id = (await c.inspected(wanted.name)).id;
      await c.engine.connectNetwork(wanted.name, { network: net.name, aliases: ['ev'], links: [] });
      await c.engine.disconnectNetwork(wanted.name, net.name);
      await c.engine.stopContainer(wanted.name, 1);
      await c.engine.removeContainer(wanted.name);

      for (const action of ['create', 'start', 'die', 'destroy']) {
        const event = await log.next((event) => event.type === 'container' && event.action === action && event.id === id);
        assert.equal(event.name, wanted.name);
        assert.deepEqual(event.labels, wanted.labels, `${action} carries the labels`);
      }
      for (const action of ['connect', 'disconnect']) {
        const event = await log.next((event) => event.type === 'network' && event.action === action && event.containerId === id && event.name === net.name);
        assert.ok(event.id, `${action} names the network`);
        assert.deepEqual(event.labels, {}, 'network events carry no labels');
      }
    });

    it('reports a network created and destroyed, by name, without labels', async () => {
      const net = await c.network('ev-life');
      await c.engine.removeNetwork(net.name);
      for (const action of ['create', 'destroy']) {
        const event = await log.next((event) => event.type === 'network' && event.action === action && event.name === net.name);
        assert.deepEqual(event.labels, {}, `${action} carries no labels`);
      }
    });

    it('a stop, and the removal of a running container, send kill before die: a death that was asked for', async () => {
      const stopped = await c.container('ev-stop', {}, { start: true });
      const removed = await c.container('ev-rm', {}, { start: true });
      const ids = [(await c.inspected(stopped.name)).id, (await c.inspected(removed.name)).id];
      await c.engine.stopContainer(stopped.name, 1);
      await c.engine.removeContainer(removed.name);
      for (const [index, id] of ids.entries()) {
        const actions = ['kill', 'die', index === 0 ? 'stop' : 'destroy'];
        for (const action of actions) await log.next((event) => event.type === 'container' && event.action === action && event.id === id);
        // Docker sends a second kill (SIGKILL) when the process outlives the stop timeout.
        const seen = log.actions(id).filter((action) => actions.includes(action));
        assert.deepEqual([...new Set(seen)], actions, `${index === 0 ? 'stop' : 'remove'}: ${seen.join(', ')}`);
      }
    });

    it('after a die event, inspect shows the container exited', async () => {
      const wanted = await c.container('die', {}, { start: true });
      const id = (await c.inspected(wanted.name)).id;
      await c.kill(wanted.name);
      await log.next((event) => event.type === 'container' && event.action === 'die' && event.id === id);
      const observed = await c.inspected(wanted.name);
      assert.equal(observed.status, 'exited');
      assert.equal(observed.exitCode, KILLED);
    });
  });
}
