/**
 * Overlay networks are the swarm's, not one host's (docs/multi-host.md): only
 * a mooring whose engine is a manager creates or removes them, and none
 * recreates one (`overlayNotRecreated`). A
 * worker leaves them to the managers, and never takes one it does not list for
 * missing: the engine lists an attachable overlay on a worker only while a
 * container there is attached, and finds it in the swarm when one attaches.
 */
import type { SwarmState } from '../engine/port.js';
import type { DesiredState } from '../manifests/model.js';
import { OVERLAY_DRIVER } from '../manifests/validate-swarm.js';

/** The condition reason of what needs an overlay on an engine that is in no swarm it can use. */
export const SWARM_UNAVAILABLE = 'SwarmUnavailable';

export type NetworkRole =
  /** This mooring creates, recreates and removes it. */
  | { type: 'manage' }
  /** The swarm's managers do; this node only attaches to it. */
  | { type: 'attach' }
  /** It cannot be used here, for `message`. */
  | { type: 'unavailable'; message: string };

/** What this node's mooring does about a network of `driver`, given its engine's swarm state (read when an overlay is declared). */
export function networkRole(driver: string, swarm: SwarmState | undefined): NetworkRole {
  if (driver !== OVERLAY_DRIVER || swarm?.manager === true) return { type: 'manage' };
  if (swarm?.active === true) return { type: 'attach' };
  return { type: 'unavailable', message: `an overlay network needs the engine in a swarm: ${swarm?.message ?? 'its swarm state is unknown'}` };
}

/** Whether the engine's swarm state matters to this desired state: it declares an overlay network. */
export function declaresOverlay(desired: DesiredState): boolean {
  return desired.networks.some((network) => network.spec.driver === OVERLAY_DRIVER);
}

/**
 * Why a manager does not recreate an overlay whose settings changed. Containers of other nodes
 * may be attached, which this engine does not list, and the swarm refuses to remove a network
 * they use; the recreate would first disconnect this node's containers and then fail, every pass.
 */
export function overlayNotRecreated(name: string, changes: string): string {
  return `must be recreated (${changes}) but an overlay may have containers of other nodes attached, which this node cannot see: ` +
    `mooring does not recreate it; remove it by hand once no node uses it (\`docker network rm ${name}\`) and the next pass creates it as declared`;
}
