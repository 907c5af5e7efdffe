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

/** "steps[2].dependsOn[0]: unknown step "x"" — one line per issue, with the field's path. */
export function describeZodError(error: z.ZodError, source: string): string {
  const lines = error.issues.map((issue) => `  ${formatPath(issue.path) || '(top level)'}: ${issue.message}`);
  return `${source} is invalid:\n${lines.join('\n')}`;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

export function unknownName(what: string, name: string, valid: readonly string[]): InputError {
  return new InputError(`unknown ${what} "${name}"; valid ${what}s: ${valid.join(', ')}`);
}
