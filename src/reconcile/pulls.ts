/**
 * `pullPolicy: Always`, bounded: each image is pulled at most once per
 * interval, so a no-op pass inside it asks no registry. A tag the pull moved is
 * then seen by the plan (`imageMoved`), which recreates its containers.
 */
import type { Clock } from '../clock.js';
import type { Engine } from '../engine/port.js';
import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';

export const DEFAULT_PULL_INTERVAL_MS = 5 * 60_000;

export interface PullsOptions {
  engine: Engine;
  clock: Clock;
  logger: Logger;
  /** @default DEFAULT_PULL_INTERVAL_MS (5 min) */
  intervalMs?: number;
}

export class Pulls {
  readonly #o: PullsOptions;
  readonly #intervalMs: number;
  /** When each image was last asked for, whether the pull succeeded or not: an unreachable registry is not asked every pass either. */
  readonly #last = new Map<string, number>();

  constructor(options: PullsOptions) {
    this.#o = options;
    this.#intervalMs = options.intervalMs ?? DEFAULT_PULL_INTERVAL_MS;
  }

  /** Whether `image` was pulled within the interval: a creation then uses the local image. */
  fresh(image: string): boolean {
    const last = this.#last.get(image);
    return last !== undefined && this.#o.clock.now() - last < this.#intervalMs;
  }

  /**
   * Pulls those of `images` that are due, one after the other; resolves to how many were pulled.
   * A failure is logged: the local image, if any, keeps running, and a creation that needs it fails on its container.
   */
  async refresh(images: Iterable<string>): Promise<number> {
    let pulled = 0;
    for (const image of new Set(images)) {
      if (this.fresh(image)) continue;
      this.#last.set(image, this.#o.clock.now());
      try {
        await this.#o.engine.pullImage(image);
        pulled += 1;
      } catch (error) {
        this.#o.logger.warn(`pull image ${image} (pullPolicy Always) failed; the next attempt in ${this.#intervalMs / 1000} s: ${errorMessage(error)}`);
      }
    }
    return pulled;
  }
}
