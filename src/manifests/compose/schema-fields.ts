/** Which mooring fields and kinds exist: rows of the attribute table wait for theirs. */
import { containerSpec, KINDS } from '../schema.js';

export function hasContainerField(field: string): boolean {
  return field in containerSpec.shape;
}

export function hasKind(kind: string): boolean {
  return (KINDS as readonly string[]).includes(kind);
}
