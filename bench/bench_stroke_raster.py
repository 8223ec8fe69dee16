#!/usr/bin/env python3
"""Benchmark one waveform row's pixel writer: a whole render against a scroll, by loudness.

:meth:`~scgui.ui.stroke_raster.StrokeRaster.render` computes every pixel of the band of rows
the strokes reach, so its cost grows with the signal's loudness;
:meth:`~scgui.ui.stroke_raster.StrokeRaster.scroll` (a live trace moved by whole columns)
writes only the new columns and those that crossed a grid line, and renders when the band is
too narrow for that to pay. This prints the microseconds per frame of both for rows of
1052 columns, 48, 120 and 300 pixels high, a grid line every 131 columns and 8 new columns a
frame (what 768 frames bring at 91 frames a column), for sines of several amplitudes. Pure
NumPy: no Qt, no sound server. The thresholds in stroke_raster.py (``_TURN_FIXED_PIXELS``,
``_TURN_PIXELS_PER_ROW``) come from this table. About 20 s.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import timeit
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
if importlib.util.find_spec("scgui") is None:  # run from a checkout without an install
    sys.path.insert(0, str(REPO_ROOT))

from scgui.ui.stroke_raster import StrokeRaster  # noqa: E402

WIDTH = 1052
NEW_COLUMNS = 8
INK = 0xFF4FC3F7


def _background(height: int) -> np.ndarray:
    """A row's background: plain, a vertical grid line every 131 columns, a zero line."""
    background = np.full((height, WIDTH), 0xFF202020, dtype=np.uint32)
    background[:, ::131] = 0xFF303030
    background[height // 2] = 0xFF404040
    return background


def _runs(height: int, amplitude: float) -> tuple[np.ndarray, np.ndarray]:
    """Each column's run for a sine of ``amplitude`` (full scale 1), three rows long."""
    wave = np.sin(np.arange(3 * WIDTH) / 3.0) * amplitude * (height / 2)
    top = np.clip(np.floor(height / 2 - np.abs(wave) - 1), 0, height - 1).astype(np.int32)
    bottom = np.clip(np.floor(height / 2 + np.abs(wave) + 1), 0, height - 1).astype(np.int32)
    return top, bottom


def _per_frame(raster: StrokeRaster, top: np.ndarray, bottom: np.ndarray, scrolled: bool) -> float:
    """Microseconds per frame, the best of five runs of 300 frames."""
    position = [0]

    def frame() -> None:
        position[0] = (position[0] + NEW_COLUMNS) % (2 * WIDTH)
        start = position[0]
        if scrolled:
            raster.scroll(top[start : start + WIDTH], bottom[start : start + WIDTH], NEW_COLUMNS)
        else:
            raster.render(top[start : start + WIDTH], bottom[start : start + WIDTH])

    frame()
    return min(timeit.repeat(frame, number=300, repeat=5)) / 300 * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--heights", default="48,120,300", help="row heights in pixels")
    options = parser.parse_args()
    print(f"StrokeRaster, {WIDTH} columns, {NEW_COLUMNS} new a frame; us per frame (best of 5)")
    print(f"{'height':>6} {'amplitude':>9} {'band px':>8} {'render':>8} {'scroll':>8}")
    for height in (int(value) for value in options.heights.split(",")):
        for amplitude in (0.0, 0.1, 0.3, 0.5, 0.7, 0.95):
            top, bottom = _runs(height, amplitude)
            band = (int(bottom[:WIDTH].max()) - int(top[:WIDTH].min()) + 1) * WIDTH
            render = _per_frame(StrokeRaster(_background(height), INK), top, bottom, False)
            scroll = _per_frame(StrokeRaster(_background(height), INK), top, bottom, True)
            print(f"{height:6d} {amplitude:9.2f} {band:8d} {render:8.1f} {scroll:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
