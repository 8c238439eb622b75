/**
 * Replays golden vpopmail sessions (test/fixtures/golden/NN-name/session.jsonl) against the
 * vpopmail emulator in a private sandbox and reports every difference from what the real vpopmail did.
 *
 * The sandbox is `<root>/home/vpopmail` + `<root>/var/qmail` (+ `<root>/tmp`), set up like the
 * oracle before each scenario (no domains, rcpthosts/locals holding mail.oracle.test). Golden
 * absolute paths are mapped into the sandbox on the way in, and the sandbox root is removed from
 * everything on the way out, so outputs and files compare directly with the golden text.
 *
 * - Emulated programs: exit code, stdout and stderr must match.
 * - Recorder observations (`/bin/sh -c ...`, `cdb ...`): run against the sandbox (several change
 *   state: hand edits, rm -rf, printf > .qmail-default). Their output is compared when it does
 *   not depend on things a sandbox cannot reproduce (owner names, timestamps, inode numbers, byte
 *   offsets of files that contain the longer sandbox paths).
 * - Other programs (vdelivermail, vchkpw) are emulated for their file effects; the rest
 *   (vverifypw, vdominfo, qmail-local, ...) are skipped.
 * - After the scenario (and at recorded snapshots): every text file under files/, every cdb dump
 *   under cdb/, and the modes/owners listed in tree.txt.
 *
 * Masked on both sides: SHA-512 hashes (random salt), asctime dates, random passwords (ours are
 * mapped to the golden ones as soon as a step prints them).
 */
import { spawn, execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  lstatSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { installEmulator, EMULATOR_PROGRAMS } from './install.js';

export const GOLDEN = join(import.meta.dirname, '../fixtures/golden');
const IS_ROOT = process.getuid?.() === 0;

/**
 * The recorder ran everything under umask 022. When ours is 022 too, the programs are spawned
 * directly; otherwise (or where the umask cannot be read, in worker threads) each one goes
 * through sh -c 'umask 022; exec ...'. Our own umask is left as it was.
 */
const UMASK_022 = (() => {
  try {
    const current = process.umask(0o022);
    process.umask(current);
    return current === 0o022;
  } catch {
    return false;
  }
})();
const PROGRAMS = new Set<string>(EMULATOR_PROGRAMS);

export interface GoldenStep {
  step?: number;
  argv?: string[];
  exit?: number;
  stdout?: string;
  stderr?: string;
  stdin?: string;
  env?: Record<string, string>;
  cwd?: string;
  fd3?: string;
  note?: string;
}

export function loadSession(scenario: string): GoldenStep[] {
  return readFileSync(join(GOLDEN, scenario, 'session.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as GoldenStep);
}

export interface Outcome {
  exit: number;
  stdout: string;
  stderr: string;
}

const SIGNALS: Record<string, number> = { SIGSEGV: 11, SIGABRT: 6, SIGKILL: 9, SIGTERM: 15, SIGBUS: 7 };

export function runProcess(
  cmd: string,
  args: string[],
  opts: { stdin?: string; env: NodeJS.ProcessEnv; cwd?: string },
): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const errs: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => errs.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({
        exit: code ?? 128 + (signal ? (SIGNALS[signal] ?? 0) : 0),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(errs).toString('utf8'),
      });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.stdin ?? '');
  });
}

/** A $6$ hash, also one cut short by the recorder's `cut -c`. */
const HASH = /\$6\$[./0-9A-Za-z]{8}(\$[./0-9A-Za-z]{0,86})?/g;
const maskHash = (_m: string, rest: string | undefined) =>
  `$6$SSSSSSSS${rest ? `$${'H'.repeat(rest.length - 1)}` : ''}`;
const ASCTIME = /\b(account created|last auth): [A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}/g;

/** Masks what differs from run to run in real vpopmail too. */
export function mask(s: string): string {
  return s.replace(HASH, maskHash).replace(ASCTIME, '$1: <date>');
}

