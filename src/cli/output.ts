import { styleText } from 'node:util';
import type { TextOptions, TextStyle } from '../render/text.js';
import type { OptionSpecs } from './args.js';
import type { CliIo } from './io.js';

/** How much a text plan shows, and whether in colour: plan's and apply's flags. */
export const OUTPUT_OPTIONS = {
  quiet: { type: 'boolean', short: 'q', default: false, help: 'leave out the list of what mailstate leaves alone' },
  verbose: {
    type: 'boolean',
    short: 'v',
    default: false,
    help: 'list everything mailstate leaves alone (by default the first 20)',
  },
  'no-color': {
    type: 'boolean',
    default: false,
    help: 'no colours (also when NO_COLOR is set or standard output is not a terminal)',
  },
} as const satisfies OptionSpecs;

// validateStream off: whether to colour is decided here, once, not per call by Node's own checks.
const paint =
  (format: Parameters<typeof styleText>[0]) =>
  (text: string): string =>
    styleText(format, text, { validateStream: false });

const COLOURS: TextStyle = {
  add: paint('green'),
  change: paint('yellow'),
  remove: paint('red'),
  warning: paint(['bold', 'yellow']),
};

/** Colour only for a person at a terminal: not in a pipe or a file, not with NO_COLOR (no-color.org) or TERM=dumb. */
export function wantsColour(io: CliIo, noColorFlag: boolean): boolean {
  if (noColorFlag || io.stdoutIsTty !== true) return false;
  if (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '') return false;
  return io.env.TERM !== 'dumb';
}

export function textOptions(
  io: CliIo,
  values: { quiet: boolean; verbose: boolean; 'no-color': boolean },
  label: string,
): TextOptions {
  return {
    label,
    unmanaged: values.quiet ? 'none' : values.verbose ? 'all' : 'first',
    ...(wantsColour(io, values['no-color']) ? { style: COLOURS } : {}),
  };
}
