/**
 * One probe round across hosts (docs/multi-host.md): a two-node swarm on this
 * machine (scripts/swarm.sh), sources on node 1 with Links over one overlay to
 * servers on node 2, next to the same number of Links to servers on node 1, so
 * the table shows what crossing hosts (VXLAN, the swarm's DNS) adds to a round.
 */
import { join } from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import { DockerEngine } from '../../src/engine/docker/index.js';
import { loadDesiredState } from '../../src/manifests/desired-state.js';
import { scopeToNode } from '../../src/manifests/node-scope.js';
import type { DesiredState } from '../../src/manifests/model.js';
import { ProbeScheduler } from '../../src/probes/scheduler.js';
import { createProberRunner } from '../../src/probes/prober-runner.js';
import { proberProgram } from '../../src/probes/prober-program.js';
import { silentLogger } from '../../src/log.js';
import { applyUntilConverged, median, run, timed } from '../measure.js';
import type { BenchContext, Row, Scenario, ScenarioResult } from '../scenario.js';
import { REPO_ROOT, round } from '../scenario.js';

const SWARM = join(REPO_ROOT, 'scripts/swarm.sh');
const TARGET_MS = 2000;

interface Node {
  name: string;
  socket: string;
}

function manifests(prefix: string, nodes: [Node, Node], sources: number, linksPerSource: number): string {
  const mesh = `${prefix}-mesh`;
  const server = (name: string, node: string) =>
    `apiVersion: mooring/v1\nkind: Container\nmetadata: { name: ${name} }\nspec: { image: mooring/busybox:latest, pullPolicy: Never, node: ${node}, command: [httpd, -f, -p, "80", -h, /www], stopTimeout: 1, networks: [{ name: ${mesh} }] }\n`;
  const documents = [`apiVersion: mooring/v1\nkind: Network\nmetadata: { name: ${mesh} }\nspec: { driver: overlay, attachable: true }\n`];
  for (let target = 1; target <= linksPerSource; target++) {
    documents.push(server(`${prefix}-near${target}`, nodes[0].name), server(`${prefix}-far${target}`, nodes[1].name));
  }
  for (let source = 1; source <= sources; source++) {
    const from = `${prefix}-src${source}`;
    documents.push(server(from, nodes[0].name));
    for (let target = 1; target <= linksPerSource; target++) {
      for (const where of ['near', 'far']) {
        documents.push(`apiVersion: mooring/v1\nkind: Link\nmetadata: { name: ${from}-${where}${target} }\nspec: { from: ${from}, to: ${prefix}-${where}${target}, network: ${mesh}, ports: [80] }\n`);
      }
    }
  }
  return documents.join('---\n');
}

/** Only the Links to `where` (`near`: node 1's servers, `far`: node 2's). */
function linksTo(desired: DesiredState, where: 'near' | 'far'): DesiredState {
  return { ...desired, links: desired.links.filter((link) => link.spec.to.includes(`-${where}`)) };
}

const swarmName = (context: BenchContext) => `${context.runId}x`;

/** `swarm.sh start`: the two nodes, manager first. */
async function startSwarm(context: BenchContext): Promise<[Node, Node]> {
  if (process.getuid?.() !== 0) throw new Error('a swarm of engines needs root');
  context.progress('cross-host probe round: starting a two-node swarm');
  const { stdout } = await run('bash', [SWARM, 'start', swarmName(context)]);
  context.progress('cross-host probe round: the swarm is up');
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [name = '', socket = ''] = line.split(' ');
      return { name, socket };
    }) as [Node, Node];
}

/** The swarm, started once: by `prepare` while an earlier scenario waits, or by `run`. */
let swarm: Promise<[Node, Node]> | undefined;
const swarmOf = (context: BenchContext) => (swarm ??= startSwarm(context));

export const crossHostProbe: Scenario = {
  id: 'cross-host-probe',
  prepare(context) {
    // Handled where `run` awaits it.
    swarmOf(context).catch(() => undefined);
  },
  async run(context: BenchContext): Promise<ScenarioResult> {
    const sources = context.quick ? 1 : 5;
    const linksPerSource = context.quick ? 2 : 5;
    const repetitions = context.quick ? 3 : 10;
    const prefix = `${context.runId}-xh`;
    const rows: Row[] = [];
    const notes: string[] = [];
    let farMs = Number.NaN;
    try {
      const nodes = await swarmOf(context);
      const directory = join(context.workDir, prefix);
      await mkdir(directory, { recursive: true });
      await writeFile(join(directory, 'fleet.yaml'), manifests(prefix, nodes, sources, linksPerSource));
      context.progress(`cross-host probe round: converging ${sources + 2 * linksPerSource} containers on two nodes`);
      // The manager first: it makes the overlay the other node's containers join.
      for (const node of nodes) await applyUntilConverged(['-m', directory, '--instance', prefix, '--node', node.name, '--docker-host', node.socket]);
      const desired = scopeToNode((await loadDesiredState({ directory })).desired, { node: nodes[0].name, explicit: true });
      const engine = new DockerEngine({ dockerHost: nodes[0].socket, env: process.env, logger: silentLogger() });
      for (const where of ['near', 'far'] as const) {
        const runner = createProberRunner({ engine, logger: silentLogger(), method: 'setns', probeImage: context.probeImage, program: proberProgram({ built: true }) });
        const scheduler = new ProbeScheduler({ engine, logger: silentLogger(), instance: prefix, runner });
        scheduler.setDesired(linksTo(desired, where));
        // Untimed: threads start, and the swarm's DNS learns the far containers, on the first rounds.
        await scheduler.runRound();
        const times: number[] = [];
        for (let repetition = 0; repetition < repetitions; repetition++) times.push(await timed(() => scheduler.runRound()));
        const checks = scheduler.snapshot();
        const connected = checks.filter((check) => check.lastProbe?.success).length;
        const perCheck = median(checks.flatMap((check) => (check.lastProbe?.success ? [check.lastProbe.durationMs] : [])));
        if (where === 'far') farMs = median(times);
        if (connected !== checks.length) notes.push(`${where}: ${checks.length - connected} of ${checks.length} checks did not connect in the last round`);
        rows.push({
          label: where === 'near' ? 'same host (overlay)' : 'across hosts (overlay)',
          values: { checks: checks.length, 'median round ms': round(median(times)), 'max round ms': round(Math.max(...times)), 'median check ms': round(perCheck, 2), connected: `${connected}/${checks.length}` },
        });
      }
    } finally {
      context.progress('cross-host probe round: removing the swarm');
      await run('bash', [SWARM, 'stop', swarmName(context)], { allowFailure: true });
    }
    return {
      id: 'cross-host-probe',
      title: `One probe round from node 1 of a two-node swarm: ${sources * linksPerSource} Links to node 2 against as many on node 1`,
      parameters: { sources, linksPerSource, repetitions },
      rows,
      targets: [{ target: `a round of ${sources * linksPerSource} Links across hosts within ${TARGET_MS / 1000} s`, measured: `${round(farMs)} ms`, met: farMs <= TARGET_MS }],
      notes: [
        ...notes,
        'Both nodes are engines on this machine, in their own network namespaces joined by a bridge: the crossing costs VXLAN and the swarm\u2019s DNS, not a real wire.',
      ],
    };
  },
};
