/**
 * A Compose project's files → mooring documents: parse each file, substitute
 * its variables (from the environment, then the project's `.env`), merge the
 * override, name everything as Compose would, translate every service, and
 * check each document against mooring's schema. Pure: the loader reads the files.
 */
import type { AnyDocument } from '../model.js';
import type { SourcePosition } from '../errors.js';
import { ManifestError } from '../errors.js';
import { API_VERSION, documentSchemas } from '../schema.js';
import type { Kind } from '../schema.js';
import { schemaProblems } from '../schema-issues.js';
import { didYouMean } from '../did-you-mean.js';
import type { PendingDocument, ProjectNames, ServiceTranslation } from './context.js';
import { ComposeValueError, expectMapping, expectStringList, isMapping, renderPath } from './context.js';
import type { Lookup, TreePath } from './interpolate.js';
import { interpolateTree } from './interpolate.js';
import { parseDotenv } from './dotenv.js';
import type { ComposeYaml } from './yaml-file.js';
import { parseComposeYaml } from './yaml-file.js';
import { mergeCompose } from './merge.js';
import { projectName } from './detect.js';
import { TOP_LEVEL_ATTRIBUTES } from './attributes.js';
import { translateService } from './service.js';
import type { JoinedNetworks } from './networks.js';
import { networkDocument, resourceName, translateLinks } from './networks.js';
import { configFile, secretDocument, volumeDocument } from './storage.js';
import type { MooringExtension } from './additions.js';
import { extensionProbes, readExtension, translateDependencies } from './additions.js';
import { hasKind } from './schema-fields.js';

export interface ComposeText {
  /** Relative to the manifests directory. */
  file: string;
  text: string;
}

export interface ComposeProjectInput {
  /** The project's file, then its override (if any), in merge order. */
  files: ComposeText[];
  /** The project directory's `.env`, when there is one. */
  dotenv?: ComposeText;
  /** The project directory, absolute: its name is the default project name, relative paths resolve against it. */
  directory: string;
  /** mooring's own environment: it wins over `.env`, as the shell's does for Compose. */
  environment: Lookup;
  /**
   * The `--profile` flags. When any is given, `COMPOSE_PROFILES` is not read:
   * in Compose the flags replace the variable rather than add to it.
   */
  profiles?: readonly string[];
}

export interface ComposeProject {
  /** Undefined when the files do not say (YAML errors, a bad name). */
  project?: string;
  documents: AnyDocument[];
  errors: ManifestError[];
}

export function translateComposeProject(input: ComposeProjectInput): ComposeProject {
  const errors: ManifestError[] = [];
  const parsed: ComposeYaml[] = [];
  for (const source of input.files) {
    const result = parseComposeYaml(source.file, source.text);
    if ('errors' in result) errors.push(...result.errors);
    else parsed.push(result.yaml);
  }
  if (errors.length > 0) return { documents: [], errors };

  const place = placer(parsed);
  const report = (path: TreePath, message: string, file?: ComposeYaml) => errors.push(locatedError(path, message, file ? file.locate(path).position : place.anywhere(path)));

  const dotenv = input.dotenv ? parseDotenv(input.dotenv.text, input.environment) : undefined;
  for (const problem of dotenv?.problems ?? []) errors.push(new ManifestError(problem.message, { file: input.dotenv!.file, line: problem.line, column: problem.column }));
  const lookup: Lookup = (name) => input.environment(name) ?? dotenv?.variables.get(name);

  // Interpolation is per file, before the merge, as the specification says.
  const values = parsed.map((file) => interpolateTree(file.value, lookup, (path, message) => report(path, message, file)) as Record<string, unknown>);
  let model = values[0]!;
  parsed.slice(1).forEach((file, index) => {
    const merged = mergeCompose(model, values[index + 1]!, file.tags);
    for (const problem of merged.problems) report(problem.path, problem.message, file);
    model = merged.value;
  });

  for (const key of Object.keys(model)) {
    if (key.startsWith('x-')) continue;
    const row = TOP_LEVEL_ATTRIBUTES[key];
    if (row === undefined) report([key], `unknown top-level attribute \`${key}\`${didYouMean(key, Object.keys(TOP_LEVEL_ATTRIBUTES))}`);
    else if ('unsupported' in row) report([key], `\`${key}\` is not supported: ${row.unsupported}`);
  }
  const name = projectName({ declared: model.name, directory: input.directory });
  if ('problem' in name) {
    report(model.name === undefined ? [] : ['name'], name.problem);
    return { documents: [], errors };
  }
  const sections = (key: string): Record<string, unknown> => {
    const value = model[key];
    if (value === undefined || value === null) return {};
    if (isMapping(value)) return value;
    report([key], 'expected a mapping');
    return {};
  };
  const services = sections('services');
  const names = projectNames({ project: name.name, directory: input.directory, services, sections, lookup, profiles: input.profiles ?? [], report });

  let topExtension: MooringExtension | undefined;
  try {
    topExtension = readExtension(model['x-mooring'], undefined);
  } catch (error) {
    if (!(error instanceof ComposeValueError)) throw error;
    report(['x-mooring', ...error.at], error.message);
  }

  const translations = new Map<string, ServiceTranslation>();
  for (const service of names.containers.keys()) {
    const translation = translateService({ names, service, attributes: services[service], lookup, problem: (path, message) => report(['services', service, ...path], message) });
    if (translation) translations.set(service, translation);
  }
  const joined: JoinedNetworks = new Map([...translations].map(([service, translation]) => [service, translation.networkKeys]));
  const pending: PendingDocument[] = [];
  for (const translation of translations.values()) {
    translateLinks(translation, joined);
    let extension: MooringExtension = topExtension ?? { checks: true, probes: [] };
    try {
      extension = readExtension(translation.attributes['x-mooring'], topExtension);
    } catch (error) {
      if (!(error instanceof ComposeValueError)) throw error;
      report(['services', translation.service, 'x-mooring', ...error.at], error.message);
    }
    translateDependencies({ translation, translations, joined, extension });
    const probes = extensionProbes({ extension, names, service: translation.service, origin: ['services', translation.service, 'x-mooring'] });
    for (const problem of probes.problems) report(problem.path, problem.message);
    const origins = new Map([...translation.origins].map(([field, path]) => [field, ['services', translation.service, ...path]]));
    pending.push({ kind: 'Container', name: translation.container, spec: translation.spec, origin: ['services', translation.service], origins }, ...translation.documents, ...probes.documents);
  }
  if (topExtension) {
    const probes = extensionProbes({ extension: topExtension, names, origin: ['x-mooring'] });
    for (const problem of probes.problems) report(problem.path, problem.message);
    pending.push(...probes.documents);
  }
  pending.unshift(...resourceDocuments({ names, translations, sections, report }));

  const documents: AnyDocument[] = [];
  for (const document of pending) {
    const built = buildDocument(document, place);
    if ('document' in built) documents.push(built.document);
    else errors.push(...built.errors);
  }
  return { project: name.name, documents, errors };
}

