import { type ParseArgsConfig, parseArgs } from 'node:util';
import { InputError } from '../../core/errors.js';

/** parseArgs with our error style: an unknown flag is bad input (exit 2), and says so. */
type Options = NonNullable<ParseArgsConfig['options']>;

export function parseFlags<T extends Options>(argv: string[], options: T, command: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true } as const);
  } catch (error) {
    const valid = Object.keys(options)
      .map((o) => `--${o}`)
      .join(', ');
    throw new InputError(
      `faultline ${command}: ${(error as Error).message}; valid flags: ${valid || 'none'}`,
    );
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
