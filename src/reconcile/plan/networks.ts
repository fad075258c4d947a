/** The networks phase: create what is missing, recreate what changed, and mark what cannot be used. */
import { LABELS } from '../../engine/labels.js';
import { resourceKey } from '../actions.js';
import { describeChanges } from '../format-plan.js';
import type { PlanContext } from './context.js';
import { names, takenMessage } from './context.js';
import { networkChanges } from './diff.js';
import { SWARM_UNAVAILABLE, networkRole, overlayNotRecreated } from '../overlay.js';
import { OVERLAY_DRIVER } from '../../manifests/validate-swarm.js';

export function planNetworks(plan: PlanContext): void {
  for (const network of plan.networks.values()) {
    const observed = plan.observedNetworks.get(network.name);
    const role = networkRole(network.config.driver, plan.swarm);
    if (role.type === 'unavailable') plan.markUnusable(network.resource, role.message, SWARM_UNAVAILABLE);
    if (role.type !== 'manage') continue;
    if (network.external) {
      if (!observed) plan.markUnusable(network.resource, `external network ${network.name} does not exist; mooring never creates it`);
      continue;
    }
    if (!observed) {
      plan.add({ type: 'create-network', network: network.config, ...plan.base('create-network', network.resource, `declared in ${network.source} and not present`) });
      continue;
    }
    if (!plan.owns(observed.labels)) {
      plan.markUnusable(network.resource, takenMessage('network', network.name, observed.labels));
      continue;
    }
    if (observed.labels[LABELS.specHash] === network.hash) continue;
    const changes = networkChanges(observed, network);
    if (network.config.driver === OVERLAY_DRIVER) {
      plan.problems.push({ resource: network.resource, message: overlayNotRecreated(network.name, describeChanges(changes)) });
      continue;
    }
    const attached = plan.attachedTo(observed);
    const foreign = attached.filter((container) => !plan.owns(container.labels));
    const orphaned = attached.filter((container) => plan.owns(container.labels) && plan.isKept(container));
    if (foreign.length > 0 || orphaned.length > 0) {
      const who = foreign.length > 0 ? `containers mooring does not manage are attached: ${names(foreign)}` : `containers kept while a manifest fails to load are attached: ${names(orphaned)}`;
      plan.problems.push({ resource: network.resource, message: `must be recreated (${describeChanges(changes)}) but ${who}; disconnect them first` });
      continue;
    }
    plan.add({
      type: 'recreate-network',
      network: network.config,
      networkId: observed.id,
      ...plan.base('recreate-network', network.resource, 'immutable settings changed', changes),
    });
  }
  // Networks containers join without declaring them (the built-in bridge, or ones made by hand) must exist.
  for (const container of plan.containers.values()) {
    for (const endpoint of container.endpoints) {
      if (!plan.networks.has(endpoint.network) && !plan.observedNetworks.has(endpoint.network)) {
        plan.markUnusable(resourceKey('Network', endpoint.network), `network ${endpoint.network} does not exist and no manifest declares it`);
      }
    }
  }
}
