/**
 * The effective configs of the declared networks and containers, kept for the
 * last desired state planned. The daemon plans the same desired state object
 * pass after pass while no file changes (its manifest loader returns the
 * object it returned before), and computing every container's config, canonical
 * JSON and hash again was most of a no-op pass's CPU at hundreds of containers.
 */
import type { DesiredState } from '../manifests/model.js';
import type { EffectiveContainer, EffectiveNetwork } from './effective-config.js';
import { effectiveContainer, effectiveNetwork } from './effective-config.js';

export interface Effective {
  networks: ReadonlyMap<string, EffectiveNetwork>;
  containers: ReadonlyMap<string, EffectiveContainer>;
}

export interface EffectiveInputs {
  desired: DesiredState;
  instance: string;
  stateDir?: string;
}

export function effectiveConfigs({ desired, instance, stateDir }: EffectiveInputs): Effective {
  return {
    networks: new Map(desired.networks.map((document) => [document.name, effectiveNetwork({ document, instance })])),
    containers: new Map(desired.containers.map((document) => [document.name, effectiveContainer({ document, desired, instance, stateDir })])),
  };
}

/** Remembers the configs of the last inputs: a desired state is never changed once loaded, so the same object means the same configs. */
export class EffectiveConfigCache {
  #last: { inputs: EffectiveInputs; effective: Effective } | undefined;

  of(inputs: EffectiveInputs): Effective {
    const last = this.#last;
    if (last && last.inputs.desired === inputs.desired && last.inputs.instance === inputs.instance && last.inputs.stateDir === inputs.stateDir) return last.effective;
    const effective = effectiveConfigs(inputs);
    this.#last = { inputs, effective };
    return effective;
  }
}
