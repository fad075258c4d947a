import type { Writable } from 'node:stream';

/** Where a command writes; tests pass their own streams. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

/** A subcommand's action resolves to its exit code. */
export type CommandResult = Promise<number>;

export const EXIT = {
  ok: 0,
  failed: 1,
  /** `plan`: there are changes to apply. */
  changes: 2,
} as const;

export function writeLine(stream: Writable, text = ''): void {
  stream.write(`${text}\n`);
}
