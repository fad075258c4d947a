/**
 * The translators of the service attributes that map onto a Container field
 * one to one (or nearly): image, command, environment, restart, healthcheck, ...
 */
import type { ServiceTranslation } from './context.js';
import {
  ComposeValueError,
  durationSeconds,
  expectBoolean,
  expectInteger,
  expectMapping,
  expectString,
  expectStringList,
  keyValues,
  mooringDuration,
  scalarString,
  setField,
  stringMap,
} from './context.js';
import { describeValue } from '../schema-issues.js';

export type Translator = (value: unknown, translation: ServiceTranslation, attribute: string) => void;

/** Sets the Container field `field` to the value as `read` reads it. */
export function field(name: string, read: (value: unknown, translation: ServiceTranslation) => unknown): Translator {
  return (value, translation, attribute) => setField(translation, name, read(value, translation), [attribute]);
}

/** `command` and `entrypoint`: a string is split as a shell splits it, in mooring as in Compose. */
export function commandLine(value: unknown): string | string[] | undefined {
  if (value === null) return undefined;
  if (typeof value === 'string') {
    if (value.trim() === '') throw new ComposeValueError('an empty command resets the image\'s own: mooring cannot represent that yet; leave the attribute out to keep the image\'s');
    return value;
  }
  const words = expectStringList(value);
  if (words.length === 0) throw new ComposeValueError('an empty list resets the image\'s own: mooring cannot represent that yet; leave the attribute out to keep the image\'s');
  return words;
}

/** `environment`: a variable without a value takes it from the environment, and is left out when unset there (as Compose does). */
export function environment(value: unknown, translation: ServiceTranslation): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, item] of keyValues(value)) {
    if (item === null || item === undefined) {
      const fromEnvironment = translation.lookup(key);
      if (fromEnvironment !== undefined) env[key] = fromEnvironment;
    } else {
      env[key] = scalarString(item, [key]);
    }
  }
  return env;
}

export function labels(value: unknown): Record<string, string> {
  return stringMap(value);
}

const RESTART = ['no', 'always', 'unless-stopped', 'on-failure'];

export function restart(value: unknown): string {
  const text = expectString(value);
  if (/^on-failure:\d+$/.test(text)) throw new ComposeValueError('a maximum retry count (on-failure:N) is not supported by mooring yet: use on-failure');
  if (!RESTART.includes(text)) throw new ComposeValueError(`expected one of ${RESTART.join(', ')}, got ${describeValue(value)}`);
  return text;
}

/** `host:ip`, `host=ip` or `{host: ip}` → Docker's `host:ip`; a list value gives one entry per address. */
export function extraHosts(value: unknown): string[] {
  return keyValues(value, ['=', ':']).flatMap(([host, address]) => {
    const addresses = Array.isArray(address) ? address : [address];
    return addresses.map((item) => `${host}:${scalarString(item, [host]).replace(/^\[(.*)\]$/, '$1')}`);
  });
}

export function healthcheck(value: unknown): Record<string, unknown> | undefined {
  const check = expectMapping(value);
  const known = ['test', 'interval', 'timeout', 'retries', 'start_period', 'start_interval', 'disable'];
  for (const key of Object.keys(check)) {
    if (!known.includes(key)) throw new ComposeValueError(`unknown attribute \`${key}\``, [key]);
  }
  if (check.start_interval !== undefined) throw new ComposeValueError('mooring cannot represent `start_interval` yet', ['start_interval']);
  if (check.disable !== undefined && expectBoolean(check.disable)) return { test: ['NONE'] };
  if (check.test === undefined) throw new ComposeValueError('expected `test` (or `disable: true`)');
  const at = (key: string, read: (item: unknown) => unknown) => {
    try {
      return check[key] === undefined || check[key] === null ? undefined : read(check[key]);
    } catch (error) {
      if (error instanceof ComposeValueError) throw new ComposeValueError(error.message, [key, ...error.at]);
      throw error;
    }
  };
  return {
    test: at('test', (test) => (typeof test === 'string' ? test : expectStringList(test))),
    interval: at('interval', mooringDuration),
    timeout: at('timeout', mooringDuration),
    retries: at('retries', expectInteger),
    startPeriod: at('start_period', mooringDuration),
  };
}

/** `stop_grace_period` → whole seconds, as Compose hands it to the engine. */
export function stopTimeout(value: unknown): number {
  return Math.trunc(durationSeconds(value));
}

const PULL_POLICIES: Record<string, string> = { always: 'Always', never: 'Never', missing: 'IfNotPresent', if_not_present: 'IfNotPresent' };

export function pullPolicy(value: unknown): string | undefined {
  const text = expectString(value);
  // A built image is built when its context changes and never pulled, whatever the policy.
  if (text === 'build') return undefined;
  const policy = PULL_POLICIES[text];
  if (policy === undefined) {
    throw new ComposeValueError(`mooring reads ${[...Object.keys(PULL_POLICIES), 'build'].join(', ')}; ${describeValue(value)} (daily, weekly, every_<duration>) is not supported yet`);
  }
  return policy;
}

/** `scale` and `deploy.replicas`: one container per service is all mooring runs. */
export function oneReplica(value: unknown): void {
  const replicas = expectInteger(value);
  if (replicas !== 1) throw new ComposeValueError(`mooring runs one container per service: ${replicas} replicas are not supported`);
}

/** The conditions `depends_on` may name, as mooring's `dependsOn` names them. */
export const DEPENDENCY_CONDITIONS: Readonly<Record<string, string>> = { service_started: 'started', service_healthy: 'healthy', service_completed_successfully: 'completed' };

export interface Dependency {
  service: string;
  condition: string;
  /** Where the entry stands, under the service. */
  at: (string | number)[];
}

/** `depends_on` as a list of services or a mapping of service → {condition, required, restart}. */
export function dependencies(value: unknown): Dependency[] {
  if (Array.isArray(value)) return expectStringList(value).map((service, index) => ({ service, condition: 'service_started', at: ['depends_on', index] }));
  return Object.entries(expectMapping(value)).map(([service, options]) => {
    const entry = options === null ? {} : expectMapping(options);
    const at = ['depends_on', service];
    for (const key of Object.keys(entry)) {
      if (!['condition', 'required', 'restart'].includes(key)) throw new ComposeValueError(`unknown attribute \`${key}\``, [service, key]);
    }
    if (entry.required !== undefined && !expectBoolean(entry.required)) throw new ComposeValueError('`required: false` is not supported by mooring yet', [service, 'required']);
    if (entry.restart !== undefined && expectBoolean(entry.restart)) throw new ComposeValueError('`restart: true` is not supported by mooring yet', [service, 'restart']);
    const condition = entry.condition === undefined ? 'service_started' : expectString(entry.condition);
    if (!(condition in DEPENDENCY_CONDITIONS)) {
      throw new ComposeValueError(`expected one of ${Object.keys(DEPENDENCY_CONDITIONS).join(', ')}, got ${describeValue(condition)}`, [service, 'condition']);
    }
    return { service, condition, at };
  });
}
