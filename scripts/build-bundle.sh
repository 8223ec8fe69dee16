#!/usr/bin/env bash
# Build the installable app: a one-folder PyInstaller bundle that needs no Python on the target.
#   bash scripts/build-bundle.sh
# Result: dist/scgui/scgui (the window, and the CLI: dist/scgui/scgui devices); check it with
#   dist/scgui/scgui --self-test
#
# Sets the machine up as run-tests.sh does (setup-env.sh), installs PyInstaller into .venv
# when missing (pip install -e '.[package]', editable so the development install stays), then
# runs packaging/pyinstaller.spec from scratch (--clean) and prints the bundle's size.
#
# Environment: SCGUI_DIST and SCGUI_BUILD (default dist and build, relative to the repository)
# choose the output and work folders; SCGUI_BUNDLE_TRIM=0 builds without trimming.
set -euo pipefail

# shellcheck source=scripts/setup-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup-env.sh"

build_log() { printf '[build-bundle] %s\n' "$*" >&2; }

if ! "$SCGUI_PY" -c 'import PyInstaller' >/dev/null 2>&1; then
    build_log "installing PyInstaller: pip install -e '.[package]'"
    "$SCGUI_PY" -m pip install --quiet --disable-pip-version-check -e '.[package]'
fi

# On Linux, PyInstaller reads binaries with objdump and the spec strips debug information with
# strip; both are in binutils.
if [ "$(uname -s)" = "Linux" ] && ! command -v objdump >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        build_log "installing binutils (objdump, strip)"
        sudo=()
        [ "$(id -u)" -ne 0 ] && sudo=(sudo)
        "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends binutils
    else
        build_log "PyInstaller needs objdump and strip: install binutils"
        exit 1
    fi
fi

dist="${SCGUI_DIST:-dist}"
work="${SCGUI_BUILD:-build}"
started=$SECONDS
"$SCGUI_PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$dist" --workpath "$work" packaging/pyinstaller.spec
if [ -d "$dist/scgui.app" ]; then
    bundle="$dist/scgui.app"
else
    bundle="$dist/scgui"
fi
build_log "built $bundle in $((SECONDS - started)) s: $(du -sh "$bundle" | cut -f1)" \
    "($(find "$bundle" -type f | wc -l) files)"
