/**
 * Which names mailstate accepts. One set of rules serves validation of the YAML and the live
 * reader: a live object whose name fails them cannot be declared, so it is reported as unmanaged
 * and never deleted.
 *
 * The character set is a strict subset of vpopmail's parse_email set (vpopmail.c, parse_email):
 * shell and glob metacharacters (`| $ \` * ? /`) are left out on purpose, and a name may not start
 * with `-` (read as an option by vpopmail's binaries) or `.` (hidden directory, `..`).
 */
import { CONTROL_CHARACTER, INVISIBLE, quoted } from './display.js';

const LOCAL_PART = /^[a-z0-9_][a-z0-9._+=!#&'^{}~-]*$/;
const DOMAIN_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** vadduser refuses more; longer names also break the 160-byte dir field sooner. */
export const MAX_USER_NAME = 64;
/** 88+ characters pass vadddomain but break qmail's users/assign (golden scenario 16). */
export const MAX_DOMAIN_NAME = 87;
export const MAX_COMMENT_BYTES = 64;
/** Names vpopmail keeps for its own files in the domain directory. */
const RESERVED_USER_NAMES = new Set(['vpasswd', 'vpasswd.cdb', 'default']);

/** Returns why `name` is not a legal mailstate user name, or undefined when it is. */
export function userNameProblem(name: string): string | undefined {
  const local = localPartProblem(name);
  if (local) return local;
  if (name.length === 1) return 'one-character user names are refused by vpopmail (hashed user directories)';
  if (RESERVED_USER_NAMES.has(name)) return `"${name}" is reserved by vpopmail`;
  // The user's forward lives in .qmail-<name>; for "x-default" that file would be a qmail
  // wildcard catching all mail to x-anything@domain (the rule aliases follow too).
  if (name.endsWith('-default'))
    return `name ends in "-default": its forward file .qmail-${name} would be a qmail wildcard (catch-alls are not managed)`;
  return undefined;
}

/** Alias names: like user names, but one character is fine and qmail wildcards are not. */
export function aliasNameProblem(name: string): string | undefined {
  const local = localPartProblem(name);
  if (local) return local;
  if (name === 'default' || name.endsWith('-default')) {
    return `"${name}" would be a qmail wildcard (.qmail-${name}); catch-alls are not managed`;
  }
  return undefined;
}

function localPartProblem(name: string): string | undefined {
  if (name.length === 0) return 'name is empty';
  if (name.length > MAX_USER_NAME) return `name is longer than ${MAX_USER_NAME} characters`;
  if (CONTROL_CHARACTER.test(name)) return 'name contains a control character';
  if (/\s/.test(name)) return 'name contains white space';
  if (name.includes('/')) return 'name contains "/"';
  if (name.includes(':')) return 'name contains ":"';
  if (name.includes('..')) return 'name contains ".."';
  if (name !== name.toLowerCase()) {
    // Suggest the lowercase spelling only when it is a valid name; otherwise say what is wrong with it.
    return (
      localPartProblem(name.toLowerCase()) ??
      `name must be lowercase (vpopmail lowercases it): write "${name.toLowerCase()}"`
    );
  }
  if (name.startsWith('-')) return 'name starts with "-" (vpopmail binaries would read it as an option)';
  if (name.startsWith('.')) return 'name starts with "."';
  if (name.endsWith('.')) return 'name ends with "."';
  if (!LOCAL_PART.test(name)) return "name may only contain a-z, 0-9 and . _ + = ! # & ' ^ { } ~ -";
  return undefined;
}

export function domainNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'domain name is empty';
  // Before any message repeats a label: a newline there would forge a line of output.
  if (CONTROL_CHARACTER.test(name)) return 'domain name contains a control character';
  if (name !== name.toLowerCase())
    return domainNameProblem(name.toLowerCase()) ?? `domain name must be lowercase: write "${name.toLowerCase()}"`;
  if (name.length < 3) return 'domain name is shorter than 3 characters';
  if (name.length > MAX_DOMAIN_NAME) {
    return `domain name is longer than ${MAX_DOMAIN_NAME} characters (longer names break qmail's users/assign)`;
  }
  const labels = name.split('.');
  if (labels.length < 2) return 'domain name needs at least one "."';
  for (const label of labels) {
    if (!DOMAIN_LABEL.test(label)) {
      return `domain name label ${quoted(label)} is not valid (a-z, 0-9 and inner "-" only)`;
    }
  }
  return undefined;
}

