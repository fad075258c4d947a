/**
 * One daemon per instance on a host, held as a Linux abstract unix socket
 * named after the instance. Binding it is atomic, so of two daemons starting
 * at once exactly one wins; the kernel frees it when the process ends in any
 * way (SIGKILL and OOM included), so there is never a stale lock to detect or a
 * recycled pid to mistake for the holder; and it needs no writable path, so it
 * works whatever `--status` says. The holder answers on the socket with who it
 * is, for the refusal message. Its scope is the network namespace: daemons in
 * containers with their own network namespaces do not see each other's.
 * `mooring apply` asks whether a daemon holds it, without taking it.
 */
import { createConnection, createServer } from 'node:net';
import type { Server } from 'node:net';

/** What the holder tells a daemon that is refused. */
export interface InstanceLockHolder {
  instance: string;
  pid: number;
  startedAt: string;
  manifestsDirectory: string;
  statusFile: string;
}

export interface InstanceLock {
  release(): Promise<void>;
}

export class InstanceLockedError extends Error {
  override name = 'InstanceLockedError';
  readonly holder: InstanceLockHolder | undefined;

  constructor(instance: string, holder: InstanceLockHolder | undefined) {
    super(`another mooring daemon already runs instance "${instance}" on this host${describeHolder(holder)}; stop it first, or give this one another --instance`);
    this.holder = holder;
  }
}

/** ` (pid 12, since ..., manifests ..., status ...)`, or nothing when the holder did not say. */
export function describeHolder(holder: InstanceLockHolder | undefined): string {
  return holder ? ` (pid ${holder.pid}, since ${holder.startedAt}, manifests ${holder.manifestsDirectory}, status ${holder.statusFile})` : '';
}

/** The abstract socket's name: the leading NUL keeps it out of the filesystem. */
export function lockAddress(instance: string): string {
  return `\0mooring/instance/${instance}`;
}

/** What asking the lock's address says when nothing holds it. */
const FREE = Symbol('free');

/** Takes the instance's lock, or rejects with {@link InstanceLockedError} naming the daemon that holds it. */
export async function acquireInstanceLock(holder: InstanceLockHolder): Promise<InstanceLock> {
  if (process.platform !== 'linux') throw new Error(`expected Linux for the instance lock (an abstract unix socket), got ${process.platform}`);
  const address = lockAddress(holder.instance);
  const server: Server = createServer((socket) => socket.end(`${JSON.stringify(holder)}\n`));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path: address }, resolve);
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    const answer = await askHolder(address);
    throw new InstanceLockedError(holder.instance, answer === FREE ? undefined : answer);
  }
  // The lock alone must not keep the process alive.
  server.unref();
  return { release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * Whether a daemon runs `instance` on this host, without taking its lock:
 * undefined when none does, else who holds it (`holder` unset when it does
 * not say within a second).
 */
export async function findInstanceLockHolder(instance: string): Promise<{ holder?: InstanceLockHolder } | undefined> {
  if (process.platform !== 'linux') return undefined;
  const answer = await askHolder(lockAddress(instance));
  if (answer === FREE) return undefined;
  return answer === undefined ? {} : { holder: answer };
}

/** The holder's answer; FREE when nothing is bound to the address; undefined when the holder does not answer within a second. */
function askHolder(address: string): Promise<InstanceLockHolder | typeof FREE | undefined> {
  return new Promise((resolve) => {
    let text = '';
    let connected = false;
    const socket = createConnection({ path: address });
    const finish = (holder: InstanceLockHolder | typeof FREE | undefined) => {
      socket.destroy();
      resolve(holder);
    };
    socket.setTimeout(1000, () => finish(undefined));
    socket.on('connect', () => (connected = true));
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    // Connecting is refused exactly when nothing is bound to the name.
    socket.on('error', (error: NodeJS.ErrnoException) => finish(!connected && error.code === 'ECONNREFUSED' ? FREE : undefined));
    socket.on('end', () => {
      try {
        finish(JSON.parse(text) as InstanceLockHolder);
      } catch {
        finish(undefined);
      }
    });
  });
}
