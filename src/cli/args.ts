import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ExitError } from './io.js';

/** Options every command that reads state accepts. */
export const COMMON_OPTIONS = {
  file: { type: 'string', short: 'f', default: 'mailstate.yaml' },
  'vpopmail-home': { type: 'string' },
  'qmail-home': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(command: string, argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new ExitError(`mailstate ${command}: ${(error as Error).message}\nRun "mailstate help" for usage.`);
  }
}
