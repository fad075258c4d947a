/** Desired states for planner tests, built from specs the way the loader builds them (schema defaults filled in). */
import type { AnyDocument, DesiredState, Document } from '../../../src/manifests/model.js';
import type { Kind } from '../../../src/manifests/schema.js';
import { API_VERSION, documentSchemas } from '../../../src/manifests/schema.js';

export const IMAGE = 'mooring/busybox:latest';

export function document<K extends Kind>(kind: K, name: string, spec: Record<string, unknown>, file = 'app.yaml'): Document<K> {
  const parsed = documentSchemas[kind].parse({ apiVersion: API_VERSION, kind, metadata: { name }, spec });
  const source = { file, line: 1, column: 1 };
  return { kind, name, labels: {}, spec: parsed.spec, source, positionOf: () => source } as unknown as Document<K>;
}

export const network = (name: string, spec: Record<string, unknown> = {}, file?: string) => document('Network', name, spec, file);
export const container = (name: string, spec: Record<string, unknown> = {}, file?: string) =>
  document('Container', name, { image: IMAGE, command: 'sleep 3600', ...spec }, file);
export const link = (name: string, spec: Record<string, unknown>, file?: string) => document('Link', name, spec, file);
export const publish = (name: string, spec: Record<string, unknown>, file?: string) => document('PortPublish', name, spec, file);

export function desiredState(documents: AnyDocument[], unavailableFiles: string[] = []): DesiredState {
  const of = <K extends Kind>(kind: K) => documents.filter((doc): doc is Document<K> & AnyDocument => doc.kind === kind) as unknown as Document<K>[];
  return {
    networks: of('Network'),
    containers: of('Container'),
    links: of('Link'),
    publishes: of('PortPublish'),
    probes: of('Probe'),
    unavailableFiles,
    revision: String(documents.length),
  };
}
