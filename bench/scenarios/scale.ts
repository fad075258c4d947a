/**
 * What `mooring run` costs as a host grows: N containers in pairs, N/2
 * network-scoped Links, probes every 10 s, resync every 30 s; one daemon
 * process per size, over one engine state that grows or shrinks from one size
 * to the next. Also `mooring validate` and `mooring plan` on 500 documents,
 * and the first size's cold converge against the engine's own floor.
 */
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { removeLabelled } from '../../test/support/docker.js';
import { silentLogger } from '../../src/log.js';
import type { Status } from '../../src/status/model.js';
import { StatusWriter } from '../../src/status/write.js';
import type { Daemon } from '../daemon-process.js';
import { startDaemon } from '../daemon-process.js';
import { engineFloorMs } from '../engine-floor.js';
import { probeFloor } from '../probe-floor.js';
import { median, processCost, processSample, run, timed, waitUntil } from '../measure.js';
import type { BenchContext, Row, Scenario, ScenarioResult, TargetCheck } from '../scenario.js';
import { MOORING_BIN, round } from '../scenario.js';
import { pairedStack, writeManifests } from '../stack.js';
import { runningCount } from './cold-converge.js';

/** The networks of the CLI's documents, and of the daemon's stacks in full mode. */
const NETWORKS = 6;
/** pairedStack(330): 330 Containers, 165 Links and 6 Networks. */
const CLI_CONTAINERS = 330;
const TARGETS = { idlePercent: 2, rssMb: 150, resyncCpuMs: 100, roundWallMs: 1000, roundCpuMs: 250, cliMs: 500 };
/** A figure grows no faster than linearly when its ratio between the largest and smallest N is at most this much above N's. */
const LINEAR_SLACK = 1.25;

export interface Settings {
  sizes: number[];
  networks: number;
  probeInterval: string;
  resync: string;
  idleSeconds: number;
  repetitions: number;
  floorSample: number;
  concurrencies: number[];
}

/** Sizes in the order run: the first from nothing (the cold converge), then shrinking and growing. */
export function settings(context: BenchContext): Settings {
  // Quick: growing, with no prune delay to wait out; a network a pair; idle for one probe interval, which holds one round.
  const sizes = context.scaleSizes ?? (context.quick ? [2, 4] : [300, 100, 500]);
  return context.quick
    ? { sizes, networks: 2, probeInterval: '2s', resync: '10s', idleSeconds: 2, repetitions: 1, floorSample: 0, concurrencies: [4] }
    : { sizes, networks: NETWORKS, probeInterval: '10s', resync: '30s', idleSeconds: 60, repetitions: 3, floorSample: 12, concurrencies: [2, 4, 8] };
}

export interface SizeFigures {
  n: number;
  convergeS: number;
  idlePercent: number;
  peakRssMb: number;
  steadyRssMb: number;
  resyncCpuMs: number;
  roundCpuMs: number;
  roundWallMs: number;
  /** The same Links' network work alone, on one thread (see probe-floor.ts). */
  roundFloorCpuMs: number;
  statusKb: number;
  writeMs: number;
}

/**
 * How often the status file is read for the end of a pass or round. The CPU
 * figures are the daemon's own, read from /proc, so a later look adds none; at
 * N = 500 the file is 600 KB, and parsing it every 20 ms took the benchmark a
 * quarter of a core beside the daemon it measures.
 */
const POLL_MS = 100;

const readStatus = (file: string) => readFile(file, 'utf8').then((text) => JSON.parse(text) as Status, () => undefined);

/** A free port on loopback for the daemon's `--listen`. */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  return port;
}

/** Wall time of the latest round: from its first source's start to its last check's end. */
function roundWallMs(status: Status): number {
  const probes = status.reachability.flatMap((check) => (check.lastProbe ? [check.lastProbe] : []));
  const starts = probes.map((probe) => Date.parse(probe.at));
  return Math.max(...probes.map((probe, index) => (starts[index] as number) + probe.durationMs)) - Math.min(...starts);
}

