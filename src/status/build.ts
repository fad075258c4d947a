/**
 * Assembles the status from what the daemon knows: the manifests as last
 * loaded, the last pass, what is held back, the engine's state and the probes.
 * Pure: the same input gives the same status, and conditions keep their
 * `lastTransitionTime` from the previous status while their state holds.
 */
import type { LoadedManifests } from '../manifests/desired-state.js';
import type { ManifestError } from '../manifests/errors.js';
import type { AnyDocument } from '../manifests/model.js';
import { summarizeReachability } from '../probes/model.js';
import type { ManifestFileStatus, ResourceStatus, Status, SyncState } from './model.js';
import { STATUS_API_VERSION } from './model.js';
import { count } from '../plural.js';
import { volumeStatuses } from './volumes.js';
import type { StatusInput } from './input.js';
import type { Draft } from './resources.js';
import { resourceStatuses } from './resources.js';

export type { HoldBack, PassInFlight, PassRecord, StatusInput } from './input.js';

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
