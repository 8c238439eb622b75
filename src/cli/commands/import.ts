import { dirname, join, relative, resolve } from 'node:path';
import type { LiveState } from '../../model/state.js';
import { importFleetCommand } from './import-fleet.js';
import { SCHEMA_FILE, writeImported } from './import-output.js';
import { importToSplitYaml, importToYaml, SPLIT_DOMAIN_DIR } from '../../import/to-yaml.js';
import { type CommandSpec, parseCommandArgs, SERVER_OPTIONS } from '../args.js';
import { checkOutputTarget, EXIT, ExitError, type CliIo } from '../io.js';
import { checkOutputDir, writeOutputDir } from '../output-dir.js';
import { readLiveOrExit, stderrReport } from '../pipeline.js';

export const IMPORT = {
  name: 'import',
  usage:
    '[-o FILE | --split DIR] [--domain D ...] [--vpopmail-home DIR] [--qmail-home DIR] | [-o FILE] (--tree NAME=DIR ... | --live-dir DIR) [--route NAME=HOST ...]',
  summary:
    'Write a mailstate.yaml that describes the live server as it is (password hashes kept, clear\ntexts left out), so that planning it changes nothing. What mailstate cannot express is listed\nas notes and stays unmanaged.',
  options: {
    output: { type: 'string', short: 'o', value: 'FILE', help: 'write here instead of standard output (- for it)' },
    split: {
      type: 'string',
      value: 'DIR',
      help: `write DIR/mailstate.yaml and one file per domain under DIR/${SPLIT_DOMAIN_DIR}/ (a new or empty DIR)`,
    },
    domain: { type: 'string', multiple: true, value: 'D', help: 'only this domain (repeatable)' },
    tree: {
      type: 'string',
      multiple: true,
      value: 'NAME=DIR',
      help: 'a fleet: server NAME is the vpopmail tree DIR (NAME=DIR:QDIR: and its qmail\nhome); repeatable. One fleet YAML is written, with a server: pin wherever a user does\nnot live where the hash would put it',
    },
    'live-dir': {
      type: 'string',
      value: 'DIR',
      help: 'a fleet from its snapshots: DIR/<server>.json, from mailstate snapshot on each server\n(snapshots hold no password hashes: passwords are left unmanaged)',
    },
    route: {
      type: 'string',
      multiple: true,
      value: 'NAME=HOST',
      help: "with --tree or --live-dir: server NAME's route (default: what its alias domains show)",
    },
    ...SERVER_OPTIONS,
  },
  exitCodes: ['0  written', '1  error: the live state could not be read, or the output not written'],
} as const satisfies CommandSpec;

export async function importCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(IMPORT, argv);
  if (values.tree !== undefined || values['live-dir'] !== undefined) return importFleetCommand(values, io);
  if (values.route !== undefined) throw new ExitError('mailstate import: --route goes with --tree or --live-dir');
  if (values.split !== undefined && values.output !== undefined)
    throw new ExitError('mailstate import: give -o FILE or --split DIR, not both');
  // "-o -" is standard output; any other target is checked before reading, so a refused one writes nothing.
  const target = values.output === undefined || values.output === '-' ? undefined : resolve(io.cwd, values.output);
  if (target !== undefined) checkOutputTarget(target, values.output!);
  const splitDir = values.split === undefined ? undefined : resolve(io.cwd, values.split);
  if (splitDir !== undefined) checkOutputDir(splitDir, values.split!);
  const { live } = await readLiveOrExit(stderrReport(io), {
    vpopmailHome: resolve(io.cwd, values['vpopmail-home']),
    qmailHome: resolve(io.cwd, values['qmail-home']),
    domains: values.domain,
    domainBases: values['domain-base']?.map((base) => resolve(io.cwd, base)),
  });
  for (const domain of values.domain ?? []) {
    if (!live.domains.has(domain))
      throw new ExitError(`mailstate import: domain "${domain}" is not in ${values['qmail-home']}/users/assign`);
  }
  const read = `${live.domains.size} domain${live.domains.size === 1 ? '' : 's'} read`;
  if (splitDir !== undefined) return writeSplit(live, splitDir, values.split!, values.domain, read, io);
  const schemaPath = relative(target ? dirname(target) : io.cwd, SCHEMA_FILE) || SCHEMA_FILE;
  const { yaml, notes } = importToYaml(live, { ...(values.domain ? { domains: values.domain } : {}), schemaPath });
  return writeImported(io, { yaml, notes }, target, values.output, read);
}

/** `import --split DIR`: the main file and one file per domain, written as one directory. */
function writeSplit(
  live: LiveState,
  dir: string,
  shown: string,
  domains: string[] | undefined,
  read: string,
  io: CliIo,
): number {
  const split = importToSplitYaml(live, { ...(domains ? { domains } : {}), schemaPath: relative(dir, SCHEMA_FILE) });
  for (const note of split.notes) io.stderr(`note: ${note}\n`);
  writeOutputDir(dir, shown, new Map([['mailstate.yaml', split.main], ...split.domainFiles]));
  const count = split.domainFiles.size;
  io.stderr(
    `Wrote ${join(shown, 'mailstate.yaml')} and ${count} domain file${count === 1 ? '' : 's'} in ${join(shown, SPLIT_DOMAIN_DIR)}/ (${read}).\n`,
  );
  return EXIT.ok;
}
