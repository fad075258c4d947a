/**
 * The dependency work over the drafts of all phases: link each action to the
 * ones it needs, drop what needs something unusable, and order the rest.
 */
import type { Action, ActionType } from '../actions.js';
import { resourceKey } from '../actions.js';
import type { Draft, PlanContext } from './context.js';
import { actionId } from './context.js';
import { compare } from '../../compare.js';
import { namespaceOwner } from '../../engine/network-mode.js';

/** The order actions are listed in when dependencies leave a choice: teardown first, then build-up. */
const TYPE_ORDER: ActionType[] = [
  'disconnect',
  'stop-container',
  'remove-container',
  'remove-network',
  'remove-volume',
  'create-network',
  'create-volume',
  'recreate-network',
  'pull-image',
  'recreate-container',
  'update-container',
  'create-container',
  'connect',
  'start-container',
];

/** Sets each draft's `dependsOn` (among the planned actions) and `requires` (the resources it needs). */
export function link(plan: PlanContext): void {
  const networkAction = (network: string) => [actionId('create-network', network), actionId('recreate-network', network)];
  const made = (container: string) => [actionId('create-container', container), actionId('recreate-container', container)];
  const running = (container: string) => [...made(container), actionId('start-container', container)];
  const ofContainer = (container: string, type: ActionType) => plan.idsWhere((draft) => draft.type === type && 'container' in draft && draft.container === container);

  for (const draft of plan.drafts.values()) {
    const deps: string[] = [];
    switch (draft.type) {
      case 'create-container':
      case 'recreate-container': {
        const container = plan.containers.get(draft.container.name)!;
        const first = container.endpoints[0]?.network;
        const targets = [...container.needs.legacyLinks, ...optional(container.needs.networkModeContainer)];
        deps.push(actionId('pull-image', container.name), ...targets.flatMap(made));
        if (draft.type === 'recreate-container') deps.push(...ofContainer(container.name, 'disconnect'));
        deps.push(...container.storage.volumes.map((volume) => actionId('create-volume', volume)));
        draft.requires.push(...container.storage.volumes.map((volume) => resourceKey('Volume', volume)));
        if (first) {
          deps.push(...networkAction(first));
          draft.requires.push(resourceKey('Network', first));
        }
        draft.requires.push(...targets.map((target) => resourceKey('Container', target)));
        break;
      }
      case 'connect':
        // An endpoint's links are network-scoped: the engine accepts them before their targets exist.
        deps.push(...made(draft.container), ...networkAction(draft.endpoint.network), actionId('disconnect', draft.container, draft.endpoint.network));
        draft.requires.push(resourceKey('Network', draft.endpoint.network));
        break;
      case 'start-container': {
        const container = plan.containers.get(draft.name)!;
        const targets = [...container.needs.dependsOn, ...container.needs.legacyLinks, ...optional(container.needs.networkModeContainer)];
        deps.push(...made(draft.name), ...ofContainer(draft.name, 'connect'), ...targets.flatMap(running));
        draft.requires.push(...targets.map((target) => resourceKey('Container', target)));
        break;
      }
      case 'stop-container':
        // In reverse: whatever needs this container stops first.
        deps.push(...dependentsOf(plan, draft.name).map((name) => actionId('stop-container', name)));
        break;
      case 'remove-container':
        deps.push(...sharersOf(plan, draft).map((name) => actionId('remove-container', name)));
        break;
      case 'remove-network':
      case 'recreate-network': {
        const network = draft.type === 'remove-network' ? draft.name : draft.network.name;
        const observed = plan.observedNetworks.get(network)!;
        for (const container of plan.attachedTo(observed)) {
          deps.push(actionId('disconnect', container.name, network), actionId('remove-container', container.name));
        }
        break;
      }
      case 'remove-volume':
        // Planned with the removals of the containers that used it.
        deps.push(...draft.dependsOn);
        break;
      case 'create-network':
      case 'create-volume':
      case 'pull-image':
      case 'disconnect':
        break;
    }
    draft.dependsOn = [...new Set(deps)].filter((id) => id !== draft.id && plan.drafts.has(id)).sort();
  }
}

