/**
 * A probe round's floor: the network work of the same Links with nothing of
 * mooring's around it. For each Link, on one thread as mooring's probe thread
 * does, one after another: enter the source's network namespace, ask the
 * engine's resolver for the alias, connect to the answer, return home. What
 * that thread spends on a CPU (the kernel's part included, which is most of
 * it) is what a round cannot go below; the round's CPU against it is mooring's share.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import Docker from 'dockerode';
import { median } from './measure.js';
import type { Stack } from './stack.js';

/** A Link to dial: from the process of its source, to its alias. */
interface FloorDial {
  pid: number;
  alias: string;
  port: number;
}

export interface ProbeFloor {
  /** CPU time of the dialling thread, from /proc/thread-self/schedstat. */
  cpuMs: number;
  wallMs: number;
  /** Dials that did not connect: a floor with failures is not the round's work. */
  failures: number;
}

const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const { closeSync, openSync, readFileSync } = require('node:fs');
const { Resolver } = require('node:dns/promises');
const { connect } = require('node:net');
const setns = require(workerData.koffi).load('libc.so.6').func('int setns(int fd, int nstype)');
const CLONE_NEWNET = 0x40000000;
const home = openSync('/proc/thread-self/ns/net', 'r');
const cpuNs = () => BigInt(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
function enter(path) {
  const fd = openSync(path, 'r');
  try { if (setns(fd, CLONE_NEWNET) !== 0) throw new Error('setns(' + path + ') failed'); } finally { closeSync(fd); }
}
async function dial({ pid, alias, port }) {
  enter('/proc/' + pid + '/ns/net');
  try {
    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers(['127.0.0.11']);
    const [address] = await resolver.resolve4(alias);
    await new Promise((resolve, reject) => {
      const socket = connect({ host: address, port });
      socket.once('connect', () => { socket.destroy(); resolve(); });
      socket.once('error', reject);
    });
    return true;
  } catch {
    return false;
  } finally {
    if (setns(home, CLONE_NEWNET) !== 0) throw new Error('setns(home) failed');
  }
}
parentPort.once('message', async (dials) => {
  const cpuBefore = cpuNs();
  const started = performance.now();
  let failures = 0;
  for (const item of dials) if (!(await dial(item))) failures++;
  parentPort.postMessage({ cpuMs: Number(cpuNs() - cpuBefore) / 1e6, wallMs: performance.now() - started, failures });
});
`;

/** One pass over `dials` on a new thread. */
async function measureOnce(dials: FloorDial[]): Promise<ProbeFloor> {
  const worker = new Worker(THREAD, { eval: true, workerData: { koffi: createRequire(import.meta.url).resolve('koffi') } });
  try {
    const answer = new Promise<ProbeFloor>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    worker.postMessage(dials);
    return await answer;
  } finally {
    await worker.terminate();
  }
}

/** The floor of a round of every Link of `stack` (its containers running): the median of `repetitions` passes. */
export async function probeFloor(stack: Stack, repetitions: number): Promise<ProbeFloor> {
  const docker = new Docker();
  const dials = await Promise.all(
    stack.containers.flatMap((container) =>
      container.links.map(async (link) => ({ pid: (await docker.getContainer(container.name).inspect()).State.Pid, alias: link.alias, port: 80 })),
    ),
  );
  const passes: ProbeFloor[] = [];
  for (let repetition = 0; repetition < repetitions; repetition++) passes.push(await measureOnce(dials));
  return { cpuMs: median(passes.map((pass) => pass.cpuMs)), wallMs: median(passes.map((pass) => pass.wallMs)), failures: Math.max(...passes.map((pass) => pass.failures)) };
}
