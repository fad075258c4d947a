/**
 * `--profile`, shared by the commands that load manifests. Apart from
 * engine-options.ts so that `validate` and `convert` do not load the engine's client.
 */
import { InvalidArgumentError, Option } from 'commander';

/**
 * `--profile NAME`, repeatable: the Compose profiles to enable, as
 * `docker compose --profile` does. Given, it replaces `COMPOSE_PROFILES` (as in Compose).
 */
export function profileOption(): Option {
  return new Option('--profile <name>', 'enable a Compose profile; repeatable, and any replaces COMPOSE_PROFILES, as in Compose').argParser(addProfile).default([], '$COMPOSE_PROFILES');
}

function addProfile(value: string, previous: string[]): string[] {
  // Compose's own rule for a profile's name.
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(value) && value !== '*') throw new InvalidArgumentError(`expected a profile name of letters, digits, "_", "." and "-" (or "*" for every profile), got ${JSON.stringify(value)}`);
  return [...previous, value];
}
