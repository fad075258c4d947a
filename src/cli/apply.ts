import type { CommandFactory } from './command.js';
import { EXIT, writeLine } from './command.js';
import type { EngineCommandDeps, EngineCommandOptions } from './engine-options.js';
import { dockerEngineDeps, manifestCommand } from './engine-options.js';
import { reconcile } from '../reconcile/reconcile.js';
import type { ReconcileResult } from '../reconcile/reconcile.js';
import { STOPPING } from '../reconcile/apply.js';
import { formatReconcileResult } from '../reconcile/format-plan.js';
import { describeHolder, findInstanceLockHolder } from '../controller/lock.js';
import type { SignalSource } from '../controller/triggers/signals.js';
import { handleSignals, signalExitCode } from '../controller/triggers/signals.js';
import { systemClock } from '../clock.js';
import { isTransient } from '../errors.js';
import { count } from '../plural.js';
import { resolveStateDir } from '../state-dir.js';

export interface ApplyCommandDeps extends EngineCommandDeps {
  /** Where SIGINT and SIGTERM come from. */
  signals: SignalSource;
  /** Ends the process now: a second interrupt. */
  exit(code: number): void;
}

/**
 * `mooring apply`: one reconcile pass. Exit 0 when converged, 1 otherwise.
 * Like terraform, a first interrupt lets what has begun finish (a container
 * removed to be recreated is created and started) and begins nothing more,
 * then prints what was done and what was not and exits 128 + the signal's
 * number; a second one exits at once.
 */
export function createApplyCommand(deps: ApplyCommandDeps): CommandFactory {
  const factory = manifestCommand({
    name: 'apply',
    description: 'Make the engine match the manifests in one pass; exit 0 when converged, 1 otherwise, 130 when interrupted',
    deps,
    async run({ io, options, desired, engine, logger }) {
      if (!(options as EngineCommandOptions & { force: boolean }).force) {
        const daemon = await findInstanceLockHolder(options.instance);
        if (daemon) {
          writeLine(
            io.stderr,
            `mooring: a mooring daemon runs instance "${options.instance}" on this host${describeHolder(daemon.holder)}, and its passes would race this apply: ` +
              'let it apply the manifests, stop it first, or pass --force',
          );
          return EXIT.failed;
        }
      }
      const interrupt = new AbortController();
      let interrupted: NodeJS.Signals | undefined;
      const dispose = handleSignals(deps.signals, {
        onStop: (signal) => {
          interrupted = signal;
          writeLine(io.stderr, `mooring: ${signal}: finishing what has begun, beginning nothing more; interrupt again to exit now`);
          interrupt.abort();
        },
        onForce: (signal) => {
          writeLine(io.stderr, `mooring: ${signal} again: exiting now; what was in flight may be left half done (\`mooring plan\` shows what is left)`);
          deps.exit(signalExitCode(signal));
        },
      });
      let result: ReconcileResult;
      try {
        result = await reconcile({ engine, logger, clock: systemClock, instance: options.instance, desired, allowEmpty: options.allowEmpty, stateDir: resolveStateDir({ flag: options.stateDir }), signal: interrupt.signal });
      } finally {
        dispose();
      }
      if (options.output === 'json') {
        const outcomes = result.outcomes.map(({ action, error, ...outcome }) => ({ id: action.id, type: action.type, resource: action.resource, reason: action.reason, ...outcome, ...reportedError(error) }));
        const errors = result.errors.map(({ error, ...rest }) => ({ ...rest, terminal: !isTransient(error) }));
        const report = { converged: result.converged, interrupted, outcomes, errors, pruneRefused: result.pruneRefused };
        io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        io.stdout.write(formatReconcileResult(result));
        if (interrupted) writeLine(io.stdout, interruptedSummary(interrupted, result));
      }
      if (interrupted) return signalExitCode(interrupted);
      return result.converged ? EXIT.ok : EXIT.failed;
    },
  });
  return (io, done) => factory(io, done).option('--force', 'apply even while a mooring daemon runs the same instance on this host', false);
}

/** An outcome's error as the JSON report gives it: its message, and whether retrying cannot help. */
function reportedError(error: Error | undefined): { error?: string; terminal?: boolean } {
  return error === undefined ? {} : { error: error.message, terminal: !isTransient(error) };
}

function interruptedSummary(signal: NodeJS.Signals, result: ReconcileResult): string {
  const done = result.outcomes.filter((outcome) => outcome.ok).length;
  const notBegun = result.outcomes.filter((outcome) => outcome.skipped && outcome.error?.message === STOPPING).length;
  return `Interrupted (${signal}): ${count(done, 'action')} done, ${notBegun} not begun. Run \`mooring apply\` again to finish.`;
}

export const applyCommand: CommandFactory = createApplyCommand({ ...dockerEngineDeps, signals: process, exit: (code) => process.exit(code) });
