/** TCP ports on loopback for prober tests: one that accepts, one that refuses, one that accepts and closes at once. */
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';

export interface LoopbackPorts {
  /** Accepts connections and keeps them until the client closes them, as a service waiting for a request does. */
  open: number;
  /** Was free a moment ago: connections are refused. */
  closed: number;
  /** Accepts connections and closes them at once, as docker-proxy does when its container refuses. */
  closing: number;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const stop = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

export async function loopbackPorts(): Promise<LoopbackPorts> {
  const server = createServer(() => undefined);
  const open = await listen(server);
  const proxy = createServer((socket) => socket.end());
  const closing = await listen(proxy);
  const spare = createServer();
  const closed = await listen(spare);
  await stop(spare);
  return { open, closed, closing, close: async () => void (await Promise.all([stop(server), stop(proxy)])) };
}
