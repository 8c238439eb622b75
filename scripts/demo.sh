#!/usr/bin/env bash
# The main job on the bundled example: build a sandbox vpopmail server from real vpopmail data
# (examples/sandbox), then validate, plan and apply mailstate.yaml against it, and plan again.
set -euo pipefail
cd "$(dirname "$0")/.."

node scripts/make-sandbox.mjs examples/sandbox sandbox
homes=(--vpopmail-home sandbox/home/vpopmail --qmail-home sandbox/var/qmail)
mailstate() { node dist/cli/bin.js "$@"; }

step() { printf '\n$ mailstate %s\n' "$*"; }

step validate
mailstate validate

step plan "${homes[@]}"
mailstate plan "${homes[@]}"

step apply --yes "${homes[@]}"
mailstate apply --yes "${homes[@]}"

step plan --detailed-exitcode "${homes[@]}"
mailstate plan --detailed-exitcode "${homes[@]}"
