/**
 * `mailstate place` (issue 14): the distribution table, `--check` for CI against the balance
 * margin and the moves a commit implies, and `--explain`.
 */
import { describe, expect, it } from 'vitest';
import { distribution, worstExcess } from '../../src/fleet/balance.js';
import { hrwPlace, hrwRing } from '../../src/fleet/hrw.js';
import { allowedExcess } from '../../src/fleet/report.js';
import { mailstate } from '../support/cli.js';
import { TestRepo } from '../support/gitops.js';

const USERS = 12_000;

function fleet(servers: string[], pins = ''): string {
  return [
    'version: 1',
    'servers:',
    ...servers.map((name) => `  ${name}: { route: ${name}.internal }`),
    'domains:',
    '  spread.test:',
    '    spread: true',
    '    users:',
    '      postmaster: {}',
    ...Array.from({ length: USERS }, (_, i) => `      u${i}: {}`),
    pins,
    '  whole.test:',
    '    server: mx2',
    '    users:',
    '      postmaster: {}',
    '      erin: {}',
    '',
  ].join('\n');
}

describe('mailstate place', () => {
  const three = ['mx1', 'mx2', 'mx3'];
  const repo = new TestRepo();
  repo.commit({ 'mailstate.yaml': fleet(three) }, 'three servers');
  const place = (...args: string[]) => mailstate(['place', ...args], { cwd: repo.dir });

  it('prints users per server against the fair share, and --check passes a balanced placement', () => {
    const ring = hrwRing(three.map((name) => ({ name, weight: 1 })));
    const counts = new Map(three.map((name) => [name, 0]));
    for (let i = 0; i < USERS; i++) {
      const home = hrwPlace(ring, `u${i}@spread.test`);
      counts.set(home, counts.get(home)! + 1);
    }
    const run = place('--check');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^12000 spread users over 3 servers; the fullest is \+\d\.\d % above its fair share \(allowed: 5\.0 %\)\.$/,
    );
    expect(lines[1]).toBe('  server  weight  users  fair share  deviation  mailboxes');
    for (const [i, name] of three.entries()) {
      const users = counts.get(name)!;
      const deviation = ((users - 4000) / 4000) * 100;
      // Every server holds spread.test's postmaster; mx2 also whole.test's postmaster and erin.
      const mailboxes = users + 1 + (name === 'mx2' ? 2 : 0);
      expect(lines[2 + i]).toMatch(
        new RegExp(
          `^  ${name} +1 +${users} +4000\\.0 +[+-]${Math.abs(deviation).toFixed(1).replace('.', '\\.')} % +${mailboxes}$`,
        ),
      );
      expect(Math.abs(deviation)).toBeLessThan(5);
    }
  });

  it('--check against the last commit fails when a new server moves users, and lists them', () => {
    repo.write({ 'mailstate.yaml': fleet([...three, 'mx4']) });
    const run = place('--check', '--base', 'HEAD');
    expect(run.code).toBe(1);
    const moved = run.stdout.split('\n').filter((line) => /^ {2}u\d+@spread\.test: mx[123] -> mx4$/.test(line));
    expect(run.stdout).toContain(`${moved.length} users move to another server against HEAD:\n`);
    // A new server takes about 1/4 of the users, and only those: nobody moves between the old three.
    expect(moved.length).toBeGreaterThan(USERS * 0.22);
    expect(moved.length).toBeLessThan(USERS * 0.28);
    expect(run.stdout.split('\n').filter((line) => line.includes('@spread.test: '))).toHaveLength(moved.length);
    expect(run.stderr).toBe(
      `place --check: the change moves ${moved.length} users between servers: review, then apply with --allow-moves.\n`,
    );
    repo.write({ 'mailstate.yaml': fleet(three) });
    expect(place('--check', '--base', 'HEAD').code).toBe(0);
  });

  it('pinned users are not hashed: the balance leaves them out, the mailboxes column counts them', () => {
    const text = fleet(three).replace(/( {6}u(\d+): )\{\}/g, (line, head, n) =>
      Number(n) < 3000 ? `${head}{ server: mx1 }` : line,
    );
    repo.write({ 'mailstate.yaml': text });
    const run = place('--check');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^9000 spread users over 3 servers;/);
    const mx1 = run.stdout.split('\n').find((line) => line.startsWith('  mx1 '))!;
    const [users, , , , mailboxes] = mx1
      .trim()
      .split(/\s+/)
      .slice(2)
      .map((cell) => Number.parseFloat(cell));
    expect(mailboxes).toBe(users! + 3000 + 1);
    repo.write({ 'mailstate.yaml': fleet(three) });
  });

  it('--explain says why a user lives where it lives', () => {
    const ring = hrwRing(three.map((name) => ({ name, weight: 1 })));
    const home = hrwPlace(ring, 'u7@spread.test');
    const run = place('--explain', 'u7@spread.test');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe(
      `u7@spread.test lives on ${home}: spread.test is spread (spread: true of the domain at mailstate.yaml:7:3), and ${home} has the highest rendezvous score for "u7@spread.test":`,
    );
    expect(lines[1]).toMatch(new RegExp(`^  ${home}  \\d+\\.\\d{6}$`));
    expect(
      lines
        .slice(1, 4)
        .map((line) => line.trim().split(/\s+/)[0])
        .sort(),
    ).toEqual(three);
    const wholeLine = fleet(three).split('\n').indexOf('  whole.test:') + 1;
    expect(place('--explain', 'erin@whole.test').stdout).toBe(
      `erin@whole.test lives on mx2: the whole domain whole.test lives there (server: of the domain at mailstate.yaml:${wholeLine}:3).\n`,
    );
    const unknown = place('--explain', 'zed@whole.test');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('Error: mailstate place: zed@whole.test is not a user declared in the desired state\n');
  });
});

describe('the balance margin', () => {
  const rows = (users: number, servers: number) =>
    distribution(
      Array.from({ length: servers }, (_, i) => ({ name: `mx${i}`, weight: 1 })),
      new Map([['mx0', users]]),
    );

  it("is the issue's 5 % from 10,000 users and 1 % from 1,000,000, and wider only below 10,000", () => {
    expect(allowedExcess(10_000, rows(10_000, 4))).toBe(5);
    expect(allowedExcess(1_000_000, rows(1_000_000, 10))).toBe(1);
    // 4 standard deviations of a binomial count: 30 users over 4 servers cannot be split within 5 %.
    expect(allowedExcess(30, rows(30, 4))).toBeCloseTo((400 * Math.sqrt(30 * 0.25 * 0.75)) / 7.5, 6);
    expect(allowedExcess(9_999, rows(9_999, 4))).toBeCloseTo((400 * Math.sqrt(9_999 * 0.25 * 0.75)) / (9_999 / 4), 6);
    expect(allowedExcess(200, rows(200, 2))).toBeCloseTo((400 * Math.sqrt(200 * 0.25)) / 100, 6);
  });

  it('a placement with every user on one server is far outside it', () => {
    const all = rows(10_000, 4);
    expect(worstExcess(all)).toBe(300);
    expect(worstExcess(all)).toBeGreaterThan(allowedExcess(10_000, all));
  });
});
