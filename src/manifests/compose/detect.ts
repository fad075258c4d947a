/**
 * Which files of a manifests tree are Compose projects, and a project's name,
 * as `docker compose` finds them when run in the file's directory.
 */
import { posix } from 'node:path';

/** The names `docker compose` looks for, in its order of preference: it reads only the first one present. */
export const COMPOSE_FILE_NAMES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'] as const;

/** Merged over the project's file when present beside it; again only the first one present. */
export const COMPOSE_OVERRIDE_FILE_NAMES = ['compose.override.yaml', 'compose.override.yml', 'docker-compose.override.yaml', 'docker-compose.override.yml'] as const;

/** The file whose variables interpolation reads, in the project's directory. */
export const DOTENV_FILE_NAME = '.env';

/** What a file found in the tree is to its Compose project. */
export type ComposeRole =
  /** The project's file: it is read with its overrides (relative paths, in merge order). */
  | { role: 'project'; overrides: string[] }
  /** Read as part of the project of `project`. */
  | { role: 'override'; project: string }
  /** A Compose file that `docker compose` would not read: reported as an error, so that it is never taken for something else. */
  | { role: 'ignored'; reason: string };

export function isComposeFileName(name: string): boolean {
  return (COMPOSE_FILE_NAMES as readonly string[]).includes(name) || (COMPOSE_OVERRIDE_FILE_NAMES as readonly string[]).includes(name);
}

/**
 * The role of each Compose file among `files` (relative paths with `/`);
 * files that are no Compose file have none and stay mooring manifests.
 */
export function composeRoles(files: readonly string[]): Map<string, ComposeRole> {
  const byDirectory = new Map<string, Set<string>>();
  for (const file of files) {
    const name = posix.basename(file);
    if (!isComposeFileName(name)) continue;
    const directory = posix.dirname(file);
    byDirectory.set(directory, (byDirectory.get(directory) ?? new Set()).add(name));
  }
  const roles = new Map<string, ComposeRole>();
  for (const [directory, names] of byDirectory) {
    const path = (name: string) => (directory === '.' ? name : `${directory}/${name}`);
    const [main, ...otherMains] = COMPOSE_FILE_NAMES.filter((name) => names.has(name));
    const [override, ...otherOverrides] = COMPOSE_OVERRIDE_FILE_NAMES.filter((name) => names.has(name));
    if (main === undefined) {
      const reason = `an override file without a Compose file beside it: expected one of ${COMPOSE_FILE_NAMES.join(', ')} in the same directory`;
      for (const name of names) roles.set(path(name), { role: 'ignored', reason });
      continue;
    }
    roles.set(path(main), { role: 'project', overrides: override === undefined ? [] : [path(override)] });
    if (override !== undefined) roles.set(path(override), { role: 'override', project: path(main) });
    // Compose warns and goes on with the first file; a daemon has nobody to warn, and a file silently unread is a surprise.
    for (const name of [...otherMains, ...otherOverrides]) {
      roles.set(path(name), { role: 'ignored', reason: `docker compose reads only ${otherMains.includes(name as never) ? main : override} in this directory: merge this file into it, or remove it` });
    }
  }
  return roles;
}

/** Compose's rule for a project name given by `name:`. */
const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * The project name from a directory's name, as Compose normalises it: lower
 * case, only letters, digits, `_` and `-`, not starting with `_` or `-`.
 */
export function normalizeProjectName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[_-]+/, '');
}

/** The project name, or why there is none: `name:` is taken as written and must already be valid. */
export function projectName(options: { declared: unknown; directory: string }): { name: string } | { problem: string } {
  const { declared, directory } = options;
  if (declared !== undefined && declared !== null) {
    if (typeof declared === 'string' && PROJECT_NAME.test(declared)) return { name: declared };
    return { problem: `expected a project name of lower-case letters, digits, "_" and "-", starting with a letter or digit, got ${JSON.stringify(declared)}` };
  }
  const name = normalizeProjectName(posix.basename(directory));
  if (name === '') return { problem: `the directory name ${JSON.stringify(posix.basename(directory))} gives no project name once normalised: set a top-level \`name:\`` };
  return { name };
}
