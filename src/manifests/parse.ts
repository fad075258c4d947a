/**
 * One manifest file's text → its documents, each checked against the schema
 * and able to say where any of its fields stands in the file. Pure: the loader
 * reads the file, this never touches the file system, and never throws for any input.
 */
import { createRequire } from 'node:module';
import type { Document as YamlDocument, Node as YamlNode, ParsedNode } from 'yaml';
import type * as Yaml from 'yaml';
import type { z } from 'zod';
import type { AnyDocument, InvalidDocument } from './model.js';
import type { Kind } from './schema.js';
import { API_VERSION, documentSchemas, KINDS } from './schema.js';
import type { SourcePosition } from './errors.js';
import { ManifestError } from './errors.js';
import { didYouMean } from './did-you-mean.js';
import type { FieldPath, FieldProblem } from './schema-issues.js';
import { HABIT_HINTS } from './habits.js';
import { describeValue, schemaProblems } from './schema-issues.js';
import { errorMessage } from '../errors.js';
import { locateQuick, readQuickYaml } from './quick-yaml.js';

const require = createRequire(import.meta.url);

/**
 * The `yaml` package (83 modules), loaded at the first file outside the
 * subset that quick-yaml.ts reads: a directory of plain manifests never loads it.
 */
function yaml(): typeof Yaml {
  return (yamlModule ??= require('yaml') as typeof Yaml);
}
let yamlModule: typeof Yaml | undefined;

/**
 * How many alias expansions a document may make: enough for anchors shared
 * by a few dozen containers, far too few for a "billion laughs".
 */
export const MAX_ALIAS_COUNT = 100;

/** Documents per file: far more than a host runs, and what keeps a file's parse, validation and status bounded. */
export const MAX_DOCUMENTS_PER_FILE = 1000;

export interface ParsedManifest {
  documents: AnyDocument[];
  errors: ManifestError[];
  /** Documents that failed the schema with a valid kind and name, for the rules across documents. */
  invalid: InvalidDocument[];
  /** How many documents failed, named or not: YAML errors, schema errors. */
  failed: number;
}

/**
 * Parses a manifest file's text: every document that matches the schema, and
 * every problem found. `full`: always with the `yaml` package, as a file
 * outside quick-yaml.ts's subset is (tests compare the two).
 */
export function parseManifest(file: string, text: string, options: { full?: boolean } = {}): ParsedManifest {
  return (options.full ? undefined : parseQuickly(file, text)) ?? parseFully(file, text);
}

/** The file's documents as quick-yaml.ts reads them, when the file stays within its subset. */
function parseQuickly(file: string, text: string): ParsedManifest | undefined {
  const quick = readQuickYaml(text, MAX_DOCUMENTS_PER_FILE);
  if (!quick) return undefined;
  const result: ParsedManifest = { documents: [], errors: [], invalid: [], failed: 0 };
  const at = (offset: number): SourcePosition => {
    const { line, col } = quick.linePos(offset);
    return { file, line, column: col };
  };
  for (const document of quick.documents) {
    addChecked(result, checkDocument(document.value, (path) => at(locateQuick(document, path)), at(document.at)));
  }
  return result;
}

function parseFully(file: string, text: string): ParsedManifest {
  const { Composer, isScalar, LineCounter, Parser } = yaml();
  const lineCounter = new LineCounter();
  const result: ParsedManifest = { documents: [], errors: [], invalid: [], failed: 0 };
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const yamlDocuments: YamlDocument.Parsed[] = [];
  try {
    // `merge` lets documents share settings through `<<: *anchor`, as many YAML users expect;
    // `logLevel` keeps the parser's warnings (such as keys that are collections) off the process's stderr.
    const composer = new Composer({ uniqueKeys: true, merge: true, logLevel: 'error' });
    // Document by document, so that parsing stops at the limit rather than after the whole file.
    for (const yamlDocument of composer.compose(new Parser(lineCounter.addNewLine).parse(text))) {
      if (yamlDocuments.length === MAX_DOCUMENTS_PER_FILE) {
        const detail = `too many documents: more than ${MAX_DOCUMENTS_PER_FILE} in one file; split it into several files`;
        result.errors.push(new ManifestError(detail, at(yamlDocument.range[0])));
        result.failed++;
        break;
      }
      yamlDocuments.push(yamlDocument as YamlDocument.Parsed);
    }
  } catch (error) {
    // The parser reports bad YAML as errors; a throw means input beyond its limits (such as nesting too deep for the stack).
    result.errors.push(new ManifestError(`cannot parse: ${errorMessage(error)}`, { file, line: 1, column: 1, cause: error }));
    return { ...result, failed: 1 };
  }
  for (const yamlDocument of yamlDocuments) {
    if (yamlDocument.errors.length > 0) {
      result.failed++;
      for (const error of yamlDocument.errors) {
        result.errors.push(new ManifestError(yamlErrorMessage(error.code, error.message), at(error.pos[0])));
      }
      continue;
    }
    const contents = yamlDocument.contents;
    const start = at(contents?.range[0] ?? yamlDocument.range[0]);
    if (contents === null || (isScalar(contents) && contents.value === null)) continue;
    let value: unknown;
    try {
      value = yamlDocument.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      result.failed++;
      result.errors.push(new ManifestError(conversionErrorMessage(error), { ...start, cause: error }));
      continue;
    }
    addChecked(result, checkDocument(value, positionFinder(yamlDocument, at), start));
  }
  return result;
}

