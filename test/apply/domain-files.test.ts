import { describe, expect, it } from 'vitest';
import { insertSortedLine, usersCdbFromAssign } from '../../src/apply/domain-files.js';
import { readCdbRecords } from '../../src/cdb/read.js';

describe('users/assign edits', () => {
  it('insert before the "." and leave what qmail never reads after it', () => {
    const assign = '+a.test-:a.test:89:89:/d/a.test:-::\n.\n+z.test-:z.test:89:89:/d/z.test:-::\n';
    expect(insertSortedLine(assign, '+m.test-:m.test:89:89:/d/m.test:-::', '.')).toBe(
      '+a.test-:a.test:89:89:/d/a.test:-::\n+m.test-:m.test:89:89:/d/m.test:-::\n.\n+z.test-:z.test:89:89:/d/z.test:-::\n',
    );
    expect(insertSortedLine('', '+m.test-:m.test:89:89:/d/m.test:-::', '.')).toBe('+m.test-:m.test:89:89:/d/m.test:-::\n.\n');
  });

  it('build users/cdb from the lines before the "." only, as qmail-newu does', () => {
    const records = readCdbRecords(usersCdbFromAssign('+a.test-:a.test:89:89:/d/a.test:-::\n.\n+z.test-:z.test:89:89:/d/z.test:-::\n'));
    expect(records.map((r) => r.key.toString())).toEqual(['!a.test-', '']);
  });
});
