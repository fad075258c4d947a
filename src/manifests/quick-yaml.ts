/**
 * The YAML that manifests are nearly always written in, read in one pass over
 * its lines: block mappings and sequences of one-line scalars, one-line
 * `[a, b]` lists, `{}`, comments. Anything else (anchors, aliases, tags,
 * merge keys, block or multi-line scalars, escapes, flow mappings, tabs,
 * directives, duplicate keys, keys that are not strings, anything malformed)
 * gives `undefined`, and the caller parses the file with the `yaml` package,
 * which reports every error: so this never decides what is an error, and
 * what it returns is what the `yaml` package gives for the same text (its
 * values through `toJS()` under the YAML 1.2 core schema, its positions as
 * `locate` in parse.ts finds them), which test/unit/manifests/quick-yaml.test.ts
 * checks over every example and fixture and over generated documents.
 *
 * Why: the `yaml` package's lexer, parser and composer run cold in a one-shot
 * command (`mooring validate`, `mooring plan`), and took about half of its
 * time for 500 documents; this reads the same 148 KB in a few milliseconds.
 */

/** Where a key (in a mapping) or an item (in a sequence) starts, and where the fields of its value stand. */
interface Placed {
  at: number;
  outline: Outline;
}

/** The places within a value: a mapping's entries by key, a sequence's items; nothing within a scalar. */
type Outline = Map<string, Placed> | Placed[] | undefined;

interface Read {
  value: unknown;
  outline: Outline;
}

export interface QuickDocument {
  /** The document's mapping, as the `yaml` package's `toJS()` gives it. */
  value: Record<string, unknown>;
  /** The offset of its first key: where the `yaml` package's tree starts its contents. */
  at: number;
  outline: Map<string, Placed>;
}

export interface QuickYaml {
  /** The documents that are not empty, in order. */
  documents: QuickDocument[];
  /** The 1-based line and column of an offset, as the `yaml` package's `LineCounter` gives them. */
  linePos(offset: number): { line: number; col: number };
}

/** Thrown, always the same object, where the text leaves the subset; caught by {@link readQuickYaml} alone. */
class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported('outside the quick subset of YAML');

