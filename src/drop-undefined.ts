/** Drops members whose value is undefined, so optional fields stay absent rather than present-but-undefined. */
export function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined)) as T;
}
