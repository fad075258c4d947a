import assert from 'node:assert/strict';
import type { FieldChange, PullImageAction } from '../../../src/reconcile/actions.js';
import { describeAction, describeChange, describeChanges } from '../../../src/reconcile/format-plan.js';

describe('describeChange', () => {
  const rows: [FieldChange, string][] = [
    [{ field: 'image', from: 'a', to: 'b' }, 'image: a → b'],
    [{ field: 'env.FOO', to: 'b' }, 'env.FOO: (unset) → b'],
    [{ field: 'links', from: 'server:server' }, 'links: server:server → (unset)'],
    [{ field: 'labels.x', from: '', to: 'y' }, 'labels.x: "" → y'],
    [{ field: 'command', fromUnknown: true, to: 'sleep 20' }, 'command: changed → sleep 20'],
    [{ field: 'env.FOO', fromUnknown: true }, 'env.FOO: removed'],
  ];
  for (const [change, text] of rows) {
    it(`says ${text}`, () => assert.equal(describeChange(change), text));
  }

  it('joins several changes with semicolons', () => {
    assert.equal(describeChanges([{ field: 'a', to: '1' }, { field: 'b', from: '2', to: '3' }]), 'a: (unset) → 1; b: 2 → 3');
  });
});

describe('describeAction', () => {
  const image: PullImageAction = { type: 'pull-image', id: 'pull-image:api', resource: 'Container/api', reason: '', changes: [], dependsOn: [], container: 'api', image: 'example/api:dev', policy: 'Never' };
  it('says when an image is built rather than pulled', () => {
    assert.equal(describeAction(image), 'image example/api:dev for container api');
    assert.equal(describeAction({ ...image, build: { tag: 'example/api:dev', context: '/srv/api', files: ['Dockerfile'], dockerfile: 'Dockerfile', args: {}, labels: {} } }), 'build image example/api:dev for container api');
  });
});
