/**
 * What manifests point at outside themselves: each Secret's content (a file or
 * a variable of mooring's environment), each Container's env files and build
 * context. Read at every load, so an edit reaches the spec hash at the next
 * pass that reads the manifests (a change of the manifests, the resync timer,
 * SIGHUP).
 *
 * A missing or unreadable input is an error located at the field that names
 * it; it stops only the containers that use it.
 */
import { createHmac, randomBytes } from 'node:crypto';
import path from 'node:path';
import type { BuildContext, Document, Resolved, ResolvedInputs } from './model.js';
import { SecretContent } from './secret-content.js';
import { ManifestError } from './errors.js';
import { readBounded } from './read-bounded.js';
import { errorMessage } from '../errors.js';
import { compare } from '../compare.js';
import { BuildContextCache, BuildContextError, readBuildContext } from './build-context.js';

export interface ResolveInputsOptions {
  directory: string;
  secrets: readonly Document<'Secret'>[];
  containers: readonly Document<'Container'>[];
  /** mooring's own environment, for `env` secrets and for env-file lines that name a variable only. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Kept by the daemon's loader across loads. @default a new one */
  buildCache?: BuildContextCache;
}

export async function resolveInputs(options: ResolveInputsOptions): Promise<ResolvedInputs> {
  const env = options.env ?? process.env;
  const secrets = new Map<string, Resolved<SecretContent>>();
  await Promise.all(options.secrets.map(async (secret) => {
    secrets.set(secret.name, await resolveSecret(secret, options.directory, env));
  }));
  const envFiles = new Map<string, Resolved<Record<string, string>>>();
  await Promise.all(options.containers.filter((container) => container.spec.envFiles.length > 0).map(async (container) => {
    envFiles.set(container.name, await resolveEnvFiles(container, options.directory, env));
  }));
  const builds = new Map<string, Resolved<BuildContext>>();
  const buildCache = options.buildCache ?? new BuildContextCache();
  await Promise.all(options.containers.map(async (container) => {
    if (container.spec.build) builds.set(container.name, await resolveBuild(container, options.directory, buildCache));
  }));
  buildCache.sweep();
  return { secrets, envFiles, ...(builds.size > 0 && { builds }) };
}

/**
 * The key of the inputs' digest, new in each process. The revision is in the status and the logs;
 * an unkeyed hash of a secret's digest there would let whoever reads them test guesses of the secret.
 * Keyed, it still changes when an input does, for as long as the process lives, which is all it is for.
 */
const REVISION_KEY = randomBytes(32);

/** A short digest of everything resolved, for the desired state's revision; it says nothing of the content. */
export function inputsRevision(inputs: ResolvedInputs): string {
  const hash = createHmac('sha256', REVISION_KEY);
  for (const [name, secret] of [...inputs.secrets].sort(([a], [b]) => compare(a, b))) hash.update(`${name}\0${secret.value?.sha256 ?? secret.error?.message}\0`);
  for (const [name, files] of [...inputs.envFiles].sort(([a], [b]) => compare(a, b))) hash.update(`${name}\0${files.error?.message ?? JSON.stringify(files.value)}\0`);
  for (const [name, build] of [...inputs.builds ?? []].sort(([a], [b]) => compare(a, b))) hash.update(`${name}\0${build.value?.digest ?? build.error?.message}\0`);
  return hash.digest('hex').slice(0, 16);
}

async function resolveSecret(secret: Document<'Secret'>, directory: string, env: NodeJS.ProcessEnv): Promise<Resolved<SecretContent>> {
  const { spec } = secret;
  if (spec.env !== undefined) {
    const value = env[spec.env];
    if (value === undefined) return { error: located(secret, ['spec', 'env'], `variable ${spec.env} is not set in mooring's environment`) };
    return { value: new SecretContent(Buffer.from(value)) };
  }
  const file = resolvePath(directory, secret.source.file, spec.file!);
  try {
    return { value: new SecretContent(await readSmallFile(file)) };
  } catch (error) {
    return { error: located(secret, ['spec', 'file'], `cannot read secret file ${file}: ${errorMessage(error)}`) };
  }
}

async function resolveEnvFiles(container: Document<'Container'>, directory: string, env: NodeJS.ProcessEnv): Promise<Resolved<Record<string, string>>> {
  const merged: Record<string, string> = {};
  for (const [i, name] of container.spec.envFiles.entries()) {
    const file = resolvePath(directory, container.source.file, name);
    let text: string;
    try {
      text = (await readSmallFile(file)).toString('utf8');
    } catch (error) {
      return { error: located(container, ['spec', 'envFiles', i], `cannot read env file ${file}: ${errorMessage(error)}`) };
    }
    const parsed = parseEnvFile(text, env);
    if ('error' in parsed) return { error: located(container, ['spec', 'envFiles', i], `${file}: ${parsed.error}`) };
    Object.assign(merged, parsed.variables);
  }
  return { value: merged };
}

async function resolveBuild(container: Document<'Container'>, directory: string, cache: BuildContextCache): Promise<Resolved<BuildContext>> {
  const build = container.spec.build!;
  try {
    return { value: await readBuildContext(resolvePath(directory, container.source.file, build.context), build, cache) };
  } catch (error) {
    if (!(error instanceof BuildContextError)) throw error;
    return { error: located(container, ['spec', 'build', error.field], error.message) };
  }
}

/**
 * `docker run --env-file`: one `KEY=value` per line, the value taken as it
 * is (no quotes removed, no expansion); `#` starts a comment line; a line with
 * a name only takes that variable from the environment, when it is set.
 */
export function parseEnvFile(text: string, env: NodeJS.ProcessEnv): { variables: Record<string, string> } | { error: string } {
  const variables: Record<string, string> = {};
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trimStart();
    if (line === '' || line.startsWith('#')) continue;
    const equals = line.indexOf('=');
    const key = equals < 0 ? line.trimEnd() : line.slice(0, equals);
    if (key === '' || /\s/.test(key)) return { error: `line ${i + 1}: expected KEY=value, got a variable name with spaces or none` };
    if (equals >= 0) variables[key] = line.slice(equals + 1);
    else if (env[key] !== undefined) variables[key] = env[key];
  }
  return { variables };
}

/** A path in a manifest is relative to the manifest's own file. */
function resolvePath(directory: string, manifestFile: string, file: string): string {
  return path.resolve(directory, path.dirname(manifestFile), file);
}

async function readSmallFile(file: string): Promise<Buffer> {
  const read = await readBounded(file);
  if ('refused' in read) throw new Error(read.refused);
  return read.bytes;
}

function located(document: Pick<Document, 'kind' | 'name' | 'positionOf'>, fieldPath: (string | number)[], detail: string): ManifestError {
  return new ManifestError(detail, { ...document.positionOf(fieldPath), resource: `${document.kind}/${document.name}`, path: fieldPath.join('.') });
}
