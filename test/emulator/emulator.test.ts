/**
 * Conformance of the vpopmail emulator (test/vpopmail-emulator/vpopmail.mjs) with the real vpopmail
 * 5.6.13, as recorded in the golden corpus: each scenario's session is replayed in a sandbox and
 * every program output, observation output, resulting file, cdb dump and file mode must match
 * (see replay.ts for what is compared and what is masked). Plus the install API, the cdb bytes,
 * the hashes and a few behaviours the corpus only pins indirectly.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
  chmodSync,
  chownSync,
} from 'node:fs';
import { join } from 'node:path';
import { verify } from 'unixcrypt';
import { afterAll, describe, expect, it } from 'vitest';
import {
  installEmulator,
  readEmulatorCallLog,
  readEmulatorCalls,
  EMULATOR_PROGRAMS,
  EMULATOR_SCRIPT,
} from './install.js';
import { GOLDEN, replayScenario, Sandbox, type ReplayOptions } from './replay.js';
import { COUNTED_WORK } from '../support/budget.js';

const IS_ROOT = process.getuid?.() === 0;

const VDOMINFO_DIR_CONTROL =
  'vdominfo (not an emulated program) rewrites the domain .dir-control: mod line 0 2 2, mode 0644';

/**
 * Every scenario whose programs the emulator has. Not replayed: 10 (tcprules, vchkpw, roaming),
 * 15 (vdelivermail and qmail-local deliveries), 16 (its 299-byte users/assign cut-off depends on
 * the length of the absolute paths, which are longer in a sandbox).
 */
const SCENARIOS: Array<[string, ReplayOptions]> = [
  ['07-user-dir-hashing', {}],
  ['00-usage-and-version', { finalState: false }],
  [
    '01-vadddomain',
    {
      fileIgnore: [[/^\/home\/vpopmail\/domains\/example\.com\/\.dir-control$/, VDOMINFO_DIR_CONTROL]],
      treeIgnore: [[/^\/home\/vpopmail\/domains\/example\.com\/\.dir-control$/, VDOMINFO_DIR_CONTROL]],
    },
  ],
  ['02-vadduser', {}],
  ['03-vmoduser', {}],
  ['04-vsetuserquota', {}],
  ['05-vpasswd', {}],
  ['06-vdeluser', {}],
  // every step is replayed, 25 and 28 included: they differ from 24 in what they pin (25: select
  // is valias' default action; 28: an address with a '.' read back from .qmail-sales:team)
  ['08-valias-and-dotqmail', {}],
  ['09-aliasdomain-and-vdeldomain', {}],
  [
    '11-vuserinfo-vdominfo',
    {
      // every step is replayed, the single-field and multi-option lookups (20-51) included: they
      // pin what steps 13-19 cannot (each option alone, the fixed output order whatever the argv
      // order, -q of an empty quota, -l with and without a login)
      treeIgnore: [
        [/^\/home\/vpopmail\/domains\/example\.com\/\.dir-control$/, VDOMINFO_DIR_CONTROL],
        [
          /^\/home\/vpopmail\/domains\/example\.com\/\.qmailadmin-limits$/,
          'written by vmoddomlimits and vdominfo, which the harness only emulates',
        ],
      ],
    },
  ],
  ['12-error-cases', {}],
  ['13-vmkpasswd-and-hand-edits', {}],
  [
    '14-vadddomain-options-catchall',
    {
      // vuserinfo's "no such user" for a domain owned by uid 1234 comes from its setuid(1234);
      // the emulator reproduces that only when it runs as root
      ignoreOutput: IS_ROOT ? {} : { 34: 'needs root (setuid to the domain owner)' },
      setup: (sb) => {
        // Present on the oracle: the -d target, and qmail's alias home (setgid, alias:nofiles).
        mkdirSync(sb.path('/tmp/altbase'), { mode: 0o755 });
        const alias = sb.path('/var/qmail/alias');
        mkdirSync(alias);
        chmodSync(alias, 0o2755);
        if (IS_ROOT) chownSync(alias, 1001, 1001);
      },
    },
  ],
  ['17-domain-limits-default-quota', {}],
  ['18-file-modes-and-cdb-bytes', {}],
];

/**
 * Replays run two at a time (one per core of a small CI machine): every program is a node process,
 * and more at once only slows down the longest scenario (07), which then finishes alone.
 */
