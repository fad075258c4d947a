/**
 * What kind of failure an `EngineError` is, when it is more than its status code says:
 * - `timeout`: the engine did not answer within the request's deadline (it may be hung);
 * - `unstartable`: the engine refuses to start this container, and will go on refusing:
 *   it kept the runtime task of a start it was stopped in the middle of. Only a new
 *   container (a new id) can start.
 */
export type EngineErrorKind = 'timeout' | 'unstartable';

/** A failed engine call. `transient` says whether trying again can help (socket errors, 5xx, timeouts). */
export class EngineError extends Error {
  override name = 'EngineError';
  readonly statusCode: number | undefined;
  readonly transient: boolean;
  readonly kind: EngineErrorKind | undefined;

  constructor(message: string, options: { statusCode?: number; transient: boolean; kind?: EngineErrorKind; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.statusCode = options.statusCode;
    this.transient = options.transient;
    this.kind = options.kind;
  }
}

/** A failure that retrying cannot fix (bad config, a name held by something mooring does not own): recorded, not retried. */
export class TerminalError extends Error {
  override name = 'TerminalError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
