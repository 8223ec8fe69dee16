"""What a SIGKILL leaves of a take, per format: ``scgui record`` killed after N seconds.

Starts a private virtual rig, records its 8-channel loopback with the real CLI for each
format in parallel, kills every recorder with SIGKILL after each duration, recovers the FLAC
and Ogg takes with ``scgui recover``, and prints how much audio each file holds against how
long the take ran (the difference is what the kill cost; it includes the stream's start-up).

    python bench/bench_kill.py                # 5 s and 60 s (about 70 s)
    python bench/bench_kill.py --seconds 5 20
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import soundfile

from scgui.virtual_rig import MULTI8, VirtualRig

FORMATS = ["wav", "w64", "rf64", "aiff", "caf", "flac", "ogg"]


def kill_after(seconds: float, folder: Path, env: dict[str, str]) -> list[tuple[str, float, str]]:
    """Record every format at once, kill them all after ``seconds``; (format, lost s, note)."""
    processes: dict[str, subprocess.Popen[str]] = {}
    for extension in FORMATS:
        path = folder / f"take-{seconds:g}.{extension}"
        processes[extension] = subprocess.Popen(
            [sys.executable, "-m", "scgui", "record", "-i", MULTI8.monitor, "-o", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
    started: dict[str, float] = {}
    first_lines: dict[str, str] = {}

    def wait_for_start(extension: str, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        first_lines[extension] = process.stderr.readline()  # "Recording ..." once it runs
        started[extension] = time.monotonic()

    readers = [threading.Thread(target=wait_for_start, args=item) for item in processes.items()]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    for extension, line in first_lines.items():
        if not line.startswith("Recording"):
            raise SystemExit(f"{extension}: did not start: {line}")
    time.sleep(seconds)
    ran: dict[str, float] = {}
    for extension, process in processes.items():
        os.kill(process.pid, signal.SIGKILL)
        ran[extension] = time.monotonic() - started[extension]
        process.wait()
    results = []
    for extension in FORMATS:
        path = folder / f"take-{seconds:g}.{extension}"
        note = "opened directly"
        if extension in ("flac", "ogg"):
            subprocess.run(
                [sys.executable, "-m", "scgui", "recover", str(path)],
                check=True,
                capture_output=True,
                env=env,
            )
            note = "after scgui recover"
        info = soundfile.info(str(path))
        results.append((extension, ran[extension] - info.frames / info.samplerate, note))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, nargs="+", default=[5.0, 60.0])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp, VirtualRig(base_dir=Path(temp) / "rig") as rig:
        env = {**os.environ, **rig.env}
        for seconds in args.seconds:
            print(f"SIGKILL after {seconds:g} s (8 channels, 48 kHz, float):")
            for extension, lost, note in kill_after(seconds, Path(temp), env):
                print(f"  {extension:5} lost {lost:5.2f} s  ({note})")


if __name__ == "__main__":
    main()
