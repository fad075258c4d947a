import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';

/** Where a command writes; tests pass their own streams. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** Each subcommand is built by a factory that reports its exit code through `done`. */
export type CommandFactory = (io: CliIo, done: (code: number) => void) => Command;

export const EXIT = {
  ok: 0,
  failed: 1,
  /** `plan`: there are changes to apply. */
  changes: 2,
} as const;

export function writeLine(stream: Writable, text = ''): void {
  stream.write(`${text}\n`);
}

/**
 * The manifests directory of a command with a `[directory]` argument and
 * `-m`: either one. Both, naming different directories, is an error rather
 * than a silent choice between them.
 */
export function manifestsDirectory(command: Command): string {
  const flag = command.opts<{ manifests: string }>().manifests;
  const [directory] = command.processedArgs as [string | undefined];
  if (directory === undefined) return flag;
  if (command.getOptionValueSource('manifests') === 'cli' && resolve(flag) !== resolve(directory)) {
    command.error(`error: two manifests directories: ${directory} as the argument and ${flag} with -m; give one of them`);
  }
  return directory;
}
