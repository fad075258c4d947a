/**
 * `npm run soak [-- options]`: the real `mooring run` over a converged stack
 * for a long time, its memory and open file descriptors sampled from /proc,
 * and a straight line fitted to each after the warm-up. Exits 1 when one grows
 * faster than its limit: a daemon runs for months, so what it holds must level
 * off once the caches, the probe threads and V8's heap have reached their size.
 *
 * Options (defaults in brackets): --containers [60] --links [30] --networks [5]
 * --ports [10] --probe-interval [2s] --duration [30m] --sample [30s]
 * --warm-up [15m] --max-rss-mb-per-hour [10] --max-heap-mb-per-hour [5]
 * --max-fds-per-hour [30] --heap-snapshot-every DURATION (SIGUSR2 to the
 * daemon, snapshots kept in --keep DIRECTORY, compare them with
 * bench/heap-diff.ts) --node-option OPTION (repeatable, e.g.
 * --node-option=--max-semi-space-size=2). The environment is the daemon's:
 * `MALLOC_ARENA_MAX=2 npm run soak` reaches its allocator.
 *
 * The limits are what a 30-minute run can tell from noise, not what a daemon
 * may grow by: RSS and the heap move by a few MB between samples (GC cycles),
 * which puts the standard error of a 25-minute slope at 2 to 3 MB/hour, and
 * probes in flight move the fd count by a few. The growth issue 12 reported
 * was about 126 MB/hour. A longer `--duration` resolves smaller growth.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { removeLabelled } from '../test/support/docker.js';
import { duration } from '../src/manifests/schema.js';
import { durationMs } from '../src/manifests/desired-state.js';
import { startDaemon } from './daemon-process.js';
import type { ProcessSample } from './measure.js';
import { processSample } from './measure.js';
import { round } from './scenario.js';
import { generateStack, writeManifests } from './stack.js';

/** Reads of the fd count per sample, 20 ms apart; the smallest leaves out the probes' sockets in flight. */
const FD_READS = 5;

interface Sample extends ProcessSample {
  minutes: number;
  /** The daemon's main V8 heap after its latest garbage collection, from `--trace-gc`. */
  heapMb: number;
}

interface Limit {
  what: string;
  unit: string;
  perHour: number;
  pick: (sample: Sample) => number;
}

function parseDuration(name: string, value: string): number {
  const parsed = duration.safeParse(value);
  const ms = parsed.success ? durationMs(parsed.data) : 0;
  if (!(ms > 0)) throw new TypeError(`Expected \`--${name}\` to be a duration such as "30s" or "5m", got ${JSON.stringify(value)}`);
  return ms;
}

function parseCount(name: string, value: string, minimum = 0): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < minimum) throw new TypeError(`Expected \`--${name}\` to be a number >= ${minimum}, got ${JSON.stringify(value)}`);
  return parsed;
}

/** Least-squares slope of `values` over `minutes`, per hour. */
function slopePerHour(minutes: readonly number[], values: readonly number[]): number {
  const n = minutes.length;
  if (n < 2) return Number.NaN;
  const meanX = minutes.reduce((sum, x) => sum + x, 0) / n;
  const meanY = values.reduce((sum, y) => sum + y, 0) / n;
  let covariance = 0;
  let variance = 0;
  minutes.forEach((x, index) => {
    covariance += (x - meanX) * ((values[index] as number) - meanY);
    variance += (x - meanX) ** 2;
  });
  return (covariance / variance) * 60;
}

/**
 * Follows V8's `--trace-gc` lines (`[pid:0x55d…] 1234 ms: Scavenge 9.8 (12.1) -> 9.1 (12.1) MB, …`): the
 * heap used after each collection, per isolate. The first isolate to collect is the main thread's; the
 * others are probe threads, counted so that threads ended and started again show.
 */
class GcTrace {
  #pending = '';
  #main: string | undefined;
  readonly isolates = new Set<string>();
  mainHeapMb = Number.NaN;

  feed(text: string): void {
    const lines = (this.#pending + text).split('\n');
    this.#pending = lines.pop() ?? '';
    for (const line of lines) {
      const match = /^\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: [\w-]+(?: \([^)]*\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/.exec(line);
      if (!match) continue;
      const [, isolate, after] = match as unknown as [string, string, string];
      this.#main ??= isolate;
      this.isolates.add(isolate);
      if (isolate === this.#main) this.mainHeapMb = Number(after);
    }
  }
}

async function sample(pid: number, startedAt: number, gc: GcTrace): Promise<Sample> {
  const first = await processSample(pid);
  let openFds = first.openFds;
  for (let read = 1; read < FD_READS; read++) {
    await sleep(20);
    openFds = Math.min(openFds, (await processSample(pid)).openFds);
  }
  return { ...first, openFds, heapMb: gc.mainHeapMb, minutes: (Date.now() - startedAt) / 60_000 };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      containers: { type: 'string', default: '60' },
      links: { type: 'string', default: '30' },
      networks: { type: 'string', default: '5' },
      ports: { type: 'string', default: '10' },
      'probe-interval': { type: 'string', default: '2s' },
      duration: { type: 'string', default: '30m' },
      sample: { type: 'string', default: '30s' },
      'warm-up': { type: 'string', default: '15m' },
      'max-rss-mb-per-hour': { type: 'string', default: '10' },
      'max-heap-mb-per-hour': { type: 'string', default: '5' },
      'max-fds-per-hour': { type: 'string', default: '30' },
      'heap-snapshot-every': { type: 'string' },
      keep: { type: 'string' },
      'node-option': { type: 'string', multiple: true, default: [] },
    },
  });
  const size = {
    containers: parseCount('containers', values.containers, 1),
    networks: parseCount('networks', values.networks, 1),
    links: parseCount('links', values.links),
    ports: parseCount('ports', values.ports),
  };
  parseDuration('probe-interval', values['probe-interval']);
  const durationMsTotal = parseDuration('duration', values.duration);
  const sampleMs = parseDuration('sample', values.sample);
  const warmUpMs = parseDuration('warm-up', values['warm-up']);
  const snapshotEveryMs = values['heap-snapshot-every'] === undefined ? undefined : parseDuration('heap-snapshot-every', values['heap-snapshot-every']);
  const limits: Limit[] = [
    { what: 'RSS', unit: 'MB', perHour: parseCount('max-rss-mb-per-hour', values['max-rss-mb-per-hour']), pick: (s) => s.rssMb },
    { what: 'main heap', unit: 'MB', perHour: parseCount('max-heap-mb-per-hour', values['max-heap-mb-per-hour']), pick: (s) => s.heapMb },
    { what: 'open fds', unit: 'fds', perHour: parseCount('max-fds-per-hour', values['max-fds-per-hour']), pick: (s) => s.openFds },
  ];
  if (warmUpMs + 2 * sampleMs > durationMsTotal) throw new RangeError('Expected `--duration` to leave at least two samples after `--warm-up`');

