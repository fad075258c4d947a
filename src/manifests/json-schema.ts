import { z } from 'zod';
import { manifestSchema } from './schema.js';
import { policyFileSchema } from './policy.js';

/** The JSON Schema of one manifest document, as committed in `schema/mooring.schema.json`. */
export function manifestJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(manifestSchema, { io: 'input', target: 'draft-7' }),
    $id: 'https://mooring.dev/schema/mooring.schema.json',
    title: 'mooring manifest (mooring/v1)',
  };
}

/** The JSON Schema of a `--policy` file, as committed in `schema/policy.schema.json`. */
export function policyJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(policyFileSchema, { io: 'input', target: 'draft-7' }),
    $id: 'https://mooring.dev/schema/policy.schema.json',
    title: "mooring daemon policy (--policy FILE): what manifests may ask of the host beyond baseline",
  };
}