/** `cdb -d` output, parsed by its length headers (data may contain newlines). */
export function parseDump(dump: string): Array<[string, string]> | null {
  const buf = Buffer.from(dump, 'utf8');
  const res: Array<[string, string]> = [];
  let i = 0;
  while (i < buf.length) {
    if (buf[i] === 0x0a && i === buf.length - 1) return res;
    const m = /^\+(\d+),(\d+):/.exec(buf.subarray(i, i + 32).toString('latin1'));
    if (!m) return null;
    const klen = Number(m[1]);
    const dlen = Number(m[2]);
    const k0 = i + m[0].length;
    const key = buf.subarray(k0, k0 + klen).toString('utf8');
    const d0 = k0 + klen + 2;
    const data = buf.subarray(d0, d0 + dlen).toString('utf8');
    res.push([key, data]);
    i = d0 + dlen + 1;
  }
  return res;
}
export function renderDump(records: Array<[string, string]>): string {
  return `${records.map(([k, d]) => `+${Buffer.byteLength(k)},${Buffer.byteLength(d)}:${k}->${d}`).join('\n')}${records.length ? '\n' : ''}\n`;
}

export class Sandbox {
  readonly root: string;
  readonly vhome: string;
  readonly qhome: string;
  readonly bin: string;
  readonly env: NodeJS.ProcessEnv;
  /** [ours, golden] random passwords seen so far. */
  private readonly randoms: Array<[string, string]> = [];

