/**
 * zod's issues as mooring's messages: one per problem, located by field path,
 * worded "expected X, got Y", unknown fields with a "did you mean".
 */
import { z } from 'zod';
import { didYouMean } from './did-you-mean.js';
import { count } from '../plural.js';

type Issue = z.core.$ZodIssue;
export type FieldPath = (string | number)[];

export interface FieldProblem {
  path: FieldPath;
  message: string;
}

export interface SchemaProblemOptions {
  /** What to say of an unknown field, by dotted path, in place of a "did you mean". @default none */
  hints?: Readonly<Record<string, string>>;
}

/** Every problem zod found in `input` against `schema`, in the order zod found them. */
export function schemaProblems(schema: z.ZodType, issues: readonly Issue[], options: SchemaProblemOptions = {}): FieldProblem[] {
  return issues.flatMap((issue) => problemsOf(schema, issue, [], options.hints ?? {}));
}

function problemsOf(schema: z.ZodType, issue: Issue, prefix: FieldPath, hints: Readonly<Record<string, string>>): FieldProblem[] {
  const path = [...prefix, ...issue.path.map(pathSegment)];
  if (issue.code === 'unrecognized_keys') {
    const known = fieldNamesAt(schema, path);
    return issue.keys.map((key) => {
      const hint = hints[[...path, key].join('.')];
      return { path: [...path, key], message: `unknown field \`${key}\`${hint === undefined ? didYouMean(key, known) : `: ${hint}`}` };
    });
  }
  if (issue.code === 'invalid_key') {
    const key = String(issue.input ?? path[path.length - 1]);
    return issue.issues.map((inner) => ({ path, message: `invalid key ${JSON.stringify(key)}: ${messageOf(inner)}` }));
  }
  if (issue.code === 'invalid_union') {
    // zod keeps only the branches whose type matched; when exactly one did, its own problems say more than "expected A or B".
    const branches = issue.errors.filter((branch) => branch.some((inner) => inner.code !== 'invalid_type' || inner.path.length > 0));
    if (branches.length === 1 && branches[0]) return branches[0].flatMap((inner) => problemsOf(schema, inner, path, hints));
  }
  return [{ path, message: messageOf(issue) }];
}

function messageOf(issue: Issue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return `required field is missing (expected ${expectation(issue)})`;
  }
  if (issue.code === 'custom') return issue.message;
  const hint = issue.code === 'invalid_value' && issue.values.length > 1 && typeof issue.input === 'string' ? didYouMean(issue.input, issue.values.map(String)) : '';
  return `expected ${expectation(issue)}, got ${describeValue(issue.input)}${hint}`;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  null: 'null',
};

const FORMAT_NAMES: Record<string, string> = {
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
  cidrv4: 'an IPv4 subnet such as 10.0.0.0/24',
};

/** The "X" of "expected X, got Y". */
function expectation(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return TYPE_NAMES[issue.expected] ?? issue.expected;
    case 'invalid_value':
      return issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${issue.values.map(String).join(', ')}`;
    case 'invalid_format':
      // Our own regexes carry a message that starts "expected …".
      if (issue.format === 'regex') return issue.message.replace(/^expected /, '');
      return FORMAT_NAMES[issue.format] ?? `a valid ${issue.format}`;
    case 'too_small':
      return bound(issue.origin, issue.inclusive ? '>=' : '>', Number(issue.minimum));
    case 'too_big':
      return bound(issue.origin, issue.inclusive ? '<=' : '<', Number(issue.maximum));
    case 'invalid_union': {
      const options = issue.errors.flatMap((branch) => (branch[0] ? [expectation(branch[0])] : []));
      return alternatives([...new Set(options)]);
    }
    default:
      return issue.message;
  }
}

/** `a`, `a or b`, `a, b or c`. */
function alternatives(options: string[]): string {
  if (options.length === 0) return 'one of the allowed forms';
  return options.length === 1 ? (options[0] ?? '') : `${options.slice(0, -1).join(', ')} or ${options[options.length - 1]}`;
}

function bound(origin: string, operator: string, limit: number): string {
  if (origin === 'array') {
    const items = operator === '>' ? limit + 1 : operator === '<' ? limit - 1 : limit;
    return `${operator.startsWith('>') ? 'at least' : 'at most'} ${count(items, 'item')}`;
  }
  if (origin === 'string' && operator === '>=' && limit === 1) return 'a non-empty string';
  if (origin === 'string') return `a string of ${operator} ${limit} characters`;
  return `a number ${operator} ${limit}`;
}

/** The "Y" of "expected X, got Y": short, and true to what the file says. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null (an empty value)';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return value.length > 60 ? `${JSON.stringify(value.slice(0, 57))}…` : JSON.stringify(value);
  return String(value);
}

function pathSegment(segment: PropertyKey): string | number {
  return typeof segment === 'number' ? segment : String(segment);
}

/** The field names an object schema at `path` allows (several, where a union offers several objects). */
function fieldNamesAt(schema: z.ZodType, path: FieldPath): string[] {
  let schemas = [schema];
  for (const segment of path) schemas = schemas.flatMap((candidate) => childrenOf(candidate, segment));
  return schemas.flatMap((candidate) => objectsIn(candidate).flatMap((object) => Object.keys(object.shape)));
}

function childrenOf(schema: z.ZodType, segment: string | number): z.ZodType[] {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject) {
    const field = (inner.shape as Record<string, z.ZodType>)[String(segment)];
    return field ? [field] : [];
  }
  if (inner instanceof z.ZodArray) return [inner.element as z.ZodType];
  if (inner instanceof z.ZodRecord) return [inner.valueType as z.ZodType];
  if (inner instanceof z.ZodUnion) return (inner.options as z.ZodType[]).flatMap((option) => childrenOf(option, segment));
  return [];
}

function objectsIn(schema: z.ZodType): z.ZodObject[] {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodObject) return [inner];
  if (inner instanceof z.ZodUnion) return (inner.options as z.ZodType[]).flatMap(objectsIn);
  return [];
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodNullable) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}
