#!/usr/bin/env bash
# Install everything the tests need (Python packages in .venv, Debian's Chromium for browser
# tests, axe-core from package-lock.json for the accessibility checks) and run the whole suite
# twice: on the embedded SQLite, then on the local PostgreSQL with rate limits in the local Redis.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

bash tests/install-tools.sh

echo "== Installing the Python packages (.venv) from requirements/lock.txt"
python3 -m venv .venv
# The lock pins every package with its hashes (pip checks them); the project itself is then
# installed without resolving anything again, with the build backend the lock pins.
if ! { .venv/bin/python -m pip install -q -r requirements/lock.txt &&
  .venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .; } > .venv/pip-install.log 2>&1; then
  cat .venv/pip-install.log >&2
  exit 1
fi
export PATH="$PWD/.venv/bin:$PATH"

echo "== Test suite on SQLite"
env -u DATABASE_URL python -m pytest "$@"

PG_URL=${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "== Starting PostgreSQL"
  if ls /etc/postgresql >/dev/null 2>&1; then
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && break; sleep 1; done
fi
# The PostgreSQL run is production's setting: rate limits counted in Redis too (a database of
# its own, emptied of its counters after each test), when Redis answers; CI needs it.
REDIS_URL=${TEST_RATELIMIT_STORAGE_URI:-redis://127.0.0.1:6379/15}
if python -c "import redis, sys; redis.Redis.from_url(sys.argv[1], socket_timeout=2).ping()" "$REDIS_URL" 2>/dev/null; then
  export TEST_RATELIMIT_STORAGE_URI="$REDIS_URL"
elif [ "${CI:-}" = "true" ]; then
  echo "Redis is not reachable at $REDIS_URL: CI counts the rate limits of the PostgreSQL run in it." >&2
  exit 1
else
  echo "== Redis is not reachable at $REDIS_URL: the PostgreSQL run counts rate limits in memory." >&2
fi
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "== Test suite on PostgreSQL ($PG_URL), rate limits in ${TEST_RATELIMIT_STORAGE_URI:-memory}"
  DATABASE_URL="$PG_URL" python -m pytest "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is not reachable on 127.0.0.1:5432: CI needs it." >&2
  exit 1
else
  echo "== PostgreSQL is not reachable on 127.0.0.1:5432: the PostgreSQL run was skipped." >&2
fi
