/**
 * quick-yaml.ts reads the common subset of YAML without the `yaml` package;
 * whenever it reads a text, it must read what the `yaml` package reads: the
 * same values, the same positions, and no text that package finds an error in.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { Composer, LineCounter, Parser, stringify } from 'yaml';
import type { Document as YamlDocument } from 'yaml';
import { locate, MAX_ALIAS_COUNT, MAX_DOCUMENTS_PER_FILE, parseManifest } from '../../../src/manifests/parse.js';
import type { QuickDocument } from '../../../src/manifests/quick-yaml.js';
import { locateQuick, readQuickYaml } from '../../../src/manifests/quick-yaml.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Every YAML and JSON file of the examples and fixtures, and every `yaml` block of the docs. */
function corpus(): { name: string; text: string }[] {
  const texts: { name: string; text: string }[] = [];
  const walk = (directory: string) => {
    for (const entry of readdirSync(join(ROOT, directory)).sort()) {
      const path = `${directory}/${entry}`;
      if (statSync(join(ROOT, path)).isDirectory()) walk(path);
      else if (/\.(ya?ml|json)$/.test(entry)) texts.push({ name: path, text: readFileSync(join(ROOT, path), 'utf8') });
    }
  };
  walk('manifests');
  walk('test/fixtures');
  for (const page of ['README.md', ...readdirSync(join(ROOT, 'docs')).map((entry) => `docs/${entry}`)].filter((path) => path.endsWith('.md'))) {
    const markdown = readFileSync(join(ROOT, page), 'utf8');
    let index = 0;
    for (const [, block] of markdown.matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)) texts.push({ name: `${page} block ${++index}`, text: block! });
  }
  return texts;
}

/** Documents as the bench writes them: through the `yaml` package's `stringify`. */
function benchDocuments(): string {
  const labels = { 'bench.mooring.run': 'q' };
  const documents = [
    { apiVersion: 'mooring/v1', kind: 'Network', metadata: { name: 'q-n0' }, spec: { labels } },
    ...[0, 1, 2, 3].map((index) => ({
      apiVersion: 'mooring/v1',
      kind: 'Container',
      metadata: { name: `q-c${index}` },
      spec: { image: 'mooring/busybox:latest', pullPolicy: 'Never', command: ['sh', '-c', "trap 'exit 0' TERM; httpd -f -p 80 & wait"], env: { INDEX: String(index) }, labels, expose: [80], networks: [{ name: 'q-n0' }] },
    })),
    { apiVersion: 'mooring/v1', kind: 'Link', metadata: { name: 'q-c0-peer' }, spec: { from: 'q-c0', to: 'q-c1', alias: 'peer', network: 'q-n0', ports: [80] } },
    { apiVersion: 'mooring/v1', kind: 'PortPublish', metadata: { name: 'q-c0-http' }, spec: { container: 'q-c0', containerPort: 80, hostPort: 20000, hostIp: '127.0.0.1' } },
  ];
  return documents.map((document) => stringify(document)).join('---\n');
}

/** What the `yaml` package makes of a text, as parse.ts asks it. */
function fullParse(text: string) {
  const lineCounter = new LineCounter();
  const composer = new Composer({ uniqueKeys: true, merge: true, logLevel: 'error' });
  const documents = [...composer.compose(new Parser(lineCounter.addNewLine).parse(text))] as YamlDocument.Parsed[];
  return { documents, lineCounter };
}

/** Every path to a value in `value`, and each with a segment that leads nowhere. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const paths = [prefix, [...prefix, 'absent'], [...prefix, 7]];
  if (Array.isArray(value)) value.forEach((item, index) => paths.push(...pathsOf(item, [...prefix, index])));
  else if (typeof value === 'object' && value !== null) for (const [key, item] of Object.entries(value)) paths.push(...pathsOf(item, [...prefix, key]));
  return paths;
}

/** Whether `text` is read alike by both; throws where they differ. Returns whether quick-yaml.ts read it. */
function assertSameReading(text: string): boolean {
  const quick = readQuickYaml(text, MAX_DOCUMENTS_PER_FILE);
  if (quick === undefined) return false;
  const full = fullParse(text);
  const errors = full.documents.flatMap((document) => document.errors.map((error) => error.message));
  assert.deepEqual(errors, [], `quick-yaml read a text the yaml package refuses:\n${text}`);
  const contentful = full.documents.filter((document) => document.contents !== null && !(document.contents.range[0] === document.contents.range[1]));
  assert.equal(quick.documents.length, contentful.length, `documents of:\n${text}`);
  quick.documents.forEach((document: QuickDocument, index) => {
    const yamlDocument = contentful[index]!;
    assert.deepStrictEqual(document.value, yamlDocument.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), `values of:\n${text}`);
    const offset = (at: number) => ({ file: '', line: at, column: 0 });
    for (const path of pathsOf(document.value)) {
      const expected = locate(yamlDocument, offset, path).position.line;
      assert.equal(locateQuick(document, path), expected, `position of ${path.join('.')} in:\n${text}`);
      assert.deepEqual(quick.linePos(expected), full.lineCounter.linePos(expected));
    }
  });
  return true;
}

