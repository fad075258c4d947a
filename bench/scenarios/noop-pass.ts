/**
 * One reconcile pass over a converged stack, in process, counting the engine
 * requests with the adapter's own counters: what the daemon pays every resync.
 * The same stack is then passed over again as declared with `pullPolicy:
 * Always`, through the daemon's bounded pulls: inside the pull interval such a
 * pass must ask the engine no more than one with `Never` (issue 15).
 */
import { join } from 'node:path';
import { removeLabelled } from '../../test/support/docker.js';
import { DockerEngine } from '../../src/engine/docker/index.js';
import type { DesiredState } from '../../src/manifests/model.js';
import { loadDesiredState } from '../../src/manifests/desired-state.js';
import { reconcile } from '../../src/reconcile/reconcile.js';
import { Pulls } from '../../src/reconcile/pulls.js';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { applyUntilConverged, median, timed } from '../measure.js';
import type { BenchContext, Row, Scenario, ScenarioResult } from '../scenario.js';
import { round } from '../scenario.js';
import type { Stack } from '../stack.js';
import { generateStack, writeManifests } from '../stack.js';

const PASSES = 5;
/**
 * Lists of networks, containers, volumes and images. The daemon's adapter,
 * with its event stream, answers the image list from a cache: 3 there.
 */
const MAX_REQUESTS = 4;
const HOST_PORT_BASE = 29_000;

interface PassFigures {
  milliseconds: number;
  actions: number;
  requests: number;
  mutating: number;
}

interface Passes {
  /** A process's first pass, which fills the adapter's caches (and, with `Always`, pulls: a mutating request). */
  first: PassFigures;
  /** The passes after it: the most requests any of them made, their median time, and what all of them changed. */
  requests: number;
  ms: number;
  mutating: number;
  /** Actions planned by every pass, the first included. */
  actions: number;
}

/** `PASSES` no-op passes after a first one, in a new adapter as a new daemon has; `pulls` as the daemon passes them. */
async function noopPasses(stack: Stack, desired: DesiredState, pulls?: (engine: DockerEngine) => Pulls): Promise<Passes> {
  const engine = new DockerEngine({ env: process.env, logger: silentLogger() });
  const options = { engine, logger: silentLogger(), clock: systemClock, instance: stack.prefix, desired, ...(pulls && { pulls: pulls(engine) }) };
  const pass = async (): Promise<PassFigures> => {
    const before = engine.requestCounts();
    let actions = 0;
    const milliseconds = await timed(async () => {
      actions = (await reconcile(options)).plan.actions.length;
    });
    const after = engine.requestCounts();
    return { milliseconds, actions, requests: after.total - before.total, mutating: after.mutating - before.mutating };
  };
  const first = await pass();
  const passes: PassFigures[] = [];
  for (let index = 0; index < PASSES; index++) passes.push(await pass());
  const sum = (key: 'mutating' | 'actions') => passes.reduce((total, figures) => total + figures[key], 0);
  return { first, requests: Math.max(...passes.map((figures) => figures.requests)), ms: median(passes.map((figures) => figures.milliseconds)), mutating: sum('mutating'), actions: first.actions + sum('actions') };
}

export const noopPass: Scenario = {
  id: 'noop-pass',
  async run(context: BenchContext): Promise<ScenarioResult> {
    const sizes = context.quick ? [2, 4, 8] : [10, 50, 200];
    const rows: Row[] = [];
    const failures: string[] = [];
    const alwaysFailures: string[] = [];
    let largestMs = Number.NaN;
    for (const containers of sizes) {
      const networks = context.quick ? 2 : 5;
      const stack = generateStack({
        prefix: `${context.runId}-np${containers}`,
        size: { containers, networks, links: Math.floor(containers / 10), ports: Math.floor(containers / 10) },
        hostPortBase: HOST_PORT_BASE,
      });
      const directory = join(context.workDir, stack.prefix);
      const alwaysDirectory = `${directory}-always`;
      context.progress(`no-op pass: converging ${containers} containers`);
      try {
        await writeManifests(stack, directory);
        await writeManifests(stack, alwaysDirectory, { pullPolicy: 'Always' });
        await applyUntilConverged(['-m', directory, '--instance', stack.prefix]);
        context.progress(`no-op pass: ${PASSES + 1} passes at N = ${containers}, with Never then Always`);
        const never = await noopPasses(stack, (await loadDesiredState({ directory })).desired);
        // The first pass pulls each image (no registry answers here: the pull fails at once, and what runs is kept); the next ones are inside the interval.
        const always = await noopPasses(stack, (await loadDesiredState({ directory: alwaysDirectory })).desired, (engine) => new Pulls({ engine, clock: systemClock, logger: silentLogger() }));
        largestMs = never.ms;
        if (never.requests > MAX_REQUESTS) failures.push(`${never.requests} requests at N=${containers}`);
        // Always's first pass pulls, a mutating request; the passes after it must change nothing either.
        for (const [policy, mutating, actions] of [['Never', never.first.mutating + never.mutating, never.actions], ['Always', always.mutating, always.actions]] as const) {
          if (mutating > 0 || actions > 0) failures.push(`${mutating} mutating requests and ${actions} planned actions at N=${containers} with ${policy}`);
        }
        if (always.requests > never.requests) alwaysFailures.push(`${always.requests} against ${never.requests} at N=${containers}`);
        rows.push({
          label: `N = ${containers}`,
          values: {
            'requests per pass': never.requests,
            'requests per pass, Always': always.requests,
            'mutating': never.first.mutating + never.mutating + always.mutating,
            'median ms': round(never.ms, 1),
            'first pass requests': never.first.requests,
            'first pass requests, Always': always.first.requests,
            'first pass ms': round(never.first.milliseconds, 1),
          },
        });
      } finally {
        context.progress(`no-op pass: removing ${containers} containers`);
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
        { target: `at most ${MAX_REQUESTS} engine requests and no mutation per pass, at every N`, measured: failures.join('; ') || 'met at every N', met: failures.length === 0 },
        { target: `under 100 ms at N = ${largest}`, measured: `${round(largestMs, 1)} ms`, met: largestMs < 100 },
        {
          target: 'with `pullPolicy: Always` inside the pull interval, no more requests per pass than with `Never`, at every N',
          measured: alwaysFailures.length === 0 ? 'met at every N' : `more: ${alwaysFailures.join('; ')}`,
          met: alwaysFailures.length === 0,
          required: true,
        },
      ],
      notes: [
        'A process\'s first pass also inspects each container once to learn its aliases (Docker 20.10 lists them as null); later passes use the cache.',
        'Always: the same converged stack declared with `pullPolicy: Always`, passed over by a new adapter with the daemon\'s bounded pulls (`--pull-interval`, 5 min). Its first pass asks for the image once (no registry answers here, so the pull fails at once and the container is kept); the passes after it are inside the interval.',
      ],
    };
  },
};
