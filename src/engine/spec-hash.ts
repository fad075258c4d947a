import { createHash } from 'node:crypto';
import { compare } from '../compare.js';

/** JSON with object keys sorted and undefined members dropped, so equal values always serialize alike. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) => {
    if (member && typeof member === 'object' && !Array.isArray(member)) {
      return Object.fromEntries(Object.entries(member).filter(([, v]) => v !== undefined).sort(([a], [b]) => compare(a, b)));
    }
    return member;
  });
}

/** A short, stable hash of a normalized spec; stored in the `LABELS.specHash` label. */
export function specHash(normalized: unknown): string {
  return createHash('sha256').update(canonicalJson(normalized)).digest('hex').slice(0, 16);
}
