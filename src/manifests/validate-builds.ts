/**
 * The rule across documents for builds: the Containers that build one image
 * build it alike. Two builds of one tag from different contexts or settings
 * would each find the other's image stale: every pass would build one, then
 * the other, and recreate both containers.
 */
import path from 'node:path';
import type { Document } from './model.js';

type Path = (string | number)[];
type Report = (document: Document<'Container'>, path: Path, detail: string) => void;

export function buildRules(containers: Iterable<Document<'Container'>>, report: Report): void {
  const first = new Map<string, { container: Document<'Container'>; build: string }>();
  for (const container of containers) {
    const { build, image } = container.spec;
    if (!build) continue;
    const settings = JSON.stringify([path.posix.join(path.posix.dirname(container.source.file), build.context), build.dockerfile, Object.entries(build.args).sort(), build.target ?? null]);
    const earlier = first.get(image);
    if (!earlier) {
      first.set(image, { container, build: settings });
    } else if (earlier.build !== settings) {
      const at = earlier.container.positionOf(['spec', 'build']);
      report(container, ['spec', 'build'], `image ${image} is also built by Container/${earlier.container.name} (${at.file}:${at.line}:${at.column}) from another context or settings: build it alike, or give each its own image`);
    }
  }
}
