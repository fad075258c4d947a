/**
 * What every command that talks to the engine shares: its flags, the engine
 * and logger they select, and loading the manifests.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Engine } from '../engine/port.js';
import { DockerEngine } from '../engine/docker/index.js';
import type { Logger, LogLevel } from '../log.js';
import { LOG_LEVELS, createLogger } from '../log.js';
import type { DesiredState } from '../manifests/model.js';
import { loadDesiredState } from '../manifests/desired-state.js';
import type { CliIo, CommandFactory } from './command.js';
import { EXIT, manifestsDirectory, writeLine } from './command.js';
import { count } from '../plural.js';
import { policyOf, policyOption } from './policy-option.js';
import { profileOption } from './profile-option.js';

export interface EngineCommandOptions {
  manifests: string;
  /** Unset: `DOCKER_HOST`, then the local socket. */
  dockerHost?: string;
  instance: string;
  allowEmpty: boolean;
  /** Unset: beside the status file (`mooring-state`). */
  stateDir?: string;
  /** `baseline`, `privileged` or a policy file. */
  policy: string;
  logLevel: LogLevel;
  output: 'text' | 'json';
  /** `--profile`, repeated: the Compose profiles to enable. */
  profile: string[];
}

/** How a command gets its engine; tests pass a fake. */
export interface EngineCommandDeps {
  openEngine(options: { dockerHost?: string; env: NodeJS.ProcessEnv; logger: Logger }): Engine;
}

export const dockerEngineDeps: EngineCommandDeps = {
  openEngine: (options) => new DockerEngine(options),
};

export const DEFAULT_INSTANCE = 'default';

/**
 * Adds the shared flags. `logLevel` is the command's default: quiet for one-shot
 * commands, info for the daemon; `output: false` leaves out `--output` for a
 * command that prints no result (the daemon).
 */
export function addEngineOptions(command: Command, defaults: { logLevel: LogLevel; output?: boolean }): Command {
  command
    .argument('[directory]', 'manifests directory (same as -m)')
    .option('-m, --manifests <dir>', 'manifests directory', 'manifests')
    .option('--docker-host <url>', 'engine address, unix:// or tcp:// (default: $DOCKER_HOST, then the local socket)')
    .option('--instance <name>', 'the name that marks what this mooring owns, so several can share an engine', parseInstance, DEFAULT_INSTANCE)
    .option('--allow-empty', 'remove everything this instance owns when no manifest declares anything', false)
    .option('--state-dir <dir>', 'where secret files are written for containers to mount (default: mooring-state beside the status file)')
    .addOption(policyOption())
    .addOption(profileOption())
    .addOption(new Option('--log-level <level>', 'log level (logs go to stderr)').choices(LOG_LEVELS).default(defaults.logLevel));
  if (defaults.output === false) return command;
  return command.addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'));
}

/** The parsed flags of a command built with `addEngineOptions`; a directory argument stands for `-m`. */
export function engineCommandOptions(command: Command): EngineCommandOptions {
  return { ...command.opts<EngineCommandOptions>(), manifests: manifestsDirectory(command) };
}

export function commandLogger(io: CliIo, options: EngineCommandOptions): Logger {
  return createLogger({ level: options.logLevel, stream: io.stderr });
}

/**
 * Loads and validates the manifests. When any file is invalid, prints every
 * error (`FILE:LINE:COL: Kind/name: path: message`) and resolves to undefined:
 * a command must not act on a partly valid directory.
 */
export async function loadValidDesiredState(io: CliIo, options: EngineCommandOptions): Promise<DesiredState | undefined> {
  const policy = await policyOf(io, options.policy);
  if (!policy) return undefined;
  const loaded = await loadDesiredState({ directory: options.manifests, policy, profiles: options.profile });
  const errors = loaded.files.flatMap((file) => file.errors);
  if (errors.length > 0) {
    for (const error of errors) writeLine(io.stderr, error.message);
    const files = loaded.files.filter((file) => file.errors.length > 0).length;
    writeLine(io.stderr, `${count(errors.length, 'error')} in ${count(files, 'file')}; nothing was changed`);
    return undefined;
  }
  if (!loaded.directoryExists) {
    writeLine(io.stderr, `note: the manifests directory ${options.manifests} does not exist; nothing is declared`);
  }
  return loaded.desired;
}

export interface ManifestCommandContext {
  io: CliIo;
  options: EngineCommandOptions;
  desired: DesiredState;
  engine: Engine;
  logger: Logger;
}

/**
 * A command that loads the manifests, refuses to go on when any is invalid,
 * then works against the engine once (`plan`, `apply`); `run` resolves to the exit code.
 */
export function manifestCommand(spec: {
  name: string;
  description: string;
  deps: EngineCommandDeps;
  run(context: ManifestCommandContext): Promise<number>;
}): CommandFactory {
  return (io, done) => {
    const command: Command = addEngineOptions(new Command(spec.name).description(spec.description), { logLevel: 'warn' }).action(async () => {
      const options = engineCommandOptions(command);
      const desired = await loadValidDesiredState(io, options);
      if (!desired) return done(EXIT.failed);
      const logger = commandLogger(io, options);
      const engine = spec.deps.openEngine({ dockerHost: options.dockerHost, env: io.env, logger });
      done(await spec.run({ io, options, desired, engine, logger }));
    });
    return command;
  };
}

function parseInstance(value: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(value)) {
    throw new InvalidArgumentError(`expected a name of letters, digits, "_", "." and "-", got ${JSON.stringify(value)}`);
  }
  return value;
}
