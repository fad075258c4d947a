import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { InstanceLockHolder } from '../../../src/controller/lock.js';
import { InstanceLockedError, acquireInstanceLock, findInstanceLockHolder } from '../../../src/controller/lock.js';

describe('acquireInstanceLock', () => {
  const holder = (instance: string): InstanceLockHolder => ({
    instance,
    pid: process.pid,
    startedAt: '2024-05-01T12:00:00.000Z',
    manifestsDirectory: '/etc/mooring/manifests',
    statusFile: '/var/lib/mooring/status.json',
  });

  it('refuses a second holder of the same instance, naming the first, and frees it on release', async () => {
    const instance = `lock-test-${randomBytes(4).toString('hex')}`;
    const lock = await acquireInstanceLock(holder(instance));
    const refused = await acquireInstanceLock(holder(instance)).then(
      () => assert.fail('a second lock was granted'),
      (error: unknown) => error,
    );
    assert.ok(refused instanceof InstanceLockedError);
    assert.deepEqual(refused.holder, holder(instance));
    assert.match(refused.message, new RegExp(`already runs instance "${instance}" on this host \\(pid ${process.pid}, .*status /var/lib/mooring/status.json\\)`));
    const other = await acquireInstanceLock(holder(`${instance}-other`));
    await other.release();
    await lock.release();
    const again = await acquireInstanceLock(holder(instance));
    await again.release();
  });

  it('tells who holds an instance without taking its lock, and nothing when none does', async () => {
    const instance = `lock-test-${randomBytes(4).toString('hex')}`;
    assert.equal(await findInstanceLockHolder(instance), undefined);
    const lock = await acquireInstanceLock(holder(instance));
    assert.deepEqual(await findInstanceLockHolder(instance), { holder: holder(instance) });
    assert.deepEqual(await findInstanceLockHolder(instance), { holder: holder(instance) }, 'asking leaves the lock with its holder');
    await lock.release();
    assert.equal(await findInstanceLockHolder(instance), undefined);
  });
});
