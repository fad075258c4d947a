/** Whether a container still runs the image its tag names: a `docker pull`, `docker tag` or build by hand moves the tag, not the container. */
import type { ObservedContainer } from '../../engine/port.js';
import { normalizeImage } from '../effective-config.js';

/** The reason to recreate `observed` when the tag of `image` now points to another image than it runs; undefined otherwise (or when unknown). */
export function imageMoved(image: string, observed: ObservedContainer, images: ReadonlyMap<string, string>): string | undefined {
  // A reference by digest names one image for good.
  const now = image.includes('@') ? undefined : images.get(normalizeImage(image));
  if (!now || !observed.imageId || now === observed.imageId) return undefined;
  return `the image changed: ${image} now points to ${short(now)}, the container runs ${short(observed.imageId)}`;
}

function short(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
