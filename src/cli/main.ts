import { Command, CommanderError } from 'commander';
import type { CliIo, CommandFactory } from './command.js';
import { EXIT, writeLine } from './command.js';
import { VERSION } from '../version.js';
import { validateCommand } from './validate.js';
import { schemaCommand } from './schema.js';
import { planCommand } from './plan.js';
import { applyCommand } from './apply.js';
import { runCommand } from './run.js';
import { statusCommand } from './status.js';
import { convertCommand } from './convert.js';
import { errorMessage } from '../errors.js';

const SUBCOMMANDS: CommandFactory[] = [validateCommand, schemaCommand, planCommand, applyCommand, runCommand, statusCommand, convertCommand];

/** Runs the CLI and resolves to the process exit code. */
export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = new Command('mooring')
    .description('Keeps a Docker host equal to a directory of manifests, and records what can reach what.')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
  for (const factory of SUBCOMMANDS) {
    // A command added (rather than created through `.command()`) would keep commander's defaults: writing its own errors to process.stderr.
    program.addCommand(factory(io, (code) => (exitCode = code)).copyInheritedSettings(program));
  }
  try {
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
