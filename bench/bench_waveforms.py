#!/usr/bin/env python3
"""Benchmark the waveform view alone: GUI-thread CPU per displayed frame, by kind of signal.

The cost of a waveform row depends on what it shows: a quiet tone inks a few pixels a
column, full-scale noise inks every pixel of the row. This bench builds the real
:class:`~scgui.ui.waveforms.WaveformView` offscreen (8 rows, ``--size``), pushes 48 kHz audio
in 768-frame steps (one 16 ms display frame) and repaints after each, as the frame clock
does, and prints the thread CPU per frame for each signal: silence, the tones bench_app.py
plays (110-369 Hz at -3 to -24 dBFS), a full-scale 5 kHz tone and full-scale noise. Each
twice: repainting the whole view (``repaint()``), and as in the app (Qt repaints what the
rows asked for, when the events are processed); and the Python functions called a frame as
in the app (a figure that the host's noise does not move). ``--paced`` waits a display frame
between frames, as the app does: the caches are cold at every frame then, and on this
host's virtual CPUs a frame costs two to four times as much as frames back to back. No sound
server is used. Run ``.venv/bin/python bench/bench_waveforms.py --help``; about a minute
(three with ``--paced``).
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

RATE = 48000
ROWS = 8
FRAME = 768  # 16 ms at 48 kHz: what one tick of the frame clock brings


def signals(seconds: float) -> dict[str, np.ndarray]:
    """``frames x ROWS`` float32 test signals, by name."""
    count = int(seconds * RATE)
    t = np.arange(count) / RATE
    levels = 10 ** ((-3.0 - 3.0 * np.arange(ROWS)) / 20)
    tones = levels * np.sin(2 * np.pi * np.outer(t, 110 + 37 * np.arange(ROWS)))
    noise = np.random.default_rng(1).uniform(-1.0, 1.0, (count, ROWS))
    bright = np.repeat(np.sin(2 * np.pi * 5000 * t)[:, None], ROWS, axis=1)
    return {
        "silence": np.zeros((count, ROWS), np.float32),
        "tones (bench_app)": tones.astype(np.float32),
        "5 kHz, full scale": bright.astype(np.float32),
        "noise, full scale": noise.astype(np.float32),
    }


def measure(
    view: Any,
    ring: Any,
    data: np.ndarray,
    end: int,
    frames: int,
    repeats: int,
    whole: bool = True,
    paced: bool = False,
) -> tuple[list[float], int]:
    """Push ``data`` from ``end`` on, a display frame at a time, repainting after each: the
    whole view (``whole``) or, as in the app, what the rows asked Qt to repaint. Returns the
    GUI-thread CPU in ms per frame of each of ``repeats`` runs of ``frames`` frames, and
    where the data ends."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    assert app is not None
    viewport = view._graphics.viewport()
    costs = []
    for run in range(repeats + 1):  # the first run only warms up
        start = time.thread_time()
        for _ in range(frames):
            fresh = data[end : end + FRAME]
            ring.write(fresh)
            end += FRAME
            view.push_frames(fresh, end, RATE, ring)
            if whole:
                viewport.repaint()
            else:
                app.processEvents()
            if paced:
                time.sleep(FRAME / RATE)  # not counted: thread time
        if run:
            costs.append((time.thread_time() - start) / frames * 1000)
    return costs, end


def python_calls(view: Any, ring: Any, data: np.ndarray, end: int, frames: int) -> float:
    """Python functions called a frame as in the app (``sys.setprofile`` counts them)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    assert app is not None
    calls = 0

    def count(_frame: object, event: str, _arg: object) -> None:
        nonlocal calls
        calls += event == "call"

    sys.setprofile(count)
    try:
        for _ in range(frames):
            fresh = data[end : end + FRAME]
            ring.write(fresh)
            end += FRAME
            view.push_frames(fresh, end, RATE, ring)
            app.processEvents()
    finally:
        sys.setprofile(None)
    return calls / frames


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="1100x620", help="view size WxH (default 1100x620)")
    parser.add_argument("--frames", type=int, default=150, help="frames per repeat (150)")
    parser.add_argument("--repeats", type=int, default=5, help="repeats; the best is kept (5)")
    parser.add_argument(
        "--paced", action="store_true", help="wait a display frame between frames, as the app"
    )
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from scgui.engine.ringbuffer import RingBuffer
    from scgui.ui.waveforms import WaveformView

    app = QApplication.instance() or QApplication([])
    width, height = (int(v) for v in args.size.lower().split("x"))
    seconds = 2.5 + (2 * args.frames * (args.repeats + 1) + 60) * FRAME / RATE
    print(
        f"WaveformView: {ROWS} rows, {width}x{height}, {RATE} Hz, {FRAME} frames a display "
        f"frame; ms of GUI-thread CPU per frame (best of {args.repeats} x {args.frames}"
        f"{', paced' if args.paced else ''})"
    )
    for name, data in signals(seconds).items():
        view = WaveformView()
        view.resize(width, height)
        view.set_channels([f"ch {i + 1}" for i in range(ROWS)])
        view.show()
        app.processEvents()
        ring = RingBuffer(len(data), ROWS)
        ring.write(data[: 2 * RATE])
        whole, end = measure(
            view, ring, data, 2 * RATE, args.frames, args.repeats, True, args.paced
        )
        changed, end = measure(
            view, ring, data, end, args.frames, args.repeats, whole=False, paced=args.paced
        )
        calls = python_calls(view, ring, data, end, 50)
        print(
            f"  {name:20s} whole {min(whole):5.2f} ms (median {statistics.median(whole):.2f}), "
            f"as in the app {min(changed):5.2f} ms (median {statistics.median(changed):.2f}; "
            f"{min(changed) * 62.5 / 10:.1f} % of a core at 62.5 fps), "
            f"{calls:.0f} Python calls a frame"
        )
        view.close()
        view.deleteLater()
        app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
