/** `~vpopmail/etc/tcp.smtp` and whether its compiled tcp.smtp.cdb is older. */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import type { LiveRelay } from '../model/state.js';
import { readErrorDiagnostic, readFileOrMissing } from './fs-read.js';
import { parseTcpRules } from '../formats/tcp-rules.js';

export async function readRelay(vpopmailHome: string, diagnostics: Diagnostic[]): Promise<LiveRelay> {
  const file = join(vpopmailHome, 'etc', 'tcp.smtp');
  const cdbFile = `${file}.cdb`;
  const [read, textStat, cdbStat] = await Promise.all([
    readFileOrMissing(file),
    statOrMissing(file),
    statOrMissing(cdbFile),
  ]);
  if (read.kind === 'error') diagnostics.push(readErrorDiagnostic(file, read, 'tcp.smtp'));
  if (cdbStat === 'error') {
    diagnostics.push({
      severity: 'error',
      code: 'read-error',
      message: 'cannot stat tcp.smtp.cdb, so whether it is stale is unknown',
      file: cdbFile,
    });
  }
  if (read.kind !== 'ok') {
    // Without tcp.smtp there is nothing to compile, so an existing or missing cdb cannot be stale.
    return { file, exists: read.kind === 'error', lines: [], cdbStale: false };
  }
  const parsed = parseTcpRules(read.data.toString('utf8'), file);
  for (const d of parsed.diagnostics) diagnostics.push(d);
  const cdbStale =
    cdbStat === undefined || (typeof cdbStat === 'bigint' && typeof textStat === 'bigint' && cdbStat < textStat);
  return { file, exists: true, lines: parsed.lines, cdbStale };
}

/** The mtime in nanoseconds, undefined when the file is missing, 'error' when stat fails otherwise. */
async function statOrMissing(path: string): Promise<bigint | undefined | 'error'> {
  try {
    return (await stat(path, { bigint: true })).mtimeNs;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? undefined : 'error';
  }
}
