import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, writeOutputFile, type CliIo } from '../io.js';

export const SCHEMA_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../../../schema/mailstate.schema.json');

/** The notes on standard error, the YAML to `target` (or standard output), and what was read. */
export function writeImported(
  io: CliIo,
  imported: { yaml: string; notes: string[] },
  target: string | undefined,
  shown: string | undefined,
  read: string,
): number {
  for (const note of imported.notes) io.stderr(`note: ${note}\n`);
  if (target) {
    writeOutputFile(target, shown!, imported.yaml);
    io.stderr(`Wrote ${shown} (${read}).\n`);
  } else {
    io.stdout(imported.yaml);
  }
  return EXIT.ok;
}
