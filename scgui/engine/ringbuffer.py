"""A ring buffer of the newest audio, written by the audio thread and read by the display.

The display pulls from it on its own frame clock, so a stalled GUI never makes anything
queue up: old frames are simply overwritten. Recording does not go through here (it has a
lossless queue of its own).
"""

from __future__ import annotations

import threading

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

    def since(self, position: int) -> tuple[np.ndarray, int]:
        """Frames written after ``position`` (only the newest ``capacity`` if more), and
        the position to pass next time."""
        total = self._total
        return self.latest(total - position), total
