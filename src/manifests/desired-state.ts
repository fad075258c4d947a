/**
 * From a manifests directory to the desired state. A first, simple loader
 * behind the final contract; the full loader and cross-set rules follow.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { AnyDocument, DesiredState, Document, ManifestFile } from './model.js';
import type { ContainerNetwork, ContainerSpec, Duration, Kind } from './schema.js';
import { documentSchemas, KINDS } from './schema.js';
import { ManifestError } from './errors.js';

export interface LoadedManifests {
  directory: string;
  directoryExists: boolean;
  /** Every file as found now; `errors` include the cross-file rule errors located in that file. */
  files: ManifestFile[];
  /** What to reconcile: valid files as they are; invalid files by their last good version, else listed in unavailableFiles. */
  desired: DesiredState;
  /** Files whose last good version stands in for an invalid current one. */
  usingLastGood: string[];
  /** Pass to the next load as `lastGood` (valid files now; invalid files keep their previous entry; deleted files drop). */
  lastGood: ReadonlyMap<string, AnyDocument[]>;
}

export async function loadDesiredState(options: { directory: string; lastGood?: ReadonlyMap<string, AnyDocument[]> }): Promise<LoadedManifests> {
  const { directory } = options;
  let paths: string[] = [];
  let directoryExists = true;
  try {
    paths = (await readdir(directory, { recursive: true }))
      .filter((path) => /\.(ya?ml|json)$/.test(path) && !path.split(sep).some((part) => part.startsWith('.')))
      .sort();
  } catch {
    directoryExists = false;
  }
  const files: ManifestFile[] = [];
  for (const path of paths) {
    const file = relative(directory, join(directory, path)).split(sep).join('/');
    const bytes = await readFile(join(directory, path));
    const manifest: ManifestFile = { file, digest: createHash('sha256').update(bytes).digest('hex'), documents: [], errors: [] };
    for (const parsed of parseAllDocuments(bytes.toString('utf8'))) {
      const value: unknown = parsed.toJS();
      if (value === null || value === undefined) continue;
      const kind = (value as { kind?: unknown }).kind;
      const schema = KINDS.includes(kind as Kind) ? documentSchemas[kind as Kind] : undefined;
      const result = schema?.safeParse(value);
      if (!result?.success) {
        manifest.errors.push(new ManifestError(result ? result.error.message : 'unknown kind', { file, line: 1, column: 1 }));
        continue;
      }
      const data = result.data as { kind: Kind; metadata: { name: string; labels?: Record<string, string> }; spec: unknown };
      const source = { file, line: 1, column: 1 };
      manifest.documents.push({ kind: data.kind, name: data.metadata.name, labels: data.metadata.labels ?? {}, spec: data.spec, source, positionOf: () => source } as AnyDocument);
    }
    files.push(manifest);
  }
  const documents = files.flatMap((file) => file.documents);
  const of = <K extends Kind>(kind: K) => documents.filter((doc) => doc.kind === kind) as unknown as Document<K>[];
  return {
    directory,
    directoryExists,
    files,
    desired: {
      networks: of('Network'),
      containers: of('Container'),
      links: of('Link'),
      publishes: of('PortPublish'),
      probes: of('Probe'),
      unavailableFiles: [],
      revision: createHash('sha256').update(files.map((file) => file.digest).join()).digest('hex'),
    },
    usingLastGood: [],
    lastGood: new Map(files.map((file) => [file.file, file.documents])),
  };
}

/** The networks a container joins: its declared ones, or the built-in `bridge` when it declares neither networks nor a network mode. */
export function containerNetworks(spec: ContainerSpec): ContainerNetwork[] {
  if (spec.networks) return spec.networks;
  return spec.networkMode ? [] : [{ name: 'bridge', aliases: [] }];
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** Milliseconds of a manifest duration: a number of seconds, or a string such as `1m30s`. */
export function durationMs(value: Duration): number {
  if (typeof value === 'number') return value * 1000;
  let total = 0;
  for (const match of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  }
  return total;
}
