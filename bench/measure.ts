/**
 * Runs one command as a fresh process and measures it from the outside: wall time around the
 * spawn, peak RSS from the OS (GNU time's %M, i.e. getrusage of the child). Without GNU time a
 * node command reports its own `process.resourceUsage().maxRSS` through a preloaded module.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RunResult {
  wallMs: number;
  /** Peak resident set size in MiB, when the OS could tell. */
  rssMb: number | undefined;
  code: number | null;
  stdout: string;
  stderr: string;
}

const GNU_TIME = '/usr/bin/time';
const RSS_PRELOAD = fileURLToPath(new URL('./rss-preload.js', import.meta.url));

let gnuTime: boolean | undefined;

/** Whether /usr/bin/time is GNU time (it takes -f and -o). */
export function hasGnuTime(): boolean {
  gnuTime ??= existsSync(GNU_TIME) && spawnSync(GNU_TIME, ['-f', '%M', '-o', '/dev/null', 'true']).status === 0;
  return gnuTime;
}

export function rssSource(): string {
  return hasGnuTime()
    ? 'GNU time %M (getrusage of the child)'
    : 'process.resourceUsage().maxRSS via a preload (node processes only)';
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs argv (argv[0] is `node` for our processes) and measures it. */
export async function runTimed(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const scratch = mkdtempSync(join(tmpdir(), 'mailstate-bench-'));
  const rssFile = join(scratch, 'rss');
  let command: string[];
  const env = { ...process.env, ...options.env };
  if (hasGnuTime()) command = [GNU_TIME, '-f', '%M', '-o', rssFile, ...argv];
  else if (argv[0] === process.execPath || argv[0] === 'node') {
    command = [argv[0], '--import', RSS_PRELOAD, ...argv.slice(1)];
    env.MAILSTATE_BENCH_RSS_FILE = rssFile;
  } else command = [...argv];
  try {
    const started = process.hrtime.bigint();
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(command[0]!, command.slice(1), { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', reject);
      child.on('close', (code) =>
        resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
      );
    });
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    const rssKb = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) : NaN;
    return { wallMs, rssMb: Number.isFinite(rssKb) ? rssKb / 1024 : undefined, ...result };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
