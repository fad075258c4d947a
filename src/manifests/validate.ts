/**
 * The rules across the whole set of documents: names, references, networks,
 * published ports, cycles. Each error stands at the field that breaks the
 * rule, so the file it is in is the one held back.
 */
import type { AnyDocument, Document, InvalidDocument } from './model.js';
import type { Kind } from './schema.js';
import { ManifestError } from './errors.js';
import { BUILT_IN_NETWORKS, DEFAULT_NETWORK, containerNetworks } from './container-networks.js';
import { didYouMean } from './did-you-mean.js';
import { ipv4InSubnet, subnetWithin } from './ipv4.js';
import { onDifferentNodes, swarmRules } from './validate-swarm.js';
import { storageRules } from './validate-volumes.js';
import { buildRules } from './validate-builds.js';
import { dependencyName, ipv4Subnet } from './schema-runtime.js';

type Path = (string | number)[];

interface SetIndex {
  /** By name; of duplicates, the first declared. Only documents whose fields can be checked: valid or salvaged. */
  networks: Map<string, Document<'Network'>>;
  containers: Map<string, Document<'Container'>>;
  links: Document<'Link'>[];
  publishes: Document<'PortPublish'>[];
  probes: Document<'Probe'>[];
  /** Every name declared, by documents that failed the schema too: a reference to one is no "not declared". */
  declared: { Network: Set<string>; Container: Set<string> };
  report(document: Reported, path: Path, detail: string): void;
}

/** What an error can be reported against. */
type Reported = Pick<AnyDocument, 'kind' | 'name' | 'positionOf'>;

/**
 * Every error of the set, sorted by file, line and column. Documents that
 * failed the schema take part as far as they can (see {@link InvalidDocument}),
 * so that one schema error does not bring false errors elsewhere.
 */
export function validateManifestSet(documents: readonly (AnyDocument | InvalidDocument)[]): ManifestError[] {
  const errors: ManifestError[] = [];
  const report = (document: Reported, path: Path, detail: string) => {
    errors.push(new ManifestError(detail, { ...document.positionOf(path), resource: resourceName(document), path: path.join('.') }));
  };
  const index = indexDocuments(documents, report);
  for (const rule of [networkRules, containerRules, nameRules, linkRules, publishRules, probeRules, cycleRules, swarmRules]) rule(index);
  storageRules(documents, report);
  buildRules(index.containers.values(), report);
  return errors.sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column || (a.message < b.message ? -1 : 1),
  );
}

function indexDocuments(documents: readonly (AnyDocument | InvalidDocument)[], report: SetIndex['report']): SetIndex {
  const seen = new Map<string, Reported>();
  const index: SetIndex = { networks: new Map(), containers: new Map(), links: [], publishes: [], probes: [], declared: { Network: new Set(), Container: new Set() }, report };
  for (const entry of documents) {
    const key = resourceName(entry);
    const first = seen.get(key);
    if (first) {
      report(entry, ['metadata', 'name'], `duplicate ${key}: already declared at ${where(first)}`);
      continue;
    }
    seen.set(key, entry);
    if (entry.kind === 'Network' || entry.kind === 'Container') index.declared[entry.kind].add(entry.name);
    const document = 'invalid' in entry ? entry.salvaged : entry;
    if (document === undefined) continue;
    if (document.kind === 'Network') index.networks.set(document.name, document);
    else if (document.kind === 'Container') index.containers.set(document.name, document);
    else if (document.kind === 'Link') index.links.push(document);
    else if (document.kind === 'PortPublish') index.publishes.push(document);
    else if (document.kind === 'Probe') index.probes.push(document);
  }
  return index;
}

function networkRules({ networks, report }: SetIndex): void {
  for (const network of networks.values()) {
    const { spec } = network;
    if (isBuiltInNetwork(network.name) && !spec.external) {
      report(network, ['metadata', 'name'], `\`${network.name}\` is a built-in network: reference it without declaring it (or declare it with \`external: true\`)`);
    }
    const subnet = spec.ipam?.subnet;
    if (subnet === undefined) continue;
    if (spec.ipam?.gateway !== undefined && !ipv4InSubnet(spec.ipam.gateway, subnet)) {
      report(network, ['spec', 'ipam', 'gateway'], `expected an address in subnet ${subnet}, got ${spec.ipam.gateway}`);
    }
    if (spec.ipam?.ipRange !== undefined && !subnetWithin(spec.ipam.ipRange, subnet)) {
      report(network, ['spec', 'ipam', 'ipRange'], `expected a range within subnet ${subnet}, got ${spec.ipam.ipRange}`);
    }
  }
}

