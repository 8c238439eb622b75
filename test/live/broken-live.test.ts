/**
 * Broken live state: what `plan` says when a vpopmail server's files are damaged. Each case breaks
 * one thing in a fresh copy of the bundled example and checks, through the library and through
 * the built CLI, that the answer is a warning or an error naming the file and line, never a crash,
 * a hang, or a plan built on the broken data.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { filesDriver } from '../../src/apply/files-driver.js';
import { editVpasswd } from '../../src/formats/vpasswd-edit.js';
import { serverIo } from '../../src/io/node-io.js';
import { readLive } from '../../src/live/read-live.js';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import { diffState } from '../../src/plan/plan.js';
import {
  applyDesired,
  desiredFromLive,
  EXAMPLE_SANDBOX,
  live,
  planOf,
  server,
  type TestServer,
  applyEnvironment,
} from '../support/harness.js';
import { REPO } from '../support/cli.js';

const BIN = join(REPO, 'dist/cli/bin.js');
const DOMAIN = 'home/vpopmail/domains/example.com';

/** The sandbox path of a file, relative to the sandbox root. */
const at = (srv: TestServer, rel: string) => join(srv.root, rel);

function mkfifo(path: string): Promise<void> {
  return new Promise((resolve, reject) => execFile('mkfifo', [path], (error) => (error ? reject(error) : resolve())));
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A run still going after this long waits (a reader blocked on a FIFO for a writer): it is killed
 * and fails. A hang guard, not a speed limit: far above what a run needs on a loaded machine.
 * Waiting costs no CPU time, so this deadline is the check that no reader waits.
 */
const HANG_MS = 120_000;
/** The per-test timeout of the CLI cases: room for the kill deadline to fire and name the run. */
const CASE_TIMEOUT_MS = HANG_MS + 60_000;

/** The built CLI with a deadline: a reader that waits on a FIFO would otherwise hang the suite. */
function mailstate(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeout: HANG_MS, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error?.killed)
          reject(
            new Error(
              `mailstate ${args.join(' ')} was killed after ${HANG_MS / 1000} s: a reader waited (on a FIFO?) instead of refusing the file`,
            ),
          );
        else resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}

/** The YAML `mailstate import -o` wrote for the unbroken example, shared by every case. */
let yamlDir: string;
beforeAll(async () => {
  yamlDir = mkdtempSync(join(tmpdir(), 'mailstate-broken-yaml-'));
  const srv = await server(EXAMPLE_SANDBOX);
  const run = await mailstate(
    [
      'import',
      '-o',
      join(yamlDir, 'mailstate.yaml'),
      '--vpopmail-home',
      srv.vpopmailHome,
      '--qmail-home',
      srv.qmailHome,
    ],
    yamlDir,
  );
  expect(run.code).toBe(0);
}, CASE_TIMEOUT_MS);
afterAll(() => rmSync(yamlDir, { recursive: true, force: true }));

/** `plan --detailed-exitcode` of the imported YAML against a (broken) sandbox; its root shows as ROOT. */
async function plan(srv: TestServer): Promise<{ code: number | null; stderr: string[]; stdout: string[] }> {
  const run = await mailstate(
    ['plan', '--detailed-exitcode', '--vpopmail-home', srv.vpopmailHome, '--qmail-home', srv.qmailHome],
    yamlDir,
  );
  // Never a crash: a stack trace would show "    at " frames. Never a wait: `mailstate` fails a
  // run that is still going after HANG_MS.
  expect(run.stderr).not.toMatch(/^\s+at /m);
  expect(run.stderr).not.toMatch(/TypeError|RangeError|ReferenceError|internal error/);
  const clean = (text: string) => text.replaceAll(srv.root, 'ROOT').split('\n');
  return { code: run.code, stderr: clean(run.stderr), stdout: clean(run.stdout) };
}

