import { createHash } from 'node:crypto';
import { inspect } from 'node:util';

/**
 * A secret's bytes. They leave this object only through `bytes()`, which the
 * one writer of secret files calls: serialized or inspected (a log line, the
 * status, an error), it shows as `[secret]`.
 */
export class SecretContent {
  readonly #bytes: Buffer;
  /** Of the content; salted again before it reaches a label. */
  readonly sha256: string;

  constructor(bytes: Buffer) {
    this.#bytes = bytes;
    this.sha256 = createHash('sha256').update(bytes).digest('hex');
  }

  bytes(): Buffer {
    return this.#bytes;
  }

  toJSON(): string {
    return '[secret]';
  }

  toString(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return '[secret]';
  }
}
