/**
 * The volumes phase. Data is sacred: a volume is created when
 * missing, never changed, never removed to be recreated (a driver or option
 * change is reported as `VolumeSpecDiffers` and left), and removed only when
 * no manifest declares it, its own label says `reclaimPolicy: Delete`, the
 * usual prune guards allow, and no container that stays uses it.
 */
import type { DesiredState, Document } from '../../manifests/model.js';
import type { ObservedContainer, ObservedVolume, VolumeConfig } from '../../engine/port.js';
import { LABELS, isOwnedBy } from '../../engine/labels.js';
import type { Kept, Problem } from '../actions.js';
import { resourceKey } from '../actions.js';
import { compare } from '../../compare.js';
import type { PlanContext } from './context.js';
import { actionId } from './context.js';
import { volumeChanges } from './diff.js';
import { describeChanges } from '../format-plan.js';
import { ownedResource, withoutMooringLabels } from '../effective-config.js';

export interface EffectiveVolume {
  name: string;
  resource: string;
  source: string;
  external: boolean;
  reclaimPolicy: 'Retain' | 'Delete';
  /** With the ownership labels. */
  config: VolumeConfig;
  hash: string;
}

export function effectiveVolume(options: { document: Document<'Volume'>; instance: string }): EffectiveVolume {
  const { document, instance } = options;
  const { spec } = document;
  const hashed = { driver: spec.driver, driverOpts: spec.driverOpts, labels: withoutMooringLabels(spec.labels) };
  return {
    ...ownedResource({ kind: 'Volume', document, instance, hashed, labels: { [LABELS.reclaimPolicy]: spec.reclaimPolicy } }),
    external: spec.external,
    reclaimPolicy: spec.reclaimPolicy,
  };
}

export type VolumeStep =
  | { type: 'create-volume'; resource: string; reason: string; volume: VolumeConfig }
  | { type: 'remove-volume'; resource: string; reason: string; name: string; usedBy: string[] };

export interface VolumePlan {
  steps: VolumeStep[];
  problems: Problem[];
  kept: Kept[];
  /** Volumes containers cannot mount now, by resource, with why. */
  unusable: Map<string, string>;
}

export interface VolumePlanOptions {
  desired: DesiredState;
  instance: string;
  volumes: readonly ObservedVolume[];
  containers: readonly ObservedContainer[];
  /** Containers the plan removes: their volumes are free once they are gone. */
  removedContainers: ReadonlySet<string>;
  /** Set when nothing may be removed now, with why (a manifest fails to load; nothing declared). */
  pruneBlocked?: string;
}

/** Runs after prune: a volume freed by a container's removal goes after it. */
export function planVolumes(plan: PlanContext): void {
  if (!plan.observedVolumes) return;
  const removed = new Set([...plan.drafts.values()].flatMap((draft) => (draft.type === 'remove-container' ? [draft.name] : [])));
  const planned = volumeSteps({
    desired: plan.desired,
    instance: plan.instance,
    volumes: plan.observedVolumes,
    containers: plan.allContainers,
    removedContainers: removed,
    pruneBlocked: plan.unavailableSources() ?? (plan.declaresNothing() ? 'no manifest declares anything: nothing is removed' : undefined),
  });
  for (const [resource, message] of planned.unusable) plan.markUnusable(resource, message);
  plan.problems.push(...planned.problems);
  plan.kept.push(...planned.kept);
  for (const step of planned.steps) {
    if (step.type === 'create-volume') {
      plan.add({ type: 'create-volume', volume: step.volume, ...plan.base(step.type, step.resource, step.reason) });
    } else {
      plan.add({ type: 'remove-volume', name: step.name, ...plan.base(step.type, step.resource, step.reason), dependsOn: step.usedBy.map((user) => actionId('remove-container', user)) });
    }
  }
}

