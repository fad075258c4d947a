/** Streams for a CLI command under test, and what the command wrote to them. */
import { PassThrough } from 'node:stream';
import { CommanderError } from 'commander';
import type { CliIo, CommandFactory } from '../../src/cli/command.js';

export interface CapturedIo {
  io: CliIo;
  /** Grows as the command writes. */
  output: { stdout: string; stderr: string };
}

export function captureIo(env: NodeJS.ProcessEnv = {}): CapturedIo {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const output = { stdout: '', stderr: '' };
  stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  return { io: { stdout, stderr, env }, output };
}

/** Runs one subcommand with exactly `args`; a CommanderError (a usage error) is exit code 1, as `main` makes it. */
export async function runCommand(factory: CommandFactory, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { io, output } = captureIo();
  let code = -1;
  const command = factory(io, (exit) => (code = exit))
    .exitOverride()
    .configureOutput({ writeOut: (text) => (output.stdout += text), writeErr: (text) => (output.stderr += text) });
  try {
    await command.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    code = 1;
  }
  return { code, ...output };
}
