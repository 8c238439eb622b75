#!/usr/bin/env bash
# Everything a fresh machine needs before the demo or the tests: npm packages, the Debian tools
# the tests use as independent judges (tcprules from ucspi-tcp, cdb from tinycdb), and the build.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

if ! command -v tcprules >/dev/null 2>&1 || ! command -v cdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ucspi-tcp tinycdb >/dev/null
  else
    echo "mailstate: the tests need tcprules and cdb: run 'sudo apt-get install ucspi-tcp tinycdb'" >&2
    exit 1
  fi
fi

npx tsc -p tsconfig.json