/** Tabs, carriage returns, other control characters, byte-order marks and the Unicode line separators: the full parser's. */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const UNSUPPORTED_CHARACTER = /[\0-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/;

/** Deeper than this, a file is left to the full parser (which reports nesting beyond its limits as an error). */
const MAX_DEPTH = 64;

/** Longer implicit keys are an error in YAML. */
const MAX_KEY_LENGTH = 1024;

/**
 * Reads `text` when it stays within the subset and holds at most
 * `maxDocuments` documents; otherwise undefined.
 */
export function readQuickYaml(text: string, maxDocuments: number): QuickYaml | undefined {
  if (UNSUPPORTED_CHARACTER.test(text)) return undefined;
  const reader = new LineReader(text);
  try {
    const documents = reader.documents(maxDocuments);
    return { documents, linePos: (offset) => reader.linePos(offset) };
  } catch (error) {
    if (error === UNSUPPORTED) return undefined;
    throw error;
  }
}

/**
 * The offset of the field at `path` in a document: of its key in a mapping,
 * of the item in a sequence; where the path runs out, of the nearest enclosing field.
 */
export function locateQuick(document: QuickDocument, path: readonly (string | number)[]): number {
  let at = document.at;
  let outline: Outline = document.outline;
  for (const segment of path) {
    const step: Placed | undefined = outline instanceof Map ? outline.get(String(segment)) : Array.isArray(outline) && typeof segment === 'number' ? outline[segment] : undefined;
    if (!step) break;
    at = step.at;
    outline = step.outline;
  }
  return at;
}

class LineReader {
  readonly #lines: string[];
  /** The offset of each line's first character. */
  readonly #starts: number[];
  /** The line being read. */
  #line = 0;
  /** The current document's first line after it. */
  #end = 0;

  constructor(text: string) {
    this.#lines = text.split('\n');
    this.#starts = new Array<number>(this.#lines.length);
    let offset = 0;
    for (let index = 0; index < this.#lines.length; index++) {
      this.#starts[index] = offset;
      offset += this.#lines[index]!.length + 1;
    }
  }

  linePos(offset: number): { line: number; col: number } {
    let low = 0;
    let high = this.#starts.length;
    // The last line starting at or before `offset`.
    while (high - low > 1) {
      const middle = (low + high) >> 1;
      if (this.#starts[middle]! <= offset) low = middle;
      else high = middle;
    }
    return { line: low + 1, col: offset - this.#starts[low]! + 1 };
  }

  documents(maxDocuments: number): QuickDocument[] {
    const documents: QuickDocument[] = [];
    let count = 0;
    let first = 0;
    for (let index = 0; index <= this.#lines.length; index++) {
      if (index < this.#lines.length && !this.#isMarker(this.#lines[index]!)) continue;
      // Counted whether empty or not, as the full parser may count them: past the limit, it says so.
      if (++count > maxDocuments) throw UNSUPPORTED;
      this.#line = first;
      this.#end = index;
      const document = this.#document();
      if (document) documents.push(document);
      first = index + 1;
    }
    return documents;
  }

  /** A `---` line (with a comment at most) ends a document; `...`, a directive or content after `---` leaves the subset. */
  #isMarker(line: string): boolean {
    const code = line.charCodeAt(0);
    if (code === 0x25 /* % */) throw UNSUPPORTED;
    if (code !== 0x2d /* - */ && code !== 0x2e /* . */) return false;
    if (!(line.startsWith('---') || line.startsWith('...')) || (line.length > 3 && line[3] !== ' ')) return false;
    if (code === 0x2e || !isBlankOrComment(line, 3)) throw UNSUPPORTED;
    return true;
  }

  /** The document between `#line` and `#end`: a block mapping at column 0, or nothing. */
  #document(): QuickDocument | undefined {
    const indent = this.#nextContent();
    if (indent < 0) return undefined;
    if (indent > 0 || isSequenceItem(this.#lines[this.#line]!, 0)) throw UNSUPPORTED;
    const at = this.#offset(0);
    // A mapping at column 0 reads to the document's end: any other line with content is one of its keys, or outside the subset.
    const { value, outline } = this.#mapping(0, false, 0);
    return { value, at, outline };
  }

  /** Skips blank and comment lines: the indentation of the next line with content, or -1 at the document's end. */
  #nextContent(): number {
    for (; this.#line < this.#end; this.#line++) {
      const line = this.#lines[this.#line]!;
      const indent = skipSpaces(line, 0);
      if (indent < line.length && line.charCodeAt(indent) !== 0x23 /* # */) return indent;
    }
    return -1;
  }

  #offset(column: number): number {
    return this.#starts[this.#line]! + column;
  }

  /**
   * A block mapping whose keys stand at `indent`; `inline`: its first key is
   * on the current line, after a sequence's `- `.
   */
  #mapping(indent: number, inline: boolean, depth: number): { value: Record<string, unknown>; outline: Map<string, Placed> } {
    if (depth > MAX_DEPTH) throw UNSUPPORTED;
    const value: Record<string, unknown> = {};
    const outline = new Map<string, Placed>();
    for (let first = inline; ; first = false) {
      if (!first) {
        const lineIndent = this.#nextContent();
        if (lineIndent < indent) break;
        if (lineIndent > indent) throw UNSUPPORTED;
      }
      const line = this.#lines[this.#line]!;
      const key = keyAt(line, indent);
      if (!key || outline.has(key.key)) throw UNSUPPORTED;
      const at = this.#offset(indent);
      const read = this.#value(line, key.colon + 1, indent, depth);
      setEntry(value, key.key, read.value);
      outline.set(key.key, { at, outline: read.outline });
    }
    return { value, outline };
  }

  /** The value of the key whose `:` ends before `column`: on the rest of the line, or on the lines below, or null. */
  #value(line: string, column: number, indent: number, depth: number): Read {
    const start = skipSpaces(line, column);
    if (start === line.length || line.charCodeAt(start) === 0x23 /* # */) {
      this.#line++;
      const next = this.#nextContent();
      if (next > indent) return isSequenceItem(this.#lines[this.#line]!, next) ? this.#sequence(next, depth + 1) : this.#mapping(next, false, depth + 1);
      // A sequence may stand at its key's own indentation.
      if (next === indent && isSequenceItem(this.#lines[this.#line]!, next)) return this.#sequence(next, depth + 1);
      return { value: null, outline: undefined };
    }
    const read = this.#inline(line, start);
    this.#line++;
    return read;
  }

  /** A block sequence whose `- ` stand at `indent`. */
  #sequence(indent: number, depth: number): { value: unknown[]; outline: Placed[] } {
    if (depth > MAX_DEPTH) throw UNSUPPORTED;
    const value: unknown[] = [];
    const outline: Placed[] = [];
    for (;;) {
      const lineIndent = this.#nextContent();
      if (lineIndent < indent) break;
      if (lineIndent > indent) throw UNSUPPORTED;
      const line = this.#lines[this.#line]!;
      // A key at the same indentation: the mapping this sequence is the value of goes on.
      if (!isSequenceItem(line, indent)) break;
      const start = skipSpaces(line, indent + 1);
      // An item on the lines below the `-`, an empty one, a sequence in a sequence.
      if (start === line.length || line.charCodeAt(start) === 0x23 /* # */ || isSequenceItem(line, start)) throw UNSUPPORTED;
      const at = this.#offset(start);
      let read: Read;
      if (keyAt(line, start)) {
        read = this.#mapping(start, true, depth + 1);
      } else {
        read = this.#inline(line, start);
        this.#line++;
      }
      value.push(read.value);
      outline.push({ at, outline: read.outline });
    }
    return { value, outline };
  }

  /** A scalar, `[...]` or `{}` from `start` to the line's end (or its comment). */
  #inline(line: string, start: number): Read {
    const code = line.charCodeAt(start);
    if (code === 0x22 /* " */ || code === 0x27 /* ' */) {
      const quoted = quotedAt(line, start);
      expectEnd(line, quoted.end);
      return { value: quoted.value, outline: undefined };
    }
    if (code === 0x5b /* [ */ || code === 0x7b /* { */) {
      const { value, outline, end } = this.#flow(line, start, 0);
      expectEnd(line, end);
      return { value, outline };
    }
    if (!isPlainStart(line, start, false)) throw UNSUPPORTED;
    let end = line.indexOf(' #', start);
    if (end < 0) end = line.length;
    while (line.charCodeAt(end - 1) === 0x20) end--;
    const source = line.slice(start, end);
    // A second `key: value` on the line, or a key with its value below: not a scalar.
    if (source.includes(': ') || source.endsWith(':')) throw UNSUPPORTED;
    return { value: resolvePlain(source), outline: undefined };
  }

  /** `[a, "b", 3]`, `{a: 1, b: [c]}`: a flow collection that closes on its line; `end`: after its closing bracket. */
  #flow(line: string, open: number, depth: number): Read & { end: number } {
    if (depth > MAX_DEPTH) throw UNSUPPORTED;
    const isMapping = line.charCodeAt(open) === 0x7b; /* { */
    const close = isMapping ? 0x7d /* } */ : 0x5d; /* ] */
    const mapping: Record<string, unknown> = {};
    const entries = new Map<string, Placed>();
    const sequence: unknown[] = [];
    const items: Placed[] = [];
    let column = skipSpaces(line, open + 1);
    while (line.charCodeAt(column) !== close) {
      const at = this.#offset(column);
      if (isMapping) {
        const key = flowScalarAt(line, column);
        // A key of another type, a merge key, a space before the `:`, no value.
        if (typeof key.value !== 'string' || (key.plain && key.value === '<<') || entries.has(key.value) || key.end - column > MAX_KEY_LENGTH) throw UNSUPPORTED;
        if (line.charCodeAt(key.end) !== 0x3a /* : */ || line.charCodeAt(key.end + 1) !== 0x20) throw UNSUPPORTED;
        const value = this.#flowNode(line, skipSpaces(line, key.end + 1), depth);
        setEntry(mapping, key.value, value.value);
        entries.set(key.value, { at, outline: value.outline });
        column = skipSpaces(line, value.end);
      } else {
        const item = this.#flowNode(line, column, depth);
        sequence.push(item.value);
        items.push({ at, outline: item.outline });
        column = skipSpaces(line, item.end);
      }
      const next = line.charCodeAt(column);
      if (next === close) break;
      if (next !== 0x2c /* , */) throw UNSUPPORTED;
      column = skipSpaces(line, column + 1);
      // A trailing comma, an empty entry.
      if (line.charCodeAt(column) === close || line.charCodeAt(column) === 0x2c) throw UNSUPPORTED;
    }
    const end = column + 1;
    return isMapping ? { value: mapping, outline: entries, end } : { value: sequence, outline: items, end };
  }

  #flowNode(line: string, column: number, depth: number): Read & { end: number } {
    const code = line.charCodeAt(column);
    if (code === 0x5b /* [ */ || code === 0x7b /* { */) return this.#flow(line, column, depth + 1);
    const scalar = flowScalarAt(line, column);
    return { value: scalar.value, outline: undefined, end: scalar.end };
  }
}

