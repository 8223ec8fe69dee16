"""Routing check timing and accuracy: every output in one take vs one output at a time.

Starts a private virtual rig, adds a 32-channel null sink at 96 kHz, and runs the routing
check of all 32 outputs into its monitor with both methods, in one run: wall time, the
spread of the per-output delays (the skew; 0 on the rig's sample-aligned paths), the level
error and the highest reading off the wanted paths (the crosstalk floor). Then the same with
both cores kept busy by a CPU hog in other processes.

    python bench/bench_routing.py          # about 2 minutes
    python bench/bench_routing.py --quick  # one-take method only
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from cpu_hogs import cpu_hogs

from scgui.virtual_rig import VirtualRig

RATE = 96000
CHANNELS = 32


def run(method: str) -> tuple[float, str]:
    from scgui.measure.runs import check_routing

    started = time.monotonic()
    report = check_routing("bench32", "bench32.monitor", samplerate=RATE, method=method)
    wall = time.monotonic() - started
    m = report.matrix
    wanted = np.diag(m.gain_db)
    off = m.gain_db.copy()
    np.fill_diagonal(off, -np.inf)
    delays = np.diag(m.delay_ms)
    skew = np.nanmax(delays) - np.nanmin(delays)
    line = (
        f"{method:11} {wall:6.2f} s  {'PASS' if report.all_passed else 'FAIL'}  "
        f"skew spread {skew:7.3f} ms  level error {np.max(np.abs(wanted)):.4f} dB  "
        f"off-path max {np.max(off):7.1f} dB  retried {report.info.get('retried_takes')}"
    )
    return wall, line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    methods = ["sweeps"] if args.quick else ["sweeps", "one-by-one"]
    with tempfile.TemporaryDirectory() as temp, VirtualRig(base_dir=Path(temp) / "rig") as rig:
        rig.apply_env()
        positions = ",".join(f"aux{i}" for i in range(CHANNELS))
        rig.pactl(
            "load-module",
            "module-null-sink",
            "sink_name=bench32",
            f"channels={CHANNELS}",
            f"channel_map={positions}",
            f"rate={RATE}",
            "format=float32le",
            "norewinds=1",
        )
        print(f"Routing check, {CHANNELS} outputs -> monitor, {RATE} Hz (virtual rig):")
        # The first stream on a newly loaded null sink plays slower than real time for a
        # second or so (a running interface does not): say so, then time warm runs.
        print("  cold  ", run(methods[0])[1])
        for method in methods:
            print("  quiet ", run(method)[1])
        with cpu_hogs(2):
            for method in methods:
                print("  2 hogs", run(method)[1])


if __name__ == "__main__":
    main()
