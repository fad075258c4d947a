import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { CommandFactory } from './command.js';
import { EXIT, writeLine } from './command.js';
import type { EngineCommandDeps } from './engine-options.js';
import { addEngineOptions, commandLogger, dockerEngineDeps, engineCommandOptions } from './engine-options.js';
import { policyOf } from './policy-option.js';
import type { EngineCommandOptions } from './engine-options.js';
import { duration } from '../manifests/schema.js';
import { createManifestLoader, durationMs } from '../manifests/desired-state.js';
import type { ProbeMethodOption } from '../probes/prober-runner.js';
import { Daemon } from '../controller/daemon.js';
import { InstanceLockedError, acquireInstanceLock } from '../controller/lock.js';
import type { SignalSource } from '../controller/triggers/signals.js';
import { handleSignals, signalExitCode } from '../controller/triggers/signals.js';
import { errorMessage } from '../errors.js';
import { resolveNode } from './node.js';
import { resolveStateDir } from '../state-dir.js';

interface RunOptions extends EngineCommandOptions {
  status: string;
  metricsFile?: string;
  listen?: string;
  resync: number;
  pullInterval: number;
  pruneDelay: number;
  probeInterval: number;
  probeTimeout: number;
  probeMethod: ProbeMethodOption;
  probeImage?: string;
}

export interface RunCommandDeps extends EngineCommandDeps {
  /** Where SIGTERM, SIGINT and SIGHUP come from. */
  signals: SignalSource;
  /** Called once the daemon has stopped, with the exit code. */
  stopped(code: number): void;
  /** Ends the process now: a second stop signal. */
  exit(code: number): void;
}

/** `mooring run`: the daemon, until SIGTERM or SIGINT; exit 0 after a clean stop, 128 + the signal's number when a second one cut it short. */
export function createRunCommand(deps: RunCommandDeps): CommandFactory {
  return (io, done) => {
    const command: Command = addEngineOptions(new Command('run').description('Run the daemon: keep the engine equal to the manifests, probe reachability, write the status'), {
      logLevel: 'info',
      output: false,
    })
      .option('--status <file>', 'status file, written atomically after every pass', 'status.json')
      .option('--metrics-file <file>', 'Prometheus text file for node_exporter\'s textfile collector')
      .option('--listen <address>', 'serve /healthz, /readyz, /metrics and /status over HTTP on host:port')
      .addOption(durationOption('--resync <duration>', 'full pass, manifests read again, at least this often', '30s'))
      .addOption(durationOption('--pull-interval <duration>', 'pull an image with pullPolicy Always at most this often', '5m'))
      .addOption(durationOption('--prune-delay <duration>', 'remove what no manifest declares only once that has held this long', '10s'))
      .addOption(durationOption('--probe-interval <duration>', 'time between reachability rounds', '10s'))
      .addOption(durationOption('--probe-timeout <duration>', 'per check, resolution and connection', '1s'))
      .addOption(new Option('--probe-method <method>', 'how checks run inside containers').choices(['auto', 'setns', 'nsenter', 'probe-container']).default('auto'))
      .option('--probe-image <image>', 'image with node for the probe-container method (default: mooring\'s own, when it runs in a container)')
      .action(async () => {
        const options = engineCommandOptions(command) as RunOptions;
        const logger = commandLogger(io, options);
        const statusFile = resolve(options.status);
        // Read once: the operator changes the policy by restarting the daemon.
        const policy = await policyOf(io, options.policy);
        if (!policy) return done(EXIT.failed);
        let lock;
        try {
          lock = await acquireInstanceLock({
            instance: options.instance,
            pid: process.pid,
            startedAt: new Date().toISOString(),
            manifestsDirectory: resolve(options.manifests),
            statusFile,
          });
        } catch (error) {
          if (!(error instanceof InstanceLockedError)) throw error;
          writeLine(io.stderr, `mooring: ${error.message}`);
          return done(EXIT.failed);
        }
        const engine = deps.openEngine({ dockerHost: options.dockerHost, env: io.env, logger });
        const node = await resolveNode({ flag: options.node, engine, logger });
        const loadManifests = createManifestLoader();
        const daemon = new Daemon({
          engine,
          logger,
          node,
          instance: options.instance,
          manifestsDirectory: options.manifests,
          loadManifests: (load) => loadManifests({ ...load, policy, profiles: options.profile }),
          statusFile,
          metricsFile: options.metricsFile === undefined ? undefined : resolve(options.metricsFile),
          listen: options.listen,
          resyncMs: options.resync,
          pruneDelayMs: options.pruneDelay,
          pullIntervalMs: options.pullInterval,
          allowEmpty: options.allowEmpty,
          stateDir: resolveStateDir({ flag: options.stateDir, statusFile }),
          probes: {
            intervalMs: options.probeInterval,
            timeoutMs: options.probeTimeout,
            method: options.probeMethod,
            ...(options.probeImage === undefined ? {} : { probeImage: options.probeImage }),
          },
        });
        let finished!: () => void;
        const finishing = new Promise<void>((resolve) => (finished = resolve));
        const dispose = handleSignals(deps.signals, {
          onStop: (signal) => {
            logger.info(`received ${signal}`);
            void daemon.stop().then(finished);
          },
          onForce: (signal) => {
            logger.warn(`received ${signal} again: exiting now, without finishing what has begun nor writing a final status`);
            deps.exit(signalExitCode(signal));
          },
          onReload: () => daemon.reload(),
        });
        try {
          await daemon.start();
        } catch (error) {
          dispose();
          await daemon.stop();
          await lock.release();
          writeLine(io.stderr, `mooring: ${errorMessage(error)}`);
          return done(EXIT.failed);
        }
        await finishing;
        dispose();
        await lock.release();
        deps.stopped(EXIT.ok);
        done(EXIT.ok);
      });
    return command;
  };
}

/** A flag that takes `30s`, `500ms`, `1m` or a number of seconds, parsed to milliseconds. */
function durationOption(flags: string, description: string, fallback: string): Option {
  return new Option(flags, description).argParser(parseDuration).default(parseDuration(fallback), fallback);
}

function parseDuration(value: string): number {
  const parsed = duration.safeParse(/^\d+(\.\d+)?$/.test(value) ? Number(value) : value);
  const ms = parsed.success ? durationMs(parsed.data) : 0;
  if (!(ms > 0)) throw new InvalidArgumentError(`expected a duration such as "30s", "500ms" or "1m" (a plain number is seconds), got ${JSON.stringify(value)}`);
  return ms;
}

export const runCommand: CommandFactory = createRunCommand({
  ...dockerEngineDeps,
  signals: process,
  // The stop deadline does not end an engine request that hangs, and its socket would keep the process alive.
  stopped: (code) => setTimeout(() => process.exit(code), 1000).unref(),
  exit: (code) => process.exit(code),
});