/** What ends a plain scalar in `[...]` or `{...}`: the caller takes `,`, a closing bracket or (after a key) `: `; the rest leaves the subset. */
const FLOW_PLAIN_END = ',[]{}:#';

/** A quoted or plain scalar in `[...]` or `{...}`; `end`: where it ends, before any spaces after a plain one. */
function flowScalarAt(line: string, column: number): { value: unknown; end: number; plain: boolean } {
  const code = line.charCodeAt(column);
  if (code === 0x22 /* " */ || code === 0x27 /* ' */) return { ...quotedAt(line, column), plain: false };
  if (!isPlainStart(line, column, true)) throw UNSUPPORTED;
  let end = column;
  while (end < line.length && !FLOW_PLAIN_END.includes(line[end]!)) end++;
  while (line.charCodeAt(end - 1) === 0x20) end--;
  return { value: resolvePlain(line.slice(column, end)), end, plain: true };
}

function skipSpaces(line: string, column: number): number {
  while (line.charCodeAt(column) === 0x20) column++;
  return column;
}

function isBlankOrComment(line: string, column: number): boolean {
  const start = skipSpaces(line, column);
  return start === line.length || (start > column && line.charCodeAt(start) === 0x23 /* # */);
}

/** Nothing but spaces, or a comment after at least one, from `column` to the line's end. */
function expectEnd(line: string, column: number): void {
  if (column < line.length && !isBlankOrComment(line, column)) throw UNSUPPORTED;
}

