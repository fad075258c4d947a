/**
 * Whether the engine answers, as passes and the event stream find out: what
 * the status says under `engine`, and when to call for a resync (the engine
 * answers again after an absence, or its event stream came back: whatever
 * happened meanwhile went unseen).
 */
import type { EngineInfo } from '../engine/port.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Status } from '../status/model.js';

export interface EngineHealthOptions {
  logger: Logger;
  /** Something may have happened unseen: a full pass should look. */
  onResync(): void;
}

export class EngineHealth {
  readonly #logger: Logger;
  readonly #onResync: () => void;
  #state: Status['engine'] = { reachable: null };
  /** The event stream was connected once: a later connection is a reconnection. */
  #streamSeen = false;

  constructor(options: EngineHealthOptions) {
    this.#logger = options.logger;
    this.#onResync = options.onResync;
  }

  /** What the status says about the engine. */
  get state(): Status['engine'] {
    return this.#state;
  }

  /** A pass reached the engine. */
  reachable(): void {
    if (this.#state.reachable === false) this.#logger.info('the engine answers');
    this.#state = { reachable: true, ...(this.#state.version === undefined ? {} : { version: this.#state.version }) };
  }

  /** A pass could not reach the engine; `quiet` when the caller logs it its own way. */
  unreachable(error: unknown, options: { quiet?: boolean } = {}): void {
    const message = errorMessage(error);
    if (!options.quiet && (this.#state.reachable !== false || this.#state.lastError !== message)) {
      this.#logger.error('the engine does not answer; retrying with backoff', { error: message });
    }
    this.#state = { ...this.#state, reachable: false, lastError: message };
  }

  streamConnected(info: EngineInfo): void {
    const reconnected = this.#streamSeen;
    this.#streamSeen = true;
    this.#state = { ...this.#state, version: info.version };
    // The first connection has its pass already.
    if (reconnected || this.#state.reachable === false) {
      this.#logger.info('the engine answers again; resyncing', { version: info.version });
      this.#onResync();
    }
  }

  streamDropped(error: Error, retryInMs: number): void {
    if (this.#state.reachable) {
      this.#logger.warn('lost the engine event stream; reconnecting', { error: error.message, retryInMs });
      // A pass finds out whether the engine itself is gone, and says so in the status.
      this.#onResync();
    } else {
      this.#logger.debug('the engine event stream is still down', { error: error.message, retryInMs });
    }
  }
}
