/**
 * Whether a container still runs the image its tag names (a `docker pull`,
 * `docker tag` or build by hand moves the tag, not the container), and whether
 * a built image is current.
 */
import type { ObservedContainer, ObservedImage } from '../../engine/port.js';
import { LABELS } from '../../engine/labels.js';
import type { EffectiveBuild } from '../effective-build.js';
import { normalizeImage } from '../effective-config.js';

/** The reason to recreate `observed` when the tag of `image` now points to another image than it runs; undefined otherwise (or when unknown). */
export function imageMoved(image: string, observed: ObservedContainer, images: ReadonlyMap<string, ObservedImage>): string | undefined {
  // A reference by digest names one image for good.
  const now = image.includes('@') ? undefined : images.get(normalizeImage(image))?.id;
  if (!now || !observed.imageId || now === observed.imageId) return undefined;
  return `the image changed: ${image} now points to ${short(now)}, the container runs ${short(observed.imageId)}`;
}

/** Why the image must be built before the container is made again; undefined when the local one is current. */
export function buildNeeded(build: EffectiveBuild, images: ReadonlyMap<string, ObservedImage>): string | undefined {
  if (build.problem !== undefined) return undefined;
  const local = images.get(normalizeImage(build.request.tag));
  if (!local) return `no image ${build.request.tag} is present`;
  if (local.labels[LABELS.buildDigest] !== build.digest) return `its build context or settings changed since image ${build.request.tag} was built`;
  return undefined;
}

function short(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
