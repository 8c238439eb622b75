/**
 * Hostile live state (issue 10): the vpopmail account owns vpasswd, the domain and user
 * directories and the `.qmail` files, while mailstate runs as root. Each case breaks a fresh copy
 * of the bundled example the way a process with vpopmail's rights could, then runs the built CLI
 * as `plan` and `apply --yes` with each driver, and checks that:
 * - nothing in a decoy tree beside the sandbox changed (inode, mode, owner, size, mtime, content);
 * - no decoy content appears in any output;
 * - the exact line that says why the object was refused or left alone is printed.
 */
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  cpSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_SANDBOX, server, type TestServer } from '../support/harness.js';
import { mailstate } from '../support/cli.js';
import { installEmulator } from '../emulator/install.js';

const MARKER = 'DECOY-CONTENT-7f3a';
const HASH_IN_DECOY = '$1$decoysalt$DECOYHASHDECOYHASHDECOY0';

interface Sandbox extends TestServer {
  decoy: string;
  domainDir: string;
  yaml: string;
}

/** path -> "kind mode uid:gid ino size mtime sha256" of every entry below root. */
function fingerprint(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (path: string) => {
    const info = lstatSync(path);
    const content = info.isFile() ? createHash('sha256').update(readFileSync(path)).digest('hex') : '';
    out.set(
      path,
      `${info.mode.toString(8)} ${info.uid}:${info.gid} ${info.ino} ${info.size} ${info.mtimeMs} ${content}`,
    );
    if (info.isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
  };
  walk(root);
  return out;
}

/** A decoy tree outside the sandbox: what an attacker would point mailstate at. */
function makeDecoy(root: string): string {
  const decoy = join(root, 'decoy');
  mkdirSync(join(decoy, 'dir', 'Maildir', 'new'), { recursive: true });
  mkdirSync(join(decoy, 'dir', 'Maildir', 'cur'), { recursive: true });
  writeFileSync(
    join(decoy, 'dir', 'Maildir', 'new', '1.M1P1.decoy,S=40'),
    `${MARKER} a message that is not mailstate's\n`,
  );
  writeFileSync(join(decoy, 'dir', '.qmail'), `&${MARKER.toLowerCase()}@example.net\n`);
  writeFileSync(join(decoy, 'shadow'), `root:${HASH_IN_DECOY}:19000:0:99999:7:::\n${MARKER}\n`, { mode: 0o600 });
  return decoy;
}

const homes = (srv: Sandbox) => ['--vpopmail-home', srv.vpopmailHome, '--qmail-home', srv.qmailHome];

let template: string;
beforeAll(async () => {
  // The YAML `import` writes for the unbroken example: each case edits a copy of it.
  const srv = await server(EXAMPLE_SANDBOX);
  template = join(mkdtempSync(join(tmpdir(), 'mailstate-hostile-live-')), 'mailstate.yaml');
  expect(
    mailstate(['import', '-o', template, '--vpopmail-home', srv.vpopmailHome, '--qmail-home', srv.qmailHome]).code,
  ).toBe(0);
});
afterAll(() => rmSync(join(template, '..'), { recursive: true, force: true }));

async function sandbox(): Promise<Sandbox> {
  const srv = await server(EXAMPLE_SANDBOX);
  const yaml = join(srv.root, 'mailstate.yaml');
  writeFileSync(yaml, readFileSync(template, 'utf8'));
  return { ...srv, decoy: makeDecoy(srv.root), domainDir: join(srv.vpopmailHome, 'domains', 'example.com'), yaml };
}

/** Appends a vpasswd line for an undeclared user `evil` with this directory. */
function evilLine(srv: Sandbox, dir: string): void {
  appendFileSync(
    join(srv.domainDir, 'vpasswd'),
    `evil:$1$abcdefgh$0123456789012345678901:1:0:evil:${dir}:NOQUOTA:pw\n`,
  );
}

/** Rewrites one user's directory field in vpasswd. */
function setUserDir(srv: Sandbox, user: string, dir: string): void {
  const path = join(srv.domainDir, 'vpasswd');
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => {
      if (!line.startsWith(`${user}:`)) return line;
      const fields = line.split(':');
      fields[5] = dir;
      return fields.join(':');
    });
  writeFileSync(path, lines.join('\n'));
}

