/**
 * From nothing to a running stack: `mooring apply`, the docker CLI with the
 * same parallelism as mooring's apply, and `docker-compose up -d`, alternated.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { removeLabelled } from '../../test/support/docker.js';
import { DEFAULT_CONCURRENCY } from '../../src/reconcile/apply.js';
import { median, run, runPool, timed } from '../measure.js';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.js';
import { MOORING_BIN, round } from '../scenario.js';
import type { Stack, StackSize } from '../stack.js';
import { composeFile, creationWaves, generateStack, networkCommands, runCommand, writeManifests } from '../stack.js';

const HOST_PORT_BASE = 28_000;

interface Contender {
  name: string;
  converge(stack: Stack, directory: string): Promise<void>;
}

const contenders: Contender[] = [
  {
    name: 'mooring apply',
    async converge(stack, directory) {
      await writeManifests(stack, directory);
      await run('node', [MOORING_BIN, 'apply', '-m', directory, '--instance', stack.prefix]);
    },
  },
  {
    name: `docker CLI, ${DEFAULT_CONCURRENCY} in parallel`,
    async converge(stack) {
      await runPool(networkCommands(stack), DEFAULT_CONCURRENCY, (args) => run('docker', args));
      for (const wave of creationWaves(stack)) await runPool(wave, DEFAULT_CONCURRENCY, (container) => run('docker', runCommand(stack, container)));
    },
  },
  {
    name: 'docker-compose up -d',
    async converge(stack, directory) {
      const file = join(directory, 'docker-compose.yml');
      await mkdir(directory, { recursive: true });
      await writeFile(file, composeFile(stack));
      await run('docker-compose', ['-p', stack.prefix, '-f', file, 'up', '-d']);
    },
  },
];

export async function runningCount(label: string): Promise<number> {
  const { stdout } = await run('docker', ['ps', '-q', '--filter', `label=${label}`, '--filter', 'status=running']);
  return stdout.split('\n').filter(Boolean).length;
}

export const coldConverge: Scenario = {
  id: 'cold-converge',
  async run(context: BenchContext): Promise<ScenarioResult> {
    const size: StackSize = context.quick ? { containers: 4, networks: 2, links: 2, ports: 2 } : { containers: 50, networks: 5, links: 20, ports: 20 };
    const repetitions = context.quick ? 1 : 3;
    const times = new Map<string, number[]>(contenders.map((contender) => [contender.name, []]));
    for (let repetition = 0; repetition < repetitions; repetition++) {
      // Rotate the order so that no contender always runs on a warmer or cooler engine.
      const order = contenders.map((_, index) => contenders[(index + repetition) % contenders.length] as Contender);
      for (const [index, contender] of order.entries()) {
        const stack = generateStack({ prefix: `${context.runId}-cc${repetition}${index}`, size, hostPortBase: HOST_PORT_BASE });
        const directory = join(context.workDir, stack.prefix);
        context.progress(`cold converge: ${contender.name}, run ${repetition + 1}/${repetitions}`);
        try {
          const milliseconds = await timed(() => contender.converge(stack, directory));
          const running = await runningCount(stack.label);
          if (running !== size.containers) throw new Error(`${contender.name} left ${running} of ${size.containers} containers running`);
          times.get(contender.name)?.push(milliseconds);
        } finally {
          context.progress(`cold converge: ${contender.name}, removing the stack`);
          await removeLabelled(stack.label);
        }
      }
    }
    const medians = new Map([...times].map(([name, values]) => [name, median(values)]));
    const [mooringMs, cliMs, composeMs] = contenders.map((contender) => medians.get(contender.name) as number) as [number, number, number];
    return {
      id: 'cold-converge',
      title: 'Cold converge: nothing to a running stack',
      parameters: { ...size, repetitions },
      rows: contenders.map((contender) => {
        const ms = medians.get(contender.name) as number;
        return { label: contender.name, values: { 'median s': round(ms / 1000, 2), 'vs mooring': round(ms / mooringMs, 2) } };
      }),
      targets: [
        { target: 'mooring no slower than the parallel docker CLI', measured: `${round(mooringMs / cliMs, 2)}× the CLI's time`, met: mooringMs <= cliMs },
        { target: "mooring at most half of docker-compose's time", measured: `${round(mooringMs / composeMs, 2)}× compose's time`, met: mooringMs <= composeMs / 2 },
      ],
      notes: [
        "All three make the same engine calls, in parallel; the engine's container starts (network sandbox, iptables, mounts) take most of the time, so no client can come near half of another's.",
        'mooring apply includes starting node and loading mooring, about 0.4 s.',
      ],
    };
  },
};
