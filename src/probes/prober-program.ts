/**
 * Where the prober program is: `prober.js` beside this module when mooring runs
 * from `dist/`; under tsx (tests, `src/`), `prober.ts` run with tsx's loader.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface ProberProgram {
  /** Arguments for `node` that run the prober from its file. */
  nodeArgs: string[];
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
  const compiled = fileURLToPath(new URL('./prober.js', import.meta.url));
  const built = existsSync(compiled) ? compiled : fileURLToPath(new URL('../../dist/probes/prober.js', import.meta.url));
  const nodeArgs =
    existsSync(compiled) || options.built
      ? [built]
      : ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href, fileURLToPath(new URL('./prober.ts', import.meta.url))];
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
    nodeArgs,
    source: () =>
      (source ??= load().catch((error: unknown) => {
        source = undefined;
        throw error;
      })),
  };
}
