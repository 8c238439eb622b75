import { relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importToYaml } from '../../import/to-yaml.js';
import { parseCommandArgs } from '../args.js';
import { checkOutputTarget, EXIT, ExitError, writeOutputFile, type CliIo } from '../io.js';
import { readLiveOrExit, stderrReport } from '../pipeline.js';

const SCHEMA_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../../../schema/mailstate.schema.json');

export async function importCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs('import', argv, {
    output: { type: 'string', short: 'o' },
    domain: { type: 'string', multiple: true },
    'vpopmail-home': { type: 'string', default: '/home/vpopmail' },
    'domain-base': { type: 'string', multiple: true },
    'qmail-home': { type: 'string', default: '/var/qmail' },
  });
  // "-o -" is standard output; any other target is checked before reading, so a refused one writes nothing.
  const target = values.output === undefined || values.output === '-' ? undefined : resolve(io.cwd, values.output);
  if (target !== undefined) checkOutputTarget(target, values.output!);
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
  const schemaPath = relative(target ? dirname(target) : io.cwd, SCHEMA_FILE) || SCHEMA_FILE;
  const { yaml, notes } = importToYaml(live, { ...(values.domain ? { domains: values.domain } : {}), schemaPath });
  for (const note of notes) io.stderr(`note: ${note}\n`);
  if (target) {
    writeOutputFile(target, values.output!, yaml);
    io.stderr(`Wrote ${values.output} (${live.domains.size} domain${live.domains.size === 1 ? '' : 's'} read).\n`);
  } else {
    io.stdout(yaml);
  }
  return EXIT.ok;
}
