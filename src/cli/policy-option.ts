/**
 * `--policy`, shared by the commands that load manifests. Apart from
 * engine-options.ts so that `validate` does not load the engine's client.
 */
import { Option } from 'commander';
import { errorMessage } from '../errors.js';
import type { Policy } from '../manifests/policy.js';
import { resolvePolicy } from '../manifests/policy.js';
import type { CliIo } from './command.js';
import { writeLine } from './command.js';

/** `--policy`: what manifests may ask of the host. */
export function policyOption(): Option {
  return new Option('--policy <policy>', 'what manifests may ask of the host: baseline, privileged, or a policy file (see docs/operations.md)').default('baseline');
}

/** The policy `--policy` names; undefined, with the reason printed, when its file cannot be read or is invalid. */
export async function policyOf(io: CliIo, value: string): Promise<Policy | undefined> {
  try {
    return await resolvePolicy(value);
  } catch (error) {
    writeLine(io.stderr, `mooring: ${errorMessage(error)}`);
    return undefined;
  }
}
