#!/usr/bin/env python3
"""Benchmark the level meters alone: GUI-thread CPU per displayed frame, by channel count.

Builds the real :class:`~scgui.ui.meters.MeterBank` offscreen at ``--size``, and for each
channel count hands it new levels (peak, RMS 3 dB below, a hold and one latched clip
indicator, moving a little every frame like a live signal's) and repaints, as the frame
clock does 62.5 times a second. Prints the thread CPU per frame, best and median of the
repeats. No sound server is used. Run ``.venv/bin/python bench/bench_meters.py --help``;
about 10 s.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
if importlib.util.find_spec("scgui") is None:  # run from a checkout without an install
    sys.path.insert(0, str(REPO_ROOT))


def levels(channels: int, frames: int) -> np.ndarray:
    """``frames x 3 x channels`` peak, RMS and hold in dBFS: bench_app's tone levels (-3 to
    -24 dBFS, then again) wandering by about a dB from frame to frame."""
    base = -3.0 - 21.0 * (np.arange(channels) % 8) / 7
    wander = np.random.default_rng(channels).normal(0.0, 1.0, (frames, channels))
    peak = base + wander
    return np.stack((peak, peak - 3.0, np.broadcast_to(base + 2.0, peak.shape)), axis=1)


def measure(bank: Any, table: np.ndarray, repeats: int, whole: bool) -> list[float]:
    """Set each frame's levels and repaint, the whole bank (``whole``) or, as in the app,
    what the levels changed (the paint Qt makes of the bank's update requests); GUI-thread
    CPU in ms per frame of each repeat."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    assert app is not None
    clipped = np.zeros(table.shape[2], dtype=bool)
    clipped[0] = True
    costs = []
    for run in range(repeats + 1):  # the first run only warms up
        start = time.thread_time()
        for peak, rms, hold in table:
            bank.set_levels(peak, rms, hold, clipped)
            if whole:
                bank.repaint()
            else:
                app.processEvents()
        if run:
            costs.append((time.thread_time() - start) / len(table) * 1000)
    return costs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="700x500", help="meter bank size WxH (700x500)")
    parser.add_argument("--frames", type=int, default=300, help="frames per repeat (300)")
    parser.add_argument("--repeats", type=int, default=5, help="repeats; the best is kept (5)")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from scgui.ui.meters import MeterBank

    app = QApplication.instance() or QApplication([])
    width, height = (int(v) for v in args.size.lower().split("x"))
    print(
        f"MeterBank at {width}x{height}: ms of GUI-thread CPU per frame (set_levels and a "
        f"paint; best of {args.repeats} x {args.frames})"
    )
    for channels in (8, 32, 64):
        bank = MeterBank()
        bank.set_channels([f"In {i + 1}" for i in range(channels)])
        bank.resize(max(width, bank.minimumWidth()), height)
        bank.show()
        app.processEvents()
        table = levels(channels, args.frames)
        whole = measure(bank, table, args.repeats, whole=True)
        changed = measure(bank, table, args.repeats, whole=False)
        print(
            f"  {channels:2d} channels ({bank.width()} px wide)  whole {min(whole):6.3f} ms "
            f"(median {statistics.median(whole):.3f}),  as in the app {min(changed):6.3f} ms "
            f"(median {statistics.median(changed):.3f})"
        )
        bank.close()
        bank.deleteLater()
        app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
