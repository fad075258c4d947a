/**
 * The benchmark's stack, generated at a given size and written three ways: as
 * mooring manifests, as the docker CLI commands an expert would run by hand,
 * and as a docker-compose file. All three describe the same containers,
 * networks, links and published ports, and carry one label so that cleanup
 * finds everything whichever contender made it.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';

export const BENCH_LABEL = 'bench.mooring.run';
export const BENCH_IMAGE = process.env.MOORING_TEST_IMAGE ?? 'mooring/busybox:latest';

/**
 * Busybox's httpd as PID 1 ignores SIGTERM, so every stop would wait for the
 * stop timeout; a shell that exits on TERM keeps replacements as fast as the engine allows.
 */
export const SERVER_COMMAND = ['sh', '-c', "trap 'exit 0' TERM; httpd -f -p 80 & wait"];

export interface StackSize {
  containers: number;
  networks: number;
  links: number;
  /** @default 1 */
  linksPerSource?: number;
  ports: number;
}

export interface StackContainer {
  name: string;
  network: string;
  /** Network-scoped links to containers on the same network: `{ to, alias }`. */
  links: { to: string; alias: string }[];
  /** Host port published from the container's port 80 on 127.0.0.1. */
  hostPort?: number;
  env: Record<string, string>;
}

export interface Stack {
  prefix: string;
  label: string;
  networks: string[];
  containers: StackContainer[];
}

/**
 * Container i joins network i mod networks. The first containers are the
 * links' sources; each links to `linksPerSource` containers on its own network
 * from a block of targets that follows the sources, so that no target is
 * itself a source and every contender can create the stack in two waves.
 */
export function generateStack(options: { prefix: string; size: StackSize; hostPortBase: number }): Stack {
  const { containers, networks, links, ports, linksPerSource = 1 } = options.size;
  const sources = Math.ceil(links / linksPerSource);
  const firstTarget = Math.ceil(sources / networks) * networks;
  if (links > 0 && firstTarget + networks * linksPerSource > containers) {
    throw new RangeError(`Expected at least ${firstTarget + networks * linksPerSource} containers for ${links} links on ${networks} networks, got ${containers}`);
  }
  const networkNames = Array.from({ length: networks }, (_, index) => `${options.prefix}-n${index}`);
  const stack: Stack = {
    prefix: options.prefix,
    label: `${BENCH_LABEL}=${options.prefix}`,
    networks: networkNames,
    containers: Array.from({ length: containers }, (_, index) => ({
      name: `${options.prefix}-c${index}`,
      network: networkNames[index % networks] as string,
      links: [],
      env: { INDEX: String(index) },
      ...(index < ports ? { hostPort: options.hostPortBase + index } : {}),
    })),
  };
  for (let index = 0; index < links; index++) {
    const source = Math.floor(index / linksPerSource);
    const target = stack.containers[firstTarget + (source % networks) + networks * (index % linksPerSource)] as StackContainer;
    (stack.containers[source] as StackContainer).links.push({ to: target.name, alias: `peer${index}` });
  }
  return stack;
}

/** Containers without links first, then those that link to them. */
export function creationWaves(stack: Stack): StackContainer[][] {
  return [stack.containers.filter((container) => container.links.length === 0), stack.containers.filter((container) => container.links.length > 0)];
}

export interface WriteManifestsOptions {
  /** Only these networks' files, as a git pull touches only what changed. @default every network */
  networks?: readonly string[];
  /** The containers' pull policy: `Never` by default, as no registry answers here. */
  pullPolicy?: 'Never' | 'Always';
}

