import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { applyDesired, desiredFromLive, live, maildirMessages, type TestServer } from '../support/harness.js';
import { HASH_SECRET6, desiredUser } from '../support/builders.js';
import { REPO, mailstate } from '../support/cli.js';
import { buildSandboxFromGolden } from '../../src/sandbox/build.js';

const BIN = join(REPO, 'dist/cli/bin.js');
const D = 'example.com';

/**
 * A server with 200 users who each have mail, and a mailstate.yaml that changes most of it:
 * 300 adds, 60 deletions (mailboxes to archive), 60 quota/comment changes, a new domain of 40,
 * aliases and relays. Built once at `root`; every round restores it from a copy kept beside it,
 * because vpasswd and users/assign hold absolute paths.
 */
export interface KillScenario {
  root: string;
  server: TestServer;
  yamlFile: string;
  template: string;
  messagesBefore: Map<string, string>;
}

export async function buildKillScenario(): Promise<KillScenario> {
  const base = mkdtempSync(join(tmpdir(), 'mailstate-kill-'));
  const root = join(base, 'server');
  const built = await buildSandboxFromGolden(join(REPO, 'examples/sandbox'), root);
  const server = { root, vpopmailHome: built.vpopmailHome, qmailHome: built.qmailHome };
  const seed = desiredFromLive(await live(server));
  for (let i = 0; i < 200; i++) seed.domains.get(D)!.users.set(`old${i}`, desiredUser(`old${i}`));
  await applyDesired(seed, server);
  for (const user of (await live(server)).domains.get(D)!.users.values()) {
    if (!user.name.startsWith('old')) continue;
    writeFileSync(
      join(user.dir, 'Maildir/new', `1795600000.${user.name}.vm,S=20`),
      `Subject: to ${user.name}\n\nhello\n`,
    );
  }

  const yamlFile = join(base, 'mailstate.yaml');
  const homes = ['--vpopmail-home', server.vpopmailHome, '--qmail-home', server.qmailHome];
  const imported = mailstate(['import', '-o', yamlFile, ...homes]);
  if (imported.code !== 0) throw new Error(imported.stderr);
  const doc = parseDocument(readFileSync(yamlFile, 'utf8'));
  doc.setIn(['policy'], doc.createNode({ prune: true, maxChangePercent: 100 }));
  for (let i = 0; i < 60; i++) doc.deleteIn(['domains', D, 'users', `old${i}`]);
  for (let i = 60; i < 120; i++) {
    doc.setIn(['domains', D, 'users', `old${i}`, 'quota'], '50M');
    doc.setIn(['domains', D, 'users', `old${i}`, 'comment'], `Changed ${i}`);
  }
  for (let i = 0; i < 300; i++)
    doc.setIn(['domains', D, 'users', `new${i}`], doc.createNode({ password: HASH_SECRET6, quota: '1G' }));
  const fresh: Record<string, unknown> = { postmaster: { password: HASH_SECRET6 } };
  for (let i = 0; i < 40; i++) fresh[`u${i}`] = { password: HASH_SECRET6 };
  doc.setIn(['domains', 'kill.test'], doc.createNode({ users: fresh, aliases: { sales: ['u1@kill.test'] } }));
  doc.setIn(['domains', D, 'aliases', 'team'], doc.createNode(['new1@example.com', 'new2@example.com']));
  doc.setIn(['relay'], doc.createNode(['127.', '10.9.8.']));
  writeFileSync(yamlFile, doc.toString());

  const template = join(base, 'template');
  execFileSync('cp', ['-a', root, template]);
  return { root, server, yamlFile, template, messagesBefore: await maildirMessages(server) };
}

export function restore(scenario: KillScenario): void {
  rmSync(scenario.root, { recursive: true, force: true });
  execFileSync('cp', ['-a', scenario.template, scenario.root]);
}

/** The users whose quota the scenario sets: 60 changed to 50M, 300 new at 1G. */
export const QUOTA_USERS = [
  ...Array.from({ length: 60 }, (_, i) => `old${i + 60}`),
  ...Array.from({ length: 300 }, (_, i) => `new${i}`),
];

export function homes(scenario: KillScenario): string[] {
  return ['--vpopmail-home', scenario.server.vpopmailHome, '--qmail-home', scenario.server.qmailHome];
}

/** Runs `mailstate apply` and SIGKILLs it after `killAfterMs`; resolves with how it ended. */
export function applyKilledAfter(
  scenario: KillScenario,
  killAfterMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'apply', '--yes', '-f', scenario.yamlFile, ...homes(scenario)], {
      stdio: 'ignore',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/** Deterministic per-seed random numbers (bench's mulberry32), so a failing round can be replayed. */
export { random as randomSource } from '../../bench/site.js';
