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
import type { LoadedManifests } from '../manifests/desired-state.js';
import { loadDesiredState } from '../manifests/desired-state.js';
import { scopeLoaded } from '../manifests/node-scope.js';
import { resolveNode } from './node.js';
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
  /** In a fleet, the node this is (docs/multi-host.md). */
  node?: string;
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
    .option('--node <name>', 'in a fleet, the node this is: only Containers (and Probes from the host) with this `node` are reconciled (default: the engine\'s Swarm hostname, else the host name, and those with no `node` too)')
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

/** The manifests as loaded, errors and all; undefined when the policy cannot be read (said on stderr). */
async function loadManifests(io: CliIo, options: EngineCommandOptions): Promise<LoadedManifests | undefined> {
  const policy = await policyOf(io, options.policy);
  if (!policy) return undefined;
  return loadDesiredState({ directory: options.manifests, policy, profiles: options.profile });
}

/**
 * The desired state when no file has an error. Otherwise prints every error
 * (`FILE:LINE:COL: Kind/name: path: message`) and returns undefined: a command
 * must not act on a partly valid directory.
 */
function validDesiredState(io: CliIo, options: EngineCommandOptions, loaded: LoadedManifests): DesiredState | undefined {
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
      const loaded = await loadManifests(io, options);
      if (!loaded) return done(EXIT.failed);
      const logger = commandLogger(io, options);
      let engine: Engine | undefined;
      const openEngine = () => (engine ??= spec.deps.openEngine({ dockerHost: options.dockerHost, env: io.env, logger }));
      // Without any `node` in the manifests, every node's share is all of it: no need to ask the engine which node this is.
      // Scoped before the check: a secret file another node's containers read need not be on this host.
      const scoped = options.node === undefined && !declaresNodes(loaded.desired) ? loaded : scopeLoaded(loaded, await resolveNode({ flag: options.node, engine: openEngine(), logger }));
      const desired = validDesiredState(io, options, scoped);
      if (!desired) return done(EXIT.failed);
      done(await spec.run({ io, options, desired, engine: openEngine(), logger }));
    });
    return command;
  };
}

function declaresNodes(desired: DesiredState): boolean {
  return [...desired.containers, ...desired.probes].some((document) => document.spec.node !== undefined);
}

function parseInstance(value: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(value)) {
    throw new InvalidArgumentError(`expected a name of letters, digits, "_", "." and "-", got ${JSON.stringify(value)}`);
  }
  return value;
}
