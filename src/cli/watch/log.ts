import type { PlanSummary } from '../../model/change.js';
import { shortCommit } from '../../git/repo.js';
import { summaryCounts } from '../../render/text.js';
import type { ConvergeOutcome } from '../../reconcile/index.js';

export type LogFormat = 'text' | 'json';

/** What started a reconcile. */
export type Trigger = 'start' | 'commit' | 'pull' | 'resync' | 'retry';

/**
 * How one reconcile ended. `applied` (with `drift: true` when it repaired drift on a commit
 * already applied), `no-changes`, `drift` (found and, with --no-self-heal, only reported),
 * `invalid` (the committed YAML does not validate), `refused` (a safety check or conflict stopped
 * it), `busy` (another apply holds the lock; retried), `failed` (a step failed mid-apply), `error`.
 */
export type Outcome = ConvergeOutcome;

export type WatchEvent =
  | {
      event: 'start';
      repo: string;
      branch: string;
      file: string;
      resyncSeconds: number;
      pullSeconds?: number;
      selfHeal: boolean;
    }
  | {
      event: 'reconcile';
      commit: string;
      trigger: Trigger;
      outcome: Outcome;
      durationMs: number;
      counts?: PlanSummary;
      drift?: boolean;
      digest?: string;
      reason?: string;
      diagnostics?: string[];
      /** Changes over policy.maxChangePercent let through only because their set is small. */
      exemptions?: string[];
    }
  | { event: 'pull'; outcome: 'fast-forwarded' | 'refused' | 'failed'; from?: string; to?: string; reason?: string }
  | { event: 'uncommitted'; file: string; commit: string }
  | {
      event: 'note';
      commit: string;
      outcome: 'recorded' | 'failed' | 'push-failed';
      ref?: string;
      /** The remote the notes ref was pushed to. */
      pushed?: string;
      reason?: string;
    }
  | { event: 'stop'; outcome: 'stopping' | 'stopped'; signal?: string; waiting?: boolean }
  | { event: 'error'; reason: string };

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

const OUTCOME_WORDS: Record<Outcome, string> = {
  applied: 'applied',
  'no-changes': 'in sync',
  drift: 'drift',
  invalid: 'invalid',
  refused: 'refused',
  busy: 'busy',
  failed: 'failed',
  error: 'error',
};

function reconcileText(e: Extract<WatchEvent, { event: 'reconcile' }>): string {
  const head = `${OUTCOME_WORDS[e.outcome]} ${shortCommit(e.commit)} (${e.trigger}${e.drift ? ', drift repaired' : ''}) in ${e.durationMs} ms`;
  switch (e.outcome) {
    case 'applied':
      return `${head}: ${summaryCounts(e.counts!)}`;
    case 'no-changes':
      return `${head}: no changes`;
    case 'drift':
      return `${head}: ${summaryCounts(e.counts!)}; not repaired (--no-self-heal)`;
    default: {
      const problems = (e.diagnostics ?? []).filter((line) => line.includes(' error: '));
      return `${head}: ${[...problems, e.reason ?? ''].filter(Boolean).join('; ')}`;
    }
  }
}

/** The human form of an event: a time stamp, then one line of text. */
export function eventText(e: WatchEvent): string {
  switch (e.event) {
    case 'start':
      return (
        `watching ${e.repo} branch ${e.branch}, file ${e.file}: resync every ${e.resyncSeconds} s` +
        `${e.selfHeal ? '' : ' (drift only reported)'}${e.pullSeconds === undefined ? '' : `, pull every ${e.pullSeconds} s`}`
      );
    case 'reconcile':
      return reconcileText(e);
    case 'pull':
      return e.outcome === 'fast-forwarded'
        ? `pulled: fast-forwarded ${e.from ? shortCommit(e.from) : '(none)'} -> ${shortCommit(e.to!)}`
        : `pull ${e.outcome}: ${e.reason}`;
    case 'uncommitted':
      return `uncommitted change to ${e.file} ignored: only what is committed is applied (the branch is at ${shortCommit(e.commit)})`;
    case 'note':
      if (e.outcome === 'recorded')
        return `git note recorded on ${shortCommit(e.commit)} (${e.ref}${e.pushed ? `, pushed to ${e.pushed}` : ''})`;
      return e.outcome === 'push-failed'
        ? `git note recorded on ${shortCommit(e.commit)} (${e.ref}), but not pushed: ${e.reason}`
        : `git note on ${shortCommit(e.commit)} failed: ${e.reason}`;
    case 'stop':
      return e.outcome === 'stopped'
        ? 'stopped'
        : `stopping on ${e.signal}${e.waiting ? ': finishing the reconcile in progress' : ''}`;
    case 'error':
      return `error: ${e.reason}`;
  }
}

const WARNING = /^(.*?: )?warning: /;

/**
 * The plan's warnings (an unmanaged file that still delivers into a mailbox being archived, a
 * small set let through by its size…), one line each after the reconcile's own line. A resync that
 * found nothing to do would repeat them every interval, so it does not; the JSON log always has them.
 */
function warningLines(e: WatchEvent): string[] {
  if (e.event !== 'reconcile' || (e.outcome === 'no-changes' && e.trigger === 'resync')) return [];
  const warnings = (e.diagnostics ?? []).flatMap((line) => {
    const match = WARNING.exec(line);
    return match ? [`${match[1] ?? ''}${line.slice(match[0].length)}`] : [];
  });
  return [...warnings, ...(e.exemptions ?? [])].map((text) => `warning for ${shortCommit(e.commit)}: ${text}`);
}

/**
 * Human text (a time stamp, then one line, then a line per warning of a reconcile), or one JSON
 * object with a `time` field first.
 */
export function formatEvent(e: WatchEvent, format: LogFormat, time: Date): string {
  if (format === 'json') return JSON.stringify({ time: time.toISOString(), ...e });
  const stamp = time.toISOString();
  return [eventText(e), ...warningLines(e)].map((line) => `${stamp} ${oneLine(line)}`).join('\n');
}
