#!/usr/bin/env node
// @ts-check
// Emulator of the vpopmail 5.6.13 command-line programs (cdb backend, clear-text passwords on,
// SHA-512 hashes, users-big-dir hashing on), for tests only. Real vpopmail is not installable
// here; this reproduces what the golden corpus (test/fixtures/golden, its README.md) shows the
// real binaries doing: argv handling (GNU getopt, including its permutation and vpopmail's "stop
// at the first unknown option"), stdout/stderr text, exit codes, and file effects (vpasswd,
// vpasswd.cdb, .dir-control, .dir_control_free, Maildirs, maildirsize, lastauth, users/assign,
// users/cdb, control files).
//
// One script, many names: ~vpopmail/bin/<program> are symlinks to this file and it dispatches on
// basename(argv[1]). ~vpopmail is the parent of the bin directory the symlink lives in (the
// symlink is NOT resolved); qmail's home comes from ~vpopmail/etc/emulator.json. Every call appends
// {"argv": [...], "uid": N} to ~vpopmail/etc/emulator-calls.jsonl.
//
// Plain JavaScript, node:* imports only, so that node runs it with no build step; tsc checks the
// JSDoc types (tsconfig.json here, run by `npm run typecheck` and before `npm test`). The modules
// follow vpopmail's own split: runtime/ is what the C programs get from libc and the process
// (argv, getopt, stdio, exit codes, file calls), lib/ is libvpopmail (vpasswd and its cdb, user
// and domain directories, assign and control files, limits, quotas) and programs/ the mains.
// All strings that hold file contents, argv or paths are "binary" strings (one char per byte,
// latin1) so that bytes round-trip exactly as in C; fs calls go through P() which turns them back
// into Buffers.
//
// Programs: vadduser vmoduser vdeluser vsetuserquota vpasswd vmkpasswd vadddomain vaddaliasdomain
// vdeldomain valias vuserinfo. test/emulator/emulator.test.ts replays the golden sessions against
// them. Like the real ones they find domains in users/cdb (what qmail-newu compiled), not in the
// assign text; the emulator runs qmail-newu's compilation itself when it edits users/assign.
//
// Not reproduced:
// - fcntl locking: the lock files (.vpasswd.lock, *.lock) are created, but no lock is taken;
// - the SIGHUP to qmail-send after domain changes;
// - getpass() always reads stdin, even when there is a controlling terminal;
// - a non-root emulator cannot chown (files stay the caller's), grants vmoduser -S/-E, and skips
//   vuserinfo's setuid to the domain owner (as root that is emulated as an access check);
// - only the shipped password_strength.conf policy (at least one character);
// - of the domain limits, only default_quota, default_maxmsgcount and the disable_* flags;
// - programs outside the list above (vdominfo, vchkpw, vdelivermail, vverifypw, ...).
// Taken from the 5.6 sources rather than from golden captures: morercpthosts (50+ rcpthosts
// lines), vmoduser -q on a whole domain, multi-level user hashing beyond z/, Maildir++ usage of
// subfolders, vadddomain -O.

import { PROG, logCall } from './runtime/invocation.mjs';
import { Exit, err } from './runtime/output.mjs';

// Loaded on demand: each program then loads only the modules it uses, and every test spawns
// hundreds of these processes, so their start-up time adds up.
/** @type {Record<string, () => Promise<() => void>>} */
const PROGRAMS = {
  vadduser: async () => (await import('./programs/vadduser.mjs')).cmdVadduser,
  vmoduser: async () => (await import('./programs/vmoduser.mjs')).cmdVmoduser,
  vdeluser: async () => (await import('./programs/vdeluser.mjs')).cmdVdeluser,
  vsetuserquota: async () => (await import('./programs/vsetuserquota.mjs')).cmdVsetuserquota,
  vpasswd: async () => (await import('./programs/vpasswd.mjs')).cmdVpasswd,
  vmkpasswd: async () => (await import('./programs/vmkpasswd.mjs')).cmdVmkpasswd,
  vadddomain: async () => (await import('./programs/vadddomain.mjs')).cmdVadddomain,
  vaddaliasdomain: async () => (await import('./programs/vaddaliasdomain.mjs')).cmdVaddaliasdomain,
  vdeldomain: async () => (await import('./programs/vdeldomain.mjs')).cmdVdeldomain,
  valias: async () => (await import('./programs/valias.mjs')).cmdValias,
  vuserinfo: async () => (await import('./programs/vuserinfo.mjs')).cmdVuserinfo,
};

async function main() {
  const load = PROGRAMS[PROG];
  logCall();
  if (!load) {
    err(`vpopmail emulator: unknown program name ${PROG}\n`);
    process.exitCode = 127;
    return;
  }
  const program = await load();
  try {
    program();
  } catch (e) {
    if (e instanceof Exit) {
      process.exitCode = e.code;
      return;
    }
    throw e;
  }
}

await main();
