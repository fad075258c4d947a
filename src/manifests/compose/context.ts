/**
 * What the translators share: the project's names, the service being
 * translated, the documents it becomes, and the problems found, each at a
 * path in the Compose tree.
 */
import { describeValue } from '../schema-issues.js';
import type { Lookup, TreePath } from './interpolate.js';

/** Thrown by the value readers below; the translator that read the value reports it at the value's path. */
export class ComposeValueError extends Error {
  override name = 'ComposeValueError';
  constructor(
    message: string,
    /** Below the path the reader was given: an item of a list, a field of a mapping. */
    readonly at: TreePath = [],
  ) {
    super(message);
  }
}

/** A document to be, before the schema fills its defaults and checks it. */
export interface PendingDocument {
  /** A mooring kind; one that has not landed yet is reported by the step that makes it. */
  kind: string;
  name: string;
  spec: Record<string, unknown>;
  /** Where in the Compose tree it comes from (`services.web`, `services.web.ports.1`, ...). */
  origin: TreePath;
  /** Where each spec field comes from, when not from `origin`: the schema's errors are reported there. */
  origins?: Map<string, TreePath>;
}

export interface ProjectNames {
  project: string;
  /** Absolute: relative paths in the project (binds, env files, secrets) are resolved against it. */
  directory: string;
  /** The container of each service that runs (its profiles enabled). */
  containers: ReadonlyMap<string, string>;
  /** Every service declared, enabled or not, with its `profiles` (none: it always runs). */
  services: ReadonlyMap<string, readonly string[]>;
  /** The active profiles: the `--profile` flags, or else `COMPOSE_PROFILES`. */
  profiles: ReadonlySet<string>;
  /** The engine name of each network of the project, by its key (`default` included). */
  networks: ReadonlyMap<string, string>;
  /** The engine name of each top-level volume, by its key. */
  volumes: ReadonlyMap<string, string>;
  /** The mooring Secret of each top-level secret, by its key. */
  secrets: ReadonlyMap<string, string>;
  /** The host path of each top-level config's file, by its key; undefined when its declaration is in error (reported there). */
  configs: ReadonlyMap<string, string | undefined>;
}

/** One service being translated into a Container and the documents around it. */
export interface ServiceTranslation {
  names: ProjectNames;
  service: string;
  container: string;
  /** The service's attributes, after interpolation and merge. */
  attributes: Record<string, unknown>;
  /** The Container's spec, field by field. */
  spec: Record<string, unknown>;
  /** Where each spec field comes from, under `services.<service>`. */
  origins: Map<string, TreePath>;
  /** The networks the container joins, by their key, in Compose's order (for links and checks). */
  networkKeys: string[];
  documents: PendingDocument[];
  /** The environment interpolation reads (`environment: [KEY]` takes its value from it, as in Compose). */
  lookup: Lookup;
  problem(path: TreePath, message: string): void;
}

/**
 * Why a service another one refers to (`depends_on`, `links`, `service:NAME`,
 * a probe) does not run: undeclared, or which profile would enable it.
 */
export function notRunning(names: ProjectNames, service: string): string {
  const profiles = names.services.get(service);
  if (profiles === undefined) return `no service ${JSON.stringify(service)} is declared in this project`;
  const active = names.profiles.size === 0 ? 'none is active' : `active: ${[...names.profiles].join(', ')}`;
  const enabling = profiles.map((profile) => `--profile ${profile}`).join(' or ');
  return `service ${JSON.stringify(service)} does not run: its profiles (${profiles.join(', ')}) are not active (${active}); ${enabling} would enable it`;
}

/** Sets a Container field read from the attribute at `from` (under the service). */
export function setField(translation: ServiceTranslation, field: string, value: unknown, from: TreePath): void {
  if (value === undefined) return;
  translation.spec[field] = value;
  translation.origins.set(field, from);
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function expectMapping(value: unknown): Record<string, unknown> {
  if (!isMapping(value)) throw new ComposeValueError(`expected a mapping, got ${describeValue(value)}`);
  return value;
}

export function expectString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new ComposeValueError(`expected a string, got ${describeValue(value)}`);
}

