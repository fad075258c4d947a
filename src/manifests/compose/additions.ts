/**
 * What mooring adds to a Compose project, and the order Compose keeps:
 * `depends_on` (and `links`) → `dependsOn`; each `depends_on` edge → a Probe
 * from the dependent to the dependency by service name, on the ports the
 * dependency exposes or publishes (DNS only when none); and the Probes an
 * `x-mooring` extension declares. `x-mooring: {checks: false}`, at the top
 * level or on a service, turns the dependency checks off.
 */
import type { PendingDocument, ProjectNames, ServiceTranslation } from './context.js';
import { ComposeValueError, expectBoolean, expectMapping, expectString, isMapping, notRunning, setField } from './context.js';
import { DEPENDENCY_CONDITIONS, dependencies } from './service-basics.js';
import { hasDependencyConditions } from './schema-fields.js';
import type { JoinedNetworks } from './networks.js';
import type { TreePath } from './interpolate.js';
import { describeValue } from '../schema-issues.js';

/** `x-mooring` at the top level or on a service. */
export interface MooringExtension {
  checks: boolean;
  probes: unknown[];
}

export function readExtension(value: unknown, inherited: MooringExtension | undefined): MooringExtension {
  if (value === undefined || value === null) return { checks: inherited?.checks ?? true, probes: [] };
  const entry = expectMapping(value);
  for (const key of Object.keys(entry)) {
    if (key !== 'checks' && key !== 'probes') throw new ComposeValueError(`unknown attribute \`${key}\` (x-mooring reads checks and probes)`, [key]);
  }
  if (entry.probes !== undefined && !Array.isArray(entry.probes)) throw new ComposeValueError(`expected a list, got ${describeValue(entry.probes)}`, ['probes']);
  return { checks: entry.checks === undefined ? (inherited?.checks ?? true) : expectBoolean(entry.checks), probes: (entry.probes as unknown[] | undefined) ?? [] };
}

/** The TCP ports a service's container exposes or publishes: what a check of it dials. */
function servicePorts(translation: ServiceTranslation): number[] {
  const exposed = ((translation.spec.expose as string[] | undefined) ?? []).filter((entry) => !entry.endsWith('/udp')).map((entry) => Number(entry.split('/')[0]));
  const published = translation.documents.filter((document) => document.kind === 'PortPublish' && document.spec.protocol === 'tcp').map((document) => document.spec.containerPort as number);
  return [...new Set([...exposed, ...published])].sort((a, b) => a - b);
}

/** `depends_on` → `dependsOn` and, unless switched off, a check of each edge. */
export function translateDependencies(options: {
  translation: ServiceTranslation;
  translations: ReadonlyMap<string, ServiceTranslation>;
  joined: JoinedNetworks;
  extension: MooringExtension;
}): void {
  const { translation, translations, joined, extension } = options;
  const { attributes, names } = translation;
  const linked = new Set<string>();
  for (const document of translation.documents) if (document.kind === 'Link') linked.add(document.spec.to as string);
  let edges: ReturnType<typeof dependencies> = [];
  if (attributes.depends_on !== undefined && attributes.depends_on !== null) {
    try {
      edges = dependencies(attributes.depends_on);
    } catch (error) {
      if (!(error instanceof ComposeValueError)) throw error;
      translation.problem(['depends_on', ...error.at], error.message);
    }
  }
  const dependsOn = new Map<string, string | { name: string; condition: string }>([...linked].map((name) => [name, name]));
  for (const edge of edges) {
    const target = names.containers.get(edge.service);
    if (target === undefined) {
      translation.problem(edge.at, notRunning(names, edge.service));
      continue;
    }
    const condition = DEPENDENCY_CONDITIONS[edge.condition]!;
    if (condition === 'started') {
      dependsOn.set(target, target);
    } else if (hasDependencyConditions()) {
      dependsOn.set(target, { name: target, condition });
    } else {
      translation.problem([...edge.at, 'condition'], `mooring cannot wait for ${edge.condition} yet: it needs dependsOn conditions (issue 15)`);
    }
    const dependency = translations.get(edge.service);
    if (!extension.checks || linked.has(target) || dependency === undefined) continue;
    // Only where the dependency's name resolves: a network both join.
    const shared = (joined.get(translation.service) ?? []).some((key) => (joined.get(edge.service) ?? []).includes(key));
    if (!shared) continue;
    translation.documents.push({
      kind: 'Probe',
      name: `${translation.container}-to-${edge.service}`,
      spec: { from: translation.container, to: edge.service, ports: servicePorts(dependency) },
      origin: ['services', translation.service, ...edge.at],
    });
  }
  const sorted = [...dependsOn].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, entry]) => entry);
  if (sorted.length > 0) setField(translation, 'dependsOn', sorted, attributes.depends_on === undefined ? ['links'] : ['depends_on']);
}

/** The Probes of an `x-mooring: {probes: [...]}`: `from` and `to` name services (or `host`), and `to: {service, network}` a container's address. */
export function extensionProbes(options: { extension: MooringExtension; names: ProjectNames; service?: string; origin: TreePath }): { documents: PendingDocument[]; problems: { path: TreePath; message: string }[] } {
  const { extension, names, service, origin } = options;
  const documents: PendingDocument[] = [];
  const problems: { path: TreePath; message: string }[] = [];
  extension.probes.forEach((item, index) => {
    const at = [...origin, 'probes', index];
    try {
      const entry = expectMapping(item);
      const from = entry.from === undefined && service !== undefined ? service : expectString(entry.from);
      const fromContainer = from === 'host' ? 'host' : names.containers.get(from);
      if (fromContainer === undefined) throw new ComposeValueError(notRunning(names, from), ['from']);
      const to = isMapping(entry.to) ? containerTarget(entry.to, names) : expectString(entry.to);
      const { name, from: _from, to: _to, ...rest } = entry;
      const probeName = name === undefined ? `${names.project}-${from}-to-${typeof to === 'string' ? to : to.container}` : expectString(name);
      documents.push({ kind: 'Probe', name: probeName.replace(/[^a-zA-Z0-9_.-]/g, '-'), spec: { from: fromContainer, to, ...rest }, origin: at });
    } catch (error) {
      if (!(error instanceof ComposeValueError)) throw error;
      problems.push({ path: [...at, ...error.at], message: error.message });
    }
  });
  return { documents, problems };
}

function containerTarget(entry: Record<string, unknown>, names: ProjectNames): { container: string; network: string } {
  const service = expectString(entry.service);
  const container = names.containers.get(service);
  if (container === undefined) throw new ComposeValueError(notRunning(names, service), ['to', 'service']);
  const key = expectString(entry.network);
  const network = names.networks.get(key);
  if (network === undefined) throw new ComposeValueError(`network ${JSON.stringify(key)} is not one of the project's`, ['to', 'network']);
  return { container, network };
}
