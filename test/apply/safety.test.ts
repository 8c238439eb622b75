import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { ApplyStepError } from '../../src/apply/types.js';
import { HASH_SECRET6 } from '../support/builders.js';
import { mailstate } from '../support/cli.js';
import { eventually } from '../support/budget.js';
import {
  EXAMPLE_SANDBOX,
  applyDesired,
  BUSY_RELAY,
  busyDesired,
  desiredFromLive,
  live,
  lostMessages,
  maildirMessages,
  planOf,
  server,
  treeFingerprint,
  type TestServer,
} from '../support/harness.js';

const D = 'example.com';
const src = { file: 'test.yaml' };

/** A plan that touches everything the files driver can write: users (add/modify/delete), dirs, forwards, aliases, relays. */
async function busyDesiredWithRelays(srv: TestServer) {
  return busyDesired(await live(srv), BUSY_RELAY);
}

describe('crashes mid-apply', () => {
  it('converges after a fault at every write point, and no message is ever lost', async () => {
    const probe = await server(EXAMPLE_SANDBOX);
    const points: string[] = [];
    await applyDesired(await busyDesiredWithRelays(probe), probe, undefined, (point) => void points.push(point));
    expect(points.length).toBeGreaterThanOrEqual(13);
    console.log(`port faults: ${points.length} injected`);

    // A plain Error (no code) stands for a bug or an unexpected throw in mailstate itself.
    const codes = ['EIO', 'ENOSPC', 'EACCES', undefined];
    for (let k = 1; k <= points.length; k++) {
      const srv = await server(EXAMPLE_SANDBOX);
      const before = await maildirMessages(srv);
      const desired = await busyDesiredWithRelays(srv);
      let reached = 0;
      const fault = (point: string) => {
        const code = codes[k % codes.length];
        if (++reached === k) throw Object.assign(new Error(`injected at ${point}`), code ? { code } : {});
      };
      await expect(
        applyDesired(desired, srv, undefined, fault),
        `fault ${k} (${points[k - 1]})`,
      ).rejects.toBeInstanceOf(ApplyStepError);
      expect(lostMessages(before, await maildirMessages(srv)), `messages lost after fault ${k}`).toEqual([]);
      await applyDesired(desired, srv);
      expect(planOf(desired, await live(srv)).changes, `not converged after fault ${k} (${points[k - 1]})`).toEqual([]);
      expect(lostMessages(before, await maildirMessages(srv))).toEqual([]);
    }
  });
});

describe("a foreign holder of vpopmail's .vpasswd.lock", () => {
  it('makes apply wait until it lets go, instead of writing vpasswd under it', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const domainDir = join(srv.vpopmailHome, 'domains', D);
    const lockPath = join(domainDir, '.vpasswd.lock');
    const vpasswd = join(domainDir, 'vpasswd');
    // The holder keeps the lock until the test closes its standard input: no clock decides.
    const holder = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { openSync } from 'node:fs';
       import { lock, unlock } from 'os-lock';
       const fd = openSync(${JSON.stringify(lockPath)}, 'a');
       await lock(fd, { exclusive: true });
       process.stdout.write('locked\\n');
       process.stdin.resume();
       process.stdin.on('end', async () => { await unlock(fd); process.stdout.write('released\\n'); });`,
      ],
      { cwd: join(import.meta.dirname, '../..'), stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let holderSaid = '';
    holder.stdout.setEncoding('utf8').on('data', (chunk: string) => (holderSaid += chunk));
    await eventually(() => holderSaid.includes('locked\n'), 'the holder to take the lock');
    const vpasswdBefore = readFileSync(vpasswd, 'utf8');

    const desired = desiredFromLive(await live(srv));
    desired.domains.get(D)!.users.get('alice')!.comment = 'Waited';
    let settled = false;
    const applying = applyDesired(desired, srv).finally(() => (settled = true));
    // The event: the apply (in this process) has opened the lock file, so it is at the lock.
    await eventually(() => openInThisProcess(lockPath), 'the apply to reach .vpasswd.lock');
    // Give it a few of its 100 ms retries to misbehave; a slow machine only gives it fewer.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(settled).toBe(false);
    expect(readFileSync(vpasswd, 'utf8')).toBe(vpasswdBefore);

    holder.stdin.end();
    await applying;
    expect(holderSaid).toBe('locked\nreleased\n');
    expect(readFileSync(vpasswd, 'utf8')).toContain(':Waited:');
    expect(planOf(desired, await live(srv)).changes).toEqual([]);
  });
});

/** Whether this process has a descriptor open on `path` (Linux /proc). */
function openInThisProcess(path: string): boolean {
  return readdirSync('/proc/self/fd').some((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false; // closed meanwhile
    }
  });
}

describe('policy.maxChangePercent', () => {
  it('refuses a plan that deletes most of a domain unless --force, writing nothing', async () => {
    const srv = await server(EXAMPLE_SANDBOX);
    const seed = desiredFromLive(await live(srv));
    for (let i = 0; i < 12; i++)
      seed.domains.get(D)!.users.set(`user${i}`, {
        name: `user${i}`,
        password: { kind: 'hash', hash: HASH_SECRET6 },
        comment: `user${i}`,
        quota: 'NOQUOTA',
        flags: 0,
        source: src,
      });
    await applyDesired(seed, srv);

    const dir = mkdtempSync(join(tmpdir(), 'mailstate-threshold-'));
    const homes = ['--vpopmail-home', srv.vpopmailHome, '--qmail-home', srv.qmailHome];
    expect(mailstate(['import', '-o', join(dir, 'm.yaml'), ...homes]).code).toBe(0);
    const doc = parseDocument(readFileSync(join(dir, 'm.yaml'), 'utf8'));
    for (let i = 0; i < 10; i++) doc.deleteIn(['domains', D, 'users', `user${i}`]);
    writeFileSync(join(dir, 'm.yaml'), doc.toString());

    const before = treeFingerprint(srv.root);
    const refused = mailstate(['apply', '--yes', '-f', join(dir, 'm.yaml'), ...homes]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'Warning: example.com: 10 of 16 users (62.5%) deleted or changed, over policy.maxChangePercent 30%: apply refuses this without --force.\n' +
        'Error: the plan is over policy.maxChangePercent; re-run with --force if it is intended. Nothing was applied.\n',
    );
    expect(treeFingerprint(srv.root)).toEqual(before);

    const forced = mailstate(['apply', '--yes', '--force', '-f', join(dir, 'm.yaml'), ...homes]);
    expect(forced.code).toBe(0);
    expect(existsSync(join(srv.vpopmailHome, 'archive', D))).toBe(true);
    expect(readdirSync(join(srv.vpopmailHome, 'archive', D)).filter((n) => n.startsWith('user'))).toHaveLength(10);
  });
});
