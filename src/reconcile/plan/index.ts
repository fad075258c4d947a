/**
 * The planner: a pure function from the desired state and what the engine runs
 * to the actions that make them equal, each with its reason and dependencies.
 * Nothing here calls the engine, reads a clock or logs.
 *
 * The phases run in this order, each adding drafts to one shared context:
 * networks, containers (with cascading recreates, endpoints, state), prune,
 * volumes and network teardown; then the graph links, drops and orders them.
 */
import type { Plan } from '../actions.js';
import type { PlanOptions } from './context.js';
import { PlanContext } from './context.js';
import { planContainers } from './containers.js';
import { dropUnusable, link, order } from './graph.js';
import { planNetworks } from './networks.js';
import { planNetworkTeardown, planPrune } from './prune.js';
import { planVolumes } from './volumes.js';
import { bindsSecretFiles } from '../effective-storage.js';

export type { PlanOptions } from './context.js';

export function plan(options: PlanOptions): Plan {
  const context = new PlanContext(options);
  planNetworks(context);
  planContainers(context);
  planPrune(context);
  planVolumes(context);
  planNetworkTeardown(context);
  link(context);
  dropUnusable(context);
  const actions = order(context);
  // An empty list for a container that binds secret files no more: its old ones are removed.
  const secretFiles = Object.fromEntries(
    [...context.containers.values()]
      .filter((container) => !context.unusable.has(container.resource))
      .filter((container) => container.storage.secretFiles.length > 0 || bindsSecretFiles({ container: context.observedContainers.get(container.name), stateDir: options.stateDir, instance: options.instance }))
      .map((container) => [container.name, container.storage.secretFiles]),
  );
  return {
    actions,
    problems: context.problems,
    kept: context.kept,
    ...(context.waiting.length > 0 && { waiting: context.waiting }),
    ...(context.pruneRefused === undefined ? {} : { pruneRefused: context.pruneRefused }),
    ...(Object.keys(secretFiles).length > 0 && { secretFiles }),
  };
}
