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
