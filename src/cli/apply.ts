import type { CommandFactory } from './main.js';
import { EXIT } from './io.js';
import type { EngineCommandDeps } from './engine-options.js';
import { dockerEngineDeps, manifestCommand } from './engine-options.js';
import { reconcile } from '../reconcile/reconcile.js';
import { formatReconcileResult } from '../reconcile/format-plan.js';
import { systemClock } from '../clock.js';

/** `mooring apply`: one reconcile pass. Exit 0 when converged, 1 otherwise. */
export function createApplyCommand(deps: EngineCommandDeps): CommandFactory {
  return manifestCommand({
    name: 'apply',
    description: 'Make the engine match the manifests in one pass; exit 0 when converged, 1 otherwise',
    deps,
    async run({ io, options, desired, engine, logger }) {
      const result = await reconcile({ engine, logger, clock: systemClock, instance: options.instance, desired, allowEmpty: options.allowEmpty });
      if (options.output === 'json') {
        const outcomes = result.outcomes.map(({ action, ...outcome }) => ({ id: action.id, type: action.type, resource: action.resource, reason: action.reason, ...outcome }));
        io.stdout.write(`${JSON.stringify({ converged: result.converged, outcomes, errors: result.errors, pruneRefused: result.pruneRefused }, null, 2)}\n`);
      } else {
        io.stdout.write(formatReconcileResult(result));
      }
      return result.converged ? EXIT.ok : EXIT.failed;
    },
  });
}

export const applyCommand: CommandFactory = createApplyCommand(dockerEngineDeps);
