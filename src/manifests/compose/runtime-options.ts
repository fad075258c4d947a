/**
 * The translators of the attributes that need the Container's runtime fields
 * (issue 15: resources, capabilities, devices, limits, DNS, logging, ...).
 * Each produces the field's value as that schema takes it; the table switches
 * a row on once the field exists.
 */
import type { ServiceTranslation } from './context.js';
import { ComposeValueError, expectInteger, expectMapping, expectNumber, expectString, isMapping, keyValues, notRunning, scalarString, setField } from './context.js';
import { describeValue } from '../schema-issues.js';
import type { Translator } from './service-basics.js';
import { hasContainerField } from './schema-fields.js';

/** Several attributes (`mem_limit`, `cpus`, `deploy.resources`, ...) fill the one `resources` field. */
function setResource(translation: ServiceTranslation, key: string, value: unknown, from: (string | number)[]): void {
  const resources = { ...(translation.spec.resources as Record<string, unknown> | undefined), [key]: value };
  setField(translation, 'resources', resources, from);
}

/** A sizes as Docker reads it: a number of bytes or `512m`; Compose also writes `512mb`. */
function size(value: unknown): number | string {
  if (typeof value === 'number') return value;
  return expectString(value).trim().replace(/^(\d+)([bkmg])b$/i, '$1$2');
}

export function resource(key: string, read: (value: unknown) => unknown): Translator {
  return (value, translation, attribute) => setResource(translation, key, read(value), [attribute]);
}

export const sizeResource = (key: string) => resource(key, size);
export const numberResource = (key: string) => resource(key, expectNumber);
export const integerResource = (key: string) => resource(key, expectInteger);
export const stringResource = (key: string) => resource(key, expectString);

/** `deploy`: `replicas` of 1 and `resources`; the rest is Swarm's. */
export const deploy: Translator = (value, translation, attribute) => {
  const entry = expectMapping(value);
  for (const key of Object.keys(entry)) {
    if (key === 'replicas') {
      if (expectInteger(entry.replicas) !== 1) throw new ComposeValueError('mooring runs one container per service: more replicas are not supported', ['replicas']);
    } else if (key !== 'resources' && key !== 'labels') {
      throw new ComposeValueError(`\`deploy.${key}\` is not supported by mooring`, [key]);
    }
  }
  if (entry.labels !== undefined) throw new ComposeValueError('`deploy.labels` label Swarm services, which mooring does not make', ['labels']);
  if (entry.resources === undefined) return;
  if (!hasContainerField('resources')) throw new ComposeValueError(`mooring cannot represent \`deploy.resources\` yet: it needs the Container field \`resources\` (issue 15)`, ['resources']);
  const resources = expectMapping(entry.resources);
  const limits = resources.limits === undefined ? {} : expectMapping(resources.limits);
  const reservations = resources.reservations === undefined ? {} : expectMapping(resources.reservations);
  const read: [Record<string, unknown>, string, string, (value: unknown) => unknown][] = [
    [limits, 'cpus', 'cpus', expectNumber],
    [limits, 'memory', 'memory', size],
    [limits, 'pids', 'pidsLimit', expectInteger],
    [reservations, 'memory', 'memoryReservation', size],
  ];
  for (const [from, key, field, reader] of read) {
    if (from[key] !== undefined) setResource(translation, field, reader(from[key]), [attribute, 'resources']);
  }
  for (const [name, part] of [['limits', limits], ['reservations', reservations]] as const) {
    for (const key of Object.keys(part)) {
      if (!read.some(([from, known]) => from === part && known === key)) {
        throw new ComposeValueError(`\`deploy.resources.${name}.${key}\` is not supported by mooring yet`, ['resources', name, key]);
      }
    }
  }
};

/** `devices`: `/dev/x[:/dev/y[:rwm]]`, or the long syntax's source, target and permissions. */
export function devices(value: unknown): string[] {
  if (!Array.isArray(value)) throw new ComposeValueError(`expected a list, got ${describeValue(value)}`);
  return value.map((item, index) => {
    if (!isMapping(item)) return expectString(item);
    const { source, target, permissions } = item;
    if (typeof source !== 'string') throw new ComposeValueError('expected `source`', [index]);
    return [source, typeof target === 'string' ? target : source, ...(typeof permissions === 'string' ? [permissions] : [])].join(':');
  });
}

export function ulimits(value: unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(expectMapping(value)).map(([name, limit]) => {
    if (!isMapping(limit)) return [name, expectInteger(limit)];
    return [name, { soft: expectInteger(limit.soft), hard: expectInteger(limit.hard) }];
  }));
}

export function sysctls(value: unknown): Record<string, string> {
  return Object.fromEntries(keyValues(value).map(([key, item]) => [key, scalarString(item, [key])]));
}

export function logging(value: unknown): Record<string, unknown> {
  const entry = expectMapping(value);
  for (const key of Object.keys(entry)) {
    if (key !== 'driver' && key !== 'options') throw new ComposeValueError(`unknown attribute \`${key}\``, [key]);
  }
  return {
    driver: entry.driver === undefined ? 'json-file' : expectString(entry.driver),
    options: entry.options === undefined || entry.options === null ? {} : Object.fromEntries(Object.entries(expectMapping(entry.options)).map(([key, item]) => [key, scalarString(item, ['options', key])])),
  };
}

/** `pid` and `ipc`: `service:NAME` names a container of the project. */
export function namespaceMode(value: unknown, translation: ServiceTranslation): string {
  const text = expectString(value);
  if (!text.startsWith('service:')) return text;
  const container = translation.names.containers.get(text.slice('service:'.length));
  if (container === undefined) throw new ComposeValueError(notRunning(translation.names, text.slice('service:'.length)));
  return `container:${container}`;
}
