import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Sandbox, buildSandboxFromGolden, rewriteGoldenPaths } from '../../src/sandbox/build.js';

/** The golden corpus: what real vpopmail 5.6.13 wrote (test/fixtures/golden/README.md). */
export const GOLDEN = join(import.meta.dirname, '../fixtures/golden');

export const S02 = '02-vadduser';
export const S03 = '03-vmoduser';
export const S04 = '04-vsetuserquota';
export const S05 = '05-vpasswd';
export const S06 = '06-vdeluser';
export const S07 = '07-user-dir-hashing';
export const S08 = '08-valias-and-dotqmail';
export const S09 = '09-aliasdomain-and-vdeldomain';
export const S10 = '10-relay-tcprules-roaming';
export const S11 = '11-vuserinfo-vdominfo';
export const S12 = '12-error-cases';
export const S13 = '13-vmkpasswd-and-hand-edits';
export const S15 = '15-delivery-vdelivermail';
export const S16 = '16-long-domain-breaks-assign';

export const EXAMPLE_COM = '/home/vpopmail/domains/example.com';

/** A golden file's bytes: `files/<abs path>` unless `relPath` names another tree (`before/…`, `cdb/…`). */
export function goldenBytes(scenario: string, relPath: string): Buffer {
  return readFileSync(join(GOLDEN, scenario, relPath));
}

export function goldenText(scenario: string, relPath: string): string {
  return goldenBytes(scenario, relPath).toString('utf8');
}

/** The final text of a file under the scenario's `files/` tree, by its absolute path on the oracle. */
export function goldenFile(scenario: string, absPath: string): string {
  return goldenText(scenario, join('files', absPath));
}

export interface SessionStep {
  step: number;
  argv: string[];
  exit: number;
  stdout: string;
  stderr: string;
}

/** One recorded step of `session.jsonl`. */
export function sessionStep(scenario: string, step: number): SessionStep {
  for (const line of goldenText(scenario, 'session.jsonl').split('\n')) {
    if (!line) continue;
    const parsed = JSON.parse(line) as Partial<SessionStep>;
    if (parsed.step === step) return parsed as SessionStep;
  }
  throw new Error(`${scenario} has no step ${step}`);
}

const roots: string[] = [];

export interface TestSandbox extends Sandbox {
  root: string;
  /** The sandbox path of an absolute oracle path such as /home/vpopmail/domains/example.com/vpasswd. */
  path(absPath: string): string;
  /** Writes golden text (paths rewritten into the sandbox) to an absolute oracle path. */
  put(absPath: string, data: Uint8Array | string): void;
  /** Writes bytes as they are (a cdb built from already rewritten records). */
  putRaw(absPath: string, data: Uint8Array): void;
}

/** A fresh sandbox of a golden scenario in os.tmpdir(); removed by removeSandboxes(). */
export async function sandbox(scenario: string, snapshot?: string): Promise<TestSandbox> {
  const root = mkdtempSync(join(tmpdir(), 'mailstate-live-'));
  roots.push(root);
  const built = await buildSandboxFromGolden(join(GOLDEN, scenario), root, snapshot === undefined ? {} : { snapshot });
  const path = (absPath: string): string => join(root, absPath);
  const putRaw = (absPath: string, data: Uint8Array): void => {
    mkdirSync(dirname(path(absPath)), { recursive: true, mode: 0o700 });
    writeFileSync(path(absPath), data, { mode: 0o600 });
  };
  const put = (absPath: string, data: Uint8Array | string): void => {
    putRaw(absPath, rewriteGoldenPaths(typeof data === 'string' ? Buffer.from(data) : data, root));
  };
  return { ...built, root, path, put, putRaw };
}

export function removeSandboxes(): void {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
}

/**
 * The `.qmail-*` files a scenario-08 style listing step printed (`== name (mode owner size)` and
 * then the content), by file name. The size says exactly how many bytes belong to each file.
 */
export function dotQmailListing(scenario: string, step: number): Map<string, string> {
  const stdout = Buffer.from(sessionStep(scenario, step).stdout, 'utf8');
  const files = new Map<string, string>();
  let pos = 0;
  while (pos < stdout.length) {
    const headerEnd = stdout.indexOf(0x0a, pos);
    const header = /^== (\S+) \(\d+ \S+ (\d+)\)$/.exec(stdout.subarray(pos, headerEnd).toString('utf8'));
    if (!header) throw new Error(`unexpected listing line at byte ${pos} of ${scenario} step ${step}`);
    const size = Number(header[2]);
    files.set(header[1]!, stdout.subarray(headerEnd + 1, headerEnd + 1 + size).toString('utf8'));
    pos = headerEnd + 1 + size;
  }
  return files;
}
