import { parseArgs, type ParseArgsConfig } from 'node:util';
import { didYouMean } from '../model/did-you-mean.js';
import { ExitError } from './io.js';

type ParseOption = NonNullable<ParseArgsConfig['options']>[string];

/**
 * One option of a command: what parseArgs needs, and what its --help says. The help lives on the
 * option itself, so a flag cannot be parsed without being documented.
 */
export type OptionSpec = ParseOption & {
  /** One line (or a few, joined by \n) for --help. */
  help: string;
  /** The placeholder of a string option's value in --help, e.g. FILE. */
  value?: string;
};

export type OptionSpecs = Record<string, OptionSpec>;

export interface CommandSpec<T extends OptionSpecs = OptionSpecs> {
  name: string;
  /** What the command does, for its --help; one short paragraph. */
  summary: string;
  /** What follows `mailstate NAME` in its usage line. */
  usage: string;
  options: T;
  /** Positional arguments it takes (none unless given). */
  positional?: { max: number; what: string };
  /** Lines of its exit codes, "0  meaning". */
  exitCodes: readonly string[];
}

/** Options every command that reads state accepts. */
export const COMMON_OPTIONS = {
  file: { type: 'string', short: 'f', default: 'mailstate.yaml', value: 'FILE', help: 'the desired state' },
  'vpopmail-home': {
    type: 'string',
    value: 'DIR',
    help: 'override vpopmail.home from the YAML (default /home/vpopmail)',
  },
  'qmail-home': { type: 'string', value: 'DIR', help: 'override qmail.home from the YAML (default /var/qmail)' },
  'domain-base': {
    type: 'string',
    multiple: true,
    value: 'DIR',
    help: 'also act on domains below DIR/domains (made with vadddomain -d DIR); repeatable.\nWithout it a users/assign directory outside ~vpopmail/domains is refused',
  },
} as const satisfies OptionSpecs;

/** plan's and apply's --domain: globs over the declared domains. */
export const DOMAIN_OPTION = {
  type: 'string',
  multiple: true,
  value: 'PATTERN',
  help: 'only the declared domains matching PATTERN (a glob: example.com, *.example.com);\nrepeatable. The plan says it is partial; relay rules and other domains are left out',
} as const satisfies OptionSpec;

/** plan's, apply's, watch's and status's --server: which share of a fleet. */
export const SERVER_OPTION = {
  type: 'string',
  value: 'NAME',
  help: 'with servers: in the YAML, the server this is (default: MAILSTATE_SERVER, then the host\nname if it is a declared server); only its share of the fleet is planned and applied',
} as const satisfies OptionSpec;

/** plan's, apply's and watch's --peer-snapshots: the evidence a user's old server needs before it moves the user out. */
export const PEER_SNAPSHOTS_OPTION = {
  type: 'string',
  value: 'DIR',
  help: 'snapshots of the other servers (DIR/<server>.json, from mailstate snapshot): a user\nmoving away is turned into a forward only once its new server is seen holding its mailbox',
} as const satisfies OptionSpec;

/** Options of the commands that read a server without a YAML (import, snapshot). */
export const SERVER_OPTIONS = {
  'vpopmail-home': { type: 'string', default: '/home/vpopmail', value: 'DIR', help: "the server's vpopmail home" },
  'qmail-home': { type: 'string', default: '/var/qmail', value: 'DIR', help: "the server's qmail home" },
  'domain-base': COMMON_OPTIONS['domain-base'],
} as const satisfies OptionSpecs;

/** Thrown for --help / -h: main prints the text on standard output and exits 0. */
export class HelpRequested extends Error {
  readonly text: string;
  constructor(text: string) {
    super('help requested');
    this.text = text;
  }
}

function optionLabel(name: string, option: OptionSpec): string {
  const long = `--${name}${option.type === 'string' ? ` ${option.value ?? 'VALUE'}` : ''}`;
  return option.short ? `-${option.short}, ${long}` : `    ${long}`;
}

function defaultNote(option: OptionSpec): string {
  if (option.default === undefined || option.type === 'boolean' || option.help.includes('default')) return '';
  return ` (default: ${String(option.default)})`;
}

/** A command's --help: usage, what it does, every option, exit codes. */
export function renderCommandHelp(spec: CommandSpec): string {
  const rows: [string, string][] = Object.entries(spec.options).map(([name, option]) => [
    optionLabel(name, option),
    `${option.help}${defaultNote(option)}`,
  ]);
  rows.push(['-h, --help', 'show this help']);
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const options = rows.flatMap(([label, help]) =>
    help.split('\n').map((line, index) => `  ${(index === 0 ? label : '').padEnd(width)}${line}`),
  );
  return [
    `Usage: mailstate ${spec.name} ${spec.usage}`,
    '',
    spec.summary,
    '',
    'Options:',
    ...options,
    '',
    'Exit codes:',
    ...spec.exitCodes.map((line) => `  ${line}`),
    '',
  ].join('\n');
}

/**
 * The options as given, known or not, without stopping at the first unknown one (strict parsing
 * would): what --help and the did-you-mean look at.
 */
function givenOptions(spec: CommandSpec, argv: string[]): { name: string; rawName: string }[] {
  const { tokens } = parseArgs({
    args: argv,
    options: spec.options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const options: { name: string; rawName: string }[] = [];
  for (const token of tokens) if (token.kind === 'option') options.push(token);
  return options;
}

/** An option the command does not know, with the nearest one it does; undefined when all are known. */
function unknownOption(spec: CommandSpec, given: readonly { name: string; rawName: string }[]): string | undefined {
  const shorts = new Map(Object.entries(spec.options).flatMap(([name, o]) => (o.short ? [[o.short, name]] : [])));
  for (const token of given) {
    if (Object.hasOwn(spec.options, token.name) || shorts.has(token.name)) continue;
    const near = didYouMean(token.name, Object.keys(spec.options));
    const hint = near ? ` (did you mean --${near}?)` : '';
    return `mailstate ${spec.name}: unknown option ${token.rawName}${hint}`;
  }
  return undefined;
}

/**
 * Parses a command's options. Positional arguments beyond `positional.max` (none, except apply's
 * saved plan) are refused: `mailstate plan other.yaml` must not quietly plan ./mailstate.yaml.
 */
export function parseCommandArgs<T extends OptionSpecs>(spec: CommandSpec<T>, argv: string[]) {
  const { name: command, options, positional } = spec;
  const given = givenOptions(spec, argv);
  if (given.some((option) => option.name === 'help' || option.name === 'h'))
    throw new HelpRequested(renderCommandHelp(spec));
  const usage = `Run "mailstate ${command} --help" for its options.`;
  const unknown = unknownOption(spec, given);
  if (unknown) throw new ExitError(`${unknown}\n${usage}`);
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new ExitError(`mailstate ${command}: ${(error as Error).message}\n${usage}`);
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
