import type { Change, PasswordMaterial, UserFieldChange, UserTarget } from '../model/change.js';
import { maskToFlags } from '../model/flags.js';
import { describeQuota } from '../model/quota.js';
import type { Forward } from '../model/state.js';
import { inert, quoted } from '../model/display.js';

/** A rendered change: one headline and indented detail lines. Shared by text and Markdown. */
export interface ChangeLines {
  /** `+`, `~`, `-` or `*` (rebuild), as in Terraform. */
  /** `>` a user moving in from another server of the fleet, `<` one moving out. */
  symbol: '+' | '~' | '-' | '*' | '>' | '<';
  headline: string;
  details: string[];
}

/**
 * Values that came from a live server are shown JSON-quoted, with invisible and bidi characters
 * escaped too, so a control character in a gecos or a file can never reach the reviewer's
 * terminal or PR page as anything but an escape.
 */
export function quote(value: string): string {
  return quoted(value, Number.MAX_SAFE_INTEGER);
}

function describeFlags(mask: number): string {
  const names = maskToFlags(mask);
  return names.length === 0 ? 'none' : names.join(', ');
}

function flagDelta(before: number, after: number): string {
  const added = maskToFlags(after & ~before).map((name) => `+${name}`);
  const removed = maskToFlags(before & ~after).map((name) => `-${name}`);
  return [...added, ...removed].join(' ');
}

function targetDelta(before: readonly string[], after: readonly string[]): string {
  const old = new Set(before);
  const now = new Set(after);
  const added = after.filter((t) => !old.has(t)).map((t) => `+${t}`);
  const removed = before.filter((t) => !now.has(t)).map((t) => `-${t}`);
  return [...added, ...removed].join(' ');
}

function describeForward(forward: Forward): string {
  return `${forward.to.join(', ')}${forward.keepCopy ? ' (keeps a copy)' : ''}`;
}

function passwordOrigin(password: PasswordMaterial): string {
  return password.kind === 'hash' ? '(set from hash)' : `(set from ${password.source})`;
}

function userDetails(user: UserTarget, password: PasswordMaterial): string[] {
  return [
    `comment:  ${quote(user.comment)}`,
    `quota:    ${describeQuota(user.quota)}`,
    `flags:    ${describeFlags(user.flags)}`,
    `password: ${passwordOrigin(password)}`,
  ];
}

function fieldLine(change: UserFieldChange): string {
  switch (change.field) {
    case 'password':
      return 'password: (changed)';
    case 'clear-password':
      return `clear-text password: (cleared: ${change.reason})`;
    case 'comment':
      return `comment:  ${quote(change.before)} -> ${quote(change.after)}`;
    case 'quota':
      return `quota:    ${describeQuota(change.before)} -> ${describeQuota(change.after)}`;
    case 'flags':
      return `flags:    ${flagDelta(change.before, change.after)}`;
  }
}

export function describeChange(change: Change): ChangeLines {
  switch (change.kind) {
    case 'add-domain':
      return { symbol: '+', headline: `domain ${change.domain} (${change.dir})`, details: [] };
    case 'add-alias-domain':
      return { symbol: '+', headline: `alias domain ${change.alias} -> ${change.domain}`, details: [] };
    case 'add-user':
      return { symbol: '+', headline: `user ${change.user.name}`, details: userDetails(change.user, change.password) };
    case 'modify-user':
      return { symbol: '~', headline: `user ${change.name}`, details: change.fields.map(fieldLine) };
    case 'delete-user':
      return {
        symbol: '-',
        headline: `user ${change.name} (mailbox ${inert(change.dir)} archived to ${change.archiveParent}/${change.name}-<UTC time>/)`,
        details: [],
      };
    case 'move-in':
      return {
        symbol: '>',
        headline: `user ${change.user.name} moves in from ${change.from}`,
        details: userDetails(change.user, change.password),
      };
    case 'move-out':
      return {
        symbol: '<',
        headline: `user ${change.name} moves out to ${change.to}: forward -> ${change.address} (mailbox ${inert(change.dir)} kept until released)`,
        details: [],
      };
    case 'add-alias':
      return { symbol: '+', headline: `alias ${change.name} -> ${change.to.join(', ')}`, details: [] };
    case 'modify-alias':
      return {
        symbol: '~',
        headline: `alias ${change.name}: ${targetDelta(change.before, change.after)}`,
        details: [],
      };
    case 'delete-alias':
      return { symbol: '-', headline: `alias ${change.name} (was -> ${change.before.join(', ')})`, details: [] };
    case 'add-forward':
      return { symbol: '+', headline: `forward ${change.name} -> ${describeForward(change.after)}`, details: [] };
    case 'modify-forward': {
      const parts = [targetDelta(change.before.to, change.after.to)];
      if (change.before.keepCopy !== change.after.keepCopy)
        parts.push(change.after.keepCopy ? 'now keeps a copy' : 'no longer keeps a copy');
      return { symbol: '~', headline: `forward ${change.name}: ${parts.filter(Boolean).join(', ')}`, details: [] };
    }
    case 'delete-forward':
      return {
        symbol: '-',
        headline: `forward ${change.name} (was -> ${describeForward(change.before)})`,
        details: [],
      };
    case 'add-relay':
      return { symbol: '+', headline: `relay ${change.address}`, details: [] };
    case 'delete-relay':
      return { symbol: '-', headline: `relay ${change.address} (tcp.smtp line ${change.line})`, details: [] };
    case 'rebuild-vpasswd-cdb':
      return { symbol: '*', headline: `rebuild vpasswd.cdb (${change.reason})`, details: [] };
    case 'rebuild-tcp-smtp-cdb':
      return { symbol: '*', headline: `rebuild tcp.smtp.cdb (${change.reason})`, details: [] };
    case 'rebuild-users-cdb':
      return { symbol: '*', headline: `rebuild qmail's users/cdb (${change.reason})`, details: [] };
  }
}

/** The section a change is listed under: its domain, or the relay rules. */
export function changeSection(change: Change): string {
  return 'domain' in change ? change.domain : 'relay (tcp.smtp)';
}
