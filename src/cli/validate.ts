import { Command, Option } from 'commander';
import type { CommandFactory } from './command.js';
import { EXIT, manifestsDirectory, writeLine } from './command.js';
import { policyOf, policyOption } from './policy-option.js';
import { profileOption } from './profile-option.js';
import type { LoadedManifests } from '../manifests/desired-state.js';
import { loadDesiredState } from '../manifests/desired-state.js';
import { count } from '../plural.js';

interface ValidateOptions {
  output: 'text' | 'json';
  policy: string;
  profile: string[];
}

/**
 * `mooring validate [DIR]`: every error of the directory at once, each as
 * `FILE:LINE:COL: Kind/name: field.path: message`; exit 0 when valid, 1 when not.
 */
export const validateCommand: CommandFactory = (io, done) => {
  const command: Command = new Command('validate')
    .description('Check a manifests directory; exit 0 when valid, 1 when not')
    .argument('[directory]', 'manifests directory (same as -m)')
    .option('-m, --manifests <dir>', 'manifests directory', 'manifests')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(policyOption())
    .addOption(profileOption())
    .action(async () => {
      const options = command.opts<ValidateOptions>();
      const policy = await policyOf(io, options.policy);
      if (!policy) return done(EXIT.failed);
      const loaded = await loadDesiredState({ directory: manifestsDirectory(command), policy, profiles: options.profile });
      const errors = loaded.files.flatMap((file) => file.errors);
      const valid = loaded.directoryExists && errors.length === 0;
      const summary = summarize(loaded, errors.length);
      if (options.output === 'json') {
        io.stdout.write(`${JSON.stringify(report(loaded, valid, summary), null, 2)}\n`);
      } else {
        for (const error of errors) writeLine(io.stderr, error.message);
        writeLine(valid ? io.stdout : io.stderr, summary);
      }
      done(valid ? EXIT.ok : EXIT.failed);
    });
  return command;
};

function summarize(loaded: LoadedManifests, errorCount: number): string {
  if (!loaded.directoryExists) return `${loaded.directory}: no such directory`;
  const failed = loaded.files.reduce((sum, file) => sum + (file.failed ?? 0), 0);
  const documents = loaded.files.reduce((sum, file) => sum + file.documents.length, 0) + failed;
  const counted = `${count(loaded.files.length, 'file')}, ${count(documents, 'document')}${failed > 0 ? `, ${failed} of them malformed` : ''}`;
  if (errorCount === 0) return `${loaded.directory}: valid (${counted})`;
  const invalidFiles = loaded.files.filter((file) => file.errors.length > 0).length;
  return `${loaded.directory}: ${count(errorCount, 'error')} in ${count(invalidFiles, 'file')} (${counted})`;
}

function report(loaded: LoadedManifests, valid: boolean, summary: string) {
  return {
    directory: loaded.directory,
    directoryExists: loaded.directoryExists,
    valid,
    summary,
    files: loaded.files.map((file) => ({
      file: file.file,
      digest: file.digest,
      valid: file.errors.length === 0,
      documents: file.documents.length,
      malformedDocuments: file.failed ?? 0,
      errors: file.errors.length,
    })),
    documents: loaded.files.flatMap((file) => file.documents.map((document) => ({ kind: document.kind, name: document.name, ...document.source }))),
    errors: loaded.files.flatMap((file) => file.errors.map((error) => error.toJSON())),
  };
}
