/**
 * `dependsOn` with a condition (issue 15): a dependent is started only once
 * its dependency is `healthy` (its healthcheck passes) or `completed` (it
 * exited with 0). Pure, for the planner: the wait is part of the plan's
 * ordering, never a sleep. A dependent whose dependency is not ready is left
 * unstarted and listed as waiting; a later pass, woken by the dependency's
 * health or exit event, starts it.
 */
import type { ObservedContainer } from '../../engine/port.js';
import type { Waiting } from '../actions.js';
import type { ConditionalDependency } from '../effective-runtime.js';

/** Whether what runs as `observed` meets the condition now; one about to be (re)created or started does not. */
export function dependencyReady(condition: ConditionalDependency['condition'], observed: ObservedContainer | undefined, changing: boolean): boolean {
  if (!observed || changing) return false;
  if (condition === 'healthy') return observed.status === 'running' && observed.health === 'healthy';
  return completed(observed);
}

/** Exited with 0: a one-shot that did its work. */
export function completed(observed: ObservedContainer): boolean {
  return observed.status === 'exited' && observed.exitCode === 0;
}

/**
 * Whether a container that exited with 0 is left exited: its restart policy
 * (`no`, `on-failure`) would not restart it either, as a one-shot that did
 * its work. mooring still starts again one that failed, or was stopped by a
 * signal (exit 137, 143), as it repairs any other drift.
 */
export function runsOnce(restartPolicy: string): boolean {
  return restartPolicy === 'no' || restartPolicy === 'on-failure';
}

/** Why `resource` waits, naming each dependency that is not ready yet. */
export function waitingFor(resource: string, unready: ConditionalDependency[]): Waiting {
  const what = unready.map(({ name, condition }) => `container ${name} is not ${condition === 'healthy' ? 'healthy' : 'completed (exited with 0)'} yet`);
  return { resource, reason: 'WaitingForDependency', message: `${what.join('; ')}; started once it is` };
}
