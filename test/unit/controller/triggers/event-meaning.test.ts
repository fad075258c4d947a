import assert from 'node:assert/strict';
import type { EventMeaning } from '../../../../src/controller/triggers/events.js';
import { eventMeaning } from '../../../../src/controller/triggers/events.js';
import { LABELS } from '../../../../src/engine/labels.js';
import type { ContainerEvent, EngineEvent, NetworkEvent } from '../../../../src/engine/port.js';

const INSTANCE = 'test';
const owned = (name: string) => ({ [LABELS.managedBy]: 'mooring', [LABELS.instance]: INSTANCE, [LABELS.name]: name });
const context = {
  instance: INSTANCE,
  ownedIds: new Map([['c1', 'Container/web'], ['n1', 'Network/front']]),
  declaresNetwork: (name: string) => name === 'back',
};

function event(resource: 'container', change: ContainerEvent['change'], fields?: Partial<ContainerEvent>): EngineEvent;
function event(resource: 'network', change: NetworkEvent['change'], fields?: Partial<NetworkEvent>): EngineEvent;
function event(resource: EngineEvent['resource'], change: EngineEvent['change'], fields: Partial<EngineEvent> = {}): EngineEvent {
  return { resource, change, id: 'x', labels: {}, time: 0, ...fields } as EngineEvent;
}

describe('eventMeaning: engine events to keys', () => {
  const cases: [string, EngineEvent, EventMeaning | undefined][] = [
    ['an owned container dies: drift, and a death', event('container', 'died', { labels: owned('web') }), { key: 'Container/web', drift: true, run: 'died' }],
    ['an owned container starts', event('container', 'started', { labels: owned('web') }), { key: 'Container/web', drift: true, run: 'started' }],
    ['an owned container is killed: no drift yet, a kill', event('container', 'killed', { labels: owned('web') }), { key: 'Container/web', drift: false, run: 'killed' }],
    ['its own create is no drift', event('container', 'created', { labels: owned('web') }), { key: 'Container/web', drift: false }],
    ['a container mooring does not own is ignored', event('container', 'died', { labels: { [LABELS.managedBy]: 'mooring', [LABELS.instance]: 'other' } }), undefined],
    ['a network event names the owned container it concerns', event('network', 'disconnected', { id: 'n9', containerId: 'c1' }), { key: 'Container/web', drift: true }],
    ['an owned network by id', event('network', 'destroyed', { id: 'n1' }), { key: 'Network/front', drift: true }],
    ['a declared network by name', event('network', 'destroyed', { id: 'n7', name: 'back' }), { key: 'Network/back', drift: true }],
    ['a network neither owned nor declared is ignored', event('network', 'destroyed', { id: 'n8', name: 'other' }), undefined],
  ];
  for (const [name, given, expected] of cases) {
    it(name, () => assert.deepEqual(eventMeaning(given, context), expected));
  }
});
