"""Peak-waveform strokes written straight into pixels, for the live waveform rows.

A live row is one vertical stroke per pixel column, from a bucket's minimum to its maximum.
Qt's raster engine draws a one-pixel line pixel by pixel, with a blend call for each, so the
strokes of eight rows cost 1.9 ms a frame for a quiet signal and 6.6 ms for a loud, bright
one (measured here, bench/README.md "The waveform rows as pixels"). Filling the same pixels
in a few whole-image NumPy passes costs the same small amount whatever the signal.

This module is pure NumPy (no Qt): :func:`column_spans` turns strokes in pixel coordinates
into one inked run per column, and :class:`StrokeRaster` paints those runs over a row's
background image.
"""

from __future__ import annotations

import numpy as np

OPAQUE = 0xFF000000
"""The alpha byte of an opaque RGB32 pixel."""


def column_spans(
    columns: np.ndarray, y0: np.ndarray, y1: np.ndarray, width: int, height: int
) -> tuple[np.ndarray, np.ndarray]:
    """The first and last pixel row inked in each of ``width`` columns.

    Stroke ``i`` runs down column ``columns[i]`` from pixel row ``y0[i]`` to ``y1[i]`` (either
    order, both inked, so a flat stroke is one pixel). Rows outside the image are clamped to
    its edge and strokes in columns outside it are dropped; strokes sharing a column merge
    into one run from the highest to the lowest of them. A stroke reaches across the columns
    up to the next stroke's (a bucket wider than a pixel, as on a high-density screen, leaves
    no hole in the trace). A column before the first stroke or after the last comes back with
    ``top > bottom`` (``height`` and ``-1``), which :meth:`StrokeRaster.render` leaves as
    background. Returns int32 arrays of ``width`` values.
    """
    # Few, cheap NumPy calls: this runs for every row on every frame (np.clip and np.diff
    # cost several times a plain ufunc call on arrays this small).
    cols = np.asarray(columns).astype(np.intp)
    first = np.minimum(y0, y1).astype(np.int32)
    last = np.maximum(y0, y1).astype(np.int32)
    top = np.full(width, height, dtype=np.int32)
    bottom = np.full(width, -1, dtype=np.int32)
    if not len(cols):
        return top, bottom
    low, high = int(cols.min()), int(cols.max())
    if low < 0 or high >= width:
        inside = (cols >= 0) & (cols < width)
        cols, first, last = cols[inside], first[inside], last[inside]
        if not len(cols):
            return top, bottom
        low, high = int(cols.min()), int(cols.max())
    np.minimum.at(top, cols, first)
    np.maximum.at(bottom, cols, last)
    spans_top, spans_bottom = top[low : high + 1], bottom[low : high + 1]
    inked = spans_top <= spans_bottom
    if not inked.all():  # columns between strokes take the stroke before them
        before = np.maximum.accumulate(np.where(inked, np.arange(len(inked)), 0))
        spans_top[:] = spans_top[before]
        spans_bottom[:] = spans_bottom[before]
    for ends in (spans_top, spans_bottom):  # every column here has a run: clamp it
        np.maximum(ends, 0, out=ends)
        np.minimum(ends, height - 1, out=ends)
    return top, bottom


class StrokeRaster:
    """One row's pixels: a fixed background with a run of one colour in each column.

    ``background`` is the row without strokes (``height x width`` RGB32 values, opaque);
    :meth:`render` returns the row with the given runs in ``colour`` on top of it, written
    into one array that is reused from frame to frame (wrap it in a ``QImage`` once).
    """

    def __init__(self, background: np.ndarray, colour: int) -> None:
        # A copy of its own: the caller's array may be a view of an image about to be freed.
        pixels = np.array(background, dtype=np.uint32, order="C", copy=True)
        if pixels.ndim != 2 or 0 in pixels.shape:
            raise ValueError(f"A row's background must be height x width, got {pixels.shape}.")
        self.height, self.width = pixels.shape
        ink = np.uint32((int(colour) | OPAQUE) & 0xFFFFFFFF)
        self.background = pixels
        # Where the ink mask is all ones the output is the background, where it is zero the
        # colour: out = colour ^ (mask & (colour ^ background)), a pass per operation.
        self._difference = (self.background ^ ink).view(np.int32)
        self._ink = ink.view(np.int32)
        self._row_index = np.arange(self.height, dtype=np.int32)[:, None]
        self._pixels = self.background.view(np.int32).copy()
        self._band = (0, 0)  # the rows the previous render computed
        self._scratch = np.empty((self.height, self.width), dtype=np.int32)

    @property
    def pixels(self) -> np.ndarray:
        """The array :meth:`render` writes (``height x width`` uint32, C-contiguous)."""
        return self._pixels.view(np.uint32)

    def clear(self) -> np.ndarray:
        """The background alone, in :attr:`pixels`."""
        self._restore(0, 0)
        return self.pixels

    def render(self, top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
        """Ink rows ``top[c] .. bottom[c]`` of every column ``c`` (none where top > bottom).

        Only the band of rows some run reaches is computed; the rows inked by the previous
        call outside it get their background back. A quiet signal's band is a few rows, so
        its cost is a fraction of a loud one's.
        """
        inked = top <= bottom
        if not inked.any():
            return self.clear()
        first = int(top[inked].min())
        stop = int(bottom[inked].max()) + 1
        self._restore(first, stop)
        out, scratch = self._pixels[first:stop], self._scratch[first:stop]
        rows = self._row_index[first:stop]
        # (row - top) | (bottom - row) is negative exactly outside the run; shifting its sign
        # bit across the word makes the mask (all ones outside, zero inside).
        np.subtract(rows, top, out=out)
        np.subtract(bottom, rows, out=scratch)
        np.bitwise_or(out, scratch, out=out)
        np.right_shift(out, 31, out=out)
        np.bitwise_and(out, self._difference[first:stop], out=out)
        np.bitwise_xor(out, self._ink, out=out)
        return self.pixels

    def _restore(self, first: int, stop: int) -> None:
        """Give the rows inked last time outside ``first .. stop - 1`` their background."""
        was_first, was_stop = self._band
        background = self.background.view(np.int32)
        for start, end in ((was_first, min(was_stop, first)), (max(was_first, stop), was_stop)):
            if start < end:
                self._pixels[start:end] = background[start:end]
        self._band = (first, stop)