  constructor() {
    this.root = mkdtempSync(join(tmpdir(), 'emulator-'));
    chmodSync(this.root, 0o755); // like /: the domain owners must be able to walk in
    this.vhome = join(this.root, 'home/vpopmail');
    this.qhome = join(this.root, 'var/qmail');
    mkdirSync(this.vhome, { recursive: true, mode: 0o755 });
    mkdirSync(join(this.vhome, 'domains'), { mode: 0o700 });
    mkdirSync(join(this.qhome, 'users'), { recursive: true });
    mkdirSync(join(this.qhome, 'control'), { recursive: true });
    mkdirSync(join(this.root, 'tmp'), { recursive: true });
    // The oracle's clean state (golden README section 1).
    writeFileSync(join(this.qhome, 'users/assign'), '.\n', { mode: 0o644 });
    writeFileSync(join(this.qhome, 'control/rcpthosts'), 'mail.oracle.test\n', { mode: 0o644 });
    writeFileSync(join(this.qhome, 'control/locals'), 'mail.oracle.test\n', { mode: 0o644 });
    writeFileSync(join(this.qhome, 'control/virtualdomains'), '', { mode: 0o644 });
    writeFileSync(join(this.vhome, 'domains/.dir-control'), '0\n0\n3\n0 0 0\n61 61 61\n0 2 2\n0 0 0\n\n', {
      mode: 0o644,
    });
    execFileSync('cdb', ['-c', join(this.qhome, 'users/cdb')], { input: '+0,0:->\n\n' });
    chmodSync(join(this.qhome, 'users/cdb'), 0o644);
    if (IS_ROOT) {
      chownSync(this.vhome, 89, 89);
      chownSync(join(this.vhome, 'domains'), 89, 89);
      chownSync(join(this.vhome, 'domains/.dir-control'), 89, 89);
    }
    this.bin = installEmulator(this.vhome, this.qhome);
    // A passwd file for vadddomain -u (getpwnam) and the domains' counters (getpwuid).
    const passwd = join(this.root, 'etc-passwd');
    writeFileSync(
      passwd,
      `root:x:0:0:root:/root:/bin/sh\nalias:x:1001:1001::${this.qhome}/alias:/usr/sbin/nologin\nqmaild:x:1002:1001::${this.qhome}:/usr/sbin/nologin\nvpopmail:x:89:89::${this.vhome}:/usr/sbin/nologin\n`,
    );
    writeFileSync(
      join(this.vhome, 'etc/emulator.json'),
      `${JSON.stringify({ qmailHome: this.qhome, passwdFile: passwd }, null, 2)}\n`,
    );
    this.env = {
      PATH: `/usr/bin:/bin:/usr/sbin:/sbin:${dirname(process.execPath)}`,
      HOME: this.root,
      LC_ALL: 'C',
    };
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Golden absolute paths -> sandbox paths. */
  toSandbox(s: string): string {
    return s.replace(/(?<![\w.\-/])(\/home\/vpopmail|\/var\/qmail|\/tmp\/)/g, (m) => `${this.root}${m}`);
  }

  /** Sandbox output -> what the oracle would have printed. */
  fromSandbox(s: string): string {
    let r = s.split(this.root).join('');
    for (const [ours, golden] of this.randoms) r = r.split(ours).join(golden);
    return r;
  }

  norm(s: string): string {
    return mask(this.fromSandbox(s));
  }

  learnRandom(ours: string, golden: string): void {
    const re = /Random password: (\S+)/g;
    const a = [...ours.matchAll(re)].map((m) => m[1]!);
    const b = [...golden.matchAll(re)].map((m) => m[1]!);
    a.forEach((x, i) => {
      if (b[i] !== undefined && x.length === b[i]!.length) this.randoms.push([x, b[i]!]);
    });
  }

  /** Runs an emulated program as the golden step did (umask 022, as the recorder). */
  runProgram(argv: string[], stdin?: string): Promise<Outcome> {
    const name = basename(argv[0]!);
    const args = argv.slice(1).map((a) => this.toSandbox(a));
    if (UMASK_022) return runProcess(join(this.bin, name), args, { stdin, env: this.env, cwd: this.root });
    return runProcess('/bin/sh', ['-c', 'umask 022; exec "$@"', 'sh', join(this.bin, name), ...args], {
      stdin,
      env: this.env,
      cwd: this.root,
    });
  }

  /**
   * Runs a recorder observation. As non-root the recorder's `chown 89:89` after a hand edit can
   * only fail (and break its `&&` chain), so a no-op chown comes first in PATH then.
   */
  runShell(argv: string[], stdin?: string): Promise<Outcome> {
    let env = this.env;
    if (!IS_ROOT) {
      const shim = join(this.root, 'nonroot-bin');
      if (!existsSync(shim)) {
        mkdirSync(shim);
        writeFileSync(join(shim, 'chown'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      }
      env = { ...env, PATH: `${shim}:${env.PATH}` };
    }
    return runProcess(
      argv[0]!,
      argv.slice(1).map((a) => this.toSandbox(a)),
      { stdin, env, cwd: this.root },
    );
  }

  path(goldenPath: string): string {
    return join(this.root, goldenPath);
  }
}

/** Observation commands whose output depends on what a sandbox cannot reproduce. */
const INCOMPARABLE: RegExp[] = [
  /\bls\s+-[a-zA-Z]*[ln]/, // owner names, sizes, times
  /\bstat\b/,
  /sha256sum/,
  /getent/,
  /qmail-local|qmail-inject|tcprules|setpriv/,
  /--time-style/,
  /-printf '[^']*%[ugsT]/, // find -printf with owner/size/time
  /\bod -c\b[^;|]*(vpasswd|\.qmail-)/, // offsets of files holding paths
  /\btail -c\b/,
  /cdb -d[^;]*\|\s*cut -c/, // columns of cdb -d lines shift with the record lengths
  /\bwc\b/,
  /\bawk\b.*length\(/,
];

/** Observation commands that change the sandbox (hand edits, deletions, moves...). */
const CHANGES_STATE =
  /[^2&]>|\brm\b|\bmv\b|\bcp\b|sed -i|\bchown\b|\bchmod\b|\bmkdir\b|\btouch\b|\bln\b|qmail-newu|\bumask\b/;

export interface ReplayOptions {
  /** Stop after this step number (later steps need programs the emulator does not have). */
  uptoStep?: number;
  /** Observation or program steps not to compare (still run), with the reason. */
  ignoreOutput?: Record<number, string>;
  /** Steps not to run at all, with the reason. */
  skip?: Record<number, string>;
  /** Paths (golden, absolute) whose mode/owner in tree.txt is not checked, with the reason. */
  treeIgnore?: Array<[RegExp, string]>;
  /** Golden files/ paths not compared, with the reason. */
  fileIgnore?: Array<[RegExp, string]>;
  /** Runs before the first step. */
  setup?: (sb: Sandbox) => void;
  /** Compare final files/, cdb/ and tree.txt (default true). */
  finalState?: boolean;
}

export interface ReplayReport {
  problems: string[];
  /** Emulated program steps compared. */
  programSteps: number;
  /** Observation steps whose output was compared. */
  observations: number;
  files: number;
}

function listFiles(dir: string): string[] {
  const res: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else res.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return res;
}

const decodeName = (p: string) => p.replace(/%3A/g, ':');

function compareFiles(sb: Sandbox, goldenDir: string, label: string, opts: ReplayOptions, report: ReplayReport): void {
  for (const file of listFiles(join(goldenDir, 'files')).concat(
    listFiles(join(goldenDir, 'home')),
    listFiles(join(goldenDir, 'var')),
  )) {
    const rel = file.startsWith(join(goldenDir, 'files'))
      ? file.slice(join(goldenDir, 'files').length)
      : file.slice(goldenDir.length);
    const abs = decodeName(rel);
    if (/\/Maildir\/(new|cur|tmp)\//.test(abs)) continue; // delivered messages
    const ignored = opts.fileIgnore?.find(([re]) => re.test(abs));
    if (ignored) continue;
    const ours = sb.path(abs);
    report.files++;
    if (!existsSync(ours)) {
      report.problems.push(`${label}: ${abs} is missing`);
      continue;
    }
    const want = mask(readFileSync(file, 'utf8'));
    const got = sb.norm(readFileSync(ours, 'utf8'));
    if (got !== want) report.problems.push(`${label}: ${abs} differs\n--- golden\n${want}\n--- emulator\n${got}`);
  }
  for (const dump of listFiles(join(goldenDir, 'cdb')).filter((f) => f.endsWith('.dump'))) {
    const abs = dump.slice(join(goldenDir, 'cdb').length, -'.dump'.length);
    const ignored = opts.fileIgnore?.find(([re]) => re.test(abs));
    if (ignored) continue;
    const ours = sb.path(abs);
    report.files++;
    if (!existsSync(ours)) {
      report.problems.push(`${label}: ${abs} is missing`);
      continue;
    }
    const got = execFileSync('cdb', ['-d', ours]).toString('utf8');
    const want = readFileSync(dump, 'utf8');
    const g = parseDump(got);
    const w = parseDump(want);
    const gotText = g ? renderDump(g.map(([k, d]) => [sb.norm(k), sb.norm(d)])) : `unparsable: ${got}`;
    const wantText = w ? renderDump(w.map(([k, d]) => [mask(k), mask(d)])) : `unparsable: ${want}`;
    if (gotText !== wantText)
      report.problems.push(`${label}: cdb -d ${abs} differs\n--- golden\n${wantText}\n--- emulator\n${gotText}`);
  }
}

const OWNERS: Record<string, number> = { vpopmail: 89, vchkpw: 89, root: 0, alias: 1001, nofiles: 1001 };

function compareTree(sb: Sandbox, scenarioDir: string, opts: ReplayOptions, report: ReplayReport): void {
  const tree = join(scenarioDir, 'tree.txt');
  if (!existsSync(tree)) return;
  for (const line of readFileSync(tree, 'utf8').split('\n')) {
    const m = /^([dfl]) (\d{4}) (\S+):(\S+) \d+ (\/.*)$/.exec(line);
    if (!m) continue;
    const [, type, mode, owner, group, p] = m as unknown as [string, string, string, string, string, string];
    if (
      !/^\/(home\/vpopmail\/domains|var\/qmail\/users\/|var\/qmail\/control\/(rcpthosts|virtualdomains|locals)|tmp\/altbase\/|var\/qmail\/alias\/)/.test(
        p,
      )
    )
      continue;
    if (opts.treeIgnore?.some(([re]) => re.test(p))) continue;
    if (/\/Maildir\/(new|cur|tmp)\/[^/]+$/.test(p)) continue; // message names hold times and pids
    let local = sb.path(p);
    // the stray ".<pid>" file of vadddomain -i with an unknown uid: ours has another pid
    if (/\/\.\d+$/.test(p)) {
      const dir = dirname(local);
      const stray = existsSync(dir) ? readdirSync(dir).find((n) => /^\.\d+$/.test(n)) : undefined;
      if (stray) local = join(dir, stray);
    }
    const st = lstatSync(local, { throwIfNoEntry: false });
    if (!st) {
      report.problems.push(`tree: ${p} is missing`);
      continue;
    }
    const gotType = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : 'f';
    const gotMode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    if (gotType !== type || gotMode !== mode)
      report.problems.push(`tree: ${p} is ${gotType} ${gotMode}, golden ${type} ${mode}`);
    if (IS_ROOT) {
      const wantUid = OWNERS[owner] ?? (/^\d+$/.test(owner) ? Number(owner) : undefined);
      const wantGid = OWNERS[group] ?? (/^\d+$/.test(group) ? Number(group) : undefined);
      if (wantUid !== undefined && wantGid !== undefined && (st.uid !== wantUid || st.gid !== wantGid)) {
        report.problems.push(`tree: ${p} is owned ${st.uid}:${st.gid}, golden ${owner}:${group}`);
      }
    }
  }
}

/** Emulates vdelivermail's file effects for a recorded delivery (message + maildirsize line). */
function emulateDelivery(sb: Sandbox, step: GoldenStep): void {
  const ext = step.env?.EXT ?? '';
  const host = step.env?.HOST ?? '';
  const vpasswd = readFileSync(sb.path(`/home/vpopmail/domains/${host}/vpasswd`), 'utf8');
  const line = vpasswd.split('\n').find((l) => l.startsWith(`${ext.toLowerCase()}:`));
  if (!line) return;
  const dir = line.split(':')[5]!;
  const message = `Return-Path: <${step.env?.SENDER ?? ''}>\nDelivered-To: ${ext.toLowerCase()}@${host}\n${step.stdin ?? ''}`;
  const size = Buffer.byteLength(message);
  const file = join(dir, 'Maildir/new', `${Math.floor(Date.now() / 1000)}.${process.pid}.vm,S=${size}`);
  writeFileSync(file, message, { mode: 0o600 });
  const maildirsize = join(dir, 'Maildir/maildirsize');
  if (existsSync(maildirsize)) appendFileSync(maildirsize, `${size} 1\n`);
  if (IS_ROOT) chownSync(file, 89, 89);
}

/** Emulates vchkpw's lastauth write for a recorded successful login. */
function emulateLogin(sb: Sandbox, step: GoldenStep): void {
  if (step.exit !== 0) return;
  const [address] = (step.fd3 ?? '').split('\0');
  const [user, host] = (address ?? '').split('@');
  const vpasswd = readFileSync(sb.path(`/home/vpopmail/domains/${host}/vpasswd`), 'utf8');
  const line = vpasswd.split('\n').find((l) => l.startsWith(`${user}:`));
  if (!line) return;
  const file = join(line.split(':')[5]!, 'lastauth');
  writeFileSync(file, step.env?.TCPREMOTEIP ?? '');
  if (IS_ROOT) chownSync(file, 89, 89);
}

/**
 * Emulates vmoddomlimits' effect on <domaindir>/.qmailadmin-limits (-q, -m, -g, -D; -S shows
 * only), in the format the golden captures show, so scenarios 11 and 17 can run on.
 */
function emulateVmoddomlimits(sb: Sandbox, argv: string[]): void {
  const domain = argv[argv.length - 1]!;
  const file = sb.path(`/home/vpopmail/domains/${domain}/.qmailadmin-limits`);
  const opts = new Map<string, string>();
  for (let i = 1; i < argv.length - 1; i++) {
    const a = argv[i]!;
    if (a === '-D' || a === '-S') opts.set(a, '');
    else if (/^-[qmg]$/.test(a)) opts.set(a, argv[++i]!);
  }
  if (opts.has('-D')) {
    rmSync(file, { force: true });
    return;
  }
  if (!opts.has('-q') && !opts.has('-m') && !opts.has('-g')) return;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const get = (key: string, dflt: string) => new RegExp(`^${key}: (.*)$`, 'm').exec(current)?.[1] ?? dflt;
  const bytes = (q: string) => {
    const n = Number.parseInt(q, 10);
    return /[mM]/.test(q) ? n * 1048576 : /[kK]/.test(q) ? n * 1024 : n;
  };
  const quota = opts.has('-q') ? String(bytes(opts.get('-q')!)) : get('default_quota', '0');
  const count = opts.has('-m') ? opts.get('-m')! : get('default_maxmsgcount', '0');
  const imap = opts.has('-g') ? opts.get('-g')!.includes('i') : /^disable_imap$/m.test(current);
  const text =
    'maxpopaccounts: -1\nmaxaliases: -1\nmaxforwards: -1\nmaxautoresponders: -1\nmaxmailinglists: -1\n' +
    `quota: 0\nmaxmsgcount: 0\ndefault_quota: ${quota}\ndefault_maxmsgcount: ${count}\n` +
    (imap ? 'disable_imap\n' : '') +
    'perm_account: 0\nperm_alias: 0\nperm_forward: 0\nperm_autoresponder: 0\nperm_maillist: 0\nperm_quota: 0\nperm_defaultquota: 0\n';
  writeFileSync(file, text, { mode: 0o644 });
  chmodSync(file, 0o644);
}

export async function replayScenario(scenario: string, opts: ReplayOptions = {}): Promise<ReplayReport> {
  const scenarioDir = join(GOLDEN, scenario);
  const steps = loadSession(scenario);
  const sb = new Sandbox();
  const report: ReplayReport = { problems: [], programSteps: 0, observations: 0, files: 0 };
  try {
    opts.setup?.(sb);
    for (const step of steps) {
      if (step.note !== undefined) {
        const snap = /^\[snapshot '([^']+)' saved/.exec(step.note);
        if (snap) compareFiles(sb, join(scenarioDir, 'snapshots', snap[1]!), `snapshot ${snap[1]}`, opts, report);
        continue;
      }
      if (opts.uptoStep !== undefined && (step.step ?? 0) > opts.uptoStep) break;
      if (step.step !== undefined && opts.skip?.[step.step]) continue;
      const argv = step.argv ?? [];
      const prog = argv[0] ?? '';
      const where = `${scenario} step ${step.step} ${JSON.stringify(argv).slice(0, 160)}`;
      const ignore = step.step !== undefined ? opts.ignoreOutput?.[step.step] : undefined;
      if (prog.startsWith('/home/vpopmail/bin/') && PROGRAMS.has(basename(prog))) {
        const got = await sb.runProgram(argv, step.stdin);
        sb.learnRandom(got.stdout, step.stdout ?? '');
        if (ignore) continue;
        report.programSteps++;
        const gotOut = sb.norm(got.stdout);
        const gotErr = sb.norm(got.stderr);
        const wantOut = mask(step.stdout ?? '');
        const wantErr = mask(step.stderr ?? '');
        if (got.exit !== step.exit || gotOut !== wantOut || gotErr !== wantErr) {
          report.problems.push(
            `${where}\n  exit: golden ${step.exit}, emulator ${got.exit}\n  stdout golden:   ${JSON.stringify(wantOut)}\n  stdout emulator: ${JSON.stringify(gotOut)}\n  stderr golden:   ${JSON.stringify(wantErr)}\n  stderr emulator: ${JSON.stringify(gotErr)}`,
          );
        }
      } else if (prog === '/bin/sh' || prog === 'cdb') {
        const cmd = argv.join(' ');
        const comparable = !ignore && !INCOMPARABLE.some((re) => re.test(cmd));
        if (!comparable && !CHANGES_STATE.test(cmd)) continue; // read-only and not compared
        const got = await sb.runShell(argv, step.stdin);
        if (!comparable) continue;
        report.observations++;
        let gotOut: string;
        let wantOut: string;
        const direct =
          prog === 'cdb' && argv[1] === '-d' ? [parseDump(got.stdout), parseDump(step.stdout ?? '')] : null;
        if (direct?.[0] && direct[1]) {
          gotOut = renderDump(direct[0].map(([k, d]) => [sb.norm(k), sb.norm(d)]));
          wantOut = renderDump(direct[1].map(([k, d]) => [mask(k), mask(d)]));
        } else {
          // cdb -d lines inside larger outputs: their lengths include the sandbox paths
          const hdr = (s: string) => s.replace(/^\+\d+,\d+/gm, '+K,D');
          gotOut = hdr(sb.norm(got.stdout));
          wantOut = hdr(mask(step.stdout ?? ''));
        }
        if (got.exit !== step.exit || gotOut !== wantOut) {
          report.problems.push(
            `${where}\n  exit: golden ${step.exit}, emulator ${got.exit}\n--- golden\n${wantOut}\n--- emulator\n${gotOut}\n--- emulator stderr\n${got.stderr}`,
          );
        }
      } else if (prog === 'setpriv' && argv.some((a) => a.endsWith('/vdelivermail'))) {
        emulateDelivery(sb, step);
      } else if (prog.endsWith('/vmoddomlimits')) {
        emulateVmoddomlimits(sb, argv);
      } else if (prog.endsWith('/vchkpw') && step.fd3) {
        emulateLogin(sb, step);
      }
      // anything else (vverifypw, vdominfo, qmail-newu, ...) is not part of the emulator
    }
    if (opts.finalState !== false) {
      compareFiles(sb, scenarioDir, 'final', opts, report);
      compareTree(sb, scenarioDir, opts, report);
    }
  } finally {
    sb.dispose();
  }
  return report;
}