function containerRules(index: SetIndex): void {
  const { containers, networks, declared, report } = index;
  for (const container of containers.values()) {
    const { spec } = container;
    if (spec.networks && spec.networkMode) {
      report(container, ['spec', 'networkMode'], 'expected either `networks` or `networkMode`, got both');
    }
    const listed = new Set<string>();
    (spec.networks ?? []).forEach((attachment, i) => {
      const at: Path = ['spec', 'networks', i];
      if (listed.has(attachment.name)) report(container, [...at, 'name'], `network \`${attachment.name}\` is listed twice`);
      listed.add(attachment.name);
      if (attachment.name === 'host' || attachment.name === 'none') {
        report(container, [...at, 'name'], `\`${attachment.name}\` cannot be joined as a network: use \`networkMode: ${attachment.name}\``);
      } else if (attachment.name !== DEFAULT_NETWORK && !declared.Network.has(attachment.name)) {
        report(container, [...at, 'name'], undeclaredNetwork(attachment.name, declared.Network));
      }
    });
    containerNetworks(spec).forEach((attachment, i) => {
      const at: Path = ['spec', 'networks', i];
      if (attachment.name === DEFAULT_NETWORK && attachment.aliases.length > 0) {
        report(container, [...at, 'aliases'], 'aliases need a user-defined network: the default `bridge` does not resolve names');
      }
      if (attachment.ipv4Address === undefined) return;
      const network = networks.get(attachment.name);
      const subnet = ipv4Subnet(network?.spec.ipam);
      if (attachment.name === DEFAULT_NETWORK || (network && !network.spec.external && subnet === undefined)) {
        report(container, [...at, 'ipv4Address'], `a fixed ipv4Address needs a user-defined network with \`ipam.subnet\`; \`${attachment.name}\` has none`);
      } else if (subnet !== undefined && !ipv4InSubnet(attachment.ipv4Address, subnet)) {
        report(container, [...at, 'ipv4Address'], `expected an address in subnet ${subnet} of network \`${attachment.name}\`, got ${attachment.ipv4Address}`);
      }
    });
    const peer = sharedNetworkPeer(spec.networkMode);
    if (peer !== undefined && !declared.Container.has(peer)) {
      report(container, ['spec', 'networkMode'], undeclaredContainer(peer, declared.Container));
    }
    spec.dependsOn.map(dependencyName).forEach((name, i) => {
      if (!declared.Container.has(name)) report(container, ['spec', 'dependsOn', i], undeclaredContainer(name, declared.Container));
    });
  }
}

/** Within one network, a name (container name, alias or fixed address) must stand for one container. */
function nameRules({ containers, report }: SetIndex): void {
  const claims = new Map<string, { container: Document<'Container'>; path: Path }>();
  const claim = (key: string, container: Document<'Container'>, path: Path, what: string) => {
    const first = claims.get(key);
    if (first === undefined) return void claims.set(key, { container, path });
    const owner = first.container === container ? 'this container' : resourceName(first.container);
    report(container, path, `${what} is already used by ${owner} (${where(first.container, first.path)})`);
  };
  for (const container of containers.values()) {
    containerNetworks(container.spec).forEach((attachment) => claims.set(`${attachment.name}\0name\0${container.name}`, { container, path: ['metadata', 'name'] }));
  }
  for (const container of containers.values()) {
    containerNetworks(container.spec).forEach((attachment, i) => {
      attachment.aliases.forEach((alias, j) => {
        if (alias === container.name) return;
        claim(`${attachment.name}\0name\0${alias}`, container, ['spec', 'networks', i, 'aliases', j], `alias \`${alias}\` on network \`${attachment.name}\``);
      });
      if (attachment.ipv4Address !== undefined) {
        const address = attachment.ipv4Address;
        claim(`${attachment.name}\0ip\0${address}`, container, ['spec', 'networks', i, 'ipv4Address'], `address ${address} on network \`${attachment.name}\``);
      }
    });
  }
}

