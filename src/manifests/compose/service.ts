/**
 * One Compose service → a Container (and the PortPublishes its ports become),
 * attribute by attribute through the table.
 */
import type { ProjectNames, ServiceTranslation } from './context.js';
import { ComposeValueError, isMapping } from './context.js';
import type { Lookup, TreePath } from './interpolate.js';
import { SERVICE_ATTRIBUTES } from './attributes.js';
import { hasContainerField } from './schema-fields.js';
import { translateNetworking } from './networks.js';
import { didYouMean } from '../did-you-mean.js';
import { describeValue } from '../schema-issues.js';

export function translateService(options: {
  names: ProjectNames;
  service: string;
  attributes: unknown;
  lookup: Lookup;
  /** A problem at a path under `services.<service>`. */
  problem(path: TreePath, message: string): void;
}): ServiceTranslation | undefined {
  const { names, service, problem } = options;
  if (!isMapping(options.attributes)) {
    problem([], `expected a mapping of attributes, got ${describeValue(options.attributes)}`);
    return undefined;
  }
  const container = names.containers.get(service)!;
  const translation: ServiceTranslation = {
    names,
    service,
    container,
    attributes: options.attributes,
    // Compose's default is `no`; mooring's own default differs, so the translation always says it.
    spec: { restartPolicy: 'no' },
    origins: new Map(),
    networkKeys: [],
    documents: [],
    lookup: options.lookup,
    problem,
  };
  for (const [attribute, value] of Object.entries(options.attributes)) {
    if (attribute.startsWith('x-')) continue;
    const row = SERVICE_ATTRIBUTES[attribute];
    if (row === undefined) {
      problem([attribute], `unknown attribute \`${attribute}\`${didYouMean(attribute, Object.keys(SERVICE_ATTRIBUTES))}`);
      continue;
    }
    if ('readBy' in row || value === null) continue;
    if ('unsupported' in row) {
      problem([attribute], `\`${attribute}\` is not supported: ${row.unsupported}`);
      continue;
    }
    if ('needs' in row && !hasContainerField(row.needs)) {
      problem([attribute], `mooring cannot represent \`${attribute}\` yet: it needs the Container field \`${row.needs}\` (${row.issue})`);
      continue;
    }
    try {
      row.translate(value, translation, attribute);
    } catch (error) {
      if (!(error instanceof ComposeValueError)) throw error;
      problem([attribute, ...error.at], error.message);
    }
  }
  if (translation.spec.image === undefined) problem([], 'expected `image` or `build`');
  translateNetworking(translation);
  return translation;
}