/** What the example's plan prints besides the case: its unmanaged files, left alone. */
const LEFT_ALONE = [
  'Left alone (not managed by mailstate):',
  '  example.com: dot-qmail "blackhole" (ROOT/home/vpopmail/domains/example.com/.qmail-blackhole): only comment lines: mail is accepted and silently dropped (blackhole): "#"',
  '  example.com: dot-qmail "bob2" (ROOT/home/vpopmail/domains/example.com/.qmail-bob2): line 2 delivers to a file or Maildir (an alias has no mailbox of its own): "ROOT/home/vpopmail/domains/example.com/bob/Maildir/"',
  '  example.com: dot-qmail "copy" (ROOT/home/vpopmail/domains/example.com/.qmail-copy): line 1 delivers to a file or Maildir (an alias has no mailbox of its own): "ROOT/home/vpopmail/domains/example.com/alice/Maildir/"',
  '  example.com: catch-all "default" (ROOT/home/vpopmail/domains/example.com/.qmail-default): catch-all for addresses without a mailbox: "| ROOT/home/vpopmail/bin/vdelivermail \'\' delete"',
  '  example.com: dot-qmail "emptyline" (ROOT/home/vpopmail/domains/example.com/.qmail-emptyline): the first line is empty: qmail-local defers every message ("first line of .qmail file is blank")',
  '  example.org: catch-all "default" (ROOT/home/vpopmail/domains/example.org/.qmail-default): catch-all for addresses without a mailbox: "| ROOT/home/vpopmail/bin/vdelivermail \'\' delete"',
];
const NO_CHANGES = [...LEFT_ALONE, '', 'No changes. The live state matches mailstate.yaml.', ''];
const REFUSED = 'Error: the plan cannot be made safely; nothing was applied.';
const UNREADABLE = 'Error: the live state could not be read completely; nothing was planned or applied.';
const VPASSWD = `ROOT/${DOMAIN}/vpasswd`;
const VPASSWD_CDB = `ROOT/${DOMAIN}/vpasswd.cdb`;

/** Replaces the line of `name` in example.com's vpasswd (whole line, without newline). */
function editLine(srv: TestServer, name: string, edit: (line: string) => string): void {
  const path = at(srv, `${DOMAIN}/vpasswd`);
  const text = readFileSync(path, 'latin1');
  writeFileSync(
    path,
    text.replace(new RegExp(`^${name}:.*$`, 'm'), (line) => edit(line)),
    'latin1',
  );
}

function cdbRebuildPlan(reason: string): string[] {
  return [
    'example.com',
    `  * rebuild vpasswd.cdb (vpasswd.cdb is ${reason}: logins and delivery read only the cdb)`,
    '',
    ...LEFT_ALONE,
    '',
    'Plan: 0 to add, 0 to change, 0 to delete, 1 CDB rebuild.',
    '',
  ];
}

const corruptCdbWarning = (detail: string) =>
  `${VPASSWD_CDB}: warning: vpasswd.cdb of example.com is not a valid cdb (${detail}): logins and delivery fail until it is rebuilt from vpasswd`;

interface Case {
  name: string;
  break(srv: TestServer): void | Promise<void>;
  code: 0 | 1 | 2;
  stderr: string[];
  /** The whole of stdout; omitted when the plan is refused (nothing is printed). */
  stdout?: string[];
}

