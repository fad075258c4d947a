/**
 * A built Container's image: what the engine is sent, and whether the local
 * image is current. The image carries the digest of the context and settings
 * it was built from in a label, so a plan can tell without building.
 */
import type { ImageBuild } from '../engine/port.js';
import { LABELS } from '../engine/labels.js';
import type { Document, ResolvedInputs } from '../manifests/model.js';

export type EffectiveBuild = { request: ImageBuild; digest: string; problem?: undefined } | { problem: string };

/** Undefined for a container that is not built. */
export function effectiveBuild(document: Document<'Container'>, inputs: ResolvedInputs | undefined): EffectiveBuild | undefined {
  const { build, image } = document.spec;
  if (!build) return undefined;
  const context = inputs?.builds?.get(document.name);
  if (!context) return { problem: 'its build context was not read' };
  if (context.error) return { problem: `${context.error.detail} (${context.error.file}:${context.error.line})` };
  const { directory, dockerfile, files, digest } = context.value;
  return {
    digest,
    request: {
      tag: image,
      context: directory,
      files,
      dockerfile,
      args: build.args,
      ...(build.target === undefined ? {} : { target: build.target }),
      labels: { [LABELS.buildDigest]: digest },
    },
  };
}
