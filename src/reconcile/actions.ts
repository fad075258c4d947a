/**
 * The steps of a plan. Each action says which resource it changes, why, which
 * fields changed, and which other actions must succeed first.
 */
import type { ContainerConfig, EndpointConfig, ImageBuild, NetworkConfig, VolumeConfig } from '../engine/port.js';
import type { SecretFile } from './effective-storage.js';
import type { ContainerUpdate } from '../engine/runtime-config.js';

export type PullPolicy = 'IfNotPresent' | 'Always' | 'Never';

/** One field that differs between what runs and what the manifests declare. */
export interface FieldChange {
  /** Dotted, e.g. `image`, `env.FOO`, `ipam.subnet`, `aliases`. */
  field: string;
  /** Absent: the field was not set (or, with `fromUnknown`, its old value was not recorded). */
  from?: string;
  /** Absent: the field is no longer set. */
  to?: string;
  /** The old value differs but cannot be observed (e.g. environment values). */
  fromUnknown?: boolean;
}

interface ActionBase {
  /** Stable across passes: `<type>:<name>` or `<type>:<container>:<network>`. */
  id: string;
  /** `Kind/name` of the resource the action changes; its failures are reported there. */
  resource: string;
  reason: string;
  changes: FieldChange[];
  /** Ids of the actions that must succeed before this one runs. */
  dependsOn: string[];
}

export interface CreateNetworkAction extends ActionBase {
  type: 'create-network';
  network: NetworkConfig;
}

/** Remove, then create: the network's containers are disconnected before and reconnected after by their own actions. */
export interface RecreateNetworkAction extends ActionBase {
  type: 'recreate-network';
  network: NetworkConfig;
  /** Id of the network to replace. */
  networkId: string;
}

export interface RemoveNetworkAction extends ActionBase {
  type: 'remove-network';
  name: string;
  networkId: string;
}

/** Makes the image of a container about to be created available, as its pull policy says, or builds it. */
export interface PullImageAction extends ActionBase {
  type: 'pull-image';
  container: string;
  image: string;
  policy: PullPolicy;
  /** Set: the image is built (and tagged `image`) instead. */
  build?: ImageBuild;
}

export interface CreateContainerAction extends ActionBase {
  type: 'create-container';
  /** Joins the first network at creation; the others are connected by `connect` actions. */
  container: ContainerConfig;
}

/** Stop and remove the old container, then create the new one. */
export interface RecreateContainerAction extends ActionBase {
  type: 'recreate-container';
  container: ContainerConfig;
  containerId: string;
  stopTimeoutSeconds: number;
}

/** Changes resources or the restart policy of the running container, which keeps its id. */
export interface UpdateContainerAction extends ActionBase {
  type: 'update-container';
  name: string;
  containerId: string;
  update: ContainerUpdate;
}

export interface StartContainerAction extends ActionBase {
  type: 'start-container';
  name: string;
  /** The container is paused: it is resumed, not started (the engine refuses to start a paused container). */
  unpause?: boolean;
  /**
   * For a container no other container is bound to by id: should the engine refuse to start it for good (it
   * kept the task of a start it was stopped in the middle of), replace it with a new container from this
   * config and start that. As with any recreate, volumes stay and the old container's own files go; it
   * could never run again to use them.
   */
  replaceIfUnstartable?: { container: ContainerConfig; containerId: string };
}

export interface StopContainerAction extends ActionBase {
  type: 'stop-container';
  name: string;
  stopTimeoutSeconds: number;
}

/** Stop (with the container's own timeout), then remove. */
export interface RemoveContainerAction extends ActionBase {
  type: 'remove-container';
  name: string;
  containerId: string;
  stopTimeoutSeconds: number;
}

export interface ConnectAction extends ActionBase {
  type: 'connect';
  container: string;
  endpoint: EndpointConfig;
}

export interface DisconnectAction extends ActionBase {
  type: 'disconnect';
  container: string;
  network: string;
}

export interface CreateVolumeAction extends ActionBase {
  type: 'create-volume';
  volume: VolumeConfig;
}

/** Only for a volume whose label says `reclaimPolicy: Delete`, once no manifest declares it and no container that stays mounts it. */
export interface RemoveVolumeAction extends ActionBase {
  type: 'remove-volume';
  name: string;
}

export type Action =
  | CreateNetworkAction
  | RecreateNetworkAction
  | RemoveNetworkAction
  | PullImageAction
  | CreateContainerAction
  | RecreateContainerAction
  | UpdateContainerAction
  | StartContainerAction
  | StopContainerAction
  | RemoveContainerAction
  | ConnectAction
  | DisconnectAction
  | CreateVolumeAction
  | RemoveVolumeAction;

export type ActionType = Action['type'];

/** A resource mooring cannot act on (a name held by something it does not own, a missing external network, ...). */
export interface Problem {
  resource: string;
  message: string;
  /** A condition reason more telling than `Blocked`, e.g. `SwarmUnavailable`. */
  reason?: string;
}

/** An owned resource no manifest declares that is kept on purpose. */
export interface Kept {
  resource: string;
  reason: string;
  /** Set while its removal waits out the daemon's prune delay: when it is due (clock ms). */
  removeAt?: number;
}

/** A declared container left unstarted this pass: a dependency it waits for is not ready. */
export interface Waiting {
  resource: string;
  reason: 'WaitingForDependency';
  message: string;
}

export interface Plan {
  /** In an order that respects `dependsOn`; independent actions may run in parallel. */
  actions: Action[];
  problems: Problem[];
  kept: Kept[];
  /** Containers whose start waits for a dependency to be healthy or completed. Absent: none. */
  waiting?: Waiting[];
  /** Set when pruning was refused because no manifest declares anything; says why. */
  pruneRefused?: string;
  /** By container: the secret files to write before the pass applies anything (paths and modes; never content); an empty list removes its old ones. Absent: none. */
  secretFiles?: Record<string, SecretFile[]>;
}

export type ResourceKind = 'Network' | 'Container' | 'Volume';

export function resourceKey(kind: ResourceKind, name: string): string {
  return `${kind}/${name}`;
}

/** The name of the network or container an action is about, for logs and output. */
export function actionSubject(action: Action): { kind: ResourceKind; name: string } {
  const [kind, name] = action.resource.split('/', 2) as [ResourceKind, string];
  return { kind, name };
}