function lanes(n: number): <T>(job: () => Promise<T>) => Promise<T> {
  let free = n;
  const waiting: Array<() => void> = [];
  return async (job) => {
    if (free === 0) await new Promise<void>((resolve) => waiting.push(resolve));
    else free--;
    try {
      return await job();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}
const inLane = lanes(2);

/** Longest first, so that the two lanes end together (07 alone is about 40% of the work). */
const COST_ORDER = ['07', '03', '12', '02', '13', '14', '08', '04', '11', '00', '06', '05', '18', '09', '17', '01'];
const byCost = [...SCENARIOS].sort(([a], [b]) => COST_ORDER.indexOf(a.slice(0, 2)) - COST_ORDER.indexOf(b.slice(0, 2)));

describe.concurrent('golden sessions replayed against the vpopmail emulator', () => {
  for (const [scenario, options] of byCost) {
    it(scenario, { timeout: COUNTED_WORK }, async () => {
      const report = await inLane(() => replayScenario(scenario, options));
      expect(report.problems.join('\n\n')).toBe('');
      // the replay really compared something
      expect(report.programSteps).toBeGreaterThan(3);
      if (options.finalState !== false) expect(report.files).toBeGreaterThan(0);
    });
  }
});

describe('vpopmail emulator installation and call log', () => {
  const sandboxes: Sandbox[] = [];
  afterAll(() => {
    for (const s of sandboxes) s.dispose();
  });

  it('links every program to the one script and records each call', async () => {
    const sb = new Sandbox();
    sandboxes.push(sb);
    for (const program of EMULATOR_PROGRAMS) {
      const link = join(sb.bin, program);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link)).toBe(EMULATOR_SCRIPT);
    }
    expect(JSON.parse(readFileSync(join(sb.vhome, 'etc/emulator.json'), 'utf8')).qmailHome).toBe(sb.qhome);
    // installing again replaces the links and keeps working
    expect(installEmulator(sb.vhome, sb.qhome)).toBe(sb.bin);

    execFileSync(join(sb.bin, 'vadddomain'), ['example.com', 'pmpass1'], { env: sb.env });
    execFileSync(join(sb.bin, 'vadduser'), ['-q', '5M', 'alice@example.com'], {
      env: sb.env,
      input: 'alicepw\nalicepw\n',
      stdio: 'pipe',
    });
    execFileSync(join(sb.bin, 'vmoduser'), ['-n', '-c', 'Alice A', 'alice@example.com'], { env: sb.env });
    expect(readEmulatorCalls(sb.vhome)).toEqual([
      ['vadddomain', 'example.com', 'pmpass1'],
      ['vadduser', '-q', '5M', 'alice@example.com'],
      ['vmoduser', '-n', '-c', 'Alice A', 'alice@example.com'],
    ]);
    const log = readEmulatorCallLog(sb.vhome);
    expect(log[0]!.argv[0]).toBe(join(sb.bin, 'vadddomain'));
    expect(log.every((c) => c.uid === process.getuid!())).toBe(true);
    // the password came from the prompt, the quota was normalised, -n left the cdb stale
    const vpasswd = readFileSync(join(sb.vhome, 'domains/example.com/vpasswd'), 'utf8');
    expect(vpasswd).toMatch(/^alice:\$6\$[^:]+:1:0:Alice A:[^:]+\/alice:5242880S:alicepw$/m);
    const cdb = execFileSync('cdb', ['-q', join(sb.vhome, 'domains/example.com/vpasswd.cdb'), 'alice']).toString();
    expect(cdb).toMatch(/^\$6\$[^:]+:1:0:alice:/);
  });

  it('makes SHA-512 hashes that crypt() verifies, with a fresh salt each time', () => {
    const sb = new Sandbox();
    sandboxes.push(sb);
    execFileSync(join(sb.bin, 'vadddomain'), ['example.com', 'pmpass1'], { env: sb.env });
    const pwLine = () => readFileSync(join(sb.vhome, 'domains/example.com/vpasswd'), 'utf8').split('\n')[0]!;
    const first = pwLine().split(':')[1]!;
    expect(first).toMatch(/^\$6\$[./0-9A-Za-z]{8}\$[./0-9A-Za-z]{86}$/);
    expect(verify('pmpass1', first)).toBe(true);
    expect(verify('pmpass2', first)).toBe(false);
    for (const pw of ['x', 'pässwörd with spaces', 'a:b c', 'y'.repeat(100)]) {
      execFileSync(join(sb.bin, 'vpasswd'), ['postmaster@example.com', pw], { env: sb.env });
      const hash = pwLine().split(':')[1]!;
      expect(verify(pw, hash)).toBe(true);
      expect(hash.slice(0, 12)).not.toBe(first.slice(0, 12));
    }
  });
});

