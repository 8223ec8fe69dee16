"""The waveform rows' data: per-bucket minima and maxima of the newest audio (pure NumPy).

A trace is a min/max envelope of about one bucket per horizontal pixel column, so a 2 s window
at 48 kHz costs a few hundred to a couple of thousand points per row instead of 96 000, and a
single-sample spike still shows (:func:`peak_envelope`). :class:`RollingEnvelope` keeps it up
to date incrementally: each display frame reduces only the frames that arrived since the
previous one, into a small ring of buckets aligned on absolute sample positions (a bucket never
changes once it is complete, so the trace scrolls without shimmering).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np

# The reductions themselves: ndarray.min and max go through a layer of Python first, and a
# display frame makes half a dozen of them.
_MIN = np.minimum.reduce
_MAX = np.maximum.reduce


def peak_envelope(samples: np.ndarray, n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Reduce ``samples`` to about ``n_points`` points that keep every bucket's min and max.

    The newest samples are split into ``n_points // 2`` equal buckets (the few oldest samples
    that do not fill a bucket are dropped, the newest never are); each bucket yields its
    minimum then its maximum, both at the bucket's first sample index. Drawn as a line, the
    pairs make the vertical strokes of a classic peak waveform, so a one-sample spike survives
    any amount of downsampling, which plain decimation would lose.

    Returns ``(x_index, y)``: sample indices into ``samples`` (float64, non-decreasing) and the
    values. When there are no more samples than points, the samples come back unchanged.
    """
    x_index, y = peak_envelope_rows(np.asarray(samples).reshape(1, -1), n_points)
    return x_index, y[0]


