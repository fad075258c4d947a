/**
 * One engine request: counted (the one place requests are counted), bounded by a deadline,
 * and its failure turned into an `EngineError` that names what failed and says whether
 * retrying can help. Every module of the adapter reaches the engine through `EngineClient`.
 */
import { STATUS_CODES } from 'node:http';
import Docker from 'dockerode';
import type { Logger } from '../../log.js';
import { errorMessage } from '../../errors.js';
import type { EngineAddress } from '../connection.js';
import { dockerodeOptions } from '../connection.js';
import { EngineError } from '../../errors.js';
import type { Engine } from '../port.js';
import { MUTATING_METHODS } from '../port.js';

/** Requests made to the engine since the adapter was made, for metrics and the benchmark. */
export interface RequestCounts {
  total: number;
  /** Requests that change something: create, start, unpause, stop, remove, connect, disconnect, pull. */
  mutating: number;
  /** By operation, e.g. `listContainers`, `inspectContainer`, `createContainer`. */
  byOperation: Record<string, number>;
}

/** The requests the adapter makes: the `Engine` methods that are one request each, and the parts of the others. */
export type Operation = Exclude<keyof Engine, 'info' | 'runContainer' | 'imageExists'> | 'version' | 'inspectImage' | 'waitContainer' | 'containerLogs';

/** Node's codes for a socket that cannot be reached or broke off: the engine may answer later. */
const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED', 'EAGAIN']);

export interface RequestOptions {
  /** @default the request deadline */
  deadlineMs?: number;
  /** Aborts the request, and a stream that follows, before the deadline. */
  signal?: AbortSignal;
}

export interface EngineClientOptions {
  address: EngineAddress;
  logger: Logger;
  requestTimeoutMs: number;
  stopMarginMs: number;
  pullIdleMs: number;
}

export class EngineClient {
  readonly docker: Docker;
  readonly address: EngineAddress;
  readonly logger: Logger;
  readonly stopMarginMs: number;
  readonly pullIdleMs: number;
  readonly #requestTimeoutMs: number;
  readonly #counts: RequestCounts = { total: 0, mutating: 0, byOperation: {} };

  constructor(options: EngineClientOptions) {
    this.address = options.address;
    this.docker = new Docker(dockerodeOptions(options.address));
    this.logger = options.logger;
    this.#requestTimeoutMs = options.requestTimeoutMs;
    this.stopMarginMs = options.stopMarginMs;
    this.pullIdleMs = options.pullIdleMs;
  }

  counts(): RequestCounts {
    return { ...this.#counts, byOperation: { ...this.#counts.byOperation } };
  }

  /**
   * One engine request: counted, bounded by a deadline (the request deadline unless `deadlineMs`), and its
   * failure turned into an `EngineError` that names `what`. `run` gets the signal to give dockerode: it aborts
   * at the deadline, or with `signal`. The deadline covers the answer; a stream that follows is the caller's.
   * Should dockerode ignore the signal, the request is given up on all the same.
   */
  async request<T>(operation: Operation, what: string, run: (signal: AbortSignal) => Promise<T>, options: RequestOptions = {}): Promise<T> {
    this.#counts.total++;
    if (MUTATING_METHODS.has(operation as keyof Engine)) this.#counts.mutating++;
    this.#counts.byOperation[operation] = (this.#counts.byOperation[operation] ?? 0) + 1;
    const deadlineMs = options.deadlineMs ?? this.#requestTimeoutMs;
    const deadline = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = this.timeout(what, deadlineMs, 'did not answer');
        deadline.abort(error);
        reject(error);
      }, deadlineMs);
    });
    try {
      return await Promise.race([run(options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal), expired]);
    } catch (error) {
      throw this.error(what, error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Like `request`, but a failure `absorb` accepts resolves to undefined: the quirks that mean "already so". */
  async requestAbsorbing<T>(
    operation: Operation,
    what: string,
    run: (signal: AbortSignal) => Promise<T>,
    absorb: (error: EngineError) => boolean,
    options: RequestOptions = {},
  ): Promise<T | undefined> {
    try {
      return await this.request(operation, what, run, options);
    } catch (error) {
      if (error instanceof EngineError && absorb(error)) return undefined;
      throw error;
    }
  }

  timeout(what: string, ms: number, how: string): EngineError {
    return new EngineError(`${what}: the engine at ${this.address.url} ${how} within ${ms} ms`, { transient: true, kind: 'timeout' });
  }

  /** Turns whatever dockerode threw into an `EngineError` that names the operation. */
  error(what: string, error: unknown): EngineError {
    if (error instanceof EngineError) return error;
    const statusCode = (error as { statusCode?: unknown } | undefined)?.statusCode;
    if (typeof statusCode === 'number') {
      const message = `${what}: ${statusCode} ${STATUS_CODES[statusCode] ?? 'Unknown'}: ${engineMessage(error)}`;
      return new EngineError(message, { statusCode, transient: statusCode >= 500, cause: error });
    }
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code !== undefined && TRANSIENT_CODES.has(code)) {
      return new EngineError(`${what}: cannot reach the engine at ${this.address.url}: ${errorMessage(error)}`, { transient: true, cause: error });
    }
    return new EngineError(`${what}: ${errorMessage(error)}`, { transient: false, cause: error });
  }
}

/** Absorbs failures with one of these status codes. */
export function statusIn(...codes: number[]): (error: EngineError) => boolean {
  return (error) => error.statusCode !== undefined && codes.includes(error.statusCode);
}

/** The engine's own words: the JSON `message`, else the text after dockerode's `(HTTP code N) reason - ` prefix. */
export function engineMessage(error: unknown): string {
  const json = (error as { json?: unknown }).json;
  if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') return (json as { message: string }).message;
  const cut = errorMessage(error).replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
  return cut === '' ? 'no message' : cut;
}
