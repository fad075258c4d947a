import assert from 'node:assert/strict';
import { swarmState } from '../../../../src/engine/docker/mapping.js';

describe('the swarm state from GET /info', () => {
  const cases: { title: string; swarm: { LocalNodeState?: string; ControlAvailable?: boolean; Error?: string } | undefined; expected: ReturnType<typeof swarmState> }[] = [
    { title: 'a manager', swarm: { LocalNodeState: 'active', ControlAvailable: true }, expected: { hostname: 'h', active: true, manager: true } },
    { title: 'a worker', swarm: { LocalNodeState: 'active', ControlAvailable: false }, expected: { hostname: 'h', active: true, manager: false } },
    { title: 'in no swarm', swarm: { LocalNodeState: 'inactive' }, expected: { hostname: 'h', active: false, manager: false, message: 'This node is not part of a swarm' } },
    { title: 'an engine that says nothing of swarms', swarm: undefined, expected: { hostname: 'h', active: false, manager: false, message: 'This node is not part of a swarm' } },
    {
      title: 'an error, in the engine\u2019s words',
      swarm: { LocalNodeState: 'error', ControlAvailable: true, Error: 'rpc error: code = Unavailable' },
      expected: { hostname: 'h', active: false, manager: false, message: 'rpc error: code = Unavailable' },
    },
    { title: 'locked, without words', swarm: { LocalNodeState: 'locked' }, expected: { hostname: 'h', active: false, manager: false, message: 'the swarm state of this node is locked' } },
  ];
  for (const { title, swarm, expected } of cases) {
    it(title, () => assert.deepEqual(swarmState({ Name: 'h', ...(swarm === undefined ? {} : { Swarm: swarm }) }), expected));
  }
});
