/**
 * The planner: a pure function from the desired state and what the engine runs
 * to the actions that make them equal, each with its reason and dependencies.
 * Nothing here calls the engine, reads a clock or logs.
 */
import type { DesiredState } from '../manifests/model.js';
import type { EndpointConfig, ObservedContainer, ObservedEndpoint, ObservedNetwork, ObservedVolume } from '../engine/port.js';
import { isAnonymousVolume } from '../engine/volumes.js';
import { planVolumes } from './plan-volumes.js';
import { LABELS, MANAGED_BY, isMooringLabel, isOwnedBy } from '../engine/labels.js';
import { canonicalJson } from '../engine/spec-hash.js';
import type { Action, ActionType, FieldChange, Kept, Plan, Problem } from './actions.js';
import { resourceKey } from './actions.js';
import type { CreationSpec, EffectiveContainer, EffectiveNetwork } from './effective-config.js';
import { bindingString, effectiveContainer, effectiveNetwork, fieldDigest, normalizeImage } from './effective-config.js';
import type { ObservedState } from './observe.js';
import { compare } from '../compare.js';
import { DEFAULT_STOP_TIMEOUT_SECONDS } from '../manifests/schema.js';

export interface PlanOptions {
  desired: DesiredState;
  observed: ObservedState;
  instance: string;
  /**
   * Prune even when no manifest declares anything. Without it, an empty or
   * missing manifests directory never removes what mooring runs.
   * @default false
   */
  allowEmpty?: boolean;
  /** Where secret files are written (`--state-dir`); containers with secrets need it. */
  stateDir?: string;
}

/** An action while planning: `requires` names the resources that must be usable for it to make sense. */
type Draft = Action & { requires: string[] };

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
  'create-container',
  'connect',
  'start-container',
];

const RUNNING_STATES = new Set(['running', 'restarting', 'paused']);

export function plan(options: PlanOptions): Plan {
  return new Planner(options).build();
}

class Planner {
  readonly #desired: DesiredState;
  readonly #instance: string;
  readonly #allowEmpty: boolean;
  readonly #observedNetworks: Map<string, ObservedNetwork>;
  readonly #observedContainers: Map<string, ObservedContainer>;
  readonly #allContainers: ObservedContainer[];
  readonly #observedVolumes: ObservedVolume[] | undefined;
  readonly #networks: Map<string, EffectiveNetwork>;
  readonly #containers: Map<string, EffectiveContainer>;

  readonly #drafts = new Map<string, Draft>();
  readonly #problems: Problem[] = [];
  readonly #kept: Kept[] = [];
  /** Resources that cannot be used, with the reason: actions that need them are dropped. */
  readonly #unusable = new Map<string, string>();
  #pruneRefused: string | undefined;

  constructor(options: PlanOptions) {
    const { desired, observed, instance } = options;
    this.#desired = desired;
    this.#instance = instance;
    this.#allowEmpty = options.allowEmpty ?? false;
    this.#observedNetworks = new Map(observed.networks.map((network) => [network.name, network]));
    this.#observedContainers = new Map(observed.containers.map((container) => [container.name, container]));
    this.#allContainers = observed.containers;
    this.#observedVolumes = observed.volumes;
    this.#networks = new Map(desired.networks.map((document) => [document.name, effectiveNetwork({ document, instance })]));
    this.#containers = new Map(desired.containers.map((document) => [document.name, effectiveContainer({ document, desired, instance, stateDir: options.stateDir })]));
  }

