import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FSWatcher } from 'chokidar';
import type { DriverName } from '../../apply/choose-driver.js';
import type { Overrides } from '../../desired/normalize.js';
import { pullFastForward } from '../../git/fast-forward.js';
import { recordNote } from '../../git/notes.js';
import { fileAt, resolveCommit, type Repo } from '../../git/repo.js';
import { formatDiagnostic } from '../../model/diagnostic.js';
import { planDigest } from '../../render/digest.js';
import { convergeCommit } from '../../reconcile/index.js';
import { decide } from './decide.js';
import type { Trigger, WatchEvent } from './log.js';
import { watchRepository } from './ref-watcher.js';
import {
  nextWatchState,
  readWatchState,
  watchStatePath,
  writeWatchState,
  type ReconcileRecord,
  type WatchState,
} from './state-file.js';

export interface WatcherOptions {
  repo: Repo;
  /** The desired-state file, relative to the repository root. */
  file: string;
  branch: string;
  remote: string;
  pullIntervalMs?: number;
  resyncIntervalMs: number;
  /** Quiet time after the last ref event before reconciling: a burst of commits applies once. */
  debounceMs: number;
  selfHeal: boolean;
  recordNotes: boolean;
  driver: DriverName;
  /** --vpopmail-home / --qmail-home, already absolute. */
  overrides: Overrides;
  env: Record<string, string | undefined>;
  host: string;
  emit(event: WatchEvent): void;
  now?: () => Date;
}

/** How long to wait before trying again when another apply holds the lock. */
const BUSY_RETRY_MS = 5000;

/**
 * Follows one branch of a git repository and keeps the server at its newest commit: the lifecycle
 * (start, timers, file events, stop on a signal) around the ordinary pipeline, which it only
 * re-runs. Reconciles run one at a time; events that arrive meanwhile are merged into the next.
 */
export class Watcher {
  private readonly options: WatcherOptions;
  private readonly repo: Repo;
  private fsWatcher: FSWatcher | undefined;
  private readonly intervals: NodeJS.Timeout[] = [];
  private debounce: NodeJS.Timeout | undefined;
  private fileDebounce: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private queued = new Set<Trigger>();
  private pending = new Set<Trigger>();
  private running: Promise<void> | undefined;
  private pulling: Promise<void> | undefined;
  private stopping = false;
  private stopPromise: Promise<void> | undefined;
  /** The branch tip last reconciled (whatever the outcome). */
  private lastTip: string | undefined;
  /** The commit the server is known to be at: applied, or found already in effect. */
  private inEffect: string | undefined;
  /** Commits whose YAML does not validate: never retried, and resync holds the server to `inEffect` instead. */
  private readonly invalidCommits = new Set<string>();
  private homes: { vpopmailHome: string; qmailHome: string } | undefined;
  private state: WatchState | undefined;
  private lastUncommittedNotice: string | undefined;
  /** The last pull problem logged: the same one is not logged again every interval. */
  private lastPullProblem: string | undefined;