/** One file per network: the network, its containers, their links and publishes. */
export async function writeManifests(stack: Stack, directory: string, options: WriteManifestsOptions = {}): Promise<void> {
  const { networks = stack.networks, pullPolicy = 'Never' } = options;
  await mkdir(directory, { recursive: true });
  const labels = { [BENCH_LABEL]: stack.prefix };
  await Promise.all(
    networks.map((network) => {
      const members = stack.containers.filter((container) => container.network === network);
      const documents = [
        document('Network', network, { labels }),
        ...members.map((container) =>
          document('Container', container.name, {
            image: BENCH_IMAGE,
            pullPolicy,
            command: SERVER_COMMAND,
            env: container.env,
            labels,
            expose: [80],
            networks: [{ name: network }],
          }),
        ),
        ...members.flatMap((container) =>
          container.links.map((link) => document('Link', `${container.name}-${link.alias}`, { from: container.name, to: link.to, alias: link.alias, network, ports: [80] })),
        ),
        ...members.flatMap((container) =>
          container.hostPort === undefined
            ? []
            : [document('PortPublish', `${container.name}-http`, { container: container.name, containerPort: 80, hostPort: container.hostPort, hostIp: '127.0.0.1' })],
        ),
      ];
      return writeFile(join(directory, `${network}.yaml`), documents.map((doc) => stringify(doc)).join('---\n'));
    }),
  );
}

function document(kind: string, name: string, spec: Record<string, unknown>) {
  return { apiVersion: 'mooring/v1', kind, metadata: { name }, spec };
}

/** `docker network create` for each network. */
export function networkCommands(stack: Stack): string[][] {
  return stack.networks.map((network) => ['network', 'create', '--label', stack.label, network]);
}

/** The `docker run` an expert writes for one container, with the same restart policy mooring applies. */
export function runCommand(stack: Stack, container: StackContainer): string[] {
  return [
    'run', '-d', '--name', container.name, '--label', stack.label, '--restart', 'unless-stopped',
    '--network', container.network, '--expose', '80',
    ...Object.entries(container.env).flatMap(([key, value]) => ['-e', `${key}=${value}`]),
    ...container.links.flatMap((link) => ['--link', `${link.to}:${link.alias}`]),
    ...(container.hostPort === undefined ? [] : ['-p', `127.0.0.1:${container.hostPort}:80`]),
    BENCH_IMAGE, ...SERVER_COMMAND,
  ];
}

/** The same stack as a compose file; services are named as the containers so that links read the same. */
export function composeFile(stack: Stack): string {
  const labels = { [BENCH_LABEL]: stack.prefix };
  const services = Object.fromEntries(
    stack.containers.map((container) => [
      container.name,
      {
        image: BENCH_IMAGE,
        container_name: container.name,
        command: SERVER_COMMAND,
        environment: container.env,
        labels,
        restart: 'unless-stopped',
        expose: ['80'],
        networks: [container.network],
        ...(container.links.length ? { links: container.links.map((link) => `${link.to}:${link.alias}`) } : {}),
        ...(container.hostPort === undefined ? {} : { ports: [`127.0.0.1:${container.hostPort}:80`] }),
      },
    ]),
  );
  const networks = Object.fromEntries(stack.networks.map((network) => [network, { name: network, labels }]));
  return stringify({ version: '2.4', services, networks });
}

/**
 * The scale scenario's stack: containers in pairs, the first of each linking
 * to the second, pair k on network k mod `networks`. A larger stack holds
 * every container of a smaller one unchanged, so one engine state grows or
 * shrinks from one size to the next.
 */
export function pairedStack(options: { prefix: string; containers: number; networks: number }): Stack {
  const networkNames = Array.from({ length: options.networks }, (_, index) => `${options.prefix}-n${index}`);
  const containers = Array.from({ length: options.containers }, (_, index): StackContainer => ({
    name: `${options.prefix}-c${index}`,
    network: networkNames[Math.floor(index / 2) % options.networks] as string,
    links: [],
    env: { INDEX: String(index) },
  }));
  for (let index = 0; index + 1 < containers.length; index += 2) {
    (containers[index] as StackContainer).links.push({ to: (containers[index + 1] as StackContainer).name, alias: 'peer' });
  }
  return { prefix: options.prefix, label: `${BENCH_LABEL}=${options.prefix}`, networks: networkNames, containers };
}
