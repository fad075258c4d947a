/**
 * Where the prober's entry points are: beside this module when mooring runs
 * from `dist/`; under tsx (tests, `src/`), the `.ts` sources run with tsx's loader.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A module to run as a program: its file, and the node options it needs. */
interface EntryPoint {
  file: string;
  execArgv: string[];
}

/** What `new Worker` takes to run a module: its file, or code that loads it (`eval`). */
export interface ThreadEntry {
  script: string;
  eval: boolean;
}

export interface ProberProgram {
  /** Arguments for `node` that run the prober from its file. */
  nodeArgs: string[];
  /** The worker thread that runs the prober's checks after entering a network namespace (the setns method). */
  thread: ThreadEntry;
  /**
   * JavaScript that runs the prober under `node --input-type=module -e`, for
   * images that have node but not mooring. From `src/` this is the built
   * `dist/probes/prober.js`: run `npm run build` first.
   */
  source(): Promise<string>;
}

/**
 * The prober beside this module, or under tsx its source; `built: true` takes
 * the compiled one in `dist/` even from `src/`, to measure what users run.
 */
export function proberProgram(options: { built?: boolean } = {}): ProberProgram {
  const prober = entryPoint('prober', options);
  const built = entryPoint('prober', { built: true }).file;
  let source: Promise<string> | undefined;
  const load = async () => {
    let text: string;
    try {
      text = await readFile(built, 'utf8');
    } catch (error) {
      throw new Error(`expected the built prober at ${built} (run \`npm run build\`), got ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
    }
    // Under `-e`, the module is not its own entry point, so it does not start by itself.
    return `${text.replace(/^\/\/# sourceMappingURL=.*$/m, '')}\nvoid main();\n`;
  };
  return {
    nodeArgs: [...prober.execArgv, prober.file],
    thread: threadEntry(entryPoint('setns-worker', options)),
    source: () =>
      (source ??= load().catch((error: unknown) => {
        source = undefined;
        throw error;
      })),
  };
}

function entryPoint(name: string, options: { built?: boolean }): EntryPoint {
  const compiled = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  if (existsSync(compiled)) return { file: compiled, execArgv: [] };
  if (options.built) return { file: fileURLToPath(new URL(`../../dist/probes/${name}.js`, import.meta.url)), execArgv: [] };
  return { file: fileURLToPath(new URL(`./${name}.ts`, import.meta.url)), execArgv: ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] };
}

/** Worker threads do not take `--import`: under tsx, a worker registers tsx itself before it loads the module. */
function threadEntry(entry: EntryPoint): ThreadEntry {
  if (entry.execArgv.length === 0) return { script: entry.file, eval: false };
  const tsx = createRequire(import.meta.url).resolve('tsx/cjs/api');
  return { script: `require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(entry.file)});`, eval: true };
}