function projectNames(options: {
  project: string;
  directory: string;
  services: Record<string, unknown>;
  sections(key: string): Record<string, unknown>;
  lookup: Lookup;
  profiles: readonly string[];
  report(path: TreePath, message: string): void;
}): ProjectNames {
  const { project, services, sections, lookup, report } = options;
  const requested = options.profiles.length > 0 ? options.profiles : (lookup('COMPOSE_PROFILES') ?? '').split(',');
  const profiles = new Set(requested.map((profile) => profile.trim()).filter(Boolean));
  const containers = new Map<string, string>();
  const declared = new Map<string, string[]>();
  for (const [service, attributes] of Object.entries(services)) {
    const entry = isMapping(attributes) ? attributes : {};
    let wanted: string[] = [];
    try {
      wanted = entry.profiles === undefined || entry.profiles === null ? [] : expectStringList(entry.profiles);
    } catch (error) {
      if (!(error instanceof ComposeValueError)) throw error;
      report(['services', service, 'profiles', ...error.at], error.message);
    }
    declared.set(service, wanted);
    if (wanted.length > 0 && !wanted.some((profile) => profiles.has(profile) || profiles.has('*'))) continue;
    containers.set(service, typeof entry.container_name === 'string' ? entry.container_name : `${project}-${service}-1`);
  }
  const named = (key: string) => {
    const declared = sections(key);
    return new Map(Object.entries(declared).map(([item, declaration]) => [item, resourceName(project, item, declaration)]));
  };
  const networks = named('networks');
  if (!networks.has('default')) networks.set('default', `${project}_default`);
  const secrets = new Map([...Object.keys(sections('secrets'))].map((key) => [key, `${project}_${key}`.replace(/[^a-zA-Z0-9_.-]/g, '-')]));
  const configs = new Map(Object.entries(sections('configs')).map(([key, declaration]) => {
    try {
      return [key, configFile(declaration, options)];
    } catch (error) {
      if (!(error instanceof ComposeValueError)) throw error;
      report(['configs', key, ...error.at], error.message);
      return [key, undefined];
    }
  }));
  return { project, directory: options.directory, containers, services: declared, profiles, networks, volumes: named('volumes'), secrets, configs };
}

