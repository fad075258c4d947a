/**
 * From a manifests directory to the desired state, keeping each invalid
 * file's last good version: a broken edit never makes mooring remove what the
 * file declared before.
 */
import { createHash } from 'node:crypto';
import type { AnyDocument, DesiredState, Document, ManifestFile } from './model.js';
import type { Duration, Kind } from './schema.js';
import { ManifestError } from './errors.js';
import type { LoadedDirectory } from './load.js';
import { loadManifestDirectory, ParseCache, ROOT_ENTRY } from './load.js';
import { validateManifestSet } from './validate.js';
import type { Policy } from './policy.js';
import { BASELINE, checkPolicy } from './policy.js';
import { canonicalJson } from '../engine/spec-hash.js';
import { plural } from '../plural.js';
import { inputsRevision, resolveInputs } from './inputs.js';
import { BuildContextCache } from './build-context.js';

export interface LoadedManifests {
  directory: string;
  directoryExists: boolean;
  /** Every file as found now; `errors` include the cross-file rule errors located in that file. */
  files: ManifestFile[];
  /** What to reconcile: valid files as they are; invalid files by their last good version, else listed in unavailableFiles. */
  desired: DesiredState;
  /** Files whose last good version stands in for an invalid current one. */
  usingLastGood: string[];
  /** Pass to the next load as `lastGood` (valid files now; invalid files keep their previous entry; deleted files drop). */
  lastGood: ReadonlyMap<string, AnyDocument[]>;
  /**
   * Errors that arise only once invalid files are held back (a valid file
   * referring to something only the broken version of another declares): the
   * files they stand in are held back as well. Not part of `files`, which
   * judges the directory as it is.
   */
  heldBackErrors: ManifestError[];
}

type Choice = 'current' | 'lastGood' | 'unavailable';