const CASES: Case[] = [
  {
    name: 'a declared user whose vpasswd line has 5 fields (the plan would add it a second time)',
    break: (srv) => editLine(srv, 'bob', () => 'bob:x:1:0:Bob'),
    code: 1,
    stderr: [
      `${VPASSWD}:2: warning: vpasswd line of "bob" has 5 fields, not 7 or 8; line skipped`,
      `${VPASSWD}:2: error: user "bob@example.com" is declared (mailstate.yaml:22), but vpasswd line 2 for "bob" cannot be read: fix or remove that line by hand first (mailstate will not write a second line for the same user)`,
      `mailstate.yaml:22:7: error: forward of "bob@example.com": ROOT/${DOMAIN}/.qmail-bob exists and is not managed by mailstate (forward of user "bob", whose vpasswd line 2 cannot be read); remove or rename it by hand first`,
      REFUSED,
    ],
  },
  {
    name: 'a declared user whose flags are not a number',
    break: (srv) => editLine(srv, 'alice', (line) => line.replace(':1:0:', ':1:abc:')),
    code: 1,
    stderr: [
      `${VPASSWD}:1: warning: user alice: flags field "abc" is not a decimal number; line skipped`,
      `${VPASSWD}:1: error: user "alice@example.com" is declared (mailstate.yaml:17), but vpasswd line 1 for "alice" cannot be read: fix or remove that line by hand first (mailstate will not write a second line for the same user)`,
      `mailstate.yaml:17:7: error: forward of "alice@example.com": ROOT/${DOMAIN}/.qmail-alice exists and is not managed by mailstate (forward of user "alice", whose vpasswd line 1 cannot be read); remove or rename it by hand first`,
      REFUSED,
    ],
  },
  {
    name: 'a declared user whose flags overflow a C int',
    break: (srv) => editLine(srv, 'john.doe', (line) => line.replace(':1:0:', ':1:4294967296:')),
    code: 1,
    stderr: [
      `${VPASSWD}:3: warning: user john.doe: flags field "4294967296" is larger than 2147483647; line skipped`,
      `${VPASSWD}:3: error: user "john.doe@example.com" is declared (mailstate.yaml:27), but vpasswd line 3 for "john.doe" cannot be read: fix or remove that line by hand first (mailstate will not write a second line for the same user)`,
      `mailstate.yaml:27:7: error: forward of "john.doe@example.com": ROOT/${DOMAIN}/.qmail-john:doe exists and is not managed by mailstate (forward of user "john.doe", whose vpasswd line 3 cannot be read); remove or rename it by hand first`,
      REFUSED,
    ],
  },
  {
    name: 'an undeclared broken line that a cdb rebuild would turn into a login record',
    break: (srv) => appendFileSync(at(srv, `${DOMAIN}/vpasswd`), 'zed:x:1:0\n'),
    code: 1,
    stderr: [
      `${VPASSWD}:5: warning: vpasswd line of "zed" has 4 fields, not 7 or 8; line skipped`,
      `${VPASSWD}:5: error: vpasswd line 5 for "zed" cannot be read, and this plan rebuilds vpasswd.cdb of example.com from vpasswd, which would make that broken line the record "zed" logs in with: fix or remove the line by hand first`,
      REFUSED,
    ],
  },
  {
    name: 'a blank line',
    break: (srv) => editLine(srv, 'bob', (line) => `\n${line}`),
    code: 0,
    stderr: [
      `${VPASSWD}:2: warning: blank line in vpasswd: vpopmail's cdb builder crashes on it (vmkpasswd and vadduser segfault); line skipped`,
      '',
    ],
    stdout: NO_CHANGES,
  },
  {
    name: 'a comment line',
    break: (srv) => editLine(srv, 'bob', (line) => `# bob is on leave\n${line}`),
    code: 0,
    stderr: [
      `${VPASSWD}:2: warning: comment line in vpasswd: vpopmail has no comments and its cdb builder crashes on it; line skipped`,
      '',
    ],
    stdout: NO_CHANGES,
  },
  {
    name: 'a last line without its newline (vpopmail leaves it out of the cdb; the files driver adds the newline)',
    break: (srv) => {
      const path = at(srv, `${DOMAIN}/vpasswd`);
      writeFileSync(path, readFileSync(path).subarray(0, -1));
    },
    code: 2,
    stderr: [
      `${VPASSWD}:4: warning: user postmaster: the last line of vpasswd has no newline, so vpopmail leaves it out of vpasswd.cdb and the user cannot log in or receive mail`,
      '',
    ],
    stdout: cdbRebuildPlan('stale (1 record differs (first: postmaster))'),
  },
  {
    name: 'an over-long line (vpopmail splits it at 511 bytes)',
    break: (srv) => editLine(srv, 'alice', (line) => line.replace(':alice:/', `:${'A'.repeat(600)}:/`)),
    code: 2,
    stderr: [
      `${VPASSWD}:1: warning: user alice: line is longer than vpopmail's 511-byte line buffer; its cdb builder splits it`,
      '',
    ],
    stdout: [
      'example.com',
      '  ~ user alice',
      `      comment:  "${'A'.repeat(600)}" -> "alice"`,
      '  * rebuild vpasswd.cdb (users changed)',
      '',
      ...LEFT_ALONE,
      '',
      'Plan: 0 to add, 1 to change, 0 to delete, 1 CDB rebuild.',
      '',
    ],
  },
  {
    name: 'a truncated vpasswd.cdb',
    break: (srv) => {
      const path = at(srv, `${DOMAIN}/vpasswd.cdb`);
      writeFileSync(path, readFileSync(path).subarray(0, 1000));
    },
    code: 2,
    stderr: [corruptCdbWarning('file is 1000 bytes, shorter than the 2048-byte header'), ''],
    stdout: cdbRebuildPlan('corrupt (file is 1000 bytes, shorter than the 2048-byte header)'),
  },
  {
    name: 'a vpasswd.cdb cut inside its hash tables',
    break: (srv) => {
      const path = at(srv, `${DOMAIN}/vpasswd.cdb`);
      writeFileSync(path, readFileSync(path).subarray(0, -4));
    },
    code: 2,
    stderr: [corruptCdbWarning('hash table 230 points outside the file'), ''],
    stdout: cdbRebuildPlan('corrupt (hash table 230 points outside the file)'),
  },
  {
    name: 'a vpasswd.cdb of random bytes',
    break: (srv) => {
      // A fixed pseudo-random sequence, so the message is the same on every run.
      let x = 12345;
      const next = (): number => {
        x = (x * 1103515245 + 12345) >>> 0;
        return (x >>> 24) & 0xff;
      };
      const bytes = Buffer.alloc(5000, 0).map(next);
      writeFileSync(at(srv, `${DOMAIN}/vpasswd.cdb`), bytes);
    },
    code: 2,
    stderr: [corruptCdbWarning('hash table 0 points outside the file'), ''],
    stdout: cdbRebuildPlan('corrupt (hash table 0 points outside the file)'),
  },
  {
    name: 'an empty vpasswd.cdb',
    break: (srv) => writeFileSync(at(srv, `${DOMAIN}/vpasswd.cdb`), ''),
    code: 2,
    stderr: [corruptCdbWarning('file is 0 bytes, shorter than the 2048-byte header'), ''],
    stdout: cdbRebuildPlan('corrupt (file is 0 bytes, shorter than the 2048-byte header)'),
  },
  {
    name: 'a vpasswd.cdb header pointing past the end of the file',
    break: (srv) => {
      const path = at(srv, `${DOMAIN}/vpasswd.cdb`);
      const cdb = readFileSync(path);
      cdb.writeUInt32LE(cdb.length + 8, 7 * 8);
      writeFileSync(path, cdb);
    },
    code: 2,
    stderr: [corruptCdbWarning('hash table 7 points outside the file'), ''],
    stdout: cdbRebuildPlan('corrupt (hash table 7 points outside the file)'),
  },
  {
    name: 'vpasswd itself a FIFO (read without waiting for a writer)',
    break: async (srv) => {
      rmSync(at(srv, `${DOMAIN}/vpasswd`));
      await mkfifo(at(srv, `${DOMAIN}/vpasswd`));
    },
    code: 1,
    stderr: [
      `${VPASSWD}: error: cannot read vpasswd of example.com: ENOTREG (not a regular file but a FIFO)`,
      UNREADABLE,
      '',
    ],
  },
  ...(
    [
      ['a directory', (srv: TestServer) => mkdirSync(at(srv, `${DOMAIN}/.qmail-x`)), '.qmail-x is not a regular file'],
      [
        'a FIFO',
        (srv: TestServer) => mkfifo(at(srv, `${DOMAIN}/.qmail-x`)),
        '.qmail-x is not a regular file but a FIFO',
      ],
      [
        'a dangling symlink',
        (srv: TestServer) => symlinkSync(at(srv, `${DOMAIN}/nowhere`), at(srv, `${DOMAIN}/.qmail-x`)),
        '.qmail-x is a symbolic link, which mailstate does not follow',
      ],
    ] as const
  ).map(
    ([what, make, reason]): Case => ({
      name: `a .qmail-x that is ${what}`,
      break: make,
      code: 0,
      stderr: [''],
      stdout: [
        ...LEFT_ALONE.slice(0, 6),
        `  example.com: dot-qmail "x" (ROOT/${DOMAIN}/.qmail-x): ${reason}`,
        ...NO_CHANGES.slice(6),
      ],
    }),
  ),
  {
    name: 'a FIFO where a declared alias has its .qmail file',
    break: async (srv) => {
      rmSync(at(srv, `${DOMAIN}/.qmail-info`));
      await mkfifo(at(srv, `${DOMAIN}/.qmail-info`));
    },
    code: 1,
    stderr: [
      `mailstate.yaml:37:7: error: alias "info@example.com": ROOT/${DOMAIN}/.qmail-info exists and is not managed by mailstate (.qmail-info is not a regular file but a FIFO); remove or rename it by hand first`,
      REFUSED,
      '',
    ],
  },
  {
    name: "a FIFO as a user's own .qmail",
    break: async (srv) => {
      await mkfifo(at(srv, `${DOMAIN}/postmaster/.qmail`));
    },
    code: 0,
    stderr: [''],
    stdout: [
      ...LEFT_ALONE.slice(0, 6),
      `  example.com: user-dot-qmail "postmaster" (ROOT/${DOMAIN}/postmaster/.qmail): .qmail is not a regular file but a FIFO`,
      ...NO_CHANGES.slice(6),
    ],
  },
  {
    name: 'users/assign without its final "." line',
    break: (srv) => {
      const path = at(srv, 'var/qmail/users/assign');
      writeFileSync(path, readFileSync(path, 'utf8').replace(/\.\n$/, ''));
    },
    code: 0,
    stderr: [
      'ROOT/var/qmail/users/assign:2: warning: users/assign has no final "." line after line 2: qmail-newu refuses the file ("bad format")',
      '',
    ],
    stdout: NO_CHANGES,
  },
  {
    name: 'users/assign with garbage lines',
    break: (srv) => {
      const path = at(srv, 'var/qmail/users/assign');
      writeFileSync(
        path,
        `garbage line\n+broken-:x\n:starts-with-colon\n${readFileSync(path, 'utf8')}\n+after-:after:1:1:/x:-::\n`,
      );
    },
    code: 0,
    stderr: [
      'ROOT/var/qmail/users/assign:1: warning: users/assign line 1 has no ":": qmail-newu refuses the whole file ("bad format") until it is fixed',
      'ROOT/var/qmail/users/assign:2: warning: users/assign line 2 has 0 of the 6 ":" qmail-newu needs after the key (the line may have been cut): qmail-newu refuses the whole file ("bad format") until it is fixed',
      'ROOT/var/qmail/users/assign:3: warning: users/assign line 3 starts with ":": qmail-newu refuses the whole file ("bad format") until it is fixed',
      'ROOT/var/qmail/users/assign:8: warning: users/assign line 8 comes after the final "." line: qmail-newu ignores it, but a tool that rewrites the file may not',
      '',
    ],
    stdout: NO_CHANGES,
  },
  {
    name: 'users/assign a FIFO',
    break: async (srv) => {
      rmSync(at(srv, 'var/qmail/users/assign'));
      await mkfifo(at(srv, 'var/qmail/users/assign'));
    },
    code: 1,
    stderr: [
      'ROOT/var/qmail/users/assign: error: cannot read users/assign: ENOTREG (not a regular file but a FIFO)',
      UNREADABLE,
      '',
    ],
  },
  {
    name: 'tcp.smtp with garbage lines',
    break: (srv) =>
      appendFileSync(
        at(srv, 'home/vpopmail/etc/tcp.smtp'),
        'garbage\n\u0000\u0001\n10.0.0.9:allow,RELAYCLIENT="",extra\n',
      ),
    code: 2,
    stderr: [
      'ROOT/home/vpopmail/etc/tcp.smtp:6: warning: tcp.smtp line 6 has no ":", so tcprules silently skips it: "garbage"',
      'ROOT/home/vpopmail/etc/tcp.smtp:7: warning: tcp.smtp line 7 has no ":", so tcprules silently skips it: "\\u0000\\u0001"',
      '',
    ],
    stdout: [
      'relay (tcp.smtp)',
      '  * rebuild tcp.smtp.cdb (tcp.smtp.cdb is missing or older than tcp.smtp)',
      '',
      ...LEFT_ALONE,
      '',
      'Plan: 0 to add, 0 to change, 0 to delete, 1 CDB rebuild.',
      '',
    ],
  },
  {
    name: 'tcp.smtp a FIFO',
    break: async (srv) => {
      rmSync(at(srv, 'home/vpopmail/etc/tcp.smtp'));
      await mkfifo(at(srv, 'home/vpopmail/etc/tcp.smtp'));
    },
    code: 1,
    stderr: [
      'ROOT/home/vpopmail/etc/tcp.smtp: error: cannot read tcp.smtp: ENOTREG (not a regular file but a FIFO)',
      UNREADABLE,
      '',
    ],
  },
];

