export const HELP = `mailstate: declarative state for vpopmail/qmail mail servers

Usage:
  mailstate validate [-f FILE]
  mailstate plan     [-f FILE] [--format text|markdown|json] [--detailed-exitcode] [--out PLAN.json]
  mailstate apply    [-f FILE] [--driver files|vpopmail|auto] [--yes] [--force] [PLAN.json]
  mailstate import   [-o FILE] [--domain D ...]
  mailstate help

Options:
  -f, --file FILE        desired state (default: mailstate.yaml)
  --vpopmail-home DIR    override vpopmail.home from the YAML (default /home/vpopmail)
  --qmail-home DIR       override qmail.home from the YAML (default /var/qmail)
  --format FORMAT        plan output: text (default), markdown (a pull-request comment), json
  --detailed-exitcode    plan exits 2 when there are changes
  --driver NAME          apply: files (write vpopmail's files), vpopmail (run ~vpopmail/bin), auto (default)
  --yes                  apply without asking (required when not on a terminal)
  --force                apply even when a domain is over policy.maxChangePercent
  PLAN.json              apply: refuse unless the plan is still exactly this one (from plan --out)
  -o, --output FILE      import: write here instead of standard output
  --domain D             import: only this domain (repeatable)

Exit codes:
  0  success (plan: no changes, or changes without --detailed-exitcode; apply: applied or nothing to do)
  1  error: invalid input, unreadable live state, a plan that cannot be made safely,
     a refused or failed apply (it names the failed step and what was already applied)
  2  plan --detailed-exitcode: there are changes
`;
