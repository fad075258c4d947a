/** Where a document (or one of its fields) stands in its file. Lines and columns count from 1. */
export interface SourcePosition {
  /** Relative to the manifests directory, with `/` separators. */
  file: string;
  line: number;
  column: number;
}

export interface ManifestErrorOptions extends SourcePosition {
  /** `Kind/name` of the document, when the error belongs to one. */
  resource?: string;
  /** Dotted field path within the document, e.g. `spec.networks.0.name`. */
  path?: string;
  cause?: unknown;
}

/**
 * A problem with the manifests, with the place it was found.
 * Printed as `FILE:LINE:COL: Kind/name: field.path: message`.
 */
export class ManifestError extends Error {
  override name = 'ManifestError';
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly resource: string | undefined;
  readonly path: string | undefined;
  /** The message without the location prefix. */
  readonly detail: string;

  constructor(detail: string, options: ManifestErrorOptions) {
    const where = [`${options.file}:${options.line}:${options.column}`, options.resource, options.path].filter(Boolean).join(': ');
    super(`${where}: ${detail}`, { cause: options.cause });
    this.file = options.file;
    this.line = options.line;
    this.column = options.column;
    this.resource = options.resource;
    this.path = options.path;
    this.detail = detail;
  }

  /** The error as plain data, the resource split into `kind` and `name`. */
  toJSON() {
    const [kind, ...name] = (this.resource ?? '').split('/');
    return {
      file: this.file,
      line: this.line,
      column: this.column,
      kind: kind || undefined,
      name: name.length > 0 ? name.join('/') : undefined,
      path: this.path,
      message: this.detail,
    };
  }
}