  const prefix = `ms${randomBytes(2).toString('hex')}-soak`;
  // Heap snapshots, the GC trace and the last status stay in `--keep`; otherwise all goes.
  const workDir = values.keep ?? (await mkdtemp(join(tmpdir(), 'mooring-soak-')));
  await mkdir(workDir, { recursive: true });
  const stack = generateStack({ prefix, size, hostPortBase: 31_000 });
  const manifests = join(workDir, 'manifests');
  await writeManifests(stack, manifests);
  const statusFile = join(workDir, 'status.json');
  const gc = new GcTrace();
  const log = (message: string) => process.stderr.write(`soak: ${message}\n`);
  log(`${size.containers} containers, ${size.links} links, ${size.ports} published ports, probes every ${values['probe-interval']}, for ${values.duration}`);
  const daemon = startDaemon({
    manifests,
    instance: prefix,
    statusFile,
    extraArgs: ['--probe-interval', values['probe-interval'], '--metrics-file', join(workDir, 'metrics.prom')],
    nodeArgs: ['--trace-gc', `--diagnostic-dir=${workDir}`, '--heapsnapshot-signal=SIGUSR2', ...values['node-option']],
    onStdout: (text) => {
      gc.feed(text);
      if (values.keep !== undefined) appendFileSync(join(workDir, 'trace-gc.log'), text);
    },
  });
  const samples: Sample[] = [];
  let snapshots: NodeJS.Timeout | undefined;
  try {
    await daemon.synced(300_000);
    const startedAt = Date.now();
    log(`converged (daemon pid ${daemon.pid}); sampling every ${values.sample}${snapshotEveryMs ? `, heap snapshots every ${values['heap-snapshot-every']} into ${workDir}` : ''}`);
    if (snapshotEveryMs !== undefined) {
      process.kill(daemon.pid, 'SIGUSR2');
      snapshots = setInterval(() => process.kill(daemon.pid, 'SIGUSR2'), snapshotEveryMs);
    }
    process.stdout.write('minutes\tRSS MB\tanon MB\theap MB\tthreads\tfds\tisolates\n');
    while (Date.now() - startedAt < durationMsTotal) {
      const current = await sample(daemon.pid, startedAt, gc);
      samples.push(current);
      process.stdout.write(
        `${round(current.minutes, 1)}\t${round(current.rssMb, 1)}\t${round(current.rssAnonMb, 1)}\t${current.heapMb}\t${current.threads}\t${current.openFds}\t${gc.isolates.size}\n`,
      );
      await sleep(Math.min(sampleMs, startedAt + durationMsTotal - Date.now()));
    }
    const status = JSON.parse(await readFile(statusFile, 'utf8')) as { reachabilitySummary?: Record<string, number> };
    log(`last status: reachability ${JSON.stringify(status.reachabilitySummary)}; probe threads started over the run: ${gc.isolates.size - 1}`);
  } finally {
    clearInterval(snapshots);
    await daemon.stop();
    await removeLabelled(stack.label);
    await rm(values.keep === undefined ? workDir : manifests, { recursive: true, force: true });
  }

  const settled = samples.filter((current) => current.minutes * 60_000 >= warmUpMs);
  const minutes = settled.map((current) => current.minutes);
  let failed = false;
  process.stdout.write(`\nAfter the ${values['warm-up']} warm-up (${settled.length} samples), least-squares slope:\n`);
  for (const limit of limits) {
    const slope = slopePerHour(minutes, settled.map(limit.pick));
    const first = limit.pick(settled[0] as Sample);
    const last = limit.pick(settled.at(-1) as Sample);
    const met = slope <= limit.perHour;
    failed ||= !met;
    process.stdout.write(`  ${limit.what}: ${round(first, 1)} → ${round(last, 1)} ${limit.unit}, ${round(slope, 2)} ${limit.unit}/hour (limit ${limit.perHour}) ${met ? 'ok' : 'GROWING'}\n`);
  }
  return failed ? 1 : 0;
}

process.exitCode = await main();
