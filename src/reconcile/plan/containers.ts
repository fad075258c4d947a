/**
 * The containers phase: create, recreate (with the containers bound to a
 * recreated one by id), reconnect endpoints, and bring each to its declared state.
 */
import type { EndpointConfig, ObservedContainer } from '../../engine/port.js';
import { isAnonymousVolume } from '../../engine/volumes.js';
import { LABELS } from '../../engine/labels.js';
import type { FieldChange } from '../actions.js';
import type { EffectiveContainer } from '../effective-config.js';
import type { PlanContext } from './context.js';
import { actionId, stopTimeoutOf, takenMessage } from './context.js';
import { containerChanges, endpointChanges } from './diff.js';
import { completed, dependencyReady, runsOnce, waitingFor } from './depends.js';
import { inPlaceStep } from './update.js';
import { buildNeeded, imageMoved } from './images.js';

type Fresh = 'created' | 'recreated';

const RUNNING_STATES = new Set(['running', 'restarting', 'paused']);

export function planContainers(plan: PlanContext): void {
  const fresh = new Map<string, Fresh>();
  for (const container of plan.containers.values()) {
    const observed = plan.observedContainers.get(container.name);
    const problem = container.storage.problem ?? container.build?.problem;
    if (problem) {
      plan.markUnusable(container.resource, problem);
      continue;
    }
    if (observed && !plan.owns(observed.labels)) {
      plan.markUnusable(container.resource, takenMessage('container', container.name, observed.labels));
      continue;
    }
    if (!observed) {
      addPull(plan, container);
      plan.add({ type: 'create-container', container: container.config, ...plan.base('create-container', container.resource, `declared in ${container.source} and not present`) });
      fresh.set(container.name, 'created');
    } else if (observed.status === 'dead') {
      addRecreate(plan, container, observed, 'the container is dead', []);
      fresh.set(container.name, 'recreated');
    } else {
      const labelChanges = observed.labels[LABELS.specHash] === container.hash ? [] : containerChanges(observed, container);
      const rebuild = container.build && buildNeeded(container.build, plan.images);
      const moved = rebuild ? `its image is built anew: ${rebuild}` : imageMoved(container.config.image, observed, plan.images);
      const step = moved ? { kind: 'recreate' as const, reason: moved } : inPlaceStep({ container, observed, labelChanges });
      if (step.kind === 'recreate') {
        addRecreate(plan, container, observed, step.reason, labelChanges);
        fresh.set(container.name, 'recreated');
      } else if (step.kind === 'update') {
        plan.add({
          type: 'update-container',
          name: container.name,
          containerId: observed.id,
          update: step.update,
          ...plan.base('update-container', container.resource, 'in place', step.changes),
        });
      }
    }
  }
  cascadeRecreates(plan, fresh);
  for (const container of plan.containers.values()) {
    if (plan.unusable.has(container.resource)) continue;
    const observed = plan.observedContainers.get(container.name);
    planEndpoints(plan, container, fresh.has(container.name) ? undefined : observed);
    planState(plan, container, fresh.get(container.name), observed, new Set(fresh.keys()));
  }
}

/**
 * A container that shares another's network namespace, or has a legacy link to it, is bound to that
 * container's id: once it is replaced, the engine cannot even start the dependent again.
 */
function cascadeRecreates(plan: PlanContext, fresh: Map<string, Fresh>): void {
  for (let changed = true; changed; ) {
    changed = false;
    for (const container of plan.containers.values()) {
      const observed = plan.observedContainers.get(container.name);
      if (fresh.has(container.name) || !observed || !plan.owns(observed.labels) || plan.unusable.has(container.resource)) continue;
      const { networkModeContainer, legacyLinks } = container.needs;
      const reason = networkModeContainer && fresh.has(networkModeContainer)
        ? `it shares the network namespace of container ${networkModeContainer}, which is ${fresh.get(networkModeContainer)}`
        : legacyLinks.filter((target) => fresh.has(target)).map((target) => `it has a legacy link to container ${target}, which is ${fresh.get(target)}`)[0];
      if (!reason) continue;
      addRecreate(plan, container, observed, reason, []);
      fresh.set(container.name, 'recreated');
      changed = true;
    }
  }
}

function addPull(plan: PlanContext, container: EffectiveContainer): void {
  const { build } = container;
  const rebuild = build && buildNeeded(build, plan.images);
  const what = { IfNotPresent: 'pulled only when missing', Always: 'pulled before every creation', Never: 'must be present; never pulled' }[container.pullPolicy];
  plan.add({
    type: 'pull-image',
    container: container.name,
    image: container.config.image,
    // A built image is never pulled: its tag names what mooring built.
    policy: build ? 'Never' : container.pullPolicy,
    ...(rebuild && build.problem === undefined && { build: build.request }),
    ...plan.base('pull-image', container.resource, !build ? `pullPolicy ${container.pullPolicy}: ${what}` : rebuild ? `built: ${rebuild}` : 'built by mooring; the local image is current'),
  });
}