async function cpuMs(daemon: Daemon): Promise<number> {
  return (await processCost(daemon.pid)).cpuSeconds * 1000;
}

/**
 * Until the daemon writes a status after `after` that no pass wrote: a probe
 * round's, in a daemon left alone (a pass would change `reconcileTotal`).
 * Resolves to undefined when a pass wrote it instead (a resync came first).
 */
async function nextRound(daemon: Daemon, after: Status, timeoutMs: number): Promise<Status | undefined> {
  let status: Status | undefined;
  await waitUntil('a probe round', async () => (status = await readStatus(daemon.statusFile)) !== undefined && status.generatedAt !== after.generatedAt, { timeoutMs, intervalMs: POLL_MS });
  return status?.sync.reconcileTotal === after.sync.reconcileTotal ? status : undefined;
}

/**
 * CPU of one resync pass and of one probe round, taken apart: right after a
 * round, SIGHUP (a resync pass) and its end in the status, then the next
 * round. The round's wall time is read from `/status`, which has every check,
 * once the CPU is taken. Tried again when the resync timer's own pass comes between.
 */
async function passAndRound(daemon: Daemon, intervalMs: number, listen: string): Promise<{ resyncCpuMs: number; roundCpuMs: number; roundWallMs: number }> {
  for (;;) {
    const roundEnded = await nextRound(daemon, (await readStatus(daemon.statusFile)) as Status, 3 * intervalMs);
    if (roundEnded === undefined) continue;
    const before = await cpuMs(daemon);
    process.kill(daemon.pid, 'SIGHUP');
    let passEnded: Status | undefined;
    await waitUntil('the resync pass', async () => ((passEnded = await readStatus(daemon.statusFile))?.sync.reconcileTotal ?? 0) > roundEnded.sync.reconcileTotal, { timeoutMs: 60_000, intervalMs: POLL_MS });
    const afterPass = await cpuMs(daemon);
    const next = await nextRound(daemon, passEnded as Status, 3 * intervalMs);
    const afterRound = await cpuMs(daemon);
    if (next === undefined) continue;
    const full = (await (await fetch(`http://${listen}/status`)).json()) as Status;
    return { resyncCpuMs: afterPass - before, roundCpuMs: afterRound - afterPass, roundWallMs: roundWallMs(full) };
  }
}

/** The status file's write, as the daemon makes it (status and metrics, each fsynced), in this process. */
async function statusWriteMs(status: Status, directory: string): Promise<number> {
  const writer = new StatusWriter({ statusFile: join(directory, 'write.json'), metricsFile: join(directory, 'write.prom'), logger: silentLogger() });
  const times: number[] = [];
  for (let index = 0; index < 5; index++) times.push(await timed(() => writer.write({ ...status, generatedAt: new Date(Date.now() + index).toISOString() })));
  return median(times);
}

