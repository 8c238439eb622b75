import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ExitError } from './io.js';

/** Options every command that reads state accepts. */
export const COMMON_OPTIONS = {
  file: { type: 'string', short: 'f', default: 'mailstate.yaml' },
  'vpopmail-home': { type: 'string' },
  'qmail-home': { type: 'string' },
  'domain-base': { type: 'string', multiple: true },
} as const satisfies ParseArgsConfig['options'];

/**
 * Parses a command's options. Positional arguments beyond `positional.max` (none, except apply's
 * saved plan) are refused: `mailstate plan other.yaml` must not quietly plan ./mailstate.yaml.
 */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: string[],
  options: T,
  positional?: { max: number; what: string },
) {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new ExitError(`mailstate ${command}: ${(error as Error).message}\nRun "mailstate help" for usage.`);
  }
  const extra = parsed.positionals[positional?.max ?? 0];
  if (extra !== undefined) {
    const hint = Object.hasOwn(options, 'file')
      ? 'the file is given with -f FILE'
      : `mailstate ${command} takes options only`;
    const takes = positional ? `mailstate ${command} takes ${positional.what}; ` : '';
    throw new ExitError(`mailstate ${command}: unexpected argument "${extra}" (${takes}${hint})`);
  }
  return parsed;
}
