/**
 * Which container changes the engine applies in place (`POST /containers/{id}/update`)
 * rather than by recreating: resources and the restart policy. Pure, for the planner.
 *
 * The labels a container was created with do not follow an update (the engine
 * cannot change labels), so what was applied in place is read where the engine
 * keeps it: `ObservedContainer.runtime`, from the container's inspection. The
 * labels still tell which fields the manifest changed; the runtime tells
 * whether the change is made already, so the pass after an update is a no-op.
 */
import type { ObservedContainer } from '../../engine/port.js';
import type { ContainerUpdate, ObservedRuntime, ResourcesConfig } from '../../engine/runtime-config.js';
import { RESOURCE_FIELDS } from '../../engine/runtime-config.js';
import { formatSize } from '../../manifests/schema-runtime.js';
import type { FieldChange } from '../actions.js';
import type { EffectiveContainer } from '../effective-config.js';

const SIZES: ReadonlySet<keyof ResourcesConfig> = new Set(['memory', 'memorySwap', 'memoryReservation']);

export type InPlaceStep =
  | { kind: 'recreate'; reason: string }
  | { kind: 'update'; update: ContainerUpdate; changes: FieldChange[] }
  | { kind: 'none' };

export function isInPlaceField(field: string): boolean {
  return field === 'restartPolicy' || field.startsWith('resources.');
}

/** A resource as plans print it: sizes as `512m`. */
export function resourceValue(key: keyof ResourcesConfig, value: number | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return SIZES.has(key) && typeof value === 'number' && value > 0 ? formatSize(value) : String(value);
}

/**
 * What to do about a container, given the fields its labels say changed
 * (`labelChanges`, empty when its spec hash matches). A change of any other
 * field recreates it; so does a limit the manifest no longer sets, which the
 * engine cannot lift in place.
 */
export function inPlaceStep(options: { container: EffectiveContainer; observed: ObservedContainer; labelChanges: FieldChange[] }): InPlaceStep {
  const { container, observed, labelChanges } = options;
  const other = labelChanges.filter((change) => !isInPlaceField(change.field));
  if (other.length > 0) return { kind: 'recreate', reason: 'spec changed' };
  const want = container.creation.resources ?? {};
  const runtime: ObservedRuntime | undefined = observed.runtime;
  // Only a limit the labels recorded: a limit the engine reports but the labels do not may be the engine's own default.
  const lifted = labelChanges.find((change) => change.field.startsWith('resources.') && change.to === undefined);
  if (lifted) return { kind: 'recreate', reason: `${lifted.field} is no longer set, and the engine cannot lift a limit in place` };

  const changes: FieldChange[] = [];
  const update: ContainerUpdate = {};
  for (const key of RESOURCE_FIELDS) {
    const to = want[key];
    if (to === undefined) continue;
    const from = runtime?.resources[key];
    if (runtime ? from === to : !labelChanges.some((change) => change.field === `resources.${key}`)) continue;
    (update.resources ??= {})[key] = to as never;
    changes.push(change(`resources.${key}`, runtime ? resourceValue(key, from) : undefined, resourceValue(key, to), runtime === undefined));
  }
  const policy = container.creation.restartPolicy;
  if (runtime ? runtime.restartPolicy !== policy : labelChanges.some((entry) => entry.field === 'restartPolicy')) {
    update.restartPolicy = policy;
    changes.push(change('restartPolicy', runtime?.restartPolicy, policy, runtime === undefined));
  }
  if (changes.length === 0) return { kind: 'none' };
  // The whole set of limits goes along: the engine checks memory against swap with the values it is sent.
  if (update.resources) update.resources = { ...want };
  return { kind: 'update', update, changes };
}

function change(field: string, from: string | undefined, to: string | undefined, fromUnknown: boolean): FieldChange {
  const entry: FieldChange = { field };
  if (fromUnknown) entry.fromUnknown = true;
  else if (from !== undefined) entry.from = from;
  if (to !== undefined) entry.to = to;
  return entry;
}
