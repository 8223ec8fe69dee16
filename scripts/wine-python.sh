#!/usr/bin/env bash
# Runs the Windows CPython that scripts/setup-wine.sh made, under Wine, with the arguments given:
#   bash scripts/wine-python.sh -c 'import numpy; print(numpy.__version__)'
#   PULSE_SERVER=... bash scripts/wine-python.sh -m pytest -p no:cacheprovider tests/...
# The Unix environment reaches the Windows process as it is (PULSE_SERVER, XDG_RUNTIME_DIR,
# PULSE_COOKIE... of the test rig), so WASAPI talks to whatever server they name.
# Exit status: python's. Standard input is always /dev/null.
set -euo pipefail

WINE_HOME="${SCGUI_WINE_HOME:-$HOME/.cache/scgui-wine}"
PY="$WINE_HOME/python/python.exe"
if [ ! -f "$WINE_HOME/python/.scgui-done" ] || [ ! -f "$WINE_HOME/prefix/.scgui-done" ]; then
    echo "wine-python: no Windows python in $WINE_HOME: run scripts/setup-wine.sh" >&2
    exit 1
fi

export WINEPREFIX="$WINE_HOME/prefix" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY

# The first Wine client starts Wine's helper processes (services.exe, explorer.exe...), which
# inherit its stdio and keep it open until wineserver exits ~3 s after the last client: start
# them here with /dev/null stdio, or the pipes below stay open that long after python ended.
# About 0.6 s when nothing runs, 0.1 s when they already do.
wine cmd /c exit </dev/null >/dev/null 2>&1 || true

# Windows Python aborts at start ("init_sys_streams ... Invalid handle") when stdout or stderr
# is a regular file, so both always go through pipes: stdout via fd 3 to the outer cat, stderr
# to the inner one. The group exits with python's status, which the outer PIPESTATUS holds;
# the script returns only after both cats have written everything.
set +e
{
    wine "$PY" "$@" </dev/null 2>&1 1>&3 3>&- | cat >&2 3>&-
    exit "${PIPESTATUS[0]}"
} 3>&1 | cat
exit "${PIPESTATUS[0]}"
