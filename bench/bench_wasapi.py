#!/usr/bin/env python3
"""scgui.audio's WASAPI backend against sounddevice (PortAudio's WASAPI), both under Wine.

Issue 13 asks for the WASAPI figures as ratios only: Wine's WASAPI is a layer over the same
PulseAudio server, so absolute numbers say little about Windows, but libraries on the same
layer, in one run, compare fairly. The peers are soundcard (its WASAPI backend) and
sounddevice; sounddevice cannot start under Wine 8 (PortAudio's WASAPI host API calls
propsys.dll's VariantToString, which Wine 8 lacks, and the process aborts), and neither can
soundcard, which aborts the same way; the table shows each failure. scgui reads the property
values itself and runs. This script starts the private rig (as the WASAPI
tests do), sets up Windows Python in Wine (``scripts/setup-wine.sh``), unpacks sounddevice's
Windows wheel (its PortAudio DLL included) into a bench-only folder next to Windows Python,
and runs ``wasapi_worker.py`` once per library, figure and run, alternating the libraries.

    .venv/bin/python bench/bench_wasapi.py [--seconds 10] [--runs 3]

About 3 minutes with the defaults (Wine's start-up is ~2 s per child). Figures: CPU s per
audio s to record 48 kHz stereo in 1024-frame reads and to play it in 1024-frame writes, with
the glitches each library reported. Printed as a table, medians over the runs, with each run's
values and the machine's load average beside them.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(REPO_ROOT))

from scgui.virtual_rig import VirtualRig  # noqa: E402

_log = logging.getLogger("bench_wasapi")

WINE_HOME = Path(os.environ.get("SCGUI_WINE_HOME", Path.home() / ".cache" / "scgui-wine"))
BENCH_SITE = WINE_HOME / "bench-site"
PEERS = ("sounddevice==0.5.6", "soundcard==0.4.6")
LIBRARIES = ("scgui", "soundcard", "sounddevice")
FIGURES = ("record", "play")


def windows_path(path: Path) -> str:
    """The path as Windows Python under Wine sees it (``/`` is ``Z:\\``)."""
    return "Z:" + str(path).replace("/", "\\")


def ensure_peers() -> None:
    """The peers' Windows wheels (sounddevice with its PortAudio DLL; soundcard, pure Python),
    unpacked where only the bench's workers look."""
    marker = BENCH_SITE / ("." + "+".join(PEERS))
    if marker.exists():
        return
    downloads = WINE_HOME / "downloads" / "bench"
    downloads.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
         "--platform", "win_amd64", "--python-version", "3.12", "--implementation", "cp",
         "-d", str(downloads), *PEERS],
        check=True,
    )  # fmt: skip
    BENCH_SITE.mkdir(parents=True, exist_ok=True)
    for peer in PEERS:
        name = peer.split("==")[0]
        for wheel in downloads.glob(f"{name}-*.whl"):
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(BENCH_SITE)
    marker.touch()


def run_worker(library: str, figure: str, seconds: float, env: dict[str, str]) -> dict[str, Any]:
    command = [
        "bash", str(REPO_ROOT / "scripts" / "wine-python.sh"),
        windows_path(BENCH_DIR / "wasapi_worker.py"),
        library, figure, str(seconds), windows_path(BENCH_SITE),
    ]  # fmt: skip
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=seconds * 4 + 60, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        return {"error": f"exit {done.returncode}: " + " | ".join(tail)}
    result: dict[str, Any] = json.loads(lines[-1])
    result["load_average"] = round(os.getloadavg()[0], 2)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="audio per take (10)")
    parser.add_argument("--runs", type=int, default=3, help="takes per library and figure (3)")
    parser.add_argument("--json", type=Path, help="also write every take to this file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="[bench_wasapi] %(message)s")
    subprocess.run(["bash", str(REPO_ROOT / "scripts" / "setup-wine.sh")], check=True)
    ensure_peers()
    takes: dict[tuple[str, str], list[dict[str, Any]]] = {}
    with VirtualRig() as rig:
        env = {**os.environ, **rig.env}
        for run in range(args.runs):
            for figure in FIGURES:
                order = LIBRARIES if run % 2 == 0 else tuple(reversed(LIBRARIES))
                for library in order:
                    result = run_worker(library, figure, args.seconds, env)
                    _log.info("run %d %s %s: %s", run + 1, figure, library, result)
                    takes.setdefault((library, figure), []).append(result)
    print(f"\nWASAPI under Wine, {args.seconds:g} s takes, {args.runs} runs "
          "(CPU s per audio s; median, then each run)")  # fmt: skip
    print(f"{'figure':<36}" + "".join(f"{lib:>13}" for lib in LIBRARIES) + "  scgui/peer")
    for figure in FIGURES:
        values: dict[str, float | None] = {}
        for library in LIBRARIES:
            cpu = [t["cpu_per_audio_s"] for t in takes[(library, figure)] if "error" not in t]
            values[library] = statistics.median(cpu) if cpu else None
        ratios = [
            f"{values['scgui'] / value:.2f}x vs {library}"
            for library, value in values.items()
            if library != "scgui" and value and values["scgui"]
        ]
        label = f"CPU s/audio s, {figure} 48k stereo"
        cells = "".join(
            f"{v:>13.4f}" if v is not None else f"{'failed':>13}" for v in values.values()
        )
        print(f"{label:<36}{cells}  {'; '.join(ratios) or '-'} (target <= 1x)")
        for library in LIBRARIES:
            runs = ", ".join(
                f"{t['cpu_per_audio_s']:.4f} (load {t['load_average']}"
                + (f", overflows {t['overflows']}" if "overflows" in t else "")
                + (f", underruns {t['underruns']}" if "underruns" in t else "")
                + ")"
                if "error" not in t
                else t["error"][:160]
                for t in takes[(library, figure)]
            )
            print(f"    {library}: {runs}")
    if args.json:
        args.json.write_text(
            json.dumps({f"{lib} {fig}": v for (lib, fig), v in takes.items()}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
