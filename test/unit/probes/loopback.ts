/** TCP ports on loopback for prober tests: one that accepts, one that refuses. */
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';

export interface LoopbackPorts {
  /** Accepts connections. */
  open: number;
  /** Was free a moment ago: connections are refused. */
  closed: number;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

export async function loopbackPorts(): Promise<LoopbackPorts> {
  const server = createServer((socket) => socket.end());
  const open = await listen(server);
  const spare = createServer();
  const closed = await listen(spare);
  await new Promise((resolve) => spare.close(resolve));
  return { open, closed, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
