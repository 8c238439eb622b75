import { explainHome, placer } from '../../fleet/placement.js';
import { balanceReport, placementMoves, type PlacementMove } from '../../fleet/report.js';
import type { DesiredState } from '../../model/state.js';
import { percent, renderBalance, renderMoves } from '../../render/balance.js';
import { desiredAtRef } from '../../reconcile/index.js';
import { COMMON_OPTIONS, type CommandSpec, parseCommandArgs } from '../args.js';
import { EXIT, ExitError, type CliIo } from '../io.js';
import { loadDesiredOrExit, orExit, stderrNote, stderrReport } from '../pipeline.js';
import { staged } from '../../reconcile/refusal.js';

export const PLACE = {
  name: 'place',
  usage: '[-f FILE] [--check] [--base REF] [--explain USER@DOMAIN]',
  summary:
    "Where the users of a fleet live (servers: in the YAML): users per server against each one's fair\nshare by weight, the moves a change implies against --base, or why one user lives where it lives.\nReads no server.",
  options: {
    file: COMMON_OPTIONS.file,
    check: {
      type: 'boolean',
      default: false,
      help: 'exit 1 when a server holds more than the margin above its fair share, or when the\nchange implies moves against --base (for CI)',
    },
    base: {
      type: 'string',
      value: 'REF',
      help: 'list the users the working tree moves to another server against the YAML committed at REF',
    },
    explain: { type: 'string', value: 'USER@DOMAIN', help: 'say why this user lives on its server' },
  },
  exitCodes: [
    '0  shown; with --check: in balance and no move implied',
    '1  error, or with --check: out of balance, or moves implied against --base',
  ],
} as const satisfies CommandSpec;

function explain(desired: DesiredState, address: string): string[] {
  const at = address.lastIndexOf('@');
  const domain = desired.domains.get(address.slice(at + 1));
  const user = at > 0 ? domain?.users.get(address.slice(0, at)) : undefined;
  if (!domain || !user) throw new ExitError(`mailstate place: ${address} is not a user declared in the desired state`);
  const { server, reason } = explainHome(placer(desired.fleet!), domain, user);
  const where = (source: { file: string; line?: number; col?: number }) =>
    [source.file, source.line, source.col].filter((part) => part !== undefined).join(':');
  switch (reason.kind) {
    case 'postmaster':
      return [
        `${address} is a mailbox on every server that holds ${domain.name} (postmaster always is); the first is ${server}.`,
      ];
    case 'user-pin':
      return [`${address} lives on ${server}: pinned there by its server: (user at ${where(user.source)}).`];
    case 'domain':
      return [
        `${address} lives on ${server}: the whole domain ${domain.name} lives there (${reason.from === 'domain' ? `server: of the domain at ${where(domain.source)}` : 'defaults.placement'}).`,
      ];
    case 'hash':
      return [
        `${address} lives on ${server}: ${domain.name} is spread (${reason.from === 'domain' ? `spread: true of the domain at ${where(domain.source)}` : 'defaults.placement'}), and ${server} has the highest rendezvous score for "${address}":`,
        ...reason.scores.map((s) => `  ${s.server}  ${s.score.toFixed(6)}`),
      ];
  }
}

export async function placeCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(PLACE, argv);
  const source = { file: values.file };
  const desired = await loadDesiredOrExit(io, source, undefined, '');
  if (!desired.fleet)
    throw new ExitError(`mailstate place: ${values.file} declares no servers: (place is for a fleet of servers)`);
  if (values.explain !== undefined) {
    io.stdout(`${explain(desired, values.explain).join('\n')}\n`);
    return EXIT.ok;
  }
  const report = balanceReport(desired);
  const out = renderBalance(report);
  let moves: PlacementMove[] = [];
  if (values.base !== undefined) {
    const base = orExit(
      await staged(() =>
        desiredAtRef({ cwd: io.cwd, env: io.env, note: stderrNote(io) }, source, values.base!, stderrReport(io)),
      ),
    );
    moves = base.desired ? placementMoves(base.desired, desired) : [];
    out.push('', ...renderMoves(moves, values.base));
  }
  io.stdout(`${out.join('\n')}\n`);
  if (!values.check) return EXIT.ok;
  const problems = [
    ...(report.worst > report.allowed
      ? [
          `the placement is out of balance: ${percent(report.worst)} above a fair share, over ${report.allowed.toFixed(1)} %`,
        ]
      : []),
    ...(moves.length > 0
      ? [
          `the change moves ${moves.length} user${moves.length === 1 ? '' : 's'} between servers: review, then apply with --allow-moves`,
        ]
      : []),
  ];
  for (const problem of problems) io.stderr(`place --check: ${problem}.\n`);
  return problems.length > 0 ? EXIT.error : EXIT.ok;
}
