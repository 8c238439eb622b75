import type { BalanceReport } from '../fleet/report.js';
import type { Plan } from '../model/change.js';
import { inert } from '../model/display.js';
import { renderBalance } from './balance.js';
import { planToJson } from './json.js';
import { markdownInert, renderMarkdown } from './markdown.js';
import { renderText, type TextOptions } from './text.js';

/** What `plan --fleet` shows: each server's plan, the distribution, and the moves across servers. */
export interface FleetPlanView {
  servers: Array<{ server: string; plan: Plan; against: string }>;
  balance: BalanceReport;
}

/** A move as one server plans it. */
export interface FleetMove {
  server: string;
  kind: 'move-in' | 'move-out';
  address: string;
  /** The other end: where it comes from (move-in) or goes to (move-out). */
  other: string;
}

export function fleetMoves(view: FleetPlanView): FleetMove[] {
  return view.servers.flatMap(({ server, plan }) =>
    plan.changes.flatMap((change): FleetMove[] => {
      if (change.kind === 'move-in')
        return [{ server, kind: 'move-in', address: `${change.user.name}@${change.domain}`, other: change.from }];
      if (change.kind === 'move-out')
        return [{ server, kind: 'move-out', address: `${change.name}@${change.domain}`, other: change.to }];
      return [];
    }),
  );
}

function moveLines(moves: readonly FleetMove[]): string[] {
  if (moves.length === 0) return ['No user moves between servers in this plan.'];
  return [
    `${moves.length} move${moves.length === 1 ? '' : 's'} between servers (apply needs --allow-moves):`,
    ...moves.map((m) =>
      m.kind === 'move-in'
        ? `  ${inert(m.server)}: ${inert(m.address)} moves in from ${inert(m.other)}`
        : `  ${inert(m.server)}: ${inert(m.address)} moves out to ${inert(m.other)}`,
    ),
  ];
}

export function renderFleetText(view: FleetPlanView, options: TextOptions): string {
  const sections = view.servers.map(
    ({ server, plan, against }) =>
      `=== ${inert(server)} (planned against ${inert(against)}) ===\n\n${renderText(plan, options)}`,
  );
  return `${[...sections, `=== the fleet ===\n\n${[...renderBalance(view.balance), '', ...moveLines(fleetMoves(view))].join('\n')}\n`].join('\n')}`;
}

export function renderFleetMarkdown(view: FleetPlanView, label: string): string {
  const rows = view.balance.rows.map(
    (row) =>
      `| ${markdownInert(row.server)} | ${row.weight} | ${row.users} | ${row.fairShare.toFixed(1)} | ${row.deviationPercent >= 0 ? '+' : ''}${row.deviationPercent.toFixed(1)} % | ${view.balance.mailboxes.get(row.server) ?? 0} |`,
  );
  const head = [
    '## mailstate fleet plan',
    '',
    `${view.balance.hashedUsers} spread users; the fullest server is ${view.balance.worst.toFixed(1)} % above its fair share (allowed ${view.balance.allowed.toFixed(1)} %).`,
    '',
    '| server | weight | users | fair share | deviation | mailboxes |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    ...moveLines(fleetMoves(view)).map((line) => (line.startsWith('  ') ? `- ${line.trim()}` : line)),
    '',
  ];
  const sections = view.servers.map(({ server, plan, against }) =>
    renderMarkdown(plan, { label, against }).replace(/^## mailstate plan\n/, `### ${markdownInert(server)}\n`),
  );
  return `${head.join('\n')}\n${sections.join('\n')}`;
}

export function renderFleetJson(view: FleetPlanView): string {
  const json = {
    formatVersion: 1,
    servers: Object.fromEntries(view.servers.map(({ server, plan }) => [server, planToJson(plan)])),
    distribution: {
      hashedUsers: view.balance.hashedUsers,
      worstExcessPercent: view.balance.worst,
      allowedExcessPercent: view.balance.allowed,
      servers: view.balance.rows.map((row) => ({ ...row, mailboxes: view.balance.mailboxes.get(row.server) ?? 0 })),
    },
    moves: fleetMoves(view),
  };
  return `${JSON.stringify(json, null, 2)}\n`;
}
