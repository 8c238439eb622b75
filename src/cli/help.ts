/**
 * The overview `mailstate help` prints: one synopsis per command. Every option, with what it does
 * and the command's exit codes, is in `mailstate COMMAND --help`, rendered from the same option
 * specs the command parses (src/cli/args.ts), so the two cannot disagree.
 */
export const HELP = `mailstate: declarative state for vpopmail/qmail mail servers

Usage:
  mailstate validate [-f FILE]
  mailstate plan     [-f FILE] [--format text|markdown|json] [--detailed-exitcode] [--out PLAN.json]
                     [--live SNAPSHOT.json [--key-file FILE] | --base REF]
  mailstate apply    [-f FILE] [--driver files|vpopmail|auto] [--yes] [--force] [--expect-digest SHA256] [PLAN.json]
  mailstate import   [-o FILE] [--domain D ...]
  mailstate snapshot [-o FILE]
  mailstate watch    [--repo DIR] [--branch main] [-f FILE] [--pull-interval SECONDS] [--remote origin]
                     [--resync-interval SECONDS] [--no-self-heal] [--record-notes] [--log-format text|json]
                     [--debounce SECONDS] [--driver NAME]
  mailstate status   [--vpopmail-home DIR] [--repo DIR]
  mailstate place    [-f FILE] [--check] [--base REF] [--explain USER@DOMAIN]
  mailstate release  USER@DOMAIN... --yes [-f FILE] [--server NAME]
  mailstate help [COMMAND]
  mailstate --version

Every command that reads a server takes --vpopmail-home DIR, --qmail-home DIR and --domain-base DIR.
With servers: in the YAML (a fleet), plan, apply, watch and status take --server NAME (or MAILSTATE_SERVER);
apply and watch need --allow-moves for a plan that moves users between servers.
Run "mailstate COMMAND --help" for all of its options and its exit codes.

Environment:
  MAILSTATE_KEY          plan --live: the server's snapshot key (the content of ~vpopmail/etc/mailstate.key)
  MAILSTATE_SERVER       with servers: in the YAML, which server this is (when --server is not given)
  NO_COLOR               when set (to anything but ""), plans are never coloured

Exit codes:
  0  success (plan: no changes, or changes without --detailed-exitcode; apply: applied or nothing to do;
     watch: stopped by SIGTERM/SIGINT; status: the branch tip is applied and the live state matches it)
  1  error: invalid input, unreadable live state, a plan that cannot be made safely,
     a refused or failed apply (it names the failed step and what was already applied)
  2  plan --detailed-exitcode: there are changes; status: the live state drifted from the applied commit
  3  status: the branch tip is not applied (refused, invalid, failed, or not reached yet)
`;
