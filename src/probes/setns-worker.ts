/**
 * A worker thread of the setns method. For each task it moves this thread
 * into the source container's network namespace with setns(2), then runs the
 * prober's checks. A network namespace belongs to a thread, not the process:
 * the sockets this thread opens are the container's, while mooring's main
 * thread stays in the host's. The thread takes one task at a time, so a
 * socket is never opened after it has moved on to the next container.
 */
import { closeSync, openSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import koffi from 'koffi';
import type { ProberInput, ProberOutput } from './prober.js';
import { ParsedFiles, runChecks } from './prober.js';
import { errorMessage } from '../errors.js';

/** From <sched.h>. */
const CLONE_NEWNET = 0x40000000;

export interface SetnsTask {
  /** The file of the network namespace to enter: `/proc/<pid>/ns/net`. */
  namespace: string;
  input: ProberInput;
}

export type SetnsReply = { output: ProberOutput } | { error: string };

const setns = koffi.load('libc.so.6').func('int setns(int fd, int nstype)') as (fd: number, nstype: number) => number;
/** The sources' hosts files and resolv.confs, parsed once per content for the thread's life. */
const parsedFiles = new ParsedFiles();
/** The namespace the thread started in, the host's: it returns there after every task, holding no container's namespace while idle. */
const home = openSync('/proc/thread-self/ns/net', 'r');

function enter(fd: number, what: string): void {
  if (setns(fd, CLONE_NEWNET) !== 0) {
    const errno = koffi.errno();
    throw new Error(`setns(${what}): ${errno === 1 ? 'EPERM: mooring needs CAP_SYS_ADMIN to enter network namespaces' : `errno ${errno}`}`);
  }
}

async function checksIn(task: SetnsTask): Promise<SetnsReply> {
  try {
    const fd = openSync(task.namespace, 'r');
    try {
      enter(fd, task.namespace);
    } finally {
      closeSync(fd);
    }
    return { output: await runChecks(task.input, parsedFiles) };
  } catch (error) {
    return { error: errorMessage(error) };
  }
}

async function run(task: SetnsTask): Promise<SetnsReply> {
  const reply = await checksIn(task);
  enter(home, 'the host network namespace');
  return reply;
}

parentPort?.on('message', (task: SetnsTask) => {
  // A thread that cannot return home rejects here, unhandled: it ends with that error, and the pool starts another.
  void run(task).then((reply) => parentPort?.postMessage(reply));
});
