import type { BalanceReport, PlacementMove } from '../fleet/report.js';

/** A signed percentage with one decimal, as the distribution table shows it. */
export function percent(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(1)} %`;
}

/** The distribution table: one row per server. */
export function renderBalance(report: BalanceReport): string[] {
  const header = ['server', 'weight', 'users', 'fair share', 'deviation', 'mailboxes'];
  const rows = report.rows.map((row) => [
    row.server,
    String(row.weight),
    String(row.users),
    row.fairShare.toFixed(1),
    percent(row.deviationPercent),
    String(report.mailboxes.get(row.server) ?? 0),
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    `  ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}`;
  return [
    `${report.hashedUsers} spread user${report.hashedUsers === 1 ? '' : 's'} over ${report.rows.length} servers; the fullest is ${percent(report.worst)} above its fair share (allowed: ${report.allowed.toFixed(1)} %).`,
    line(header),
    ...rows.map(line),
    '  (users: placed by the hash; mailboxes: every mailbox the server holds, pinned users, whole domains and postmasters included)',
  ];
}

export function renderMoves(moves: readonly PlacementMove[], ref: string): string[] {
  if (moves.length === 0) return [`No user moves to another server against ${ref}.`];
  return [
    `${moves.length} user${moves.length === 1 ? '' : 's'} move${moves.length === 1 ? 's' : ''} to another server against ${ref}:`,
    ...moves.map((move) => `  ${move.address}: ${move.from} -> ${move.to}`),
  ];
}
