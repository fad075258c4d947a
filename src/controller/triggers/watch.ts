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
import type { Logger } from '../../log.js';
import { isManifestFileName } from '../../manifests/load.js';

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
  /** The identity of the directory watched (device, inode, birth time): one created again has another. */
  #watchedIdentity: string | undefined;
  /** chokidar said the watched directory itself went away. */
  #rootRemoved = false;
  #debounce: NodeJS.Timeout | undefined;
  #poll: NodeJS.Timeout | undefined;
  /** Every change of what is watched goes through this chain, so two bursts cannot each start a watcher. */
  #rewatching: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: ManifestWatcherOptions) {
    this.#directory = resolve(options.directory);
    this.#logger = options.logger.child({ component: 'watch' });
    this.#onChange = options.onChange;
    this.#debounceMs = options.debounceMs ?? 200;
    this.#pollMs = options.pollMs ?? 2000;
  }

  /** Resolves once the directory is watched, or polled for when it is missing. */
  async start(): Promise<void> {
    await this.#serially(() => this.#watchOrPoll());
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#debounce);
    clearTimeout(this.#poll);
    await this.#rewatching;
    await this.#unwatch();
  }

  #serially(step: () => Promise<void>): Promise<void> {
    this.#rewatching = this.#rewatching.then(step).catch((error: unknown) => {
      this.#logger.warn('watching the manifests failed; the periodic resync still reads them', { error: String(error) });
    });
    return this.#rewatching;
  }

  async #watchOrPoll(): Promise<void> {
    const identity = await directoryIdentity(this.#directory);
    if (this.#closed) return;
    if (identity === undefined) {
      this.#poll = setTimeout(() => void this.#serially(() => this.#appeared()), this.#pollMs);
      return;
    }
    // Only files the loader would read matter; editors' swap and backup files change on every keystroke.
    const watcher = watch(this.#directory, { ignoreInitial: true, ignored: (path, stats) => stats?.isFile() === true && !isManifestFileName(basename(path)) });
    this.#watcher = watcher;
    this.#watchedIdentity = identity;
    this.#rootRemoved = false;
    watcher.on('all', (event, path) => {
      if (event === 'unlinkDir' && resolve(path) === this.#directory) this.#rootRemoved = true;
      this.#changed();
    });
    watcher.on('error', (error) => this.#logger.warn('watching the manifests failed; the periodic resync still reads them', { error: String(error) }));
    await new Promise<void>((ready) => watcher.once('ready', ready));
    this.#logger.debug('watching the manifests', { directory: this.#directory });
  }

  /** Once watched again, the directory may hold files the new watcher takes as already there: say it changed. */
  async #appeared(): Promise<void> {
    await this.#watchOrPoll();
    if (this.#watcher !== undefined) this.#changed();
  }

  /**
   * chokidar reports the removal of the watched directory itself unreliably,
   * and not at all when it is created again at once; and a directory created
   * again often gets the same inode number back. After every burst, watch
   * afresh when chokidar said the directory went, or it is not the one watched.
   */
  async #burstEnded(): Promise<void> {
    if (this.#watcher !== undefined && (this.#rootRemoved || (await directoryIdentity(this.#directory)) !== this.#watchedIdentity)) {
      await this.#unwatch();
      await this.#appeared();
    }
    if (!this.#closed) this.#onChange();
  }

  async #unwatch(): Promise<void> {
    const watcher = this.#watcher;
    this.#watcher = undefined;
    this.#watchedIdentity = undefined;
    await watcher?.close();
  }

  #changed(): void {
    if (this.#closed) return;
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => void this.#serially(() => this.#burstEnded()), this.#debounceMs);
  }
}

async function directoryIdentity(path: string): Promise<string | undefined> {
  try {
    const stats = await stat(path);
    return stats.isDirectory() ? `${stats.dev}:${stats.ino}:${stats.birthtimeMs}` : undefined;
  } catch {
    return undefined;
  }
}
