/**
 * The desired state as the rest of mooring consumes it: validated documents
 * with the place they came from.
 */
import type { Kind, SpecByKind } from './schema.js';
import type { ManifestError, SourcePosition } from './errors.js';
import type { SecretContent } from './secret-content.js';

export interface Document<K extends Kind = Kind> {
  kind: K;
  name: string;
  labels: Record<string, string>;
  spec: SpecByKind[K];
  /** Where the document starts. */
  source: SourcePosition;
  /** Position of a field by its dotted path (`spec.networks.0.name`), for errors found after parsing. */
  positionOf(path: readonly (string | number)[]): SourcePosition;
}

export type AnyDocument = { [K in Kind]: Document<K> }[Kind];

/**
 * A document that failed the schema but whose `kind` and `metadata.name` are
 * valid. It is never applied, but it counts in the rules across documents:
 * what refers to it gets no false "not declared", a duplicate of its name is
 * still one, and its own references are checked through `salvaged`.
 */
export interface InvalidDocument extends Pick<Document, 'kind' | 'name' | 'source' | 'positionOf'> {
  invalid: true;
  /**
   * The document without its invalid fields, when they were all optional ones
   * (or unknown): its other fields are checked across documents like any
   * valid document's, so all its errors are reported at once.
   */
  salvaged?: AnyDocument;
}

/** One manifest file as the loader found it. */
export interface ManifestFile {
  file: string;
  /** Hash of the file's bytes; part of the desired-state revision. */
  digest: string;
  /** The documents that parsed and matched the schema. */
  documents: AnyDocument[];
  /** Every problem found in the file; the file is valid when this is empty. */
  errors: ManifestError[];
  /** The documents that failed the schema, as far as the rules across documents can use them. Absent: none. */
  invalid?: InvalidDocument[];
  /** How many documents failed to parse or match the schema, named or not. Absent: none. */
  failed?: number;
  /** The Compose project this file is (with its override and `.env`), when it is one and its name could be read. */
  project?: string;
}

/** The validated set of documents mooring reconciles towards. */
export interface DesiredState {
  networks: Document<'Network'>[];
  containers: Document<'Container'>[];
  links: Document<'Link'>[];
  publishes: Document<'PortPublish'>[];
  probes: Document<'Probe'>[];
  /** Absent: none declared. */
  volumes?: Document<'Volume'>[];
  /** Absent: none declared. */
  secrets?: Document<'Secret'>[];
  /** Secrets' contents and env files, as read with the manifests. Absent: nothing was read (none referenced). */
  inputs?: ResolvedInputs;
  /**
   * Files whose documents are missing from this state because they failed to
   * load and have no last good version: while there are any, nothing is pruned.
   * An entry ending in `/` is a directory that could not be listed (`./` for the
   * root): it stands for every file under it.
   */
  unavailableFiles: string[];
  /**
   * Set in one node's share of a fleet's state (`scopeToNode`): the Containers
   * other nodes run. Never reconciled here; a Link from here may reach them.
   */
  remote?: Document<'Container'>[];
  /** A hash over the documents in the state; changes whenever the desired state does. */
  revision: string;
}

/** A secret's content or an env file's variables, or why they could not be read. */
export type Resolved<T> = { value: T; error?: undefined } | { value?: undefined; error: ManifestError };

/** What the manifests name outside themselves, read when they are loaded. */
export interface ResolvedInputs {
  /** By Secret name. */
  secrets: ReadonlyMap<string, Resolved<SecretContent>>;
  /** By Container name: the variables of its env files, later files winning. */
  envFiles: ReadonlyMap<string, Resolved<Record<string, string>>>;
  /** By Container name, those with `build`. Absent: none. */
  builds?: ReadonlyMap<string, Resolved<BuildContext>>;
}

/** What a build sends and the digest that says whether the image is current; see `build-context.ts`. */
export interface BuildContext {
  /** Absolute. */
  directory: string;
  /** Relative to `directory`, `/`-separated. */
  dockerfile: string;
  /** Relative to `directory`, `/`-separated, sorted. */
  files: string[];
  digest: string;
}
