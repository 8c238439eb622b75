/** The benchmark's results: one row per measured command, printed as a table or as JSON. */

export interface Row {
  id: string;
  title: string;
  users?: number;
  runs: number;
  /** Every timed run, in milliseconds. */
  samplesMs: number[];
  medianMs: number;
  /** Largest peak RSS over the timed runs, in MiB. */
  rssMb?: number;
  /** Time per user in microseconds (median wall / users). */
  perUserUs?: number;
  /** The floor this row is held to, in words, and whether it held. */
  floor?: string;
  pass?: boolean;
  notes: string[];
}

export interface Report {
  machine: { cpus: number; cpuModel: string; node: string; platform: string; rssSource: string };
  settings: { scale: number; runs: number; warmup: number };
  rows: Row[];
  /** Assertions beyond the floors (counts, byte identity, no writes); a failed one fails the run. */
  checks: Array<{ name: string; pass: boolean; detail: string }>;
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`;
}

/** A Markdown table (readable in a terminal, pasteable into the README). */
export function renderTable(report: Report): string {
  const header = ['scenario', 'users', 'median', 'peak RSS', 'µs/user', 'floor', ''];
  const lines = report.rows.map((row) => [
    row.title,
    row.users === undefined ? '' : row.users.toLocaleString('en-US'),
    seconds(row.medianMs),
    row.rssMb === undefined ? 'n/a' : `${row.rssMb.toFixed(0)} MB`,
    row.perUserUs === undefined ? '' : row.perUserUs.toFixed(1),
    row.floor ?? '',
    row.pass === undefined ? '' : row.pass ? 'ok' : 'MISSED',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i]!.length)));
  const right = [false, true, true, true, true, false, false];
  const format = (cells: string[]): string =>
    `| ${cells.map((cell, i) => pad(cell, widths[i]!, right[i])).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  const out = [format(header), rule, ...lines.map(format)];
  const notes = report.rows.flatMap((row) => row.notes.map((note) => `- ${row.title}: ${note}`));
  const checks = report.checks.map((check) => `- [${check.pass ? 'ok' : 'FAILED'}] ${check.name}: ${check.detail}`);
  const m = report.machine;
  return [
    `Machine: ${m.cpus} × ${m.cpuModel}, Node ${m.node} (${m.platform}); peak RSS from ${m.rssSource}.`,
    `Medians of ${report.settings.runs} timed runs after ${report.settings.warmup} warm-up run(s), each a fresh process; scale ${report.settings.scale}.`,
    '',
    ...out,
    ...(checks.length > 0 ? ['', 'Checks:', ...checks] : []),
    ...(notes.length > 0 ? ['', 'Notes:', ...notes] : []),
  ].join('\n');
}
