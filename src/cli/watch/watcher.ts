import { join } from 'node:path';
import type { FSWatcher } from 'chokidar';
import { pullFastForward, type PullResult } from '../../git/fast-forward.js';
import { resolveCommit, type Repo } from '../../git/repo.js';
import { convergeCommit, inEffectAfter, type ConvergeResult } from '../../reconcile/index.js';
import { decide, remember, type WatchMemory } from './decide.js';
import { fleetNotesRefspecs } from '../../git/notes.js';
import { eitherEvidence, peerEvidenceFromNotes } from '../../fleet/peers.js';
import { deservesNote, movesWaiting, recordReconcileNote } from './git-note.js';
import type { Trigger } from './log.js';
import { afterPull } from './pull.js';
import { reconcileEvent, reconcileRecord } from './reconcile-outcome.js';
import { watchRepository } from './ref-watcher.js';
import type { ReconcileRecord } from './state-file.js';
import { stateStore, type StateStore } from './state-store.js';
import { compareWorkingCopy } from './uncommitted.js';
import { startEvent, type WatcherOptions } from './watcher-options.js';

type Converged = { result: ConvergeResult; record: ReconcileRecord };

/** How long to wait before trying again when another apply holds the lock. */
const BUSY_RETRY_MS = 5000;

/**
 * Follows one branch of a git repository and keeps the server at its newest commit: the lifecycle
 * (start, timers, file events, stop on a signal) around the ordinary pipeline, which it only
 * re-runs; what to converge to is `decide`'s. Reconciles run one at a time; events that arrive
 * meanwhile are merged into the next. A class, because stop() must clear every timer and wait for
 * the reconcile and pull in flight, whichever of them are running.
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
  private memory: WatchMemory = { lastTip: undefined, inEffect: undefined, invalidCommits: new Set() };
  private readonly states: StateStore;
  /** The last uncommitted edit pointed out: the same one is not pointed out again on every save. */
  private lastUncommittedNotice: string | undefined;
  /** The last pull problem logged: the same one is not logged again every interval. */
  private lastPullProblem: string | undefined;
  /** Moves the last reconcile held back for want of evidence: a new note of a peer may be it. */
  private waitingMoves = 0;

  constructor(options: WatcherOptions) {
    this.options = options;
    this.repo = options.repo;
    this.states = stateStore(
      { repo: options.repo.root, branch: options.branch, file: options.file, host: options.host },
      options.emit,
    );
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Starts watching; the first reconcile (of the current branch tip) is queued at once. */
  async start(): Promise<void> {
    const { options } = this;
    if (options.overrides.vpopmailHome !== undefined)
      this.learnHomes(options.overrides.vpopmailHome, options.overrides.qmailHome ?? '/var/qmail');
    options.emit(startEvent(options));
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
    this.fsWatcher = await watchRepository(this.repo, join(this.repo.root, this.options.file), {
      refs: () => this.enqueue('commit', this.options.debounceMs),
      notes: () => {
        if (this.waitingMoves > 0) this.enqueue('retry', this.options.debounceMs);
      },
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
        // The other servers' notes come with the branch: a move-out waits for its destination's.
        const notes = fleetNotesRefspecs(this.options.host);
        this.reportPull(await pullFastForward(this.repo, this.options.remote, this.options.branch, notes));
      } catch (error) {
        this.reportPull(error as Error);
      } finally {
        this.pulling = undefined;
      }
    })();
    await this.pulling;
  }

  private reportPull(result: PullResult | Error): void {
    const step = afterPull(result, this.lastPullProblem);
    this.lastPullProblem = step.problem;
    if (step.event) this.options.emit(step.event);
    if (step.moved) this.enqueue('pull', this.options.debounceMs);
  }

  /** A saved commit in effect is taken only while none is known: what this run found is newer. */
  private learnHomes(vpopmailHome: string, qmailHome: string): void {
    const saved = this.states.learnHomes(vpopmailHome, qmailHome);
    if (saved !== undefined && this.memory.inEffect === undefined) this.memory = { ...this.memory, inEffect: saved };
  }

  /** One reconcile: decide what to converge to, run the pipeline, log one line, record it. */
  private async reconcile(triggers: Set<Trigger>): Promise<void> {
    const tip = await this.branchTip(triggers);
    if (!tip) return;
    const decision = decide(this.memory, tip, triggers);
    // The tip counts as seen even when nothing is converged to: the next ref event must move it.
    this.memory = { ...this.memory, lastTip: tip };
    if (decision.kind === 'skip') return;
    const { result, record } = await this.converge(decision.target, decision.trigger);
    this.waitingMoves = movesWaiting(result);
    this.memory = remember(this.memory, tip, decision.target, result.outcome, this.waitingMoves);
    // Saved before it is logged: whoever reads the log line and then runs `mailstate status` sees it.
    this.states.save(record, { inEffect: inEffectAfter(result.outcome), tip });
    this.options.emit(reconcileEvent(record, result));
    if (result.outcome === 'busy') this.retrySoon();
    if (this.options.recordNotes && deservesNote(result))
      await recordReconcileNote(this.repo, this.options.host, this.options.remote, record, result, this.options.emit);
  }

  /** The branch tip now; undefined (said once, at start) while the branch does not exist. */
  private async branchTip(triggers: Set<Trigger>): Promise<string | undefined> {
    const { options } = this;
    const tip = await resolveCommit(this.repo, `refs/heads/${options.branch}`).catch((error: Error) => {
      options.emit({ event: 'error', reason: error.message });
      return undefined;
    });
    if (!tip && triggers.has('start'))
      options.emit({ event: 'error', reason: `${this.repo.root} has no branch ${options.branch} yet: waiting for it` });
    return tip;
  }

  private async converge(target: string, trigger: Trigger): Promise<Converged> {
    const { options } = this;
    const started = Date.now();
    // What the other servers noted on this very commit is evidence of the mailboxes it gives them.
    const fromNotes = await peerEvidenceFromNotes(this.repo, target, options.host);
    const peers = options.peers ? eitherEvidence(options.peers, fromNotes) : fromNotes;
    const result = await convergeCommit({
      repo: this.repo,
      commit: target,
      file: options.file,
      overrides: options.overrides,
      env: options.env,
      driver: options.driver,
      selfHeal: options.selfHeal,
      allowMoves: options.allowMoves ?? false,
      peers,
      alreadyInEffect: (desired) => {
        // Only now is the saved state known: it lives under the vpopmail home the YAML names.
        this.learnHomes(desired.vpopmailHome, desired.qmailHome);
        return target === this.memory.inEffect;
      },
    });
    return { result, record: reconcileRecord(target, trigger, result, this.now(), Date.now() - started) };
  }

  private retrySoon(): void {
    if (this.stopping) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.enqueue('retry', 0), BUSY_RETRY_MS);
  }

  private checkUncommittedSoon(): void {
    if (this.stopping) return;
    clearTimeout(this.fileDebounce);
    this.fileDebounce = setTimeout(() => void this.checkUncommitted(), this.options.debounceMs);
  }

  /** Says once per distinct edit that the working tree differs from what is committed, and is ignored. */
  private async checkUncommitted(): Promise<void> {
    try {
      const copy = await compareWorkingCopy(this.repo, this.options.branch, this.options.file);
      if (copy.kind === 'no-branch') return;
      if (copy.kind === 'as-committed') {
        this.lastUncommittedNotice = undefined;
        return;
      }
      if (copy.edit === this.lastUncommittedNotice || this.stopping) return;
      this.lastUncommittedNotice = copy.edit;
      this.options.emit({ event: 'uncommitted', file: this.options.file, commit: copy.tip });
    } catch (error) {
      this.options.emit({ event: 'error', reason: (error as Error).message });
    }
  }
}
