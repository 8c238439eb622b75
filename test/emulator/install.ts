/**
 * Installs the vpopmail emulator (test/vpopmail-emulator/vpopmail.mjs) as a fake `~vpopmail/bin`, for
 * tests of the vpopmail driver on machines without vpopmail.
 *
 * The emulator is one Node script; `<vpopmailHome>/bin/<program>` are symlinks to it and it
 * dispatches on the name it was called by. It finds `~vpopmail` as the parent of that bin
 * directory and qmail's home in `<vpopmailHome>/etc/emulator.json`, and it appends one JSON line
 * per call to `<vpopmailHome>/etc/emulator-calls.jsonl`.
 */
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The emulator script that every program name links to. */
export const EMULATOR_SCRIPT = fileURLToPath(new URL('../vpopmail-emulator/vpopmail.mjs', import.meta.url));

/** The vpopmail 5.6.13 programs the emulator implements. */
export const EMULATOR_PROGRAMS = [
  'vadduser',
  'vmoduser',
  'vdeluser',
  'vsetuserquota',
  'vpasswd',
  'vmkpasswd',
  'vadddomain',
  'vaddaliasdomain',
  'vdeldomain',
  'valias',
  'vuserinfo',
] as const;

/**
 * `~vpopmail/etc/vlimits.default` as vpopmail 5.6.13 ships it (no default quota, nothing
 * disabled), byte for byte as in golden scenario 17.
 * vadduser refuses to run without limits ("can't read domain limits", exit 220), exactly as the
 * real one does, so the installer provides the shipped file when there is none.
 */
export const VLIMITS_DEFAULT = `# Default limits file.  This file is used for domains without a
# .qmailadmin-limits file.

# maximums for each account type, -1 = unlimited
maxpopaccounts		-1
maxforwards		-1
maxautoresponders	-1
maxmailinglists		-1

# quota for entire domain, in megabytes
# example shows a domain with a 100MB quota and a limit of 10,000 messages
#quota			100
#maxmsgcount		10000

# default quota for newly created users (in bytes)
# example shows a user with a 10MB quota and a limit of 1000 messages
#default_quota		10485760
#default_maxmsgcount	1000

# uncomment the following lines to disable certain features
#disable_pop
#disable_imap
#disable_dialup
#disable_password_changing
#disable_external_relay
#disable_smtp
#disable_webmail
#disable_spamassassin
#delete_spam
#disable_maildrop


# Set bitflags on account management for non-postmaster admins.
# To disable certain features, add the following bits:
#   Create = 1, Modify = 2, Delete = 4
# So, to allow modification but not creation or deletion of
# POP/IMAP accounts, set perm_account to 5.

perm_account		0
perm_alias		0
perm_forward		0
perm_autoresponder	0
perm_maillist		0
perm_quota		0
perm_defaultquota	0
`;

/**
 * Creates `<vpopmailHome>/bin` with one symlink per program, `<vpopmailHome>/etc/emulator.json`
 * (`{"qmailHome": ...}`) and, if missing, `<vpopmailHome>/etc/vlimits.default`. Existing links
 * are replaced. Returns the bin directory.
 */
export function installEmulator(vpopmailHome: string, qmailHome: string): string {
  try {
    accessSync(EMULATOR_SCRIPT, constants.X_OK);
  } catch {
    chmodSync(EMULATOR_SCRIPT, statSync(EMULATOR_SCRIPT).mode | 0o111);
  }
  const bin = join(vpopmailHome, 'bin');
  const etc = join(vpopmailHome, 'etc');
  mkdirSync(bin, { recursive: true });
  mkdirSync(etc, { recursive: true });
  for (const program of EMULATOR_PROGRAMS) {
    const link = join(bin, program);
    if (existsOrDangling(link)) rmSync(link, { force: true });
    symlinkSync(EMULATOR_SCRIPT, link);
  }
  writeFileSync(join(etc, 'emulator.json'), `${JSON.stringify({ qmailHome }, null, 2)}\n`);
  const limits = join(etc, 'vlimits.default');
  if (!existsSync(limits)) writeFileSync(limits, VLIMITS_DEFAULT, { mode: 0o644 });
  return bin;
}

function existsOrDangling(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** One logged call of an emulated program. */
export interface EmulatorCall {
  /** argv as the program received it, argv[0] being the path it was run by. */
  argv: string[];
  /** The real uid it ran as. */
  uid: number;
}

/** Every call logged in `<vpopmailHome>/etc/emulator-calls.jsonl`, oldest first. */
export function readEmulatorCallLog(vpopmailHome: string): EmulatorCall[] {
  const file = join(vpopmailHome, 'etc', 'emulator-calls.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as EmulatorCall);
}

/**
 * The argv of every call, oldest first, with argv[0] reduced to the program name:
 * `[['vadddomain', '-r', 'example.com'], ['vadduser', '-q', 'NOQUOTA', 'a@example.com']]`.
 */
export function readEmulatorCalls(vpopmailHome: string): string[][] {
  return readEmulatorCallLog(vpopmailHome).map((call) => [basename(call.argv[0] ?? ''), ...call.argv.slice(1)]);
}
