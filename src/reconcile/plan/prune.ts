/**
 * The prune phase: remove owned resources no manifest declares, unless pruning
 * is refused or a manifest that fails to load may declare them; and the
 * teardown that disconnects containers from networks about to go.
 */
import { LABELS } from '../../engine/labels.js';
import { resourceKey } from '../actions.js';
import type { PlanContext } from './context.js';
import { actionId, names, stopTimeoutOf } from './context.js';

export function planPrune(plan: PlanContext): void {
  const referenced = new Set([...plan.containers.values()].flatMap((container) => container.endpoints.map((endpoint) => endpoint.network)));
  const containers = plan.allContainers.filter((container) => plan.owns(container.labels) && !plan.containers.has(container.name));
  const networks = [...plan.observedNetworks.values()].filter(
    (network) => plan.owns(network.labels) && !plan.networks.has(network.name) && !referenced.has(network.name),
  );
  if (containers.length + networks.length === 0) return;
  if (plan.declaresNothing()) {
    plan.pruneRefused =
      `no manifest declares anything, yet ${containers.length} container(s) and ${networks.length} network(s) carry the labels of instance "${plan.instance}": ` +
      'refusing to remove them; pass --allow-empty to remove them';
    return;
  }
  const unavailable = plan.unavailableSources();
  const undeclared = (labels: Record<string, string>) => {
    const source = labels[LABELS.source] ?? '';
    return `no manifest declares it${source ? ` (it came from ${source})` : ''}`;
  };
  for (const container of containers) {
    const resource = resourceKey('Container', container.name);
    if (unavailable !== undefined) {
      plan.kept.push({ resource, reason: unavailable });
      continue;
    }
    plan.add({
      type: 'remove-container',
      name: container.name,
      containerId: container.id,
      stopTimeoutSeconds: stopTimeoutOf(container),
      ...plan.base('remove-container', resource, undeclared(container.labels)),
    });
  }
  for (const network of networks) {
    const resource = resourceKey('Network', network.name);
    if (unavailable !== undefined) {
      plan.kept.push({ resource, reason: unavailable });
      continue;
    }
    const foreign = plan.attachedTo(network).filter((container) => !plan.owns(container.labels));
    if (foreign.length > 0) {
      plan.problems.push({ resource, message: `no manifest declares it, but containers mooring does not manage are attached: ${names(foreign)}; it is kept` });
      continue;
    }
    plan.add({ type: 'remove-network', name: network.name, networkId: network.id, ...plan.base('remove-network', resource, undeclared(network.labels)) });
  }
}

/** Every container still attached to a network about to be removed or recreated is disconnected first. */
export function planNetworkTeardown(plan: PlanContext): void {
  for (const draft of plan.drafts.values()) {
    if (draft.type !== 'recreate-network' && draft.type !== 'remove-network') continue;
    const network = draft.type === 'remove-network' ? draft.name : draft.network.name;
    const observed = plan.observedNetworks.get(network);
    if (!observed) continue;
    for (const container of plan.attachedTo(observed)) {
      if (plan.drafts.has(actionId('remove-container', container.name))) continue;
      const reason = draft.type === 'remove-network' ? `network ${network} is removed` : `network ${network} is recreated`;
      plan.addDisconnect(resourceKey('Container', container.name), container.name, network, reason);
    }
  }
}
