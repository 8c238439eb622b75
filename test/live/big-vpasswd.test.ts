/**
 * A vpasswd of a million lines, every one with a warning, and a prune plan deleting them all:
 * neither the reader nor the planner may spread such lists into push() (the stack overflowed at
 * about 130,000), and both must still answer (issue 10).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { readLive } from '../../src/live/read-live.js';
import { diffState } from '../../src/plan/plan.js';
import type { DesiredState } from '../../src/model/state.js';
import { COUNTED_WORK } from '../support/budget.js';

const root = mkdtempSync(join(tmpdir(), 'mailstate-big-vpasswd-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it(
  'reads a 1,000,001-line vpasswd with a warning on every line, and plans deleting them all',
  async () => {
    const vpopmailHome = join(root, 'home', 'vpopmail');
    const qmailHome = join(root, 'var', 'qmail');
    const domainDir = join(vpopmailHome, 'domains', 'big.test');
    mkdirSync(domainDir, { recursive: true });
    mkdirSync(join(qmailHome, 'users'), { recursive: true });
    writeFileSync(join(qmailHome, 'users', 'assign'), `+big.test-:big.test:89:89:${domainDir}:-::\n.\n`);
    const lines = [`postmaster:x:1:0:Postmaster:${domainDir}/postmaster:NOQUOTA`];
    // Quota "abc" is a warning per line; the directories are of vpopmail's shape.
    for (let i = 0; i < 1_000_000; i++)
      lines.push(`u${i}:x:1:0:u${i}:${domainDir}/${String.fromCharCode(48 + (i % 10))}/u${i}:abc`);
    writeFileSync(join(domainDir, 'vpasswd'), `${lines.join('\n')}\n`);

    const { state, diagnostics } = await readLive({ vpopmailHome, qmailHome });
    expect(diagnostics.filter((d) => d.code === 'vpasswd-quota')).toHaveLength(1_000_000);
    expect(state.domains.get('big.test')!.users.size).toBe(1_000_001);

    const source = { file: 'mailstate.yaml', line: 1, column: 1 };
    const desired: DesiredState = {
      vpopmailHome,
      qmailHome,
      policy: { prune: true, maxChangePercent: 100 },
      domains: new Map([
        [
          'big.test',
          {
            name: 'big.test',
            users: new Map([
              [
                'postmaster',
                {
                  name: 'postmaster',
                  password: { kind: 'unmanaged' },
                  comment: 'Postmaster',
                  quota: 'NOQUOTA',
                  flags: 0,
                  source,
                },
              ],
            ]),
            aliases: new Map(),
            aliasDomains: [],
            source,
          },
        ],
      ]),
      files: ['mailstate.yaml'],
    };
    const planned = diffState(desired, state);
    expect(planned.ok).toBe(true);
    if (!planned.ok) return;
    expect(planned.value.changes.filter((c) => c.kind === 'delete-user')).toHaveLength(1_000_000);
  },
  COUNTED_WORK,
); // a fixed million lines (test/support/budget.ts)
