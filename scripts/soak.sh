#!/usr/bin/env bash
# The fault tests at soak strength: every system call of the busy apply failed with each of five
# errno codes (about 950 faults) and MAILSTATE_KILL_ROUNDS (default 200) SIGKILLs at random
# moments of a large apply. MAILSTATE_KILL_SEED=N replays the kill timings of an earlier run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MAILSTATE_SOAK=1 MAILSTATE_KILL_ROUNDS="${MAILSTATE_KILL_ROUNDS:-200}"
exec npx vitest run test/faults --testTimeout=0