/** Networks, volumes and secrets the running services use (Compose leaves out the others). */
function resourceDocuments(options: {
  names: ProjectNames;
  translations: ReadonlyMap<string, ServiceTranslation>;
  sections(key: string): Record<string, unknown>;
  report(path: TreePath, message: string): void;
}): PendingDocument[] {
  const { names, translations, sections, report } = options;
  const documents: PendingDocument[] = [];
  const attempt = (path: TreePath, make: () => PendingDocument) => {
    try {
      documents.push(make());
    } catch (error) {
      if (!(error instanceof ComposeValueError)) throw error;
      report([...path, ...error.at], error.message);
    }
  };
  const usedNetworks = new Set([...translations.values()].flatMap((translation) => translation.networkKeys));
  const declaredNetworks = sections('networks');
  for (const [key, name] of names.networks) {
    if (usedNetworks.has(key)) attempt(['networks', key], () => networkDocument({ key, name, declaration: declaredNetworks[key], origin: ['networks', key] }));
  }
  const mounts = [...translations.values()].flatMap((translation) => (translation.spec.mounts as { type?: string; source?: string }[] | undefined) ?? []);
  const declaredVolumes = sections('volumes');
  for (const [key, name] of names.volumes) {
    if (!mounts.some((mount) => mount.type === 'volume' && mount.source === name)) continue;
    attempt(['volumes', key], () => volumeDocument({ key, name, declaration: declaredVolumes[key], origin: ['volumes', key] }));
  }
  const references = [...translations.values()].flatMap((translation) => (translation.spec.secrets as { name: string }[] | undefined) ?? []);
  const declaredSecrets = sections('secrets');
  for (const [key, name] of names.secrets) {
    if (!references.some((reference) => reference.name === name)) continue;
    attempt(['secrets', key], () => secretDocument({ name, declaration: expectMapping(declaredSecrets[key]), origin: ['secrets', key], names }));
  }
  return documents;
}

interface Placer {
  /** Where a path stands in whichever file gives most of it (the override, on a tie). */
  anywhere(path: TreePath): SourcePosition;
  /**
   * Where a path stands in the project's own file: documents are placed
   * there, so that the rules across files hold the project's file back.
   */
  main(path: TreePath): SourcePosition;
}

function placer(files: readonly ComposeYaml[]): Placer {
  return {
    anywhere(path) {
      let best = files[0]!.locate(path);
      for (const file of files.slice(1)) {
        const found = file.locate(appendedPath(files[0]!.value, path));
        if (found.depth >= best.depth && found.depth > 0) best = found;
      }
      return best.position;
    },
    main: (path) => files[0]!.locate(path).position,
  };
}

/**
 * A path in the merged tree as a path in an override file: an item appended
 * to a sequence stands at its index less the length of the project file's sequence.
 */
function appendedPath(base: unknown, path: TreePath): TreePath {
  let node: unknown = base;
  return path.map((segment) => {
    const appended = typeof segment === 'number' && Array.isArray(node) && segment >= node.length ? segment - node.length : segment;
    node = appended === segment && typeof node === 'object' && node !== null ? (node as Record<string | number, unknown>)[segment] : undefined;
    return appended;
  });
}

/** `services.web.ports.1` → `FILE:LINE:COL: service web: ports[1]: message`. */
function locatedError(path: TreePath, message: string, position: SourcePosition): ManifestError {
  const [section, key, ...rest] = path;
  const resources: Record<string, string> = { services: 'service', networks: 'network', volumes: 'volume', secrets: 'secret', configs: 'config' };
  const noun = typeof section === 'string' ? resources[section] : undefined;
  if (noun !== undefined && key !== undefined) {
    return new ManifestError(message, { ...position, resource: `${noun} ${key}`, path: rest.length > 0 ? renderPath(rest) : undefined });
  }
  return new ManifestError(message, { ...position, path: path.length > 0 ? renderPath(path) : undefined });
}

const KIND_ISSUES: Record<string, string> = { Volume: 'issue 14', Secret: 'issue 14' };

/** A pending document checked against mooring's schema, its defaults filled in; its problems placed at the Compose attributes they come from. */
function buildDocument(pending: PendingDocument, place: Placer): { document: AnyDocument } | { errors: ManifestError[] } {
  const originOf = (path: readonly (string | number)[]): TreePath => {
    const [top, field] = path;
    return (top === 'spec' && typeof field === 'string' ? pending.origins?.get(field) : undefined) ?? pending.origin;
  };
  if (!hasKind(pending.kind)) {
    const message = `mooring cannot represent this yet: it needs the ${pending.kind} kind (${KIND_ISSUES[pending.kind] ?? 'a later version'})`;
    return { errors: [locatedError(pending.origin, message, place.anywhere(pending.origin))] };
  }
  const kind = pending.kind as Kind;
  const schema = documentSchemas[kind];
  const parsed = schema.safeParse({ apiVersion: API_VERSION, kind, metadata: { name: pending.name }, spec: pending.spec });
  if (!parsed.success) {
    const problems = schemaProblems(schema, parsed.error.issues);
    return {
      errors: problems.map((problem) => {
        const origin = originOf(problem.path);
        const field = problem.path.slice(1).join('.');
        return locatedError(origin, `${problem.message} (mooring's ${kind} ${field || 'name'})`, place.anywhere(origin));
      }),
    };
  }
  const data = parsed.data as { metadata: { name: string; labels?: Record<string, string> }; spec: unknown };
  const document = {
    kind,
    name: data.metadata.name,
    labels: data.metadata.labels ?? {},
    spec: data.spec,
    source: place.main(pending.origin),
    positionOf: (path: readonly (string | number)[]) => place.main(originOf(path)),
  };
  return { document: document as AnyDocument };
}