/** YAML edits: a quota for bob (a maildirsize write), or bob removed (an archive). */
const editYaml = (srv: Sandbox, from: RegExp | string, to: string) => {
  const text = readFileSync(srv.yaml, 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`${String(from)} not found in the imported YAML`);
  writeFileSync(srv.yaml, next);
};
const quotaForBob = (srv: Sandbox) => editYaml(srv, /^ {6}bob:\n/m, '      bob:\n        quota: 1G\n');
const deleteBob = (srv: Sandbox) => editYaml(srv, /^ {6}bob:.*\n( {8}.*\n)*/m, '');
const keepCopyForBob = (srv: Sandbox) =>
  editYaml(srv, '            - bob@example.net\n', '            - bob@example.net\n          keepCopy: true\n');

interface Case {
  name: string;
  /** What the attacker does to the live tree. */
  attack(srv: Sandbox): void;
  /** What the YAML asks for, so that the attacked object would be touched. */
  desire?(srv: Sandbox): void;
  /** Exit code of `plan` and of `apply --yes` (either driver). */
  plan: number;
  apply: number;
  /** A line printed by plan (stdout or stderr), with ROOT for the sandbox root and DECOY for the decoy. */
  line: string;
}

function unsafeEvil(dirShown: string, why: string): string {
  return `  example.com: user "evil" (ROOT/home/vpopmail/domains/example.com/vpasswd): vpasswd line 5 gives it the directory ${dirShown} ${why}: mailstate will not touch this user`;
}

