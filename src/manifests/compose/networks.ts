/**
 * Networks as Compose names and joins them: `<project>_<key>` unless `name:`
 * or `external`, `<project>_default` for services that name none, the service
 * name as an alias on every network, `network_mode`, and `links` as Links on
 * a network both containers join. Pure.
 */
import type { PendingDocument, ServiceTranslation } from './context.js';
import { ComposeValueError, expectBoolean, expectMapping, expectString, expectStringList, isMapping, notRunning, setField, stringMap } from './context.js';
import { describeValue } from '../schema-issues.js';
import type { TreePath } from './interpolate.js';
import { hasIpamPools, hasIpv6Address } from './schema-fields.js';

/** The engine name of a top-level network (or volume): `name:`, else the key when external, else `<project>_<key>`. */
export function resourceName(project: string, key: string, declaration: unknown): string {
  const entry = isMapping(declaration) ? declaration : {};
  if (typeof entry.name === 'string') return entry.name;
  const external = entry.external;
  // The legacy `external: {name: x}` form.
  if (isMapping(external) && typeof external.name === 'string') return external.name;
  if (external === true || external === 'true') return key;
  return `${project}_${key}`;
}

const NETWORK_ATTRIBUTES = ['name', 'driver', 'driver_opts', 'ipam', 'internal', 'attachable', 'enable_ipv6', 'labels', 'external'];

/** A top-level network → a Network document. */
export function networkDocument(options: { key: string; name: string; declaration: unknown; origin: TreePath }): PendingDocument {
  const { key, name, origin } = options;
  const declaration = options.declaration === null || options.declaration === undefined ? {} : expectMapping(options.declaration);
  const spec: Record<string, unknown> = {};
  const origins = new Map<string, TreePath>();
  const set = (field: string, attribute: string, read: (value: unknown) => unknown) => {
    const value = declaration[attribute];
    if (value === undefined || value === null) return;
    try {
      spec[field] = read(value);
    } catch (error) {
      if (error instanceof ComposeValueError) throw new ComposeValueError(error.message, [attribute, ...error.at]);
      throw error;
    }
    origins.set(field, [...origin, attribute]);
  };
  for (const attribute of Object.keys(declaration)) {
    if (!NETWORK_ATTRIBUTES.includes(attribute) && !attribute.startsWith('x-')) throw new ComposeValueError(`unknown attribute \`${attribute}\` of network ${key}`, [attribute]);
  }
  set('external', 'external', (value) => (isMapping(value) ? true : expectBoolean(value)));
  if (spec.external === true) return { kind: 'Network', name, spec, origin, origins };
  set('driver', 'driver', expectString);
  set('options', 'driver_opts', (value) => stringMap(value));
  set('internal', 'internal', expectBoolean);
  set('attachable', 'attachable', expectBoolean);
  set('enableIPv6', 'enable_ipv6', expectBoolean);
  set('labels', 'labels', (value) => stringMap(value));
  set('ipam', 'ipam', ipam);
  return { kind: 'Network', name, spec, origin, origins };
}

function ipam(value: unknown): Record<string, unknown> | undefined {
  const entry = expectMapping(value);
  for (const key of Object.keys(entry)) {
    if (key === 'driver') {
      if (entry.driver !== 'default') throw new ComposeValueError(`mooring uses the default IPAM driver only, got ${describeValue(entry.driver)}`, ['driver']);
    } else if (key === 'options') {
      throw new ComposeValueError('IPAM driver options are not supported by mooring yet', ['options']);
    } else if (key !== 'config') {
      throw new ComposeValueError(`unknown attribute \`${key}\``, [key]);
    }
  }
  if (entry.config === undefined) return undefined;
  if (!Array.isArray(entry.config)) throw new ComposeValueError(`expected a list, got ${describeValue(entry.config)}`, ['config']);
  if (entry.config.length === 0) return undefined;
  const pools = entry.config.map((item, index) => ipamPool(item, index));
  if (pools.length === 1) return pools[0];
  if (!hasIpamPools()) throw new ComposeValueError('mooring cannot represent several address pools yet: it needs the network field `ipam.configs` (issue 15)', ['config', 1]);
  return { configs: pools };
}

function ipamPool(item: unknown, index: number): Record<string, unknown> {
  const pool = expectMapping(item);
  const out: Record<string, unknown> = {};
  for (const [key, field] of [['subnet', 'subnet'], ['gateway', 'gateway'], ['ip_range', 'ipRange']] as const) {
    if (pool[key] !== undefined) out[field] = expectString(pool[key]);
  }
  for (const key of Object.keys(pool)) {
    if (!['subnet', 'gateway', 'ip_range'].includes(key)) throw new ComposeValueError(`\`${key}\` is not supported by mooring yet`, ['config', index, key]);
  }
  return out;
}

interface ServiceNetwork {
  key: string;
  aliases: string[];
  ipv4Address?: string;
  ipv6Address?: string;
  priority: number;
}

