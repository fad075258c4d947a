/** Events: what arrives, with what, in what order, on a subscription made before the action. */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import type { ContainerChange } from '../../src/engine/port.js';
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

    it('reports created, started, died, connected, disconnected and destroyed, container events with the container labels', async () => {
      const net = await c.network('ev-net');
      const wanted = await c.container('ev', {}, { start: true });
      const id = (await c.inspected(wanted.name)).id;
      await c.engine.connectNetwork(wanted.name, { network: net.name, aliases: ['ev'], links: [] });
      await c.engine.disconnectNetwork(wanted.name, net.name);
      await c.engine.stopContainer(wanted.name, 1);
      await c.engine.removeContainer(wanted.name);

      for (const change of ['created', 'started', 'died', 'destroyed'] as const) {
        const event = await log.next((event) => event.resource === 'container' && event.change === change && event.id === id);
        assert.equal(event.name, wanted.name);
        assert.deepEqual(event.labels, wanted.labels, `${change} carries the labels`);
      }
      for (const change of ['connected', 'disconnected'] as const) {
        const event = await log.next((event) => event.resource === 'network' && event.change === change && event.containerId === id && event.name === net.name);
        assert.ok(event.id, `${change} names the network`);
        assert.deepEqual(event.labels, {}, 'network events carry no labels');
      }
    });

    it('reports a network created and destroyed, by name, without labels', async () => {
      const net = await c.network('ev-life');
      await c.engine.removeNetwork(net.name);
      for (const change of ['created', 'destroyed'] as const) {
        const event = await log.next((event) => event.resource === 'network' && event.change === change && event.name === net.name);
        assert.deepEqual(event.labels, {}, `${change} carries no labels`);
      }
    });

    it('a stop, and the removal of a running container, report killed before died: a death that was asked for', async () => {
      const stopped = await c.container('ev-stop', {}, { start: true });
      const removed = await c.container('ev-rm', {}, { start: true });
      const ids = [(await c.inspected(stopped.name)).id, (await c.inspected(removed.name)).id];
      await c.engine.stopContainer(stopped.name, 1);
      await c.engine.removeContainer(removed.name);
      for (const [index, id] of ids.entries()) {
        const changes: ContainerChange[] = ['killed', 'died', index === 0 ? 'stopped' : 'destroyed'];
        for (const change of changes) await log.next((event) => event.resource === 'container' && event.change === change && event.id === id);
        // Docker sends a second kill (SIGKILL) when the process outlives the stop timeout.
        const seen = log.changes(id).filter((change) => changes.includes(change));
        assert.deepEqual([...new Set(seen)], changes, `${index === 0 ? 'stop' : 'remove'}: ${seen.join(', ')}`);
      }
    });

    it('after a died event, inspect shows the container exited', async () => {
      const wanted = await c.container('die', {}, { start: true });
      const id = (await c.inspected(wanted.name)).id;
      await c.kill(wanted.name);
      await log.next((event) => event.resource === 'container' && event.change === 'died' && event.id === id);
      const observed = await c.inspected(wanted.name);
      assert.equal(observed.status, 'exited');
      assert.equal(observed.exitCode, KILLED);
    });
  });
}
