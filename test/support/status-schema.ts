/** Validates status files against the published JSON Schema, `schema/status.schema.json`, with ajv. */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';

const schema = JSON.parse(readFileSync(new URL('../../schema/status.schema.json', import.meta.url), 'utf8')) as object;

// RFC 3339 date-times, as `Date#toISOString` writes them; ajv-formats is not a dependency for this one format.
const ajv = new Ajv({ allErrors: true, formats: { 'date-time': /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/ } });
const validate = ajv.compile(schema);

/** The schema violations of `status`, as `path: message` lines; empty when it is valid. */
export function statusSchemaErrors(status: unknown): string[] {
  if (validate(status)) return [];
  return (validate.errors ?? []).map((error) => `${error.instancePath || '/'}: ${error.message ?? 'invalid'}${error.params ? ` ${JSON.stringify(error.params)}` : ''}`);
}