function isSequenceItem(line: string, column: number): boolean {
  return line.charCodeAt(column) === 0x2d /* - */ && (column + 1 === line.length || line.charCodeAt(column + 1) === 0x20);
}

/** The characters a plain scalar may not start with (the quotes are read before this is asked). */
const INDICATORS = ',[]{}#&*!|>\'"%@`';

/** Whether a plain scalar may start at `column`: not an indicator, nor `-`, `?` or `:` before a space (or, in `[...]`, before a flow indicator). */
function isPlainStart(line: string, column: number, inFlow: boolean): boolean {
  const first = line[column];
  if (first === undefined || INDICATORS.includes(first)) return false;
  if (first !== '-' && first !== '?' && first !== ':') return true;
  const next = line[column + 1];
  return next !== undefined && next !== ' ' && !(inFlow && ',[]{}'.includes(next));
}

/**
 * The key that starts at `column`, when the line holds `key:` there (followed
 * by a space or the line's end); undefined when what starts there is a
 * scalar; throws for a key the full parser must read.
 */
function keyAt(line: string, column: number): { key: string; colon: number } | undefined {
  const code = line.charCodeAt(column);
  // `[...]` or `{...}`: a value (a key of that kind leaves the subset where the value is read).
  if (code === 0x5b /* [ */ || code === 0x7b /* { */) return undefined;
  let key: string;
  let colon: number;
  if (code === 0x22 /* " */ || code === 0x27 /* ' */) {
    const quoted = quotedAt(line, column);
    colon = quoted.end;
    if (line.charCodeAt(colon) !== 0x3a /* : */) return undefined;
    key = quoted.value;
  } else {
    colon = column;
    for (;;) {
      colon = line.indexOf(':', colon);
      if (colon < 0) return undefined;
      if (colon + 1 === line.length || line.charCodeAt(colon + 1) === 0x20) break;
      colon++;
    }
    key = line.slice(column, colon);
    const comment = key.indexOf(' #');
    if (comment >= 0) return undefined;
    // `<<` is a merge key; `true`, `1`, `~` are keys of other types; a space before the `:`.
    if (!isPlainStart(line, column, false) || key === '<<' || key.endsWith(' ') || typeof resolvePlain(key) !== 'string') throw UNSUPPORTED;
  }
  if (colon + 1 < line.length && line.charCodeAt(colon + 1) !== 0x20) throw UNSUPPORTED;
  if (colon - column > MAX_KEY_LENGTH) throw UNSUPPORTED;
  return { key, colon };
}