export interface LoadDesiredStateOptions {
  directory: string;
  lastGood?: ReadonlyMap<string, AnyDocument[]>;
  /** What the operator allows manifests to ask for; a refused field makes its file invalid. @default BASELINE */
  policy?: Policy;
  /** The Compose profiles to enable (`--profile`). */
  profiles?: readonly string[];
  /** mooring's own environment, for secrets taken from it and env-file lines that name a variable only. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** Loads and validates the directory; never throws for bad input. */
export async function loadDesiredState(options: LoadDesiredStateOptions): Promise<LoadedManifests> {
  return withInputs(options, fromFiles(options, await loadManifestDirectory(options.directory, composeProfiles(options))));
}

/**
 * `loadDesiredState` for a process that loads the same directory again and
 * again (the daemon, every resync): only the files whose bytes changed are
 * parsed again, and when none did (nor the last good versions passed in),
 * the previous result is returned as it was, without validating the set again.
 */
export function createManifestLoader(): (options: LoadDesiredStateOptions) => Promise<LoadedManifests> {
  const cache = new ParseCache();
  const buildCache = new BuildContextCache();
  let last: { key: string; lastGood: LoadDesiredStateOptions['lastGood']; result: LoadedManifests } | undefined;
  let lastFull: { result: LoadedManifests; full: LoadedManifests } | undefined;
  return async (options) => {
    const loaded = await loadManifestDirectory(options.directory, { cache, ...composeProfiles(options) });
    const key = `${options.directory}\n${options.profiles?.join(',') ?? ''}\n${loaded.directoryExists}\n${loaded.files.map((file) => `${file.file} ${file.digest} ${file.errors.map((error) => error.message).join(' ')}`).join('\n')}`;
    // The last good versions of the previous result, passed back as the daemon does, give that same result again.
    const same = last !== undefined && last.key === key && (options.lastGood === last.lastGood || options.lastGood === last.result.lastGood);
    const result = same ? last!.result : fromFiles(options, loaded);
    last = { key, lastGood: same ? last!.lastGood : options.lastGood, result };
    // Secrets, env files and build contexts are read every time: an edit of one changes no manifest.
    const full = await withInputs(options, result, buildCache);
    if (lastFull?.result === result && lastFull.full.desired.revision === full.desired.revision) return lastFull.full;
    lastFull = { result, full };
    return full;
  };
}

function composeProfiles(options: LoadDesiredStateOptions): { profiles?: readonly string[] } {
  return options.profiles ? { profiles: options.profiles } : {};
}

/**
 * The loaded manifests with what they point at outside themselves read: the
 * secrets' contents, the env files and the build contexts. One that cannot be read is an error at
 * the field that names it, listed with its file; the file still applies, and
 * only the containers that use it wait. Nothing referenced: `loaded` as it is.
 */
async function withInputs(options: LoadDesiredStateOptions, loaded: LoadedManifests, buildCache?: BuildContextCache): Promise<LoadedManifests> {
  const { desired } = loaded;
  if ((desired.secrets?.length ?? 0) === 0 && !desired.containers.some((container) => container.spec.envFiles.length > 0 || container.spec.build)) return loaded;
  const inputs = await resolveInputs({ directory: options.directory, secrets: desired.secrets ?? [], containers: desired.containers, buildCache, ...(options.env && { env: options.env }) });
  const errors = [...inputs.secrets.values(), ...inputs.envFiles.values(), ...inputs.builds?.values() ?? []].flatMap((resolved) => (resolved.error ? [resolved.error] : []));
  const files = loaded.files.map((file) => {
    const own = errors.filter((error) => error.file === file.file);
    return own.length === 0 ? file : { ...file, errors: [...file.errors, ...own].sort((a, b) => a.line - b.line || a.column - b.column) };
  });
  return { ...loaded, files, desired: { ...desired, inputs, revision: `${desired.revision}-${inputsRevision(inputs)}` } };
}

function fromFiles(options: LoadDesiredStateOptions, loaded: LoadedDirectory): LoadedManifests {
  const { directory } = options;
  const previous = options.lastGood ?? new Map<string, AnyDocument[]>();
  const files = new Map(loaded.files.map((file) => [file.file, file]));
  // Documents that failed the schema take part, so that nothing referring to them gets a false error.
  for (const error of validateManifestSet(loaded.files.flatMap((file) => [...file.documents, ...(file.invalid ?? [])]))) {
    files.get(error.file)?.errors.push(error);
  }
  for (const error of checkPolicy(loaded.files.flatMap((file) => file.documents), options.policy ?? BASELINE, directory)) files.get(error.file)?.errors.push(error);
  for (const file of loaded.files) file.errors.sort((a, b) => a.line - b.line || a.column - b.column);

  const choices = new Map<string, Choice>();
  for (const file of loaded.files) {
    choices.set(file.file, file.errors.length === 0 ? 'current' : previous.has(file.file) ? 'lastGood' : 'unavailable');
  }
  // A directory that cannot be listed hides its files; they are unknown, not deleted.
  const unlisted = loaded.files.filter((file) => file.file.endsWith('/')).map((file) => (file.file === ROOT_ENTRY ? '' : file.file));
  for (const file of previous.keys()) {
    if (!files.has(file) && unlisted.some((prefix) => file.startsWith(prefix))) choices.set(file, 'lastGood');
  }

  const documentsOf = (file: string): AnyDocument[] => {
    const choice = choices.get(file);
    if (choice === 'current') return files.get(file)?.documents ?? [];
    return choice === 'lastGood' ? (previous.get(file) ?? []) : [];
  };
  const order = [...choices.keys()].sort();
  const heldBackErrors = holdBackUntilConsistent({ order, choices, documentsOf, hasLastGood: (file) => previous.has(file) });

  const documents = order.flatMap(documentsOf);
  const filesWith = (choice: Choice) => order.filter((file) => choices.get(file) === choice);
  const unavailableFiles = filesWith('unavailable');
  const lastGood = new Map<string, AnyDocument[]>();
  for (const file of order) {
    const kept = choices.get(file) === 'current' ? files.get(file)?.documents : previous.get(file);
    if (kept) lastGood.set(file, kept);
  }
  return {
    directory,
    directoryExists: loaded.directoryExists,
    files: loaded.files,
    desired: { ...byKind(documents), unavailableFiles, revision: revisionOf(documents, unavailableFiles) },
    usingLastGood: filesWith('lastGood'),
    lastGood,
    heldBackErrors,
  };
}

/**
 * Substituting last good versions (or nothing) for invalid files can break
 * rules across files that held before. Each file whose documents then break a
 * rule steps down (current → last good → unavailable) until the set is
 * consistent; every round steps down at least one file, so this ends.
 */
function holdBackUntilConsistent(options: {
  order: string[];
  choices: Map<string, Choice>;
  documentsOf(file: string): AnyDocument[];
  hasLastGood(file: string): boolean;
}): ManifestError[] {
  const { order, choices, documentsOf, hasLastGood } = options;
  const found: ManifestError[] = [];
  for (let round = 0; round <= 2 * order.length; round++) {
    const errors = validateManifestSet(order.flatMap(documentsOf));
    if (errors.length === 0) break;
    const heldBack = order.filter((file) => choices.get(file) !== 'current');
    for (const file of new Set(errors.map((error) => error.file))) {
      const choice = choices.get(file);
      if (choice === 'current') {
        choices.set(file, hasLastGood(file) ? 'lastGood' : 'unavailable');
        const because = `; this follows from holding back invalid ${plural(heldBack.length, 'file')} ${heldBack.join(', ')}`;
        found.push(...errors.filter((error) => error.file === file).map((error) => new ManifestError(`${error.detail}${because}`, { file, line: error.line, column: error.column, resource: error.resource, path: error.path })));
      } else if (choice === 'lastGood') {
        choices.set(file, 'unavailable');
      }
    }
  }
  return found;
}

function byKind(documents: AnyDocument[]): Omit<DesiredState, 'unavailableFiles' | 'revision'> {
  const of = <K extends Kind>(kind: K) => documents.filter((document) => document.kind === kind) as unknown as Document<K>[];
  return { networks: of('Network'), containers: of('Container'), links: of('Link'), publishes: of('PortPublish'), probes: of('Probe'), volumes: of('Volume'), secrets: of('Secret') };
}


/** Changes whenever what is to be reconciled does; positions within files do not count. */
function revisionOf(documents: AnyDocument[], unavailableFiles: string[]): string {
  const content = documents.map((document) => ({ file: document.source.file, kind: document.kind, name: document.name, labels: document.labels, spec: document.spec }));
  return createHash('sha256').update(canonicalJson({ documents: content, unavailableFiles })).digest('hex').slice(0, 16);
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** Milliseconds of a manifest duration: a number of seconds, or a string such as `1m30s`. */
export function durationMs(value: Duration): number {
  if (typeof value === 'number') return value * 1000;
  let total = 0;
  for (const match of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  return total;
}
