/** Which mooring fields and kinds exist: rows of the attribute table wait for theirs. */
import { containerNetwork, containerSpec, KINDS, networkSpec } from '../schema.js';

export function hasContainerField(field: string): boolean {
  return field in containerSpec.shape;
}

export function hasKind(kind: string): boolean {
  return (KINDS as readonly string[]).includes(kind);
}

/** Whether a Container's `dependsOn` takes `{name, condition}` entries (issue 15). */
export function hasDependencyConditions(): boolean {
  return containerSpec.shape.dependsOn.safeParse([{ name: 'a', condition: 'healthy' }]).success;
}

/** Whether a Container's network entry takes an `ipv6Address` (issue 15). */
export function hasIpv6Address(): boolean {
  return 'ipv6Address' in containerNetwork.shape;
}

/** Whether a Network's `ipam` takes several address pools as `configs` (issue 15). */
export function hasIpamPools(): boolean {
  return networkSpec.shape.ipam.safeParse({ configs: [{ subnet: '10.0.0.0/24' }] }).success;
}