function addChecked(result: ParsedManifest, checked: Checked): void {
  if ('document' in checked) {
    result.documents.push(checked.document);
    return;
  }
  result.failed++;
  result.errors.push(...checked.errors);
  if (checked.invalid) result.invalid.push(checked.invalid);
}

export function yamlErrorMessage(code: string, message: string): string {
  if (code === 'DUPLICATE_KEY') return 'duplicate key: a key may appear only once in a mapping';
  return `invalid YAML: ${message.replace(/\s+/g, ' ').trim()}`;
}

export function conversionErrorMessage(error: unknown): string {
  const message = errorMessage(error);
  if (/excessive alias count/i.test(message)) {
    return `too many alias expansions (more than ${MAX_ALIAS_COUNT}): the document would grow without bound`;
  }
  return `invalid YAML: ${message}`;
}

type PositionOf = (path: readonly (string | number)[]) => SourcePosition;

type Checked = { document: AnyDocument } | { errors: ManifestError[]; invalid?: InvalidDocument };

function checkDocument(value: unknown, positionOf: PositionOf, start: SourcePosition): Checked {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const detail = `expected a mapping with apiVersion, kind, metadata and spec, got ${describeValue(value)}`;
    return { errors: [new ManifestError(detail, start)] };
  }
  const raw = value as Record<string, unknown>;
  const resource = resourceOf(raw);
  const error = (path: FieldPath, detail: string) =>
    new ManifestError(detail, { ...positionOf(path), resource, path: path.length > 0 ? path.join('.') : undefined });

  const kind = raw.kind;
  if (typeof kind !== 'string' || !(KINDS as string[]).includes(kind)) {
    const detail =
      kind === undefined
        ? `required field is missing (expected one of ${KINDS.join(', ')})`
        : `expected one of ${KINDS.join(', ')}, got ${describeValue(kind)}${typeof kind === 'string' ? didYouMean(kind, KINDS) : ''}`;
    const errors = [error(['kind'], detail)];
    if (raw.apiVersion !== API_VERSION) errors.push(error(['apiVersion'], `expected ${JSON.stringify(API_VERSION)}, got ${describeValue(raw.apiVersion)}`));
    return { errors };
  }
  const schema = documentSchemas[kind as Kind];
  const parsed = schema.safeParse(raw, { reportInput: true });
  if (parsed.success) return { document: toDocument(parsed.data, start, positionOf) };
  const problems = schemaProblems(schema, parsed.error.issues, { hints: HABIT_HINTS[kind as Kind] });
  const errors = problems.map((problem) => error(problem.path, problem.message));
  const name = (raw.metadata as Record<string, unknown> | undefined)?.name;
  if (!schema.shape.metadata.shape.name.safeParse(name).success) return { errors };
  const salvaged = salvage(kind as Kind, raw, problems);
  const invalid: InvalidDocument = {
    invalid: true,
    kind: kind as Kind,
    name: name as string,
    source: start,
    positionOf,
    ...(salvaged === undefined ? {} : { salvaged: toDocument(salvaged, start, positionOf) }),
  };
  return { errors, invalid };
}

type DocumentData = z.output<(typeof documentSchemas)[Kind]>;

function toDocument(data: DocumentData, source: SourcePosition, positionOf: PositionOf): AnyDocument {
  return { kind: data.kind, name: data.metadata.name, labels: data.metadata.labels ?? {}, spec: data.spec, source, positionOf } as AnyDocument;
}

/**
 * The document without the fields its problems are in, when each of them may
 * be left out (an optional field, an unknown one); undefined when a required
 * field is wrong, since nothing can stand in for it.
 */
