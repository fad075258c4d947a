/**
 * A Container's build context, read with the manifests: the files a build
 * sends and a digest of them and of the build's settings. The image carries
 * the digest in a label, so the plan rebuilds only when the digest changes,
 * and a no-op pass asks the engine nothing about builds.
 *
 * The files are those the Docker CLI sends: what `.dockerignore` leaves
 * (read by @balena/dockerignore, which implements Docker's own matching), plus
 * the Dockerfile and `.dockerignore` themselves, which the CLI always sends.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Stats } from 'node:fs';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import dockerignore from '@balena/dockerignore';
import type { BuildContext } from './model.js';
import type { ContainerSpec } from './schema.js';
import { errorMessage } from '../errors.js';
import { compare } from '../compare.js';

/**
 * Content digests by absolute path, kept while the file's stat is unchanged: a
 * resync does not read an unchanged context again. As git does with its index,
 * a file modified within a timestamp's granularity of its reading is read
 * again next time: a same-sized edit in that window would leave its stat alike.
 */
export class BuildContextCache {
  readonly #files = new Map<string, { stat: string; digest: string }>();
  readonly #seen = new Set<string>();

  async digest(file: string, stats: Stats): Promise<string> {
    this.#seen.add(file);
    const stat = `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}`;
    const known = this.#files.get(file);
    if (known?.stat === stat) return known.digest;
    const digest = await fileDigest(file);
    if (Date.now() - Math.max(stats.mtimeMs, stats.ctimeMs) > SETTLED_MS) this.#files.set(file, { stat, digest });
    else this.#files.delete(file);
    return digest;
  }

  /** Forgets the files not read since the last sweep: those no context holds any more. */
  sweep(): void {
    for (const file of this.#files.keys()) if (!this.#seen.has(file)) this.#files.delete(file);
    this.#seen.clear();
  }
}

/** Coarser than any file system's timestamps. */
const SETTLED_MS = 2_000;

export type BuildSettings = NonNullable<ContainerSpec['build']>;

/** Thrown for a context that cannot be built; `field` is the `spec.build` field at fault. */
export class BuildContextError extends Error {
  constructor(message: string, readonly field: 'context' | 'dockerfile') {
    super(message);
  }
}

/** `context` is absolute. Rejects with a `BuildContextError`. */
export async function readBuildContext(context: string, build: BuildSettings, cache: BuildContextCache): Promise<BuildContext> {
  const dockerfile = path.posix.normalize(build.dockerfile.replaceAll('\\', '/'));
  if (path.posix.isAbsolute(dockerfile) || dockerfile.startsWith('../')) {
    throw new BuildContextError(`expected a Dockerfile inside the context ${context}, got ${build.dockerfile}`, 'dockerfile');
  }
  let stats: Stats;
  try {
    stats = await lstat(context);
  } catch (error) {
    throw new BuildContextError(`cannot read the build context ${context}: ${errorMessage(error)}`, 'context');
  }
  if (!stats.isDirectory()) throw new BuildContextError(`expected the build context ${context} to be a directory`, 'context');

  const rules = await readIgnoreFile(context);
  // A CommonJS package with an ES-style declaration: its function is also its own `default`, which is what the types see.
  const ignored = dockerignore.default({ ignorecase: false }).add(rules);
  // An exception (`!keep`) may bring back a file inside an excluded directory: only without one can a directory be skipped whole.
  const skipsDirectories = !rules.split('\n').some((line) => line.trim().startsWith('!'));
  const always = new Set([dockerfile, '.dockerignore']);
  const entries: { file: string; stats: Stats }[] = [];
  const walk = async (directory: string): Promise<void> => {
    for (const entry of await readdir(path.join(context, directory), { withFileTypes: true })) {
      const file = directory === '' ? entry.name : `${directory}/${entry.name}`;
      if (entry.isDirectory()) {
        if (!(skipsDirectories && ignored.ignores(file))) await walk(file);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && (always.has(file) || !ignored.ignores(file))) {
        // A FIFO, socket or device is left out, as tar-fs leaves it out of the context: never opened, since a FIFO would block the load.
        entries.push({ file, stats: await lstat(path.join(context, file)) });
      }
    }
  };
  try {
    await walk('');
  } catch (error) {
    throw new BuildContextError(`cannot read the build context ${context}: ${errorMessage(error)}`, 'context');
  }
  if (!entries.some(({ file, stats: found }) => file === dockerfile && found.isFile())) {
    throw new BuildContextError(`expected a Dockerfile at ${path.join(context, dockerfile)}, got none`, 'dockerfile');
  }

  entries.sort((a, b) => compare(a.file, b.file));
  const hash = createHash('sha256').update(JSON.stringify({ dockerfile, args: Object.entries(build.args).sort(([a], [b]) => compare(a, b)), target: build.target ?? null }));
  for (const { file, stats: found } of entries) {
    const absolute = path.join(context, file);
    // What a build can see of a file: its content (or a link's target) and whether it is executable.
    const content = found.isSymbolicLink() ? `link:${await readlink(absolute)}` : await cache.digest(absolute, found);
    hash.update(`${file}\0${found.mode & 0o111 ? 'x' : '-'}\0${content}\0`);
  }
  return { directory: context, dockerfile, files: entries.map(({ file }) => file), digest: hash.digest('hex').slice(0, 32) };
}

async function readIgnoreFile(context: string): Promise<string> {
  try {
    return await readFile(path.join(context, '.dockerignore'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw new BuildContextError(`cannot read ${path.join(context, '.dockerignore')}: ${errorMessage(error)}`, 'context');
  }
}

async function fileDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
