/**
 * The probe-container method, for when mooring cannot enter namespaces itself
 * (not root, or in a container without the host's pid namespace): an
 * ephemeral container that joins the source's network namespace
 * (`NetworkMode: container:<id>`) and runs the prober's source with `node -e`.
 * Any image with node serves; joined this way it sees the source's own
 * /etc/hosts and /etc/resolv.conf.
 */
import { randomBytes } from 'node:crypto';
import type { Engine } from '../engine/port.js';
import { containerConfig } from '../engine/container-config.js';
import { containerMode } from '../engine/network-mode.js';
import { LABELS, MANAGED_BY } from '../engine/labels.js';
import type { ProberCheck, ProberOutput } from './prober.js';
import type { ProberProgram } from './prober-program.js';
import { parseProberOutput } from './prober-output.js';

/** Time the probe container gets beyond its slowest check, to be created, start node and be removed. */
const CONTAINER_GRACE_MS = 10_000;

/** `io.mooring.kind` of probe containers. They carry no instance label, so no reconcile pass counts them as its own. */
export const PROBER_KIND = 'Prober';

export interface ProbeContainerRunOptions {
  engine: Engine;
  image: string;
  /** The source container. */
  source: { id: string; name: string };
  checks: ProberCheck[];
  program: ProberProgram;
}

/** One probe container for all of a source's checks; rejects when the prober itself fails. */
export async function runInProbeContainer(options: ProbeContainerRunOptions): Promise<ProberOutput> {
  const { engine, image, source, checks, program } = options;
  const input = JSON.stringify({ hostsFile: '/etc/hosts', resolvConf: '/etc/resolv.conf', checks });
  const config = containerConfig({
    name: `mooring-prober-${source.name}-${randomBytes(3).toString('hex')}`.slice(0, 200),
    image,
    entrypoint: ['node'],
    command: ['--input-type=module', '-e', await program.source()],
    env: [`MOORING_PROBE_INPUT=${input}`],
    labels: { [LABELS.managedBy]: MANAGED_BY, [LABELS.kind]: PROBER_KIND, [LABELS.name]: source.name },
    networkMode: containerMode(source.id),
    stopTimeoutSeconds: 0,
  });
  const timeoutMs = Math.max(0, ...checks.map((check) => check.timeoutMs)) + CONTAINER_GRACE_MS;
  const result = await engine.runContainer(config, { timeoutMs });
  if (result.exitCode !== 0) {
    throw new Error(`expected the probe container (image ${image}) to exit with 0, got ${result.exitCode}${result.stderr.trim() ? `: ${result.stderr.trim()}` : ''}`);
  }
  return parseProberOutput(result.stdout, checks);
}

/**
 * The probe image when none is configured: mooring's own, when mooring runs in
 * a container (found by inspecting the container named by the hostname, which
 * Docker sets to the container id). Undefined when there is none.
 */
export async function ownImage(options: { engine: Engine; inContainer: boolean; hostname: string }): Promise<string | undefined> {
  if (!options.inContainer) return undefined;
  try {
    return (await options.engine.inspectContainer(options.hostname))?.image;
  } catch {
    return undefined;
  }
}