const CASES: Case[] = [
  // 1. vpasswd directories that are not the user's own place (an undeclared user: left alone, never archived).
  {
    name: 'an undeclared user whose dir is outside the tree',
    attack: (s) => evilLine(s, join(s.decoy, 'dir')),
    plan: 0,
    apply: 0,
    line: unsafeEvil('"DECOY/dir"', 'is not inside ROOT/home/vpopmail/domains/example.com'),
  },
  {
    name: 'an undeclared user whose dir climbs out with ..',
    attack: (s) => evilLine(s, `${s.domainDir}/../../../../decoy/dir`),
    plan: 0,
    apply: 0,
    line: unsafeEvil(
      '"ROOT/home/vpopmail/domains/example.com/../../../../decoy/dir"',
      'contains a "." or ".." segment',
    ),
  },
  {
    name: 'an undeclared user with a relative dir',
    attack: (s) => evilLine(s, 'decoy/dir'),
    plan: 0,
    apply: 0,
    line: unsafeEvil('"decoy/dir"', 'is not an absolute path'),
  },
  {
    name: "an undeclared user whose dir is another domain's",
    attack: (s) => evilLine(s, join(s.vpopmailHome, 'domains', 'example.org')),
    plan: 0,
    apply: 0,
    line: unsafeEvil(
      '"ROOT/home/vpopmail/domains/example.org"',
      'is not inside ROOT/home/vpopmail/domains/example.com',
    ),
  },
  {
    name: 'an undeclared user whose dir is ~vpopmail/domains',
    attack: (s) => evilLine(s, join(s.vpopmailHome, 'domains')),
    plan: 0,
    apply: 0,
    line: unsafeEvil('"ROOT/home/vpopmail/domains"', 'is not inside ROOT/home/vpopmail/domains/example.com'),
  },
  {
    name: 'an undeclared user whose dir is ~vpopmail',
    attack: (s) => evilLine(s, s.vpopmailHome),
    plan: 0,
    apply: 0,
    line: unsafeEvil('"ROOT/home/vpopmail"', 'is not inside ROOT/home/vpopmail/domains/example.com'),
  },
  {
    name: 'an undeclared user whose dir is the domain dir',
    attack: (s) => evilLine(s, s.domainDir),
    plan: 0,
    apply: 0,
    line: unsafeEvil(
      '"ROOT/home/vpopmail/domains/example.com"',
      'is not inside ROOT/home/vpopmail/domains/example.com',
    ),
  },
  {
    name: "an undeclared user whose dir is another user's",
    attack: (s) => evilLine(s, join(s.domainDir, 'alice')),
    plan: 0,
    apply: 0,
    line: unsafeEvil('"ROOT/home/vpopmail/domains/example.com/alice"', 'does not end in /evil'),
  },
  {
    name: 'an undeclared user whose dir is vpasswd itself',
    attack: (s) => evilLine(s, join(s.domainDir, 'vpasswd')),
    plan: 0,
    apply: 0,
    line: unsafeEvil('"ROOT/home/vpopmail/domains/example.com/vpasswd"', 'does not end in /evil'),
  },
  {
    name: 'an undeclared user whose dir hides in a fake hash level',
    attack: (s) => evilLine(s, join(s.domainDir, 'alice', 'evil')),
    plan: 0,
    apply: 0,
    line: unsafeEvil(
      '"ROOT/home/vpopmail/domains/example.com/alice/evil"',
      "is not one of vpopmail's hashed directories (single characters 0-9, A-Z, a-z)",
    ),
  },
  {
    name: 'an undeclared user whose dir is a program',
    attack: (s) => evilLine(s, '|/usr/bin/touch /tmp/pwned '),
    plan: 0,
    apply: 0,
    line: unsafeEvil('"|/usr/bin/touch /tmp/pwned "', 'is not an absolute path'),
  },
  {
    name: 'an undeclared user with a control character in its dir',
    attack: (s) => evilLine(s, `${s.domainDir}/ev\u0001il`),
    plan: 0,
    apply: 0,
    line: unsafeEvil('"ROOT/home/vpopmail/domains/example.com/ev\\u0001il"', 'contains a control character'),
  },
  {
    name: 'an undeclared user with an empty dir',
    attack: (s) => evilLine(s, ''),
    plan: 0,
    apply: 0,
    line: unsafeEvil('""', 'is empty'),
  },
  // 2. The same for a declared user that the YAML changes: the plan is refused.
  {
    name: 'a declared user whose dir is outside the tree, given a quota',
    attack: (s) => setUserDir(s, 'bob', join(s.decoy, 'dir')),
    desire: quotaForBob,
    plan: 1,
    apply: 1,
    line: 'ROOT/home/vpopmail/domains/example.com/vpasswd:2: error: user "bob@example.com" is declared (mailstate.yaml:BOBLINE), but vpasswd line 2 gives it the directory "DECOY/dir" is not inside ROOT/home/vpopmail/domains/example.com: mailstate will not touch this user: fix that line by hand first (vmoduser -D, or the line itself)',
  },
  {
    name: 'a declared user whose dir is a program, given a forward that keeps a copy',
    attack: (s) => setUserDir(s, 'bob', '|/usr/bin/touch /tmp/pwned '),
    desire: keepCopyForBob,
    plan: 1,
    apply: 1,
    line: 'ROOT/home/vpopmail/domains/example.com/vpasswd:2: error: user "bob@example.com" is declared (mailstate.yaml:BOBLINE), but vpasswd line 2 gives it the directory "|/usr/bin/touch /tmp/pwned " is not an absolute path: mailstate will not touch this user: fix that line by hand first (vmoduser -D, or the line itself)',
  },
  // 3. Symbolic links at every level.
  {
    name: 'a .qmail-z linked to a root-only file',
    attack: (s) => symlinkSync(join(s.decoy, 'shadow'), join(s.domainDir, '.qmail-z')),
    plan: 0,
    apply: 0,
    line: '  example.com: dot-qmail "z" (ROOT/home/vpopmail/domains/example.com/.qmail-z): .qmail-z is a symbolic link, which mailstate does not follow',
  },
  {
    name: 'vpasswd linked to a root-only file',
    attack: (s) => {
      rmSync(join(s.domainDir, 'vpasswd'));
      symlinkSync(join(s.decoy, 'shadow'), join(s.domainDir, 'vpasswd'));
    },
    plan: 1,
    apply: 1,
    line: 'ROOT/home/vpopmail/domains/example.com/vpasswd: error: cannot read vpasswd of example.com: ELOOP (a symbolic link, which mailstate does not follow)',
  },
  {
    name: 'the domain dir replaced by a link out of the tree',
    attack: (s) => {
      cpSync(s.domainDir, join(s.decoy, 'example.com'), { recursive: true });
      rmSync(s.domainDir, { recursive: true });
      symlinkSync(join(s.decoy, 'example.com'), s.domainDir);
    },
    plan: 1,
    apply: 1,
    line: 'ROOT/var/qmail/users/assign:1: error: users/assign line 1 gives example.com the directory "ROOT/home/vpopmail/domains/example.com", which leads through a symbolic link to "DECOY/example.com": mailstate will not read or change this domain (a copy of a server keeps the original\'s paths; a base made with vadddomain -d is named with --domain-base)',
  },
  {
    name: 'a user dir replaced by a link, the user deleted',
    attack: (s) => {
      renameSync(join(s.domainDir, 'bob'), join(s.decoy, 'bob'));
      symlinkSync(join(s.decoy, 'dir'), join(s.domainDir, 'bob'));
    },
    desire: deleteBob,
    plan: 0,
    apply: 1,
    line: '  example.com: user-dot-qmail "bob" (ROOT/home/vpopmail/domains/example.com/bob/.qmail): the user directory leads through a symbolic link out of its place; not read',
  },
  {
    name: 'a Maildir replaced by a link, the user given a quota',
    attack: (s) => {
      rmSync(join(s.domainDir, 'bob', 'Maildir'), { recursive: true });
      symlinkSync(join(s.decoy, 'dir', 'Maildir'), join(s.domainDir, 'bob', 'Maildir'));
    },
    desire: quotaForBob,
    plan: 0,
    apply: 1,
    line: 'APPLY: "ROOT/home/vpopmail/domains/example.com/bob/Maildir" is a symbolic link: mailstate does not write through links in the mail tree',
  },
  {
    name: 'Maildir/new replaced by a link, the user given a quota',
    attack: (s) => {
      rmSync(join(s.domainDir, 'bob', 'Maildir', 'new'), { recursive: true });
      symlinkSync(join(s.decoy, 'dir', 'Maildir', 'new'), join(s.domainDir, 'bob', 'Maildir', 'new'));
    },
    desire: quotaForBob,
    plan: 0,
    apply: 0,
    line: '  ~ user bob',
  },
  {
    name: '.vpasswd.lock linked out of the tree',
    attack: (s) => symlinkSync(join(s.decoy, 'created-by-root'), join(s.domainDir, '.vpasswd.lock')),
    desire: quotaForBob,
    plan: 0,
    apply: 1,
    line: '  ~ user bob',
  },
  {
    name: "a link planted at vpasswd's temp name",
    attack: (s) => symlinkSync(join(s.decoy, 'shadow'), join(s.domainDir, '.vpasswd.mailstate.tmp')),
    desire: quotaForBob,
    plan: 0,
    apply: 0,
    line: '  ~ user bob',
  },
  {
    name: '~vpopmail/archive linked out of the tree, a user deleted',
    attack: (s) => symlinkSync(join(s.decoy, 'dir'), join(s.vpopmailHome, 'archive')),
    desire: deleteBob,
    plan: 0,
    apply: 1,
    line: 'APPLY: "ROOT/home/vpopmail/archive" is a symbolic link: mailstate does not write through links in the mail tree',
  },
  {
    name: 'an undeclared user whose dir has "//"',
    attack: (s) => evilLine(s, `${s.domainDir}//evil`),
    plan: 0,
    apply: 0,
    line: unsafeEvil('"ROOT/home/vpopmail/domains/example.com//evil"', 'contains "//"'),
  },
  {
    name: 'an undeclared user whose dir ends with "/"',
    attack: (s) => evilLine(s, `${s.domainDir}/evil/`),
    plan: 0,
    apply: 0,
    line: unsafeEvil('"ROOT/home/vpopmail/domains/example.com/evil/"', 'ends with "/"'),
  },
  {
    name: "a user's own .qmail linked to a root-only file",
    attack: (s) => symlinkSync(join(s.decoy, 'shadow'), join(s.domainDir, 'alice', '.qmail')),
    plan: 0,
    apply: 0,
    line: '  example.com: user-dot-qmail "alice" (ROOT/home/vpopmail/domains/example.com/alice/.qmail): .qmail is a symbolic link, which mailstate does not follow',
  },
  // Hard links: O_NOFOLLOW stops a symbolic link, not a second name of a root-only file.
  {
    name: 'a .qmail-z hard-linked to a root-only file',
    attack: (s) => linkSync(join(s.decoy, 'shadow'), join(s.domainDir, '.qmail-z')),
    plan: 0,
    apply: 0,
    line: '  example.com: dot-qmail "z" (ROOT/home/vpopmail/domains/example.com/.qmail-z): .qmail-z is a hard link (one of 2 names of the same file), which mailstate does not read',
  },
  {
    name: 'vpasswd hard-linked to a root-only file',
    attack: (s) => {
      rmSync(join(s.domainDir, 'vpasswd'));
      linkSync(join(s.decoy, 'shadow'), join(s.domainDir, 'vpasswd'));
    },
    plan: 1,
    apply: 1,
    line: 'ROOT/home/vpopmail/domains/example.com/vpasswd: error: cannot read vpasswd of example.com: EHARDLINK (a hard link (one of 2 names of the same file), which mailstate does not read)',
  },
  {
    name: "a user's own .qmail hard-linked to a root-only file",
    attack: (s) => linkSync(join(s.decoy, 'shadow'), join(s.domainDir, 'alice', '.qmail')),
    plan: 0,
    apply: 0,
    line: '  example.com: user-dot-qmail "alice" (ROOT/home/vpopmail/domains/example.com/alice/.qmail): .qmail is a hard link (one of 2 names of the same file), which mailstate does not read',
  },
  {
    name: "a forward's .qmail-bob linked out of the tree, the forward changed",
    attack: (s) => {
      rmSync(join(s.domainDir, '.qmail-bob'));
      symlinkSync(join(s.decoy, 'dir', '.qmail'), join(s.domainDir, '.qmail-bob'));
    },
    desire: keepCopyForBob,
    plan: 1,
    apply: 1,
    line: 'mailstate.yaml:BOBLINE:7: error: forward of "bob@example.com": ROOT/home/vpopmail/domains/example.com/.qmail-bob exists and is not managed by mailstate (.qmail-bob is a symbolic link, which mailstate does not follow); remove or rename it by hand first',
  },
  {
    name: 'vpasswd.cdb linked to a root-only file',
    attack: (s) => {
      rmSync(join(s.domainDir, 'vpasswd.cdb'), { force: true });
      symlinkSync(join(s.decoy, 'shadow'), join(s.domainDir, 'vpasswd.cdb'));
    },
    plan: 1,
    apply: 1,
    line: 'ROOT/home/vpopmail/domains/example.com/vpasswd.cdb: error: cannot read vpasswd.cdb: ELOOP (a symbolic link, which mailstate does not follow)',
  },
  {
    name: "the domain's archive folder linked out of the tree, a user deleted",
    attack: (s) => {
      mkdirSync(join(s.vpopmailHome, 'archive'));
      symlinkSync(join(s.decoy, 'dir'), join(s.vpopmailHome, 'archive', 'example.com'));
    },
    desire: deleteBob,
    plan: 0,
    apply: 1,
    line: 'APPLY: "ROOT/home/vpopmail/archive/example.com" is a symbolic link: mailstate does not write through links in the mail tree',
  },
  {
    name: 'users/assign with ".." in a domain directory',
    attack: (s) => {
      const assign = join(s.qmailHome, 'users', 'assign');
      writeFileSync(
        assign,
        readFileSync(assign, 'utf8').replace(
          `${s.vpopmailHome}/domains/example.com:`,
          `${s.vpopmailHome}/domains/../domains/example.com:`,
        ),
      );
    },
    plan: 1,
    apply: 1,
    line: 'ROOT/var/qmail/users/assign:1: error: users/assign line 1 gives example.com the directory "ROOT/home/vpopmail/domains/../domains/example.com" contains a "." or ".." segment: mailstate will not read or change this domain (a copy of a server keeps the original\'s paths; a base made with vadddomain -d is named with --domain-base)',
  },
  {
    name: 'users/assign with a domain directory under a fake hash level',
    attack: (s) => {
      const assign = join(s.qmailHome, 'users', 'assign');
      writeFileSync(
        assign,
        readFileSync(assign, 'utf8').replace(
          `${s.vpopmailHome}/domains/example.com:`,
          `${s.vpopmailHome}/domains/example.org/example.com:`,
        ),
      );
    },
    plan: 1,
    apply: 1,
    line: 'ROOT/var/qmail/users/assign:1: error: users/assign line 1 gives example.com the directory "ROOT/home/vpopmail/domains/example.org/example.com" is not one of vpopmail\'s hashed directories (single characters 0-9, A-Z, a-z): mailstate will not read or change this domain (a copy of a server keeps the original\'s paths; a base made with vadddomain -d is named with --domain-base)',
  },
  {
    name: '~vpopmail/domains linked out of the tree',
    attack: (s) => {
      renameSync(join(s.vpopmailHome, 'domains'), join(s.decoy, 'domains'));
      symlinkSync(join(s.decoy, 'domains'), join(s.vpopmailHome, 'domains'));
    },
    desire: quotaForBob,
    plan: 0,
    apply: 1,
    line: '  ~ user bob',
  },
  // 4. users/assign naming directories outside ~vpopmail/domains.
  {
    name: "a copy of a server whose users/assign names the original's directories",
    attack: (s) => {
      const assign = join(s.qmailHome, 'users', 'assign');
      writeFileSync(
        assign,
        readFileSync(assign, 'utf8').replace(
          `${s.vpopmailHome}/domains/example.com`,
          `${s.decoy}/home/vpopmail/domains/example.com`,
        ),
      );
      cpSync(s.domainDir, join(s.decoy, 'home', 'vpopmail', 'domains', 'example.com'), { recursive: true });
    },
    plan: 1,
    apply: 1,
    line: 'ROOT/var/qmail/users/assign:1: error: users/assign line 1 gives example.com the directory "DECOY/home/vpopmail/domains/example.com" is not inside ROOT/home/vpopmail/domains: mailstate will not read or change this domain (a copy of a server keeps the original\'s paths; a base made with vadddomain -d is named with --domain-base)',
  },
  {
    name: 'users/assign giving a domain ~vpopmail/domains itself',
    attack: (s) => {
      const assign = join(s.qmailHome, 'users', 'assign');
      writeFileSync(
        assign,
        readFileSync(assign, 'utf8').replace(`${s.vpopmailHome}/domains/example.com:`, `${s.vpopmailHome}/domains:`),
      );
    },
    plan: 1,
    apply: 1,
    line: 'ROOT/var/qmail/users/assign:1: error: users/assign line 1 gives example.com the directory "ROOT/home/vpopmail/domains" is not inside ROOT/home/vpopmail/domains: mailstate will not read or change this domain (a copy of a server keeps the original\'s paths; a base made with vadddomain -d is named with --domain-base)',
  },
  {
    name: "users/assign giving a domain another domain's directory",
    attack: (s) => {
      const assign = join(s.qmailHome, 'users', 'assign');
      writeFileSync(
        assign,
        readFileSync(assign, 'utf8').replace(
          `${s.vpopmailHome}/domains/example.com:`,
          `${s.vpopmailHome}/domains/example.org:`,
        ),
      );
    },
    plan: 1,
    apply: 1,
    line: 'ROOT/var/qmail/users/assign:1: error: users/assign line 1 gives example.com the directory "ROOT/home/vpopmail/domains/example.org" does not end in /example.com: mailstate will not read or change this domain (a copy of a server keeps the original\'s paths; a base made with vadddomain -d is named with --domain-base)',
  },
  {
    name: 'users/assign with a relative domain directory',
    attack: (s) => {
      const assign = join(s.qmailHome, 'users', 'assign');
      writeFileSync(
        assign,
        readFileSync(assign, 'utf8').replace(`${s.vpopmailHome}/domains/example.com:`, 'domains/example.com:'),
      );
    },
    plan: 1,
    apply: 1,
    line: 'ROOT/var/qmail/users/assign:1: error: users/assign line 1 gives example.com the directory "domains/example.com" is not an absolute path: mailstate will not read or change this domain (a copy of a server keeps the original\'s paths; a base made with vadddomain -d is named with --domain-base)',
  },
];

