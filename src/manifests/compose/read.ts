/**
 * A Compose project read from the manifests tree into one manifest file: the
 * project's file, its override and its `.env` count as one, so an error in
 * any of them keeps the project at its last good version, and a change to any
 * of them changes its digest.
 */
import { createHash } from 'node:crypto';
import { posix, resolve } from 'node:path';
import type { ManifestFile } from '../model.js';
import type { ComposeText } from './project.js';
import { translateComposeProject } from './project.js';
import { DOTENV_FILE_NAME } from './detect.js';

/** A file's text, or the manifest file entry that says why it cannot be read; `missing` when an `optional` file does not exist. */
export type ReadText = (file: string, options: { optional: boolean }) => Promise<{ text: string; digest: string } | { failed: ManifestFile } | { missing: true }>;

export async function readComposeProject(options: {
  /** The project's file, relative to the manifests directory. */
  file: string;
  overrides: readonly string[];
  /** The manifests directory. */
  directory: string;
  environment: NodeJS.ProcessEnv;
  /** The `--profile` flags (none: `COMPOSE_PROFILES` decides). */
  profiles?: readonly string[];
  read: ReadText;
}): Promise<ManifestFile> {
  const { file, overrides, directory, environment, read } = options;
  const projectDirectory = posix.dirname(file);
  const dotenvFile = projectDirectory === '.' ? DOTENV_FILE_NAME : `${projectDirectory}/${DOTENV_FILE_NAME}`;
  const texts: ComposeText[] = [];
  const digests: string[] = [];
  const errors: ManifestFile['errors'] = [];
  let dotenv: ComposeText | undefined;
  for (const name of [file, ...overrides, dotenvFile]) {
    const result = await read(name, { optional: name === dotenvFile });
    if ('missing' in result) continue;
    if ('failed' in result) {
      errors.push(...result.failed.errors);
      continue;
    }
    digests.push(`${name}:${result.digest}`);
    if (name === dotenvFile) dotenv = { file: name, text: result.text };
    else texts.push({ file: name, text: result.text });
  }
  const digest = createHash('sha256').update(digests.join('\n')).digest('hex');
  if (errors.length > 0) return { file, digest, documents: [], errors, failed: 1 };
  const project = translateComposeProject({
    files: texts,
    ...(dotenv ? { dotenv } : {}),
    directory: resolve(directory, projectDirectory),
    environment: (name) => environment[name],
    ...(options.profiles ? { profiles: options.profiles } : {}),
  });
  return {
    file,
    digest,
    documents: project.documents,
    errors: project.errors,
    ...(project.errors.length > 0 ? { failed: 1 } : {}),
    ...(project.project === undefined ? {} : { project: project.project }),
  };
}
