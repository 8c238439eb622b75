import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach } from 'vitest';
import { HASH_SECRET6 } from './builders.js';
import { REPO } from './cli.js';
import { leakedSecrets } from './leaked-secrets.js';
import { EVENT_DEADLINE_MS } from './budget.js';

const BIN = join(REPO, 'dist/cli/bin.js');

/**
 * The bundled sandbox (examples/sandbox) as `mailstate import` describes it, without the homes
 * (tests pass --vpopmail-home and --qmail-home): planning it against a fresh sandbox finds nothing.
 */
export const SANDBOX_YAML = `version: 1
relay: ["127.", "192.168.1.", "10.0.0.5", "172.16."]
domains:
  example.com:
    users:
      alice:
        password: "$6$DxW/quTn$NylrT5Ty1QhB7rSvAphmZpcFZdqFInjOrSd/gSjQyQ5B.OWEFt3SShDCOG.6hkC6YGavJcAG5EjqKzNiL12y8/"
        forward: { to: [target@example.net] }
      bob:
        password: "$6$w/cwLqGn$VsKmVKL18VnECPGord/VoamBT6F.KWCt4OgGBFzXH7I5CKhqhYTXlh1fpWqMvcw9tneG/xFFRVoQhzQ75nujo."
        forward: { to: [bob@example.net] }
      john.doe:
        password: "$6$nejI0ZuL$NWNuAsBz9zntbQ1Uzjm6LrAI6Cs3BF1YKgJSDNb7m/Z.ooowJuTv/IttJciWB5TTFEOQlxxvtMIcc.mwBXGm31"
        forward: { to: [jd@example.net] }
      postmaster:
        password: "$6$uKhqVCH/$GkB8P2kHtGlWe0bLrzrHJyNagLtX43tOFS6vW2L8WjMwOklu5VP1o9qHurabzO1xWenX7ZUuO9WKk9r25uApn."
    aliases:
      dot.upper: [x@example.net]
      info: [alice@example.com, external@example.net]
      mixedcase: [x@example.net]
      with-dash: [x@example.net]
  example.org:
    users:
      postmaster:
        password: "$6$PfNYxyMQ$X5IxPbCXz7lh7581fstxpG.JMYD.g45EJn4owKZAhvZMruTh.zyeqAdgr1r.Ez1KHde61/bxumlD77vZkeHfe/"
`;

/** The YAML with one more user in example.com (password `secret6`). */
export function withUser(yaml: string, name: string, extra = ''): string {
  return yaml.replace(
    '  example.com:\n    users:\n',
    `  example.com:\n    users:\n      ${name}: { password: "${HASH_SECRET6}"${extra} }\n`,
  );
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = 'mailstate-gitops-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** A real git repository in a temp dir, committing as a fixed identity. */
export class TestRepo {
  readonly dir: string;
  constructor(dir: string = tempDir('mailstate-repo-'), init = true) {
    this.dir = dir;
    if (init) {
      this.git('init', '--quiet', '--initial-branch=main');
      this.git('config', 'user.name', 'Test');
      this.git('config', 'user.email', 'test@example.com');
      this.git('config', 'commit.gpgsign', 'false');
    }
  }

  git(...args: string[]): string {
    return execFileSync('git', args, {
      cwd: this.dir,
      encoding: 'utf8',
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' },
    });
  }

  write(files: Record<string, string>): void {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(this.dir, path)), { recursive: true });
      writeFileSync(join(this.dir, path), text);
    }
  }

  read(path: string): string {
    return readFileSync(join(this.dir, path), 'utf8');
  }

  /** Writes the files, commits everything, returns the new commit id. */
  commit(files: Record<string, string>, message = 'change'): string {
    this.write(files);
    this.git('add', '--all');
    this.git('commit', '--quiet', '--allow-empty', '-m', message);
    return this.head();
  }

  head(): string {
    return this.git('rev-parse', 'HEAD').trim();
  }
}

export type LogEvent = Record<string, unknown> & { event: string; time?: string };

/** A running `mailstate watch`, its output line by line, and ways to wait for what it says. */
export class WatchProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private partial = '';
  /** Called on every new line and on exit, by the waits in progress. */
  private readonly listeners = new Set<() => void>();

  constructor(args: string[], options: { cwd: string; env?: Record<string, string> }) {
    this.child = spawn(process.execPath, [BIN, 'watch', ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop()!;
      this.lines.push(...parts);
      if (parts.length > 0) for (const listener of [...this.listeners]) listener();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        resolve(code);
        for (const listener of [...this.listeners]) listener();
      }),
    );
    running.add(this);
  }

  /** The JSON log lines parsed (with --log-format json). */
  events(): LogEvent[] {
    return this.lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogEvent);
  }

  /** Resolves with the first log line that satisfies `test` once it is written; fails if the watcher exits first, or after `timeoutMs`, with everything logged so far. */
  waitForLine(test: (line: string) => boolean, what: string, timeoutMs = EVENT_DEADLINE_MS): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle(`no log line for ${what} within ${timeoutMs / 1000} s`), timeoutMs);
      const settle = (failure?: string): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (failure === undefined) return;
        reject(
          new Error(
            `${failure} (exit ${this.child.exitCode}).\nstdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`,
          ),
        );
      };
      const check = (): void => {
        const found = this.lines.find(test);
        if (found !== undefined) {
          settle();
          resolve(found);
        } else if (this.child.exitCode !== null || this.child.signalCode !== null)
          settle(`the watcher exited before logging ${what}`);
      };
      this.listeners.add(check);
      check();
    });
  }

  async waitFor(test: (event: LogEvent) => boolean, what: string, timeoutMs = EVENT_DEADLINE_MS): Promise<LogEvent> {
    const line = await this.waitForLine((l) => l.startsWith('{') && test(JSON.parse(l) as LogEvent), what, timeoutMs);
    return JSON.parse(line) as LogEvent;
  }

  /** Sends a signal and waits (bounded) for the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = EVENT_DEADLINE_MS): Promise<number | null> {
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`watch did not exit within ${timeoutMs / 1000} s of ${signal}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}

const running = new Set<WatchProcess>();
afterEach(async () => {
  const leaks: string[] = [];
  for (const watch of running) {
    if (watch.child.exitCode === null && watch.child.signalCode === null) {
      watch.child.kill('SIGKILL');
      await watch.exited;
    }
    leaks.push(...leakedSecrets(`${watch.lines.join('\n')}\n${watch.stderr}`));
  }
  running.clear();
  // Every watch log of the suite is also checked for password hashes and clear texts.
  if (leaks.length > 0)
    throw new Error(
      `mailstate watch logged a secret: ${leaks.map((s) => JSON.stringify(`${s.slice(0, 12)}…`)).join(', ')}`,
    );
});

export { eventually } from './budget.js';

export function homes(srv: { vpopmailHome: string; qmailHome: string }): string[] {
  return ['--vpopmail-home', srv.vpopmailHome, '--qmail-home', srv.qmailHome];
}
