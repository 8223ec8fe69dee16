"""A ring buffer of the newest audio, written by the audio thread and read by the display.

The display pulls from it on its own frame clock, so a stalled GUI never makes anything
queue up: old frames are simply overwritten. Recording does not go through here (it has a
lossless queue of its own).

Frames have absolute positions (:attr:`RingBuffer.total` counts every frame ever written), so
a reader can take just the frames that arrived since its last look (:meth:`RingBuffer.since`)
and read older ones back by position when it has to (:meth:`RingBuffer.read`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np


class RingBuffer:
    """Holds the newest ``capacity`` frames of ``channels`` float32 channels."""

    def __init__(self, capacity: int, channels: int) -> None:
        if capacity < 1 or channels < 1:
            raise ValueError("A ring buffer needs at least one frame and one channel.")
        self._data = np.zeros((capacity, channels), dtype=np.float32)
        self._total = 0
        self._lock = threading.Lock()

    @property
    def capacity(self) -> int:
        return self._data.shape[0]

    @property
    def channels(self) -> int:
        return self._data.shape[1]

    @property
    def total(self) -> int:
        """Frames written since creation (a position readers can remember)."""
        return self._total

    def write(self, block: np.ndarray) -> None:
        """Append ``block`` (``n x channels``), overwriting the oldest frames."""
        count = block.shape[0]
        if count == 0:
            return
        if block.ndim != 2 or block.shape[1] != self.channels:
            raise ValueError(
                f"Expected blocks of {self.channels} channels, got shape {block.shape}."
            )
        capacity = self.capacity
        if count >= capacity:
            block = block[-capacity:]
        with self._lock:
            start = self._total % capacity
            first = min(block.shape[0], capacity - start)
            self._data[start : start + first] = block[:first]
            self._data[: block.shape[0] - first] = block[first:]
            self._total += count

    def latest(self, count: int) -> np.ndarray:
        """A copy of the newest ``count`` frames (fewer if fewer were ever written)."""
        with self._lock:
            count = min(count, self.capacity, self._total)
            end = self._total % self.capacity
            if count <= end:
                return self._data[end - count : end].copy()
            return np.concatenate((self._data[end - count :], self._data[:end]))

    def read(self, start: int, stop: int, columns: Sequence[int] | None = None) -> np.ndarray:
        """A copy of the frames at positions ``start .. stop-1`` that are still held.

        Positions count from the first frame ever written (see :attr:`total`). Frames that
        were overwritten already, or not written yet, are left out, so the result may be
        shorter (its last row is always the frame at ``stop - 1`` when that one is held).
        With ``columns``, only those channels, in that order (``frames x len(columns)``).
        """
        with self._lock:
            capacity, total = self.capacity, self._total
            start = max(int(start), total - capacity, 0)
            stop = min(int(stop), total)
            if stop <= start:
                return np.empty(
                    (0, self.channels if columns is None else len(columns)), dtype=self._data.dtype
                )
            first, last = start % capacity, (stop - 1) % capacity + 1
            if columns is None:
                if first < last:
                    return self._data[first:last].copy()
                return np.concatenate((self._data[first:], self._data[:last]))
            index = list(columns)
            if first < last:
                return self._data[first:last, index]
            return np.concatenate((self._data[first:, index], self._data[:last, index]))

    def since(self, position: int) -> tuple[np.ndarray, int]:
        """Frames written after ``position`` (only the newest ``capacity`` if more), and
        the position to pass next time (the position just after the last frame returned)."""
        with self._lock:
            total = self._total
        return self.read(position, total), total
