import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isPlanFormat, PLAN_FORMATS } from '../../render/formats.js';
import { renderJson } from '../../render/json.js';
import { COMMON_OPTIONS, parseCommandArgs } from '../args.js';
import { EXIT, ExitError, type CliIo } from '../io.js';
import { planFromOptions } from '../pipeline.js';

export async function planCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs('plan', argv, {
    ...COMMON_OPTIONS,
    format: { type: 'string', default: 'text' },
    'detailed-exitcode': { type: 'boolean', default: false },
    out: { type: 'string' },
  });
  const format = values.format;
  if (!isPlanFormat(format)) throw new ExitError(`mailstate plan: unknown --format "${format}" (text, markdown or json)`);
  const { plan } = await planFromOptions(io, { file: values.file, vpopmailHome: values['vpopmail-home'], qmailHome: values['qmail-home'] });
  io.stdout(PLAN_FORMATS[format](plan));
  if (values.out) writeFileSync(resolve(io.cwd, values.out), renderJson(plan), { mode: 0o600 });
  return values['detailed-exitcode'] && plan.changes.length > 0 ? EXIT.changes : EXIT.ok;
}
