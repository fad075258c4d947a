/** A directory of its own for each test of a suite, removed after the test whatever its outcome. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Registers the suite's `beforeEach` and `afterEach`: call it in a `describe`.
 * The returned function gives the current test's directory.
 */
export function directoryPerTest(prefix: string): () => string {
  let directory: string | undefined;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    if (directory !== undefined) await rm(directory, { recursive: true, force: true });
    directory = undefined;
  });
  return () => {
    if (directory === undefined) throw new Error('directoryPerTest: the directory exists only while a test runs');
    return directory;
  };
}
