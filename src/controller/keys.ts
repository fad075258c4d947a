/**
 * The work queue's keys. `*` stands for the whole desired state (read the
 * manifests again, then a pass); `Kind/name` for one resource (a pass, and the
 * resource's own backoff).
 */

/** The key that asks for the manifests to be read again and a full pass. */
export const ALL = '*';

const CONTAINER = 'Container/';

export function containerKey(name: string): string {
  return `${CONTAINER}${name}`;
}

/** The Container's name, when `key` names a Container. */
export function containerName(key: string): string | undefined {
  return key.startsWith(CONTAINER) ? key.slice(CONTAINER.length) : undefined;
}