export function expectStringList(value: unknown): string[] {
  if (!Array.isArray(value)) throw new ComposeValueError(`expected a list, got ${describeValue(value)}`);
  return value.map((item, index) => {
    try {
      return expectString(item);
    } catch (error) {
      throw new ComposeValueError((error as Error).message, [index]);
    }
  });
}

/** A string or a list of strings (`dns: 8.8.8.8` and `dns: [8.8.8.8]`). */
export function expectStrings(value: unknown): string[] {
  return Array.isArray(value) ? expectStringList(value) : [expectString(value)];
}

export function expectBoolean(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  // Interpolated values are strings; Compose casts them back by the field's type.
  if (value === 'true' || value === 'false') return value === 'true';
  throw new ComposeValueError(`expected true or false, got ${describeValue(value)}`);
}

export function expectInteger(value: unknown): number {
  const number = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number === 'number' && Number.isInteger(number)) return number;
  throw new ComposeValueError(`expected an integer, got ${describeValue(value)}`);
}

export function expectNumber(value: unknown): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number === 'number' && Number.isFinite(number)) return number;
  throw new ComposeValueError(`expected a number, got ${describeValue(value)}`);
}

/** `{KEY: VALUE}` or `[KEY=VALUE]` → entries; a KEY without a value has null. */
export function keyValues(value: unknown, separators: readonly string[] = ['=']): [string, unknown][] {
  if (isMapping(value)) return Object.entries(value);
  if (!Array.isArray(value)) throw new ComposeValueError(`expected a mapping or a list of KEY=VALUE, got ${describeValue(value)}`);
  return value.map((item, index) => {
    if (typeof item !== 'string' && typeof item !== 'number') throw new ComposeValueError(`expected KEY=VALUE, got ${describeValue(item)}`, [index]);
    const text = String(item);
    const separator = separators.find((candidate) => text.includes(candidate));
    if (separator === undefined) return [text, null];
    const cut = text.indexOf(separator);
    return [text.slice(0, cut), text.slice(cut + 1)];
  });
}

/** A map's values as strings (Compose's labels, options): numbers and booleans as written, null as empty. */
export function stringMap(value: unknown, separators?: readonly string[]): Record<string, string> {
  return Object.fromEntries(keyValues(value, separators).map(([key, item]) => [key, item === null ? '' : scalarString(item, [key])]));
}

export function scalarString(value: unknown, at: TreePath = []): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ComposeValueError(`expected a string, number or boolean, got ${describeValue(value)}`, at);
}

const DURATION_UNITS: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, 'µs': 1e-6, ns: 1e-9 };

/** Seconds in a Go duration (`1m30s`, `500ms`), as Compose reads durations; a bare number is seconds. */
export function durationSeconds(value: unknown): number {
  if (typeof value === 'number' && value >= 0) return value;
  const text = typeof value === 'string' ? value.trim() : '';
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) {
    throw new ComposeValueError(`expected a duration such as "10s", "1m30s" or "500ms", got ${describeValue(value)}`);
  }
  return parts.reduce((sum, part) => sum + Number(part[1]) * DURATION_UNITS[part[2]!]!, 0);
}

/** A Compose duration as mooring writes one (`90s`, `1500ms`). */
export function mooringDuration(value: unknown): string {
  const seconds = durationSeconds(value);
  const ms = Math.round(seconds * 1000);
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** `services.web.ports[1]` style, as the path of an error. */
export function renderPath(path: TreePath): string {
  return path.reduce<string>((out, segment) => (typeof segment === 'number' ? `${out}[${segment}]` : out === '' ? segment : `${out}.${segment}`), '');
}
