/**
 * A manifests directory → its files, each parsed into documents with its own
 * errors. Whatever is on disk, this reports problems per file and never throws
 * for them: one bad file never stops the others from loading.
 */
import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import * as nodeFs from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ManifestFile } from './model.js';
import { ManifestError } from './errors.js';
import { readBounded } from './read-bounded.js';
import { parseManifest } from './parse.js';
import { composeRoles, DOTENV_FILE_NAME } from './compose/detect.js';
import type { ReadText } from './compose/read.js';
import type * as ComposeRead from './compose/read.js';
import { errorMessage } from '../errors.js';
import { compare } from '../compare.js';

type ComposeReading = typeof ComposeRead;


/** The entry of `LoadedDirectory.files` for the manifests directory itself, when it cannot be listed. */
export const ROOT_ENTRY = './';

export interface LoadedDirectory {
  directory: string;
  directoryExists: boolean;
  /**
   * Every manifest file found, sorted by path. A directory that cannot be
   * listed appears as an entry named with a trailing `/` (`./` for the root),
   * carrying the error: the files beneath it are unknown, not deleted.
   */
  files: ManifestFile[];
}

/** The file system calls the loader makes; tests pass one that changes the tree mid-walk. */
export type LoaderFs = Pick<typeof nodeFs, 'open' | 'readdir' | 'realpath' | 'stat'>;

export interface LoadDirectoryOptions {
  /** @default node:fs/promises */
  fs?: LoaderFs;
  /** What Compose projects interpolate (after their `.env`'s variables, which it overrides). @default process.env */
  environment?: NodeJS.ProcessEnv;
  /** The Compose profiles to enable (`--profile`); none: each project's `COMPOSE_PROFILES` decides. */
  profiles?: readonly string[];
  /** Parses kept from earlier loads; a file whose bytes are unchanged is not parsed again. */
  cache?: ParseCache;
}

/** What a file's bytes parse to, whatever its path: everything of a {@link ManifestFile} but its name and digest. */
type Parsed = Omit<ManifestFile, 'file' | 'digest'>;

/**
 * Each file's parse and schema check, keyed by the SHA-256 of its bytes: a
 * daemon reads its directory again every resync, and parsing and checking
 * hundreds of unchanged documents each time was most of a resync's CPU. A
 * file is still read every time (reading is cheap, and a hash cannot miss a
 * change the way a modification time can); only files that changed are parsed.
 */
export class ParseCache {
  readonly #entries = new Map<string, { digest: string; parsed: Parsed }>();

  /** The file's parse when its digest is the one cached; a copy the caller may add errors to. */
  get(file: string, digest: string): Parsed | undefined {
    const entry = this.#entries.get(file);
    if (entry?.digest !== digest) return undefined;
    return { ...entry.parsed, errors: [...entry.parsed.errors] };
  }

  set(file: string, digest: string, parsed: Parsed): void {
    this.#entries.set(file, { digest, parsed: { ...parsed, errors: [...parsed.errors] } });
  }