export async function measureSize(context: BenchContext, options: { prefix: string; n: number; settings: Settings; directory: string; bin?: string }): Promise<SizeFigures> {
  const { prefix, n, settings: s, directory } = options;
  const stack = pairedStack({ prefix, containers: n, networks: s.networks });
  await writeManifests(stack, join(directory, 'manifests'));
  context.progress(`scale: N = ${n}, converging under mooring run`);
  const listen = `127.0.0.1:${await freePort()}`;
  const daemon = startDaemon({
    manifests: join(directory, 'manifests'),
    instance: prefix,
    statusFile: join(directory, 'status.json'),
    ...(options.bin === undefined ? {} : { bin: options.bin }),
    extraArgs: ['--probe-interval', s.probeInterval, '--resync', s.resync, '--metrics-file', join(directory, 'metrics.prom'), '--listen', listen],
  });
  try {
    // Shrinking, the daemon may say Synced before its prune delay has passed: converged is Synced with N running.
    const convergeMs = await timed(async () => {
      await waitUntil(`${n} containers running`, async () => (await runningCount(stack.label)) === n, { timeoutMs: 60 * 60_000, intervalMs: 500 });
      await daemon.synced(60_000);
    });
    const intervalMs = Number.parseFloat(s.probeInterval) * 1000;
    await waitUntil(
      `every Link of N = ${n} healthy`,
      async () => (await readStatus(daemon.statusFile))?.reachabilitySummary.healthy === Math.floor(n / 2),
      { timeoutMs: 10 * intervalMs, intervalMs: 200 },
    );
    context.progress(`scale: N = ${n}, idle for ${s.idleSeconds} s`);
    const before = await processCost(daemon.pid);
    const rss: number[] = [];
    const end = Date.now() + s.idleSeconds * 1000;
    while (Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      rss.push((await processSample(daemon.pid)).rssMb);
    }
    const after = await processCost(daemon.pid);
    context.progress(`scale: N = ${n}, one resync pass and one probe round, ${s.repetitions} times`);
    const taken = [];
    for (let repetition = 0; repetition < s.repetitions; repetition++) taken.push(await passAndRound(daemon, intervalMs, listen));
    const status = (await readStatus(daemon.statusFile)) as Status;
    const roundFloor = await probeFloor(stack, s.repetitions);
    if (roundFloor.failures > 0) throw new Error(`expected every Link of N = ${n} to connect in the probe floor, ${roundFloor.failures} did not`);
    const figures: SizeFigures = {
      n,
      convergeS: convergeMs / 1000,
      idlePercent: ((after.cpuSeconds - before.cpuSeconds) / s.idleSeconds) * 100,
      peakRssMb: (await processCost(daemon.pid)).peakRssMb,
      steadyRssMb: median(rss),
      resyncCpuMs: median(taken.map((figures) => figures.resyncCpuMs)),
      roundCpuMs: median(taken.map((figures) => figures.roundCpuMs)),
      roundWallMs: median(taken.map((figures) => figures.roundWallMs)),
      roundFloorCpuMs: roundFloor.cpuMs,
      statusKb: (await stat(daemon.statusFile)).size / 1024,
      writeMs: await statusWriteMs(status, directory),
    };
    // On stderr as soon as measured: a later size that fails must not take these with it.
    context.progress(`scale: N = ${n}: ${JSON.stringify(figures)}`);
    return figures;
  } finally {
    await daemon.stop();
  }
}

/** The engine's floor: the best of a few concurrencies on a sample, then the first size's stack at that one. */
async function floor(context: BenchContext, s: Settings, n: number): Promise<{ concurrency: number; ms: number; sampleRates: string }> {
  const rates = new Map<number, number>();
  // With one concurrency to try (quick mode), there is nothing to choose on a sample.
  for (const concurrency of s.concurrencies.length > 1 ? s.concurrencies : []) {
    const stack = pairedStack({ prefix: `${context.runId}-sf${concurrency}`, containers: s.floorSample, networks: s.networks });
    context.progress(`scale: engine floor, ${s.floorSample} containers ${concurrency} at a time`);
    try {
      rates.set(concurrency, (await engineFloorMs(stack, concurrency)) / s.floorSample);
    } finally {
      await removeLabelled(stack.label);
    }
  }
  const [concurrency] = [...rates].sort((a, b) => a[1] - b[1])[0] ?? [s.concurrencies[0] as number];
  const stack = pairedStack({ prefix: `${context.runId}-sfn`, containers: n, networks: s.networks });
  context.progress(`scale: engine floor, ${n} containers ${concurrency} at a time`);
  try {
    const ms = await engineFloorMs(stack, concurrency);
    return { concurrency, ms, sampleRates: [...rates].map(([c, perContainer]) => `${c} at once ${round(perContainer)} ms`).join(', ') };
  } finally {
    await removeLabelled(stack.label);
  }
}

