/**
 * The engine's own floor for a cold converge: the same networks, creates and
 * starts that mooring makes, sent straight to the Engine API (dockerode, no
 * CLI, no node start per container), at a given concurrency.
 */
import Docker from 'dockerode';
import { runPool, timed } from './measure.js';
import type { Stack, StackContainer } from './stack.js';
import { BENCH_IMAGE, BENCH_LABEL, SERVER_COMMAND, creationWaves } from './stack.js';

const docker = new Docker();

function containerOptions(stack: Stack, container: StackContainer): Docker.ContainerCreateOptions {
  return {
    name: container.name,
    Image: BENCH_IMAGE,
    Cmd: SERVER_COMMAND,
    Env: Object.entries(container.env).map(([key, value]) => `${key}=${value}`),
    Labels: { [BENCH_LABEL]: stack.prefix },
    ExposedPorts: { '80/tcp': {} },
    HostConfig: { RestartPolicy: { Name: 'unless-stopped' }, NetworkMode: container.network },
    NetworkingConfig: { EndpointsConfig: { [container.network]: { Links: container.links.map((link) => `${link.to}:${link.alias}`) } } },
  };
}

/** Milliseconds from nothing to every container of `stack` running, `concurrency` requests at a time. */
export function engineFloorMs(stack: Stack, concurrency: number): Promise<number> {
  return timed(async () => {
    await runPool(stack.networks, concurrency, (network) => docker.createNetwork({ Name: network, Labels: { [BENCH_LABEL]: stack.prefix } }));
    for (const wave of creationWaves(stack)) {
      await runPool(wave, concurrency, async (container) => (await docker.createContainer(containerOptions(stack, container))).start());
    }
  });
}
