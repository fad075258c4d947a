/**
 * Builds the status and writes it (and the metrics) through the
 * `StatusWriter`: after every pass and probe round, and, while a pass applies
 * changes, every `progressIntervalMs` with the pass in flight (Progressing),
 * however long it takes. Writes never overlap, and the newest status wins.
 */
import type { Clock, Timer } from '../clock.js';
import type { Action } from '../reconcile/actions.js';
import type { PassInFlight, StatusInput } from '../status/build.js';
import { buildStatus } from '../status/build.js';
import type { Status } from '../status/model.js';
import type { StatusWriter } from '../status/write.js';

/** What the status is built from, apart from what the publisher adds (the time, the pass in flight, the previous status). */
export type PublisherInput = Omit<StatusInput, 'now' | 'inFlight' | 'previous'>;

export interface StatusPublisherOptions {
  writer: StatusWriter;
  clock: Clock;
  progressIntervalMs: number;
  /** What the status is built from, as the daemon knows it now. */
  input(): PublisherInput;
}

export class StatusPublisher {
  readonly #options: StatusPublisherOptions;
  #status: Status | undefined;
  #inFlight: PassInFlight | undefined;
  #progressTimer: Timer | undefined;
  #writing: Promise<void> | undefined;
  #writeAgain = false;

  constructor(options: StatusPublisherOptions) {
    this.#options = options;
  }

  /** The status as last built; undefined before the first publication. */
  get status(): Status | undefined {
    return this.#status;
  }

  /** The pass that began at `startedAt` applies `actions`: say so until `applied`. */
  applying(startedAt: number, actions: readonly Action[]): void {
    this.applied();
    if (actions.length === 0) return;
    this.#inFlight = { startedAt, actions };
    this.publish();
    this.#progressTimer = this.#options.clock.setInterval(() => this.publish(), this.#options.progressIntervalMs);
  }

  /** The pass in flight has ended. */
  applied(): void {
    this.#options.clock.clearTimer(this.#progressTimer);
    this.#progressTimer = undefined;
    this.#inFlight = undefined;
  }

  publish(): void {
    const previous = this.#status;
    this.#status = buildStatus({
      ...this.#options.input(),
      now: this.#options.clock.now(),
      ...(this.#inFlight === undefined ? {} : { inFlight: this.#inFlight }),
      ...(previous === undefined ? {} : { previous }),
    });
    if (this.#writing) {
      this.#writeAgain = true;
      return;
    }
    this.#writing = this.#flush();
  }

  /** Resolves once the newest status is written. */
  async written(): Promise<void> {
    await this.#writing;
  }

  async #flush(): Promise<void> {
    do {
      this.#writeAgain = false;
      await this.#options.writer.write(this.#status!);
    } while (this.#writeAgain);
    this.#writing = undefined;
  }
}
