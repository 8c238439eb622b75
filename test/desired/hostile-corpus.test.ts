import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeYaml } from '../../src/desired/decode-yaml.js';
import { loadDesired } from '../../src/desired/load.js';
import { MAX_YAML_BYTES } from '../../src/desired/read-yaml-file.js';
import { formatDiagnostic } from '../../src/model/diagnostic.js';
import { EXAMPLE_SANDBOX, server, treeFingerprint } from '../support/harness.js';
import type { TestServer } from '../support/harness.js';
import { REPO } from '../support/cli.js';
import { COUNTED_WORK } from '../support/budget.js';
import { CPU_REPORT_ENV, cpuReportArgs, readCpuReport } from '../support/child-cpu.js';

/**
 * The hostile-input corpus (test/fixtures/hostile/README.md): every case through the built CLI,
 * `validate` for the exact message and `apply` for "nothing written". The processes run a few at
 * a time, all of them before the first assertion, so the file takes seconds, not minutes.
 */

const CORPUS = join(REPO, 'test/fixtures/hostile');
const BIN = join(REPO, 'dist/cli/bin.js');
const CONCURRENCY = 3;
/**
 * A run that takes longer has hung (e.g. waiting on a FIFO for a writer): it is killed and fails
 * its case. Waiting costs no CPU time, so this deadline, not `max-ms`, is what proves that a run
 * does not wait; it is far above what any run needs, on a loaded machine too.
 */
const HANG_MS = 120_000;
/** Memory stays bounded: a case that needs more heap than this aborts, and cannot match its expected output. */
const NODE_OPTIONS = '--max-old-space-size=256';

interface Case {
  slug: string;
  /** The committed case directory. */
  source: string;
  expected: string;
  exitCode: number;
  /** `max-ms`: a bound on the CPU milliseconds (user + system, start-up included) `validate` may use. */
  maxMs?: number;
  make: boolean;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Killed after HANG_MS. */
  hung: boolean;
  /** CPU time of the child, start-up included (test/support/report-cpu.mjs); undefined when it wrote no report (killed or aborted). */
  cpuMs: number | undefined;
}

interface Outcome {
  dir: string;
  validate: Run;
  apply: Run;
}

function readCases(): Case[] {
  return readdirSync(CORPUS, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^\d\d-[a-z0-9-]+$/.test(entry.name))
    .map((entry) => entry.name)
    .sort()
    .map((slug) => {
      const source = join(CORPUS, slug);
      const optional = (name: string): number | undefined =>
        existsSync(join(source, name)) ? Number(readFileSync(join(source, name), 'utf8').trim()) : undefined;
      const maxMs = optional('max-ms');
      return {
        slug,
        source,
        expected: readFileSync(join(source, 'expected.txt'), 'utf8'),
        exitCode: optional('exit-code') ?? 1,
        ...(maxMs === undefined ? {} : { maxMs }),
        make: existsSync(join(source, 'make.mjs')),
      };
    });
}

let reports = 0;

function run(args: string[], cwd: string, extraOptions: string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const report = join(scratch, `cpu-${reports++}.json`);
    const child = spawn(process.execPath, [...cpuReportArgs(), BIN, ...args, ...extraOptions], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_OPTIONS, [CPU_REPORT_ENV]: report },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, HANG_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({ code, signal, stdout, stderr, hung, cpuMs: readCpuReport(report)?.cpuMs });
    });
  });
}

/** Runs `task` on every item, `limit` at a time, results in item order. */
async function pool<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const cases = readCases();
const outcomes = new Map<string, Outcome>();
let srv: TestServer;
let before: Map<string, string>;
let scratch: string;

