/**
 * Each declared resource's status (health and conditions) from what the last
 * pass, the pass in flight and the probes say about it.
 */
import type { ObservedContainer, ObservedNetwork } from '../engine/port.js';
import { isOwnedBy } from '../engine/labels.js';
import type { DesiredState } from '../manifests/model.js';
import type { ContainerSpec, NetworkSpec } from '../manifests/schema.js';
import { completed, runsOnce } from '../reconcile/plan/depends.js';
import { networkRole } from '../reconcile/overlay.js';
import type { Condition, ConditionStatus, Health, ResourceStatus } from './model.js';
import type { HoldBack, StatusInput } from './input.js';
import type { Action, Problem, Waiting } from '../reconcile/actions.js';
import type { ActionOutcome } from '../reconcile/apply.js';
import type { ReachabilityStatus } from '../probes/model.js';
import { count } from '../plural.js';
import { mountsOf } from './volumes.js';

/** One resource's status before `lastTransitionTime` is filled in. */
export type Draft = Omit<ResourceStatus, 'conditions'> & { conditions: Omit<Condition, 'lastTransitionTime'>[] };

export function resourceStatuses(input: StatusInput, desired: DesiredState): Draft[] {
  const context = new ResourceContext(input);
  return [
    ...desired.networks.map((document) => context.network(document.name, document.source.file, document.spec)),
    ...desired.containers.map((document) => context.container(document.name, document.source.file, document.spec)),
    ...desired.links.map((document) => context.reachability('Link', document.name, document.source.file)),
    ...desired.publishes.map((document) => context.reachability('PortPublish', document.name, document.source.file)),
    ...desired.probes.map((document) => context.reachability('Probe', document.name, document.source.file)),
  ];
}

/** What the last pass says about one Network or Container. */
interface PassView {
  key: string;
  /** Unset: there is no pass to tell (none yet, or the engine does not answer). */
  known: boolean;
  problem?: string;
  /** The condition reason of `problem`: `Blocked` unless the planner gave one. */
  problemReason?: string;
  failed?: string;
  skipped?: string;
  applied: string[];
  /** Actions of the pass in flight on this resource. */
  applying: string[];
  hold?: HoldBack;
  lastError?: string;
}

/**
 * What the input says, by resource key (`Link/web-db`): looking each
 * resource's entries up in the whole lists made a status of 250 Links and 250
 * checks 62,500 comparisons, rebuilt after every probe round.
 */
class ResourceContext {
  readonly #input: StatusInput;
  readonly #networks: Map<string, ObservedNetwork>;
  readonly #containers: Map<string, ObservedContainer>;
  readonly #checks: Map<string, ReachabilityStatus[]>;
  readonly #outcomes: Map<string, ActionOutcome[]>;
  readonly #applying: Map<string, Action[]>;
  /** The first of each resource's, as the planner lists them. */
  readonly #problems: Map<string, Problem>;
  readonly #waiting: Map<string, Waiting>;

  constructor(input: StatusInput) {
    this.#input = input;
    const result = input.lastPass?.result;
    this.#networks = new Map((result?.observed.networks ?? []).map((network) => [network.name, network]));
    this.#containers = new Map((result?.observed.containers ?? []).map((container) => [container.name, container]));
    this.#checks = byResource(input.reachability, (check) => check.resource);
    this.#outcomes = byResource(result?.outcomes ?? [], (outcome) => outcome.action.resource);
    this.#applying = byResource(input.inFlight?.actions ?? [], (action) => action.resource);
    this.#problems = firstByResource(result?.plan.problems ?? []);
    this.#waiting = firstByResource(result?.plan.waiting ?? []);
  }

