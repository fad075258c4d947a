/**
 * The optional HTTP endpoints (`--listen`): `/healthz` answers while the
 * process serves, `/readyz` once the first sync is done, `/metrics` and
 * `/status` give the status as Prometheus text and as JSON.
 *
 * `/healthz` stays 200 when the status or metrics file cannot be written: a
 * restart mends neither a full nor a read-only disk, and a liveness probe that
 * restarted mooring for it would stop it reconciling. Its body names the failure.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import type { FileWrite, Status } from './model.js';
import { renderMetrics } from './metrics.js';
import { errorMessage } from '../errors.js';

export interface StatusServerOptions {
  /** `host:port`, `[ipv6]:port`, or `:port` for every interface; port 0 picks a free one. */
  listen: string;
  logger: Logger;
  /** Undefined until the first status exists: `/metrics` and `/status` answer 503 until then. */
  getStatus: () => Status | undefined;
  /** Whether the first sync is done. */
  isReady: () => boolean;
  /** The status and metrics files, and how their last writes went. @default none */
  fileWrites?: () => readonly FileWrite[];
}

export interface StatusServer {
  /** Where it listens, `host:port` with the port actually bound. */
  address: string;
  close(): Promise<void>;
}

const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const { host, port } = parseListen(options.listen);
  const logger = options.logger.child({ component: 'status-server' });
  const server = createServer((request, response) => {
    try {
      handle(request, response, options);
    } catch (error) {
      logger.error('status request failed', { path: request.url, error: errorMessage(error) });
      if (!response.headersSent) send(response, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else response.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new Error(`listening on ${options.listen}: ${error.message}`, { cause: error })));
    server.listen({ host, port }, resolve);
  });
  const bound = server.address() as AddressInfo;
  const address = `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  logger.info('serving status over HTTP', { address });
  return {
    address,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function handle(request: IncomingMessage, response: ServerResponse, options: StatusServerOptions): void {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    send(response, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    return;
  }
  const path = new URL(request.url ?? '/', 'http://status').pathname;
  switch (path) {
    case '/healthz':
      send(response, 200, 'text/plain; charset=utf-8', healthz(options.fileWrites?.() ?? []));
      return;
    case '/readyz':
      if (options.isReady()) send(response, 200, 'text/plain; charset=utf-8', 'ok\n');
      else send(response, 503, 'text/plain; charset=utf-8', 'not ready: the first sync is not done\n');
      return;
    case '/metrics':
    case '/status': {
      const status = options.getStatus();
      if (status === undefined) send(response, 503, 'text/plain; charset=utf-8', 'no status yet\n');
      else if (path === '/metrics') send(response, 200, METRICS_CONTENT_TYPE, renderMetrics(status, { fileWrites: options.fileWrites?.() ?? [] }));
      else send(response, 200, 'application/json; charset=utf-8', `${JSON.stringify(status, null, 2)}\n`);
      return;
    }
    default:
      send(response, 404, 'text/plain; charset=utf-8', 'not found: try /healthz, /readyz, /metrics or /status\n');
  }
}

/** `ok`, or `degraded:` and a line per file that cannot be written: what an alert on the body matches. */
function healthz(writes: readonly FileWrite[]): string {
  const lines = writes.flatMap(({ file, failure }) => (failure ? [`writing ${file} fails since ${failure.since} (${failure.count} in a row): ${failure.error}`] : []));
  if (lines.length === 0) return 'ok\n';
  return `degraded: reconciling goes on, but the status cannot be written\n${lines.join('\n')}\n`;
}

function send(response: ServerResponse, code: number, contentType: string, body: string): void {
  response.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

function parseListen(listen: string): { host: string | undefined; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(listen);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new TypeError(`Expected \`listen\` to be host:port, [ipv6]:port or :port, got ${JSON.stringify(listen)}`);
  const host = match[1] ?? match[2];
  return { host: host === '' ? undefined : host, port };
}