describe('mailstate plan on broken live state (built CLI, YAML from mailstate import)', () => {
  it.concurrent.each(CASES.map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      const srv = await server(EXAMPLE_SANDBOX);
      await c.break(srv);
      const run = await plan(srv);
      expect(run.stderr).toEqual(c.stderr.at(-1) === '' ? c.stderr : [...c.stderr, '']);
      expect(run.code).toBe(c.code);
      expect(run.stdout).toEqual(c.stdout ?? ['']);
    },
    CASE_TIMEOUT_MS,
  );
});

describe('the reader and the planner on a user whose vpasswd line is broken (library)', () => {
  it('records the name of every skipped line, and the plan refuses to add that user again', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const desired = desiredFromLive(await live(srv));
    editLine(srv, 'bob', () => 'bob:x:1:0:Bob');
    const { state, diagnostics } = await readLive({ vpopmailHome: srv.vpopmailHome, qmailHome: srv.qmailHome });
    const domain = state.domains.get('example.com')!;
    expect([...domain.users.keys()]).toEqual(['alice', 'john.doe', 'postmaster']);
    expect(domain.malformedVpasswdLines).toEqual([{ name: 'bob', line: 2 }]);
    expect(diagnostics.map(formatDiagnostic)).toEqual([
      `${at(srv, DOMAIN)}/vpasswd:2: warning: vpasswd line of "bob" has 5 fields, not 7 or 8; line skipped`,
    ]);
    const result = diffState(desired, state);
    expect(result.ok).toBe(false);
    expect(result.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([
      ['vpasswd-malformed-user', `${at(srv, DOMAIN)}/vpasswd`, 2],
      ['live-conflict', 'test.yaml', undefined],
    ]);
  });

  it('an apply never writes a second line for a name vpasswd already holds, even from a plan made before the line broke', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const path = at(srv, `${DOMAIN}/vpasswd`);
    // A plan made while bob was not in vpasswd at all: add bob.
    const text = readFileSync(path, 'latin1');
    writeFileSync(path, text.replace(/^bob:.*\n/m, ''), 'latin1');
    const state = await live(srv);
    const desired = desiredFromLive(state);
    const domain = desired.domains.get('example.com')!;
    const { forward: _forward, ...alice } = domain.users.get('alice')!;
    domain.users.set('bob', { ...alice, name: 'bob', comment: 'bob' });
    const stale = planOf(desired, state);
    expect(stale.changes.map((c) => c.kind)).toEqual(['add-user', 'rebuild-vpasswd-cdb']);
    // Then someone puts bob's line back, broken (5 fields): the reader cannot see it.
    const broken = text.replace(/^bob:.*$/m, 'bob:x:1:0:Bob');
    writeFileSync(path, broken, 'latin1');
    const env = () => applyEnvironment(state, serverIo({ vpopmailHome: state.vpopmailHome }));
    // bob's mailbox is still there: the new user's directory is refused first.
    await expect(applyPlan(stale, filesDriver, env())).rejects.toThrow(
      `${at(srv, DOMAIN)}/bob already exists and is not empty: refusing to give it to a new user`,
    );
    expect(readFileSync(path, 'latin1')).toBe(broken);
    // Without the mailbox, the vpasswd edit itself refuses the second line.
    rmSync(at(srv, `${DOMAIN}/bob`), { recursive: true });
    await expect(applyPlan(stale, filesDriver, env())).rejects.toThrow(
      'vpasswd line 2 already holds "bob" (a line mailstate cannot read is still vpopmail\'s): refusing to add a second line for it',
    );
    expect(readFileSync(path, 'latin1')).toBe(broken);
  });

  it('an apply that changes other users keeps blank, comment and other unreadable lines byte for byte', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const desired = desiredFromLive(await live(srv));
    const path = at(srv, `${DOMAIN}/vpasswd`);
    const lines = readFileSync(path, 'latin1').split('\n');
    // Lines without a name the planner could protect (blank, comment) and a Latin-1 byte.
    const broken = [lines[0], '', '# hand note \xe9', ...lines.slice(1)].join('\n');
    writeFileSync(path, broken, 'latin1');
    desired.domains.get('example.com')!.users.get('alice')!.comment = 'Alice Smith';
    await applyDesired(desired, srv);
    const after = readFileSync(path, 'latin1').split('\n');
    expect(after.slice(1, 3)).toEqual(['', '# hand note \xe9']);
    expect(after[0]).toMatch(/^alice:.*:Alice Smith:/);
    expect(after.slice(3)).toEqual(broken.split('\n').slice(3));
    // And editVpasswd on its own, with a name-bearing broken line it was not told about.
    const text = 'alice:x:1:0:a:/d/a:NOQUOTA\nbob:x:1:0:Bob\n\n#c\ncarol:x:1:0:c:/d/c:NOQUOTA\n';
    const edited = editVpasswd(text, {
      deletions: new Set(['carol']),
      replacements: new Map([['alice', 'alice:y:1:0:A:/d/a:NOQUOTA']]),
      additions: [{ name: 'dave', line: 'dave:z:1:0:d:/d/d:NOQUOTA' }],
    });
    expect(edited).toBe('alice:y:1:0:A:/d/a:NOQUOTA\nbob:x:1:0:Bob\n\n#c\ndave:z:1:0:d:/d/d:NOQUOTA\n');
  });
});