const TARGET_LOCAL = /^[A-Za-z0-9_][A-Za-z0-9._+=!#%&'^{}~-]*$/;

/**
 * Forward and alias targets must be plain addresses. Anything qmail-local would read as a
 * program (`|`), a file or Maildir (`/`, `.`) or a comment (`#`) is refused, so that a pull
 * request can never make qmail run a program or write outside a mailbox.
 */
export function targetProblem(target: string): string | undefined {
  if (CONTROL_CHARACTER.test(target)) return 'address contains a control character';
  if (target.startsWith('|')) return 'program deliveries ("|command") are not allowed';
  if (target.startsWith('/') || target.startsWith('.')) return 'file and Maildir deliveries are not allowed';
  if (target.startsWith('#')) return 'comment lines are not allowed';
  if (target.startsWith('&')) return 'write the address without the leading "&"';
  if (/\s/.test(target)) return 'address contains white space';
  const at = target.lastIndexOf('@');
  if (at <= 0) return 'not an email address (user@domain)';
  const local = target.slice(0, at);
  const domain = target.slice(at + 1);
  if (local.length > 64 || !TARGET_LOCAL.test(local) || local.includes('..') || local.endsWith('.')) {
    return `${quoted(local)} is not a valid local part`;
  }
  const domainProblem = domainNameProblem(domain.toLowerCase());
  if (domainProblem) return domainProblem;
  return undefined;
}

/** Addresses compare with the domain part lowercased, as mail routing does. */
export function normaliseTarget(target: string): string {
  const at = target.lastIndexOf('@');
  return at < 0 ? target : `${target.slice(0, at)}@${target.slice(at + 1).toLowerCase()}`;
}

/** qmail-local and valias map `.` to `:` in .qmail extensions (qmail-local.c; valias.c). */
export function dotQmailFileName(name: string): string {
  return `.qmail-${name.replace(/\./g, ':')}`;
}

/** The name a `.qmail-<ext>` file serves, or undefined for `.qmail` itself. */
export function nameFromDotQmailFile(fileName: string): string | undefined {
  if (!fileName.startsWith('.qmail-')) return undefined;
  return fileName.slice('.qmail-'.length).replace(/:/g, '.');
}

export function commentProblem(comment: string): string | undefined {
  // C1 controls too: U+009B is an 8-bit CSI, and the gecos is shown by finger, plans and qmailadmin.
  if (CONTROL_CHARACTER.test(comment)) return 'comment contains a control character or newline';
  if (INVISIBLE.test(comment))
    return 'comment contains an invisible or text-direction character (such as U+202E or U+2028)';
  if (comment.includes(':')) return 'comment contains ":" (the vpasswd field separator)';
  if (Buffer.byteLength(comment, 'utf8') > MAX_COMMENT_BYTES)
    return `comment is longer than ${MAX_COMMENT_BYTES} bytes`;
  return undefined;
}

/** The gecos vadduser writes when no comment is given. */
export function defaultComment(userName: string): string {
  return userName === 'postmaster' ? 'Postmaster' : userName;
}

const SERVER_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Why a name cannot be a fleet server's (it names notes refs, snapshot files and log lines), or undefined. */
export function serverNameProblem(name: string): string | undefined {
  return SERVER_NAME.test(name) ? undefined : 'a server name is 1 to 63 lower-case letters, digits and inner "-"';
}
