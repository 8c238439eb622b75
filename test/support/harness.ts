import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { applyPlan } from '../../src/apply/apply-plan.js';
import { filesDriver } from '../../src/apply/files-driver.js';
import type { ApplyIo } from '../../src/apply/io.js';
import { newCounters, type ApplyCounters, type ApplyEnvironment, type Driver } from '../../src/apply/types.js';
import { serverIo } from '../../src/io/node-io.js';
import { readLive } from '../../src/live/read-live.js';
import { buildSandboxFromGolden } from '../../src/sandbox/build.js';
import type { Plan } from '../../src/model/change.js';
import type { DesiredDomain, DesiredState, DesiredUser, LiveState, LiveUser } from '../../src/model/state.js';
import { diffState } from '../../src/plan/plan.js';
import { FLAG_BITS } from '../../src/model/flags.js';
import { desiredUser } from './builders.js';

export const GOLDEN = join(import.meta.dirname, '../fixtures/golden');
export const EXAMPLE_SANDBOX = join(import.meta.dirname, '../../examples/sandbox');

/**
 * The warning every plan of the bundled mailstate.yaml against the example server gives: it
 * deletes bob, and the unmanaged .qmail-bob2 (golden 08) delivers into his Maildir.
 */
export function bob2Warning(vpopmailHome: string): string {
  const domain = `${vpopmailHome}/domains/example.com`;
  return `${domain}/.qmail-bob2: warning: user "bob@example.com" is deleted, but this file, which mailstate leaves alone, delivers into ${domain}/bob/Maildir/: once the mailbox is archived, that mail stays in qmail's queue and bounces when it expires; change the file by hand`;
}

const roots: string[] = [];
afterAll(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

export interface TestServer {
  root: string;
  vpopmailHome: string;
  qmailHome: string;
}

/** A private copy of a golden scenario (or of the bundled example) to apply to. */
export async function server(scenarioDir: string, snapshot?: string): Promise<TestServer> {
  const root = mkdtempSync(join(tmpdir(), 'mailstate-apply-'));
  roots.push(root);
  const built = await buildSandboxFromGolden(scenarioDir, root, snapshot ? { snapshot } : {});
  return { root, vpopmailHome: built.vpopmailHome, qmailHome: built.qmailHome };
}

export async function live(srv: TestServer): Promise<LiveState> {
  const { state, diagnostics } = await readLive({ vpopmailHome: srv.vpopmailHome, qmailHome: srv.qmailHome });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((d) => d.message).join('\n'));
  return state;
}

/** The live state as a desired state that plans no changes: the starting point tests edit. */
export function desiredFromLive(state: LiveState, policy = { prune: true, maxChangePercent: 100 }): DesiredState {
  const domains = new Map<string, DesiredDomain>();
  for (const domain of state.domains.values()) {
    const users = new Map<string, DesiredUser>();
    for (const user of domain.users.values()) {
      users.set(user.name, {
        name: user.name,
        password: { kind: 'hash', hash: vpasswdPassword(user).hash },
        comment: user.comment,
        quota: user.quota,
        flags: user.flags,
        ...(user.forward ? { forward: { to: [...user.forward.to], keepCopy: user.forward.keepCopy } } : {}),
        source: { file: 'test.yaml' },
      });
    }
    const aliases = new Map(
      [...domain.aliases.values()].map((a) => [a.name, { name: a.name, to: [...a.to], source: { file: 'test.yaml' } }]),
    );
    domains.set(domain.name, {
      name: domain.name,
      users,
      aliases,
      aliasDomains: [...domain.aliasDomains],
      source: { file: 'test.yaml' },
    });
  }
  const relay = state.relay.lines.flatMap((l) =>
    l.kind === 'relay' ? [{ address: l.address, source: { file: 'test.yaml' } }] : [],
  );
  return { vpopmailHome: state.vpopmailHome, qmailHome: state.qmailHome, policy, relay, domains, files: ['test.yaml'] };
}

export function planOf(desired: DesiredState, state: LiveState): Plan {
  const result = diffState(desired, state);
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join('\n'));
  return result.value;
}