  /** Forgets the files a load no longer found, so that the cache holds no more than the directory. */
  retainOnly(files: ReadonlySet<string>): void {
    for (const file of this.#entries.keys()) if (!files.has(file)) this.#entries.delete(file);
  }
}

/**
 * Whether a directory entry is a manifest: `*.yaml`, `*.yml`, `*.json`, not
 * hidden, not an editor's leftover; or a `.env`, which a Compose project beside it reads.
 */
export function isManifestFileName(name: string): boolean {
  return name === DOTENV_FILE_NAME || (!isIgnored(name) && /\.(ya?ml|json)$/i.test(name));
}

/** Dotfiles and dot-directories (`.git`, Kubernetes' `..data`, Emacs' `.#x`), and editors' swap and backup files. */
function isIgnored(name: string): boolean {
  return name.startsWith('.') || name.endsWith('.swp') || name.endsWith('~') || (name.startsWith('#') && name.endsWith('#'));
}

export async function loadManifestDirectory(directory: string, options: LoadDirectoryOptions = {}): Promise<LoadedDirectory> {
  const fs = options.fs ?? nodeFs;
  let rootInfo;
  try {
    rootInfo = await fs.stat(directory);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { directory, directoryExists: false, files: [] };
    return { directory, directoryExists: true, files: [problemEntry(ROOT_ENTRY, `cannot read the manifests directory: ${reason(error)}`, error)] };
  }
  if (!rootInfo.isDirectory()) {
    return { directory, directoryExists: true, files: [problemEntry(ROOT_ENTRY, `${directory} is not a directory`)] };
  }
  const found: Found[] = [];
  await walk({ fs, absolute: directory, relative: '', visited: new Set([await fs.realpath(directory).catch(() => directory)]), found });
  const files: ManifestFile[] = [];
  // A Compose project's files are read together, as one entry named after its `compose.yaml`.
  const roles = composeRoles(found.flatMap((entry) => ('problem' in entry ? [] : [entry.file])));
  const read = composeReader(fs, directory);
  for (const entry of found) {
    const role = 'problem' in entry ? undefined : roles.get(entry.file);
    if ('problem' in entry) files.push(entry.problem);
    else if (role === undefined) files.push(await readManifestFile(fs, entry.file, entry.absolute, options.cache));
    else if (role.role === 'project') files.push(await (await composeReading()).readComposeProject({ file: entry.file, overrides: role.overrides, directory, ...composeOptions(options), read }));
    else if (role.role === 'ignored') files.push(problemEntry(entry.file, role.reason));
  }
  options.cache?.retainOnly(new Set(files.map((file) => file.file)));
  return { directory, directoryExists: true, files: files.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0)) };
}

/**
 * One Compose file of any name (`mooring convert stack.yml`), read as the
 * loader reads a project: with the override beside it when it has a Compose
 * name, and the `.env` beside it.
 */
export async function loadComposeFile(path: string, options: LoadDirectoryOptions = {}): Promise<ManifestFile> {
  const fs = options.fs ?? nodeFs;
  const directory = dirname(path);
  const file = basename(path);
  const role = composeRoles(await fs.readdir(directory)).get(file);
  const overrides = role?.role === 'project' ? role.overrides : [];
  return (await composeReading()).readComposeProject({ file, overrides, directory, ...composeOptions(options), read: composeReader(fs, directory) });
}

/**
 * The Compose translation, loaded only for a directory that has a Compose
 * project: sixteen modules that a directory of mooring manifests, and its
 * `mooring validate`, never needs.
 */
function composeReading(): Promise<ComposeReading> {
  return import('./compose/read.js');
}

function composeOptions(options: LoadDirectoryOptions): { environment: NodeJS.ProcessEnv; profiles?: readonly string[] } {
  return { environment: options.environment ?? process.env, ...(options.profiles ? { profiles: options.profiles } : {}) };
}

function composeReader(fs: LoaderFs, directory: string): ReadText {
  return async (file, { optional }) => {
    const result = await readManifestText(fs, file, join(directory, file));
    const missing = 'failed' in result && result.failed.errors.some((error) => errorCode(error.cause) === 'ENOENT');
    return optional && missing ? { missing: true } : result;
  };
}

type Found = { file: string; absolute: string } | { problem: ManifestFile };

/**
 * Lists manifest files beneath a directory, following symbolic links; each
 * real directory is walked once, so a link back up the tree cannot loop.
 */
async function walk(options: { fs: LoaderFs; absolute: string; relative: string; visited: Set<string>; found: Found[] }): Promise<void> {
  const { fs, absolute, relative, visited, found } = options;
  let entries: Dirent[];
  try {
    entries = await fs.readdir(absolute, { withFileTypes: true });
  } catch (error) {
    found.push({ problem: problemEntry(`${relative || '.'}/`, `cannot list directory: ${reason(error)}`, error) });
    return;
  }
  entries.sort((a, b) => compare(a.name, b.name));
  for (const entry of entries) {
    if (isIgnored(entry.name)) continue;
    const path = join(absolute, entry.name);
    const file = relative ? `${relative}/${entry.name}` : entry.name;
    let isDirectory = entry.isDirectory();
    if (entry.isSymbolicLink()) {
      try {
        isDirectory = (await fs.stat(path)).isDirectory();
      } catch (error) {
        // A dangling or looping link: an error only where it looks like a manifest.
        if (isManifestFileName(entry.name)) found.push({ problem: problemEntry(file, `cannot read: ${reason(error)}`, error) });
        continue;
      }
    }
    if (isDirectory) {
      let real: string;
      try {
        real = await fs.realpath(path);
      } catch (error) {
        found.push({ problem: problemEntry(`${file}/`, `cannot list directory: ${reason(error)}`, error) });
        continue;
      }
      if (visited.has(real)) continue;
      visited.add(real);
      await walk({ fs, absolute: path, relative: file, visited, found });
    } else if (isManifestFileName(entry.name)) {
      found.push({ file, absolute: path });
    }
  }
}