function addRecreate(plan: PlanContext, container: EffectiveContainer, observed: ObservedContainer, reason: string, changes: FieldChange[]): void {
  addPull(plan, container);
  // As `docker compose` does: the new container gets the old one's anonymous volumes (an image's VOLUME), so a recreate never empties them.
  const declared = new Set((container.config.mounts ?? []).map((mount) => mount.target));
  const carried = (observed.mounts ?? []).filter((mount) => isAnonymousVolume(mount) && !declared.has(mount.target));
  const config = carried.length === 0 ? container.config : {
    ...container.config,
    mounts: [...(container.config.mounts ?? []), ...carried.map((mount) => ({ type: 'volume' as const, source: mount.name!, target: mount.target, readOnly: mount.readOnly }))],
  };
  const keeps = carried.map((mount) => `${mount.target} (anonymous volume ${mount.name!.slice(0, 12)})`).join(', ');
  plan.add({
    type: 'recreate-container',
    container: config,
    containerId: observed.id,
    stopTimeoutSeconds: stopTimeoutOf(observed),
    ...plan.base('recreate-container', container.resource, carried.length === 0 ? reason : `${reason}; keeps the old container's ${keeps}`, changes),
  });
}

/** `observed` is undefined for a container about to be created: it joins its first network at creation. */
function planEndpoints(plan: PlanContext, container: EffectiveContainer, observed: ObservedContainer | undefined): void {
  if (!observed) {
    for (const endpoint of container.endpoints.slice(1)) addConnect(plan, container, endpoint, `joins network ${endpoint.network}`);
    return;
  }
  if (container.creation.networkMode) return;
  const current = new Map(observed.endpoints.map((endpoint) => [endpoint.network, endpoint]));
  for (const endpoint of container.endpoints) {
    const now = current.get(endpoint.network);
    if (plan.drafts.get(actionId('recreate-network', endpoint.network))) {
      const reason = `network ${endpoint.network} is recreated; reconnect with all its aliases`;
      if (now) plan.addDisconnect(container.resource, container.name, endpoint.network, reason);
      addConnect(plan, container, endpoint, reason);
    } else if (!now) {
      addConnect(plan, container, endpoint, `not connected to network ${endpoint.network}`);
    } else {
      const changes = endpointChanges(endpoint, now);
      if (changes.length === 0) continue;
      plan.addDisconnect(container.resource, container.name, endpoint.network, 'endpoint settings changed; reconnect', changes);
      addConnect(plan, container, endpoint, 'endpoint settings changed', changes);
    }
  }
  const wanted = new Set(container.endpoints.map((endpoint) => endpoint.network));
  for (const endpoint of observed.endpoints) {
    if (!wanted.has(endpoint.network)) {
      plan.addDisconnect(container.resource, container.name, endpoint.network, `no manifest attaches it to network ${endpoint.network}`);
    }
  }
}

function addConnect(plan: PlanContext, container: EffectiveContainer, endpoint: EndpointConfig, reason: string, changes: FieldChange[] = []): void {
  const details = [
    endpoint.aliases.length > 0 ? `aliases ${endpoint.aliases.join(', ')}` : '',
    endpoint.ipv4Address ? `ipv4 ${endpoint.ipv4Address}` : '',
    endpoint.links.length > 0 ? `links ${endpoint.links.join(', ')}` : '',
  ].filter(Boolean);
  plan.add({
    type: 'connect',
    container: container.name,
    endpoint,
    ...plan.base('connect', container.resource, details.length > 0 ? `${reason} (${details.join('; ')})` : reason, changes, endpoint.network),
  });
}

/** `changing`: the containers this plan creates or recreates, which meet no dependency condition yet. */
function planState(plan: PlanContext, container: EffectiveContainer, fresh: Fresh | undefined, observed: ObservedContainer | undefined, changing: ReadonlySet<string>): void {
  if (container.state === 'running') {
    const unready = container.waitsFor.filter(({ name, condition }) => !dependencyReady(condition, plan.observedContainers.get(name), changing.has(name)));
    const wouldStart = fresh !== undefined || (observed !== undefined && ['created', 'exited', 'paused'].includes(observed.status));
    if (wouldStart && unready.length > 0) {
      plan.waiting.push(waitingFor(container.resource, unready));
      return;
    }
    // A one-shot that did its work is left exited: its restart policy says so, or others wait on it to complete.
    if (!fresh && observed && completed(observed) && (runsOnce(container.config.restartPolicy.name) || awaitedToComplete(plan, container.name))) return;
    if (fresh) {
      plan.add({ type: 'start-container', name: container.name, ...plan.base('start-container', container.resource, `${fresh}; state: running`) });
    } else if (observed && (observed.status === 'created' || observed.status === 'exited' || observed.status === 'paused')) {
      // One that others are bound to by id is left alone: a new id would strand them.
      const replaceable = observed.status !== 'paused' && !boundByOthers(plan, container.name);
      plan.add({
        type: 'start-container',
        name: container.name,
        ...(observed.status === 'paused' ? { unpause: true } : {}),
        ...(replaceable && { replaceIfUnstartable: { container: container.config, containerId: observed.id } }),
        ...plan.base('start-container', container.resource, `the container is ${observed.status}; state: running`),
      });
    }
  } else if (!fresh && observed && RUNNING_STATES.has(observed.status)) {
    plan.add({
      type: 'stop-container',
      name: container.name,
      stopTimeoutSeconds: container.config.stopTimeoutSeconds,
      ...plan.base('stop-container', container.resource, `the container is ${observed.status}; state: stopped`),
    });
  }
}

function awaitedToComplete(plan: PlanContext, name: string): boolean {
  return [...plan.containers.values()].some(({ waitsFor }) => waitsFor.some((entry) => entry.name === name && entry.condition === 'completed'));
}

/** Whether another declared container shares this one's network namespace or has a legacy link to it: both name its id. */
function boundByOthers(plan: PlanContext, name: string): boolean {
  return [...plan.containers.values()].some(({ needs }) => needs.networkModeContainer === name || needs.legacyLinks.includes(name));
}
