/**
 * One reconcile pass over a converged stack, in process, counting the engine
 * requests with the adapter's own counters: what the daemon pays every resync.
 */
import { join } from 'node:path';
import { removeLabelled } from '../../test/support/docker.js';
import { DockerEngine } from '../../src/engine/docker/index.js';
import { loadDesiredState } from '../../src/manifests/desired-state.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { median, run, timed } from '../measure.js';
import type { BenchContext, Row, Scenario, ScenarioResult } from '../scenario.js';
import { MOORING_BIN, round } from '../scenario.js';
import { generateStack, writeManifests } from '../stack.js';

const PASSES = 5;
const HOST_PORT_BASE = 29_000;

export const noopPass: Scenario = {
  id: 'noop-pass',
  async run(context: BenchContext): Promise<ScenarioResult> {
    const sizes = context.quick ? [5, 10, 20] : [10, 50, 200];
    const rows: Row[] = [];
    const failures: string[] = [];
    let largestMs = Number.NaN;
    for (const containers of sizes) {
      const networks = 5;
      const stack = generateStack({
        prefix: `${context.runId}-np${containers}`,
        size: { containers, networks, links: Math.floor(containers / 10), ports: Math.floor(containers / 10) },
        hostPortBase: HOST_PORT_BASE,
      });
      const directory = join(context.workDir, stack.prefix);
      context.progress(`no-op pass: converging ${containers} containers`);
      try {
        await writeManifests(stack, directory);
        await run('node', [MOORING_BIN, 'apply', '-m', directory, '--instance', stack.prefix]);
        const engine = new DockerEngine({ env: process.env, logger: silentLogger() });
        const { desired } = await loadDesiredState({ directory });
        const pass = async () => {
          const before = engine.requestCounts();
          let actions = 0;
          const milliseconds = await timed(async () => {
            const result = await reconcile({ engine, logger: silentLogger(), clock: systemClock, instance: stack.prefix, desired });
            actions = result.plan.actions.length;
          });
          const after = engine.requestCounts();
          return { milliseconds, actions, requests: after.total - before.total, mutating: after.mutating - before.mutating };
        };
        // The first pass of a new process fills the adapter's caches; the daemon pays it once.
        const first = await pass();
        const passes = [];
        for (let index = 0; index < PASSES; index++) passes.push(await pass());
        const requests = Math.max(...passes.map((result) => result.requests));
        const mutating = passes.reduce((sum, result) => sum + result.mutating, first.mutating);
        const actions = passes.reduce((sum, result) => sum + result.actions, first.actions);
        const ms = median(passes.map((result) => result.milliseconds));
        largestMs = ms;
        if (requests > 3) failures.push(`${requests} requests at N=${containers}`);
        if (mutating > 0 || actions > 0) failures.push(`${mutating} mutating requests and ${actions} planned actions at N=${containers}`);
        rows.push({
          label: `N = ${containers}`,
          values: { 'requests per pass': requests, 'mutating': mutating, 'median ms': round(ms, 1), 'first pass requests': first.requests, 'first pass ms': round(first.milliseconds, 1) },
        });
      } finally {
        await removeLabelled(stack.label);
      }
    }
    const largest = sizes.at(-1) as number;
    return {
      id: 'noop-pass',
      title: 'No-op pass over a converged stack',
      parameters: { sizes: sizes.join(', '), passes: PASSES },
      rows,
      targets: [
        { target: 'at most 3 engine requests and no mutation per pass, at every N', measured: failures.join('; ') || 'met at every N', met: failures.length === 0 },
        { target: `under 100 ms at N = ${largest}`, measured: `${round(largestMs, 1)} ms`, met: largestMs < 100 },
      ],
      notes: ['A process\'s first pass also inspects each container once to learn its aliases (Docker 20.10 lists them as null); later passes use the cache.'],
    };
  },
};