function linkRules({ links, containers, declared, report }: SetIndex): void {
  const aliases = new Map<string, Document<'Link'>>();
  for (const link of links) {
    const { spec } = link;
    const ends = (['from', 'to'] as const).map((end) => ({ end, name: spec[end], container: containers.get(spec[end]) }));
    for (const { end, name } of ends) {
      if (!declared.Container.has(name)) report(link, ['spec', end], undeclaredContainer(name, declared.Container));
    }
    if (spec.network !== undefined && isBuiltInNetwork(spec.network)) {
      report(link, ['spec', 'network'], 'a network-scoped link needs a user-defined network; leave `network` out for a legacy link on the default bridge');
    } else if (spec.network !== undefined && !declared.Network.has(spec.network)) {
      report(link, ['spec', 'network'], undeclaredNetwork(spec.network, declared.Network));
    } else {
      const required = spec.network ?? DEFAULT_NETWORK;
      for (const { end, name, container } of ends) {
        if (!container) continue;
        if (container.spec.networkMode === 'none') {
          report(link, ['spec', end], `Container/${name} has \`networkMode: none\`: it has no network to link on`);
        } else if (!containerNetworks(container.spec).some((attachment) => attachment.name === required)) {
          report(
            link,
            ['spec', end],
            spec.network === undefined
              ? `Container/${name} is not on the default \`bridge\` network: a legacy link needs both containers there (set \`network\` for a link on a user-defined network)`
              : `Container/${name} is not attached to network \`${required}\`: a network-scoped link needs both containers on it`,
          );
        }
      }
    }
    const alias = spec.alias ?? spec.to;
    const key = `${spec.from}\0${spec.network ?? ''}\0${alias}`;
    const first = aliases.get(key);
    if (first) {
      report(link, aliasPath(link), `alias \`${alias}\` of Container/${spec.from} is already used by ${resourceName(first)} (${where(first, aliasPath(first))})`);
    } else {
      aliases.set(key, link);
    }
  }
}

/** Where a Link's alias is written: `alias`, or `to` when the alias is the target's name. */
function aliasPath(link: Document<'Link'>): Path {
  return ['spec', link.spec.alias === undefined ? 'to' : 'alias'];
}

const NO_PUBLISH: Record<string, string> = {
  host: 'it uses the host network, so its ports are the host\u2019s already',
  none: 'it has no network',
};

function publishRules({ publishes, containers, declared, report }: SetIndex): void {
  const bound: Document<'PortPublish'>[] = [];
  for (const publish of publishes) {
    const { spec } = publish;
    const container = containers.get(spec.container);
    const mode = container?.spec.networkMode;
    if (!declared.Container.has(spec.container)) {
      report(publish, ['spec', 'container'], undeclaredContainer(spec.container, declared.Container));
    } else if (mode !== undefined) {
      const why = NO_PUBLISH[mode] ?? `it shares the network of ${mode.slice('container:'.length)}; publish on that container instead`;
      report(publish, ['spec', 'container'], `Container/${spec.container} has \`networkMode: ${mode}\`: its ports cannot be published, since ${why}`);
    }
    if (spec.hostPort === undefined) continue;
    const clash = bound.find(
      (other) =>
        other.spec.hostPort === spec.hostPort &&
        other.spec.protocol === spec.protocol &&
        hostIpsOverlap(other.spec.hostIp, spec.hostIp) &&
        !onDifferentNodes(containers.get(other.spec.container), container),
    );
    if (clash) {
      report(publish, ['spec', 'hostPort'], `host port ${spec.hostIp}:${spec.hostPort}/${spec.protocol} is already published by ${resourceName(clash)} (${where(clash, ['spec', 'hostPort'])})`);
    } else {
      bound.push(publish);
    }
  }
}

/** Binding the wildcard address of a family takes the port on every address of that family. */
function hostIpsOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const wildcard = (ip: string) => ip === '0.0.0.0' || ip === '::';
  const family = (ip: string) => (ip.includes(':') ? 6 : 4);
  return (wildcard(a) || wildcard(b)) && family(a) === family(b);
}

function probeRules({ probes, containers, declared, report }: SetIndex): void {
  for (const probe of probes) {
    if (probe.spec.from !== 'host' && !declared.Container.has(probe.spec.from)) {
      report(probe, ['spec', 'from'], `${undeclaredContainer(probe.spec.from, declared.Container)} (or \`host\`)`);
    }
    const { to } = probe.spec;
    if (typeof to === 'string') continue;
    // A target that failed the schema is declared, but its networks cannot be checked.
    const target = containers.get(to.container);
    if (!declared.Container.has(to.container)) {
      report(probe, ['spec', 'to', 'container'], undeclaredContainer(to.container, declared.Container));
    } else if (!isBuiltInNetwork(to.network) && !declared.Network.has(to.network)) {
      report(probe, ['spec', 'to', 'network'], undeclaredNetwork(to.network, declared.Network));
    } else if (target && !containerNetworks(target.spec).some((attachment) => attachment.name === to.network)) {
      const joined = containerNetworks(target.spec).map((attachment) => attachment.name);
      const has = joined.length > 0 ? `its networks: ${joined.join(', ')}` : `it has \`networkMode: ${target.spec.networkMode ?? ''}\``;
      report(probe, ['spec', 'to', 'network'], `Container/${to.container} is not attached to network \`${to.network}\` (${has}): it has no address there to probe`);
    }
  }
}