/** `mooring validate` and `mooring plan` of 500 documents: wall time, node's start included, median of `repetitions`. */
async function cliTimes(context: BenchContext, repetitions: number): Promise<{ validateMs: number; planMs: number; documents: number }> {
  const stack = pairedStack({ prefix: `${context.runId}-sv`, containers: CLI_CONTAINERS, networks: NETWORKS });
  const directory = join(context.workDir, stack.prefix);
  await writeManifests(stack, directory);
  context.progress(`scale: mooring validate and plan on ${CLI_CONTAINERS * 1.5 + NETWORKS} documents`);
  const validate: number[] = [];
  const plan: number[] = [];
  for (let repetition = 0; repetition < repetitions; repetition++) {
    validate.push(await timed(() => run('node', [MOORING_BIN, 'validate', directory])));
    // Exit 2: there are changes, all of them creates.
    plan.push(await timed(() => run('node', [MOORING_BIN, 'plan', directory, '--instance', stack.prefix], { allowFailure: true })));
  }
  return { validateMs: median(validate), planMs: median(plan), documents: CLI_CONTAINERS * 1.5 + NETWORKS };
}

const rates = (sampleRates: string, sample: number) => (sampleRates === '' ? '' : ` on ${sample} containers (${sampleRates} per container)`);

const FIGURES: [keyof SizeFigures, string, number][] = [
  ['convergeS', 'converge s', 1],
  ['idlePercent', 'idle % of a core', 2],
  ['peakRssMb', 'peak RSS MB', 1],
  ['steadyRssMb', 'steady RSS MB', 1],
  ['resyncCpuMs', 'resync pass CPU ms', 0],
  ['roundCpuMs', 'probe round CPU ms', 0],
  ['roundWallMs', 'probe round wall ms', 0],
  ['roundFloorCpuMs', 'probe floor CPU ms', 0],
  ['statusKb', 'status KB', 0],
  ['writeMs', 'status write ms', 1],
];

