/**
 * One Compose file's text → its value, with the position of any field in it
 * and the merge tags (`!reset`, `!override`) an override file puts on fields.
 * Anchors, aliases and `<<:` merges are YAML's, as for mooring manifests. Pure.
 */
import { Composer, isCollection, isMap, isPair, isScalar, LineCounter, Parser, visit } from 'yaml';
import type { Document as YamlDocument } from 'yaml';
import type { SourcePosition } from '../errors.js';
import { ManifestError } from '../errors.js';
import { conversionErrorMessage, locate, MAX_ALIAS_COUNT, yamlErrorMessage } from '../parse.js';
import { errorMessage } from '../../errors.js';
import type { TreePath } from './interpolate.js';

export type MergeTag = '!reset' | '!override';

export interface ComposeYaml {
  file: string;
  value: Record<string, unknown>;
  /** The position of a field, and how many segments of the path exist in this file. */
  locate(path: TreePath): { position: SourcePosition; depth: number };
  /** Fields tagged `!reset` or `!override`, by their path joined with `\0`. */
  tags: Map<string, MergeTag>;
}

export const pathKey = (path: TreePath): string => path.join('\0');

export function parseComposeYaml(file: string, text: string): { yaml: ComposeYaml } | { errors: ManifestError[] } {
  const lineCounter = new LineCounter();
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col };
  };
  const documents: YamlDocument.Parsed[] = [];
  try {
    const composer = new Composer({ uniqueKeys: true, merge: true, logLevel: 'error' });
    for (const document of composer.compose(new Parser(lineCounter.addNewLine).parse(text))) documents.push(document as YamlDocument.Parsed);
  } catch (error) {
    return { errors: [new ManifestError(`cannot parse: ${errorMessage(error)}`, { file, line: 1, column: 1, cause: error })] };
  }
  const errors = documents.flatMap((document) => document.errors.map((error) => new ManifestError(yamlErrorMessage(error.code, error.message), at(error.pos[0]))));
  if (errors.length > 0) return { errors };
  if (documents.length > 1) {
    return { errors: [new ManifestError('expected one YAML document in a Compose file, got several: Compose reads only the first', at(documents[1]!.range[0]))] };
  }
  const document = documents[0];
  let value: unknown;
  try {
    value = document?.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? null;
  } catch (error) {
    return { errors: [new ManifestError(conversionErrorMessage(error), { file, line: 1, column: 1, cause: error })] };
  }
  if (value === null) value = {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { errors: [new ManifestError('expected a mapping with `services`', at(document?.contents?.range[0] ?? 0))] };
  }
  return {
    yaml: {
      file,
      value: value as Record<string, unknown>,
      locate: (path) => (document ? locate(document, at, path) : { position: { file, line: 1, column: 1 }, depth: 0 }),
      tags: document ? mergeTags(document) : new Map(),
    },
  };
}

/** The paths of the nodes tagged `!reset` or `!override`. */
function mergeTags(document: YamlDocument.Parsed): Map<string, MergeTag> {
  const tags = new Map<string, MergeTag>();
  visit(document, (_key, node, ancestors) => {
    if (!(isScalar(node) || isCollection(node)) || (node.tag !== '!reset' && node.tag !== '!override')) return;
    const path: TreePath = [];
    for (let i = 1; i < ancestors.length; i++) {
      const parent = ancestors[i - 1];
      const child = ancestors[i];
      if (isMap(parent) && isPair(child) && isScalar(child.key)) path.push(String(child.key.value));
      else if (isCollection(parent) && !isMap(parent)) path.push(parent.items.indexOf(child as never));
    }
    const last = ancestors[ancestors.length - 1];
    if (isCollection(last) && !isMap(last)) path.push(last.items.indexOf(node as never));
    tags.set(pathKey(path), node.tag);
  });
  return tags;
}
