"""Peak-waveform strokes written straight into pixels, for the live waveform rows.

A live row is one vertical stroke per pixel column, from a bucket's minimum to its maximum.
Qt's raster engine draws a one-pixel line pixel by pixel, with a blend call for each, so the
strokes of eight rows cost 1.9 ms a frame for a quiet signal and 6.6 ms for a loud, bright
one (measured here, bench/README.md "The waveform rows as pixels"). Filling the same pixels
in a few whole-image NumPy passes costs the same small amount whatever the signal.

This module is pure NumPy (no Qt): :func:`column_spans` turns strokes in pixel coordinates
into one inked run per column (:func:`column_spans_rows` for several rows with the same
columns at once), and :class:`StrokeRaster` paints those runs over a row's background
image; for a live trace that moved by whole columns it writes only the columns that changed
(:meth:`StrokeRaster.scroll`); :class:`StrokeBank` keeps the rows of one view in one array
so that a frame's scroll is one pass for all of them.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence

import numpy as np

OPAQUE = 0xFF000000
"""The alpha byte of an opaque RGB32 pixel."""

_FOLD_PASSES = 3
"""Columns with up to this many strokes more than one merge by folding neighbours (a few
cheap calls: a view's buckets put at most two strokes in a column); fuller columns, as after
a view shrinks, take one reduction per column, whose cost does not grow with the strokes."""


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
    top, bottom = column_spans_rows(
        columns, np.asarray(y0)[None, :], np.asarray(y1)[None, :], width, [height]
    )
    return top[0], bottom[0]


def column_spans_rows(
    columns: np.ndarray,
    y0: np.ndarray,
    y1: np.ndarray,
    width: int,
    heights: Sequence[int] | np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`column_spans` of several rows whose strokes lie in the same columns, at once.

    ``y0`` and ``y1`` are ``rows x strokes``; ``heights`` has one height per row (a row's
    runs are clamped to its own). Returns ``rows x width`` int32 arrays. The rows of a
    waveform view share their buckets, so one pass for all of them replaces a dozen small
    NumPy calls per row on every frame.
    """
    # Few, cheap NumPy calls (np.take and slices rather than fancy indexing, no np.clip or
    # np.diff): this runs on every frame.
    cols = np.asarray(columns)
    if cols.dtype.kind == "f":  # beyond either edge at most: huge or non-finite values
        cols = np.fmin(np.fmax(cols, -1.0), float(width))  # would not survive the cast
    cols = cols.astype(np.intp)
    limits = np.asarray(heights, dtype=np.int32).reshape(-1, 1)
    first = np.minimum(y0, y1).astype(np.int32)
    last = np.maximum(y0, y1).astype(np.int32)
    if first.ndim != 2 or first.shape != (len(limits), len(cols)):
        raise ValueError(f"Expected {len(limits)} rows of {len(cols)} strokes, got {first.shape}.")
    top = np.empty((len(limits), width), dtype=np.int32)
    top[:] = limits
    bottom = np.empty((len(limits), width), dtype=np.int32)
    bottom.fill(-1)
    if len(cols) > 1 and (cols[1:] < cols[:-1]).any():  # strokes in any order: sort
        order = np.argsort(cols, kind="stable")
        cols = cols[order]
        first, last = np.take(first, order, axis=1), np.take(last, order, axis=1)
    if len(cols) and (cols[0] < 0 or cols[-1] >= width):  # drop strokes outside the image
        keep = slice(*np.searchsorted(cols, [0, width]))
        cols, first, last = cols[keep], first[:, keep], last[:, keep]
    if not len(cols):
        return top, bottom
    opens = np.empty(len(cols), dtype=bool)  # the first stroke in its column
    opens[0] = True
    np.not_equal(cols[1:], cols[:-1], out=opens[1:])
    if not opens.all():  # strokes sharing a column merge into the column's first stroke
        follows = np.flatnonzero(~opens[1:])  # strokes whose next one is in their column
        links = follows
        for _ in range(_FOLD_PASSES):  # a pass per stroke beyond the first in a column
            if not len(links):
                break
            first[:, follows] = np.minimum(first[:, follows], first[:, follows + 1])
            last[:, follows] = np.maximum(last[:, follows], last[:, follows + 1])
            links = links[1:][links[1:] == links[:-1] + 1]
        starts = np.flatnonzero(opens)
        cols = cols[starts]
        if len(links):  # a column with more strokes: one reduction per column instead
            first = np.minimum.reduceat(first, starts, axis=1)
            last = np.maximum.reduceat(last, starts, axis=1)
        else:
            first, last = np.take(first, starts, axis=1), np.take(last, starts, axis=1)
    low, high = int(cols[0]), int(cols[-1])
    spans_top, spans_bottom = top[:, low : high + 1], bottom[:, low : high + 1]
    if len(cols) == high - low + 1:
        spans_top[:], spans_bottom[:] = first, last
    else:  # columns between strokes take the stroke before them
        before = np.searchsorted(cols, np.arange(low, high + 1), side="right") - 1
        spans_top[:] = np.take(first, before, axis=1)
        spans_bottom[:] = np.take(last, before, axis=1)
    for ends in (spans_top, spans_bottom):  # every column here has a run: clamp it
        np.maximum(ends, 0, out=ends)
        np.minimum(ends, limits - 1, out=ends)
    return top, bottom


def tail_spans_rows(
    y0: np.ndarray, y1: np.ndarray, width: int, heights: Sequence[int] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`column_spans_rows` of strokes one a column in the last columns, the newest in
    the rightmost (``columns`` ``width - n .. width - 1`` for ``n`` strokes a row; those that
    fall left of column 0 are dropped), as a live waveform row has them.

    ``y0`` and ``y1`` are ``rows x n`` whole numbers of pixel rows (floats, from -1 to the
    row's height: a row beyond either edge at most). Columns that are theirs alone need no
    sorting, merging or filling in: a few calls where the general rule takes some two dozen,
    on every frame.
    """
    limits = np.asarray(heights, dtype=np.int32).reshape(-1, 1)
    first, last = np.asarray(y0), np.asarray(y1)
    if first.ndim != 2 or first.shape != last.shape or len(first) != len(limits):
        raise ValueError(
            f"Expected {len(limits)} rows of strokes, got {first.shape}, {last.shape}."
        )
    count = first.shape[1]
    kept = min(count, width)
    start = width - kept  # the first column with a stroke
    top = np.empty((len(limits), width), dtype=np.int32)
    bottom = np.empty((len(limits), width), dtype=np.int32)
    top[:, :start] = limits
    bottom[:, :start] = -1
    runs_top, runs_bottom = top[:, start:], bottom[:, start:]
    np.minimum(first[:, count - kept :], last[:, count - kept :], out=runs_top, casting="unsafe")
    np.maximum(first[:, count - kept :], last[:, count - kept :], out=runs_bottom, casting="unsafe")
    for ends in (runs_top, runs_bottom):  # every column here has a run: clamp it
        np.maximum(ends, 0, out=ends)
        np.minimum(ends, limits - 1, out=ends)
    return top, bottom


_TURN_FIXED_PIXELS = 15_000
"""What :meth:`StrokeRaster.scroll` costs over a render, in pixels a render computes in that
time: below a band of about this many pixels, a render is cheaper (measured here)."""
_TURN_PIXELS_PER_ROW = 120
"""And what each row of the image adds to the cost of turning, in the same pixels."""


_HELD = operator.attrgetter("_held")
_ROTATION = operator.attrgetter("_rotation")


class _ColumnKinds:
    """A background's columns numbered by kind (alike columns share a number), and which
    columns get another kind when the picture moves left by ``shift`` (kept per shift: a
    live trace has one or two)."""

    def __init__(self, kinds: np.ndarray) -> None:
        self.kinds = kinds.astype(np.int32)
        self._moves: dict[int, np.ndarray] = {}

    def moves(self, shift: int) -> np.ndarray:
        """Which of the first ``width - shift`` columns have another kind than the column
        ``shift`` to their right."""
        moves = self._moves.get(shift)
        if moves is None:
            kinds = self.kinds
            moves = kinds[: len(kinds) - shift] != kinds[shift:]
            if len(self._moves) > 8:
                self._moves.clear()
            self._moves[shift] = moves
        return moves


class StrokeRaster:
    """One row's pixels: a fixed background with a run of one colour in each column.

    ``background`` is the row without strokes (``height x width`` RGB32 values, opaque);
    :meth:`render` returns the row with the given runs in ``colour`` on top of it, written
    into one array that is reused from frame to frame (wrap it in a ``QImage`` once):
    ``storage`` if given (``height x width`` int32, written in place: a :class:`StrokeBank`'s
    row), else an array of its own.
    """

    def __init__(
        self, background: np.ndarray, colour: int, storage: np.ndarray | None = None
    ) -> None:
        # A copy of its own: the caller's array may be a view of an image about to be freed.
        pixels = np.array(background, dtype=np.uint32, order="C", copy=True)
        if pixels.ndim != 2 or 0 in pixels.shape:
            raise ValueError(f"A row's background must be height x width, got {pixels.shape}.")
        self.height, self.width = pixels.shape
        ink = np.uint32((int(colour) | OPAQUE) & 0xFFFFFFFF)
        self.colour = int(ink)
        """The ink, as an opaque RGB32 value."""
        self.background = pixels
        # Where the ink mask is all ones the output is the background, where it is zero the
        # colour: out = colour ^ (mask & (colour ^ background)), a pass per operation.
        self._difference = (self.background ^ ink).view(np.int32)
        self._ink = ink.view(np.int32)
        self._row_index = np.arange(self.height, dtype=np.int32)[:, None]
        if storage is None:
            self._pixels = self.background.view(np.int32).copy()
        else:  # where a StrokeBank keeps this row
            if storage.shape != pixels.shape or storage.dtype != np.int32:
                raise ValueError(f"Storage for {pixels.shape} int32 pixels, got {storage.shape}.")
            self._pixels = storage
            self._pixels[:] = self.background.view(np.int32)
        self._band = (0, 0)  # the rows the previous render computed
        self._scratch = np.empty((self.height, self.width), dtype=np.int32)
        # Columns of the background that are alike share a number (the grid's lines and the
        # plain background between them): a column moved onto an alike one keeps its pixels.
        _, kinds = np.unique(self.background.T, axis=0, return_inverse=True)
        self._kinds = _ColumnKinds(kinds.reshape(-1))
        self._rotation = 0
        # The run of each picture column as the pixels hold it, or None when unknown.
        self._held: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def pixels(self) -> np.ndarray:
        """The array :meth:`render` writes (``height x width`` uint32, C-contiguous).

        After :meth:`scroll` its columns are a ring: the picture's column ``c`` is stored in
        column ``(c + rotation) % width`` (:attr:`rotation`; 0 after :meth:`render`).
        """
        return self._pixels.view(np.uint32)

    @property
    def rotation(self) -> int:
        """The stored column that holds the picture's first (leftmost) column."""
        return self._rotation

    def clear(self) -> np.ndarray:
        """The background alone, in :attr:`pixels`."""
        self._unroll()
        self._restore(0, 0)
        return self.pixels

    def render(self, top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
        """Ink rows ``top[c] .. bottom[c]`` of every column ``c`` (none where top > bottom).

        Only the band of rows some run reaches is computed; the rows inked by the previous
        call outside it get their background back. A quiet signal's band is a few rows, so
        its cost is a fraction of a loud one's.
        """
        # A column without a run has top > bottom, so the extremes bound the band whatever
        # such columns hold (column_spans gives them height and -1, outside every run).
        self._unroll()
        return self._render_band(top, bottom, *self._band_of(top, bottom))

    def _render_band(
        self, top: np.ndarray, bottom: np.ndarray, first: int, stop: int
    ) -> np.ndarray:
        """:meth:`render` with its band worked out, in a ring that is not turned."""
        if stop <= first:
            self._restore(0, 0)
            return self.pixels
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

    def scroll(self, top: np.ndarray, bottom: np.ndarray, shift: int) -> np.ndarray:
        """:meth:`render` the same runs for a picture that moved ``shift`` columns to the left
        since the previous call (a live trace: new columns came in at the right).

        A loud trace's band is most of the row, and :meth:`render` computes every pixel of
        it; here the stored columns are turned by ``shift`` (:attr:`rotation`) instead, and
        only those whose run or background differs from what they hold are written: the new
        columns, and the ones that moved onto or off a grid line. That costs the same for any
        signal, so a quiet trace (a narrow band) is still rendered. A wrong ``shift`` costs
        time, never pixels.
        """
        width = self.width
        if len(top) != width or len(bottom) != width:
            raise ValueError(f"Expected runs for {width} columns, got {len(top)}, {len(bottom)}.")
        held = self._held
        shift = int(shift) if 0 <= int(shift) < width else width
        first, stop = self._band_of(top, bottom)
        # Measured (bench/README.md): a render costs about a nanosecond per pixel of its band
        # over a fixed part; turning costs a fixed part and a little per row of the image.
        # Once turned, it stays so down to 3/4 of that, as going back re-renders every row.
        worth = _TURN_FIXED_PIXELS + self.height * _TURN_PIXELS_PER_ROW
        if self._rotation:
            worth = worth * 3 // 4
        if held is None or shift == width or (stop - first) * width < worth:
            return self._render_held(top, bottom, first, stop)
        # Picture column c now shows what column c + shift showed: it keeps its pixels if
        # its run and its background are those of that column.
        keep = width - shift
        differs = np.empty(width, dtype=bool)
        differs[keep:] = True  # the new columns
        kept = differs[:keep]
        held_top, held_bottom = held
        np.not_equal(top[:keep], held_top[shift:], out=kept)
        kept |= bottom[:keep] != held_bottom[shift:]
        kept |= self._kinds.moves(shift)
        changed = differs.nonzero()[0]
        if 2 * len(changed) > width:  # most of it
            return self._render_held(top, bottom, first, stop)
        rotation = (self._rotation + shift) % width
        if len(changed):
            runs_top, runs_bottom = top[changed], bottom[changed]
            rows = self._row_index
            outside = rows < runs_top
            outside |= rows > runs_bottom
            background = self.background.view(np.int32)[:, changed]
            stored = (changed + rotation) % width
            self._pixels[:, stored] = np.where(outside, background, self._ink)
        self._held = (np.array(top), np.array(bottom))  # copies, in their own integer width
        self._rotation = rotation
        self._band = (0, self.height)  # ink may be in any row: a render restores them all
        return self.pixels

    def _band_of(self, top: np.ndarray, bottom: np.ndarray) -> tuple[int, int]:
        """The rows some run reaches: ``first .. stop - 1`` (``stop <= first``: none)."""
        if not len(top):
            return 0, 0
        return max(int(top.min()), 0), min(int(bottom.max()) + 1, self.height)

    def _render_held(
        self, top: np.ndarray, bottom: np.ndarray, first: int, stop: int
    ) -> np.ndarray:
        """:meth:`render` (band given), and remember the runs for the next :meth:`scroll`."""
        self._unroll()
        pixels = self._render_band(top, bottom, first, stop)
        self._held = (np.array(top), np.array(bottom))  # copies, in their own integer width
        return pixels

    def _unroll(self) -> None:
        """Back to stored column = picture column, every column to be written again."""
        if self._rotation:  # every row may hold ink in a column that moved
            self._rotation = 0
            self._band = (0, self.height)
        self._held = None

    def _restore(self, first: int, stop: int) -> None:
        """Give the rows inked last time outside ``first .. stop - 1`` their background."""
        was_first, was_stop = self._band
        background = self.background.view(np.int32)
        for start, end in ((was_first, min(was_stop, first)), (max(was_first, stop), was_stop)):
            if start < end:
                self._pixels[start:end] = background[start:end]
        self._band = (first, stop)


class StrokeBank:
    """The rows of one view, each a :class:`StrokeRaster`, with their pixels in one array.

    The rows of a live view move together: the columns a frame must write (the new ones,
    those moving across a grid line, the oldest when the window lets go of a bucket) are
    nearly the same in every row. :meth:`scroll` finds them for all rows at once and writes
    them in every row in one pass, where scrolling row by row costs a scroll (or, for a quiet
    row, a render) and a handful of NumPy calls each. Each row's :attr:`rasters` entry keeps
    working on its own (a row painted somewhere else); the bank then renders all rows once
    to be in step again. With the ``gaps`` the screen leaves between the rows (pixel rows of
    ``gap_colour``), the bank's :attr:`pixels` are the picture of all rows at once, blitted
    in one go.
    """

    def __init__(
        self,
        backgrounds: Sequence[np.ndarray],
        colours: Sequence[int],
        gaps: Sequence[int] | None = None,
        gap_colour: int = OPAQUE,
    ) -> None:
        if not backgrounds or len(backgrounds) != len(colours):
            raise ValueError("A bank needs a background and a colour for each of its rows.")
        heights = [int(np.shape(background)[0]) for background in backgrounds]
        widths = {int(np.shape(background)[1]) for background in backgrounds}
        if len(widths) != 1:
            raise ValueError(f"The rows of a bank must be as wide, got widths {sorted(widths)}.")
        gaps = [0] * (len(heights) - 1) if gaps is None else [int(gap) for gap in gaps]
        if len(gaps) != len(heights) - 1 or any(gap < 0 for gap in gaps):
            raise ValueError(f"Expected {len(heights) - 1} gaps of 0 or more rows, got {gaps}.")
        self.width = widths.pop()
        # Each row followed by its gap: the pixel rows a row's part of a column write covers.
        spans = [height + gap for height, gap in zip(heights, [*gaps, 0], strict=True)]
        gap_pixel = np.array([gap_colour & 0xFFFFFFFF], dtype=np.uint32).view(np.int32)[0]
        self._storage = np.full((sum(spans), self.width), gap_pixel, dtype=np.int32)
        starts = np.cumsum([0, *spans])[:-1]
        self.rasters = [
            StrokeRaster(background, colour, self._storage[start : start + height])
            for background, colour, start, height in zip(
                backgrounds, colours, starts, heights, strict=True
            )
        ]
        self._spans = np.array(spans)
        # What a column write needs, a stored column to a row of its own (columns x pixel
        # rows): gathering a frame's few columns is then a copy of whole rows, several
        # times faster than picking them out of every pixel row. A gap's pixel rows have the
        # row index -1, outside every run: they are written with their own colour.
        backgrounds_and_gaps, row_indices = [], []
        for raster, gap in zip(self.rasters, [*gaps, 0], strict=True):
            backgrounds_and_gaps += [
                raster.background.view(np.int32),
                np.full((gap, self.width), gap_pixel, dtype=np.int32),
            ]
            row_indices += [raster._row_index[:, 0], np.full(gap, -1, dtype=np.int32)]
        self._background_by_column = np.ascontiguousarray(np.concatenate(backgrounds_and_gaps).T)
        self._ink_by_column = np.repeat(
            np.array([r.colour for r in self.rasters], dtype=np.uint32).view(np.int32), spans
        )[None, :]
        self._row_index_by_column = np.concatenate(row_indices)[None, :]
        # Columns alike in every row share a number (see StrokeRaster).
        kinds = np.stack([r._kinds.kinds for r in self.rasters], axis=1)
        _, together = np.unique(kinds, axis=0, return_inverse=True)
        self._kinds = _ColumnKinds(together.reshape(-1))
        self._rotation = 0
        # The runs the rows hold (rows x width), and the pair each row was given from them:
        # a row whose pair is another one was drawn on its own since.
        self._held: tuple[np.ndarray, np.ndarray] | None = None
        self._pairs: list[tuple[np.ndarray, np.ndarray]] = []

    @property
    def pixels(self) -> np.ndarray:
        """All rows' pixels and the gaps between them, top to bottom (uint32, C-contiguous,
        a ring of columns like :attr:`StrokeRaster.pixels`): one picture of the whole bank
        while :meth:`in_step`."""
        return self._storage.view(np.uint32)

    @property
    def rotation(self) -> int:
        """The stored column that holds the picture's first column, in every row."""
        return self._rotation

    def in_step(self) -> bool:
        """Whether every row holds what the last :meth:`scroll` drew (none drew on its own
        since), turned as the bank is: :attr:`pixels` is then the picture of all rows."""
        # Looped in C (it runs twice a frame): each row holds its pair, turned as the bank.
        return (
            self._held is not None
            and all(map(operator.is_, map(_HELD, self.rasters), self._pairs))
            and set(map(_ROTATION, self.rasters)) == {self._rotation}
        )

    def scroll(self, top: np.ndarray, bottom: np.ndarray, shift: int) -> None:
        """:meth:`StrokeRaster.scroll` of every row: ``top`` and ``bottom`` are
        ``rows x width``, row ``i`` for ``rasters[i]``. A wrong ``shift`` costs time, never
        pixels."""
        count, width = len(self.rasters), self.width
        if top.shape != (count, width) or bottom.shape != (count, width):
            raise ValueError(
                f"Expected runs for {count} rows of {width} columns, got {top.shape}, "
                f"{bottom.shape}."
            )
        shift = int(shift) if 0 <= int(shift) < width else width
        held, rotation = self._held, self._rotation
        in_step = shift < width and self.in_step()
        changed = np.empty(0, dtype=np.intp)
        if in_step:
            assert held is not None
            keep = width - shift
            differs = np.empty((count, width), dtype=bool)
            differs[:, keep:] = True  # the new columns
            kept = differs[:, :keep]
            np.not_equal(top[:, :keep], held[0][:, shift:], out=kept)
            kept |= bottom[:, :keep] != held[1][:, shift:]
            columns = np.logical_or.reduce(differs, axis=0)
            columns[:keep] |= self._kinds.moves(shift)
            changed = columns.nonzero()[0]
        if not in_step or 2 * len(changed) > width:  # out of step, or most of it changed
            for raster, row_top, row_bottom in zip(self.rasters, top, bottom, strict=True):
                raster._render_held(row_top, row_bottom, *raster._band_of(row_top, row_bottom))
            rotation, scrolled = 0, False
        else:
            rotation, scrolled = (rotation + shift) % width, True
            if len(changed):  # worked out a column to a row (see __init__), written back
                spans, rows = self._spans, self._row_index_by_column
                outside = rows < np.repeat(top[:, changed].T, spans, axis=1)
                outside |= rows > np.repeat(bottom[:, changed].T, spans, axis=1)
                written = np.where(
                    outside, self._background_by_column[changed], self._ink_by_column
                )
                self._storage[:, (changed + rotation) % width] = written.T
        # Copies, in their own integer width; each row holds its part of them.
        self._held = held = (np.array(top), np.array(bottom))
        self._rotation = rotation
        self._pairs = [(held[0][i], held[1][i]) for i in range(count)]
        for raster, pair in zip(self.rasters, self._pairs, strict=True):
            raster._held = pair
            raster._rotation = rotation
            if scrolled:
                raster._band = (0, raster.height)  # ink may be in any row: a render restores all
