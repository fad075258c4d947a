/** The label keys by which mooring recognizes what it owns. */
export const LABELS = {
  managedBy: 'io.mooring.managed-by',
  instance: 'io.mooring.instance',
  kind: 'io.mooring.kind',
  name: 'io.mooring.name',
  source: 'io.mooring.source',
  specHash: 'io.mooring.spec-hash',
  /** Short digests of each field of the normalized spec, so a plan can say which fields changed. */
  specFields: 'io.mooring.spec-fields',
  /** The container's stop timeout in seconds, for stopping it when no manifest declares it any more. */
  stopTimeout: 'io.mooring.stop-timeout',
  /** A volume's `reclaimPolicy`, for deciding its fate when no manifest declares it any more. */
  reclaimPolicy: 'io.mooring.reclaim-policy',
  /** On an image mooring built: the digest of the context and settings it was built from. */
  buildDigest: 'io.mooring.build-digest',
} as const;

export const MANAGED_BY = 'mooring';

/** The label by which Compose marks what it made with its project's name: the plan names that project when its names are taken. */
export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';

/** Whether a label key is one of mooring's own (`io.mooring.*`) rather than the user's. */
export function isMooringLabel(key: string): boolean {
  return key.startsWith('io.mooring.');
}

export interface OwnerLabels {
  instance: string;
  kind: 'Network' | 'Container' | 'Volume';
  name: string;
  source: string;
  specHash: string;
}

export function ownerLabels(owner: OwnerLabels): Record<string, string> {
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.instance]: owner.instance,
    [LABELS.kind]: owner.kind,
    [LABELS.name]: owner.name,
    [LABELS.source]: owner.source,
    [LABELS.specHash]: owner.specHash,
  };
}

/** Whether a resource carries this instance's ownership labels; mooring changes nothing else. */
export function isOwnedBy(labels: Record<string, string> | undefined, instance: string): boolean {
  return labels?.[LABELS.managedBy] === MANAGED_BY && labels[LABELS.instance] === instance;
}