async function readManifestFile(fs: LoaderFs, file: string, absolute: string, cache: ParseCache | undefined): Promise<ManifestFile> {
  const read = await readManifestText(fs, file, absolute);
  if ('failed' in read) return read.failed;
  const cached = cache?.get(file, read.digest);
  if (cached) return { file, digest: read.digest, ...cached };
  const parsed = parseManifest(file, read.text);
  cache?.set(file, read.digest, parsed);
  return { file, digest: read.digest, ...parsed };
}

/** A file's text, checked as every manifest file is (size, kind of file, UTF-8), or the entry that says why it has none. */
async function readManifestText(fs: LoaderFs, file: string, absolute: string): Promise<{ text: string; digest: string } | { failed: ManifestFile }> {
  let bytes: Buffer;
  try {
    const read = await readBounded(absolute, fs);
    if ('refused' in read) return { failed: { file, digest: '', documents: [], errors: [new ManifestError(read.refused, { file, line: 1, column: 1 })] } };
    bytes = read.bytes;
  } catch (error) {
    return { failed: problemEntry(file, `cannot read: ${reason(error)}`, error) };
  }
  const digest = createHash('sha256').update(bytes).digest('hex');
  const decoded = decodeUtf8(bytes);
  if ('problem' in decoded) {
    return { failed: { file, digest, documents: [], errors: [new ManifestError(decoded.problem, { file, line: decoded.line, column: decoded.column })] } };
  }
  return { text: decoded.text, digest };
}

type Decoded = { text: string } | { problem: string; line: number; column: number };

function decodeUtf8(bytes: Buffer): Decoded {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return { problem: 'UTF-16 text: save the file as UTF-8', line: 1, column: 1 };
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) return { problem: 'binary file: expected UTF-8 text, got a NUL byte', ...lineAndColumn(bytes, nul) };
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { problem: 'not UTF-8 text: expected UTF-8, got an invalid byte sequence', ...firstInvalidUtf8(bytes) };
  }
}

function lineAndColumn(bytes: Buffer, offset: number): { line: number; column: number } {
  const before = bytes.subarray(0, offset);
  let line = 1;
  let lineStart = 0;
  for (let index = before.indexOf(0x0a); index >= 0; index = before.indexOf(0x0a, index + 1)) {
    line++;
    lineStart = index + 1;
  }
  return { line, column: Buffer.from(before.subarray(lineStart)).toString('utf8').length + 1 };
}

/** Where the first invalid sequence is: the line that fails to decode, and the column of the first replacement character in it. */
function firstInvalidUtf8(bytes: Buffer): { line: number; column: number } {
  const strict = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  for (let start = 0; start < bytes.length; line++) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline < 0 ? bytes.length : newline;
    const slice = bytes.subarray(start, end);
    try {
      strict.decode(slice);
    } catch {
      const column = slice.toString('utf8').indexOf('\uFFFD') + 1;
      return { line, column: Math.max(column, 1) };
    }
    start = end + 1;
  }
  return { line: 1, column: 1 };
}

function problemEntry(file: string, detail: string, cause?: unknown): ManifestFile {
  return { file, digest: '', documents: [], errors: [new ManifestError(detail, { file, line: 1, column: 1, cause })] };
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

const REASONS: Record<string, string> = {
  ENOENT: 'it does not exist (a dangling symbolic link?)',
  ELOOP: 'a loop of symbolic links',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a path component is not a directory',
};

function reason(error: unknown): string {
  const code = errorCode(error);
  return (code && REASONS[code]) ?? errorMessage(error);
}
