/**
 * Builds dist/cli.cjs, the one file that bin/mooring.js runs every command
 * but the daemon from (src/cli/start.ts says why): mooring's modules, as tsc
 * built them in dist/, with the dependencies they import, bundled by esbuild.
 * Run by `npm run build`, after tsc.
 */
import { readFile, readdir, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';

const DIST = join(import.meta.dirname, '..', 'dist');
const BUNDLE = join(DIST, 'cli.cjs');

/**
 * Each of mooring's modules keeps the `import.meta.url` it has in dist/: the
 * daemon's probes start dist/probes/*.js by paths relative to it, and
 * version.ts finds package.json that way. (`__moduleUrl` is the bundle's
 * banner below.)
 */
const moduleUrls = {
  name: 'module-urls',
  setup(bundler) {
    bundler.onLoad({ filter: /\.js$/ }, async ({ path }) => {
      if (relative(DIST, path).startsWith('..')) return undefined;
      const text = await readFile(path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      return { contents: text.replaceAll('import.meta.url', `__moduleUrl(${JSON.stringify(relative(DIST, path))})`), loader: 'js', resolveDir: dirname(path) };
    });
  },
};

await build({
  entryPoints: [join(DIST, 'cli/main.js')],
  outfile: BUNDLE,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Whitespace only: the names in a stack trace stay mooring's.
  minifyWhitespace: true,
  // dockerode: defer-dockerode.ts must find its modules in require's cache; koffi: a native addon;
  // yaml: parse.ts loads it only for a file quick-yaml.ts does not read.
  external: ['dockerode', 'koffi', 'yaml'],
  banner: { js: "'use strict';const __moduleUrl=(file)=>require('node:url').pathToFileURL(require('node:path').join(__dirname,file)).href;" },
  plugins: [moduleUrls],
  logLevel: 'warning',
});

// Code caches of the bundle just replaced (src/cli/start.ts writes them beside it) describe another file.
for (const entry of await readdir(DIST)) if (entry.startsWith('cli.cjs.')) await rm(join(DIST, entry), { force: true });
