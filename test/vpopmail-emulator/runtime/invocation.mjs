// @ts-check
// Who the program is and where it runs: its name and raw argv, ~vpopmail (from where it was
// run), qmail's home and the uids (from ~vpopmail/etc/emulator.json), and the call log the tests
// read. Computed once at start-up, as the C programs read them once.

import fs from 'node:fs';
import path from 'node:path';
import { P, toBin } from './cstring.mjs';

/**
 * The raw argv (script path as given to the interpreter, then the arguments) from /proc, because
 * node decodes its argv as UTF-8 and so would not give back arguments that are not.
 * @returns {string[]}
 */
function rawArgv() {
  const n = process.argv.length - 1; // script + args
  try {
    const parts = fs.readFileSync('/proc/self/cmdline').toString('latin1').split('\0');
    if (parts.length && parts[parts.length - 1] === '') parts.pop();
    if (parts.length >= n + 1) {
      const tail = parts.slice(parts.length - n);
      // Sanity: the script argument must be the one node is running.
      if (path.resolve(Buffer.from(tail[0], 'latin1').toString('utf8')) === process.argv[1]) return tail;
    }
  } catch {
    // no /proc: fall back to node's decoding
  }
  return [toBin(process.argv[1]), ...process.argv.slice(2).map(toBin)];
}

const SCRIPT_PATH = process.argv[1]; // absolute, symlink not resolved
export const PROG = path.basename(SCRIPT_PATH);
export const ARGV = rawArgv(); // ARGV[0] is argv[0] as the caller wrote it (used in getopt messages)
export const VHOME = toBin(path.dirname(path.dirname(SCRIPT_PATH)));
export const IS_ROOT = typeof process.geteuid === 'function' && process.geteuid() === 0;

/**
 * ~vpopmail/etc/emulator.json, as test/emulator/install.ts and replay.ts write it; a missing key
 * takes the value of a stock install.
 * @typedef {object} EmulatorConfig
 * @property {string} [qmailHome]
 * @property {number} [vpopmailUid]
 * @property {number} [vpopmailGid]
 * @property {string} [passwdFile] for getpwnam()/getpwuid()
 */

/** @returns {EmulatorConfig} */
function loadConfig() {
  try {
    return JSON.parse(fs.readFileSync(P(`${VHOME}/etc/emulator.json`), 'utf8'));
  } catch {
    return {};
  }
}
const CFG = loadConfig();
export const QHOME = toBin(CFG.qmailHome ?? '/var/qmail');
export const VPOPMAILUID = CFG.vpopmailUid ?? 89;
export const VPOPMAILGID = CFG.vpopmailGid ?? 89;
export const PASSWD_FILE = CFG.passwdFile ?? '/etc/passwd';

export function logCall() {
  try {
    fs.mkdirSync(P(`${VHOME}/etc`), { recursive: true });
    const line = JSON.stringify({ argv: [process.argv[1], ...process.argv.slice(2)], uid: process.getuid?.() });
    fs.appendFileSync(P(`${VHOME}/etc/emulator-calls.jsonl`), `${line}\n`);
  } catch {
    // logging must never change the program's behaviour
  }
}
