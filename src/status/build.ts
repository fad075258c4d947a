/**
 * Assembles the status from what the daemon knows: the manifests as last
 * loaded, the last pass, what is held back, the engine's state and the probes.
 * Pure: the same input gives the same status, and conditions keep their
 * `lastTransitionTime` from the previous status while their state holds.
 */
import type { ObservedContainer, ObservedNetwork } from '../engine/port.js';
import { isOwnedBy } from '../engine/labels.js';
import type { LoadedManifests } from '../manifests/desired-state.js';
import type { ManifestError } from '../manifests/errors.js';
import type { AnyDocument, DesiredState } from '../manifests/model.js';
import type { Action } from '../reconcile/actions.js';
import type { ReconcileResult } from '../reconcile/reconcile.js';
import type { ReachabilityStatus } from '../probes/model.js';
import { summarizeReachability } from '../probes/model.js';
import type { Condition, ConditionStatus, Health, ManifestFileStatus, ResourceStatus, Status, SyncState } from './model.js';
import { STATUS_API_VERSION } from './model.js';
import { count } from '../plural.js';
import type { ContainerSpec, NetworkSpec } from '../manifests/schema.js';
import { completed, runsOnce } from '../reconcile/plan/depends.js';
import { networkRole } from '../reconcile/overlay.js';
import { mountsOf, volumeStatuses } from './volumes.js';

/** Why a resource was left alone in the last pass. */
export interface HoldBack {
  /** `BackOff` after errors, `CrashLoopBackOff` for a container that keeps dying. */
  reason: 'BackOff' | 'CrashLoopBackOff';
  message: string;
  /** Clock ms. */
  retryAt: number;
}

/** The last pass that reached the engine. */
export interface PassRecord {
  result: ReconcileResult;
  /** Clock ms. */
  endedAt: number;
  durationMs: number;
  /** By resource key (`Container/web`). */
  heldBack: ReadonlyMap<string, HoldBack>;
}

/** A pass that has not ended: what it observed and, once planned, the actions it applies. */
export interface PassInFlight {
  /** Clock ms. */
  startedAt: number;
  actions?: readonly Action[];
}

export interface StatusInput {
  /** Clock ms. */
  now: number;
  daemon: Status['daemon'];
  engine: Status['engine'];
  counters: { reconcileTotal: number; reconcileErrorsTotal: number };
  /** Undefined until the manifests are first read. */
  manifests?: LoadedManifests;
  lastPass?: PassRecord;
  inFlight?: PassInFlight;
  /** The last error of each resource that has not succeeded since, by resource key. */
  resourceErrors: ReadonlyMap<string, string>;
  reachability: ReachabilityStatus[];
  /** The status before this one, for the conditions' `lastTransitionTime`. */
  previous?: Status;
}

export function buildStatus(input: StatusInput): Status {
  const now = new Date(input.now).toISOString();
  const resources = input.manifests ? resourceStatuses(input, input.manifests.desired) : [];
  const sync = syncState(input);
  const volumes = input.manifests ? volumeStatuses({ desired: input.manifests.desired, instance: input.daemon.instance, lastPass: input.lastPass?.result }) : [];
  return {
    apiVersion: STATUS_API_VERSION,
    kind: 'Status',
    generatedAt: now,
    daemon: input.daemon,
    engine: input.engine,
    sync: {
      state: sync.state,
      ...(sync.message === undefined ? {} : { message: sync.message }),
      revision: input.manifests?.desired.revision ?? '',
      ...(input.lastPass === undefined
        ? {}
        : { lastReconcileAt: new Date(input.lastPass.endedAt).toISOString(), lastReconcileDurationMs: Math.round(input.lastPass.durationMs) }),
      ...input.counters,
    },
    manifests: input.manifests ? manifestStatuses(input.manifests) : [],
    resources: withTransitionTimes(resources, input.previous, now),
    reachability: input.reachability,
    reachabilitySummary: summarizeReachability(input.reachability),
    ...(volumes.length > 0 && { volumes }),
  };
}