export const scale: Scenario = {
  id: 'scale',
  async run(context: BenchContext): Promise<ScenarioResult> {
    const s = settings(context);
    const prefix = `${context.runId}-sc`;
    const label = pairedStack({ prefix, containers: 0, networks: 0 }).label;
    const directory = await mkdtemp(join(context.workDir, 'scale-'));
    const measured: SizeFigures[] = [];
    let engine: Awaited<ReturnType<typeof floor>>;
    let cli: Awaited<ReturnType<typeof cliTimes>>;
    try {
      cli = await cliTimes(context, context.quick ? 1 : 3);
      engine = await floor(context, s, s.sizes[0] as number);
      for (const n of s.sizes) measured.push(await measureSize(context, { prefix, n, settings: s, directory }));
    } finally {
      await removeLabelled(label);
      await rm(directory, { recursive: true, force: true });
    }
    const bySize = [...measured].sort((a, b) => a.n - b.n);
    const [smallest, largest] = [bySize[0] as SizeFigures, bySize.at(-1) as SizeFigures];
    const slope = (key: keyof SizeFigures) => ((largest[key] - smallest[key]) / (largest.n - smallest.n)) * 100;
    const rows: Row[] = bySize.map((figures) => ({
      label: `N = ${figures.n}`,
      values: Object.fromEntries(FIGURES.map(([key, column, digits]) => [column, round(figures[key], digits)])),
    }));
    if (bySize.length > 1) {
      rows.push({ label: 'slope per 100 containers', values: Object.fromEntries(FIGURES.filter(([key]) => key !== 'convergeS').map(([key, column, digits]) => [column, round(slope(key), digits + 1)])) });
    }
    const superlinear = FIGURES.filter(([key]) => key !== 'convergeS' && smallest[key] > 0 && largest[key] / smallest[key] > (LINEAR_SLACK * largest.n) / smallest.n).map(([, column]) => column);
    const cold = measured[0] as SizeFigures;
    const ratio = (cold.convergeS * 1000) / engine.ms;
    const at = `at N = ${largest.n}`;
    const targets: TargetCheck[] = [
      { target: `idle under ${TARGETS.idlePercent}% of a core ${at}`, measured: `${round(largest.idlePercent, 2)}%`, met: largest.idlePercent < TARGETS.idlePercent },
      { target: `RSS under ${TARGETS.rssMb} MB ${at}`, measured: `peak ${round(largest.peakRssMb, 1)} MB`, met: largest.peakRssMb < TARGETS.rssMb },
      { target: `a no-op resync pass under ${TARGETS.resyncCpuMs} ms of CPU ${at}`, measured: `${round(largest.resyncCpuMs)} ms`, met: largest.resyncCpuMs < TARGETS.resyncCpuMs },
      {
        target: `a probe round of ${Math.floor(largest.n / 2)} links under ${TARGETS.roundWallMs} ms wall and ${TARGETS.roundCpuMs} ms CPU`,
        measured: `${round(largest.roundWallMs)} ms wall, ${round(largest.roundCpuMs)} ms CPU (${round(largest.roundCpuMs / largest.roundFloorCpuMs, 2)}× the floor of ${round(largest.roundFloorCpuMs)} ms)`,
        met: largest.roundWallMs < TARGETS.roundWallMs && largest.roundCpuMs < TARGETS.roundCpuMs,
      },
      {
        target: `every figure grows no faster than linearly in N (at most ${LINEAR_SLACK}× N's ratio between N = ${smallest.n} and ${largest.n})`,
        measured: superlinear.length === 0 ? 'all of them' : `not: ${superlinear.join(', ')}`,
        met: superlinear.length === 0 && bySize.length > 1,
      },
      { target: `\`mooring validate\` of ${cli.documents} documents under ${TARGETS.cliMs} ms wall`, measured: `${round(cli.validateMs)} ms`, met: cli.validateMs < TARGETS.cliMs },
      { target: `\`mooring plan\` of ${cli.documents} documents under ${TARGETS.cliMs} ms wall`, measured: `${round(cli.planMs)} ms`, met: cli.planMs < TARGETS.cliMs },
      {
        target: `cold converge of N = ${cold.n} against the engine's floor (reported)`,
        measured: `${round(ratio, 2)}× the floor: ${round(cold.convergeS, 1)} s against ${round(engine.ms / 1000, 1)} s at ${engine.concurrency} at once`,
        met: true,
      },
    ];
    return {
      id: 'scale',
      title: 'Scale: the daemon at N containers with N/2 Links',
      parameters: { sizes: s.sizes.join(' → '), networks: s.networks, probeInterval: s.probeInterval, resync: s.resync, idleSeconds: s.idleSeconds, repetitions: s.repetitions },
      rows,
      targets,
      notes: [
        `One \`mooring run\` per size, in the order given, over the engine state the previous size left: the first converges from nothing, the others shrink or grow it. Converge is from the daemon's start to Synced with every container running.`,
        'Idle is CPU over the window divided by its length, probers included; steady RSS the median of one sample a second over it; peak RSS the process\'s high-water mark since it started.',
        'A resync pass is triggered with SIGHUP right after a probe round and timed by the CPU the daemon used until the status counts it; the probe round by the CPU from then until the next round\'s status (the seconds between them idle); its wall time from its first source\'s start to its last check\'s end.',
        'The status write is the daemon\'s StatusWriter writing the last status (and its metrics) in the benchmark\'s own process, fsync included.',
        'The probe floor: the same Links dialled with nothing of mooring\'s around them, on one thread as its probe thread does, one after another (enter the source\'s network namespace, one query of the alias to the engine\'s resolver, one TCP connection); the CPU of that thread, the kernel\'s part included. A round cannot cost less.',
        `The engine's floor: the same networks, creates and starts through the Engine API (dockerode) with no client start-up, at the best concurrency of ${s.concurrencies.join(', ')}${rates(engine.sampleRates, s.floorSample)}.`,
      ],
    };
  },
};
