#!/usr/bin/env bash
# The WASAPI job: the library's WASAPI tests (tests/wasapi) under Windows CPython in Wine,
# against a private PulseAudio rig with the same devices as the Linux suite.
#   bash scripts/run-wine-tests.sh [pytest arguments]
# Sets up Wine and Windows Python first (scripts/setup-wine.sh; a few minutes the first time,
# about a second after that). Needs the project's virtual environment (scripts/setup-env.sh)
# for the rig. Exit status: pytest's; 1 if Windows Python crashed before pytest reported.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
cd "$root"
PY="${SCGUI_PY:-$root/.venv/bin/python}"

bash "$here/setup-wine.sh"

report="$(mktemp -d)/wasapi-junit.xml"
# The rig runs in this (Linux) Python; the tests in Windows Python, which only needs the
# rig's environment (PULSE_SERVER and friends) to reach the same server.
"$PY" - "$report" "$@" <<'EOF'
import os
import subprocess
import sys
from pathlib import Path

from scgui.virtual_rig import VirtualRig

report, extra = sys.argv[1], sys.argv[2:]
windows_report = "Z:" + report.replace("/", "\\")
with VirtualRig() as rig:
    # A sink that one test unplugs while recording from it (by module index: unloading by
    # name would remove every null sink).
    vanishing = rig.pactl(
        "load-module", "module-null-sink", "sink_name=vanishing", "channels=2",
        "sink_properties=device.description=Vanishing",
    ).strip()
    env = {
        **os.environ, **rig.env,
        "SCGUI_WASAPI_RIG": "1", "SCGUI_WASAPI_VANISHING_MODULE": vanishing,
    }
    command = [
        "bash", "scripts/wine-python.sh", "-m", "pytest",
        "-c", "tests/wasapi/pytest.ini", "--rootdir", "tests/wasapi",
        f"--junitxml={windows_report}", *extra, "tests/wasapi",
    ]
    status = subprocess.run(command, env=env).returncode
if status == 0 and not Path(report).exists():
    # Wine can end a crashed process with status 0: only pytest's report says it finished.
    print("[wasapi] Windows Python ended without pytest's report: it crashed", file=sys.stderr)
    status = 1
sys.exit(status)
EOF
