import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filesDriver } from '../../src/apply/files-driver.js';
import { vpopmailDriver } from '../../src/apply/vpopmail-driver.js';
import { buildCdb } from '../../src/cdb/write.js';
import {
  EXAMPLE_SANDBOX,
  applyDesired,
  desiredFromLive,
  live,
  planOf,
  qmailRoutingProblems,
  server,
} from '../support/harness.js';
import { usersCdbFromAssign } from '../../src/formats/assign.js';
import { insertSortedLine } from '../../src/formats/update-file.js';
import { readCdbRecords } from '../../src/cdb/read.js';

describe('users/assign edits', () => {
  it('insert before the "." and leave what qmail never reads after it', () => {
    const assign = '+a.test-:a.test:89:89:/d/a.test:-::\n.\n+z.test-:z.test:89:89:/d/z.test:-::\n';
    expect(insertSortedLine(assign, '+m.test-:m.test:89:89:/d/m.test:-::', '.')).toBe(
      '+a.test-:a.test:89:89:/d/a.test:-::\n+m.test-:m.test:89:89:/d/m.test:-::\n.\n+z.test-:z.test:89:89:/d/z.test:-::\n',
    );
    expect(insertSortedLine('', '+m.test-:m.test:89:89:/d/m.test:-::', '.')).toBe(
      '+m.test-:m.test:89:89:/d/m.test:-::\n.\n',
    );
  });

  it('build users/cdb from the lines before the "." only, as qmail-newu does', () => {
    const records = readCdbRecords(
      usersCdbFromAssign('+a.test-:a.test:89:89:/d/a.test:-::\n.\n+z.test-:z.test:89:89:/d/z.test:-::\n'),
    );
    expect(records.map((r) => r.key.toString())).toEqual(['!a.test-', '']);
  });
});

describe('a users/cdb that does not route a declared domain', () => {
  it('is rebuilt from users/assign, with either driver, and checked by the real cdb', async () => {
    for (const driver of [filesDriver, vpopmailDriver]) {
      const srv = await server(EXAMPLE_SANDBOX);
      const usersCdb = join(srv.qmailHome, 'users/cdb');
      // A hand edit of users/assign without qmail-newu: users/cdb lacks example.com.
      writeFileSync(
        usersCdb,
        buildCdb(
          readCdbRecords(readFileSync(usersCdb))
            .filter((r) => r.key.toString() !== '!example.com-')
            .map((r) => [r.key, r.value] as const),
        ),
      );
      expect(qmailRoutingProblems(srv, ['example.com'])[0]).toMatch(/^example\.com: users\/cdb has undefined/);
      const desired = desiredFromLive(await live(srv));
      expect(planOf(desired, await live(srv)).changes).toEqual([
        {
          kind: 'rebuild-users-cdb',
          domain: 'example.com',
          reason: 'users/cdb does not route example.com as users/assign says, so qmail does not deliver to it',
        },
      ]);
      await applyDesired(desired, srv, driver);
      expect(qmailRoutingProblems(srv, ['example.com', 'example.org'])).toEqual([]);
      expect(planOf(desired, await live(srv)).changes).toEqual([]);
    }
  });

  it('is left alone when only an undeclared domain is behind', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const usersCdb = join(srv.qmailHome, 'users/cdb');
    writeFileSync(
      usersCdb,
      buildCdb(
        readCdbRecords(readFileSync(usersCdb))
          .filter((r) => r.key.toString() !== '!example.org-')
          .map((r) => [r.key, r.value] as const),
      ),
    );
    const desired = desiredFromLive(await live(srv));
    desired.domains.delete('example.org');
    expect(planOf(desired, await live(srv)).changes).toEqual([]);
  });
});
