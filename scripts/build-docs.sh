#!/usr/bin/env bash
# Build the documentation: bash scripts/build-docs.sh [more sphinx-build arguments...]
#   -> docs/_build/html/index.html
# Installs the `docs` extra of pyproject.toml (Sphinx, MyST, sphinx-argparse, furo) into .venv
# when one of them is missing (creating .venv with python3 if there is none), then builds
# with warnings as errors (-W; --keep-going lists them all) from a fresh environment (-E),
# so that a warning in a page that did not change still fails the build.
# Exit code: sphinx-build's (0 only for a build without warnings), or pip's.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
py="$root/.venv/bin/python"

if [ ! -x "$py" ]; then
    echo "[build-docs] creating .venv" >&2
    "${SCGUI_PYTHON:-python3}" -m venv "$root/.venv"
fi
if ! "$py" -c 'import sphinx, myst_parser, sphinxarg, furo' >/dev/null 2>&1; then
    echo "[build-docs] pip install -e '.[docs]'" >&2
    "$py" -m pip install --quiet --disable-pip-version-check -e '.[docs]'
fi

exec "$py" -m sphinx -W --keep-going -E -b html docs docs/_build/html "$@"
