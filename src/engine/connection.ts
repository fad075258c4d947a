/**
 * Where the engine listens, from `--docker-host` or `DOCKER_HOST`, read the way
 * the docker CLI reads them, and the dockerode options that reach it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DockerOptions } from 'dockerode';

export const DEFAULT_SOCKET = '/var/run/docker.sock';

/**
 * The Engine API version mooring speaks (Docker 20.10). Pinned so every engine
 * answers in the same shapes, e.g. endpoint aliases with the short container id.
 */
export const API_VERSION = 'v1.41';

/**
 * How long one request may go unanswered (a list, an inspect, a create, a start,
 * a removal, ...) before mooring gives up on it and takes the engine for hung. A
 * dockerd stopped with SIGSTOP accepts connections and never answers: without a
 * deadline a pass would wait for ever, and the status would go on saying Synced.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** A stop may take the container's own stop timeout (the engine waits that long before it kills) plus this. */
export const DEFAULT_STOP_MARGIN_MS = 10_000;

/** A pull's progress stream may stay quiet this long; the engine reports download and extraction progress as it goes. */
export const DEFAULT_PULL_IDLE_MS = 60_000;

export interface TlsSettings {
  /** Check the engine's certificate against `ca` (`DOCKER_TLS_VERIFY`); without it TLS only encrypts (`DOCKER_TLS`). */
  verify: boolean;
  /** The files read, for messages. */
  certPath: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export type EngineAddress =
  | { type: 'unix'; socketPath: string; url: string }
  | { type: 'tcp'; host: string; port: number; tls?: TlsSettings; url: string };

/**
 * `--docker-host` wins over `DOCKER_HOST`, which wins over the local socket.
 * As with the docker CLI, any non-empty `DOCKER_TLS_VERIFY` turns on TLS with
 * verification and `DOCKER_TLS` TLS without; the certificates are `ca.pem`,
 * `cert.pem` and `key.pem` in `DOCKER_CERT_PATH` (default `~/.docker`), each
 * used when present. Throws a `TypeError` for an address it cannot use.
 */
export function resolveEngineAddress(options: { dockerHost?: string; env: NodeJS.ProcessEnv }): EngineAddress {
  const { env } = options;
  const given = options.dockerHost ?? (env.DOCKER_HOST || undefined);
  const source = options.dockerHost !== undefined ? '--docker-host' : 'DOCKER_HOST';
  if (given === undefined) return { type: 'unix', socketPath: DEFAULT_SOCKET, url: `unix://${DEFAULT_SOCKET}` };

  if (given.startsWith('unix://')) {
    const socketPath = given.slice('unix://'.length) || DEFAULT_SOCKET;
    return { type: 'unix', socketPath, url: `unix://${socketPath}` };
  }
  if (!given.startsWith('tcp://')) {
    throw new TypeError(`Expected ${source} to be unix:///path/to/socket or tcp://host:port, got ${JSON.stringify(given)}`);
  }
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new TypeError(`Expected ${source} to be tcp://host:port, got ${JSON.stringify(given)}`);
  }
  if (url.hostname === '' || (url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.username !== '') {
    throw new TypeError(`Expected ${source} to be tcp://host:port, got ${JSON.stringify(given)}`);
  }
  const verify = (env.DOCKER_TLS_VERIFY ?? '') !== '';
  const useTls = verify || (env.DOCKER_TLS ?? '') !== '';
  // The CLI's defaults: 2376 for TLS, 2375 for plain TCP.
  const port = url.port === '' ? (useTls ? 2376 : 2375) : Number(url.port);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  const address = { type: 'tcp' as const, host, port, url: `tcp://${hostForUrl}:${port}` };
  if (!useTls) return address;
  const certPath = env.DOCKER_CERT_PATH || join(homedir(), '.docker');
  const read = (file: string) => {
    const path = join(certPath, file);
    return existsSync(path) ? readFileSync(path) : undefined;
  };
  const tls: TlsSettings = { verify, certPath };
  const [ca, cert, key] = [read('ca.pem'), read('cert.pem'), read('key.pem')];
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  if (tls.cert !== undefined && tls.key === undefined) throw new TypeError(`Expected ${join(certPath, 'key.pem')} beside cert.pem, got none`);
  return { ...address, tls };
}

/** dockerode's options, with the agent its modem accepts but its types omit. */
export type ModemOptions = DockerOptions & { agent?: Agent };

/** What dockerode needs to reach `address`. */
export function dockerodeOptions(address: EngineAddress): ModemOptions {
  // dockerode fills unset options from DOCKER_HOST and friends in process.env: every one is set here, so the address decides alone.
  // No socket timeout: deadlines are per request (docker.ts), since the event stream and waiting for a container stay quiet for long.
  const common = {
    version: API_VERSION,
    socketPath: undefined,
    host: undefined,
    port: undefined,
    ca: undefined,
    cert: undefined,
    key: undefined,
    timeout: undefined,
  };
  if (address.type === 'unix') return { ...common, socketPath: address.socketPath, protocol: 'http' };
  if (!address.tls) return { ...common, host: address.host, port: address.port, protocol: 'http' };
  const { verify, ca, cert, key } = address.tls;
  return {
    ...common,
    host: address.host,
    port: address.port,
    protocol: 'https',
    // The agent carries the TLS settings, including whether to verify, which dockerode has no option for.
    agent: new Agent({ keepAlive: true, rejectUnauthorized: verify, ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) }),
  };
}
