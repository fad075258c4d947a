import assert from 'node:assert/strict';
import { takenMessage } from '../../../../src/reconcile/plan/context.js';

describe('a name that Compose holds', () => {
  it('names the Compose project and the command that frees it, keeping its volumes', () => {
    assert.equal(
      takenMessage('container', 'shop-web-1', { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' }),
      'the name shop-web-1 is taken by a container of Compose project "shop"; it is left untouched: `docker compose -p shop down` frees it and keeps named volumes',
    );
    assert.equal(takenMessage('network', 'shop_default', {}), 'the name shop_default is taken by a network mooring does not manage; it is left untouched');
  });
});