function syncState(input: StatusInput): { state: SyncState; message?: string } {
  const { manifests, lastPass, inFlight } = input;
  if (input.engine.reachable === false) return { state: 'Degraded', message: `the engine does not answer: ${input.engine.lastError ?? 'unknown error'}` };
  if (inFlight?.actions !== undefined && inFlight.actions.length > 0) {
    const seconds = Math.round((input.now - inFlight.startedAt) / 1000);
    return { state: 'Progressing', message: `a pass is applying ${count(inFlight.actions.length, 'change')} (for ${seconds}s so far)` };
  }
  if (!manifests || !lastPass) return { state: 'Progressing', message: input.engine.reachable === null ? 'the engine has not been contacted yet' : 'the first pass has not finished' };
  const { result, heldBack } = lastPass;
  const problems: string[] = [];
  if (result.errors.length > 0) problems.push(`${count(result.errors.length, 'resource')} with errors (${result.errors.map((error) => error.resource).join(', ')})`);
  for (const reason of ['CrashLoopBackOff', 'BackOff'] as const) {
    const held = [...heldBack].filter(([, hold]) => hold.reason === reason).map(([key]) => key);
    if (held.length > 0) problems.push(`${reason === 'BackOff' ? 'backing off after errors' : 'crash looping'}: ${held.join(', ')}`);
  }
  if (problems.length > 0) return { state: 'Degraded', message: problems.join('; ') };
  const behind: string[] = [];
  const invalid = [...manifestErrors(manifests).keys()];
  if (invalid.length > 0) behind.push(`invalid manifest ${count(invalid.length, 'file')}, not applied as written: ${invalid.join(', ')}`);
  if (result.pruneRefused) behind.push(`not pruning: ${result.pruneRefused}`);
  if (behind.length > 0) return { state: 'OutOfSync', message: behind.join('; ') };
  const pending = result.plan.kept.filter((kept) => kept.removeAt !== undefined);
  if (pending.length > 0) {
    const due = Math.max(0, Math.round((Math.min(...pending.map((kept) => kept.removeAt!)) - input.now) / 1000));
    return { state: 'Progressing', message: `no manifest declares ${pending.map((kept) => kept.resource).join(', ')}: removed in ${due}s if that holds (prune delay)` };
  }
  if (result.outcomes.some((outcome) => outcome.ok)) return { state: 'Progressing', message: 'changes were applied; the next pass verifies them' };
  const waiting = result.plan.waiting ?? [];
  if (waiting.length > 0) return { state: 'Progressing', message: `waiting for dependencies: ${waiting.map((entry) => `${entry.resource} (${entry.message})`).join('; ')}` };
  return { state: 'Synced' };
}

function manifestStatuses(manifests: LoadedManifests): ManifestFileStatus[] {
  const errors = manifestErrors(manifests);
  const lastGood = new Set(manifests.usingLastGood);
  const unavailable = new Set(manifests.desired.unavailableFiles);
  return manifests.files.map((file) => {
    const own = errors.get(file.file) ?? [];
    const usingLastKnownGood = lastGood.has(file.file);
    // What mooring applies from the file: its last good version, or nothing when it has none.
    const applied: readonly AnyDocument[] = usingLastKnownGood ? (manifests.lastGood.get(file.file) ?? []) : unavailable.has(file.file) ? [] : file.documents;
    return {
      file: file.file,
      valid: own.length === 0,
      usingLastKnownGood,
      errors: own.map((error) => ({
        line: error.line,
        column: error.column,
        ...(error.path === undefined ? {} : { path: error.path }),
        ...(error.resource === undefined ? {} : { resource: error.resource }),
        message: error.detail,
      })),
      documents: applied.map((document) => ({ kind: document.kind, name: document.name })),
    };
  });
}

/**
 * Each file's errors: its own, and those it gets because another file is held
 * back (it refers to what only the broken version of that file declares).
 */
export function manifestErrors(manifests: LoadedManifests): Map<string, ManifestError[]> {
  const errors = new Map<string, ManifestError[]>();
  for (const error of [...manifests.files.flatMap((file) => file.errors), ...manifests.heldBackErrors]) {
    errors.set(error.file, [...(errors.get(error.file) ?? []), error]);
  }
  return errors;
}

/** One resource's status before `lastTransitionTime` is filled in. */
type Draft = Omit<ResourceStatus, 'conditions'> & { conditions: Omit<Condition, 'lastTransitionTime'>[] };

function resourceStatuses(input: StatusInput, desired: DesiredState): Draft[] {
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

class ResourceContext {
  readonly #input: StatusInput;
  readonly #networks: Map<string, ObservedNetwork>;
  readonly #containers: Map<string, ObservedContainer>;

  constructor(input: StatusInput) {
    this.#input = input;
    const observed = input.lastPass?.result.observed;
    this.#networks = new Map((observed?.networks ?? []).map((network) => [network.name, network]));
    this.#containers = new Map((observed?.containers ?? []).map((container) => [container.name, container]));
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
    const waiting = this.#input.lastPass?.result.plan.waiting?.find((entry) => entry.resource === `Container/${name}`);
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
    const own = this.#input.reachability.filter((check) => check.resource === `${kind}/${name}`);
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
    const applying = (this.#input.inFlight?.actions ?? []).filter((action) => action.resource === key).map((action) => action.id);
    if (!pass || this.#input.engine.reachable !== true) return { key, known: false, applied: [], applying, ...(lastError === undefined ? {} : { lastError }) };
    const outcomes = pass.result.outcomes.filter((outcome) => outcome.action.resource === key);
    const failed = outcomes.find((outcome) => !outcome.ok && !outcome.skipped);
    const skipped = outcomes.find((outcome) => outcome.skipped);
    const problem = pass.result.plan.problems.find((candidate) => candidate.resource === key);
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

/** Conditions keep the previous `lastTransitionTime` while their status holds. */
function withTransitionTimes(drafts: Draft[], previous: Status | undefined, now: string): ResourceStatus[] {
  const before = new Map((previous?.resources ?? []).map((resource) => [`${resource.kind}/${resource.name}`, resource]));
  return drafts.map((draft) => {
    const earlier = before.get(`${draft.kind}/${draft.name}`)?.conditions ?? [];
    return {
      ...draft,
      conditions: draft.conditions.map((condition) => {
        const same = earlier.find((candidate) => candidate.type === condition.type && candidate.status === condition.status);
        return { ...condition, lastTransitionTime: same?.lastTransitionTime ?? now };
      }),
    };
  });
}
