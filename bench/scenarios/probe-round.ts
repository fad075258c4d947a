/**
 * One reachability round over many links, in process, per probe method: what
 * a round costs and whether it fits well within the probe interval.
 */
import { join } from 'node:path';
import { removeLabelled } from '../../test/support/docker.js';
import { DockerEngine } from '../../src/engine/docker/index.js';
import { loadDesiredState } from '../../src/manifests/desired-state.js';
import { ProbeScheduler } from '../../src/probes/scheduler.js';
import type { ProbeMethodOption } from '../../src/probes/prober-runner.js';
import { createProberRunner } from '../../src/probes/prober-runner.js';
import { proberProgram } from '../../src/probes/prober-program.js';
import { silentLogger } from '../../src/log.js';
import { applyUntilConverged, median, processCost, timed } from '../measure.js';
import type { BenchContext, Row, Scenario, ScenarioResult } from '../scenario.js';
import { round } from '../scenario.js';
import { generateStack, writeManifests } from '../stack.js';

const TARGET_MS = 2000;

export const probeRound: Scenario = {
  id: 'probe-round',
  async run(context: BenchContext): Promise<ScenarioResult> {
    const sources = context.quick ? 2 : 20;
    const linksPerSource = context.quick ? 2 : 5;
    const networks = context.quick ? 2 : 4;
    const size = { containers: sources + networks * linksPerSource, networks, links: sources * linksPerSource, linksPerSource, ports: 0 };
    const repetitions = context.quick ? 2 : 5;
    const stack = generateStack({ prefix: `${context.runId}-pr`, size, hostPortBase: 0 });
    const directory = join(context.workDir, stack.prefix);
    const methods: ProbeMethodOption[] = ['setns', 'nsenter', 'probe-container'];
    const rows: Row[] = [];
    const notes: string[] = [];
    let setnsMs = Number.NaN;
    context.progress(`probe round: converging ${size.containers} containers`);
    try {
      await writeManifests(stack, directory);
      await applyUntilConverged(['-m', directory, '--instance', stack.prefix]);
      const { desired } = await loadDesiredState({ directory });
      const engine = new DockerEngine({ env: process.env, logger: silentLogger() });
      for (const method of methods) {
        context.progress(`probe round: ${method}`);
        // The compiled prober, as `mooring run` spawns it, not its TypeScript source under tsx.
        const runner = createProberRunner({ engine, logger: silentLogger(), method, probeImage: context.probeImage, program: proberProgram({ built: true }) });
        const scheduler = new ProbeScheduler({ engine, logger: silentLogger(), instance: stack.prefix, runner });
        scheduler.setDesired(desired);
        // Untimed: the setns method starts its threads on the first round, as a daemon does once.
        await scheduler.runRound();
        const times: number[] = [];
        const before = await processCost(process.pid);
        for (let repetition = 0; repetition < repetitions; repetition++) times.push(await timed(() => scheduler.runRound()));
        const cpuMs = (((await processCost(process.pid)).cpuSeconds - before.cpuSeconds) * 1000) / repetitions;
        const checks = scheduler.snapshot();
        const healthy = checks.filter((check) => check.lastProbe?.success).length;
        if (healthy !== checks.length) notes.push(`${method}: ${checks.length - healthy} of ${checks.length} checks did not connect in the last round`);
        const ms = median(times);
        if (method === 'setns') setnsMs = ms;
        rows.push({
          label: method,
          values: { checks: checks.length, 'median ms': round(ms), 'max ms': round(Math.max(...times)), 'CPU ms per round': round(cpuMs), connected: `${healthy}/${checks.length}` },
        });
      }
    } finally {
      context.progress('probe round: removing the stack');
      await removeLabelled(stack.label);
    }
    return {
      id: 'probe-round',
      title: `One probe round: ${size.links} links across ${sources} source containers`,
      parameters: { links: size.links, sources, repetitions },
      rows,
      targets: [{ target: `a ${size.links}-link round within ${TARGET_MS / 1000} s (setns, mooring's default as root)`, measured: `${round(setnsMs)} ms`, met: setnsMs <= TARGET_MS }],
      notes: [
        ...notes,
        "CPU is this process's and its reaped children's: the probers nsenter starts; for the probe container, only the client's side (the engine's work is not counted).",
      ],
    };
  },
};
