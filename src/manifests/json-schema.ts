import { z } from 'zod';
import { manifestSchema } from './schema.js';

/** The JSON Schema of one manifest document, as committed in `schema/mooring.schema.json`. */
export function manifestJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(manifestSchema, { io: 'input', target: 'draft-7' }),
    $id: 'https://mooring.dev/schema/mooring.schema.json',
    title: 'mooring manifest (mooring/v1)',
  };
}