describe.each(['files', 'vpopmail'] as const)('hostile live state, %s driver (built CLI)', (driver) => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const srv = await sandbox();
    if (driver === 'vpopmail') installEmulator(srv.vpopmailHome, srv.qmailHome);
    c.desire?.(srv);
    c.attack(srv);
    const before = fingerprint(srv.decoy);
    const show = (text: string) => text.replaceAll(srv.decoy, 'DECOY').replaceAll(srv.root, 'ROOT');
    const bobLine =
      readFileSync(srv.yaml, 'utf8')
        .split('\n')
        .findIndex((line) => /^ {6}bob:/.test(line)) + 1;

    const plan = mailstate(['plan', '-f', srv.yaml, ...homes(srv)], { cwd: srv.root });
    const apply = mailstate(['apply', '--yes', '--force', '--driver', driver, '-f', srv.yaml, ...homes(srv)], {
      cwd: srv.root,
    });
    const snapshot = mailstate(['snapshot', ...homes(srv)], { cwd: srv.root });
    const outputs = [plan, apply, snapshot].map((run) => `${run.stdout}${run.stderr}`);

    expect(fingerprint(srv.decoy)).toEqual(before);
    for (const output of outputs) {
      expect(output).not.toContain(MARKER);
      expect(output).not.toContain(MARKER.toLowerCase());
      expect(output).not.toContain(HASH_IN_DECOY);
    }
    expect(
      { plan: plan.code, apply: apply.code },
      show(`${plan.stdout}${plan.stderr}\n---\n${apply.stdout}${apply.stderr}`),
    ).toEqual({ plan: c.plan, apply: c.apply });
    const wanted = c.line.replace('BOBLINE', String(bobLine));
    if (wanted.startsWith('APPLY: ')) {
      expect(show(apply.stderr), show(apply.stderr)).toContain(wanted.slice('APPLY: '.length));
    } else {
      expect(show(`${plan.stdout}${plan.stderr}`).split('\n'), show(`${plan.stdout}${plan.stderr}`)).toContain(wanted);
    }
    // A refused plan says that nothing was applied, and apply then writes nothing at all.
    if (c.plan === 1) expect(plan.stderr).toMatch(/nothing was (planned or )?applied\.\n$/);
  });
});

