/**
 * An override file merged over the project's file, by the Compose
 * Specification's merge rules: mappings merge, sequences append, `command`,
 * `entrypoint` and `healthcheck.test` are replaced, `ports`, `volumes`,
 * `secrets` and `configs` merge by their unique key, maps given as lists
 * (`environment`, `labels`, ...) merge by key, `x-` fields are replaced, and
 * `!reset` / `!override` remove or replace a field. Pure.
 */
import type { TreePath } from './interpolate.js';
import type { MergeTag } from './yaml-file.js';
import { pathKey } from './yaml-file.js';

type Rule = 'replace' | 'map' | 'keyed' | 'ports' | 'logging';

/** The exceptions to "mappings merge, sequences append", by path under `services.<name>`. */
const SERVICE_RULES: Record<string, Rule> = {
  command: 'replace',
  entrypoint: 'replace',
  'healthcheck.test': 'replace',
  environment: 'map',
  labels: 'map',
  annotations: 'map',
  extra_hosts: 'map',
  sysctls: 'map',
  'build.args': 'map',
  'deploy.labels': 'map',
  networks: 'map',
  depends_on: 'map',
  ports: 'ports',
  volumes: 'keyed',
  secrets: 'keyed',
  configs: 'keyed',
  logging: 'logging',
};

export interface MergeProblem {
  path: TreePath;
  message: string;
}

export function mergeCompose(base: Record<string, unknown>, override: Record<string, unknown>, tags: ReadonlyMap<string, MergeTag>): { value: Record<string, unknown>; problems: MergeProblem[] } {
  const problems: MergeProblem[] = [];
  const value = mergeMaps(base, override, [], { tags, problems });
  return { value, problems };
}

interface Context {
  tags: ReadonlyMap<string, MergeTag>;
  problems: MergeProblem[];
}

function mergeMaps(base: Record<string, unknown>, override: Record<string, unknown>, path: TreePath, context: Context): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const at = [...path, key];
    const tag = context.tags.get(pathKey(at));
    if (tag === '!reset') delete out[key];
    else if (tag === '!override' || !(key in out) || key.startsWith('x-')) out[key] = value;
    else out[key] = mergeValue(out[key], value, at, context);
  }
  return out;
}

function ruleAt(path: TreePath): Rule | undefined {
  if (path[0] !== 'services' || path.length < 3) return undefined;
  return SERVICE_RULES[path.slice(2).join('.')];
}

function mergeValue(base: unknown, override: unknown, path: TreePath, context: Context): unknown {
  const rule = ruleAt(path);
  if (rule === 'replace' || override === null || base === null) return override;
  if (rule === 'map') {
    const separators = path[path.length - 1] === 'extra_hosts' ? ['=', ':'] : ['='];
    return mergeMaps(asMap(base, separators), asMap(override, separators), path, context);
  }
  if (rule === 'logging' && isMap(base) && isMap(override) && base.driver !== undefined && override.driver !== undefined && base.driver !== override.driver) {
    return override;
  }
  if ((rule === 'keyed' || rule === 'ports') && Array.isArray(base) && Array.isArray(override)) {
    const keyOf = rule === 'ports' ? portKey : targetKey;
    const merged = new Map<string, unknown>(base.map((item) => [keyOf(item), item]));
    for (const item of override) {
      const key = keyOf(item);
      const previous = merged.get(key);
      merged.set(key, isMap(previous) && isMap(item) ? { ...previous, ...item } : item);
    }
    return [...merged.values()];
  }
  if (isMap(base) && isMap(override)) return mergeMaps(base, override, path, context);
  if (Array.isArray(base) && Array.isArray(override)) {
    // Appended; an entry already there is not repeated (as compose-go does for `dns`, `cap_add`, `links`, ...).
    const seen = new Set(base.map((item) => JSON.stringify(item)));
    return [...base, ...override.filter((item) => !seen.has(JSON.stringify(item)))];
  }
  if (isMap(base) || Array.isArray(base) || isMap(override) || Array.isArray(override)) {
    context.problems.push({ path, message: `cannot merge: the override gives ${describe(override)} where the Compose file has ${describe(base)}` });
    return base;
  }
  return override;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  return Array.isArray(value) ? 'a list' : isMap(value) ? 'a mapping' : 'a scalar';
}

/**
 * `[KEY=VALUE, KEY]` or `{KEY: VALUE}` → a mapping (a KEY alone maps to null,
 * as Compose reads it). `separators` in order of preference: `extra_hosts` takes `host=ip` and `host:ip`.
 */
export function asMap(value: unknown, separators: readonly string[] = ['=']): Record<string, unknown> {
  if (isMap(value)) return value;
  if (!Array.isArray(value)) return {};
  const out: Record<string, unknown> = {};
  for (const item of value) {
    const text = String(item);
    const separator = separators.find((candidate) => text.includes(candidate));
    const cut = separator === undefined ? -1 : text.indexOf(separator);
    if (cut < 0) out[text] = null;
    else out[text.slice(0, cut)] = text.slice(cut + 1);
  }
  return out;
}

/** `volumes`, `secrets`, `configs`: an entry is the one for its target path. */
function targetKey(item: unknown): string {
  if (isMap(item)) return String(item.target ?? item.source ?? JSON.stringify(item));
  const parts = String(item).split(':');
  return parts.length >= 2 ? parts[1]! : parts[0]!;
}

/** `ports`: an entry is the one for its {host ip, target, published, protocol}. */
function portKey(item: unknown): string {
  if (isMap(item)) return [item.host_ip ?? '', item.target, item.published ?? '', item.protocol ?? 'tcp'].join('|');
  const text = String(item);
  const [mapping = '', protocol = 'tcp'] = text.split('/');
  const parts = mapping.startsWith('[') ? [mapping.slice(0, mapping.indexOf(']') + 1), ...mapping.slice(mapping.indexOf(']') + 2).split(':')] : mapping.split(':');
  const target = parts.pop() ?? '';
  const published = parts.pop() ?? '';
  const ip = parts.join(':');
  return [ip, target, published, protocol].join('|');
}
