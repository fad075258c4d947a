/**
 * Which node a `mooring run` is (docs/multi-host.md): `--node`, else the
 * engine's own hostname when it is in a swarm (its Swarm node is named after
 * it), else this host's name.
 */
import { hostname } from 'node:os';
import type { Engine } from '../engine/port.js';
import type { Logger } from '../log.js';
import type { NodeScope } from '../manifests/node-scope.js';
import { errorMessage } from '../errors.js';

export interface ResolveNodeOptions {
  /** `--node`, when given. */
  flag?: string;
  engine: Pick<Engine, 'swarm'>;
  logger: Logger;
  /** @default os.hostname */
  hostname?: () => string;
}

export async function resolveNode(options: ResolveNodeOptions): Promise<NodeScope> {
  if (options.flag !== undefined) return { node: options.flag, explicit: true };
  const host = (options.hostname ?? hostname)();
  try {
    const swarm = await options.engine.swarm();
    if (swarm.active) return { node: swarm.hostname, explicit: false };
  } catch (error) {
    // An engine away at start is the daemon's to report; the engine's host is normally this one.
    options.logger.warn(`the engine did not say whether it is in a swarm (${errorMessage(error)}): node ${host}, this host's name`);
  }
  return { node: host, explicit: false };
}
