/**
 * Compose's variable substitution, as compose-go's `template` package does it:
 * `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`,
 * `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}`, nested in the default, error
 * and alternative parts, and `$$` for a literal `$`. Any other `$` is an
 * error, as it is for `docker compose`. Pure.
 */

/** A variable's value, or undefined when it is not set (set and empty is `''`). */
export type Lookup = (name: string) => string | undefined;

/** Thrown by {@link substitute}; the caller places it in the file. */
export class InterpolationError extends Error {
  override name = 'InterpolationError';
}

const NAME_START = /[_a-zA-Z]/;
const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*/;

/** The operators of a braced expression, with what each does with the variable's value. */
const OPERATORS: readonly { operator: string; apply(value: string | undefined, argument: () => string, name: string): string }[] = [
  { operator: ':-', apply: (value, argument) => (value === undefined || value === '' ? argument() : value) },
  { operator: '-', apply: (value, argument) => value ?? argument() },
  { operator: ':+', apply: (value, argument) => (value === undefined || value === '' ? '' : argument()) },
  { operator: '+', apply: (value, argument) => (value === undefined ? '' : argument()) },
  { operator: ':?', apply: (value, argument, name) => (value === undefined || value === '' ? missing(name, argument()) : value) },
  { operator: '?', apply: (value, argument, name) => value ?? missing(name, argument()) },
];

function missing(name: string, message: string): never {
  throw new InterpolationError(`required variable ${name} is missing a value: ${message}`);
}

function invalid(template: string): never {
  throw new InterpolationError(`invalid interpolation format in ${JSON.stringify(template)}: you may need to escape any $ with another $`);
}

/**
 * The string with its variables substituted. An unset variable without a
 * default is the empty string (Compose warns; nobody reads a daemon's warnings,
 * so `${VAR:?}` is the way to make one required).
 */
export function substitute(template: string, lookup: Lookup): string {
  let out = '';
  for (let i = 0; i < template.length; ) {
    const char = template.charAt(i);
    if (char !== '$') {
      out += char;
      i++;
      continue;
    }
    const next = template.charAt(i + 1);
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (NAME_START.test(next)) {
      const name = NAME.exec(template.slice(i + 1))![0];
      out += lookup(name) ?? '';
      i += 1 + name.length;
    } else if (next === '{') {
      const close = closingBrace(template, i);
      if (close < 0) invalid(template);
      out += braced(template.slice(i + 2, close), lookup, template);
      i = close + 1;
    } else {
      invalid(template);
    }
  }
  return out;
}

/** The index of the `}` that closes the `${` at `start`, counting the `${` nested in it; -1 when none does. */
function closingBrace(template: string, start: number): number {
  let open = 0;
  for (let i = start; i < template.length; i++) {
    if (template.startsWith('${', i)) {
      open++;
      i++;
    } else if (template.charAt(i) === '}' && --open === 0) {
      return i;
    }
  }
  return -1;
}

function braced(expression: string, lookup: Lookup, template: string): string {
  const name = NAME.exec(expression)?.[0];
  if (name === undefined) invalid(template);
  const rest = expression.slice(name.length);
  if (rest === '') return lookup(name) ?? '';
  const found = OPERATORS.find(({ operator }) => rest.startsWith(operator));
  if (found === undefined) invalid(template);
  const argument = rest.slice(found.operator.length);
  return found.apply(lookup(name), () => substitute(argument, lookup), name);
}

/** Where a string sits in a tree, for the error that names it. */
export type TreePath = (string | number)[];

/**
 * Every string value in the tree substituted (keys are not: Compose
 * interpolates values only). Each problem is reported with its path, and the
 * value is left as it was.
 */
export function interpolateTree(value: unknown, lookup: Lookup, report: (path: TreePath, message: string) => void, path: TreePath = []): unknown {
  if (typeof value === 'string') {
    try {
      return substitute(value, lookup);
    } catch (error) {
      if (!(error instanceof InterpolationError)) throw error;
      report(path, error.message);
      return value;
    }
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolateTree(item, lookup, report, [...path, index]));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateTree(item, lookup, report, [...path, key])]));
  }
  return value;
}
