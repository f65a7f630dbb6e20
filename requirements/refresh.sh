#!/usr/bin/env bash
# Refresh requirements/lock.txt on purpose: the newest releases that setup.cfg allows, for the
# runtime, the tests and the benchmarks, each with its hashes. Run it by hand, then run
# `bash tests/run.sh` and commit the lock with the change that needed it.
# Extra arguments go to pip-compile, e.g. `--upgrade-package flask` to move one package only.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
"$tools/bin/pip" install -q 'pip-tools>=7.4,<8'
# --allow-unsafe locks setuptools too: the project is installed with --no-build-isolation, so its
# build backend comes from the lock like everything else.
"$tools/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras \
  --extra test --extra bench --no-emit-index-url --no-emit-find-links \
  --output-file requirements/lock.txt "$@" setup.cfg
echo "requirements/lock.txt refreshed; now run: bash tests/run.sh"
