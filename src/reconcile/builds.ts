/**
 * Image builds, with the memory of those that failed. A pass plans a build
 * whenever the image is not current, so without that memory every pass of the
 * daemon (each engine event brings one) would build a failing image again:
 * the costliest thing a pass can do. A build that failed is tried again once
 * its context or settings change (a new digest), or after `retryAfterMs`, as
 * a step may have failed on something outside the context (a download).
 */
import type { Clock } from '../clock.js';
import type { Engine, ImageBuild } from '../engine/port.js';
import { LABELS } from '../engine/labels.js';
import type { Logger } from '../log.js';
import { TerminalError, asError, isTransient } from '../errors.js';

export const DEFAULT_BUILD_RETRY_MS = 5 * 60_000;

export interface BuildsOptions {
  engine: Engine;
  clock: Clock;
  /** @default DEFAULT_BUILD_RETRY_MS (5 min) */
  retryAfterMs?: number;
}

export class Builds {
  readonly #o: BuildsOptions;
  readonly #retryAfterMs: number;
  /** By tag, the last failed build that a retry cannot help before something changes. */
  readonly #failed = new Map<string, { digest: string | undefined; at: number; error: Error }>();

  constructor(options: BuildsOptions) {
    this.#o = options;
    this.#retryAfterMs = options.retryAfterMs ?? DEFAULT_BUILD_RETRY_MS;
  }

  /** The build's output goes to `logger` at debug level; a failure's last lines are in its error. */
  async build(request: ImageBuild, logger: Logger): Promise<void> {
    const { clock, engine } = this.#o;
    const digest = request.labels[LABELS.buildDigest];
    const failed = this.#failed.get(request.tag);
    if (failed && failed.digest === digest && clock.now() - failed.at < this.#retryAfterMs) {
      const again = new Date(failed.at + this.#retryAfterMs).toISOString();
      throw new TerminalError(`${failed.error.message}\n(built again when its context or settings change, or at ${again})`, { cause: failed.error });
    }
    try {
      await engine.buildImage(request, (line) => logger.debug(line, { image: request.tag }));
      this.#failed.delete(request.tag);
    } catch (error) {
      if (!isTransient(error)) this.#failed.set(request.tag, { digest, at: clock.now(), error: asError(error) });
      throw error;
    }
  }
}
