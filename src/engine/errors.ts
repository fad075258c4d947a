/** A failed engine call. `transient` says whether trying again can help (socket errors, 5xx). */
export class EngineError extends Error {
  override name = 'EngineError';
  readonly statusCode: number | undefined;
  readonly transient: boolean;

  constructor(message: string, options: { statusCode?: number; transient: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.statusCode = options.statusCode;
    this.transient = options.transient;
  }
}

/** A failure that retrying cannot fix (bad config, a name held by something mooring does not own): recorded, not retried. */
export class TerminalError extends Error {
  override name = 'TerminalError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
