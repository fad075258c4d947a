/**
 * One reconcile pass: observe the engine fresh, plan, apply. The CLI's `apply`
 * runs one; the daemon runs one per trigger.
 */
import type { Engine } from '../engine/port.js';
import type { DesiredState } from '../manifests/model.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { resourceFields } from '../log.js';
import { SkippedError, TerminalError } from '../errors.js';
import type { Plan } from './actions.js';
import type { ActionOutcome, RetryOptions } from './apply.js';
import { apply } from './apply.js';
import type { ObservedState } from './observe.js';
import { observe, observeImages } from './observe.js';
import type { Pulls } from './pulls.js';
import type { Builds } from './builds.js';
import type { EffectiveConfigCache } from './effective-configs.js';
import { normalizeImage } from './effective-config.js';
import { plan } from './plan/index.js';
import { declaresOverlay } from './overlay.js';
import type { RemovalGrace } from './removal-grace.js';
import { removeSecretFiles, writeSecretFiles } from '../state-dir.js';

export interface ReconcileOptions {
  engine: Engine;
  logger: Logger;
  clock: Clock;
  instance: string;
  desired: DesiredState;
  /** Prune even when no manifest declares anything. @default false */
  allowEmpty?: boolean;
  /** Where secret files are written (`--state-dir`); without one, containers with secrets are not made. */
  stateDir?: string;
  /** @default 8 */
  concurrency?: number;
  /** Resource keys (`Container/web`) to leave alone this pass, e.g. while they back off. */
  holdBack?: ReadonlySet<string>;
  retry?: RetryOptions;
  /** A number identifying the pass in the logs. */
  pass?: number;
  /** Once aborted, sequences not yet begun are skipped; those begun run to their end (see `apply`). */
  signal?: AbortSignal;
  /** What the engine runs, when the caller has just observed it; otherwise the pass observes. */
  observed?: ObservedState;
  /** The daemon's bounded pulls of `pullPolicy: Always` images, done before the plan so that it sees where their tags now point. */
  pulls?: Pulls;
  /** The daemon's image builds, which remember the failed ones across passes. */
  builds?: Builds;
  /** The daemon's effective configs of the last desired state, kept across passes. */
  effectiveCache?: EffectiveConfigCache;
  /** The daemon's prune delay: removals of what no manifest declares wait until they have been planned long enough. */
  removalGrace?: RemovalGrace;
  /** Told the plan before it is applied, e.g. to say what a long pass is doing. */
  onPlanned?: (planned: Plan) => void;
  /** Told, once `signal` aborts during the pass, which resources' begun sequences still run. */
  onStopping?: (finishing: string[]) => void;
}

export interface ReconcileError {
  /** `Kind/name`. */
  resource: string;
  message: string;
  /** What failed, with its cause; `isTransient(error)` says whether retrying can help before something changes. */
  error: Error;
}

export interface ReconcileResult {
  /** What the engine ran before the pass changed anything. */
  observed: ObservedState;
  plan: Plan;
  outcomes: ActionOutcome[];
  /** Every action succeeded, no resource has a problem, and nothing was held back or refused. */
  converged: boolean;
  /** At most one per resource: its plan problem or its first failed or skipped action. */
  errors: ReconcileError[];
  pruneRefused?: string;
}

/** Runs one pass. Rejects only when the engine cannot be observed; failures of single actions are in the result. */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileResult> {
  const logger = options.pass === undefined ? options.logger : options.logger.child({ pass: options.pass });
  const always = options.desired.containers.filter((document) => document.spec.pullPolicy === 'Always' && !document.spec.build).map((document) => normalizeImage(document.spec.image));
  const pulled = (await options.pulls?.refresh(always)) ?? 0;
  let observed = options.observed ?? (await observe({ engine: options.engine, instance: options.instance, swarm: declaresOverlay(options.desired) }));
  // The caller observed before the pulls: where the tags point now is read again.
  if (options.observed && pulled > 0) observed = { ...observed, images: await observeImages(options.engine) };
  const full = plan({
    desired: options.desired,
    observed,
    instance: options.instance,
    allowEmpty: options.allowEmpty ?? false,
    stateDir: options.stateDir,
    ...(options.effectiveCache && { effectiveCache: options.effectiveCache }),
  });
  const planned = options.removalGrace?.gate(full, options.clock.now()) ?? full;
  for (const problem of planned.problems) logger.warn(`${problem.resource}: ${problem.message}`, resourceFields(problem.resource));
  if (planned.pruneRefused) logger.warn(planned.pruneRefused);
  options.onPlanned?.(planned);
  // Before anything is created: a container must find its secrets there, and one updated in place sees the new file now.
  const secretFailures = options.stateDir && planned.secretFiles
    ? await writeSecretFiles({ stateDir: options.stateDir, instance: options.instance, files: planned.secretFiles, inputs: options.desired.inputs })
    : new Map<string, Error>();
  for (const [container, failure] of secretFailures) logger.error(`Container/${container}: ${failure.message}`, resourceFields(`Container/${container}`));
  const holdBack = secretFailures.size === 0 ? options.holdBack : new Set([...(options.holdBack ?? []), ...[...secretFailures.keys()].map((name) => `Container/${name}`)]);
  const outcomes = await apply({
    engine: options.engine,
    logger: options.logger,
    clock: options.clock,
    actions: planned.actions,
    concurrency: options.concurrency,
    holdBack,
    retry: options.retry,
    pulls: options.pulls,
    builds: options.builds,
    pass: options.pass,
    signal: options.signal,
    onStopping: options.onStopping,
  });

  const stateDir = options.stateDir;
  if (stateDir) {
    const removed = outcomes.filter((outcome) => outcome.ok && outcome.action.type === 'remove-container').map((outcome) => outcome.action.resource.slice('Container/'.length));
    await Promise.all(removed.map((container) => removeSecretFiles({ stateDir, instance: options.instance, container })));
  }

  const errors = new Map<string, ReconcileError>();
  // Its actions did not run; a later pass may write the files (a full disk freed, a permission fixed).
  for (const [container, failure] of secretFailures) {
    errors.set(`Container/${container}`, { resource: `Container/${container}`, message: failure.message, error: new SkippedError(failure.message, { transient: true, cause: failure }) });
  }
  for (const problem of planned.problems) {
    if (!errors.has(problem.resource)) errors.set(problem.resource, { resource: problem.resource, message: problem.message, error: new TerminalError(problem.message) });
  }
  for (const outcome of outcomes) {
    const resource = outcome.action.resource;
    // A resource held back already has its error with whoever held it back.
    if (outcome.ok || outcome.error === undefined || errors.has(resource) || options.holdBack?.has(resource)) continue;
    const message = outcome.skipped ? `skipped ${outcome.action.id}: ${outcome.error.message}` : `${outcome.action.id} failed: ${outcome.error.message}`;
    errors.set(resource, { resource, message, error: outcome.error });
  }
  const converged = outcomes.every((outcome) => outcome.ok) && planned.problems.length === 0 && !planned.pruneRefused && secretFailures.size === 0;
  return {
    observed,
    plan: planned,
    outcomes,
    converged,
    errors: [...errors.values()],
    ...(planned.pruneRefused === undefined ? {} : { pruneRefused: planned.pruneRefused }),
  };
}
