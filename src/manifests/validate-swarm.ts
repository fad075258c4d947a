/**
 * The rules of a fleet (docs/multi-host.md): what Docker Swarm's overlay
 * networks need, and what cannot span two hosts. Names stay unique across the
 * fleet because the set's duplicate rule does not look at `node`.
 */
import type { AnyDocument, Document } from './model.js';
import { DEFAULT_NETWORK } from './container-networks.js';
import { dependencyName } from './schema-runtime.js';

/** The driver of a swarm's networks: cluster-wide, made by a manager, joined from every node. */
export const OVERLAY_DRIVER = 'overlay';

type Path = (string | number)[];

export interface SwarmRulesInput {
  networks: ReadonlyMap<string, Document<'Network'>>;
  containers: ReadonlyMap<string, Document<'Container'>>;
  links: readonly Document<'Link'>[];
  probes: readonly Document<'Probe'>[];
  report(document: Pick<AnyDocument, 'kind' | 'name' | 'positionOf'>, path: Path, detail: string): void;
}

/** Whether two containers are declared on different nodes; one without `node` could be on either, so it never is. */
export function onDifferentNodes(a: Document<'Container'> | undefined, b: Document<'Container'> | undefined): boolean {
  return a?.spec.node !== undefined && b?.spec.node !== undefined && a.spec.node !== b.spec.node;
}

export function swarmRules({ networks, containers, links, probes, report }: SwarmRulesInput): void {
  for (const network of networks.values()) {
    if (network.spec.driver === OVERLAY_DRIVER && !network.spec.external && !network.spec.attachable) {
      report(network, ['spec', 'attachable'], 'an overlay network needs `attachable: true`: mooring runs standalone containers, and those can join only an attachable overlay');
    }
  }
  for (const container of containers.values()) {
    const { spec } = container;
    const peer = spec.networkMode?.startsWith('container:') ? containers.get(spec.networkMode.slice('container:'.length)) : undefined;
    if (onDifferentNodes(container, peer)) {
      report(container, ['spec', 'networkMode'], `Container/${peer!.name} runs on node \`${peer!.spec.node!}\`: a network namespace is shared on one host only`);
    }
    spec.dependsOn.forEach((dependency, i) => {
      const name = dependencyName(dependency);
      const target = containers.get(name);
      if (onDifferentNodes(container, target)) {
        report(container, ['spec', 'dependsOn', i], `Container/${name} runs on node \`${target!.spec.node!}\`: dependsOn orders containers of one node (a Link checks one on another)`);
      }
    });
  }
  for (const link of links) {
    const from = containers.get(link.spec.from);
    const to = containers.get(link.spec.to);
    if (!onDifferentNodes(from, to)) continue;
    const network = link.spec.network ?? DEFAULT_NETWORK;
    if (networks.get(network)?.spec.driver !== OVERLAY_DRIVER) {
      report(link, ['spec', link.spec.network === undefined ? 'to' : 'network'], `Container/${to!.name} runs on node \`${to!.spec.node!}\` and Container/${from!.name} on \`${from!.spec.node!}\`: a Link across nodes needs an overlay network (\`${network}\` is one host's own)`);
    }
  }
  for (const probe of probes) {
    if (probe.spec.node !== undefined && probe.spec.from !== 'host') {
      report(probe, ['spec', 'node'], `\`node\` is for Probes from \`host\`: a Probe from Container/${probe.spec.from} runs on that container's node`);
    }
  }
}
