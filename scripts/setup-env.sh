# shellcheck shell=bash
# Sourced (not run) by run-tests.sh and run-app.sh: brings a fresh Debian/Ubuntu machine up to
# what scgui needs, then leaves the shell in the repository root with SCGUI_PY set to the
# virtual environment's python.
#
#   1. Debian packages: PulseAudio (server for the virtual test rig, client library, pactl),
#      PipeWire with pipewire-pulse and WirePlumber plus dbus (the rig's other kind of server,
#      SCGUI_RIG_SERVER=pipewire), Xvfb and the X/GL libraries the Qt xcb plugin loads,
#      python3-venv if venv cannot work. Checked with dpkg first; apt-get (via sudo when not
#      root) runs only if one is missing. Not pipewire-audio-client-libraries or pipewire-alsa:
#      they conflict with pulseaudio and apt would remove it (the install below refuses to).
#   2. .venv in the repository root with `pip install -e '.[test,docs]'`, redone only when
#      pyproject.toml changed since the last successful install (its hash is kept in a stamp).
#
# Environment: SCGUI_PYTHON (default python3) is the interpreter that creates .venv.

SCGUI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$SCGUI_ROOT"

scgui_log() { printf '[setup-env] %s\n' "$*" >&2; }

scgui_install_debian_packages() {
    local python="$1"
    local wanted=(
        pulseaudio pulseaudio-utils libpulse0
        pipewire pipewire-bin pipewire-pulse wireplumber dbus
        xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0
        libegl1 libgl1 libfontconfig1 libdbus-1-3
        ladspa-sdk
    )
    # Debian ships the venv module without ensurepip (that is in python3-venv), so
    # `-m venv --help` alone succeeds but creating an environment would fail.
    if ! command -v "$python" >/dev/null 2>&1 \
        || ! "$python" -m venv --help >/dev/null 2>&1 \
        || ! "$python" -c 'import ensurepip' >/dev/null 2>&1; then
        wanted+=(python3-venv)
    fi
    if ! command -v dpkg >/dev/null 2>&1; then
        scgui_log "not a Debian/Ubuntu system: install PulseAudio (pulseaudio, pactl, pacat)," \
            "PipeWire (pipewire, pipewire-pulse, wireplumber, dbus-daemon), Xvfb and python3" \
            "venv support yourself"
        return 0
    fi
    local missing=() pkg
    for pkg in "${wanted[@]}"; do
        if ! dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
            missing+=("$pkg")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if ! command -v sudo >/dev/null 2>&1; then
            scgui_log "missing packages ${missing[*]} and no sudo: install them as root"
            return 1
        fi
        sudo=(sudo)
    fi
    scgui_log "installing ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    # --no-remove: fail rather than let a conflict (pipewire-alsa...) take pulseaudio away.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends --no-remove "${missing[@]}"
}

scgui_setup_venv() {
    local python="$1" venv="$SCGUI_ROOT/.venv"
    local stamp="$venv/.scgui-install-stamp"
    if [ ! -x "$venv/bin/python" ]; then
        scgui_log "creating $venv"
        rm -rf "$venv"
        "$python" -m venv "$venv"
        rm -f "$stamp"
    fi
    local hash
    hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
        return 0
    fi
    scgui_log "pip install -e '.[test,docs]' (pyproject.toml changed or first install)"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test,docs]'
    printf '%s\n' "$hash" >"$stamp"
}

scgui_install_debian_packages "${SCGUI_PYTHON:-python3}"
scgui_setup_venv "${SCGUI_PYTHON:-python3}"
SCGUI_PY="$SCGUI_ROOT/.venv/bin/python"
export SCGUI_ROOT SCGUI_PY
