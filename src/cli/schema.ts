import { Command } from 'commander';
import type { CommandFactory } from './command.js';
import { manifestJsonSchema, policyJsonSchema } from '../manifests/json-schema.js';

export const schemaCommand: CommandFactory = (io, done) =>
  new Command('schema')
    .description('Print the JSON Schema of mooring manifests (for editors with yaml-language-server)')
    .option('--policy', 'print the schema of a --policy file instead', false)
    .action((options: { policy: boolean }) => {
      io.stdout.write(`${JSON.stringify(options.policy ? policyJsonSchema() : manifestJsonSchema(), null, 2)}\n`);
      done(0);
    });
