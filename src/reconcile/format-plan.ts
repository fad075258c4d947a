/** Plans and pass results as people read them: one line per action, like a diff. */
import type { Action, FieldChange, Kept, Plan, Waiting } from './actions.js';
import type { ActionOutcome } from './apply.js';
import { count, plural } from '../plural.js';

/**
 * What a pass reports, as the formatter reads it; a `ReconcileResult` is one. Named here rather than
 * imported so that the planner, which words its problems with `describeChanges`, does not import the
 * pass that runs it.
 */
export interface PassReport {
  plan: Plan;
  outcomes: ActionOutcome[];
  converged: boolean;
  errors: readonly unknown[];
  pruneRefused?: string;
}

const SYMBOL: Record<Action['type'], string> = {
  'create-network': '+',
  'recreate-network': '~',
  'remove-network': '-',
  'pull-image': '*',
  'create-container': '+',
  'recreate-container': '~',
  'update-container': '~',
  'start-container': '>',
  'stop-container': '<',
  'remove-container': '-',
  connect: '+',
  disconnect: '-',
  'create-volume': '+',
  'remove-volume': '-',
};

/** `create container web`, `connect container web to network front`, ... */
export function describeAction(action: Action): string {
  switch (action.type) {
    case 'create-network':
    case 'recreate-network':
      return `${action.type.split('-')[0]} network ${action.network.name}`;
    case 'remove-network':
      return `remove network ${action.name}`;
    case 'pull-image':
      return `${action.build ? 'build ' : ''}image ${action.image} for container ${action.container}`;
    case 'create-container':
    case 'recreate-container':
      return `${action.type.split('-')[0]} container ${action.container.name}`;
    case 'start-container':
    case 'stop-container':
    case 'update-container':
    case 'remove-container':
      return `${action.type.split('-')[0]} container ${action.name}`;
    case 'connect':
      return `connect container ${action.container} to network ${action.endpoint.network}`;
    case 'disconnect':
      return `disconnect container ${action.container} from network ${action.network}`;
    case 'create-volume':
      return `create volume ${action.volume.name}`;
    case 'remove-volume':
      return `remove volume ${action.name}`;
  }
}

/** `env.FOO: a → b`, `image: (unset) → x`, `command: changed → sleep 20` when the old value is not known. */
export function describeChange(change: FieldChange): string {
  const show = (value: string | undefined) => (value === undefined ? '(unset)' : value === '' ? '""' : value);
  if (change.fromUnknown) return change.to === undefined ? `${change.field}: removed` : `${change.field}: changed → ${show(change.to)}`;
  return `${change.field}: ${show(change.from)} → ${show(change.to)}`;
}

export function describeChanges(changes: FieldChange[]): string {
  return changes.map(describeChange).join('; ');
}

function actionLine(action: Action): string {
  // What changes is the news of an update: `update container web: resources.memory: 256m → 512m (in place)`.
  if (action.type === 'update-container') return `${SYMBOL[action.type]} ${describeAction(action)}: ${describeChanges(action.changes)} (${action.reason})`;
  const changes = action.changes.length > 0 ? ` (${describeChanges(action.changes)})` : '';
  return `${SYMBOL[action.type]} ${describeAction(action)}: ${action.reason}${changes}`;
}

export function formatPlan(plan: Plan): string {
  const lines = plan.actions.map(actionLine);
  for (const kept of plan.kept) lines.push(keptLine(kept));
  for (const waiting of plan.waiting ?? []) lines.push(waitingLine(waiting));
  for (const problem of plan.problems) lines.push(`! ${problem.resource}: ${problem.message}`);
  if (plan.pruneRefused) lines.push(`! not pruning: ${plan.pruneRefused}`);
  if (plan.actions.length === 0 && plan.problems.length === 0 && !plan.pruneRefused && !plan.waiting) {
    return 'Nothing to do: the engine matches the manifests.\n';
  }
  lines.push('', summary(plan));
  return `${lines.join('\n')}\n`;
}

function summary(plan: Plan): string {
  const planned = (...types: Action['type'][]) => plan.actions.filter((action) => types.includes(action.type)).length;
  const parts = [
    [planned('create-network', 'create-container', 'create-volume'), 'to create'],
    [planned('recreate-network', 'recreate-container'), 'to recreate'],
    [planned('remove-network', 'remove-container', 'remove-volume'), 'to remove'],
    [planned('connect', 'disconnect'), 'to connect or disconnect'],
    [planned('start-container', 'stop-container'), 'to start or stop'],
    [planned('update-container'), 'to update in place'],
    [plan.waiting?.length ?? 0, 'waiting for a dependency'],
    [plan.problems.length, plural(plan.problems.length, 'problem')],
  ] as const;
  const shown = parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  const changes = shown.length > 0 ? shown.join(', ') : 'no changes';
  if (!plan.pruneRefused) return `Plan: ${changes}.`;
  return `Plan: ${changes}. Pruning is refused (see above), so nothing is removed${plan.actions.length === 0 ? ', and nothing else changes' : ''}.`;
}

function waitingLine(waiting: Waiting): string {
  return `… wait ${waiting.resource}: ${waiting.message}`;
}

function keptLine(kept: Kept): string {
  return `= keep ${kept.resource}${kept.removeAt === undefined ? '' : ' for now'}: ${kept.reason}`;
}

function outcomeLine(outcome: ActionOutcome): string {
  const head = `${SYMBOL[outcome.action.type]} ${describeAction(outcome.action)}`;
  if (outcome.ok) return `${head}: done (${Math.round(outcome.durationMs)} ms)`;
  if (outcome.skipped) return `${head}: skipped, ${outcome.error?.message ?? ''}`;
  return `${head}: FAILED: ${outcome.error?.message ?? ''}`;
}

export function formatReconcileResult(result: PassReport): string {
  const lines = result.outcomes.map(outcomeLine);
  for (const kept of result.plan.kept) lines.push(keptLine(kept));
  for (const waiting of result.plan.waiting ?? []) lines.push(waitingLine(waiting));
  for (const problem of result.plan.problems) lines.push(`! ${problem.resource}: ${problem.message}`);
  if (result.pruneRefused) lines.push(`! not pruning: ${result.pruneRefused}`);
  if (result.outcomes.length === 0 && result.converged && !result.plan.waiting) return 'Nothing to do: the engine matches the manifests.\n';
  const failed = result.errors.length;
  lines.push('', result.converged ? 'Converged.' : `Not converged: ${count(failed, 'resource')} with errors${result.pruneRefused ? ', pruning refused' : ''}.`);
  return `${lines.join('\n')}\n`;
}