beforeAll(async () => {
  srv = await server(EXAMPLE_SANDBOX);
  before = treeFingerprint(srv.root);
  scratch = mkdtempSync(join(tmpdir(), 'mailstate-hostile-'));
  const target = ['--vpopmail-home', srv.vpopmailHome, '--qmail-home', srv.qmailHome];
  const results = await pool(cases, CONCURRENCY, async (c): Promise<Outcome> => {
    let dir = c.source;
    if (c.make) {
      dir = join(scratch, c.slug, 'case');
      cpSync(c.source, dir, { recursive: true });
      const made = await new Promise<number | null>((resolve, reject) => {
        spawn(process.execPath, ['make.mjs'], { cwd: dir, stdio: 'inherit' }).on('error', reject).on('close', resolve);
      });
      if (made !== 0) throw new Error(`${c.slug}/make.mjs failed (exit ${made})`);
    }
    const validate = await run(['validate', '-f', 'mailstate.yaml'], dir);
    // Error cases: apply must refuse with the same message. Warning cases validate, so apply is
    // run without --yes: off a terminal it must stop before writing anything.
    const apply = await run(['apply', ...(c.exitCode === 1 ? ['--yes'] : []), '-f', 'mailstate.yaml'], dir, target);
    return { dir, validate, apply };
  });
  for (const [index, c] of cases.entries()) outcomes.set(c.slug, results[index]!);
  // Counted work (test/support/budget.ts): a fixed 2 runs per case, each killed at HANG_MS.
}, COUNTED_WORK);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Characters no message may print raw: C0 (but the newline ending each line), DEL, C1, invisible and text-direction characters. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/;
/** A crypt hash: $1$, $5$, $6$ or $2y$ with its salt. */
const CRYPT_HASH = /\$(1|5|6|2[aby])\$[./0-9A-Za-z]{2,}\$/;

describe('hostile-input corpus (test/fixtures/hostile)', () => {
  it('holds at least 70 cases, each with a non-empty expected message', () => {
    expect(cases.length).toBeGreaterThanOrEqual(70);
    for (const c of cases) expect(c.expected, c.slug).not.toBe('');
    // Warning cases are the exception, and each expects at least one warning.
    for (const c of cases.filter((x) => x.exitCode !== 1)) expect(c.expected, c.slug).toMatch(/: warning: /);
  });

  it.each(cases.map((c) => [c.slug, c] as const))('%s', (_slug, c) => {
    const { validate, apply } = outcomes.get(c.slug)!;
    for (const [name, r] of [
      ['validate', validate],
      ['apply', apply],
    ] as const) {
      expect(
        r.hung,
        `${name} was killed after ${HANG_MS / 1000} s: it waited (e.g. on a FIFO) instead of refusing`,
      ).toBe(false);
    }
    expect({ code: validate.code, signal: validate.signal, stderr: validate.stderr }).toEqual({
      code: c.exitCode,
      signal: null,
      stderr: c.expected,
    });
    expect(validate.stderr).not.toMatch(RAW_CONTROL);
    expect(validate.stderr).not.toMatch(CRYPT_HASH);
    if (c.maxMs !== undefined) {
      // CPU time, not wall time (max-ms in test/fixtures/hostile/README.md): a loaded machine stretches the latter only.
      expect(validate.cpuMs, 'validate wrote no CPU time report').toBeTypeOf('number');
      expect(
        validate.cpuMs!,
        `validate used ${Math.round(validate.cpuMs!)} ms of CPU time, more than max-ms (${c.maxMs} ms of CPU time)`,
      ).toBeLessThan(c.maxMs);
    }
    if (c.exitCode === 1) {
      // validate says how many errors; apply says that too, and that it applied nothing.
      const refused = c.expected.replace(/(errors?)\.\n$/, '$1; nothing was applied.\n');
      expect({ code: apply.code, stderr: apply.stderr }).toEqual({ code: 1, stderr: refused });
    } else {
      // Without --yes off a terminal, or for want of a readable secret: refused either way.
      expect(apply.code).toBe(1);
      expect(apply.stderr).toMatch(/nothing was (planned or )?applied\.$/im);
    }
    expect(apply.stdout).toBe('');
  });

  it('left the sandbox server untouched: no file or directory created, changed or removed', () => {
    expect(outcomes.size).toBe(cases.length);
    expect(treeFingerprint(srv.root)).toEqual(before);
  });
});

