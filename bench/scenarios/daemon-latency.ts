/**
 * How quickly the running daemon acts: on a manifest edit, and on drift made
 * by hand. Times come from the engine's event stream.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { removeLabelled } from '../../test/support/docker.js';
import { DockerEngine } from '../../src/engine/docker/index.js';
import { silentLogger } from '../../src/log.js';
import type { Daemon } from '../daemon-process.js';
import { startDaemon } from '../daemon-process.js';
import type { EventWatch, Received } from '../event-watch.js';
import { containerEvent, watchEvents } from '../event-watch.js';
import { median, run, timed } from '../measure.js';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.js';
import { round } from '../scenario.js';
import type { Stack, StackContainer } from '../stack.js';
import { BENCH_IMAGE, generateStack, runCommand, writeManifests } from '../stack.js';

const EVENT_TIMEOUT_MS = 30_000;

interface Running {
  stack: Stack;
  directory: string;
  events: EventWatch;
  daemon: Daemon;
}

/**
 * Until the pass that made `change` has ended: what the daemon does about one
 * change is over before the next is made, or the engine floor timed.
 */
async function passEnded(daemon: Daemon, change: Received): Promise<void> {
  await daemon.statusUntil(
    'the end of the pass that made the change',
    (status) => status.sync.lastReconcileAt !== undefined && Date.parse(status.sync.lastReconcileAt) >= change.event.time,
    EVENT_TIMEOUT_MS,
  );
}

/** A small converged stack under `mooring run`, torn down after `measure`. */
async function underDaemon<T>(context: BenchContext, scenario: { id: string; name: string }, measure: (running: Running) => Promise<T>): Promise<T> {
  const size = context.quick ? { containers: 4, networks: 2, links: 2, ports: 0 } : { containers: 6, networks: 2, links: 2, ports: 0 };
  const stack = generateStack({ prefix: `${context.runId}-${scenario.id}`, size, hostPortBase: 0 });
  const directory = join(context.workDir, stack.prefix);
  await writeManifests(stack, directory);
  const engine = new DockerEngine({ env: process.env, logger: silentLogger() });
  const events = watchEvents(engine);
  // Any event of the converge: the stream is subscribed before the first timed change.
  const subscribed = events.next(() => true, 120_000);
  const daemon = startDaemon({ manifests: directory, instance: stack.prefix, statusFile: join(context.workDir, `${stack.prefix}.status.json`) });
  try {
    await Promise.all([daemon.synced(120_000), subscribed]);
    context.progress(`${scenario.name}: converged, measuring`);
    return await measure({ stack, directory, events, daemon });
  } finally {
    context.progress(`${scenario.name}: removing the stack`);
    events.close();
    await daemon.stop();
    await removeLabelled(stack.label);
  }
}

/** What the engine itself takes to create and start the same container: the floor for any tool. */
async function engineCreateAndStart(stack: Stack, container: StackContainer): Promise<number> {
  const name = `${container.name}-floor`;
  const args = runCommand(stack, { ...container, name, links: [], hostPort: undefined });
  const createArgs = ['create', ...args.slice(args.indexOf('-d') + 1)];
  try {
    return await timed(async () => {
      await run('docker', createArgs);
      await run('docker', ['start', name]);
    });
  } finally {
    await run('docker', ['rm', '-f', name], { allowFailure: true });
  }
}

export const editToConverged: Scenario = {
  id: 'edit-converge',
  async run(context: BenchContext): Promise<ScenarioResult> {
    const repetitions = context.quick ? 2 : 5;
    context.progress('edit to converged: starting the daemon');
    return underDaemon(context, { id: 'ec', name: 'edit to converged' }, async ({ stack, directory, events, daemon }) => {
      const edited = stack.containers[0] as StackContainer;
      const mooringMs: number[] = [];
      const engineMs: number[] = [];
      for (let repetition = 0; repetition < repetitions; repetition++) {
        edited.env.EDIT = String(repetition);
        const started = events.next(containerEvent('started', edited.name), EVENT_TIMEOUT_MS);
        const writtenAt = performance.now();
        await writeManifests(stack, directory, { networks: [edited.network] });
        const received = await started;
        mooringMs.push(received.at - writtenAt);
        await passEnded(daemon, received);
        // The CLI's own process start is part of the floor too, as it is of no daemon's reaction.
        engineMs.push(await engineCreateAndStart(stack, edited));
      }
      const overhead = median(mooringMs) - median(engineMs);
      return {
        id: 'edit-converge',
        title: "Edit to converged: one container's env changed under `mooring run`",
        parameters: { containers: stack.containers.length, repetitions },
        rows: [
          { label: 'mooring run: file written → new container started', values: { 'median ms': round(median(mooringMs)) } },
          { label: 'engine floor: docker create + docker start', values: { 'median ms': round(median(engineMs)) } },
        ],
        targets: [{ target: "at most 0.5 s beyond the engine's own create and start", measured: `${round(overhead)} ms beyond`, met: overhead <= 500 }],
        notes: [
          'mooring also stops and removes the old container and waits out the watch debounce (about 200 ms); the floor only creates and starts.',
          `The containers run ${BENCH_IMAGE} with a shell that exits on SIGTERM, so a stop does not wait for the stop timeout.`,
        ],
      };
    });
  },
};

export const driftRepair: Scenario = {
  id: 'drift-repair',
  async run(context: BenchContext): Promise<ScenarioResult> {
    const repetitions = context.quick ? 2 : 5;
    context.progress('drift repair: starting the daemon');
    return underDaemon(context, { id: 'dr', name: 'drift repair' }, async ({ stack, events, daemon }) => {
      const victim = stack.containers[1] as StackContainer;
      const repairMs: number[] = [];
      for (let repetition = 0; repetition < repetitions; repetition++) {
        const destroyed = events.next(containerEvent('destroyed', victim.name), EVENT_TIMEOUT_MS);
        const restarted = destroyed.then(() => events.next(containerEvent('started', victim.name), EVENT_TIMEOUT_MS));
        await run('docker', ['rm', '-f', victim.name]);
        const destroyedAt = (await destroyed).at;
        const repaired = await restarted;
        repairMs.push(repaired.at - destroyedAt);
        await passEnded(daemon, repaired);
      }
      const repair = median(repairMs);
      return {
        id: 'drift-repair',
        title: '`docker rm -f` of a managed container under `mooring run`',
        parameters: { containers: stack.containers.length, repetitions },
        rows: [{ label: 'destroyed → running again', values: { 'median ms': round(repair), 'max ms': round(Math.max(...repairMs)) } }],
        targets: [{ target: 'repaired within 1.5 s', measured: `${round(repair)} ms`, met: repair <= 1500 }],
        notes: [],
      };
    });
  },
};
