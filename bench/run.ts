/**
 * `npm run bench [-- --quick] [--only id,id] [--probe-image IMAGE] [--scale-sizes 300,100,500]`: runs the
 * scenarios against the local engine, prints a table, and writes
 * `bench/results/<date>.json`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { run } from './measure.js';
import { formatResults } from './report.js';
import type { BenchContext, Scenario, ScenarioResult } from './scenario.js';
import { REPO_ROOT } from './scenario.js';
import { coldConverge } from './scenarios/cold-converge.js';
import { noopPass } from './scenarios/noop-pass.js';
import { driftRepair, editToConverged } from './scenarios/daemon-latency.js';
import { probeRound } from './scenarios/probe-round.js';
import { idleCost } from './scenarios/idle-cost.js';
import { scale } from './scenarios/scale.js';
import { crossHostProbe } from './scenarios/cross-host-probe.js';

const SCENARIOS: Scenario[] = [coldConverge, noopPass, editToConverged, driftRepair, probeRound, idleCost, scale, crossHostProbe];

export interface BenchResults {
  date: string;
  mode: 'quick' | 'full';
  machine: Record<string, string | number>;
  scenarios: (ScenarioResult | { id: string; error: string })[];
}

async function machine(): Promise<Record<string, string | number>> {
  const engine = await run('docker', ['version', '--format', '{{.Server.Version}} (API {{.Server.APIVersion}})'], { allowFailure: true });
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    engine: engine.stdout.trim() || 'not answering',
  };
}

/**
 * No registry answers here, so the probe-container method gets the same
 * stand-in node image the image test builds from this host's own node.
 */
async function localNodeImage(): Promise<string> {
  const tag = 'mooring/bench-node:local';
  const present = await run('docker', ['image', 'inspect', tag], { allowFailure: true });
  if (present.code !== 0) await run('bash', [join(REPO_ROOT, 'test/integration/ship/local-node-image.sh'), tag]);
  return tag;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, 'probe-image': { type: 'string' }, 'scale-sizes': { type: 'string' } },
  });
  const scaleSizes = values['scale-sizes']?.split(',').map(Number);
  if (scaleSizes?.some((size) => !Number.isInteger(size) || size < 2)) throw new TypeError(`Expected \`--scale-sizes\` to be integers >= 2 separated by commas, got ${values['scale-sizes']}`);
  const only = values.only?.split(',');
  const unknown = only?.filter((id) => !SCENARIOS.some((scenario) => scenario.id === id)) ?? [];
  if (unknown.length > 0) throw new Error(`Expected scenario ids among ${SCENARIOS.map((scenario) => scenario.id).join(', ')}, got ${unknown.join(', ')}`);
  const workDir = await mkdtemp(join(tmpdir(), 'mooring-bench-'));
  let scenarioStarted = performance.now();
  const context: BenchContext = {
    quick: values.quick,
    runId: `mb${randomBytes(2).toString('hex')}`,
    workDir,
    probeImage: values['probe-image'] ?? (await localNodeImage()),
    ...(scaleSizes === undefined ? {} : { scaleSizes }),
    // Seconds into the scenario: where its time goes, phase by phase.
    progress: (message) => process.stderr.write(`bench: ${((performance.now() - scenarioStarted) / 1000).toFixed(1).padStart(5)} s ${message}\n`),
  };
  const results: BenchResults = { date: new Date().toISOString(), mode: values.quick ? 'quick' : 'full', machine: await machine(), scenarios: [] };
  try {
    const selected = SCENARIOS.filter((candidate) => !only || only.includes(candidate.id));
    for (const [index, scenario] of selected.entries()) {
      scenarioStarted = performance.now();
      // Quick mode's time is mostly waiting: a later set-up that no scenario's engine feels shares that wait.
      if (context.quick && scenario.waits) for (const later of selected.slice(index + 1)) later.prepare?.(context);
      try {
        results.scenarios.push(await scenario.run(context));
        context.progress(`${scenario.id} done`);
      } catch (error) {
        // One broken scenario must not hide the others' numbers.
        context.progress(`${scenario.id} failed: ${String(error)}`);
        results.scenarios.push({ id: scenario.id, error: String(error) });
      }
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  const directory = join(REPO_ROOT, 'bench', 'results');
  await mkdir(directory, { recursive: true });
  // A partial run must not overwrite the day's full results.
  const file = join(directory, `${results.date.slice(0, 10)}${values.quick ? '-quick' : ''}${only ? `-only-${only.join('-')}` : ''}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${formatResults(results)}\nResults written to ${file}\n`);
  const failed = (scenario: BenchResults['scenarios'][number]) => 'error' in scenario || scenario.targets.some((target) => target.required === true && !target.met);
  if (results.scenarios.some(failed)) process.exitCode = 1;
}

await main();
