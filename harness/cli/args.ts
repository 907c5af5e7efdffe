import { type ParseArgsConfig, parseArgs } from 'node:util';
import { InputError } from '../../core/errors.js';

/** parseArgs with our error style: an unknown flag is bad input (exit 2), and says so. */
type Options = NonNullable<ParseArgsConfig['options']>;

export function parseFlags<T extends Options>(argv: string[], options: T, command: string) {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>
  >;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true } as const);
  } catch (error) {
    const valid = Object.keys(options)
      .map((o) => `--${o}`)
      .join(', ');
    throw new InputError(
      `faultline ${command}: ${(error as Error).message}; valid flags: ${valid || 'none'}`,
    );
  }
  refuseRepeats(argv, options, command);
  return parsed;
}

/**
 * A flag that takes one value, given twice: parseArgs keeps the last silently, so
 * `--adapter celery --adapter temporal` would run Temporal alone. Refused instead.
 */
function refuseRepeats(argv: string[], options: Options, command: string): void {
  const { tokens } = parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true });
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind !== 'option' || options[token.name]?.multiple) continue;
    if (seen.has(token.name)) {
      const hint =
        options[token.name]?.type === 'string' ? ` (a list is comma-separated: --${token.name} a,b)` : '';
      throw new InputError(
        `faultline ${command}: --${token.name} is given more than once; give it once${hint}`,
      );
    }
    seen.add(token.name);
  }
}

export const list = (value: string | undefined): string[] | undefined =>
  value === undefined
    ? undefined
    : value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

export function number(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new InputError(`--${flag}: "${value}" is not a number`);
  return parsed;
}

export function onOff(flag: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'on' || value === 'true') return true;
  if (value === 'off' || value === 'false') return false;
  throw new InputError(`--${flag}: "${value}" must be on or off`);
}
