import { Command } from 'commander';
import type { CommandFactory } from './main.js';

export const validateCommand: CommandFactory = (io, done) =>
  new Command('validate')
    .description('Check a manifests directory; exit 0 when valid, 1 when not')
    .option('-m, --manifests <dir>', 'manifests directory', 'manifests')
    .option('-o, --output <format>', 'text or json', 'text')
    .action(() => {
      io.stderr.write('not implemented yet\n');
      done(1);
    });