def peak_envelope_rows(rows: np.ndarray, n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`peak_envelope` of every row of a ``channels x samples`` array in one pass.

    All rows share the bucket layout, hence one ``x_index``; ``y`` is ``channels x points``.
    One reduction over a contiguous array is several times faster than one per channel.
    """
    data = np.asarray(rows)
    channels, count = data.shape
    buckets = n_points // 2
    if buckets < 1 or count <= n_points:
        return np.arange(count, dtype=np.float64), data
    size = count // buckets
    offset = count - buckets * size
    blocks = data[:, offset:].reshape(channels, buckets, size)
    y = np.empty((channels, 2 * buckets), dtype=data.dtype)
    np.min(blocks, axis=2, out=y[:, 0::2])
    np.max(blocks, axis=2, out=y[:, 1::2])
    starts = offset + np.arange(buckets, dtype=np.float64) * size
    return np.repeat(starts, 2), y


class FrameHistory(Protocol):
    """Where :class:`WaveformView` reads the window back from when it must rebuild.

    :class:`~scgui.engine.ringbuffer.RingBuffer` is one: ``read(start, stop, columns)``
    returns the frames at absolute positions ``start .. stop-1`` that it still holds (the
    newest of them if it no longer holds them all), as ``frames x len(columns)``.
    """

    def read(self, start: int, stop: int, columns: Sequence[int] | None = None) -> np.ndarray: ...


class ArrayHistory:
    """A whole array as a :class:`FrameHistory` whose frame 0 is at position 0."""

    def __init__(self, frames: np.ndarray) -> None:
        self._frames = frames

    def read(self, start: int, stop: int, columns: Sequence[int] | None = None) -> np.ndarray:
        block = self._frames[max(0, start) : max(0, stop)]
        return block if columns is None else block[:, list(columns)]


class RollingEnvelope:
    """Per-bucket min/max of the newest ``window`` frames of some channels, kept incrementally.

    Bucket ``b`` holds the frames at absolute positions ``b*bucket .. (b+1)*bucket - 1``; the
    newest bucket is usually still filling. :meth:`push` reduces only the frames it is given
    and writes the results into a ring of buckets, so each display frame costs in proportion
    to the audio that arrived, not to the window. :meth:`envelope` returns what
    :func:`peak_envelope_rows` would for the buckets of the window: each bucket's minimum
    then its maximum, both at the bucket's first position; a bucket that starts before the
    window is left out, as are the oldest frames there. With ``bucket == 1`` the samples
    themselves come back, one point each.
    """

    def __init__(self, channels: int, bucket: int, window: int) -> None:
        if channels < 1 or bucket < 1 or window < 1:
            raise ValueError("An envelope needs a channel, a bucket and a window of frames.")
        self.channels = int(channels)
        self.bucket = int(bucket)
        self.window = int(window)
        self._slots = -(-self.window // self.bucket) + 2
        self._min = np.zeros((self._slots, self.channels), dtype=np.float32)
        self._max = np.zeros((self._slots, self.channels), dtype=np.float32)
        self._last = np.zeros((self._slots, self.channels), dtype=np.float32)
        self._origin = 0  # first position pushed since the last reset
        self._end: int | None = None  # the position after the last frame pushed

    @property
    def end(self) -> int | None:
        """The position just after the newest frame pushed (None before the first push)."""
        return self._end

    def reset(self, origin: int) -> None:
        """Forget everything; the next frame pushed will be at position ``origin``."""
        self._origin = int(origin)
        self._end = int(origin)

    def push(self, block: np.ndarray, start: int | None = None) -> None:
        """Add ``block`` (``frames x channels``), whose first frame is at position ``start``.

        ``start`` defaults to :attr:`end` (the frames that follow the previous push). A block
        that does not follow on (frames skipped or repeated) restarts the envelope there.
        """
        data = np.asarray(block)
        if data.ndim != 2 or data.shape[1] != self.channels:
            raise ValueError(f"Expected frames x {self.channels} channels, got {data.shape}.")
        if start is None:
            start = self._end if self._end is not None else 0
        start = int(start)
        if start != self._end:
            self.reset(start)
        count = data.shape[0]
        if count == 0:
            return
        size, slots = self.bucket, self._slots
        keep = (slots - 1) * size  # older frames could never be shown again
        if count > keep:
            skip = count - keep
            skip += (-(start + skip)) % size  # start on a bucket boundary
            data, start = data[skip:], start + skip
            self._origin = max(self._origin, start)
            count = data.shape[0]
        # Channels x frames, contiguous: NumPy reduces along the last axis several times
        # faster than along a middle one.
        rows = np.ascontiguousarray(data.T)
        position, done = start, 0
        into = position % size
        if into:  # the rest of a bucket begun by the previous push (or, after a reset, by
            take = min(count, size - into)  # frames before the origin, which do not count)
            slot = (position // size) % slots
            low, high = _MIN(rows[:, :take], axis=1), _MAX(rows[:, :take], axis=1)
            if position > self._origin:
                np.minimum(self._min[slot], low, out=self._min[slot])
                np.maximum(self._max[slot], high, out=self._max[slot])
            else:
                self._min[slot], self._max[slot] = low, high
            self._last[slot] = rows[:, take - 1]
            position, done = position + take, take
        whole = (count - done) // size
        if whole:
            chunk = rows[:, done : done + whole * size].reshape(self.channels, whole, size)
            first = (position // size) % slots
            self._store(self._min, first, _MIN(chunk, axis=2).T)
            self._store(self._max, first, _MAX(chunk, axis=2).T)
            self._store(self._last, first, chunk[:, :, -1].T)
            position, done = position + whole * size, done + whole * size
        if done < count:  # start the next bucket
            slot = (position // size) % slots
            self._min[slot] = _MIN(rows[:, done:], axis=1)
            self._max[slot] = _MAX(rows[:, done:], axis=1)
            self._last[slot] = rows[:, -1]
        self._end = start + count

    def _store(self, ring: np.ndarray, first: int, values: np.ndarray) -> None:
        """Write ``values`` (one row per bucket) into ``ring`` from slot ``first`` on."""
        head = min(len(values), self._slots - first)
        ring[first : first + head] = values[:head]
        ring[: len(values) - head] = values[head:]

    def envelope(self, joined: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """``(positions, y)``: the absolute position of every point (float64, non-decreasing)
        and the values, ``channels x points`` (float32, C-contiguous). Empty before the first
        frame.

        With ``joined``, each bucket's range also takes in the last frame of the bucket before
        it (except for the first bucket shown), so the ranges hold every value a line through
        all the samples passes over in that bucket: drawn as one vertical stroke per bucket,
        they join up into the trace however steep the signal.
        """
        end = self._end
        if end is None or end <= self._origin:
            return np.empty(0), np.empty((self.channels, 0), dtype=np.float32)
        size = self.bucket
        first_bucket = max(-(-(end - self.window) // size), self._origin // size)
        last_bucket = (end - 1) // size
        count = last_bucket - first_bucket + 1
        starts = np.arange(first_bucket, last_bucket + 1, dtype=np.float64) * size
        if first_bucket * size < self._origin:
            starts[0] = self._origin
        low = self._ordered(self._min, first_bucket, count)
        if size == 1:
            return starts, low.T
        high = self._ordered(self._max, first_bucket, count)
        if joined and count > 1:
            before = self._ordered(self._last, first_bucket, count - 1)
            np.minimum(low[1:], before, out=low[1:])
            np.maximum(high[1:], before, out=high[1:])
        # Points in bucket order, minimum then maximum: channels x 2*count, each channel's
        # points contiguous (the views hand them on row by row, and stack them unchanged).
        points = np.empty((self.channels, count, 2), dtype=np.float32)
        points[:, :, 0], points[:, :, 1] = low.T, high.T
        return np.repeat(starts, 2), points.reshape(self.channels, 2 * count)

    def _ordered(self, ring: np.ndarray, first_bucket: int, count: int) -> np.ndarray:
        """A copy of ``count`` rows of ``ring`` in bucket order from ``first_bucket``."""
        first = first_bucket % self._slots
        if first + count <= self._slots:
            return ring[first : first + count].copy()
        return np.concatenate((ring[first:], ring[: first + count - self._slots]))
