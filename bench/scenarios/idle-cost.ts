/**
 * What the daemon costs when nothing changes: a converged stack, probes every
 * 10 s, resyncs at the default period; CPU and memory read from /proc.
 */
import { join } from 'node:path';
import { removeLabelled } from '../../test/support/docker.js';
import { startDaemon } from '../daemon-process.js';
import { processCost } from '../measure.js';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.js';
import { round } from '../scenario.js';
import { generateStack, writeManifests } from '../stack.js';

const CPU_TARGET_PERCENT = 2;
const RSS_TARGET_MB = 150;

export const idleCost: Scenario = {
  id: 'idle-cost',
  waits: true,
  async run(context: BenchContext): Promise<ScenarioResult> {
    const size = context.quick ? { containers: 4, networks: 2, links: 2, ports: 1 } : { containers: 50, networks: 5, links: 20, ports: 10 };
    // Quick: one probe interval, which holds one round wherever it starts.
    const seconds = context.quick ? 10 : 60;
    const settleSeconds = context.quick ? 0 : 5;
    const stack = generateStack({ prefix: `${context.runId}-ic`, size, hostPortBase: 30_000 });
    const directory = join(context.workDir, stack.prefix);
    await writeManifests(stack, directory);
    context.progress(`idle cost: converging ${size.containers} containers under mooring run`);
    const daemon = startDaemon({
      manifests: directory,
      instance: stack.prefix,
      statusFile: join(context.workDir, `${stack.prefix}.status.json`),
      extraArgs: ['--probe-interval', '10s', '--metrics-file', join(context.workDir, `${stack.prefix}.prom`)],
    });
    try {
      await daemon.synced(180_000);
      // Idle is what follows the first probe round, and (in full mode) the start-up allocations after it.
      await daemon.statusUntil('a first verdict on every check', (status) => status.reachabilitySummary.total > 0 && status.reachabilitySummary.unknown === 0, 60_000);
      await new Promise((resolve) => setTimeout(resolve, settleSeconds * 1000));
      context.progress(`idle cost: measuring for ${seconds} s`);
      const before = await processCost(daemon.pid);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      const after = await processCost(daemon.pid);
      const cpuPercent = ((after.cpuSeconds - before.cpuSeconds) / seconds) * 100;
      return {
        id: 'idle-cost',
        title: 'Idle cost of `mooring run`',
        parameters: { ...size, seconds, probeInterval: '10s' },
        rows: [{ label: 'mooring run', values: { 'CPU s': round(after.cpuSeconds - before.cpuSeconds, 2), '% of one core': round(cpuPercent, 2), 'peak RSS MB': round(after.peakRssMb, 1) } }],
        targets: [
          { target: `under ${CPU_TARGET_PERCENT}% of one core`, measured: `${round(cpuPercent, 2)}%`, met: cpuPercent < CPU_TARGET_PERCENT },
          { target: `under ${RSS_TARGET_MB} MB RSS`, measured: `${round(after.peakRssMb, 1)} MB`, met: after.peakRssMb < RSS_TARGET_MB },
        ],
        notes: ['CPU includes the probers the daemon spawned and reaped (their time is added to the parent\'s in /proc).'],
      };
    } finally {
      context.progress('idle cost: removing the stack');
      await daemon.stop();
      await removeLabelled(stack.label);
    }
  },
};