  build(): Plan {
    this.#planNetworks();
    this.#planContainers();
    this.#planPrune();
    this.#planVolumes();
    this.#planNetworkTeardown();
    this.#link();
    this.#dropUnusable();
    const actions = this.#order();
    const secretFiles = Object.fromEntries(
      [...this.#containers.values()].filter((container) => container.storage.secretFiles.length > 0 && !this.#unusable.has(container.resource)).map((container) => [container.name, container.storage.secretFiles]),
    );
    return {
      actions,
      problems: this.#problems,
      kept: this.#kept,
      ...(this.#pruneRefused === undefined ? {} : { pruneRefused: this.#pruneRefused }),
      ...(Object.keys(secretFiles).length > 0 && { secretFiles }),
    };
  }

  // ── networks ─────────────────────────────────────────────────────────────

  #planNetworks(): void {
    for (const network of this.#networks.values()) {
      const observed = this.#observedNetworks.get(network.name);
      if (network.external) {
        if (!observed) this.#markUnusable(network.resource, `external network ${network.name} does not exist; mooring never creates it`);
        continue;
      }
      if (!observed) {
        this.#add({ type: 'create-network', network: network.config, ...this.#base('create-network', network.resource, `declared in ${network.source} and not present`) });
        continue;
      }
      if (!this.#owns(observed.labels)) {
        this.#markUnusable(network.resource, takenMessage('network', network.name, observed.labels));
        continue;
      }
      if (observed.labels[LABELS.specHash] === network.hash) continue;
      const changes = networkChanges(observed, network);
      const attached = this.#attachedTo(observed);
      const foreign = attached.filter((container) => !this.#owns(container.labels));
      const orphaned = attached.filter((container) => this.#owns(container.labels) && this.#isKept(container));
      if (foreign.length > 0 || orphaned.length > 0) {
        const who = foreign.length > 0 ? `containers mooring does not manage are attached: ${names(foreign)}` : `containers kept while a manifest fails to load are attached: ${names(orphaned)}`;
        this.#problems.push({ resource: network.resource, message: `must be recreated (${describeChanges(changes)}) but ${who}; disconnect them first` });
        continue;
      }
      this.#add({
        type: 'recreate-network',
        network: network.config,
        networkId: observed.id,
        ...this.#base('recreate-network', network.resource, 'immutable settings changed', changes),
      });
    }
    // Networks containers join without declaring them (the built-in bridge, or ones made by hand) must exist.
    for (const container of this.#containers.values()) {
      for (const endpoint of container.endpoints) {
        if (!this.#networks.has(endpoint.network) && !this.#observedNetworks.has(endpoint.network)) {
          this.#markUnusable(resourceKey('Network', endpoint.network), `network ${endpoint.network} does not exist and no manifest declares it`);
        }
      }
    }
  }

  // ── containers ───────────────────────────────────────────────────────────

  #planContainers(): void {
    const fresh = new Map<string, 'created' | 'recreated'>();
    for (const container of this.#containers.values()) {
      const observed = this.#observedContainers.get(container.name);
      if (container.storage.problem) {
        this.#markUnusable(container.resource, container.storage.problem);
        continue;
      }
      if (observed && !this.#owns(observed.labels)) {
        this.#markUnusable(container.resource, takenMessage('container', container.name, observed.labels));
        continue;
      }
      if (!observed) {
        this.#addPull(container);
        this.#add({ type: 'create-container', container: container.config, ...this.#base('create-container', container.resource, `declared in ${container.source} and not present`) });
        fresh.set(container.name, 'created');
      } else if (observed.status === 'dead') {
        this.#addRecreate(container, observed, 'the container is dead', []);
        fresh.set(container.name, 'recreated');
      } else if (observed.labels[LABELS.specHash] !== container.hash) {
        this.#addRecreate(container, observed, 'spec changed', containerChanges(observed, container));
        fresh.set(container.name, 'recreated');
      }
    }
    // A container that shares another's network namespace, or has a legacy link to it, is bound to that
    // container's id: once it is replaced, the engine cannot even start the dependent again.
    for (let changed = true; changed; ) {
      changed = false;
      for (const container of this.#containers.values()) {
        const observed = this.#observedContainers.get(container.name);
        if (fresh.has(container.name) || !observed || !this.#owns(observed.labels) || this.#unusable.has(container.resource)) continue;
        const { networkModeContainer, legacyLinks } = container.needs;
        const reason = networkModeContainer && fresh.has(networkModeContainer)
          ? `it shares the network namespace of container ${networkModeContainer}, which is ${fresh.get(networkModeContainer)}`
          : legacyLinks.filter((target) => fresh.has(target)).map((target) => `it has a legacy link to container ${target}, which is ${fresh.get(target)}`)[0];
        if (!reason) continue;
        this.#addRecreate(container, observed, reason, []);
        fresh.set(container.name, 'recreated');
        changed = true;
      }
    }
    for (const container of this.#containers.values()) {
      if (this.#unusable.has(container.resource)) continue;
      const observed = this.#observedContainers.get(container.name);
      this.#planEndpoints(container, fresh.has(container.name) ? undefined : observed);
      this.#planState(container, fresh.get(container.name), observed);
    }
  }

  #addPull(container: EffectiveContainer): void {
    const what = { IfNotPresent: 'pulled only when missing', Always: 'pulled before every creation', Never: 'must be present; never pulled' }[container.pullPolicy];
    this.#add({
      type: 'pull-image',
      container: container.name,
      image: container.config.image,
      policy: container.pullPolicy,
      ...this.#base('pull-image', container.resource, `pullPolicy ${container.pullPolicy}: ${what}`),
    });
  }

  #addRecreate(container: EffectiveContainer, observed: ObservedContainer, reason: string, changes: FieldChange[]): void {
    this.#addPull(container);
    // As `docker compose` does: the new container gets the old one's anonymous volumes (an image's VOLUME), so a recreate never empties them.
    const declared = new Set((container.config.mounts ?? []).map((mount) => mount.target));
    const carried = (observed.mounts ?? []).filter((mount) => isAnonymousVolume(mount) && !declared.has(mount.target));
    const config = carried.length === 0 ? container.config : {
      ...container.config,
      mounts: [...(container.config.mounts ?? []), ...carried.map((mount) => ({ type: 'volume' as const, source: mount.name!, target: mount.target, readOnly: mount.readOnly }))],
    };
    const keeps = carried.map((mount) => `${mount.target} (anonymous volume ${mount.name!.slice(0, 12)})`).join(', ');
    this.#add({
      type: 'recreate-container',
      container: config,
      containerId: observed.id,
      stopTimeoutSeconds: stopTimeoutOf(observed),
      ...this.#base('recreate-container', container.resource, carried.length === 0 ? reason : `${reason}; keeps the old container's ${keeps}`, changes),
    });
  }

  /** `observed` is undefined for a container about to be created: it joins its first network at creation. */
  #planEndpoints(container: EffectiveContainer, observed: ObservedContainer | undefined): void {
    if (!observed) {
      for (const endpoint of container.endpoints.slice(1)) this.#addConnect(container, endpoint, `joins network ${endpoint.network}`);
      return;
    }
    if (container.creation.networkMode) return;
    const current = new Map(observed.endpoints.map((endpoint) => [endpoint.network, endpoint]));
    for (const endpoint of container.endpoints) {
      const now = current.get(endpoint.network);
      if (this.#drafts.get(actionId('recreate-network', endpoint.network))) {
        const reason = `network ${endpoint.network} is recreated; reconnect with all its aliases`;
        if (now) this.#addDisconnect(container.resource, container.name, endpoint.network, reason);
        this.#addConnect(container, endpoint, reason);
      } else if (!now) {
        this.#addConnect(container, endpoint, `not connected to network ${endpoint.network}`);
      } else {
        const changes = endpointChanges(endpoint, now);
        if (changes.length === 0) continue;
        this.#addDisconnect(container.resource, container.name, endpoint.network, 'endpoint settings changed; reconnect', changes);
        this.#addConnect(container, endpoint, 'endpoint settings changed', changes);
      }
    }
    const wanted = new Set(container.endpoints.map((endpoint) => endpoint.network));
    for (const endpoint of observed.endpoints) {
      if (!wanted.has(endpoint.network)) {
        this.#addDisconnect(container.resource, container.name, endpoint.network, `no manifest attaches it to network ${endpoint.network}`);
      }
    }
  }

  #addConnect(container: EffectiveContainer, endpoint: EndpointConfig, reason: string, changes: FieldChange[] = []): void {
    const details = [
      endpoint.aliases.length > 0 ? `aliases ${endpoint.aliases.join(', ')}` : '',
      endpoint.ipv4Address ? `ipv4 ${endpoint.ipv4Address}` : '',
      endpoint.links.length > 0 ? `links ${endpoint.links.join(', ')}` : '',
    ].filter(Boolean);
    this.#add({
      type: 'connect',
      container: container.name,
      endpoint,
      ...this.#base('connect', container.resource, details.length > 0 ? `${reason} (${details.join('; ')})` : reason, changes, endpoint.network),
    });
  }

  #addDisconnect(resource: string, container: string, network: string, reason: string, changes: FieldChange[] = []): void {
    if (this.#drafts.has(actionId('disconnect', container, network))) return;
    this.#add({ type: 'disconnect', container, network, ...this.#base('disconnect', resource, reason, changes, network) });
  }

  #planState(container: EffectiveContainer, fresh: 'created' | 'recreated' | undefined, observed: ObservedContainer | undefined): void {
    if (container.state === 'running') {
      if (fresh) {
        this.#add({ type: 'start-container', name: container.name, ...this.#base('start-container', container.resource, `${fresh}; state: running`) });
      } else if (observed && (observed.status === 'created' || observed.status === 'exited' || observed.status === 'paused')) {
        // One that others are bound to by id is left alone: a new id would strand them.
        const replaceable = observed.status !== 'paused' && !this.#boundByOthers(container.name);
        this.#add({
          type: 'start-container',
          name: container.name,
          ...(observed.status === 'paused' ? { unpause: true } : {}),
          ...(replaceable && { replaceIfUnstartable: { container: container.config, containerId: observed.id } }),
          ...this.#base('start-container', container.resource, `the container is ${observed.status}; state: running`),
        });
      }
    } else if (!fresh && observed && RUNNING_STATES.has(observed.status)) {
      this.#add({
        type: 'stop-container',
        name: container.name,
        stopTimeoutSeconds: container.config.stopTimeoutSeconds,
        ...this.#base('stop-container', container.resource, `the container is ${observed.status}; state: stopped`),
      });
    }
  }

  /** Whether another declared container shares this one's network namespace or has a legacy link to it: both name its id. */
  #boundByOthers(name: string): boolean {
    return [...this.#containers.values()].some(({ needs }) => needs.networkModeContainer === name || needs.legacyLinks.includes(name));
  }

  // ── prune ────────────────────────────────────────────────────────────────

  #planPrune(): void {
    const referenced = new Set([...this.#containers.values()].flatMap((container) => container.endpoints.map((endpoint) => endpoint.network)));
    const containers = this.#allContainers.filter((container) => this.#owns(container.labels) && !this.#containers.has(container.name));
    const networks = [...this.#observedNetworks.values()].filter(
      (network) => this.#owns(network.labels) && !this.#networks.has(network.name) && !referenced.has(network.name),
    );
    if (containers.length + networks.length === 0) return;
    if (this.#declaresNothing()) {
      this.#pruneRefused =
        `no manifest declares anything, yet ${containers.length} container(s) and ${networks.length} network(s) carry the labels of instance "${this.#instance}": ` +
        'refusing to remove them; pass --allow-empty to remove them';
      return;
    }
    const unavailable = this.#unavailableSources();
    for (const container of containers) {
      const resource = resourceKey('Container', container.name);
      const source = container.labels[LABELS.source] ?? '';
      if (unavailable !== undefined) {
        this.#kept.push({ resource, reason: unavailable });
        continue;
      }
      this.#add({
        type: 'remove-container',
        name: container.name,
        containerId: container.id,
        stopTimeoutSeconds: stopTimeoutOf(container),
        ...this.#base('remove-container', resource, `no manifest declares it${source ? ` (it came from ${source})` : ''}`),
      });
    }
    for (const network of networks) {
      const resource = resourceKey('Network', network.name);
      const source = network.labels[LABELS.source] ?? '';
      if (unavailable !== undefined) {
        this.#kept.push({ resource, reason: unavailable });
        continue;
      }
      const attached = this.#attachedTo(network);
      const foreign = attached.filter((container) => !this.#owns(container.labels));
      if (foreign.length > 0) {
        this.#problems.push({ resource, message: `no manifest declares it, but containers mooring does not manage are attached: ${names(foreign)}; it is kept` });
        continue;
      }
      this.#add({
        type: 'remove-network',
        name: network.name,
        networkId: network.id,
        ...this.#base('remove-network', resource, `no manifest declares it${source ? ` (it came from ${source})` : ''}`),
      });
    }
  }

  #declaresNothing(): boolean {
    const desired = this.#desired;
    const declared = desired.networks.length + desired.containers.length + desired.links.length + desired.publishes.length + desired.probes.length +
      (desired.volumes?.length ?? 0) + (desired.secrets?.length ?? 0);
    return declared === 0 && !this.#allowEmpty;
  }

  // ── volumes ──────────────────────────────────────────────────────────────

  #planVolumes(): void {
    if (!this.#observedVolumes) return;
    const removed = new Set([...this.#drafts.values()].flatMap((draft) => (draft.type === 'remove-container' ? [draft.name] : [])));
    const planned = planVolumes({
      desired: this.#desired,
      instance: this.#instance,
      volumes: this.#observedVolumes,
      containers: this.#allContainers,
      removedContainers: removed,
      pruneBlocked: this.#unavailableSources() ?? (this.#declaresNothing() ? 'no manifest declares anything: nothing is removed' : undefined),
    });
    for (const [resource, message] of planned.unusable) this.#markUnusable(resource, message);
    this.#problems.push(...planned.problems);
    this.#kept.push(...planned.kept);
    for (const step of planned.steps) {
      const name = step.type === 'create-volume' ? step.volume.name : step.name;
      const base = this.#base(step.type, step.resource, step.reason);
      if (step.type === 'create-volume') this.#add({ type: 'create-volume', volume: step.volume, ...base });
      else this.#add({ type: 'remove-volume', name, ...base, dependsOn: step.usedBy.map((user) => actionId('remove-container', user)) });
    }
  }

  /** Every container still attached to a network about to be removed or recreated is disconnected first. */
  #planNetworkTeardown(): void {
    for (const draft of this.#drafts.values()) {
      if (draft.type !== 'recreate-network' && draft.type !== 'remove-network') continue;
      const network = draft.type === 'remove-network' ? draft.name : draft.network.name;
      const observed = this.#observedNetworks.get(network);
      if (!observed) continue;
      for (const container of this.#attachedTo(observed)) {
        if (this.#drafts.has(actionId('remove-container', container.name))) continue;
        const reason = draft.type === 'remove-network' ? `network ${network} is removed` : `network ${network} is recreated`;
        this.#addDisconnect(resourceKey('Container', container.name), container.name, network, reason);
      }
    }
  }

  // ── dependencies ─────────────────────────────────────────────────────────

  #link(): void {
    const networkAction = (network: string) => [actionId('create-network', network), actionId('recreate-network', network)];
    const made = (container: string) => [actionId('create-container', container), actionId('recreate-container', container)];
    const running = (container: string) => [...made(container), actionId('start-container', container)];
    const ofContainer = (container: string, type: ActionType) => this.#idsWhere((draft) => draft.type === type && 'container' in draft && draft.container === container);

    for (const draft of this.#drafts.values()) {
      const deps: string[] = [];
      switch (draft.type) {
        case 'create-container':
        case 'recreate-container': {
          const container = this.#containers.get(draft.container.name)!;
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
          const container = this.#containers.get(draft.name)!;
          const targets = [...container.needs.dependsOn, ...container.needs.legacyLinks, ...optional(container.needs.networkModeContainer)];
          deps.push(...made(draft.name), ...ofContainer(draft.name, 'connect'), ...targets.flatMap(running));
          draft.requires.push(...targets.map((target) => resourceKey('Container', target)));
          break;
        }
        case 'stop-container':
          // In reverse: whatever needs this container stops first.
          deps.push(...this.#dependentsOf(draft.name).map((name) => actionId('stop-container', name)));
          break;
        case 'remove-container':
          deps.push(...this.#sharersOf(draft).map((container) => actionId('remove-container', container.name)));
          break;
        case 'remove-network':
        case 'recreate-network': {
          const network = draft.type === 'remove-network' ? draft.name : draft.network.name;
          const observed = this.#observedNetworks.get(network)!;
          for (const container of this.#attachedTo(observed)) {
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
      draft.dependsOn = [...new Set(deps)].filter((id) => id !== draft.id && this.#drafts.has(id)).sort();
    }
  }

  /** Declared containers that need `name`: they depend on it, have a legacy link to it, or share its network namespace. */
  #dependentsOf(name: string): string[] {
    return [...this.#containers.values()]
      .filter(({ needs }) => needs.dependsOn.includes(name) || needs.legacyLinks.includes(name) || needs.networkModeContainer === name)
      .map((container) => container.name);
  }

  /** Observed containers that share the network namespace of the container a removal is about. */
  #sharersOf(draft: Extract<Draft, { type: 'remove-container' }>): ObservedContainer[] {
    const modes = new Set([`container:${draft.name}`, `container:${draft.containerId}`]);
    return this.#allContainers.filter((container) => modes.has(container.networkMode));
  }

  /** Drops every action that needs an unusable resource or a dropped action, and says so on its resource. */
  #dropUnusable(): void {
    const skipped = new Map<string, string>();
    for (let changed = true; changed; ) {
      changed = false;
      for (const draft of this.#drafts.values()) {
        const blocker = draft.requires.find((resource) => this.#unusable.has(resource));
        const failedDep = draft.dependsOn.find((id) => !this.#drafts.has(id));
        if (!blocker && !failedDep) continue;
        const why = blocker ? `needs ${blocker}: ${this.#unusable.get(blocker)!}` : skipped.get(failedDep!)!;
        this.#drafts.delete(draft.id);
        skipped.set(draft.id, why);
        changed = true;
        if (!this.#problems.some((problem) => problem.resource === draft.resource)) {
          this.#problems.push({ resource: draft.resource, message: `skipped: ${why}` });
        }
        if (draft.type === 'create-container' || draft.type === 'recreate-container') {
          this.#unusable.set(draft.resource, `it is not created (${why})`);
        }
      }
    }
    // An image is only wanted for a container about to be created.
    for (const draft of [...this.#drafts.values()]) {
      if (draft.type !== 'pull-image') continue;
      const made = [actionId('create-container', draft.container), actionId('recreate-container', draft.container)];
      if (!made.some((id) => this.#drafts.has(id))) this.#drafts.delete(draft.id);
    }
  }

  /** Dependencies first; among actions whose dependencies are done, by type and then by id. */
  #order(): Action[] {
    const waiting = new Map([...this.#drafts.values()].map((draft) => [draft.id, new Set(draft.dependsOn)]));
    const dependents = new Map<string, string[]>();
    for (const draft of this.#drafts.values()) {
      for (const id of draft.dependsOn) dependents.set(id, [...(dependents.get(id) ?? []), draft.id]);
    }
    const rank = (id: string) => TYPE_ORDER.indexOf(this.#drafts.get(id)!.type);
    const ready = [...waiting].filter(([, deps]) => deps.size === 0).map(([id]) => id);
    const ordered: Action[] = [];
    while (ready.length > 0) {
      ready.sort((a, b) => rank(a) - rank(b) || compare(a, b));
      const id = ready.shift()!;
      waiting.delete(id);
      const { requires: _requires, ...action } = this.#drafts.get(id)!;
      ordered.push(action as Action);
      for (const dependent of dependents.get(id) ?? []) {
        const deps = waiting.get(dependent)!;
        deps.delete(id);
        if (deps.size === 0) ready.push(dependent);
      }
    }
    for (const [id, deps] of waiting) {
      const draft = this.#drafts.get(id)!;
      this.#problems.push({ resource: draft.resource, message: `skipped ${id}: its dependencies form a cycle (${[...deps].join(', ')})` });
    }
    return ordered;
  }

  // ── helpers ──────────────────────────────────────────────────────────────

  #base(type: ActionType, resource: string, reason: string, changes: FieldChange[] = [], network?: string) {
    const name = resource.slice(resource.indexOf('/') + 1);
    return { id: network === undefined ? actionId(type, name) : actionId(type, name, network), resource, reason, changes, dependsOn: [] as string[] };
  }

  #add(action: Action): void {
    this.#drafts.set(action.id, { ...action, requires: [] });
  }

  #idsWhere(predicate: (draft: Draft) => boolean): string[] {
    return [...this.#drafts.values()].filter(predicate).map((draft) => draft.id);
  }

  #markUnusable(resource: string, message: string): void {
    if (this.#unusable.has(resource)) return;
    this.#unusable.set(resource, message);
    this.#problems.push({ resource, message });
  }

  /**
   * Why nothing undeclared may be removed now, if something fails to load. The
   * label says only which file declared a resource when it was created; a
   * declaration since moved into the file that fails now would be pruned by
   * going on that label, so any such file holds back every removal.
   */
  #unavailableSources(): string | undefined {
    const { unavailableFiles } = this.#desired;
    if (unavailableFiles.length === 0) return undefined;
    return `nothing is removed while a manifest that may declare it fails to load: ${unavailableFiles.join(', ')}`;
  }

  /** An owned container no manifest declares, kept while a manifest fails to load. */
  #isKept(container: ObservedContainer): boolean {
    return !this.#containers.has(container.name) && this.#unavailableSources() !== undefined;
  }

  #owns(labels: Record<string, string>): boolean {
    return isOwnedBy(labels, this.#instance);
  }

  #attachedTo(network: ObservedNetwork): ObservedContainer[] {
    return this.#allContainers.filter((container) => container.endpoints.some((endpoint) => endpoint.networkId === network.id || endpoint.network === network.name));
  }
}

export function actionId(type: ActionType, name: string, network?: string): string {
  return network === undefined ? `${type}:${name}` : `${type}:${name}:${network}`;
}

function takenMessage(kind: 'network' | 'container', name: string, labels: Record<string, string>): string {
  const owner = labels[LABELS.managedBy] === MANAGED_BY ? `of mooring instance "${labels[LABELS.instance] ?? ''}"` : 'mooring does not manage';
  return `the name ${name} is taken by a ${kind} ${owner}; it is left untouched`;
}

function stopTimeoutOf(container: ObservedContainer): number {
  const seconds = Number(container.labels[LABELS.stopTimeout]);
  return Number.isInteger(seconds) && seconds >= 0 ? seconds : DEFAULT_STOP_TIMEOUT_SECONDS;
}

function names(containers: ObservedContainer[]): string {
  return containers.map((container) => container.name).sort(compare).join(', ');
}

function optional<T>(value: T | undefined): T[] {
  return value === undefined ? [] : [value];
}

export function describeChanges(changes: FieldChange[]): string {
  return changes.map(describeChange).join('; ');
}

export function describeChange(change: FieldChange): string {
  const show = (value: string | undefined) => (value === undefined ? '(unset)' : value === '' ? '""' : value);
  if (change.fromUnknown) return change.to === undefined ? `${change.field}: removed` : `${change.field}: changed → ${show(change.to)}`;
  return `${change.field}: ${show(change.from)} → ${show(change.to)}`;
}

// ── diffs ──────────────────────────────────────────────────────────────────

function networkChanges(observed: ObservedNetwork, desired: EffectiveNetwork): FieldChange[] {
  const want = desired.config;
  const changes: FieldChange[] = [];
  const push = (field: string, from: string | undefined, to: string | undefined) => {
    if (from !== to) changes.push(withDefined({ field, from, to }));
  };
  push('driver', observed.driver, want.driver);
  push('internal', String(observed.internal), String(want.internal));
  push('attachable', String(observed.attachable), String(want.attachable));
  push('enableIPv6', String(observed.enableIPv6), String(want.enableIPv6));
  for (const key of ['subnet', 'gateway', 'ipRange'] as const) {
    // The engine fills in what the manifest leaves out; only what the manifest sets can differ.
    if (want.ipam?.[key] !== undefined) push(`ipam.${key}`, observed.ipam?.[key], want.ipam[key]);
  }
  diffMaps('options', observed.options, want.options, push);
  diffMaps('labels', userLabels(observed.labels), userLabels(want.labels), push);
  return changes.length > 0 ? changes : [{ field: 'spec', fromUnknown: true, to: `hash ${desired.hash}` }];
}

function containerChanges(observed: ObservedContainer, desired: EffectiveContainer): FieldChange[] {
  const recorded = parseDigests(observed.labels[LABELS.specFields]);
  const changes: FieldChange[] = [];
  if (recorded) {
    const fields = [...new Set([...Object.keys(recorded), ...Object.keys(desired.fieldDigests)])].sort(compare);
    for (const field of fields) {
      if (recorded[field] === desired.fieldDigests[field]) continue;
      const to = fieldValue(desired.creation, field);
      const wasUnset = recorded[field] === undefined || recorded[field] === EMPTY_LIST_DIGEST;
      const from = wasUnset ? { known: true, value: undefined } : observedValue(observed, field);
      changes.push(withDefined(from.known ? { field, from: from.value, to } : { field, fromUnknown: true, to }));
    }
  } else {
    // Made by a mooring that did not record field digests: compare what the engine shows.
    for (const field of ['image', 'ports', 'networkMode']) {
      const from = observedValue(observed, field).value;
      const to = fieldValue(desired.creation, field);
      const same = field === 'image' ? normalizeImage(from ?? '') === to : from === to;
      if (!same) changes.push(withDefined({ field, from, to }));
    }
  }
  return changes.length > 0 ? changes : [{ field: 'spec', fromUnknown: true, to: `hash ${desired.hash}` }];
}

/** The digest of an empty list: a list field recorded with it was unset. */
const EMPTY_LIST_DIGEST = fieldDigest([]);

function observedValue(observed: ObservedContainer, field: string): { known: boolean; value: string | undefined } {
  if (field === 'image') return { known: true, value: observed.image };
  if (field.startsWith('labels.')) return { known: true, value: observed.labels[field.slice('labels.'.length)] };
  if (field === 'ports') return { known: true, value: observed.portBindings.map(bindingString).sort(compare).join(', ') || undefined };
  if (field === 'networkMode') {
    const mode = observed.networkMode;
    return { known: true, value: mode === 'host' || mode === 'none' || mode.startsWith('container:') ? mode : undefined };
  }
  return { known: false, value: undefined };
}

function fieldValue(creation: CreationSpec, field: string): string | undefined {
  const dot = field.indexOf('.');
  if (dot > 0 && (field.startsWith('env.') || field.startsWith('labels.'))) {
    return (creation[field.slice(0, dot) as 'env' | 'labels'] as Record<string, string>)[field.slice(dot + 1)];
  }
  const value = creation[field as keyof CreationSpec];
  if (value === undefined) return undefined;
  if (field === 'command' || field === 'entrypoint') return (value as string[]).join(' ');
  if (Array.isArray(value)) return value.join(', ') || undefined;
  return typeof value === 'object' ? canonicalJson(value) : String(value);
}

function endpointChanges(desired: EndpointConfig, observed: ObservedEndpoint): FieldChange[] {
  const changes: FieldChange[] = [];
  const prefix = `networks.${desired.network}`;
  const set = (values: string[]) => [...new Set(values)].sort(compare).join(', ');
  const aliases = { from: set(observed.aliases), to: set(desired.aliases) };
  if (aliases.from !== aliases.to) changes.push(withDefined({ field: `${prefix}.aliases`, from: aliases.from || undefined, to: aliases.to || undefined }));
  if (desired.ipv4Address !== undefined && desired.ipv4Address !== observed.ipv4Address) {
    changes.push(withDefined({ field: `${prefix}.ipv4Address`, from: observed.ipv4Address, to: desired.ipv4Address }));
  }
  const links = { from: set(observed.links.map(normalizeLink)), to: set(desired.links) };
  if (links.from !== links.to) changes.push(withDefined({ field: `${prefix}.links`, from: links.from || undefined, to: links.to || undefined }));
  return changes;
}

/** The engine may report links as `/target:/source/alias`; mooring writes `target:alias`. */
function normalizeLink(link: string): string {
  return link.split(':').map((part) => part.slice(part.lastIndexOf('/') + 1)).join(':');
}

function diffMaps(
  prefix: string,
  from: Record<string, string>,
  to: Record<string, string>,
  push: (field: string, from: string | undefined, to: string | undefined) => void,
): void {
  for (const key of [...new Set([...Object.keys(from), ...Object.keys(to)])].sort(compare)) push(`${prefix}.${key}`, from[key], to[key]);
}

function userLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([key]) => !isMooringLabel(key)));
}

function parseDigests(label: string | undefined): Record<string, string> | undefined {
  if (!label) return undefined;
  try {
    const parsed: unknown = JSON.parse(label);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}

function withDefined(change: FieldChange): FieldChange {
  return Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined)) as unknown as FieldChange;
}
