#!/usr/bin/env bash
# Set up a fresh Debian/Ubuntu machine (as run-tests.sh does) and start the scgui app:
#   bash scripts/run-app.sh [scgui arguments...]
set -euo pipefail

# shellcheck source=scripts/setup-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup-env.sh"

exec "$SCGUI_PY" -m scgui "$@"
