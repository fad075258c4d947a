/** Field diffs between what runs and what is declared, for the `changes` of an action. */
import type { EndpointConfig, ObservedContainer, ObservedEndpoint, ObservedNetwork, ObservedVolume, VolumeConfig } from '../../engine/port.js';
import { LABELS, isMooringLabel } from '../../engine/labels.js';
import { canonicalJson } from '../../engine/spec-hash.js';
import type { FieldChange } from '../actions.js';
import type { CreationSpec, EffectiveContainer, EffectiveNetwork } from '../effective-config.js';
import { bindingString, fieldDigest, normalizeImage } from '../effective-config.js';
import { compare } from '../../compare.js';
import { sharedNamespace } from '../../engine/network-mode.js';
import type { ResourcesConfig } from '../../engine/runtime-config.js';
import { resourceValue } from './update.js';

type Push = (field: string, from: string | undefined, to: string | undefined) => void;

export function networkChanges(observed: ObservedNetwork, desired: EffectiveNetwork): FieldChange[] {
  const want = desired.config;
  const changes: FieldChange[] = [];
  const push: Push = (field, from, to) => {
    if (from !== to) changes.push(withDefined({ field, from, to }));
  };
  push('driver', observed.driver, want.driver);
  push('internal', String(observed.internal), String(want.internal));
  push('attachable', String(observed.attachable), String(want.attachable));
  push('enableIPv6', String(observed.enableIPv6), String(want.enableIPv6));
  for (const key of ['subnet', 'gateway', 'ipRange'] as const) {
    // The engine fills in what the manifest leaves out; only what the manifest sets can differ.
    if (want.ipam?.[key] !== undefined) push(`ipam.${key}`, observed.ipam?.[key], want.ipam[key]);
  }
  diffMaps('options', observed.options, want.options, push);
  diffMaps('labels', userLabels(observed.labels), userLabels(want.labels), push);
  return orUnknown(changes, desired.hash);
}

/** What differs between a volume and its manifest: none of it can be applied to a volume that exists. */
export function volumeChanges(observed: ObservedVolume, desired: VolumeConfig): FieldChange[] {
  const changes: FieldChange[] = [];
  const push: Push = (field, from, to) => {
    if (from !== to) changes.push(withDefined({ field, from, to }));
  };
  push('driver', observed.driver, desired.driver);
  diffMaps('driverOpts', observed.driverOpts, desired.driverOpts, push);
  diffMaps('labels', userLabels(observed.labels), userLabels(desired.labels), push);
  return changes;
}

export function containerChanges(observed: ObservedContainer, desired: EffectiveContainer): FieldChange[] {
  const recorded = parseDigests(observed.labels[LABELS.specFields]);
  const changes: FieldChange[] = [];
  if (recorded) {
    const fields = [...new Set([...Object.keys(recorded), ...Object.keys(desired.fieldDigests)])].sort(compare);
    for (const field of fields) {
      if (recorded[field] === desired.fieldDigests[field]) continue;
      const to = fieldValue(desired.creation, field);
      const wasUnset = recorded[field] === undefined || recorded[field] === EMPTY_LIST_DIGEST;
      const from = wasUnset ? { known: true, value: undefined } : observedValue(observed, field);
      changes.push(withDefined(from.known ? { field, from: from.value, to } : { field, fromUnknown: true, to }));
    }
  } else {
    // Made by a mooring that did not record field digests: compare what the engine shows.
    for (const field of ['image', 'ports', 'networkMode']) {
      const from = observedValue(observed, field).value;
      const to = fieldValue(desired.creation, field);
      const same = field === 'image' ? normalizeImage(from ?? '') === to : from === to;
      if (!same) changes.push(withDefined({ field, from, to }));
    }
  }
  return orUnknown(changes, desired.hash);
}

export function endpointChanges(desired: EndpointConfig, observed: ObservedEndpoint): FieldChange[] {
  const changes: FieldChange[] = [];
  const prefix = `networks.${desired.network}`;
  const set = (values: string[]) => [...new Set(values)].sort(compare).join(', ');
  const aliases = { from: set(observed.aliases), to: set(desired.aliases) };
  if (aliases.from !== aliases.to) changes.push(withDefined({ field: `${prefix}.aliases`, from: aliases.from || undefined, to: aliases.to || undefined }));
  for (const key of ['ipv4Address', 'ipv6Address'] as const) {
    if (desired[key] !== undefined && desired[key] !== observed[key]) changes.push(withDefined({ field: `${prefix}.${key}`, from: observed[key], to: desired[key] }));
  }
  const links = { from: set(observed.links), to: set(desired.links) };
  if (links.from !== links.to) changes.push(withDefined({ field: `${prefix}.links`, from: links.from || undefined, to: links.to || undefined }));
  return changes;
}

/** With no field found to differ (the hash covers more than the fields recorded), the change is the spec's. */
function orUnknown(changes: FieldChange[], hash: string): FieldChange[] {
  return changes.length > 0 ? changes : [{ field: 'spec', fromUnknown: true, to: `hash ${hash}` }];
}

/** The digest of an empty list: a list field recorded with it was unset. */
const EMPTY_LIST_DIGEST = fieldDigest([]);

function observedValue(observed: ObservedContainer, field: string): { known: boolean; value: string | undefined } {
  if (field === 'image') return { known: true, value: observed.image };
  if (field.startsWith('labels.')) return { known: true, value: observed.labels[field.slice('labels.'.length)] };
  if (field === 'ports') return { known: true, value: observed.portBindings.map(bindingString).sort(compare).join(', ') || undefined };
  if (field === 'networkMode') return { known: true, value: sharedNamespace(observed.networkMode) ? observed.networkMode : undefined };
  return { known: false, value: undefined };
}

function fieldValue(creation: CreationSpec, field: string): string | undefined {
  const dot = field.indexOf('.');
  if (dot > 0 && (field.startsWith('env.') || field.startsWith('labels.'))) {
    return (creation[field.slice(0, dot) as 'env' | 'labels'] as Record<string, string>)[field.slice(dot + 1)];
  }
  if (field.startsWith('resources.')) {
    const key = field.slice('resources.'.length) as keyof ResourcesConfig;
    return resourceValue(key, creation.resources?.[key]);
  }
  const value = creation[field as keyof CreationSpec];
  if (value === undefined) return undefined;
  if (field === 'command' || field === 'entrypoint') return (value as string[]).join(' ');
  if (Array.isArray(value)) return value.join(', ') || undefined;
  return typeof value === 'object' ? canonicalJson(value) : String(value);
}

function diffMaps(prefix: string, from: Record<string, string>, to: Record<string, string>, push: Push): void {
  for (const key of [...new Set([...Object.keys(from), ...Object.keys(to)])].sort(compare)) push(`${prefix}.${key}`, from[key], to[key]);
}

function userLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([key]) => !isMooringLabel(key)));
}

function parseDigests(label: string | undefined): Record<string, string> | undefined {
  if (!label) return undefined;
  try {
    const parsed: unknown = JSON.parse(label);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}

function withDefined(change: FieldChange): FieldChange {
  return Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined)) as unknown as FieldChange;
}
