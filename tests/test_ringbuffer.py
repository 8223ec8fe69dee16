"""The display ring buffer: pure NumPy."""

from __future__ import annotations

import numpy as np
import pytest

from scgui.engine.ringbuffer import RingBuffer


def blocks(total: int, size: int, channels: int = 2):
    data = np.arange(total * channels, dtype=np.float32).reshape(total, channels)
    for start in range(0, total, size):
        yield data[start : start + size]


def test_latest_after_wraparound() -> None:
    ring = RingBuffer(100, 2)
    for block in blocks(1000, 37):
        ring.write(block)
    expected = np.arange(1000 * 2, dtype=np.float32).reshape(1000, 2)
    np.testing.assert_array_equal(ring.latest(100), expected[-100:])
    np.testing.assert_array_equal(ring.latest(10), expected[-10:])
    assert ring.total == 1000


def test_since_returns_new_frames_only_and_caps_at_capacity() -> None:
    ring = RingBuffer(64, 1)
    ring.write(np.ones((10, 1), np.float32))
    got, position = ring.since(0)
    assert len(got) == 10 and position == 10
    ring.write(np.full((5, 1), 2, np.float32))
    got, position = ring.since(position)
    np.testing.assert_array_equal(got[:, 0], [2] * 5)
    ring.write(np.zeros((500, 1), np.float32))  # a stalled reader loses only display frames
    got, _ = ring.since(position)
    assert len(got) == 64


def test_wrong_channel_count() -> None:
    with pytest.raises(ValueError, match="2 channels"):
        RingBuffer(10, 2).write(np.zeros((3, 3), np.float32))
