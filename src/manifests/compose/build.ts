/**
 * `build` → the Container's `build`, and the image it is tagged as. The
 * context is resolved against the project directory, as Compose does; an
 * attribute mooring's build does not have is refused at its line, never
 * dropped. Without `image`, the image is named `<project>-<service>` as
 * `docker compose` (v2) names it.
 */
import { isAbsolute, resolve } from 'node:path';
import type { ServiceTranslation } from './context.js';
import { ComposeValueError, expectMapping, expectString, setField } from './context.js';
import { environment } from './service-basics.js';

/** The `build` attributes mooring's build reads; the others are refused, with what to do. */
const READ = new Set(['context', 'dockerfile', 'args', 'target']);

export function build(value: unknown, translation: ServiceTranslation, attribute: string): void {
  // First: a build refused below leaves its one error, not a missing image too.
  if (!('image' in translation.attributes)) setField(translation, 'image', `${translation.names.project}-${translation.service}`, [attribute]);
  const settings = typeof value === 'string' ? { context: value } : expectMapping(value);
  for (const key of Object.keys(settings)) {
    if (key.startsWith('x-') || READ.has(key)) continue;
    throw new ComposeValueError(`\`build.${key}\` is not supported: mooring builds with context, dockerfile, args and target (build the image yourself and give \`image\` for more)`, [key]);
  }
  const context = settings.context === undefined ? '.' : expectString(settings.context);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(context) || context.startsWith('git@')) {
    throw new ComposeValueError(`expected a directory, got ${context}: mooring builds from local directories only`, typeof value === 'string' ? [] : ['context']);
  }
  const args = settings.args === undefined ? {} : environment(settings.args, translation);
  setField(translation, 'build', {
    context: isAbsolute(context) ? context : resolve(translation.names.directory, context),
    ...(settings.dockerfile === undefined ? {} : { dockerfile: expectString(settings.dockerfile) }),
    ...(Object.keys(args).length > 0 && { args }),
    ...(settings.target === undefined ? {} : { target: expectString(settings.target) }),
  }, [attribute]);
}
