import { CdbFormatError, readCdbRecords } from '../cdb/read.js';
import type { CdbFreshness } from '../model/state.js';
import { cdbRecordsFromVpasswdText } from '../formats/vpasswd-cdb.js';

/**
 * Whether `vpasswd.cdb` holds exactly what vpopmail would build from `vpasswd` now. Lookups (login,
 * delivery, vuserinfo) read only the cdb, and vpopmail rebuilds it only when it is missing, never
 * when it is stale, so a hand edit without vmkpasswd is invisible until something rebuilds it.
 *
 * @param vpasswd the vpasswd bytes
 * @param cdb the vpasswd.cdb bytes, or undefined when the file does not exist
 */
export function vpasswdCdbFreshness(vpasswd: Uint8Array, cdb: Uint8Array | undefined): CdbFreshness {
  if (cdb === undefined) return { state: 'missing' };
  let actual: Array<[Buffer, Buffer]>;
  try {
    actual = readCdbRecords(Buffer.from(cdb.buffer, cdb.byteOffset, cdb.byteLength)).map((r) => [r.key, r.value]);
  } catch (error) {
    if (error instanceof CdbFormatError) return { state: 'corrupt', detail: error.message };
    throw error;
  }
  const expected = cdbRecordsFromVpasswdText(vpasswd);
  if (sameRecords(expected, actual)) return { state: 'fresh' };
  return { state: 'stale', detail: describeDifference(expected, actual) };
}

function sameRecords(a: ReadonlyArray<[Buffer, Buffer]>, b: ReadonlyArray<[Buffer, Buffer]>): boolean {
  if (a.length !== b.length) return false;
  return a.every(([key, value], i) => key.equals(b[i]![0]) && value.equals(b[i]![1]));
}

/**
 * "3 records differ (first: alice)": users whose record is missing, extra or different, counted by
 * name (the first record of a name is the one lookups see), first in vpasswd order.
 */
function describeDifference(
  expected: ReadonlyArray<[Buffer, Buffer]>,
  actual: ReadonlyArray<[Buffer, Buffer]>,
): string {
  const firstValues = (records: ReadonlyArray<[Buffer, Buffer]>): Map<string, Buffer> => {
    const map = new Map<string, Buffer>();
    // latin1 maps every byte to one character, so distinct keys stay distinct.
    for (const [key, value] of records) if (!map.has(key.toString('latin1'))) map.set(key.toString('latin1'), value);
    return map;
  };
  const want = firstValues(expected);
  const have = firstValues(actual);
  const differing: string[] = [];
  for (const [key, value] of want) {
    const other = have.get(key);
    if (other === undefined || !other.equals(value)) differing.push(key);
  }
  for (const key of have.keys()) if (!want.has(key)) differing.push(key);
  if (differing.length === 0) return 'same users, but records are repeated or in a different order';
  const first = Buffer.from(differing[0]!, 'latin1').toString('utf8');
  return differing.length === 1
    ? `1 record differs (first: ${first})`
    : `${differing.length} records differ (first: ${first})`;
}