function salvage(kind: Kind, raw: Record<string, unknown>, problems: readonly FieldProblem[]): DocumentData | undefined {
  const schema = documentSchemas[kind];
  const specFields = schema.shape.spec.shape as Record<string, z.ZodType | undefined>;
  if (typeof raw.spec !== 'object' || raw.spec === null || Array.isArray(raw.spec)) return undefined;
  const spec = { ...(raw.spec as Record<string, unknown>) };
  const metadata = { ...(raw.metadata as Record<string, unknown>) };
  const copy: Record<string, unknown> = { ...raw, apiVersion: API_VERSION, metadata, spec };
  for (const { path } of problems) {
    const [top, field] = path;
    if (top === 'apiVersion') continue;
    // Own fields only: an unknown `toString` must not find the prototype's.
    if (top === 'spec' && typeof field === 'string' && (!Object.hasOwn(specFields, field) || specFields[field]!.safeParse(undefined).success)) delete spec[field];
    else if (top === 'metadata' && field === 'labels') delete metadata.labels;
    else if (typeof top === 'string' && path.length === 1 && !(top in schema.shape)) delete copy[top];
    else return undefined;
  }
  const again = schema.safeParse(copy);
  return again.success ? again.data : undefined;
}

/** `Kind/name` as far as the raw document says, for errors found before the schema accepts it. */
function resourceOf(raw: Record<string, unknown>): string | undefined {
  const kind = typeof raw.kind === 'string' ? raw.kind : undefined;
  const metadata = raw.metadata;
  const name = typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, unknown>).name : undefined;
  if (kind === undefined) return undefined;
  return typeof name === 'string' ? `${kind}/${name}` : kind;
}

/**
 * Finds a field by path in the YAML tree: the position of its key (or list
 * item); where the path runs out, the nearest enclosing field, so a missing
 * field is reported at its parent.
 */
function positionFinder(yamlDocument: YamlDocument.Parsed, at: (offset: number) => SourcePosition): PositionOf {
  return (path) => locate(yamlDocument, at, path).position;
}

/** The position of a field by path, and how many of the path's segments were found (Compose files merge by the deepest). */
export function locate(
  yamlDocument: YamlDocument.Parsed,
  at: (offset: number) => SourcePosition,
  path: readonly (string | number)[],
): { position: SourcePosition; depth: number } {
  let node: YamlNode | null = resolve(yamlDocument, yamlDocument.contents);
  let position = at(node?.range?.[0] ?? yamlDocument.range[0]);
  let depth = 0;
  for (const segment of path) {
    const step = childOf(yamlDocument, node, segment);
    if (!step) break;
    position = at(step.at);
    node = step.node;
    depth++;
  }
  return { position, depth };
}

function childOf(yamlDocument: YamlDocument.Parsed, node: YamlNode | null, segment: string | number): { at: number; node: YamlNode | null } | undefined {
  const { isMap, isScalar, isSeq } = yaml();
  if (isMap(node)) {
    for (const pair of node.items) {
      if (isScalar(pair.key) && String(pair.key.value) === String(segment)) {
        return { at: (pair.key as ParsedNode).range[0], node: resolve(yamlDocument, pair.value as YamlNode | null) };
      }
    }
    // A field brought in by a merge key (`<<: *defaults`) stands where the anchor defines it.
    for (const pair of node.items) {
      // With `merge` on, the parser marks merge keys with a symbol in place of the text `<<`.
      const key: unknown = isScalar(pair.key) ? pair.key.value : undefined;
      if (!(typeof key === 'symbol' && key.description === '<<')) continue;
      const merged = resolve(yamlDocument, pair.value as YamlNode | null);
      const sources = isSeq(merged) ? merged.items.map((item) => resolve(yamlDocument, item as YamlNode | null)) : [merged];
      for (const source of sources) {
        const found = childOf(yamlDocument, source, segment);
        if (found) return found;
      }
    }
    return undefined;
  }
  if (isSeq(node) && typeof segment === 'number') {
    const item = node.items[segment] as YamlNode | null | undefined;
    const range = item?.range;
    return item && range ? { at: range[0], node: resolve(yamlDocument, item) } : undefined;
  }
  return undefined;
}

function resolve(yamlDocument: YamlDocument.Parsed, node: YamlNode | null): YamlNode | null {
  if (yaml().isAlias(node)) return (node.resolve(yamlDocument) as YamlNode | undefined) ?? null;
  return node;
}
