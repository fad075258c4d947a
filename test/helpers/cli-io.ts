/** Streams for a CLI command under test, and what the command wrote to them. */
import { PassThrough } from 'node:stream';
import type { CliIo } from '../../src/cli/command.js';

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
