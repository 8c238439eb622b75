/** qmail's side of the domains: users/assign, and whether users/cdb routes what assign says. */
import { join } from 'node:path';
import type { Diagnostic } from '../model/diagnostic.js';
import { CdbFormatError, readCdbRecords } from '../cdb/read.js';
import { type AssignEntry, parseAssign } from '../formats/assign.js';
import { readErrorDiagnostic, readFileOrMissing } from './fs-read.js';

/** users/cdb's records (the first of each key, as qmail's lookup finds it); empty when missing or unreadable. */
export async function readUsersCdb(qmailHome: string, diagnostics: Diagnostic[]): Promise<Map<string, Buffer>> {
  const file = join(qmailHome, 'users', 'cdb');
  const read = await readFileOrMissing(file);
  const records = new Map<string, Buffer>();
  if (read.kind === 'error') diagnostics.push(readErrorDiagnostic(file, read, 'users/cdb'));
  if (read.kind !== 'ok') return records;
  try {
    for (const record of readCdbRecords(read.data)) {
      const key = record.key.toString('latin1');
      if (!records.has(key)) records.set(key, record.value);
    }
  } catch (error) {
    if (!(error instanceof CdbFormatError)) throw error;
    diagnostics.push({
      severity: 'warning',
      code: 'users-cdb-corrupt',
      message: `users/cdb is not a valid cdb (${error.message}): qmail cannot route any virtual domain`,
      file,
    });
  }
  return records;
}

/** Whether users/cdb holds the record qmail-newu would make of this users/assign line. */
export function usersCdbRoutes(usersCdb: ReadonlyMap<string, Buffer>, entry: AssignEntry): boolean {
  const value = usersCdb.get(Buffer.from(`!${entry.domain}-`, 'utf8').toString('latin1'));
  return value?.equals(Buffer.from(entry.usersCdbValue, 'utf8')) === true;
}

export async function readAssign(qmailHome: string, diagnostics: Diagnostic[]): Promise<AssignEntry[]> {
  const file = join(qmailHome, 'users', 'assign');
  const read = await readFileOrMissing(file);
  if (read.kind === 'missing') {
    diagnostics.push({
      severity: 'error',
      code: 'assign-missing',
      message: 'users/assign does not exist: qmail knows no virtual domains, so none can be read',
      file,
    });
    return [];
  }
  if (read.kind === 'error') {
    diagnostics.push(readErrorDiagnostic(file, read, 'users/assign'));
    return [];
  }
  const parsed = parseAssign(read.data.toString('utf8'), file);
  for (const d of parsed.diagnostics) diagnostics.push(d);
  return parsed.entries;
}
