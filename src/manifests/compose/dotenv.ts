/**
 * A project's `.env` file, as Compose reads it: `KEY=VALUE` lines (with an
 * optional `export `), `#` comments, single quotes taken literally, double
 * quotes with escapes, and `${VAR}` substituted from the environment and the
 * lines above. Pure.
 */
import type { Lookup } from './interpolate.js';
import { InterpolationError, substitute } from './interpolate.js';

export interface DotenvProblem {
  line: number;
  column: number;
  message: string;
}

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '$' };

/** The variables the file sets, in order, and the lines it could not read. */
export function parseDotenv(text: string, environment: Lookup): { variables: Map<string, string>; problems: DotenvProblem[] } {
  const variables = new Map<string, string>();
  const problems: DotenvProblem[] = [];
  // The environment wins over the file (as in Compose), and a line sees the lines above it.
  const lookup: Lookup = (name) => environment(name) ?? variables.get(name);
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (/^\s*(#.*)?$/.test(raw)) return;
    const match = LINE.exec(raw);
    if (!match) {
      problems.push({ line, column: 1, message: `expected KEY=VALUE, got ${JSON.stringify(raw.trim())}` });
      return;
    }
    const [, key, rawValue] = match as unknown as [string, string, string];
    const column = raw.length - rawValue.length + 1;
    try {
      variables.set(key, value(rawValue.trimEnd(), lookup));
    } catch (error) {
      if (!(error instanceof InterpolationError) && !(error instanceof DotenvValueError)) throw error;
      problems.push({ line, column, message: `${key}: ${error.message}` });
    }
  });
  return { variables, problems };
}

class DotenvValueError extends Error {}

function value(raw: string, lookup: Lookup): string {
  const quote = raw.charAt(0);
  if (quote === "'") {
    const end = raw.indexOf("'", 1);
    if (end < 0) throw new DotenvValueError('expected a closing \'');
    return raw.slice(1, end);
  }
  if (quote === '"') {
    let out = '';
    for (let i = 1; i < raw.length; i++) {
      const char = raw.charAt(i);
      if (char === '"') return substitute(out, lookup);
      if (char === '\\' && i + 1 < raw.length) {
        const next = raw.charAt(++i);
        // `\$` stays escaped for the substitution below, as `$$`.
        out += next === '$' ? '$$' : (ESCAPES[next] ?? `\\${next}`);
      } else {
        out += char;
      }
    }
    throw new DotenvValueError('expected a closing "');
  }
  // Unquoted: a ` #` starts a comment.
  const comment = raw.search(/\s#/);
  return substitute((comment < 0 ? raw : raw.slice(0, comment)).trim(), lookup);
}
