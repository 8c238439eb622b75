#!/usr/bin/env bash
# mailstate: plan a pull request and write it as one Markdown comment, in any CI.
#
# Copy this file into your mail-configuration repository (e.g. as ci/plan-pr.sh) and run it from
# the repository root on every pull request. It validates the YAML, then plans:
#   - against the server, from a snapshot, when one is available (SNAPSHOT_FILE, or SNAPSHOT_SSH:
#     an SSH login whose forced command is "mailstate snapshot"): this is what the watcher will do;
#   - otherwise against the base branch (git only): what the pull request changes in the YAML.
#
# Environment (all optional):
#   MAILSTATE       the command that runs mailstate          (default: mailstate)
#   MAILSTATE_FILE  the desired-state file                   (default: mailstate.yaml)
#   BASE_REF        the branch the pull request merges into  (default: origin/main)
#   SNAPSHOT_FILE   a snapshot fetched already (wins over SNAPSHOT_SSH)
#   SNAPSHOT_SSH    user@host to fetch a snapshot from with ssh
#   MAILSTATE_KEY   the server's snapshot key (hex); without it hashes are "not comparable"
#   PLAN_MD         where to write the comment               (default: plan.md)
#   PLAN_JSON       where to write the JSON plan             (default: plan.json)
#
# Exit status: 0 a plan was written (with or without changes; "changes=yes|no" is printed),
# 1 the YAML is invalid or planning failed (the errors are in the log, and in the comment).
set -uo pipefail

read -r -a mailstate <<< "${MAILSTATE:-mailstate}"
file=${MAILSTATE_FILE:-mailstate.yaml}
base=${BASE_REF:-origin/main}
md=${PLAN_MD:-plan.md}
json=${PLAN_JSON:-plan.json}
errors=$(mktemp)
trap 'rm -f "$errors" "${fetched:-}"' EXIT

fail() {
  {
    echo '## mailstate plan'
    echo
    echo "**$1**"
    echo
    echo '```'
    cat "$errors"
    echo '```'
  } > "$md"
  cat "$errors" >&2
  echo "changes=unknown"
  exit 1
}

"${mailstate[@]}" validate -f "$file" >&2 2> "$errors" || fail "$file does not validate: nothing can be planned."

snapshot=${SNAPSHOT_FILE:-}
if [ -z "$snapshot" ] && [ -n "${SNAPSHOT_SSH:-}" ]; then
  fetched=$(mktemp)
  # A forced command on the server ignores the command given here; without one, this one runs.
  if ssh -o BatchMode=yes "$SNAPSHOT_SSH" mailstate snapshot > "$fetched" 2> "$errors"; then
    snapshot=$fetched
  else
    echo "warning: no snapshot from $SNAPSHOT_SSH ($(head -n 1 "$errors")); planning against $base instead" >&2
  fi
fi

if [ -n "$snapshot" ]; then
  against=(--live "$snapshot")
else
  against=(--base "$base")
fi

"${mailstate[@]}" plan -f "$file" "${against[@]}" --format markdown --out "$json" --detailed-exitcode > "$md" 2> "$errors"
status=$?
cat "$errors" >&2
case $status in
  0) echo "changes=no" ;;
  2) echo "changes=yes" ;;
  *) fail "mailstate plan failed." ;;
esac
exit 0