describe('a domain made with vadddomain -d (golden 14: -d BASE gives BASE/domains/DOMAIN)', () => {
  it('is refused unless its base is named with --domain-base, and then planned and applied like any other', async () => {
    const srv = await sandbox();
    const base = join(srv.root, 'altbase');
    mkdirSync(join(base, 'domains'), { recursive: true });
    renameSync(srv.domainDir, join(base, 'domains', 'example.com'));
    const assign = join(srv.qmailHome, 'users', 'assign');
    writeFileSync(assign, readFileSync(assign, 'utf8').replace(`${srv.domainDir}:`, `${base}/domains/example.com:`));
    // The vpasswd lines still name the old place: give them the new one, as vadduser would have.
    const vpasswd = join(base, 'domains', 'example.com', 'vpasswd');
    writeFileSync(
      vpasswd,
      readFileSync(vpasswd, 'utf8').replaceAll(`${srv.domainDir}/`, `${base}/domains/example.com/`),
    );
    quotaForBob(srv);
    const show = (text: string) => text.replaceAll(srv.root, 'ROOT');

    const refused = mailstate(['plan', '-f', srv.yaml, ...homes(srv)], { cwd: srv.root });
    expect(refused.code).toBe(1);
    expect(show(refused.stderr).split('\n')).toContain(
      'ROOT/var/qmail/users/assign:1: error: users/assign line 1 gives example.com the directory "ROOT/altbase/domains/example.com" is not inside ROOT/home/vpopmail/domains: mailstate will not read or change this domain (a copy of a server keeps the original\'s paths; a base made with vadddomain -d is named with --domain-base)',
    );
    const withBase = [...homes(srv), '--domain-base', base];
    const planned = mailstate(['plan', '-f', srv.yaml, ...withBase], { cwd: srv.root });
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain('  ~ user bob');
    expect(mailstate(['apply', '--yes', '--force', '-f', srv.yaml, ...withBase], { cwd: srv.root }).code).toBe(0);
    expect(readFileSync(join(base, 'domains', 'example.com', 'bob', 'Maildir', 'maildirsize'), 'utf8')).toMatch(
      /^1073741824S\n/,
    );
    expect(mailstate(['plan', '--detailed-exitcode', '-f', srv.yaml, ...withBase], { cwd: srv.root }).code).toBe(0);
  });
});
