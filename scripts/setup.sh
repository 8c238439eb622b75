#!/usr/bin/env bash
# Everything a fresh machine needs before the demo or the tests: npm packages, the Debian tools
# the tests use as independent judges (tcprules from ucspi-tcp, cdb from tinycdb, systemd-analyze
# from systemd for the shipped unit), and the build.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# command -> the Debian package that provides it
declare -A needed=([tcprules]=ucspi-tcp [cdb]=tinycdb [systemd-analyze]=systemd)
missing=()
for command in "${!needed[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("${needed[$command]}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "mailstate: the tests need ${missing[*]}: run 'sudo apt-get install ${missing[*]}'" >&2
    exit 1
  fi
fi

npx tsc -p tsconfig.json