/** A quoted scalar closed on the same line: double quotes without escapes, or single quotes (`''` for `'`). */
function quotedAt(line: string, column: number): { value: string; end: number } {
  const quote = line[column]!;
  if (quote === '"') {
    const close = line.indexOf('"', column + 1);
    const value = close < 0 ? '' : line.slice(column + 1, close);
    if (close < 0 || value.includes('\\')) throw UNSUPPORTED;
    return { value, end: close + 1 };
  }
  let close = column;
  for (;;) {
    close = line.indexOf("'", close + 1);
    if (close < 0) throw UNSUPPORTED;
    if (line[close + 1] !== "'") break;
    close++;
  }
  return { value: line.slice(column + 1, close).replaceAll("''", "'"), end: close + 1 };
}

/** As the `yaml` package sets a key on the object `toJS()` builds: an inherited name (`__proto__`, `toString`) becomes an own property. */
function setEntry(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key in object) Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  else object[key] = value;
}

const NULL = /^(?:~|[Nn]ull|NULL)$/;
const BOOLEAN = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const OCTAL = /^0o[0-7]+$/;
const INTEGER = /^[-+]?[0-9]+$/;
const HEXADECIMAL = /^0x[0-9a-fA-F]+$/;
const INFINITY_OR_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const EXPONENT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** A plain scalar's value under the YAML 1.2 core schema, its tags tried in the `yaml` package's order. */
export function resolvePlain(source: string): unknown {
  if (NULL.test(source)) return null;
  if (BOOLEAN.test(source)) return source[0] === 't' || source[0] === 'T';
  if (OCTAL.test(source)) return parseInt(source.substring(2), 8);
  if (INTEGER.test(source)) return parseInt(source, 10);
  if (HEXADECIMAL.test(source)) return parseInt(source.substring(2), 16);
  if (INFINITY_OR_NAN.test(source)) return source.slice(-3).toLowerCase() === 'nan' ? NaN : source[0] === '-' ? -Infinity : Infinity;
  if (EXPONENT.test(source) || FLOAT.test(source)) return parseFloat(source);
  return source;
}
