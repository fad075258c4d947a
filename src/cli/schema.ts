import { Command } from 'commander';
import type { CommandFactory } from './command.js';
import { manifestJsonSchema } from '../manifests/json-schema.js';

export const schemaCommand: CommandFactory = (io, done) =>
  new Command('schema').description('Print the JSON Schema of mooring manifests (for editors with yaml-language-server)').action(() => {
    io.stdout.write(`${JSON.stringify(manifestJsonSchema(), null, 2)}\n`);
    done(0);
  });
