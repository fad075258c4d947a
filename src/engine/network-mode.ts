/**
 * Network modes as they cross the `Engine` port: `bridge` (`DEFAULT_NETWORK`, the engine's default),
 * `host`, `none`, `container:<name>`, or the name of the container's first network.
 */

const CONTAINER_PREFIX = 'container:';

/** The mode of a container that shares `container`'s network namespace. */
export function containerMode(container: string): string {
  return `${CONTAINER_PREFIX}${container}`;
}

/** The container whose network namespace a mode shares, or undefined. */
export function namespaceOwner(mode: string): string | undefined {
  return mode.startsWith(CONTAINER_PREFIX) ? mode.slice(CONTAINER_PREFIX.length) : undefined;
}

/** Whether a container in this mode joins no network of its own: `host`, `none` or `container:<name>`. */
export function sharedNamespace(mode: string): boolean {
  return mode === 'host' || mode === 'none' || namespaceOwner(mode) !== undefined;
}
