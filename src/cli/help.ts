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
  mailstate help

Options:
  -f, --file FILE        desired state (default: mailstate.yaml; for watch, relative to --repo)
  --vpopmail-home DIR    override vpopmail.home from the YAML (default /home/vpopmail)
  --qmail-home DIR       override qmail.home from the YAML (default /var/qmail)
  --domain-base DIR      also act on domains below DIR/domains (made with vadddomain -d DIR);
                         repeatable. Without it a users/assign directory outside
                         ~vpopmail/domains is refused
  --format FORMAT        plan output: text (default), markdown (a pull-request comment), json
  --detailed-exitcode    plan exits 2 when there are changes
  --live SNAPSHOT.json   plan: against a snapshot instead of the server (CI); compares password
                         hashes with the key from MAILSTATE_KEY (hex) or --key-file, and reports
                         passwords it cannot compare as "(not comparable from a snapshot)"
  --base REF             plan: what the working tree changes against the YAML committed at REF
                         (e.g. origin/main); reads no server; passwords compare by reference
  --driver NAME          apply: files (write vpopmail's files), vpopmail (run ~vpopmail/bin), auto (default)
  --yes                  apply without asking (required when not on a terminal)
  --force                apply even when a domain is over policy.maxChangePercent
  --expect-digest SHA    apply: refuse unless the plan has this sha256 digest (from a reviewed plan)
  PLAN.json              apply: refuse unless the plan is still exactly this one (from plan --out)
  -o, --output FILE      import, snapshot: write here instead of standard output
  --domain D             import: only this domain (repeatable)
  --repo DIR             watch: the git working copy to follow (default: .);
                         status: use it instead of the one the watcher recorded
  --branch NAME          watch: the branch whose commits are applied (default: main)
  --pull-interval S      watch: fetch the remote every S seconds and fast-forward the branch
  --remote NAME          watch: the remote --pull-interval fetches (default: origin)
  --resync-interval S    watch: re-plan against the live state every S seconds (default 600)
  --no-self-heal         watch: report drift found on resync instead of repairing it
  --record-notes         watch: record each applied commit as a git note (refs/notes/mailstate/HOST)
  --log-format F         watch: text (default, one line per event) or json (one object per line)
  --debounce S           watch: quiet time after a ref change before applying (default 0.5)

Environment:
  MAILSTATE_KEY          plan --live: the server's snapshot key (the content of ~vpopmail/etc/mailstate.key)

Exit codes:
  0  success (plan: no changes, or changes without --detailed-exitcode; apply: applied or nothing to do;
     watch: stopped by SIGTERM/SIGINT; status: the branch tip is applied and the live state matches it)
  1  error: invalid input, unreadable live state, a plan that cannot be made safely,
     a refused or failed apply (it names the failed step and what was already applied)
  2  plan --detailed-exitcode: there are changes; status: the live state drifted from the applied commit
  3  status: the branch tip is not applied (refused, invalid, failed, or not reached yet)
`;
