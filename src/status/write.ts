/**
 * Writing the status and metrics files. Each file is replaced atomically, and
 * a write that fails leaves the previous file as it was and no temporary file
 * behind: on a full disk, a leftover would keep the disk full after the cause
 * is gone. A failed write never stops the daemon; it is logged when it starts,
 * changes and ends, and reported on `/healthz` and in the metrics.
 */
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import type { Logger } from '../log.js';
import { renderMetrics } from './metrics.js';
import type { FileWrite, Status } from './model.js';
import { renderStatus } from './size-cap.js';
import { errorMessage } from '../errors.js';

/** The file system calls an atomic write makes; tests pass one that fails midway. */
export type AtomicWriteFs = Pick<typeof nodeFs, 'open' | 'rename' | 'rm'>;
/** The file system calls a {@link StatusWriter} makes. */
export type StatusWriterFs = AtomicWriteFs & Pick<typeof nodeFs, 'readdir'>;

/** `.status.json.<12 hex>.tmp` beside `status.json`: hidden, and recognisable as ours. */
const tempName = (path: string) => `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`;
const isTempOf = (path: string, name: string) => name.startsWith(`.${basename(path)}.`) && /^\.[0-9a-f]{12}\.tmp$/.test(name.slice(basename(path).length + 1));

/**
 * Replaces `path` with `content` so that readers see the old file or the new
 * one, never a part: a temp file in the same directory, fsync, then rename.
 * On any failure the temp file is removed and the old file stays.
 */
export async function writeFileAtomic(path: string, content: string, fs: AtomicWriteFs = nodeFs): Promise<void> {
  const temp = join(dirname(path), tempName(path));
  const handle = await fs.open(temp, 'w', 0o644);
  try {
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, path);
  } catch (error) {
    // The write's own error is the one to report; a failed removal cannot be helped here.
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}

export interface StatusWriterOptions {
  statusFile: string;
  /** Prometheus text for node_exporter's textfile collector. */
  metricsFile?: string;
  logger: Logger;
  /** @default systemClock */
  clock?: Clock;
  /** @default node:fs/promises */
  fs?: StatusWriterFs;
}

/**
 * Writes the status file, then the metrics file, each on its own: the metrics
 * (often on another disk, node_exporter's) are written when the status file
 * cannot be, and say so in `mooring_status_write_success`.
 */
export class StatusWriter {
  readonly #statusFile: string;
  readonly #metricsFile: string | undefined;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #fs: StatusWriterFs;
  /** Every file written so far, and how its last write went. */
  readonly #written = new Map<string, FileWrite>();
  /** Files whose directory was cleared of temp files left by an earlier process. */
  readonly #swept = new Set<string>();
  /** What each file holds since its last successful write. */
  readonly #content = new Map<string, string>();

  constructor(options: StatusWriterOptions) {
    this.#statusFile = options.statusFile;
    this.#metricsFile = options.metricsFile;
    this.#logger = options.logger.child({ component: 'status-writer' });
    this.#clock = options.clock ?? systemClock;
    this.#fs = options.fs ?? nodeFs;
  }

  /** Every file written so far, and how its last write went. */
  get writes(): FileWrite[] {
    return [...this.#written.values()];
  }

  /** Writes both files; never throws. */
  async write(status: Status): Promise<void> {
    await this.#writeOne(this.#statusFile, 'status', () => renderStatus(status));
    if (this.#metricsFile === undefined) return;
    await this.#writeOne(this.#metricsFile, 'metrics', () => renderMetrics(status, { fileWrites: this.writes }));
  }

  async #writeOne(file: string, what: 'status' | 'metrics', render: () => string): Promise<void> {
    const before = this.#written.get(file)?.failure;
    const content = render();
    // The same bytes again (a publish with nothing new) would cost a write and an fsync, and wake every reader that watches the file.
    if (before === undefined && this.#content.get(file) === content) return;
    if (!this.#swept.has(file)) await this.#sweep(file);
    try {
      await writeFileAtomic(file, content, this.#fs);
    } catch (error) {
      this.#content.delete(file);
      const message = errorMessage(error);
      this.#written.set(file, { file, failure: { error: message, since: before?.since ?? new Date(this.#clock.now()).toISOString(), count: (before?.count ?? 0) + 1 } });
      // Once per cause, since the writes repeat every few seconds; the messages differ by the temp file's name.
      if (before === undefined || errorCode(before.error) !== errorCode(message)) {
        this.#logger.error(`writing the ${what} file failed; the previous one stays as it was, and reconciling goes on`, { file, error: message });
      }
      return;
    }
    this.#written.set(file, { file });
    this.#content.set(file, content);
    if (before !== undefined) this.#logger.info(`writing the ${what} file works again`, { file, failedWrites: before.count, since: before.since });
  }

  /**
   * Removes the temp files of `file` that a process killed mid-write left (a
   * failed write removes its own): on a full disk they would keep it full.
   * Once, at the first write; best effort.
   */
  async #sweep(file: string): Promise<void> {
    this.#swept.add(file);
    const names = await this.#fs.readdir(dirname(file)).catch(() => [] as string[]);
    for (const name of names.filter((candidate) => isTempOf(file, candidate))) {
      await this.#fs.rm(join(dirname(file), name), { force: true }).catch(() => undefined);
      this.#logger.info('removed a temporary file an earlier process left', { file: join(dirname(file), name) });
    }
  }
}

/** `ENOSPC` of `ENOSPC: no space left on device, write`; the whole message when it has no code. */
function errorCode(message: string): string {
  return /^(E[A-Z]+):/.exec(message)?.[1] ?? message;
}
