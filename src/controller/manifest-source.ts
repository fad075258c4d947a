/**
 * The manifests as the controller reads them: the whole directory at each
 * load, a file being written read again until two reads agree, each file's
 * errors logged once per change, and the resources whose declaration changed
 * named, so their old failures can be forgotten.
 */
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { LoadedManifests } from '../manifests/desired-state.js';
import type { loadDesiredState } from '../manifests/desired-state.js';
import { manifestErrors } from '../status/build.js';

/** Reads of a changing directory before a load goes with what it has: a file rewritten without pause must not stall passes. */
const MAX_SETTLING_READS = 5;

export interface ManifestSourceOptions {
  directory: string;
  clock: Clock;
  /** Quiet time between two reads of a directory that is changing. */
  debounceMs: number;
  /** Aborts a wait between reads: a stop never waits for the manifests to settle. */
  signal: AbortSignal;
  load: typeof loadDesiredState;
}

export interface Load {
  loaded: LoadedManifests;
  /** The desired state differs from the one loaded before. */
  revised: boolean;
  /** Resource keys (`Container/web`) whose declaration changed or went since the last load. */
  changed: string[];
}

export class ManifestSource {
  readonly #options: ManifestSourceOptions;
  #manifests: LoadedManifests | undefined;
  /** Each file's errors as last logged, so that a file's errors are logged once per change. */
  #loggedErrors = new Map<string, string>();
  /** Each declared Container's and Network's spec as last loaded, by resource key. */
  #declaredSpecs = new Map<string, string>();

  constructor(options: ManifestSourceOptions) {
    this.#options = options;
  }

  /** The manifests as last loaded; undefined before the first load. */
  get manifests(): LoadedManifests | undefined {
    return this.#manifests;
  }

  async load(logger: Logger): Promise<Load> {
    const { directory } = this.#options;
    const previous = this.#manifests;
    const read = () => this.#options.load({ directory, ...(previous === undefined ? {} : { lastGood: previous.lastGood }) });
    // What changed is read again after the debounce until two reads agree: a file being written
    // is not taken half-written, and a file gone may be an editor between moving the old version away and writing the new.
    let loaded = await read();
    for (let reads = 1; reads < MAX_SETTLING_READS && previous !== undefined && fingerprint(loaded) !== fingerprint(previous); reads++) {
      const before = loaded;
      await this.#options.clock.sleep(this.#options.debounceMs, this.#options.signal);
      loaded = await read();
      if (fingerprint(loaded) === fingerprint(before)) break;
    }
    this.#manifests = loaded;
    this.#logErrors(loaded, logger);
    if (previous?.desired.revision === loaded.desired.revision) return { loaded, revised: false, changed: [] };
    logger.info('manifests loaded', {
      revision: loaded.desired.revision.slice(0, 12),
      files: loaded.files.length,
      invalid: loaded.files.filter((file) => file.errors.length > 0).length,
      ...(loaded.directoryExists ? {} : { note: `the directory ${directory} does not exist` }),
    });
    const specs = new Map([...loaded.desired.networks, ...loaded.desired.containers].map((document) => [`${document.kind}/${document.name}`, JSON.stringify(document.spec)]));
    const changed = [...this.#declaredSpecs].filter(([key, spec]) => specs.get(key) !== spec).map(([key]) => key);
    this.#declaredSpecs = specs;
    return { loaded, revised: true, changed };
  }

  #logErrors(loaded: LoadedManifests, logger: Logger): void {
    const logged = new Map<string, string>();
    for (const [file, errors] of manifestErrors(loaded)) {
      const text = errors.map((error) => error.message).join('\n');
      logged.set(file, text);
      if (this.#loggedErrors.get(file) === text) continue;
      const consequence = loaded.usingLastGood.includes(file)
        ? 'its last good version stays applied'
        : 'nothing it declares is applied, and nothing it declared is pruned';
      logger.warn(`manifest ${file} is invalid; ${consequence}`, { file, errors: errors.map((error) => error.message) });
    }
    for (const file of this.#loggedErrors.keys()) if (!logged.has(file)) logger.info(`manifest ${file} is valid again`, { file });
    this.#loggedErrors = logged;
  }
}

/** What a load read: every file's content and the desired state it makes. */
function fingerprint(loaded: LoadedManifests): string {
  return `${loaded.desired.revision}\n${loaded.files.map((file) => `${file.file} ${file.digest} ${file.errors.length}`).join('\n')}`;
}
