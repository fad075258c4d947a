/**
 * One spelling per image reference, so that a manifest's `busybox` and the
 * engine's `docker.io/library/busybox:latest` name the same tag. A reference
 * by digest names one image for good and never moves: undefined.
 */
export function imageRef(image: string): string | undefined {
  if (image.includes('@')) return undefined;
  const slash = image.lastIndexOf('/');
  const tagged = image.slice(slash + 1).includes(':') ? image : `${image}:latest`;
  return tagged.replace(/^(docker\.io|index\.docker\.io)\//, '').replace(/^library\/(?=[^/]+$)/, '');
}