/** The networks a service joins, as `networks` gives them (a list, or a mapping with aliases and addresses). */
function serviceNetworks(value: unknown): ServiceNetwork[] {
  if (Array.isArray(value)) return expectStringList(value).map((key) => ({ key, aliases: [], priority: 0 }));
  return Object.entries(expectMapping(value)).map(([key, options]) => {
    const entry = options === null ? {} : expectMapping(options);
    for (const attribute of Object.keys(entry)) {
      if (attribute === 'ipv6_address' && !hasIpv6Address()) {
        throw new ComposeValueError('mooring cannot represent `ipv6_address` yet: it needs the network field `ipv6Address` (issue 15)', [key, attribute]);
      }
      if (['link_local_ips', 'mac_address', 'driver_opts', 'gw_priority', 'interface_name'].includes(attribute)) {
        throw new ComposeValueError(`\`${attribute}\` is not supported by mooring yet`, [key, attribute]);
      }
      if (!['aliases', 'ipv4_address', 'ipv6_address', 'priority'].includes(attribute)) throw new ComposeValueError(`unknown attribute \`${attribute}\``, [key, attribute]);
    }
    const aliases = entry.aliases === undefined ? [] : expectStringList(entry.aliases);
    const priority = entry.priority === undefined ? 0 : Number(entry.priority);
    return {
      key,
      aliases,
      priority,
      ...(entry.ipv4_address === undefined ? {} : { ipv4Address: expectString(entry.ipv4_address) }),
      ...(entry.ipv6_address === undefined ? {} : { ipv6Address: expectString(entry.ipv6_address) }),
    };
  });
}

/**
 * `networks` and `network_mode` together: the Container's `networks` (the
 * `default` network when neither is given) or its `networkMode`.
 */
export function translateNetworking(translation: ServiceTranslation): void {
  const { attributes, names, service } = translation;
  const mode = attributes.network_mode;
  if (mode !== undefined && mode !== null) {
    if (attributes.networks !== undefined) translation.problem(['network_mode'], 'expected `network_mode` or `networks`, not both (Compose refuses them together)');
    const text = expectModeText(mode, translation);
    if (text === undefined) return;
    if (text === 'bridge') return;
    if (text === 'host' || text === 'none') return setField(translation, 'networkMode', text, ['network_mode']);
    if (text.startsWith('service:')) {
      const target = names.containers.get(text.slice('service:'.length));
      if (target === undefined) return translation.problem(['network_mode'], notRunning(names, text.slice('service:'.length)));
      return setField(translation, 'networkMode', `container:${target}`, ['network_mode']);
    }
    if (text.startsWith('container:')) return setField(translation, 'networkMode', text, ['network_mode']);
    return translation.problem(['network_mode'], `expected bridge, host, none, service:NAME or container:NAME, got ${describeValue(text)}`);
  }
  let joined: ServiceNetwork[];
  try {
    joined = attributes.networks === undefined || attributes.networks === null ? [{ key: 'default', aliases: [], priority: 0 }] : serviceNetworks(attributes.networks);
  } catch (error) {
    if (!(error instanceof ComposeValueError)) throw error;
    return translation.problem(['networks', ...error.at], error.message);
  }
  // Compose connects by priority, highest first, then by name; the first is the one the container is created on.
  joined.sort((a, b) => b.priority - a.priority || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const networks = [];
  for (const network of joined) {
    const name = names.networks.get(network.key);
    if (name === undefined) {
      translation.problem(['networks', network.key], `network ${JSON.stringify(network.key)} is not declared in the top-level \`networks\``);
      continue;
    }
    translation.networkKeys.push(network.key);
    const { ipv4Address, ipv6Address } = network;
    networks.push({ name, aliases: [...new Set([service, ...network.aliases])], ...(ipv4Address === undefined ? {} : { ipv4Address }), ...(ipv6Address === undefined ? {} : { ipv6Address }) });
  }
  setField(translation, 'networks', networks, attributes.networks === undefined ? [] : ['networks']);
}

function expectModeText(mode: unknown, translation: ServiceTranslation): string | undefined {
  try {
    return expectString(mode);
  } catch (error) {
    if (!(error instanceof ComposeValueError)) throw error;
    translation.problem(['network_mode'], error.message);
    return undefined;
  }
}

/** The networks a translated service joins, by key, for links and checks between services. */
export type JoinedNetworks = ReadonlyMap<string, readonly string[]>;

/**
 * `links` → Links from this container to the linked service's, with the
 * alias given (else the service name), on the first network both join; a
 * container on the default bridge gets a legacy link.
 */
export function translateLinks(translation: ServiceTranslation, joined: JoinedNetworks): void {
  const { attributes, names } = translation;
  if (attributes.links === undefined || attributes.links === null) return;
  let entries: string[];
  try {
    entries = expectStringList(attributes.links);
  } catch (error) {
    if (!(error instanceof ComposeValueError)) throw error;
    return translation.problem(['links', ...error.at], error.message);
  }
  entries.forEach((entry, index) => {
    const [target = '', alias = target] = entry.split(':');
    const container = names.containers.get(target);
    if (container === undefined) return translation.problem(['links', index], notRunning(names, target));
    const mine = joined.get(translation.service) ?? [];
    const theirs = joined.get(target) ?? [];
    const shared = mine.find((key) => theirs.includes(key));
    const onBridge = mine.length === 0 && theirs.length === 0 && translation.spec.networkMode === undefined;
    if (shared === undefined && !onBridge) return translation.problem(['links', index], `service ${translation.service} and service ${target} share no network to link on`);
    translation.documents.push({
      kind: 'Link',
      name: `${translation.container}-${alias}`,
      spec: { from: translation.container, to: container, alias, ...(shared === undefined ? {} : { network: names.networks.get(shared) }) },
      origin: ['services', translation.service, 'links', index],
    });
  });
}
