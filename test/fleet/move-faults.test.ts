/**
 * A user moving between the servers of a fleet, with faults injected in between: the destination
 * down, its move-in apply killed or failing at each of its write points, the source's move-out and
 * the release of the old mailbox likewise (MAILSTATE_FAULT_KILL / MAILSTATE_FAULT_AT,
 * src/apply/fault.ts). At every point the message waiting in the old Maildir is still there, and
 * mail for the user handed to any server of the fleet lands in one of its two mailboxes, never
 * bounced or looping (test/support/fleet-delivery.ts follows what qmail and vpopmail would do).
 * From each point the ordinary runs converge. Each write point starts from the same saved trees
 * of the three servers (a few ms to copy back; a fresh fleet takes seconds). The sweeps are
 * counted work (test/support/budget.ts): bounded by their write points, each CLI run by its own
 * hang guard.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { hrwPlace, hrwRing } from '../../src/fleet/hrw.js';
import { COUNTED_WORK } from '../support/budget.js';
import { numberedUsers, sandboxServers, snapshotTo, spreadDomainLines } from '../support/fleet.js';
import { mailstate, type Run } from '../support/cli.js';
import { deliverMessage, whereDelivered } from '../support/fleet-delivery.js';
import { tempDir } from '../support/gitops.js';
import { EXAMPLE_SANDBOX, server, type TestServer } from '../support/harness.js';

const NAMES = ['mx1', 'mx2', 'mx3'] as const;
type Name = (typeof NAMES)[number];
const DOMAIN = 'spread.test';
const USERS = 20;
const ring = hrwRing(NAMES.map((name) => ({ name, weight: 1 })));
const homeOf = (user: string): Name => hrwPlace(ring, `${user}@${DOMAIN}`) as Name;
// The user that moves: the first one living on mx1, pinned to mx2.
const mover = numberedUsers(USERS).find((user) => homeOf(user) === 'mx1')!;
const address = `${mover}@${DOMAIN}`;
// Mail for the alias reaches the mover through its forward on whichever server takes it.
const ADDRESSES = [address, `sales@${DOMAIN}`];
const MESSAGE = '1800000000.M1P1.mx1';
const MESSAGE_TEXT = 'Subject: before the move\n\nhello\n';
const FORWARD_TO_MX2 = `&${address}.mx2.internal\n`;
const MODES = ['MAILSTATE_FAULT_KILL', 'MAILSTATE_FAULT_AT'] as const;
type Mode = (typeof MODES)[number];
/** Far above the write points of any of these applies: a sweep that reaches it never converged. */
const MAX_POINTS = 40;

function fleetYaml(servers: Record<Name, TestServer>, pin: boolean): string {
  return [
    'version: 1',
    ...sandboxServers(NAMES, servers),
    'domains:',
    ...spreadDomainLines(DOMAIN, numberedUsers(USERS), {
      aliases: { sales: [address] },
      ...(pin ? { pin: { user: mover, server: 'mx2' } } : {}),
    }),
    '',
  ].join('\n');
}