const CORPUS = corpus();

describe('quick-yaml: the common subset of YAML, read as the yaml package reads it', () => {
  it('reads each example, fixture and docs block alike, or leaves it to the yaml package', () => {
    let read = 0;
    for (const { name, text } of CORPUS) {
      try {
        if (assertSameReading(text)) read++;
      } catch (error) {
        assert.fail(`${name}: ${String(error)}`);
      }
    }
    // Most of them stay within the subset: what makes `mooring validate` fast is that it reads them.
    assert.ok(read > CORPUS.length / 2, `${read} of ${CORPUS.length}`);
  });

  it('reads every example manifest and the bench documents itself', () => {
    for (const { name, text } of CORPUS.filter((entry) => entry.name.startsWith('manifests/'))) assert.ok(assertSameReading(text), name);
    assert.ok(assertSameReading(benchDocuments()));
  });

  it('gives parseManifest the same documents, errors and positions as the yaml package does', () => {
    for (const { name, text } of [...CORPUS, { name: 'bench', text: benchDocuments() }]) {
      const quick = parseManifest(name, text);
      const full = parseManifest(name, text, { full: true });
      assert.deepEqual(quick.errors.map((error) => error.message), full.errors.map((error) => error.message), name);
      assert.equal(quick.failed, full.failed, name);
      const shape = (parsed: typeof quick) => ({
        documents: parsed.documents.map(({ kind, name, labels, spec, source }) => ({ kind, name, labels, spec, source })),
        invalid: parsed.invalid.map(({ kind, name, source, salvaged }) => ({ kind, name, source, salvaged: salvaged?.spec })),
      });
      assert.deepStrictEqual(shape(quick), shape(full), name);
      quick.documents.forEach((document, index) => {
        for (const path of pathsOf({ apiVersion: 1, kind: 1, metadata: { name: 1, labels: document.labels }, spec: document.spec })) {
          assert.deepEqual(document.positionOf(path), full.documents[index]!.positionOf(path), `${name}: ${path.join('.')}`);
        }
      });
    }
  });

  it('reads any text alike, or leaves it to the yaml package', () => {
    let read = 0;
    fc.assert(
      fc.property(yamlText, (text) => {
        if (assertSameReading(text)) read++;
      }),
      { numRuns: 1500 },
    );
    // The generated texts are meant to stay near the subset's edges, on both sides.
    assert.ok(read > 150, `read ${read} of 1500`);
  });

  it("reads the yaml package's own output of any document", () => {
    fc.assert(
      fc.property(fc.array(fc.dictionary(key, tree, { minKeys: 1, maxKeys: 4 }), { minLength: 1, maxLength: 3 }), fc.boolean(), (documents, flow) => {
        const text = documents.map((document) => stringify(document, { flowCollectionPadding: flow })).join('---\n');
        assertSameReading(text);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves to the yaml package what it does not read: errors are its to report', () => {
    for (const text of [
      'a: 1\na: 2\n',
      'a: &x 1\nb: *x\n',
      'base: &b {x: 1}\nc:\n  <<: *b\n',
      'a: |\n  text\n',
      'a: "tab\\there"\n',
      'a: b\n  c\n',
      'a:\tb\n',
      'a: 1\r\nb: 2\r\n',
      '- a\n- b\n',
      'just a scalar\n',
      '%YAML 1.2\n---\na: 1\n',
      'a: [1,\n  2]\n',
      'a: {b: *x}\n',
      '1: one\n',
      'a: b: c\n',
    ]) {
      assert.equal(readQuickYaml(text, MAX_DOCUMENTS_PER_FILE), undefined, text);
    }
    assert.equal(readQuickYaml('a: 1\n---\nb: 2\n', 1), undefined, 'more documents than the limit');
  });
});

/** Scalars near the core schema's edges and YAML's indicators. */
const scalarText = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z0-9][-a-z0-9 .:/#]{0,8}$/) },
  fc.constantFrom('a', 'web', 'null', 'Null', 'NULL', '~', 'true', 'False', 'TRUE', 'yes', '0', '-0', '+12', '007', '0o17', '0o8', '0x1F', '0xg', '1e3', '-1.5E-2', '.5', '1.', '1.0', '.inf', '-.Inf', '.NaN', '.nan', '12:30', '10.0.0.0/24', 'a b', '__proto__', 'toString', 'constructor', '<<', 'it\'s', 'x#y', 'a:b', 'http://x', '-c', '?x', ':x', '- x', '? x', ': x', '---', '...', '', ' ', 'é', '日本'),
  fc.stringMatching(/^[-a-z0-9 #:?,[\]{}"'&*!|>%@`.~+\\<]{1,8}$/),
);

const key = fc.oneof({ weight: 6, arbitrary: fc.stringMatching(/^[a-z][-a-z0-9.]{0,5}$/) }, fc.constantFrom('a', 'b', 'name', 'spec', 'x.y/z', '__proto__', 'toString', '1', 'null', '<<', 'a b', '-k', 'k#', "'q'", '"d"'), fc.stringMatching(/^[-a-z0-9 #:?'"]{1,6}$/));

type Tree = string | Tree[] | { [key: string]: Tree };
const tree: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalarText, fc.array(tie('tree'), { maxLength: 3 }), fc.dictionary(key, tie('tree'), { maxKeys: 3 })),
})).tree;

/** How a text is written: where it may take either of YAML's ways of writing the same thing, or a wrong one. */
const style = fc.record({
  quote: fc.constantFrom('plain', 'plain', 'single', 'double'),
  indent: fc.integer({ min: 1, max: 4 }),
  sameIndentSequence: fc.boolean(),
  flow: fc.boolean(),
  comment: fc.constantFrom('', '', '', '', ' # note', ' #', '#bad', '  '),
  blank: fc.constantFrom('', '', '\n', '\n  # comment\n', '\n#\n'),
  dashSpaces: fc.constantFrom(' ', ' ', '   '),
});

function scalarLine(text: string, quote: string): string {
  if (quote === 'single') return `'${text.replaceAll("'", "''")}'`;
  if (quote === 'double') return JSON.stringify(text);
  return text;
}

/** Writes a tree as block YAML: plain scalars as they are, whatever they mean to YAML, so that some texts are read differently than the tree, or not at all. */
function render(value: Tree, indent: number, pick: () => Style): string[] {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  const inline = (item: Tree, s: Style): string | undefined => {
    if (typeof item === 'string') return scalarLine(item, s.quote) + s.comment;
    if (Array.isArray(item) && s.flow && item.every((entry) => typeof entry === 'string')) return `[${item.map((entry) => scalarLine(entry as string, s.quote)).join(', ')}]`;
    if (!Array.isArray(item) && Object.keys(item).length === 0) return '{}';
    if (Array.isArray(item) && item.length === 0) return '[]';
    return undefined;
  };
  if (Array.isArray(value)) {
    for (const item of value) {
      const s = pick();
      const text = inline(item, s);
      if (text !== undefined) lines.push(`${pad}-${s.dashSpaces}${text}`);
      else {
        const nested = render(item, indent + 1 + s.dashSpaces.length, pick);
        lines.push(`${pad}-${s.dashSpaces}${nested[0]!.trimStart()}`, ...nested.slice(1));
      }
      if (s.blank) lines.push(...s.blank.split('\n').slice(1, -1));
    }
    return lines;
  }
  for (const [entryKey, item] of Object.entries(value)) {
    const s = pick();
    const keyText = scalarLine(entryKey, s.quote === 'double' ? 'double' : 'plain');
    const text = inline(item, s);
    if (text !== undefined) lines.push(`${pad}${keyText}: ${text}`);
    else {
      lines.push(`${pad}${keyText}:${s.comment}`);
      lines.push(...render(item, Array.isArray(item) && s.sameIndentSequence ? indent : indent + s.indent, pick));
    }
    if (s.blank) lines.push(...s.blank.split('\n').slice(1, -1));
  }
  return lines;
}

type Style = { quote: string; indent: number; sameIndentSequence: boolean; flow: boolean; comment: string; blank: string; dashSpaces: string };

const yamlText = fc
  .tuple(fc.array(fc.dictionary(key, tree, { minKeys: 1, maxKeys: 4 }), { minLength: 1, maxLength: 3 }), fc.array(style, { minLength: 1, maxLength: 6 }), fc.constantFrom('---\n', '--- # next\n', '---\n\n'), fc.boolean(), fc.boolean())
  .map(([documents, styles, separator, leading, lastNewline]) => {
    let turn = 0;
    const pick = () => styles[turn++ % styles.length]!;
    const body = documents.map((document) => `${render(document, 0, pick).join('\n')}\n`).join(separator);
    return (leading ? separator : '') + (lastNewline ? body : body.slice(0, -1));
  });