export async function applyDesired(
  desired: DesiredState,
  srv: TestServer,
  driver: Driver = filesDriver,
  fault: (point: string) => void = () => {},
): Promise<{ plan: Plan; counters: ApplyCounters }> {
  const state = await live(srv);
  const plan = planOf(desired, state);
  const env = applyEnvironment(state, serverIo({ vpopmailHome: state.vpopmailHome, fault }));
  await applyPlan(plan, driver, env);
  return { plan, counters: env.counters };
}

/** What applyPlan needs for `state`: no owner given to what it creates, and a fixed clock. */
export function applyEnvironment(state: LiveState, io: ApplyIo): ApplyEnvironment {
  return {
    vpopmailHome: state.vpopmailHome,
    qmailHome: state.qmailHome,
    live: state,
    now: new Date('2026-11-25T12:00:00Z'),
    ownerOf: () => undefined,
    counters: newCounters(),
    done: () => {},
    io,
    addedUserDirs: new Map(),
    addedDomainDirs: new Map(),
  };
}

/** `cdb -d` of a file by the real tinycdb, as `key -> value` strings. */
export function cdbDump(path: string): string[] {
  const out = execFileSync('cdb', ['-d', path]).toString('utf8');
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const m = /^\+(\d+),(\d+):/.exec(line)!;
      const rest = line.slice(m[0].length);
      const keyLength = Number(m[1]);
      return `${rest.slice(0, keyLength)} -> ${rest.slice(keyLength + 2)}`;
    });
}

/** What vpopmail's cdb should hold for a vpasswd file: name -> rest of line, in order. */
export function expectedVpasswdRecords(vpasswdPath: string): string[] {
  return readFileSync(vpasswdPath, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => `${line.slice(0, line.indexOf(':'))} -> ${line.slice(line.indexOf(':') + 1)}`);
}

/** path -> "mode ino mtimeMs size" of every entry below root: to prove a run wrote nothing. */
export function treeFingerprint(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const info = lstatSync(path);
      out.set(path, `${(info.mode & 0o7777).toString(8)} ${info.ino} ${info.mtimeMs} ${info.size}`);
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(root);
  return out;
}

/** Every regular file below a directory, relative, for "no message lost" checks. */
export function filesBelow(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name), `${rel}${entry.name}/`);
      else out.push(`${rel}${entry.name}`);
    }
  };
  walk(root, '');
  return out.sort();
}

/**
 * Every message file in a live mailbox (the Maildir of a user in some domain's vpasswd) or in
 * ~vpopmail/archive, by its unique Maildir name, with its content. Mail is "not lost" when each
 * message found before an apply is afterwards in one of those places with the same bytes; a
 * Maildir nothing points at any more does not count.
 */
export async function maildirMessages(srv: TestServer): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const walk = (dir: string, inMaildir: boolean) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, inMaildir);
      else if (/\/Maildir\/(new|cur|tmp)\/[^/]+$/.test(path) || (inMaildir && /\/(new|cur)\/[^/]+$/.test(path)))
        found.set(entry.name, readFileSync(path, 'latin1'));
    }
  };
  const { state } = await readLive({ vpopmailHome: srv.vpopmailHome, qmailHome: srv.qmailHome });
  for (const domain of state.domains.values()) {
    for (const user of domain.users.values()) {
      const maildir = join(user.dir, 'Maildir');
      if (existsSync(maildir)) walk(maildir, true);
    }
  }
  const archive = join(srv.vpopmailHome, 'archive');
  if (existsSync(archive)) walk(archive, false);
  return found;
}
/** Messages of `before` that are missing or changed in `after`: must always be empty. */
export function lostMessages(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...before].filter(([name, body]) => after.get(name) !== body).map(([name]) => name);
}

/**
 * Users (of `names`, in `domain`) whose Maildir/maildirsize does not carry the quota vpasswd
 * gives them, as vsetuserquota keeps them together: no file for NOQUOTA, else the quota as its
 * first line. A crash must never leave the two apart for good.
 */
export async function maildirsizeMismatches(
  srv: TestServer,
  domain: string,
  names: readonly string[],
): Promise<string[]> {
  const users = (await live(srv)).domains.get(domain)!.users;
  const wrong: string[] = [];
  for (const name of names) {
    const user = users.get(name);
    if (!user) {
      wrong.push(`${name}: not in vpasswd`);
      continue;
    }
    const file = join(user.dir, 'Maildir/maildirsize');
    const first = existsSync(file) ? readFileSync(file, 'utf8').split('\n')[0] : undefined;
    const expected = user.quota === 'NOQUOTA' || user.quota === '' ? undefined : user.quota;
    if (first !== expected) wrong.push(`${name}: vpasswd ${user.quota}, maildirsize ${first ?? '(none)'}`);
  }
  return wrong;
}

