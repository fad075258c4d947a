/** `mooring status` as the CLI tests run it: at a fixed time, so "written 5s ago" is known. */
import { createStatusCommand } from '../../src/cli/status.js';
import { runCommand } from './cli-io.js';

/** Five seconds after `sampleStatus()` was written. */
export const STATUS_NOW = Date.parse('2024-05-01T12:00:15Z');

export function runStatus(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCommand(createStatusCommand({ now: () => STATUS_NOW }), args);
}
