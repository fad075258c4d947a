import type { CommandFactory } from './command.js';
import { EXIT } from './command.js';
import type { EngineCommandDeps } from './engine-options.js';
import { dockerEngineDeps, manifestCommand } from './engine-options.js';
import { observe } from '../reconcile/observe.js';
import { declaresOverlay } from '../reconcile/overlay.js';
import { plan } from '../reconcile/plan/index.js';
import { formatPlan } from '../reconcile/format-plan.js';
import { resolveStateDir } from '../state-dir.js';

/** `mooring plan`: what `apply` would do, as a diff. Exit 0 nothing to do, 2 changes, 1 a problem or pruning refused (apply would not converge). */
export function createPlanCommand(deps: EngineCommandDeps): CommandFactory {
  return manifestCommand({
    name: 'plan',
    description: 'Show what apply would change; exit 0 when nothing, 2 when there are changes, 1 on an error, a problem or a refusal to prune',
    deps,
    async run({ io, options, desired, engine }) {
      const observed = await observe({ engine, instance: options.instance, swarm: declaresOverlay(desired) });
      const result = plan({ desired, observed, instance: options.instance, allowEmpty: options.allowEmpty, stateDir: resolveStateDir({ flag: options.stateDir }) });
      if (options.output === 'json') {
        io.stdout.write(`${JSON.stringify({ changes: result.actions.length > 0, ...result }, null, 2)}\n`);
      } else {
        io.stdout.write(formatPlan(result));
      }
      if (result.problems.length > 0 || result.pruneRefused !== undefined) return EXIT.failed;
      return result.actions.length > 0 ? EXIT.changes : EXIT.ok;
    },
  });
}

export const planCommand: CommandFactory = createPlanCommand(dockerEngineDeps);
