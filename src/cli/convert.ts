import { mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import type { CommandFactory } from './command.js';
import { EXIT, writeLine } from './command.js';
import type { ManifestFile } from '../manifests/model.js';
import { loadComposeFile, loadManifestDirectory } from '../manifests/load.js';
import { composeRoles } from '../manifests/compose/detect.js';
import { manifestText } from '../manifests/compose/to-manifests.js';
import { count } from '../plural.js';
import { profileOption } from './profile-option.js';

/**
 * `mooring convert [FILE|DIR] [-o DIR]`: Compose projects → mooring manifests,
 * one file per project (`<project>.yaml`), on stdout without `-o`. A project
 * with errors is reported and not written; exit 1 when any had errors.
 */
export const convertCommand: CommandFactory = (io, done) => {
  const command: Command = new Command('convert')
    .description('Write the mooring manifests of Compose projects: a Compose file, or every project under a directory')
    .argument('[path]', 'a Compose file, or a directory to search for compose.yaml files', '.')
    .option('-o, --output <dir>', 'write one <project>.yaml per project into this directory (default: stdout)')
    .addOption(profileOption())
    .action(async (path: string) => {
      const { output, profile } = command.opts<{ output?: string; profile: string[] }>();
      const environment = { environment: io.env, profiles: profile };
      const isDirectory = (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
      let projects: ManifestFile[];
      if (isDirectory) {
        const loaded = await loadManifestDirectory(path, environment);
        const roles = composeRoles(loaded.files.map((file) => file.file));
        projects = loaded.files.filter((file) => roles.get(file.file)?.role === 'project');
      } else {
        projects = [await loadComposeFile(path, environment)];
      }
      if (projects.length === 0) {
        writeLine(io.stderr, `mooring convert: no Compose project under ${path}`);
        return done(EXIT.failed);
      }
      let failed = 0;
      for (const project of projects) {
        if (project.errors.length > 0) {
          failed++;
          for (const error of project.errors) writeLine(io.stderr, error.message);
          continue;
        }
        const name = project.project ?? basename(dirname(resolve(project.file)));
        const text = manifestText({ project: name, file: project.file, documents: project.documents });
        if (output === undefined) {
          io.stdout.write(text);
          continue;
        }
        await mkdir(output, { recursive: true });
        const target = join(output, `${name}.yaml`);
        await writeFile(target, text);
        writeLine(io.stderr, `${project.file} → ${resolve(target)} (${count(project.documents.length, 'document')})`);
      }
      done(failed > 0 ? EXIT.failed : EXIT.ok);
    });
  return command;
};
