import assert from 'node:assert/strict';
import type { Action, Plan } from '../../../src/reconcile/actions.js';
import { RemovalGrace } from '../../../src/reconcile/removal-grace.js';

function action(type: Action['type'], id: string, dependsOn: string[] = []): Action {
  const [, name] = id.split(':');
  const resource = type.endsWith('network') ? `Network/${name}` : `Container/${name}`;
  return { type, id, resource, reason: 'no manifest declares it', changes: [], dependsOn, name, containerId: 'c', networkId: 'n', stopTimeoutSeconds: 10 } as unknown as Action;
}

const plan = (actions: Action[]): Plan => ({ actions, problems: [], kept: [] });

describe('RemovalGrace', () => {
  const removal = () => plan([
    action('create-container', 'create-container:new'),
    action('remove-container', 'remove-container:old'),
    action('remove-network', 'remove-network:net', ['remove-container:old']),
  ]);

  it('holds a removal, and what waits for it, until it has been planned for the delay without a break', () => {
    const grace = new RemovalGrace({ delayMs: 10_000 });
    const first = grace.gate(removal(), 1000);
    assert.deepEqual(first.actions.map((candidate) => candidate.id), ['create-container:new']);
    assert.deepEqual(first.kept.map((kept) => [kept.resource, kept.removeAt]), [['Container/old', 11_000], ['Network/net', 11_000]]);
    assert.match(first.kept[0]!.reason, /^removal pending: no manifest declares it; removed at .* if still undeclared \(prune delay 10s\)$/);
    assert.equal(grace.gate(removal(), 10_999).actions.length, 1);
    assert.deepEqual(grace.gate(removal(), 11_000).actions.map((candidate) => candidate.id), ['create-container:new', 'remove-container:old', 'remove-network:net']);
  });

  it('starts the grace over for a removal that stopped being planned', () => {
    const grace = new RemovalGrace({ delayMs: 10_000 });
    grace.gate(removal(), 0);
    grace.gate(plan([]), 5000);
    assert.deepEqual(grace.gate(removal(), 12_000).kept.map((kept) => kept.removeAt), [22_000, 22_000]);
  });

  it('passes a plan without removals through unchanged', () => {
    const grace = new RemovalGrace();
    const unchanged = plan([action('create-container', 'create-container:new')]);
    assert.equal(grace.gate(unchanged, 0), unchanged);
  });

  it('refuses a delay that is not a finite number >= 0', () => {
    assert.throws(() => new RemovalGrace({ delayMs: -1 }), /Expected `delayMs` to be a finite number >= 0, got -1/);
  });
});