describe('reading YAML bytes: what the corpus cannot show', () => {
  const at = (bytes: number[]): string => {
    const decoded = decodeYaml(Buffer.concat([Buffer.from('version: 1\n# é '), Buffer.from(bytes), Buffer.from('\n')]));
    return 'invalid' in decoded ? `${decoded.invalid.line}:${decoded.invalid.col} ${decoded.invalid.message}` : 'valid';
  };

  it('accepts every well-formed UTF-8 sequence, U+FFFD itself included', () => {
    for (const bytes of [
      [0x41],
      [0xc3, 0xa9],
      [0xe4, 0xb8, 0xad],
      [0xef, 0xbf, 0xbd],
      [0xf0, 0x9f, 0x98, 0x80],
      [0xf4, 0x8f, 0xbf, 0xbf],
    ]) {
      expect(at(bytes), bytes.join(',')).toBe('valid');
    }
  });

  it('refuses each malformed sequence at its first byte', () => {
    const cases: Array<[number[], string]> = [
      [[0x80], '2:5 the file is not valid UTF-8 (byte 0x80); save it as UTF-8'], // lone continuation byte
      [[0xc1, 0xbf], '2:5 the file is not valid UTF-8 (byte 0xc1); save it as UTF-8'], // overlong 2-byte
      [[0xe0, 0x80, 0xaf], '2:5 the file is not valid UTF-8 (byte 0xe0); save it as UTF-8'], // overlong 3-byte "/"
      [[0xf0, 0x80, 0x80, 0xaf], '2:5 the file is not valid UTF-8 (byte 0xf0); save it as UTF-8'], // overlong 4-byte "/"
      [[0xed, 0xbf, 0xbf], '2:5 the file is not valid UTF-8 (byte 0xed); save it as UTF-8'], // surrogate
      [[0xf4, 0x90, 0x80, 0x80], '2:5 the file is not valid UTF-8 (byte 0xf4); save it as UTF-8'], // above U+10FFFF
      [[0xf8, 0x88, 0x80, 0x80, 0x80], '2:5 the file is not valid UTF-8 (byte 0xf8); save it as UTF-8'], // 5-byte form
      [[0xe4, 0xb8], '2:5 the file is not valid UTF-8 (byte 0xe4); save it as UTF-8'], // cut short by the newline
    ];
    for (const [bytes, expected] of cases) expect(at(bytes), bytes.join(',')).toBe(expected);
  });

  it('drops a byte order mark, so that columns on line 1 are those an editor shows', async () => {
    const files: Record<string, Uint8Array> = {
      '/r/mailstate.yaml': Buffer.from(
        '\ufeffversion: 1\ndomains:\n  example.com:\n    users:\n      bob: { comment: "Renée 中 😀" }\n',
      ),
    };
    const result = await loadDesired('/r/mailstate.yaml', {
      readFile: async (path) => files[path]!,
      readDir: async () => [],
    });
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(result.ok && result.value.domains.get('example.com')!.users.get('bob')!.comment).toBe('Renée 中 😀');
    files['/r/mailstate.yaml'] = Buffer.from('\ufeffversion: 2\n');
    expect(
      (
        await loadDesired('/r/mailstate.yaml', { readFile: async (path) => files[path]!, readDir: async () => [] })
      ).diagnostics.map(formatDiagnostic),
    ).toEqual(['/r/mailstate.yaml:1:10: error: version: must be 1, not 2']);
  });

  it('refuses more than MAX_YAML_BYTES however the text arrives, and accepts exactly that much', () => {
    expect(() => decodeYaml(new Uint8Array(MAX_YAML_BYTES + 1))).toThrow(
      `it is larger than 32 MiB (${MAX_YAML_BYTES + 1} bytes)`,
    );
    expect(() => decodeYaml('#'.repeat(MAX_YAML_BYTES + 1))).toThrow('it is larger than 32 MiB');
    expect(decodeYaml(new Uint8Array(MAX_YAML_BYTES).fill(0x23))).toHaveProperty('text');
  });
});
