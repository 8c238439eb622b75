import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  NEW_DOMAIN_DIR_CONTROL,
  formatDirControl,
  nextUserDir,
  parseDirControl,
} from '../../src/formats/dir-control.js';

const scenario = join(import.meta.dirname, '../fixtures/golden/07-user-dir-hashing');

describe('.dir-control placement', () => {
  it('places 230 accounts exactly where real vadduser put them (golden 07)', () => {
    const vpasswd = readFileSync(
      join(scenario, 'snapshots/after-230-accounts/home/vpopmail/domains/hash.test/vpasswd'),
      'utf8',
    );
    const expected = new Map<string, string>();
    for (const line of vpasswd.split('\n').filter(Boolean)) {
      const fields = line.split(':');
      const rel = fields[5]!.replace('/home/vpopmail/domains/hash.test/', '');
      expected.set(fields[0]!, rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '');
    }
    const dc = parseDirControl(NEW_DOMAIN_DIR_CONTROL)!;
    const placed = new Map<string, string>([['postmaster', '']]);
    for (let i = 1; i < 230; i++) {
      const name = `user${String(i).padStart(3, '0')}`;
      placed.set(name, nextUserDir(dc));
    }
    expect(placed).toEqual(expected);
    expect(formatDirControl(dc)).toBe(
      readFileSync(join(scenario, 'snapshots/after-230-accounts/home/vpopmail/domains/hash.test/.dir-control'), 'utf8'),
    );
  });

  it('walks all 62 one-character directories, then goes two levels deep', () => {
    const dc = parseDirControl(NEW_DOMAIN_DIR_CONTROL)!;
    const dirs = new Set<string>();
    for (let account = 2; account <= 99 + 62 * 100 + 250; account++) dirs.add(nextUserDir(dc));
    expect([...dirs].slice(0, 4)).toEqual(['', '0', '1', '2']);
    expect([...dirs].slice(62, 66)).toEqual(['z', '0/0', '0/1', '0/2']);
  });
});
