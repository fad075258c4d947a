import { Command, CommanderError } from 'commander';
import type { CliIo, CommandFactory } from './command.js';
import { EXIT, writeLine } from './command.js';
import { VERSION } from '../version.js';
import { errorMessage } from '../errors.js';
import { deferDockerodeExtras } from './defer-dockerode.js';
import { asksVersionOnly, subcommandOf } from './argv.js';

/**
 * Each subcommand's module, loaded only when that command runs: `validate`
 * never loads dockerode and `status` never loads the YAML parser or zod. All
 * of them load together only to list them (`--help`, an unknown command).
 */
const SUBCOMMANDS: Record<string, () => Promise<CommandFactory>> = {
  validate: async () => (await import('./validate.js')).validateCommand,
  schema: async () => (await import('./schema.js')).schemaCommand,
  plan: async () => (await import('./plan.js')).planCommand,
  apply: async () => (await import('./apply.js')).applyCommand,
  run: async () => (await import('./run.js')).runCommand,
  status: async () => (await import('./status.js')).statusCommand,
  convert: async () => (await import('./convert.js')).convertCommand,
};

/** The factories `argv` needs: its subcommand's alone, or every one when it names none that is known. */
async function factoriesFor(argv: readonly string[]): Promise<CommandFactory[]> {
  deferDockerodeExtras();
  if (asksVersionOnly(argv)) return [];
  const name = subcommandOf(argv);
  const load = name === undefined ? undefined : SUBCOMMANDS[name];
  return load ? [await load()] : Promise.all(Object.values(SUBCOMMANDS).map((loader) => loader()));
}

/** Runs the CLI and resolves to the process exit code. */
export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('mooring')
    .description('Keeps a Docker host equal to a directory of manifests, and records what can reach what.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  try {
    for (const factory of await factoriesFor(argv)) {
      // A command added (rather than created through `.command()`) would keep commander's defaults: writing its own errors to process.stderr.
      program.addCommand(factory(io, (code) => (exitCode = code)).copyInheritedSettings(program));
    }
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.failed;
    }
    writeLine(io.stderr, `mooring: ${errorMessage(error)}`);
    return EXIT.failed;
  }
  return exitCode;
}
