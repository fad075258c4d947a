/**
 * Watches the manifests directory and says, debounced, that something in it
 * changed. It never says what: the daemon then reads the whole directory
 * fresh, so an editor's save by rename, its backup and swap files, or a file
 * briefly missing in between cannot look like a deletion.
 *
 * chokidar does not see a directory that does not exist yet, nor one that is
 * removed and created again; while the directory is missing it is polled.
 */
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { FSWatcher } from 'chokidar';
import { watch } from 'chokidar';
import type { Logger } from '../log.js';
import { isManifestFileName } from '../manifests/load.js';

export interface ManifestWatcherOptions {
  directory: string;
  logger: Logger;
  /** Called once per burst of changes, `debounceMs` after the last one. */
  onChange(): void;
  /** @default 200 */
  debounceMs?: number;
  /** How often a missing directory is looked for. @default 2000 */
  pollMs?: number;
}

export class ManifestWatcher {
  readonly #directory: string;
  readonly #logger: Logger;
  readonly #onChange: () => void;
  readonly #debounceMs: number;
  readonly #pollMs: number;
  #watcher: FSWatcher | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #poll: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: ManifestWatcherOptions) {
    this.#directory = resolve(options.directory);
    this.#logger = options.logger.child({ kind: 'ManifestWatcher' });
    this.#onChange = options.onChange;
    this.#debounceMs = options.debounceMs ?? 200;
    this.#pollMs = options.pollMs ?? 2000;
  }

  /** Resolves once the directory is watched, or polled for when it is missing. */
  async start(): Promise<void> {
    await this.#watchOrPoll();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#debounce);
    clearTimeout(this.#poll);
    await this.#watcher?.close();
    this.#watcher = undefined;
  }

  async #watchOrPoll(): Promise<void> {
    const exists = await isDirectory(this.#directory);
    if (this.#closed) return;
    if (!exists) {
      this.#poll = setTimeout(() => void this.#appeared(), this.#pollMs);
      return;
    }
    // Only files the loader would read matter; editors' swap and backup files change on every keystroke.
    const watcher = watch(this.#directory, { ignoreInitial: true, ignored: (path, stats) => stats?.isFile() === true && !isManifestFileName(basename(path)) });
    this.#watcher = watcher;
    watcher.on('all', (event, path) => {
      if (event === 'unlinkDir' && resolve(path) === this.#directory) void this.#vanished();
      this.#changed();
    });
    watcher.on('error', (error) => this.#logger.warn('watching the manifests failed; the periodic resync still reads them', { error: String(error) }));
    await new Promise<void>((ready) => watcher.once('ready', ready));
    this.#logger.debug('watching the manifests', { directory: this.#directory });
  }

  async #appeared(): Promise<void> {
    const before = this.#watcher;
    await this.#watchOrPoll();
    if (this.#watcher !== before) this.#changed();
  }

  async #vanished(): Promise<void> {
    const watcher = this.#watcher;
    this.#watcher = undefined;
    await watcher?.close();
    await this.#watchOrPoll();
  }

  #changed(): void {
    if (this.#closed) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => this.#onChange(), this.#debounceMs);
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
