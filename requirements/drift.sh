#!/usr/bin/env bash
# Find drift on purpose (by hand, never in CI): install the newest releases that setup.cfg allows
# into a throwaway venv, ignoring the lock, and run the whole suite with them on SQLite (and on
# PostgreSQL when TEST_DATABASE_URL is set). What breaks here will break for the next person who
# refreshes the lock or installs consult into an environment of their own.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/install-tools.sh
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip >/dev/null 2>&1 || true
if ! "$venv/bin/pip" install -q --upgrade --no-cache-dir -e '.[test,bench]' > "$venv/pip.log" 2>&1; then
  cat "$venv/pip.log" >&2
  exit 1
fi
echo "== Newest releases allowed by setup.cfg, compared with the lock"
# Names normalised as PEP 503 says (pip freeze and pip-compile spell them differently).
normalise() { tr 'A-Z_.' 'a-z--' | sort; }
"$venv/bin/pip" freeze --exclude-editable | normalise > "$venv/newest.txt"
grep -E '^[a-zA-Z0-9]' requirements/lock.txt | cut -d' ' -f1 | grep -v '^setuptools==' |
  normalise > "$venv/locked.txt"
diff "$venv/locked.txt" "$venv/newest.txt" | grep -E '^[<>]' || echo "(no package moved)"
export PATH="$venv/bin:$PATH"  # ruff and the consult command from this venv
echo "== Whole suite on SQLite with the newest releases"
env -u DATABASE_URL "$venv/bin/python" -m pytest -q "$@"
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "== Whole suite on PostgreSQL with the newest releases"
  DATABASE_URL="$TEST_DATABASE_URL" "$venv/bin/python" -m pytest -q "$@"
fi
