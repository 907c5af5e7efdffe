import type { z } from 'zod';

/**
 * Bad input: the CLI prints the message (no stack trace) and exits with code 2.
 * Every message names what was wrong and, where there is a list, the valid names.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
}

/** Infrastructure failure (a service did not start or died): exit code 3. */
export class InfrastructureError extends Error {
  override readonly name = 'InfrastructureError';
}

/**
 * `source: steps[2].dependsOn[0]: unknown step "x"`: one self-contained line per issue,
 * naming the field by its path. With the schema, an unknown key also lists the valid ones
 * and a number out of range states the range (parse with REPORT_INPUT to name the value).
 */
/** safeParse options that keep the bad value in each issue, for the message. */
export const REPORT_INPUT = { reportInput: true } as const;

export function describeZodError(
  error: z.ZodError,
  source: string,
  schema?: z.ZodType,
  noun = 'field',
): string {
  return error.issues
    .map((issue) => {
      const path = formatPath(issue.path) || '(top level)';
      return `${source}${path.startsWith('[') ? '' : ': '}${path}: ${issueMessage(issue, schema, noun)}`;
    })
    .join('\n');
}

function issueMessage(issue: z.core.$ZodIssue, schema: z.ZodType | undefined, noun: string): string {
  if (issue.code === 'unrecognized_keys') {
    const unknown = issue.keys.map((k) => `"${k}"`).join(', ');
    const node = schema === undefined ? undefined : schemaAt(schema, issue.path);
    const valid = node === undefined ? undefined : objectKeys(node);
    const what = `unknown ${noun}${issue.keys.length === 1 ? '' : 's'}`;
    return valid === undefined
      ? `${what} ${unknown}`
      : `${what} ${unknown}; valid ${noun}s: ${valid.join(', ')}`;
  }
  if ((issue.code === 'too_big' || issue.code === 'too_small') && issue.origin === 'number') {
    const range = schema === undefined ? undefined : numberRange(schemaAt(schema, issue.path));
    const given = typeof issue.input === 'number' ? `${issue.input} is ` : '';
    if (range !== undefined) return `${given}out of range; valid: ${range}`;
  }
  return issue.message;
}

/** The first issue only, as one line, and how many more there are: for files a program wrote. */
export function describeZodErrorBriefly(error: z.ZodError, source: string, schema?: z.ZodType): string {
  const [first, ...rest] = describeZodError(error, source, schema).split('\n');
  return rest.length === 0 ? first! : `${first} (and ${rest.length} more)`;
}

/** The schema node at `path` inside `schema`, through defaults, optionals, arrays, records and pipes. */
function schemaAt(schema: z.ZodType, path: readonly PropertyKey[]): unknown {
  let node: unknown = schema;
  const rest = [...path];
  for (let guard = 0; guard < 100 && node !== undefined; guard++) {
    const def = defOf(node);
    if (def === undefined) return undefined;
    switch (def.type) {
      case 'default':
      case 'optional':
      case 'nullable':
      case 'prefault':
      case 'readonly':
      case 'catch':
        node = def.innerType;
        continue;
      case 'pipe':
        node = def.in;
        continue;
      case 'array':
      case 'record':
        if (rest.length === 0) return node;
        rest.shift();
        node = def.type === 'array' ? def.element : def.valueType;
        continue;
      case 'object':
        if (rest.length === 0) return node;
        node = (def.shape as Record<string, unknown>)[String(rest.shift())];
        continue;
      default:
        return rest.length === 0 ? node : undefined;
    }
  }
  return undefined;
}

const defOf = (node: unknown) =>
  (node as { _zod?: { def?: Record<string, unknown> } } | undefined)?._zod?.def;

function objectKeys(node: unknown): string[] | undefined {
  const def = defOf(node);
  return def?.type === 'object' ? Object.keys(def.shape as Record<string, unknown>) : undefined;
}

/** "an integer from 1 to 1000000": a number schema's bounds as people read them. */
function numberRange(node: unknown): string | undefined {
  const number = node as { minValue?: number | null; maxValue?: number | null; isInt?: boolean } | undefined;
  if (defOf(node)?.type !== 'number' || number === undefined) return undefined;
  const min = number.minValue ?? Number.NEGATIVE_INFINITY;
  const max = number.maxValue ?? Number.POSITIVE_INFINITY;
  const kind = number.isInt ? 'an integer' : 'a number';
  if (Number.isFinite(min) && Number.isFinite(max)) return `${kind} from ${min} to ${max}`;
  if (Number.isFinite(min)) return `${kind} of at least ${min}`;
  if (Number.isFinite(max)) return `${kind} of at most ${max}`;
  return undefined;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

export function unknownName(what: string, name: string, valid: readonly string[]): InputError {
  return new InputError(`unknown ${what} "${name}"; valid ${what}s: ${valid.join(', ')}`);
}
