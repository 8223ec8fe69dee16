#!/usr/bin/env bash
# The one command that sets up a fresh Debian/Ubuntu machine and runs the tests:
#   bash scripts/run-tests.sh [pytest arguments...]
# Lints with ruff, then runs pytest (which starts its own private PulseAudio server).
# Exit code: pytest's if it failed, else 1 if ruff found problems, else 0.
set -euo pipefail

# shellcheck source=scripts/setup-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup-env.sh"

lint_status=0
"$SCGUI_PY" -m ruff check . || lint_status=$?

test_status=0
"$SCGUI_PY" -m pytest "$@" || test_status=$?

if [ "$test_status" -ne 0 ]; then
    exit "$test_status"
fi
if [ "$lint_status" -ne 0 ]; then
    echo "[run-tests] tests passed but 'ruff check .' failed" >&2
    exit 1
fi
