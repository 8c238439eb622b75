import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lookupCdb } from '../../src/cdb/read.js';

/**
 * A model of where qmail and vpopmail deliver a message on the servers of a fleet, read from their
 * files alone, for the move tests: a message handed to one server for `user@domain` either lands
 * in one Maildir, bounces, or loops. What it follows, in the order the real programs do:
 *
 * 1. qmail-send: `<qmailHome>/users/assign` lines `+<domain>-:<real>:uid:gid:<dir>:-::` make the
 *    domain local, delivered in `<dir>` (an alias domain such as `spread.test.mx2.internal` points
 *    at its real domain's directory). A domain that is not local goes to the server of the fleet
 *    whose route it ends in (control/smtproutes); to none of them, it is not delivered here.
 * 2. qmail-local, in that directory: `.qmail-<user>` (dots as `:`, lower case) if it exists, each
 *    line `&addr` or `addr` a forward (injected again on the same server), `./path` or `/path` a
 *    delivery to that file or Maildir, `#` a comment; else `.qmail-default`, vpopmail's
 *    `| vdelivermail '' …`, whose unknown users are deleted or bounced: not delivered either way.
 * 3. vdelivermail (cdb backend): the user's record in the domain's `vpasswd.cdb`, the only file it
 *    reads (vpasswd itself is not), home dir in the 5th field of the value (the 6th of the vpasswd
 *    line); its own `<home>/.qmail` (qmailadmin) if it exists, with `./` relative to the home;
 *    else `<home>/Maildir/`.
 *
 * Left out, and refused rather than guessed: program lines (`|`) other than vdelivermail in
 * `.qmail-default`, and `.qmail-<prefix>-default` files.
 */

export interface DeliveryServer {
  /** The name its peers' forwards reach it at: `user@<domain>.<route>`. */
  route: string;
  vpopmailHome: string;
  qmailHome: string;
}

export type DeliveryFleet = Readonly<Record<string, DeliveryServer>>;

/** Forwards and hand-overs followed before a message counts as looping (qmail's own limit is far higher). */
export const MAX_HOPS = 5;

/** Where `address`, handed to server `at`, ends: a Maildir path (with a trailing `/`), 'bounce' or 'loop'. */
export function whereDelivered(fleet: DeliveryFleet, at: string, address: string): string {
  const ends = deliveries(fleet, at, address);
  if (ends.length !== 1) throw new Error(`${address} via ${at} is delivered ${ends.length} times: ${ends.join(', ')}`);
  return ends[0]!;
}

/** Every end of `address` handed to `at`: one per delivery line a `.qmail` file fans out to. */
export function deliveries(fleet: DeliveryFleet, at: string, address: string, hops = 0): string[] {
  if (hops > MAX_HOPS) return ['loop'];
  const server = fleet[at];
  if (!server) throw new Error(`no server ${at} in the fleet`);
  const atSign = address.lastIndexOf('@');
  if (atSign <= 0) throw new Error(`not an address: ${JSON.stringify(address)}`);
  const user = address.slice(0, atSign);
  const domain = address.slice(atSign + 1).toLowerCase();
  const dir = assignedDir(server.qmailHome, domain);
  if (dir === undefined) {
    const next = Object.keys(fleet).find((name) => name !== at && domain.endsWith(`.${fleet[name]!.route}`));
    return next === undefined ? ['bounce'] : deliveries(fleet, next, address, hops + 1);
  }
  const ext = user.toLowerCase().replaceAll('.', ':');
  const own = join(dir, `.qmail-${ext}`);
  if (existsSync(own)) return dotQmailLines(fleet, at, own, dir, hops);
  const fallback = join(dir, '.qmail-default');
  if (!existsSync(fallback)) return ['bounce'];
  if (!/^\| \S*\/vdelivermail '' \S+\n?$/.test(readFileSync(fallback, 'utf8')))
    throw new Error(`${fallback} is not vpopmail's vdelivermail line: not modelled`);
  return vdelivermail(fleet, at, dir, user, hops);
}

/** The domain directory qmail-send delivers `domain` in on this server, from users/assign. */
function assignedDir(qmailHome: string, domain: string): string | undefined {
  const assign = join(qmailHome, 'users', 'assign');
  if (!existsSync(assign)) return undefined;
  for (const line of readFileSync(assign, 'utf8').split('\n')) {
    if (!line.startsWith('+')) continue;
    const fields = line.slice(1).split(':');
    if (fields[0] === `${domain}-`) return fields[4];
  }
  return undefined;
}

function vdelivermail(fleet: DeliveryFleet, at: string, domainDir: string, user: string, hops: number): string[] {
  const cdb = join(domainDir, 'vpasswd.cdb');
  if (!existsSync(cdb)) return ['bounce'];
  const record = lookupCdb(readFileSync(cdb), Buffer.from(user.toLowerCase()));
  if (record === undefined) return ['bounce'];
  const home = record.toString('utf8').split(':')[4];
  if (!home) throw new Error(`${cdb}: the record of ${user} has no home directory`);
  const own = join(home, '.qmail');
  if (existsSync(own)) return dotQmailLines(fleet, at, own, home, hops);
  return [`${home}/Maildir/`];
}

/** The lines of a `.qmail` file: forwards followed, file and Maildir deliveries resolved against `base`. */
function dotQmailLines(fleet: DeliveryFleet, at: string, file: string, base: string, hops: number): string[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0 || lines[0] === '') throw new Error(`${file} is empty or starts blank: not modelled`);
  const ends: string[] = [];
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    if (line.startsWith('|')) throw new Error(`${file} runs a program (${line}): not modelled`);
    if (line.startsWith('/')) ends.push(line);
    else if (line.startsWith('./')) ends.push(`${base}/${line.slice(2)}`);
    else ends.push(...deliveries(fleet, at, line.startsWith('&') ? line.slice(1) : line, hops + 1));
  }
  return ends;
}

/**
 * Delivers one message as qmail would: into `new/` of the Maildir `whereDelivered` finds, which
 * must exist. Returns the file written; throws when the mail would bounce or loop.
 */
export function deliverMessage(fleet: DeliveryFleet, at: string, address: string, name: string, text: string): string {
  const where = whereDelivered(fleet, at, address);
  if (!where.endsWith('/Maildir/')) throw new Error(`mail for ${address} handed to ${at} is not delivered: ${where}`);
  if (!existsSync(join(where, 'new'))) throw new Error(`mail for ${address} handed to ${at}: ${where} has no new/`);
  const file = join(where, 'new', name);
  writeFileSync(file, text, { flag: 'wx' });
  return file;
}
