/**
 * mooring's errors, few and each with its `cause`. Whether trying again later
 * can help is carried one way: `isTransient(error)`, which reads the
 * `transient` of an `EngineError` or a `SkippedError`; anything else (a
 * `TerminalError`, a bug) is terminal: recorded, and not retried until
 * something changes.
 */

/** The message of anything thrown: an Error's own message, anything else as a string. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Anything thrown, as an Error: what outcomes keep, so the cause reaches whoever decides about a retry. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

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

/**
 * Work that did not run, or was no longer retried: mooring is stopping, its
 * resource is held back, or what it depends on did not succeed (then `cause`
 * is that failure, and `transient` is the cause's).
 */
export class SkippedError extends Error {
  override name = 'SkippedError';
  readonly transient: boolean;

  constructor(message: string, options: { transient: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.transient = options.transient;
  }
}

/** Whether trying again later can help: the one place that says so. */
export function isTransient(error: unknown): boolean {
  return (error instanceof EngineError || error instanceof SkippedError) && error.transient;
}