describe('a user moving from mx1 to mx2 with faults injected in between', () => {
  const servers = {} as Record<Name, TestServer>;
  const fleet = {} as Record<Name, TestServer & { route: string }>;
  let dir: string;
  let yaml: string;
  /** Saved trees of the three servers, by the name of the point they were saved at. */
  const saved = new Map<string, string>();
  let stale: string;
  let peers: string;
  const run = (args: string[], env: Record<string, string> = {}): Run => mailstate([...args, '-f', yaml], { env });
  const domainDir = (name: Name) => join(servers[name].vpopmailHome, 'domains', DOMAIN);
  const oldMaildir = () => `${domainDir('mx1')}/${mover}/Maildir/`;
  const newMaildir = () => `${domainDir('mx2')}/${mover}/Maildir/`;
  const message = () => join(oldMaildir(), 'new', MESSAGE);

  /** Messages delivered in between, each with its text: none may go missing later. */
  const delivered = new Map<string, string>();

  function save(point: string): void {
    const root = join(dir, 'saved', point);
    for (const name of NAMES) cpSync(servers[name].root, join(root, name), { recursive: true });
    saved.set(point, root);
  }

  /** Back to a saved point: what was delivered since is gone with the trees, and forgotten. */
  function restore(point: string): void {
    const root = saved.get(point)!;
    delivered.clear();
    for (const name of NAMES) {
      rmSync(servers[name].root, { recursive: true, force: true });
      cpSync(join(root, name), servers[name].root, { recursive: true });
    }
  }

  function snapshot(name: Name, into: string): void {
    mkdirSync(into, { recursive: true });
    snapshotTo(servers[name], join(into, `${name}.json`));
  }

  const moveIn = (env: Record<string, string> = {}) => run(['apply', '--yes', '--server', 'mx2', '--allow-moves'], env);
  const moveOut = (evidence: string, env: Record<string, string> = {}) =>
    run(['apply', '--yes', '--server', 'mx1', '--allow-moves', '--peer-snapshots', evidence], env);

  /**
   * Mail for the mover (and its alias) handed to each server right now: lands in one of the two
   * mailboxes (`allowed`), and is delivered there, to be looked for again at the end.
   */
  function deliverEverywhere(label: string, allowed: string[]): void {
    for (const at of NAMES) {
      for (const to of ADDRESSES) {
        const where = whereDelivered(fleet, at, to);
        expect(allowed, `${label}: mail for ${to} handed to ${at}`).toContain(where);
        const text = `Subject: ${label}, to ${to} via ${at}\n\nhello\n`;
        delivered.set(deliverMessage(fleet, at, to, `${label}.${at}.${to.split('@')[0]}`, text), text);
      }
    }
  }

  function expectNoMessageLost(): void {
    expect(readFileSync(message(), 'utf8')).toBe(MESSAGE_TEXT);
    for (const [file, text] of delivered) expect(readFileSync(file, 'utf8'), file).toBe(text);
  }

  function expectConverged(): void {
    expect(readFileSync(join(domainDir('mx1'), `.qmail-${mover}`), 'utf8')).toBe(FORWARD_TO_MX2);
    expect(existsSync(join(domainDir('mx2'), `.qmail-${mover}`))).toBe(false);
    expect(readFileSync(join(domainDir('mx3'), `.qmail-${mover}`), 'utf8')).toBe(FORWARD_TO_MX2);
    for (const name of NAMES) {
      const planned = run(['plan', '--detailed-exitcode', '--server', name]);
      expect(planned.stdout, `plan on ${name}`).toContain(`No changes. The live state matches ${yaml}.\n`);
      expect(planned.code, `plan on ${name}`).toBe(0);
    }
    for (const at of NAMES) for (const to of ADDRESSES) expect(whereDelivered(fleet, at, to)).toBe(newMaildir());
  }

  /** What a faulted run said: killed outright, or failed at the injected write point. */
  function expectFaulted(result: Run, mode: Mode, n: number, verb: 'Apply' | 'Release'): void {
    if (mode === 'MAILSTATE_FAULT_KILL') {
      expect(result.code).toBe(null);
      return;
    }
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^${verb} failed: .* failed: injected fault at write point ${n} \\(`, 'm'),
    );
  }

  beforeAll(async () => {
    for (const name of NAMES) {
      servers[name] = await server(EXAMPLE_SANDBOX);
      fleet[name] = { ...servers[name], route: `${name}.internal` };
    }
    dir = tempDir('mailstate-move-faults-');
    yaml = join(dir, 'mailstate.yaml');
    writeFileSync(yaml, fleetYaml(servers, false));
    for (const name of NAMES) {
      const applied = run(['apply', '--yes', '--server', name]);
      expect(applied.stderr).toBe('');
      expect(applied.code).toBe(0);
    }
    writeFileSync(message(), MESSAGE_TEXT);
    // The evidence a careless operator might give mx1: mx2 as it was before it moved anyone in.
    stale = join(dir, 'stale');
    snapshot('mx2', stale);
    // The pin; mx3 only re-points its forward (not a move), to mx2 before mx2 holds the mailbox.
    writeFileSync(yaml, fleetYaml(servers, true));
    const mx3 = run(['apply', '--yes', '--server', 'mx3']);
    expect(mx3.code).toBe(0);
    expect(readFileSync(join(domainDir('mx3'), `.qmail-${mover}`), 'utf8')).toBe(FORWARD_TO_MX2);
    expect(readFileSync(join(domainDir('mx2'), `.qmail-${mover}`), 'utf8')).toBe(`&${address}.mx1.internal\n`);
    save('pinned');
    // The move-in done and seen: where the source's sweeps start.
    expect(moveIn().code).toBe(0);
    peers = join(dir, 'peers');
    snapshot('mx2', peers);
    save('arrived');
    // The move-out done: where the release sweep starts.
    expect(moveOut(peers).code).toBe(0);
    save('moved-out');
    restore('pinned');
  }, 600_000);

  it('keeps delivering into the old mailbox while the destination is down, whatever mx1 is told', {
    timeout: COUNTED_WORK,
  }, () => {
    restore('pinned');
    const rounds = [undefined, stale, undefined, stale];
    for (const [round, evidence] of rounds.entries()) {
      const applied = run([
        'apply',
        '--yes',
        '--server',
        'mx1',
        '--allow-moves',
        ...(evidence ? ['--peer-snapshots', evidence] : []),
      ]);
      expect(applied.code).toBe(0);
      expect(applied.stdout).toBe(`No changes. The live state matches ${yaml}.\n`);
      // The hint after "(" names the ways evidence comes (snapshots, watchers' notes), which vary.
      expect(applied.stderr).toContain(
        `warning: ${address} moves to mx2, which ${evidence ? 'does not hold its mailbox yet' : 'is not known to hold its mailbox yet'}: its mailbox here keeps receiving until it does (`,
      );
      expect(existsSync(join(domainDir('mx1'), `.qmail-${mover}`))).toBe(false);
      expectNoMessageLost();
      deliverEverywhere(`down-${round}`, [oldMaildir()]);
    }
    expect(run(['plan', '--detailed-exitcode', '--server', 'mx1', '--peer-snapshots', stale]).code).toBe(0);

    // mx2 comes back and moves the user in; the stale snapshot still moves nothing on mx1.
    const arrived = moveIn();
    expect(arrived.stderr).toBe('');
    expect(arrived.code).toBe(0);
    expect(arrived.stdout).toMatch(/^Apply complete \(files driver\): 0 added, 0 changed, 1 deleted, 1 moved;/);
    const early = moveOut(stale);
    expect(early.code).toBe(0);
    expect(early.stdout).toBe(`No changes. The live state matches ${yaml}.\n`);
    expect(existsSync(join(domainDir('mx1'), `.qmail-${mover}`))).toBe(false);
    deliverEverywhere('back', [oldMaildir(), newMaildir()]);
    expect(whereDelivered(fleet, 'mx1', address)).toBe(oldMaildir());
    expect(whereDelivered(fleet, 'mx2', address)).toBe(newMaildir());

    const fresh = join(dir, 'fresh-down');
    snapshot('mx2', fresh);
    const out = moveOut(fresh);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^Apply complete \(files driver\): 0 added, 0 changed, 0 deleted, 1 moved;/);
    expectConverged();
    expectNoMessageLost();
    // Everything delivered while mx2 was down is still in the old Maildir, for the copy over.
    const downFiles = [...delivered.keys()].filter((file) => file.includes('/new/down-'));
    expect(downFiles).toHaveLength(4 * NAMES.length * ADDRESSES.length);
    for (const file of downFiles) expect(file.startsWith(oldMaildir())).toBe(true);
  });

  for (const mode of MODES) {
    it(`loses no mail when the destination's move-in dies at any write point (${mode})`, {
      timeout: COUNTED_WORK,
    }, () => {
      let points: number | undefined;
      for (let n = 1; n <= MAX_POINTS && points === undefined; n++) {
        const label = `${mode}-${n}`;
        restore('pinned');
        const faulted = moveIn({ [mode]: String(n) });
        if (faulted.code === 0) {
          // The apply has fewer write points than n: it ran through, and is the last round.
          points = n - 1;
          expect(faulted.stdout).toMatch(/^Apply complete \(files driver\): 0 added, 0 changed, 1 deleted, 1 moved;/);
        } else {
          expectFaulted(faulted, mode, n, 'Apply');
        }
        expectNoMessageLost();
        deliverEverywhere(`in-${label}`, [oldMaildir(), newMaildir()]);

        // An operator gives mx1 a snapshot of mx2 as the fault left it: mx1 moves out only if mx2
        // receives. (A kill and a failure leave the same trees; one sweep checks it.)
        if (mode === 'MAILSTATE_FAULT_KILL') {
          const half = join(dir, `half-${label}`);
          snapshot('mx2', half);
          expect(moveOut(half).code).toBe(0);
          expectNoMessageLost();
          deliverEverywhere(`half-${label}`, [oldMaildir(), newMaildir()]);
        }

        // Then the ordinary order converges: mx2 again, mx1 with a fresh snapshot of it.
        const again = moveIn();
        expect(again.stderr).toBe('');
        expect(again.code).toBe(0);
        expect(whereDelivered(fleet, 'mx2', address)).toBe(newMaildir());
        const fresh = join(dir, `fresh-${label}`);
        snapshot('mx2', fresh);
        expect(moveOut(fresh).code).toBe(0);
        expectConverged();
        expectNoMessageLost();
      }
      expect(points).toBeGreaterThanOrEqual(2);
    });
  }

  for (const mode of MODES) {
    it(`loses no mail when the source's move-out dies at any write point (${mode})`, { timeout: COUNTED_WORK }, () => {
      let points: number | undefined;
      for (let n = 1; n <= MAX_POINTS && points === undefined; n++) {
        const label = `${mode}-${n}`;
        restore('arrived');
        const faulted = moveOut(peers, { [mode]: String(n) });
        if (faulted.code === 0) {
          points = n - 1;
          expect(faulted.stdout).toMatch(/^Apply complete \(files driver\): 0 added, 0 changed, 0 deleted, 1 moved;/);
        } else {
          expectFaulted(faulted, mode, n, 'Apply');
        }
        expectNoMessageLost();
        deliverEverywhere(`out-${label}`, [oldMaildir(), newMaildir()]);

        const again = moveOut(peers);
        expect(again.code).toBe(0);
        expectConverged();
        expectNoMessageLost();
        expect(readdirSync(join(oldMaildir(), 'new'))).toContain(MESSAGE);
      }
      expect(points).toBeGreaterThanOrEqual(1);
    });
  }

  for (const mode of MODES) {
    it(`keeps the old mail, in its mailbox or the archive, when the release dies at any write point (${mode})`, {
      timeout: COUNTED_WORK,
    }, () => {
      const archived = () => {
        const parent = join(servers.mx1.vpopmailHome, 'archive', DOMAIN);
        if (!existsSync(parent)) return [];
        return readdirSync(parent)
          .filter((entry) => entry.startsWith(`${mover}-`))
          .map((entry) => join(parent, entry, 'Maildir', 'new', MESSAGE))
          .filter((file) => existsSync(file));
      };
      /** The old message in exactly one place: the old Maildir or one archived copy of it. */
      const expectKeptOnce = () => {
        const places = [...(existsSync(message()) ? [message()] : []), ...archived()];
        expect(places).toHaveLength(1);
        expect(readFileSync(places[0]!, 'utf8')).toBe(MESSAGE_TEXT);
      };
      let points: number | undefined;
      for (let n = 1; n <= MAX_POINTS && points === undefined; n++) {
        const label = `${mode}-${n}`;
        restore('moved-out');
        const faulted = mailstate(['release', address, '--server', 'mx1', '--yes', '-f', yaml], {
          env: { [mode]: String(n) },
        });
        if (faulted.code === 0) {
          points = n - 1;
          expect(faulted.stdout).toContain(`Released ${address}: the forward to the new server stays.\n`);
          expect(archived()).toHaveLength(1);
          expect(existsSync(message())).toBe(false);
        } else {
          expectFaulted(faulted, mode, n, 'Release');
          if (mode === 'MAILSTATE_FAULT_AT')
            expect(faulted.stderr).toContain(
              'Nothing is lost: the old mailbox is in place or in the archive. Run the same mailstate release again to finish',
            );
          expectKeptOnce();
          // The same release again finishes it, or says that only apply's cdb rebuild is left.
          const retried = mailstate(['release', address, '--server', 'mx1', '--yes', '-f', yaml]);
          if (retried.code !== 0)
            expect(retried.stderr).toContain(
              'If a release of it stopped half-way, its old mailbox is already in the archive and only the rebuild of vpasswd.cdb is left: mailstate apply does it.',
            );
          else expect(archived()).toHaveLength(1);
        }
        expectKeptOnce();
        deliverEverywhere(`release-${label}`, [newMaildir()]);

        // Whatever the release left undone, apply finishes or leaves it to a later release.
        const applied = run(['apply', '--yes', '--server', 'mx1']);
        expect(applied.code).toBe(0);
        const planned = run(['plan', '--detailed-exitcode', '--server', 'mx1']);
        expect(planned.code).toBe(0);
        expectKeptOnce();
        for (const [file, text] of delivered) expect(readFileSync(file, 'utf8'), file).toBe(text);
        for (const at of NAMES) for (const to of ADDRESSES) expect(whereDelivered(fleet, at, to)).toBe(newMaildir());
      }
      expect(points).toBeGreaterThanOrEqual(2);
    });
  }
});