interface Edge {
  from: string;
  to: string;
  /** What makes the dependency, as printed: `dependsOn`, `networkMode`, `Link/name` (a legacy link). */
  by: string;
  document: AnyDocument;
  path: Path;
}

/**
 * A container must be made after what it depends on, has a legacy link to, or
 * shares the network of; a cycle among those can never start. Each cycle is
 * reported once, at the dependency leaving its alphabetically first container.
 * A network-scoped link orders nothing: it is a name in the source's endpoint
 * that the engine's DNS resolves when asked, so its target may come later, and
 * two containers may link to each other.
 */
function cycleRules({ containers, links, report }: SetIndex): void {
  const edges = new Map<string, Edge[]>();
  const add = (edge: Edge) => {
    if (containers.has(edge.from) && containers.has(edge.to)) edges.set(edge.from, [...(edges.get(edge.from) ?? []), edge]);
  };
  for (const container of containers.values()) {
    container.spec.dependsOn.map(dependencyName).forEach((to, i) => add({ from: container.name, to, by: 'dependsOn', document: container, path: ['spec', 'dependsOn', i] }));
    const peer = sharedNetworkPeer(container.spec.networkMode);
    if (peer !== undefined) add({ from: container.name, to: peer, by: 'networkMode', document: container, path: ['spec', 'networkMode'] });
  }
  for (const link of links) {
    if (link.spec.from === link.spec.to) {
      report(link, ['spec', 'to'], `a Link from Container/${link.spec.to} to itself: a container needs none to reach itself (on \`localhost\`, or by a network alias in \`spec.networks\`)`);
    } else if (link.spec.network === undefined) {
      add({ from: link.spec.from, to: link.spec.to, by: resourceName(link), document: link, path: ['spec', 'to'] });
    }
  }

  const reported = new Set<string>();
  const state = new Map<string, 'active' | 'done'>();
  const trail: Edge[] = [];
  const visit = (name: string) => {
    state.set(name, 'active');
    for (const edge of edges.get(name) ?? []) {
      if (state.get(edge.to) === 'active') {
        // The cycle runs from where the trail left `edge.to`; a dependency on itself is a cycle of one.
        const start = trail.findIndex((step) => step.from === edge.to);
        reportCycle(start < 0 ? [edge] : [...trail.slice(start), edge]);
      } else if (!state.has(edge.to)) {
        trail.push(edge);
        visit(edge.to);
        trail.pop();
      }
    }
    state.set(name, 'done');
  };
  const reportCycle = (cycle: Edge[]) => {
    const start = cycle.reduce((best, edge, i) => (edge.from < (cycle[best]?.from ?? '') ? i : best), 0);
    const ordered = [...cycle.slice(start), ...cycle.slice(0, start)];
    const key = ordered.map((edge) => `${edge.from}\0${edge.by}`).join('\0');
    const first = ordered[0];
    if (!first || reported.has(key)) return;
    reported.add(key);
    const spelled = [...ordered.map((edge) => edge.from), first.from].join(' \u2192 ');
    const because = ordered.map((edge) => `${edge.from} \u2192 ${edge.to} by ${edge.by}`).join(', ');
    report(first.document, first.path, `dependency cycle: ${spelled} (${because}); none of these containers can start first`);
  };
  for (const name of [...containers.keys()].sort()) if (!state.has(name)) visit(name);
}

function sharedNetworkPeer(networkMode: string | undefined): string | undefined {
  return networkMode?.startsWith('container:') ? networkMode.slice('container:'.length) : undefined;
}

function isBuiltInNetwork(name: string): boolean {
  return (BUILT_IN_NETWORKS as readonly string[]).includes(name);
}

function undeclaredNetwork(name: string, networks: ReadonlySet<string>): string {
  return `network \`${name}\` is not declared (declare a Network, with \`external: true\` for one that exists already)${didYouMean(name, [...networks, DEFAULT_NETWORK])}`;
}

function undeclaredContainer(name: string, containers: ReadonlySet<string>): string {
  return `Container/${name} is not declared${didYouMean(name, containers)}`;
}

function resourceName(document: { kind: Kind; name: string }): string {
  return `${document.kind}/${document.name}`;
}

function where(document: Reported, path: Path = ['metadata', 'name']): string {
  const position = document.positionOf(path);
  return `${position.file}:${position.line}:${position.column}`;
}
