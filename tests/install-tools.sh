#!/usr/bin/env bash
# What the tests need besides Python packages: Debian's Chromium for the browser tests, and
# axe-core from package-lock.json for the accessibility checks. Used by tests/run.sh and
# requirements/drift.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v chromium >/dev/null 2>&1; then
  echo "== Installing Debian's Chromium for the browser tests"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "== Installing Debian's Node.js and npm for the accessibility checks"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi

echo "== Installing axe-core (node_modules) from package-lock.json"
# The lock pins axe-core's version and integrity hash; tests/conftest.py's `axe` fixture reads it.
if ! npm ci --no-audit --no-fund --ignore-scripts > .npm-install.log 2>&1; then
  cat .npm-install.log >&2
  exit 1
fi