  constructor(options: WatcherOptions) {
    this.options = options;
    this.repo = options.repo;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private get fileAbs(): string {
    return join(this.repo.root, this.options.file);
  }

  /** Starts watching; the first reconcile (of the current branch tip) is queued at once. */
  async start(): Promise<void> {
    const { options } = this;
    if (options.overrides.vpopmailHome !== undefined)
      this.learnHomes(options.overrides.vpopmailHome, options.overrides.qmailHome ?? '/var/qmail');
    options.emit({
      event: 'start',
      repo: this.repo.root,
      branch: options.branch,
      file: options.file,
      resyncSeconds: options.resyncIntervalMs / 1000,
      ...(options.pullIntervalMs === undefined ? {} : { pullSeconds: options.pullIntervalMs / 1000 }),
      selfHeal: options.selfHeal,
    });
    await this.watchFiles();
    // A signal during start-up: stop() has already run, so nothing more may be started.
    if (this.stopping) {
      await this.fsWatcher?.close();
      return;
    }
    this.intervals.push(setInterval(() => this.enqueue('resync', 0), options.resyncIntervalMs));
    if (options.pullIntervalMs !== undefined) {
      this.intervals.push(setInterval(() => void this.pull(), options.pullIntervalMs));
      void this.pull();
    }
    this.enqueue('start', 0);
    this.checkUncommittedSoon();
  }

  /**
   * Stops after the reconcile in progress, if any, has finished: a write is never cut short.
   * Idempotent; resolves once everything is closed.
   */
  stop(signal: string): Promise<void> {
    this.stopPromise ??= (async () => {
      this.stopping = true;
      this.options.emit({ event: 'stop', outcome: 'stopping', signal, waiting: this.running !== undefined });
      for (const timer of this.intervals) clearInterval(timer);
      clearTimeout(this.debounce);
      clearTimeout(this.fileDebounce);
      clearTimeout(this.retryTimer);
      await this.fsWatcher?.close();
      await this.running;
      await this.pulling;
      this.options.emit({ event: 'stop', outcome: 'stopped' });
    })();
    return this.stopPromise;
  }

  private async watchFiles(): Promise<void> {
    this.fsWatcher = await watchRepository(this.repo, this.fileAbs, {
      refs: () => this.enqueue('commit', this.options.debounceMs),
      file: () => this.checkUncommittedSoon(),
      error: (error) => this.options.emit({ event: 'error', reason: `file watcher: ${error.message}` }),
    });
  }

  private enqueue(trigger: Trigger, delayMs: number): void {
    if (this.stopping) return;
    this.queued.add(trigger);
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      for (const queued of this.queued) this.pending.add(queued);
      this.queued.clear();
      this.kick();
    }, delayMs);
  }

  private kick(): void {
    if (this.running || this.stopping) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0 && !this.stopping) {
      const triggers = new Set(this.pending);
      this.pending.clear();
      try {
        await this.reconcile(triggers);
      } catch (error) {
        this.options.emit({
          event: 'error',
          reason: `internal error (a bug; please report it): ${(error as Error).stack ?? String(error)}`,
        });
      }
    }
  }

  private async pull(): Promise<void> {
    if (this.pulling || this.stopping) return;
    this.pulling = (async () => {
      try {
        const result = await pullFastForward(this.repo, this.options.remote, this.options.branch);
        if (result.kind === 'fast-forwarded') {
          this.options.emit({
            event: 'pull',
            outcome: 'fast-forwarded',
            ...(result.from ? { from: result.from } : {}),
            to: result.to,
          });
          this.enqueue('pull', this.options.debounceMs);
        }
        if (result.kind === 'refused') this.pullProblem('refused', result.reason);
        else this.lastPullProblem = undefined;
      } catch (error) {
        this.pullProblem('failed', (error as Error).message);
      } finally {
        this.pulling = undefined;
      }
    })();
    await this.pulling;
  }

  private pullProblem(outcome: 'refused' | 'failed', reason: string): void {
    if (this.lastPullProblem === reason) return;
    this.lastPullProblem = reason;
    this.options.emit({ event: 'pull', outcome, reason });
  }

  private learnHomes(vpopmailHome: string, qmailHome: string): void {
    const known = this.homes?.vpopmailHome === vpopmailHome;
    this.homes = { vpopmailHome, qmailHome };
    if (known) return;
    try {
      const saved = readWatchState(watchStatePath(vpopmailHome));
      const same =
        saved &&
        saved.repo === this.repo.root &&
        saved.branch === this.options.branch &&
        saved.file === this.options.file;
      this.state = same ? saved : undefined;
      if (same && saved.lastApplied && this.inEffect === undefined) this.inEffect = saved.lastApplied.commit;
    } catch (error) {
      this.options.emit({
        event: 'error',
        reason: `cannot read the watch state: ${(error as Error).message}; starting afresh`,
      });
    }
  }

  /** One reconcile: decide what to converge to, run the pipeline, log one line, record it. */
  private async reconcile(triggers: Set<Trigger>): Promise<void> {
    const { options } = this;
    const tip = await resolveCommit(this.repo, `refs/heads/${options.branch}`).catch((error: Error) => {
      options.emit({ event: 'error', reason: error.message });
      return undefined;
    });
    if (!tip) {
      if (triggers.has('start'))
        options.emit({
          event: 'error',
          reason: `${this.repo.root} has no branch ${options.branch} yet: waiting for it`,
        });
      return;
    }
    const decision = decide(
      { lastTip: this.lastTip, inEffect: this.inEffect, invalidCommits: this.invalidCommits },
      tip,
      triggers,
    );
    // The tip counts as seen even when nothing is converged to: the next ref event must move it.
    this.lastTip = tip;
    if (decision.kind === 'skip') return;
    const { target, trigger } = decision;

    const started = Date.now();
    const result = await convergeCommit({
      repo: this.repo,
      commit: target,
      file: options.file,
      overrides: options.overrides,
      env: options.env,
      driver: options.driver,
      selfHeal: options.selfHeal,
      alreadyInEffect: (desired) => {
        // Only now is the saved state known: it lives under the vpopmail home the YAML names.
        this.learnHomes(desired.vpopmailHome, desired.qmailHome);
        return target === this.inEffect;
      },
    });
    const record: ReconcileRecord = {
      commit: target,
      time: this.now().toISOString(),
      outcome: result.outcome,
      trigger,
      durationMs: Date.now() - started,
      ...(result.plan ? { counts: result.plan.summary, digest: planDigest(result.plan) } : {}),
      ...(result.reason ? { reason: result.reason } : {}),
    };
    const nowInEffect = result.outcome === 'applied' || result.outcome === 'no-changes';
    if (nowInEffect) this.inEffect = target;
    if (result.outcome === 'invalid' && target === tip) this.invalidCommits.add(tip);
    // Saved before it is logged: whoever reads the log line and then runs `mailstate status` sees it.
    this.record(record, nowInEffect);
    const repaired = result.outcome === 'applied' && result.driftCheck;
    options.emit({
      event: 'reconcile',
      commit: target,
      trigger,
      outcome: result.outcome,
      durationMs: record.durationMs,
      ...(record.counts ? { counts: record.counts } : {}),
      ...(repaired ? { drift: true } : {}),
      ...(record.digest ? { digest: record.digest } : {}),
      ...(record.reason ? { reason: record.reason } : {}),
      ...(result.diagnostics.length > 0 ? { diagnostics: result.diagnostics.map(formatDiagnostic) } : {}),
    });
    if (result.outcome === 'busy') this.retrySoon();
    if (options.recordNotes && (result.outcome === 'applied' || (nowInEffect && !result.driftCheck)))
      await this.note(record);
  }

  private retrySoon(): void {
    if (this.stopping) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.enqueue('retry', 0), BUSY_RETRY_MS);
  }

  /** Saves the outcome to ~vpopmail/etc/mailstate-watch.json, once the vpopmail home is known. */
  private record(record: ReconcileRecord, inEffect: boolean): void {
    if (!this.homes) return;
    const identity = {
      repo: this.repo.root,
      branch: this.options.branch,
      file: this.options.file,
      ...this.homes,
      host: this.options.host,
    };
    this.state = nextWatchState(this.state, identity, record, { inEffect, tip: this.lastTip });
    try {
      writeWatchState(watchStatePath(this.homes.vpopmailHome), this.state);
    } catch (error) {
      this.options.emit({ event: 'error', reason: `cannot write the watch state: ${(error as Error).message}` });
    }
  }

  private async note(record: ReconcileRecord): Promise<void> {
    const counts = record.counts
      ? ` (${record.counts.add} added, ${record.counts.change} changed, ${record.counts.delete} deleted)`
      : '';
    const text = `mailstate: ${record.outcome}${counts} on ${this.options.host} at ${record.time}; plan digest ${record.digest ?? '-'}`;
    try {
      const ref = await recordNote(this.repo, record.commit, this.options.host, text);
      this.options.emit({ event: 'note', commit: record.commit, outcome: 'recorded', ref });
    } catch (error) {
      this.options.emit({ event: 'note', commit: record.commit, outcome: 'failed', reason: (error as Error).message });
    }
  }

  private checkUncommittedSoon(): void {
    if (this.stopping) return;
    clearTimeout(this.fileDebounce);
    this.fileDebounce = setTimeout(() => void this.checkUncommitted(), this.options.debounceMs);
  }

  /** Says once per distinct edit that the working tree differs from what is committed, and is ignored. */
  private async checkUncommitted(): Promise<void> {
    try {
      const tip = await resolveCommit(this.repo, `refs/heads/${this.options.branch}`);
      if (!tip) return;
      const committed = await fileAt(this.repo, tip, this.options.file);
      const working = await readFile(this.fileAbs).catch(() => undefined);
      if (working === undefined ? committed === undefined : committed !== undefined && working.equals(committed)) {
        this.lastUncommittedNotice = undefined;
        return;
      }
      const key = `${tip}\0${working?.toString('base64')}`;
      if (key === this.lastUncommittedNotice || this.stopping) return;
      this.lastUncommittedNotice = key;
      this.options.emit({ event: 'uncommitted', file: this.options.file, commit: tip });
    } catch (error) {
      this.options.emit({ event: 'error', reason: (error as Error).message });
    }
  }
}