/**
 * What keeps qmail from delivering to `domains` (each in users/assign): a users/cdb record that
 * the real `cdb -q` does not find, or does not match the assign line; a missing rcpthosts or
 * virtualdomains entry (real domains only).
 */
export function qmailRoutingProblems(srv: TestServer, domains: readonly string[]): string[] {
  const assign = readFileSync(join(srv.qmailHome, 'users/assign'), 'utf8').split('\n');
  const rcpthosts = readFileSync(join(srv.qmailHome, 'control/rcpthosts'), 'utf8').split('\n');
  const virtualdomains = readFileSync(join(srv.qmailHome, 'control/virtualdomains'), 'utf8').split('\n');
  const problems: string[] = [];
  for (const domain of domains) {
    const line = assign.find((l) => l.startsWith(`+${domain}-:`));
    if (!line) {
      problems.push(`${domain}: not in users/assign`);
      continue;
    }
    const expected = `${line.split(':').slice(1, 6).join('\0')}\0`;
    let found: string | undefined;
    try {
      found = execFileSync('cdb', ['-q', join(srv.qmailHome, 'users/cdb'), `!${domain}-`]).toString('utf8');
    } catch {
      found = undefined;
    }
    if (found !== expected)
      problems.push(`${domain}: users/cdb has ${JSON.stringify(found)}, not ${JSON.stringify(expected)}`);
    if (!rcpthosts.includes(domain)) problems.push(`${domain}: not in control/rcpthosts`);
    const real = line.split(':')[1];
    if (real === domain && !virtualdomains.includes(`${domain}:${domain}`))
      problems.push(`${domain}: not in control/virtualdomains`);
  }
  return problems;
}

/** Temp files of an atomic write that never got to its rename (a fault, a kill): must not be left behind. */
export function strayTempFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (/\.mailstate(-\d+)?\.tmp$/.test(entry.name)) found.push(join(dir, entry.name));
    }
  };
  walk(root);
  return found;
}

/** The vpasswd fields of a user read from a server (never a snapshot or a base revision). */
export function vpasswdPassword(user: LiveUser): { hash: string; clear?: string } {
  if (user.password.kind !== 'vpasswd') throw new Error(`${user.name}: not read from vpasswd`);
  return user.password;
}

/**
 * Declares a new domain `new.test`, with `alias.test` as its alias domain and `users` (the default
 * hash, no quota): what the tests that add a domain through apply ask for.
 */
export function declareNewDomain(desired: DesiredState, users: readonly string[], source: DesiredUser['source']): void {
  desired.domains.set('new.test', {
    name: 'new.test',
    users: new Map(users.map((name) => [name, desiredUser(name, { source })])),
    aliases: new Map(),
    aliasDomains: ['alias.test'],
    source,
  });
}

/**
 * The example sandbox's state with one of each thing the files driver does to a domain: bob
 * deleted, alice's quota, flags and forward (keeping a copy) changed, carol and dave added with
 * quotas, alias sales added and info deleted. `relay` as given (undefined: tcp.smtp unmanaged).
 */
export function busyDesired(state: LiveState, relay?: DesiredState['relay']): DesiredState {
  const source = { file: 'test.yaml' };
  const desired = desiredFromLive(state);
  desired.relay = relay;
  const domain = desired.domains.get('example.com')!;
  domain.users.delete('bob');
  Object.assign(domain.users.get('alice')!, {
    quota: '1048576S',
    flags: FLAG_BITS.no_pop,
    forward: { to: ['a@example.net'], keepCopy: true },
  });
  for (const name of ['carol', 'dave']) domain.users.set(name, desiredUser(name, { quota: '2048S', source }));
  domain.aliases.set('sales', { name: 'sales', to: ['alice@example.com'], source });
  domain.aliases.delete('info');
  return desired;
}

/** The two relay rules the busy plans manage. */
export const BUSY_RELAY: NonNullable<DesiredState['relay']> = [
  { address: '127.', source: { file: 'test.yaml' } },
  { address: '10.1.2.', source: { file: 'test.yaml' } },
];
