#!/usr/bin/env bash
# The one command that sets up a fresh Debian/Ubuntu machine and runs the tests:
#   bash scripts/run-tests.sh [pytest arguments...]
# Lints with ruff and type-checks with mypy, then runs pytest (which starts its own private
# PulseAudio server; the docs build and the wheel's install are tests too). A loopback take
# that did not arrive exactly, in which the library itself reported an underrun or overflow
# (the host kept the test's writer off the CPU), is a ReportedGlitch: rerun twice at most.
#
# Second pass on PipeWire (about 2 min): the library, engine and routing tests again, against
# a private pipewire + pipewire-pulse + WirePlumber rig (SCGUI_RIG_SERVER=pipewire), since most
# desktops now run PipeWire. PipeWire itself sometimes turns 256-512 played frames into
# silence, or stalls a sink and inserts silence (more than once a take when the host is
# busy): the sample-exact checks name that a PipeWireDropout and it is retried, three times
# at most and 3 s apart (these glitches come in bursts with the host's load: 0 to 11 of 12
# three-second takes, from one minute to the next); the routing check repeats such a take
# itself, and a measurement that still reports the machine overloaded is retried the same.
# SCGUI_SKIP_PIPEWIRE=1 skips the pass.
# The pass takes no pytest arguments: it always runs the files in pipewire_tests below.
#
# Third pass, WASAPI under Wine (about 30 s, plus 2-4 min to install Wine and Windows Python
# on a fresh machine): tests/wasapi under Windows CPython in Wine, against a private
# PulseAudio rig (scripts/run-wine-tests.sh). SCGUI_SKIP_WINE=1 skips it.
#
# Fourth pass, the widgets' pictures at scale factors 1.5 and 2 (about 20 s): the pixel tests
# of tests/test_ui_widgets.py and tests/test_steady_label.py again under QT_SCALE_FACTOR, as
# on a laptop at 150 % or a 4K screen at 200 % (a fill or line half a pixel off only shows
# there). SCGUI_SKIP_SCALES=1 skips it.
#
# Exit code: the first failing pytest pass's, else 1 if ruff found problems, else 0.
set -euo pipefail

# shellcheck source=scripts/setup-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup-env.sh"

lint_status=0
"$SCGUI_PY" -m ruff check . || lint_status=$?
"$SCGUI_PY" -m mypy || lint_status=$?  # pyproject.toml: strict for scgui.audio, scgui.measure

test_status=0
"$SCGUI_PY" -m pytest --reruns 2 --reruns-delay 2 --only-rerun ReportedGlitch "$@" || test_status=$?

scales_status=0
if [ "${SCGUI_SKIP_SCALES:-0}" != 1 ]; then
    for scale in 1.5 2; do
        echo "[run-tests] the widgets' pictures at QT_SCALE_FACTOR=$scale" >&2
        QT_SCALE_FACTOR=$scale "$SCGUI_PY" -m pytest -p no:cacheprovider -q \
            tests/test_ui_widgets.py tests/test_steady_label.py || scales_status=$?
    done
fi

pipewire_status=0
if [ "${SCGUI_SKIP_PIPEWIRE:-0}" != 1 ]; then
    pipewire_tests=(
        tests/test_audio_*.py
        tests/test_engine.py
        tests/test_routing_rig.py
        tests/test_virtual_rig.py
    )
    echo "[run-tests] second pass on PipeWire: ${pipewire_tests[*]}" >&2
    SCGUI_RIG_SERVER=pipewire "$SCGUI_PY" -m pytest -p no:cacheprovider \
        --reruns 3 --reruns-delay 3 --only-rerun PipeWireDropout --only-rerun ReportedGlitch \
        --only-rerun "the computer or the sound server is overloaded" \
        "${pipewire_tests[@]}" || pipewire_status=$?
fi

wine_status=0
if [ "${SCGUI_SKIP_WINE:-0}" != 1 ]; then
    echo "[run-tests] third pass: WASAPI under Wine (tests/wasapi)" >&2
    SCGUI_PY="$SCGUI_PY" bash "$(dirname "${BASH_SOURCE[0]}")/run-wine-tests.sh" || wine_status=$?
fi

if [ "$test_status" -ne 0 ]; then
    exit "$test_status"
fi
if [ "$scales_status" -ne 0 ]; then
    echo "[run-tests] the widgets' pictures at QT_SCALE_FACTOR 1.5 or 2 failed" >&2
    exit "$scales_status"
fi
if [ "$pipewire_status" -ne 0 ]; then
    echo "[run-tests] the PipeWire pass (SCGUI_RIG_SERVER=pipewire) failed" >&2
    exit "$pipewire_status"
fi
if [ "$wine_status" -ne 0 ]; then
    echo "[run-tests] the WASAPI pass under Wine failed" >&2
    exit "$wine_status"
fi
if [ "$lint_status" -ne 0 ]; then
    echo "[run-tests] tests passed but 'ruff check .' or mypy failed" >&2
    exit 1
fi