/** Declared containers that need `name`: they depend on it, have a legacy link to it, or share its network namespace. */
function dependentsOf(plan: PlanContext, name: string): string[] {
  return [...plan.containers.values()]
    .filter(({ needs }) => needs.dependsOn.includes(name) || needs.legacyLinks.includes(name) || needs.networkModeContainer === name)
    .map((container) => container.name);
}

/** Observed containers that share the network namespace of the container a removal is about. */
function sharersOf(plan: PlanContext, draft: Extract<Draft, { type: 'remove-container' }>): string[] {
  return plan.allContainers.filter((container) => namespaceOwner(container.networkMode) === draft.name).map((container) => container.name);
}

/** Drops every action that needs an unusable resource or a dropped action, and says so on its resource. */
export function dropUnusable(plan: PlanContext): void {
  const { drafts, unusable, problems } = plan;
  const skipped = new Map<string, string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const draft of drafts.values()) {
      const blocker = draft.requires.find((resource) => unusable.has(resource));
      const failedDep = draft.dependsOn.find((id) => !drafts.has(id));
      if (!blocker && !failedDep) continue;
      const why = blocker ? `needs ${blocker}: ${unusable.get(blocker)!}` : skipped.get(failedDep!)!;
      drafts.delete(draft.id);
      skipped.set(draft.id, why);
      changed = true;
      if (!problems.some((problem) => problem.resource === draft.resource)) {
        const reason = problems.find((problem) => problem.resource === blocker)?.reason;
        problems.push({ resource: draft.resource, message: `skipped: ${why}`, ...(reason === undefined ? {} : { reason }) });
      }
      if (draft.type === 'create-container' || draft.type === 'recreate-container') {
        unusable.set(draft.resource, `it is not created (${why})`);
      }
    }
  }
  // An image is only wanted for a container about to be created.
  for (const draft of [...drafts.values()]) {
    if (draft.type !== 'pull-image') continue;
    const made = [actionId('create-container', draft.container), actionId('recreate-container', draft.container)];
    if (!made.some((id) => drafts.has(id))) drafts.delete(draft.id);
  }
}

/** Dependencies first; among actions whose dependencies are done, by type and then by id. A cycle is a problem on each of its actions. */
export function order(plan: PlanContext): Action[] {
  const { drafts } = plan;
  const waiting = new Map([...drafts.values()].map((draft) => [draft.id, new Set(draft.dependsOn)]));
  const dependents = new Map<string, string[]>();
  for (const draft of drafts.values()) {
    for (const id of draft.dependsOn) {
      const list = dependents.get(id);
      if (list === undefined) dependents.set(id, [draft.id]);
      else list.push(draft.id);
    }
  }
  const rank = new Map([...drafts.values()].map((draft) => [draft.id, TYPE_ORDER.indexOf(draft.type)]));
  const before = (a: string, b: string) => rank.get(a)! - rank.get(b)! || compare(a, b);
  // Kept sorted with the next to take last: sorting every ready action again at each step made a cold plan of 500 containers quadratic.
  const ready = [...waiting].filter(([, deps]) => deps.size === 0).map(([id]) => id).sort((a, b) => before(b, a));
  const ordered: Action[] = [];
  while (ready.length > 0) {
    const id = ready.pop()!;
    waiting.delete(id);
    const { requires: _requires, ...action } = drafts.get(id)!;
    ordered.push(action as Action);
    for (const dependent of dependents.get(id) ?? []) {
      const deps = waiting.get(dependent)!;
      deps.delete(id);
      if (deps.size === 0) ready.splice(placeFor(ready, dependent, before), 0, dependent);
    }
  }
  for (const [id, deps] of waiting) {
    const draft = drafts.get(id)!;
    plan.problems.push({ resource: draft.resource, message: `skipped ${id}: its dependencies form a cycle (${[...deps].join(', ')})` });
  }
  return ordered;
}

/** Where `id` goes in `ready`, sorted by `before` from last to first. */
function placeFor(ready: readonly string[], id: string, before: (a: string, b: string) => number): number {
  let low = 0;
  let high = ready.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (before(ready[middle]!, id) > 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

function optional<T>(value: T | undefined): T[] {
  return value === undefined ? [] : [value];
}
