/**
 * Resources a pass leaves alone: those backing off after errors, and
 * crash-looping containers. A looping container restarted after its back-off
 * stays listed (its `retryAt` is past, so the pass does not hold it back)
 * until its run has lasted the crash window: until then it is not healthy.
 */
import { count } from '../plural.js';
import type { HoldBack } from '../status/build.js';
import type { CrashLoopTracker } from './crash-loop.js';
import { ALL, containerKey } from './keys.js';
import type { WorkQueue } from './work-queue.js';

export interface HoldBackInput {
  queue: WorkQueue<string>;
  crashLoops: CrashLoopTracker;
  /** The last error of each resource, for the message. */
  resourceErrors: ReadonlyMap<string, string>;
  /** Clock ms. */
  now: number;
}

/** By resource key (`Container/web`). */
export function resourcesHeldBack({ queue, crashLoops, resourceErrors, now }: HoldBackInput): Map<string, HoldBack> {
  const held = new Map<string, HoldBack>();
  for (const [resource, retryAt] of queue.backingOff()) {
    if (resource === ALL) continue;
    held.set(resource, {
      reason: 'BackOff',
      message: `${count(queue.failures(resource), 'failed pass')} in a row; next try at ${new Date(retryAt).toISOString()}: ${resourceErrors.get(resource) ?? ''}`,
      retryAt,
    });
  }
  for (const [container, loop] of crashLoops.looping(now)) {
    const exited = `it exited ${loop.crashes} times in a row soon after starting`;
    held.set(containerKey(container), {
      reason: 'CrashLoopBackOff',
      message: loop.retryAt > now
        ? `back-off ${Math.round((loop.retryAt - loop.lastCrashAt) / 1000)}s restarting container ${container}: ${exited}; next try at ${new Date(loop.retryAt).toISOString()}`
        : `restarted container ${container} after a back-off: ${exited}; it counts as recovered once it has run ${Math.round(crashLoops.minRunMs / 1000)}s`,
      retryAt: loop.provenAt === undefined ? loop.retryAt : Math.max(loop.retryAt, loop.provenAt),
    });
  }
  return held;
}
