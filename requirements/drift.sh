#!/usr/bin/env bash
# Find drift on purpose (by hand, never in CI): install the newest releases that setup.cfg allows
# into a throwaway venv, ignoring the lock, and run the whole suite with them on SQLite (and on
# PostgreSQL when TEST_DATABASE_URL is set). What breaks here will break for the next person who
# refreshes the lock or installs consult into an environment of their own.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip >/dev/null 2>&1 || true
"$venv/bin/pip" install -q --upgrade --no-cache-dir -e '.[test,bench]'
echo "== Newest releases allowed by setup.cfg, compared with the lock"
"$venv/bin/pip" freeze --exclude-editable | sort > "$venv/newest.txt"
grep -E '^[a-z0-9]' requirements/lock.txt | cut -d' ' -f1 | sort > "$venv/locked.txt"
diff "$venv/locked.txt" "$venv/newest.txt" | grep -E '^[<>]' || echo "(no package moved)"
echo "== Whole suite on SQLite with the newest releases"
env -u DATABASE_URL "$venv/bin/python" -m pytest -q "$@"
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "== Whole suite on PostgreSQL with the newest releases"
  DATABASE_URL="$TEST_DATABASE_URL" "$venv/bin/python" -m pytest -q "$@"
fi
