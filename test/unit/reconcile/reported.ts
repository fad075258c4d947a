import { isTransient } from '../../../src/errors.js';
import type { ActionOutcome } from '../../../src/reconcile/apply.js';
import type { ReconcileError } from '../../../src/reconcile/reconcile.js';

/** A resource's error as `mooring apply -o json` reports it: its message, and whether retrying cannot help. */
export function reported(error: ReconcileError | undefined): { resource: string; message: string; terminal: boolean } | undefined {
  return error && { resource: error.resource, message: error.message, terminal: !isTransient(error.error) };
}

/** An outcome as `mooring apply -o json` reports it: the error's message, and whether retrying cannot help. */
export function reportedOutcome(outcome: ActionOutcome): Omit<ActionOutcome, 'error'> & { error?: string; terminal?: boolean } {
  const { error, ...rest } = outcome;
  return error === undefined ? rest : { ...rest, error: error.message, terminal: !isTransient(error) };
}