/** What the phase decides, as plain steps: pure, from the desired volumes and what the engine has. */
export function volumeSteps(options: VolumePlanOptions): VolumePlan {
  const { desired, instance } = options;
  const result: VolumePlan = { steps: [], problems: [], kept: [], unusable: new Map() };
  const observed = new Map(options.volumes.map((volume) => [volume.name, volume]));
  const declared = new Map((desired.volumes ?? []).map((document) => [document.name, effectiveVolume({ document, instance })]));

  for (const volume of declared.values()) {
    const found = observed.get(volume.name);
    if (volume.external) {
      if (!found) result.unusable.set(volume.resource, `external volume ${volume.name} does not exist; mooring never creates it`);
      continue;
    }
    if (!found) {
      result.steps.push({ type: 'create-volume', resource: volume.resource, reason: `declared in ${volume.source} and not present`, volume: volume.config });
      continue;
    }
    // One made by hand or by another tool is mounted as it is, and never changed nor removed.
    if (!isOwnedBy(found.labels, instance)) continue;
    const differences: string[] = [];
    const changes = found.labels[LABELS.specHash] === volume.hash ? [] : volumeChanges(found, volume.config);
    if (changes.length > 0) {
      differences.push(`${describeChanges(changes)}; mooring never removes a volume to recreate it: the volume is used as it is (to apply the change, move the data to a new volume and mount that)`);
    }
    // The policy is not in the hash: it changes nothing while declared, but the label is all that decides once no manifest does.
    const recorded = recordedReclaimPolicy(found.labels);
    if (recorded !== volume.reclaimPolicy) differences.push(reclaimPolicyDiffers(recorded, volume.reclaimPolicy));
    if (differences.length > 0) result.problems.push({ resource: volume.resource, message: `VolumeSpecDiffers: ${differences.join('; ')}` });
  }

  for (const volume of observed.values()) {
    if (declared.has(volume.name) || !isOwnedBy(volume.labels, instance)) continue;
    const resource = resourceKey('Volume', volume.name);
    const from = volume.labels[LABELS.source] ? ` (it came from ${volume.labels[LABELS.source]})` : '';
    if (recordedReclaimPolicy(volume.labels) !== 'Delete') {
      result.kept.push({ resource, reason: `Orphaned: no manifest declares it${from}; reclaimPolicy Retain keeps it and its data; remove it by hand with \`docker volume rm ${volume.name}\`` });
      continue;
    }
    if (options.pruneBlocked) {
      result.kept.push({ resource, reason: options.pruneBlocked });
      continue;
    }
    const users = usersOf(volume.name, options.containers);
    const staying = users.filter((name) => !options.removedContainers.has(name));
    if (staying.length > 0) {
      result.kept.push({ resource, reason: `no manifest declares it${from}, reclaimPolicy Delete: removed once unused; in use by ${staying.join(', ')}` });
      continue;
    }
    result.steps.push({ type: 'remove-volume', resource, name: volume.name, usedBy: users, reason: `no manifest declares it${from}; reclaimPolicy Delete, and no container uses it` });
  }
  return result;
}

/** The policy a volume mooring made was created with: Docker cannot change a volume's labels, so this is its policy for good. */
export function recordedReclaimPolicy(labels: Readonly<Record<string, string>>): 'Retain' | 'Delete' {
  return labels[LABELS.reclaimPolicy] === 'Delete' ? 'Delete' : 'Retain';
}

/**
 * A manifest that changed a volume's policy after mooring made it: the volume keeps the
 * old one, and a change to Retain that looked like it protected the data would not.
 */
function reclaimPolicyDiffers(recorded: 'Retain' | 'Delete', declared: 'Retain' | 'Delete'): string {
  const fate = recorded === 'Delete'
    ? 'it is removed, with its data, once no manifest declares it and no container uses it (to keep the data, move it to a new volume declared with Retain and mount that)'
    : 'it stays, with its data, once no manifest declares it, until removed by hand';
  return `reclaimPolicy: ${recorded} → ${declared}; Docker cannot change a volume's labels, so the volume keeps reclaimPolicy ${recorded}: ${fate}`;
}

/** The names of the containers, running or not, that mount a volume. */
export function usersOf(volume: string, containers: readonly ObservedContainer[]): string[] {
  return containers.filter((container) => container.mounts?.some((mount) => mount.type === 'volume' && mount.name === volume)).map((container) => container.name).sort(compare);
}