  network(name: string, source: string, spec: Pick<NetworkSpec, 'external' | 'driver'>): Draft {
    const { external } = spec;
    const view = this.#view(`Network/${name}`);
    const observed = this.#networks.get(name);
    // On a worker, an overlay is the managers' (another instance's, maybe), and listed only while a container here is attached.
    const attached = networkRole(spec.driver, this.#input.lastPass?.result.observed.swarm).type === 'attach';
    const present = observed !== undefined && (external || attached || this.#owned(observed.labels));
    const ready: Omit<Condition, 'lastTransitionTime'> = !view.known
      ? unknown('Ready')
      : present
        ? { type: 'Ready', status: 'True', reason: external ? 'Exists' : attached ? 'Attached' : 'Created', message: '' }
        : attached
          ? { type: 'Ready', status: 'Unknown', reason: 'NotAttached', message: `no container of this node is attached to overlay ${name}, and a worker lists it only then` }
          : { type: 'Ready', status: 'False', reason: 'NotFound', message: `network ${name} does not exist` };
    const health: Health = view.applying.length > 0
      ? 'Progressing'
      : !view.known
      ? 'Unknown'
      : !present && attached && !troubled(view)
        ? 'Unknown'
        : !present && view.applied.length === 0
        ? 'Missing'
        : troubled(view)
          ? 'Degraded'
          : view.applied.length > 0
            ? 'Progressing'
            : 'Healthy';
    return this.#draft('Network', name, source, present ? observed.id : undefined, health, [synced(view), ready], view);
  }

  container(name: string, source: string, spec: Pick<ContainerSpec, 'state' | 'restartPolicy'>): Draft {
    const view = this.#view(`Container/${name}`);
    const candidate = this.#containers.get(name);
    const observed = candidate && this.#owned(candidate.labels) ? candidate : undefined;
    const waiting = this.#waiting.get(`Container/${name}`);
    const ready = waiting ? { type: 'Ready', status: 'False' as const, reason: waiting.reason, message: waiting.message } : containerReady(view, observed, spec);
    const health: Health = view.applying.length > 0 || waiting
      ? 'Progressing'
      : !view.known
      ? 'Unknown'
      : !observed && view.applied.length === 0
        ? 'Missing'
        : troubled(view) || ready.reason === 'Unhealthy' || ready.reason === 'Restarting'
          ? 'Degraded'
          : view.applied.length > 0 || ready.reason === 'Starting'
            ? 'Progressing'
            : ready.status === 'True'
              ? 'Healthy'
              : 'Degraded';
    const mounts = mountsOf(observed);
    return { ...this.#draft('Container', name, source, observed?.id, health, [synced(view), ready], view), ...(mounts && { mounts }) };
  }

  /** Links, publishes and Probes: healthy when every check that can be probed is. */
  reachability(kind: 'Link' | 'PortPublish' | 'Probe', name: string, source: string): Draft {
    const own = this.#checks.get(`${kind}/${name}`) ?? [];
    const probed = own.filter((check) => check.lastProbe?.reason !== 'NotProbed');
    const failing = probed.find((check) => check.healthy === false);
    const pending = probed.find((check) => check.healthy === null);
    const type = kind === 'Probe' ? 'ExpectationMet' : 'Reachable';
    const condition: Omit<Condition, 'lastTransitionTime'> = failing
      ? { type, status: 'False', reason: failing.lastProbe?.reason ?? 'Unknown', message: `${failing.name}: ${failing.lastProbe?.message ?? ''}` }
      : pending
        ? { type, status: 'Unknown', reason: pending.lastProbe?.reason ?? 'NotProbedYet', message: `${pending.name}: ${pending.lastProbe?.message ?? 'no probe has run yet'}` }
        : probed.length === 0
          ? { type, status: 'Unknown', reason: 'NotProbed', message: own[0]?.lastProbe?.message ?? 'nothing to probe' }
          : { type, status: 'True', reason: 'AsExpected', message: `${count(probed.length, 'check')} healthy` };
    const health: Health = this.#input.engine.reachable !== true ? 'Unknown' : failing ? 'Degraded' : pending ? 'Unknown' : 'Healthy';
    return { kind, name, source, health, conditions: [condition] };
  }

  #view(key: string): PassView {
    const pass = this.#input.lastPass;
    const lastError = this.#input.resourceErrors.get(key);
    const applying = (this.#applying.get(key) ?? []).map((action) => action.id);
    if (!pass || this.#input.engine.reachable !== true) return { key, known: false, applied: [], applying, ...(lastError === undefined ? {} : { lastError }) };
    const outcomes = this.#outcomes.get(key) ?? [];
    const failed = outcomes.find((outcome) => !outcome.ok && !outcome.skipped);
    const skipped = outcomes.find((outcome) => outcome.skipped);
    const problem = this.#problems.get(key);
    const hold = pass.heldBack.get(key);
    return {
      key,
      known: true,
      applied: outcomes.filter((outcome) => outcome.ok).map((outcome) => outcome.action.id),
      applying,
      ...(problem === undefined ? {} : { problem: problem.message }),
      ...(problem?.reason === undefined ? {} : { problemReason: problem.reason }),
      ...(failed === undefined ? {} : { failed: `${failed.action.id} failed: ${failed.error?.message ?? ''}` }),
      ...(skipped === undefined ? {} : { skipped: `${skipped.action.id} skipped: ${skipped.error?.message ?? ''}` }),
      ...(hold === undefined ? {} : { hold }),
      ...(lastError === undefined ? {} : { lastError }),
    };
  }

  #owned(labels: Record<string, string>): boolean {
    return isOwnedBy(labels, this.#input.daemon.instance);
  }

  #draft(kind: string, name: string, source: string, dockerId: string | undefined, health: Health, conditions: Draft['conditions'], view: PassView): Draft {
    const lastError = view.problem ?? view.failed ?? view.lastError;
    return {
      kind,
      name,
      source,
      ...(dockerId === undefined ? {} : { dockerId }),
      health,
      conditions,
      ...(lastError === undefined ? {} : { lastError }),
    };
  }
}

function byResource<T>(items: readonly T[], resourceOf: (item: T) => string): Map<string, T[]> {
  const grouped = new Map<string, T[]>();
  for (const item of items) {
    const key = resourceOf(item);
    const group = grouped.get(key);
    if (group) group.push(item);
    else grouped.set(key, [item]);
  }
  return grouped;
}

function firstByResource<T extends { resource: string }>(items: readonly T[]): Map<string, T> {
  const first = new Map<string, T>();
  for (const item of items) if (!first.has(item.resource)) first.set(item.resource, item);
  return first;
}

function troubled(view: PassView): boolean {
  return view.problem !== undefined || view.failed !== undefined || view.skipped !== undefined || view.hold !== undefined;
}

/** Whether the engine runs the resource as declared, as far as the last pass found. */
function synced(view: PassView): Omit<Condition, 'lastTransitionTime'> {
  const condition = (status: ConditionStatus, reason: string, message: string) => ({ type: 'Synced', status, reason, message });
  if (view.applying.length > 0) return condition('False', 'Progressing', `a pass is applying ${view.applying.join(', ')}`);
  if (!view.known) return condition('Unknown', 'EngineUnreachable', 'no pass has reached the engine');
  if (view.problem !== undefined) return condition('False', view.problemReason ?? 'Blocked', view.problem);
  if (view.hold) return condition('False', view.hold.reason, view.hold.message);
  if (view.failed !== undefined) return condition('False', 'ApplyFailed', view.failed);
  if (view.skipped !== undefined) return condition('False', 'DependencyNotReady', view.skipped);
  if (view.applied.length > 0) return condition('False', 'Progressing', `applied ${view.applied.join(', ')}; the next pass verifies`);
  return condition('True', 'InSync', '');
}

function containerReady(view: PassView, observed: ObservedContainer | undefined, { state, restartPolicy }: Pick<ContainerSpec, 'state' | 'restartPolicy'>): Omit<Condition, 'lastTransitionTime'> {
  const condition = (status: ConditionStatus, reason: string, message = '') => ({ type: 'Ready', status, reason, message });
  if (!view.known) return condition('Unknown', 'EngineUnreachable', 'no pass has reached the engine');
  if (!observed) return condition('False', 'NotFound', 'the container does not exist');
  const crashLoop = view.hold?.reason === 'CrashLoopBackOff' ? view.hold : undefined;
  if (state === 'stopped') return observed.status === 'running' ? condition('False', 'Running', 'declared stopped, but running') : condition('True', 'Stopped');
  // Restarted after a back-off, it is not ready until it has outlived the crash window.
  if (crashLoop) return condition('False', 'CrashLoopBackOff', crashLoop.message);
  if (observed.status === 'running') {
    if (observed.health === 'starting') return condition('False', 'Starting', 'its healthcheck has not passed yet');
    if (observed.health === 'unhealthy') return condition('False', 'Unhealthy', 'its healthcheck fails');
    return condition('True', 'Running');
  }
  if (observed.status === 'restarting') return condition('False', 'Restarting', 'the engine is restarting it after it exited');
  if (completed(observed) && runsOnce(restartPolicy)) return condition('True', 'Completed', `it exited with 0, and its restart policy (${restartPolicy}) leaves it so`);
  return condition('False', 'NotRunning', `the container is ${observed.status}${observed.exitCode === undefined ? '' : ` (exit code ${observed.exitCode})`}`);
}

function unknown(type: string): Omit<Condition, 'lastTransitionTime'> {
  return { type, status: 'Unknown', reason: 'EngineUnreachable', message: 'no pass has reached the engine' };
}