describe('vpasswd.cdb bytes', () => {
  // Golden README section 3: given the same vpasswd text, vpasswd.cdb is reproducible byte for byte.
  for (const scenario of ['02-vadduser', '13-vmkpasswd-and-hand-edits', '18-file-modes-and-cdb-bytes']) {
    it(`vmkpasswd over ${scenario}'s final vpasswd rebuilds the golden vpasswd.cdb`, () => {
      const sb = new Sandbox();
      try {
        execFileSync(join(sb.bin, 'vadddomain'), ['example.com', 'pw'], { env: sb.env });
        const domainDir = join(sb.vhome, 'domains/example.com');
        copyFileSync(
          join(GOLDEN, scenario, 'files/home/vpopmail/domains/example.com/vpasswd'),
          join(domainDir, 'vpasswd'),
        );
        execFileSync(join(sb.bin, 'vmkpasswd'), ['example.com'], { env: sb.env });
        const golden = readFileSync(join(GOLDEN, scenario, 'cdb/home/vpopmail/domains/example.com/vpasswd.cdb'));
        expect(readFileSync(join(domainDir, 'vpasswd.cdb')).equals(golden)).toBe(true);
      } finally {
        sb.dispose();
      }
    });
  }
});

describe('behaviour beyond the recorded steps', () => {
  it('permutes argv like glibc getopt: options after the address still count', () => {
    const sb = new Sandbox();
    try {
      execFileSync(join(sb.bin, 'vadddomain'), ['example.com', 'pw'], { env: sb.env });
      execFileSync(join(sb.bin, 'vadduser'), ['bob@example.com', 'bobpw', '-q', '5M', '-c', 'Bob'], { env: sb.env });
      const line = readFileSync(join(sb.vhome, 'domains/example.com/vpasswd'), 'utf8').split('\n')[0]!;
      expect(line).toMatch(/^bob:\$6\$[^:]+:1:0:Bob:[^:]+\/bob:5242880S:bobpw$/);
      expect(readFileSync(join(sb.vhome, 'domains/example.com/bob/Maildir/maildirsize'), 'utf8')).toBe(
        '5242880S\n0 0\n',
      );
    } finally {
      sb.dispose();
    }
  });

  it('moves on to a second hash level after z/, as bigdir.c does', () => {
    const sb = new Sandbox();
    try {
      execFileSync(join(sb.bin, 'vadddomain'), ['big.test', 'pw'], { env: sb.env });
      const dc = join(sb.vhome, 'domains/big.test/.dir-control');
      writeFileSync(dc, '6199\n0\n3\n0 0 0\n61 61 61\n0 2 2\n61 0 0\nz\n');
      execFileSync(join(sb.bin, 'vadduser'), ['deep@big.test', 'pw'], { env: sb.env });
      const line = readFileSync(join(sb.vhome, 'domains/big.test/vpasswd'), 'utf8')
        .split('\n')
        .find((l) => l.startsWith('deep:'))!;
      expect(line.split(':')[5]).toBe(join(sb.vhome, 'domains/big.test/0/0/deep'));
      expect(existsSync(join(sb.vhome, 'domains/big.test/0/0/deep/Maildir/new'))).toBe(true);
      // level 0 wrapped from z to 0 and level 1 started; the third number of each line is what
      // vpopmail's reader made of it (it repeats the second)
      expect(readFileSync(dc, 'utf8')).toBe('6200\n1\n3\n0 0 0\n61 61 61\n0 2 2\n0 1 0\n0/0\n');
      execFileSync(join(sb.bin, 'vadduser'), ['deeper@big.test', 'pw'], { env: sb.env });
      expect(readFileSync(dc, 'utf8')).toBe('6201\n1\n3\n0 0 0\n61 61 61\n0 2 2\n0 1 1\n0/0\n');
    } finally {
      sb.dispose();
    }
  });

  it('dies of SIGSEGV on a blank vpasswd line where vpopmail does, after writing its line', () => {
    const sb = new Sandbox();
    try {
      execFileSync(join(sb.bin, 'vadddomain'), ['example.com', 'pw'], { env: sb.env });
      const vpasswd = join(sb.vhome, 'domains/example.com/vpasswd');
      const before = readFileSync(join(sb.vhome, 'domains/example.com/vpasswd.cdb'));
      writeFileSync(vpasswd, `\n${readFileSync(vpasswd, 'utf8')}`);
      let signal: string | null = null;
      try {
        execFileSync(join(sb.bin, 'vadduser'), ['frank@example.com', 'pw'], { env: sb.env, stdio: 'pipe' });
      } catch (e) {
        signal = (e as { signal: string | null }).signal;
      }
      expect(signal).toBe('SIGSEGV');
      expect(readFileSync(vpasswd, 'utf8')).toMatch(/^\nfrank:/);
      expect(readFileSync(join(sb.vhome, 'domains/example.com/vpasswd.cdb')).equals(before)).toBe(true);
    } finally {
      sb.dispose();
    }
  });
});
