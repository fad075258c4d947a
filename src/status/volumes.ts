/**
 * The volumes part of the status: every declared Volume and every volume this
 * instance made that no manifest declares any more, with its state, driver and
 * the containers that mount it; and each container's mounts. Pure, from the
 * last pass's observation and plan.
 */
import type { ObservedContainer, ObservedMount } from '../engine/port.js';
import { isAnonymousVolume } from '../engine/volumes.js';
import { LABELS, MANAGED_BY, isOwnedBy } from '../engine/labels.js';
import type { DesiredState } from '../manifests/model.js';
import type { ReconcileResult } from '../reconcile/reconcile.js';
import { recordedReclaimPolicy, usersOf } from '../reconcile/plan/volumes.js';
import { compare } from '../compare.js';

export type VolumeState = 'Healthy' | 'Degraded' | 'Missing' | 'Orphaned' | 'Adopted' | 'Unknown';

export interface VolumeStatus {
  name: string;
  /**
   * `Healthy`: there, as declared. `Degraded`: there, but its driver or options differ from the
   * manifest (`VolumeSpecDiffers`; it is never recreated). `Missing`: declared, not there.
   * `Orphaned`: made by this instance, declared no more, kept with its data. `Adopted`: declared,
   * and there, made by someone else: mounted as it is, never changed nor removed. `Unknown`: no pass yet.
   */
  state: VolumeState;
  reason?: string;
  message?: string;
  /** The manifest that declares it; for an orphan, the one that did. */
  source?: string;
  driver?: string;
  external?: boolean;
  reclaimPolicy?: 'Retain' | 'Delete';
  /** The containers, running or not, that mount it. */
  usedBy: string[];
}

export function volumeStatuses(options: { desired: DesiredState; instance: string; lastPass?: ReconcileResult }): VolumeStatus[] {
  const { desired, instance, lastPass } = options;
  const declared = desired.volumes ?? [];
  const observed = lastPass?.observed.volumes;
  const containers = lastPass?.observed.containers ?? [];
  if (!observed) {
    return declared.map((document) => ({ name: document.name, state: 'Unknown', source: document.source.file, driver: document.spec.driver, usedBy: [] }));
  }
  const found = new Map(observed.map((volume) => [volume.name, volume]));
  // The observation is from before the pass: what the pass made or removed is read from its outcomes.
  const done = new Set((lastPass?.outcomes ?? []).flatMap((outcome) => (outcome.ok ? [`${outcome.action.type} ${outcome.action.resource}`] : [])));
  const failures = new Map((lastPass?.errors ?? []).map((error) => [error.resource, error.message]));
  const problems = new Map((lastPass?.plan.problems ?? []).map((problem) => [problem.resource, problem.message]));
  const kept = new Map((lastPass?.plan.kept ?? []).map((entry) => [entry.resource, entry.reason]));
  const statuses: VolumeStatus[] = declared.map((document) => {
    const volume = found.get(document.name);
    const { spec } = document;
    const base = { name: document.name, source: document.source.file, driver: volume?.driver ?? spec.driver, external: spec.external, reclaimPolicy: spec.reclaimPolicy, usedBy: usersOf(document.name, containers) };
    const problem = problems.get(`Volume/${document.name}`);
    if (!volume) {
      if (done.has(`create-volume Volume/${document.name}`)) return { ...base, state: 'Healthy', message: 'created by the last pass' };
      return { ...base, state: 'Missing', message: problem ?? failures.get(`Volume/${document.name}`) ?? 'the volume does not exist' };
    }
    if (problem?.startsWith('VolumeSpecDiffers')) return { ...base, state: 'Degraded', reason: 'VolumeSpecDiffers', message: problem };
    if (!spec.external && !isOwnedBy(volume.labels, instance)) return { ...base, state: 'Adopted', message: adoptedMessage(volume.labels) };
    return { ...base, state: 'Healthy' };
  });
  const names = new Set(declared.map((document) => document.name));
  for (const volume of observed) {
    if (names.has(volume.name) || !isOwnedBy(volume.labels, instance) || done.has(`remove-volume Volume/${volume.name}`)) continue;
    statuses.push({
      name: volume.name,
      state: 'Orphaned',
      message: kept.get(`Volume/${volume.name}`) ?? `no manifest declares it; remove it by hand with \`docker volume rm ${volume.name}\``,
      ...(volume.labels[LABELS.source] ? { source: volume.labels[LABELS.source] } : {}),
      driver: volume.driver,
      reclaimPolicy: recordedReclaimPolicy(volume.labels),
      usedBy: usersOf(volume.name, containers),
    });
  }
  return statuses.sort((a, b) => compare(a.name, b.name));
}

/** Who made a declared volume this instance did not: another instance of mooring still decides whether it goes. */
function adoptedMessage(labels: Readonly<Record<string, string>>): string {
  if (labels[LABELS.managedBy] !== MANAGED_BY) return 'made outside mooring: mounted as it is, never changed nor removed (declare it `external: true` to say so)';
  const policy = recordedReclaimPolicy(labels);
  return `made by mooring instance "${labels[LABELS.instance] ?? ''}": mounted as it is, never changed nor removed by this one; ` +
    (policy === 'Delete' ? 'its reclaimPolicy Delete has that instance remove it once its manifests no longer declare it and no container uses it' : 'its reclaimPolicy is Retain');
}

/**
 * A container's mounts as the status shows them, e.g. `volume:pgdata:/data:rw`;
 * an anonymous volume (an image's VOLUME, carried over on recreate) says so.
 */
export function mountsOf(container: ObservedContainer | undefined): string[] | undefined {
  const mounts = container?.mounts;
  if (!mounts || mounts.length === 0) return undefined;
  return mounts.map(describeMount).sort(compare);
}

function describeMount(mount: ObservedMount): string {
  const access = mount.readOnly ? 'ro' : 'rw';
  if (isAnonymousVolume(mount)) return `volume:(anonymous ${mount.name!.slice(0, 12)}):${mount.target}:${access}`;
  if (mount.type === 'volume') return `volume:${mount.name ?? ''}:${mount.target}:${access}`;
  if (mount.type === 'tmpfs') return `tmpfs::${mount.target}:${access}`;
  return `${mount.type}:${mount.source}:${mount.target}:${access}`;
}
