import type { ProberCheck, ProberOutput } from './prober.js';

/** The prober's last stdout line, checked to hold one result per check; throws on anything else. */
export function parseProberOutput(stdout: string, checks: readonly ProberCheck[]): ProberOutput {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  let output: ProberOutput;
  try {
    output = JSON.parse(line) as ProberOutput;
  } catch {
    throw new Error(`expected the prober to print its results as JSON, got ${JSON.stringify(line.slice(0, 200))}`);
  }
  const ids = new Set(Array.isArray(output?.results) ? output.results.map((result) => result.id) : []);
  const missing = checks.filter((check) => !ids.has(check.id));
  if (missing.length > 0) {
    throw new Error(`expected a prober result for every check, got none for ${missing.map((check) => check.id).join(', ')}`);
  }
  return output;
}
