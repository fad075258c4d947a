/**
 * What the phases of a plan share: the inputs, indexed by name, and the drafts,
 * problems and kept resources they add to. Nothing here calls the engine.
 */
import type { DesiredState } from '../../manifests/model.js';
import type { ObservedContainer, ObservedImage, ObservedNetwork, ObservedVolume } from '../../engine/port.js';
import { COMPOSE_PROJECT_LABEL, LABELS, MANAGED_BY, isOwnedBy } from '../../engine/labels.js';
import type { Action, ActionType, FieldChange, Kept, Problem, Waiting } from '../actions.js';
import type { EffectiveContainer, EffectiveNetwork } from '../effective-config.js';
import type { EffectiveConfigCache } from '../effective-configs.js';
import { effectiveConfigs } from '../effective-configs.js';
import type { ObservedState } from '../observe.js';
import { compare } from '../../compare.js';
import { DEFAULT_STOP_TIMEOUT_SECONDS } from '../../manifests/schema.js';

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
  /** The daemon's, kept across passes: an unchanged desired state is not made effective again. */
  effectiveCache?: EffectiveConfigCache;
}

/** An action while planning: `requires` names the resources that must be usable for it to make sense. */
export type Draft = Action & { requires: string[] };

export function actionId(type: ActionType, name: string, network?: string): string {
  return network === undefined ? `${type}:${name}` : `${type}:${name}:${network}`;
}

export class PlanContext {
  readonly desired: DesiredState;
  readonly instance: string;
  readonly allowEmpty: boolean;
  readonly observedNetworks: Map<string, ObservedNetwork>;
  readonly observedContainers: Map<string, ObservedContainer>;
  readonly allContainers: ObservedContainer[];
  /** The engine's place in a swarm, when it was read: it decides who manages overlay networks. */
  readonly swarm: ObservedState['swarm'];
  /** Local images by tag (`normalizeImage()`); empty when the observation has none. */
  readonly images: ReadonlyMap<string, ObservedImage>;
  /** Undefined when volumes were not observed: nothing is planned for them then. */
  readonly observedVolumes: ObservedVolume[] | undefined;
  /** The declared networks and containers, by name. */
  readonly networks: ReadonlyMap<string, EffectiveNetwork>;
  readonly containers: ReadonlyMap<string, EffectiveContainer>;

  readonly drafts = new Map<string, Draft>();
  readonly problems: Problem[] = [];
  readonly kept: Kept[] = [];
  readonly waiting: Waiting[] = [];
  /** Resources that cannot be used, with the reason: actions that need them are dropped. */
  readonly unusable = new Map<string, string>();
  pruneRefused: string | undefined;

  constructor(options: PlanOptions) {
    const { desired, observed, instance } = options;
    this.desired = desired;
    this.instance = instance;
    this.allowEmpty = options.allowEmpty ?? false;
    this.observedNetworks = new Map(observed.networks.map((network) => [network.name, network]));
    this.observedContainers = new Map(observed.containers.map((container) => [container.name, container]));
    this.allContainers = observed.containers;
    this.swarm = observed.swarm;
    this.images = observed.images ?? new Map();
    this.observedVolumes = observed.volumes;
    const inputs = { desired, instance, ...(options.stateDir === undefined ? {} : { stateDir: options.stateDir }) };
    const effective = options.effectiveCache?.of(inputs) ?? effectiveConfigs(inputs);
    this.networks = effective.networks;
    this.containers = effective.containers;
  }

  /** The fields every action has, its id made from its type, the resource's name and the network it is about. */
  base(type: ActionType, resource: string, reason: string, changes: FieldChange[] = [], network?: string) {
    const name = resource.slice(resource.indexOf('/') + 1);
    return { id: network === undefined ? actionId(type, name) : actionId(type, name, network), resource, reason, changes, dependsOn: [] as string[] };
  }

  add(action: Action): void {
    this.drafts.set(action.id, { ...action, requires: [] });
  }

  /** One disconnect per container and network, whichever phase asks first. */
  addDisconnect(resource: string, container: string, network: string, reason: string, changes: FieldChange[] = []): void {
    if (this.drafts.has(actionId('disconnect', container, network))) return;
    this.add({ type: 'disconnect', container, network, ...this.base('disconnect', resource, reason, changes, network) });
  }

  idsWhere(predicate: (draft: Draft) => boolean): string[] {
    return [...this.drafts.values()].filter(predicate).map((draft) => draft.id);
  }

  /** `reason`: a condition reason more telling than `Blocked`, which what needs the resource inherits. */
  markUnusable(resource: string, message: string, reason?: string): void {
    if (this.unusable.has(resource)) return;
    this.unusable.set(resource, message);
    this.problems.push({ resource, message, ...(reason === undefined ? {} : { reason }) });
  }

  /**
   * Why nothing undeclared may be removed now, if something fails to load. The
   * label says only which file declared a resource when it was created; a
   * declaration since moved into the file that fails now would be pruned by
   * going on that label, so any such file holds back every removal.
   */
  unavailableSources(): string | undefined {
    const { unavailableFiles } = this.desired;
    if (unavailableFiles.length === 0) return undefined;
    return `nothing is removed while a manifest that may declare it fails to load: ${unavailableFiles.join(', ')}`;
  }

  /** Whether pruning is refused because no manifest declares anything (and `--allow-empty` is not given). */
  declaresNothing(): boolean {
    const { desired } = this;
    const declared = desired.networks.length + desired.containers.length + desired.links.length + desired.publishes.length + desired.probes.length +
      (desired.volumes?.length ?? 0) + (desired.secrets?.length ?? 0) +
      // Another node's Containers count: a node whose share is empty is not an empty directory.
      (desired.remote?.length ?? 0);
    return declared === 0 && !this.allowEmpty;
  }

  /** An owned container no manifest declares, kept while a manifest fails to load. */
  isKept(container: ObservedContainer): boolean {
    return !this.containers.has(container.name) && this.unavailableSources() !== undefined;
  }

  owns(labels: Record<string, string>): boolean {
    return isOwnedBy(labels, this.instance);
  }

  attachedTo(network: ObservedNetwork): ObservedContainer[] {
    return this.allContainers.filter((container) => container.endpoints.some((endpoint) => endpoint.networkId === network.id || endpoint.network === network.name));
  }
}

export function takenMessage(kind: 'network' | 'container', name: string, labels: Record<string, string>): string {
  if (labels[LABELS.managedBy] === MANAGED_BY) return `the name ${name} is taken by a ${kind} of mooring instance "${labels[LABELS.instance] ?? ''}"; it is left untouched`;
  const project = labels[COMPOSE_PROJECT_LABEL];
  // Moving a project from Compose to mooring meets exactly this: say how to free the names, keeping the project's volumes.
  if (project !== undefined) return `the name ${name} is taken by a ${kind} of Compose project "${project}"; it is left untouched: \`docker compose -p ${project} down\` frees it and keeps named volumes`;
  return `the name ${name} is taken by a ${kind} mooring does not manage; it is left untouched`;
}

export function stopTimeoutOf(container: ObservedContainer): number {
  const seconds = Number(container.labels[LABELS.stopTimeout]);
  return Number.isInteger(seconds) && seconds >= 0 ? seconds : DEFAULT_STOP_TIMEOUT_SECONDS;
}

export function names(containers: ObservedContainer[]): string {
  return containers.map((container) => container.name).sort(compare).join(', ');
}
