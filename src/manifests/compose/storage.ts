/**
 * The translators of the attributes that need mooring's storage (issue 14):
 * `volumes`, `tmpfs` and `configs` → `mounts`, `secrets` → `secrets`,
 * `env_file` → `envFiles`, and the top-level `volumes` and `secrets` → Volume
 * and Secret documents. Relative paths are resolved against the project directory, as
 * Compose does, so a converted file means the same wherever it is written.
 */
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import type { PendingDocument, ProjectNames, ServiceTranslation } from './context.js';
import { ComposeValueError, expectBoolean, expectMapping, expectString, isMapping, setField, stringMap } from './context.js';
import { describeValue } from '../schema-issues.js';
import type { TreePath } from './interpolate.js';
import type { Translator } from './service-basics.js';

function hostPath(path: string, names: Pick<ProjectNames, 'directory'>): string {
  if (path === '~' || path.startsWith('~/')) return resolve(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(names.directory, path);
}

function isPath(source: string): boolean {
  return source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
}

function addMounts(translation: ServiceTranslation, mounts: unknown[], attribute: string): void {
  const existing = (translation.spec.mounts as unknown[] | undefined) ?? [];
  setField(translation, 'mounts', [...existing, ...mounts], [attribute]);
}

function volumeSource(source: string, names: ProjectNames): string {
  const name = names.volumes.get(source);
  if (name === undefined) throw new ComposeValueError(`volume ${JSON.stringify(source)} is not declared in the top-level \`volumes\``);
  return name;
}

/** Modes of the short syntax that change nothing on Linux (Docker Desktop's consistency hints). */
const IGNORED_MODES = ['cached', 'delegated', 'consistent'];

function shortVolume(text: string, names: ProjectNames): Record<string, unknown> {
  const parts = text.split(':');
  // Compose makes a new one for each new container (and 1.29 copies the old one's over): mooring keeps data in volumes it can name, keep and show.
  if (parts.length === 1) throw new ComposeValueError('an anonymous volume (a target alone) is not supported by mooring: its data would not outlive the container; name it in the top-level `volumes`');
  const [source = '', target = '', modeText = ''] = parts;
  if (parts.length > 3) throw new ComposeValueError(`expected SOURCE:TARGET[:MODE], got ${describeValue(text)}`);
  const modes = modeText === '' ? [] : modeText.split(',').filter((mode) => !IGNORED_MODES.includes(mode));
  const unknown = modes.filter((mode) => mode !== 'ro' && mode !== 'rw' && mode !== 'nocopy');
  if (unknown.length > 0) throw new ComposeValueError(`the mode ${unknown.join(',')} is not supported by mooring yet`);
  const readOnly = modes.includes('ro');
  if (isPath(source)) {
    if (modes.includes('nocopy')) throw new ComposeValueError('the mode nocopy is for a named volume: a bind mount never copies the image\'s files');
    // The short syntax creates a missing host path, as `docker run -v` does.
    return { type: 'bind', source: hostPath(source, names), target, readOnly, createHostPath: true };
  }
  return { type: 'volume', source: volumeSource(source, names), target, readOnly, ...(modes.includes('nocopy') ? { noCopy: true } : {}) };
}

function longVolume(entry: Record<string, unknown>, names: ProjectNames): Record<string, unknown> {
  const type = expectString(entry.type);
  const target = expectString(entry.target);
  const readOnly = entry.read_only === undefined ? false : expectBoolean(entry.read_only);
  const allowed: Record<string, string[]> = { volume: ['volume'], bind: ['bind'], tmpfs: ['tmpfs'] };
  if (!(type in allowed)) throw new ComposeValueError(`mooring mounts volume, bind and tmpfs, got ${describeValue(type)}`, ['type']);
  for (const key of Object.keys(entry)) {
    if (!['type', 'source', 'target', 'read_only', 'consistency', ...allowed[type]!].includes(key)) throw new ComposeValueError(`\`${key}\` is not supported by mooring yet`, [key]);
  }
  const options = entry[type] === undefined ? {} : expectMapping(entry[type]);
  const only = (keys: string[]) => {
    for (const key of Object.keys(options)) if (!keys.includes(key)) throw new ComposeValueError(`\`${type}.${key}\` is not supported by mooring yet`, [type, key]);
  };
  if (type === 'tmpfs') {
    only(['size', 'mode']);
    return { type, target, ...(options.size === undefined ? {} : { size: options.size }), ...(options.mode === undefined ? {} : { mode: octal(options.mode) }) };
  }
  const source = expectString(entry.source);
  if (type === 'bind') {
    only(['create_host_path']);
    return { type, source: hostPath(source, names), target, readOnly, createHostPath: options.create_host_path === undefined ? false : expectBoolean(options.create_host_path) };
  }
  only(['subpath', 'nocopy']);
  return {
    type,
    source: volumeSource(source, names),
    target,
    readOnly,
    ...(options.subpath === undefined ? {} : { subpath: expectString(options.subpath) }),
    ...(options.nocopy === undefined ? {} : { noCopy: expectBoolean(options.nocopy) }),
  };
}

/** YAML 1.2 reads `0440` as the number 440: its digits are the mode Compose means. */
function octal(value: unknown): string {
  const text = String(value);
  if (!/^[0-7]{3,4}$/.test(text)) throw new ComposeValueError(`expected an octal mode such as 0440, got ${describeValue(value)}`);
  return text.padStart(4, '0');
}

function each(value: unknown, read: (item: unknown) => unknown): unknown[] {
  if (!Array.isArray(value)) throw new ComposeValueError(`expected a list, got ${describeValue(value)}`);
  return value.map((item, index) => {
    try {
      return read(item);
    } catch (error) {
      if (error instanceof ComposeValueError) throw new ComposeValueError(error.message, [index, ...error.at]);
      throw error;
    }
  });
}

export const volumes: Translator = (value, translation, attribute) => {
  const { names } = translation;
  addMounts(translation, each(value, (item) => (isMapping(item) ? longVolume(item, names) : shortVolume(expectString(item), names))), attribute);
};

/** `tmpfs: /run` or a list of `PATH[:size=N,mode=M]`. */
export const tmpfs: Translator = (value, translation, attribute) => {
  const entries = Array.isArray(value) ? value : [value];
  addMounts(translation, each(entries, (item) => {
    const [target = '', options = ''] = expectString(item).split(':');
    const mount: Record<string, unknown> = { type: 'tmpfs', target };
    for (const option of options === '' ? [] : options.split(',')) {
      const [key, setting = ''] = option.split('=');
      if (key === 'size') mount.size = /^\d+$/.test(setting) ? Number(setting) : setting;
      else if (key === 'mode') mount.mode = octal(setting);
      else throw new ComposeValueError(`the tmpfs option ${JSON.stringify(option)} is not supported by mooring yet`);
    }
    return mount;
  }), attribute);
};

/** The mode of a secret's file when the service gives none: the Compose Specification's, so that a service running as any user reads it, as it reads the bound file under Compose. */
const COMPOSE_SECRET_MODE = '0444';

export const secrets: Translator = (value, translation, attribute) => {
  const { names } = translation;
  const read = (item: unknown) => {
    const entry = isMapping(item) ? item : { source: expectString(item) };
    const source = expectString(entry.source);
    const name = names.secrets.get(source);
    if (name === undefined) throw new ComposeValueError(`secret ${JSON.stringify(source)} is not declared in the top-level \`secrets\``);
    const target = entry.target === undefined ? source : expectString(entry.target);
    return {
      name,
      target: target.startsWith('/') ? target : `/run/secrets/${target}`,
      mode: entry.mode === undefined ? COMPOSE_SECRET_MODE : octal(entry.mode),
      ...(entry.uid === undefined ? {} : { uid: Number(entry.uid) }),
      ...(entry.gid === undefined ? {} : { gid: Number(entry.gid) }),
    };
  };
  setField(translation, 'secrets', each(value, read), [attribute]);
};

/**
 * `configs` → read-only binds of the config files, at `/<source>` unless a
 * `target` is given, as Compose v2 mounts a config from a file (1.29 mounts
 * none outside Swarm).
 */
export const configs: Translator = (value, translation, attribute) => {
  const { names } = translation;
  const read = (item: unknown) => {
    const entry = isMapping(item) ? item : { source: expectString(item) };
    for (const key of Object.keys(entry)) {
      if (['uid', 'gid', 'mode'].includes(key)) throw new ComposeValueError(`\`${key}\` is not supported by mooring for a config: the file itself is mounted, read-only (Compose ignores it too, with a warning)`, [key]);
      if (!['source', 'target'].includes(key)) throw new ComposeValueError(`unknown attribute \`${key}\` of a config`, [key]);
    }
    const source = expectString(entry.source);
    if (!names.configs.has(source)) throw new ComposeValueError(`config ${JSON.stringify(source)} is not declared in the top-level \`configs\``);
    const target = entry.target === undefined ? source : expectString(entry.target);
    // A declaration mooring cannot read is reported where it stands, once.
    const file = names.configs.get(source);
    return file === undefined ? undefined : { type: 'bind', source: file, target: target.startsWith('/') ? target : `/${target}`, readOnly: true, createHostPath: false };
  };
  addMounts(translation, each(value, read).filter((mount) => mount !== undefined), attribute);
};

/** A top-level config → the host path of its file, relative to the project; only file sources can be mounted. */
export function configFile(declaration: unknown, names: Pick<ProjectNames, 'directory'>): string {
  const entry = expectMapping(declaration);
  for (const key of Object.keys(entry)) {
    if (key !== 'file' && !key.startsWith('x-')) throw new ComposeValueError(`\`${key}\` is not supported by mooring yet: a config is mounted from a \`file\``, [key]);
  }
  if (entry.file === undefined) throw new ComposeValueError('expected `file`: mooring mounts a config from a file');
  return hostPath(expectString(entry.file), names);
}

export const envFiles: Translator = (value, translation, attribute) => {
  const entries = Array.isArray(value) ? value : [value];
  setField(translation, 'envFiles', each(entries, (item) => {
    const entry = isMapping(item) ? item : { path: expectString(item) };
    if (entry.required !== undefined && !expectBoolean(entry.required)) throw new ComposeValueError('`required: false` is not supported by mooring yet', ['required']);
    if (entry.format !== undefined) throw new ComposeValueError('`format` is not supported by mooring yet', ['format']);
    return hostPath(expectString(entry.path), translation.names);
  }), [attribute]);
};

/** A top-level volume → a Volume document. */
export function volumeDocument(options: { key: string; name: string; declaration: unknown; origin: TreePath }): PendingDocument {
  const declaration = options.declaration === null || options.declaration === undefined ? {} : expectMapping(options.declaration);
  for (const key of Object.keys(declaration)) {
    if (!['name', 'driver', 'driver_opts', 'external', 'labels'].includes(key) && !key.startsWith('x-')) throw new ComposeValueError(`unknown attribute \`${key}\` of volume ${options.key}`, [key]);
  }
  const spec: Record<string, unknown> = {};
  if (declaration.external !== undefined) spec.external = isMapping(declaration.external) ? true : expectBoolean(declaration.external);
  if (declaration.driver !== undefined) spec.driver = expectString(declaration.driver);
  if (declaration.driver_opts !== undefined) spec.driverOpts = stringMap(declaration.driver_opts);
  if (declaration.labels !== undefined) spec.labels = stringMap(declaration.labels);
  return { kind: 'Volume', name: options.name, spec, origin: options.origin };
}

/** A top-level secret → a Secret document, from a file (relative to the project) or a variable of the environment. */
export function secretDocument(options: { name: string; declaration: unknown; origin: TreePath; names: ProjectNames }): PendingDocument {
  const declaration = expectMapping(options.declaration);
  for (const key of Object.keys(declaration)) {
    if (!['file', 'environment', 'name'].includes(key)) throw new ComposeValueError(`\`${key}\` is not supported by mooring yet`, [key]);
  }
  const spec = declaration.file !== undefined ? { file: hostPath(expectString(declaration.file), options.names) } : { env: expectString(declaration.environment) };
  return { kind: 'Secret', name: options.name, spec, origin: options.origin };
}
