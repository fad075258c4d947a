/**
 * How bin/mooring.js starts a command. Every command but the daemon runs from
 * dist/cli.cjs: mooring's modules and their dependencies in one CommonJS file
 * (scripts/bundle-cli.js), compiled through V8's code cache. Node 20 keeps no
 * compiled code of ES modules between runs, and resolving, reading and
 * compiling some 150 to 400 modules one by one was a quarter of a second of
 * every `mooring validate` and `mooring plan`, before any work.
 *
 * `mooring run`, the daemon, starts from dist/cli/main.js as tsc built it:
 * its start time does not matter. So does `mooring --version`, which loads
 * next to nothing, and every command when the bundle is missing or older than
 * dist/cli/main.js (dist/ built again by tsc alone).
 */
import type { Stats } from 'node:fs';
import { readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, Script } from 'node:vm';
import { asksVersionOnly, subcommandOf } from './argv.js';

type Main = (argv: string[]) => Promise<number>;

const BUNDLE = fileURLToPath(new URL('../cli.cjs', import.meta.url));
const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

/** Runs the command `argv` names and resolves to the process exit code. */
export async function start(argv: string[]): Promise<number> {
  const command = subcommandOf(argv) ?? '';
  // `--version` loads next to nothing from dist/: reading the whole bundle would cost it more.
  const bundle = command === 'run' || asksVersionOnly(argv) ? undefined : currentBundle();
  if (bundle === undefined) return (await import('./main.js')).main(argv);
  const loaded = loadBundle(bundle, command);
  const code = await loaded.main(argv);
  loaded.keepCache();
  return code;
}

/** The bundle's file status when it was built from the dist/ beside it, else undefined. */
function currentBundle(): Stats | undefined {
  const bundle = statSync(BUNDLE, { throwIfNoEntry: false });
  const main = statSync(MAIN, { throwIfNoEntry: false });
  return bundle && main && bundle.mtimeMs >= main.mtimeMs ? bundle : undefined;
}

/**
 * The bundle's `main`, compiled with the code cache of `command`'s last run:
 * one cache per command, since each holds the functions its run compiled.
 * `keepCache` writes that cache when there was none that V8 took.
 */
function loadBundle(bundle: Stats, command: string): { main: Main; keepCache(): void } {
  const cacheFile = `${BUNDLE}.${/^[a-z]+$/.test(command) ? command : 'other'}.cache`;
  // A cache names the bundle it was made from, by size and modification time: the build removes the old ones, this is for any bundle replaced otherwise.
  const key = Buffer.from(`${bundle.size}:${bundle.mtimeMs}\n`);
  const cached = readCache(cacheFile);
  const cachedData = cached && cached.subarray(0, key.length).equals(key) ? cached.subarray(key.length) : undefined;
  // Wrapped as node wraps a CommonJS module.
  const source = `(function (exports, require, module, __filename, __dirname) { ${readFileSync(BUNDLE, 'utf8')}\n});`;
  const script = new Script(source, {
    filename: BUNDLE,
    cachedData,
    // dist/cli.cjs imports `yaml` with `import()` (for a policy file), resolved as the unbundled code resolves it.
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} as { main: Main } };
  (script.runInThisContext() as (...args: unknown[]) => void).call(module.exports, module.exports, createRequire(BUNDLE), module, BUNDLE, dirname(BUNDLE));
  return {
    main: module.exports.main,
    keepCache: () => {
      if (cachedData !== undefined && !script.cachedDataRejected) return;
      writeCache(cacheFile, Buffer.concat([key, script.createCachedData()]));
    },
  };
}

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Written whole or not at all (a temporary file renamed), and not at all where dist/ is read-only: the cache only saves time. */
function writeCache(file: string, data: Buffer): void {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, data);
    renameSync(temporary, file);
  } catch {
    try {
      unlinkSync(temporary);
    } catch {
      // Never written.
    }
  }
}
