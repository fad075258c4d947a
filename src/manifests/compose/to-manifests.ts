/**
 * Translated documents → one mooring manifest file, each document with a
 * comment saying where in the Compose files it came from. Fields equal to the
 * schema's defaults are left out: the file reads as a person would write it,
 * and parses back to the very same specs (so the same spec hashes).
 */
import { stringify } from 'yaml';
import type { AnyDocument } from '../model.js';
import { API_VERSION, documentSchemas } from '../schema.js';
import { isDeepStrictEqual } from 'node:util';

const ORIGINS: Record<string, string> = {
  Network: 'network',
  Container: 'service',
  Link: 'links entry',
  PortPublish: 'ports entry',
  Probe: 'check',
  Volume: 'volume',
  Secret: 'secret',
};

export function manifestText(options: { project: string; file: string; documents: readonly AnyDocument[] }): string {
  const { project, file, documents } = options;
  const header = [
    `# Compose project ${project}, converted by \`mooring convert\` from ${file}.`,
    '# Every document says where it came from; applying this file runs the same containers as the Compose file.',
  ].join('\n');
  const body = documents.map((document) => {
    const { source } = document;
    const comment = `# from ${source.file}:${source.line}:${source.column} (${ORIGINS[document.kind] ?? document.kind})`;
    const data = {
      apiVersion: API_VERSION,
      kind: document.kind,
      metadata: { name: document.name, ...(Object.keys(document.labels).length > 0 ? { labels: document.labels } : {}) },
      spec: withoutDefaults(document),
    };
    return `${comment}\n${stringify(data, { lineWidth: 0 })}`;
  });
  return `${header}\n${body.map((text) => `---\n${text}`).join('')}`;
}

/** The spec without the fields that parse to what the schema would fill in anyway. */
function withoutDefaults(document: AnyDocument): Record<string, unknown> {
  const schema = documentSchemas[document.kind].shape.spec;
  const spec = { ...(document.spec as Record<string, unknown>) };
  const full = schema.parse(spec);
  for (const key of Object.keys(spec)) {
    const { [key]: _dropped, ...rest } = spec;
    const again = schema.safeParse(rest);
    if (again.success && isDeepStrictEqual(again.data, full)) delete spec[key];
  }
  return spec;
}
