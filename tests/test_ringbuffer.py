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


def test_read_by_position_with_columns_and_wraparound() -> None:
    ring = RingBuffer(100, 3)
    data = np.arange(250 * 3, dtype=np.float32).reshape(250, 3)
    for block in np.split(data, [37, 90, 161, 200]):
        ring.write(block)
    np.testing.assert_array_equal(ring.read(180, 240), data[180:240])  # wraps inside
    np.testing.assert_array_equal(ring.read(200, 250, [2, 0]), data[200:250][:, [2, 0]])
    np.testing.assert_array_equal(ring.read(120, 160, [1]), data[150:160, [1]])  # 120-149 gone
    assert ring.read(0, 100).shape == (0, 3)  # overwritten long ago
    np.testing.assert_array_equal(ring.read(100, 400), data[150:])  # clipped to what is held
    assert ring.read(240, 240, [0, 1]).shape == (0, 2)


def test_since_hands_out_every_frame_exactly_once() -> None:
    """Consecutive since() calls tile the stream: each frame once, at its own position."""
    ring = RingBuffer(64, 1)
    data = np.arange(1000, dtype=np.float32).reshape(-1, 1)
    got, position = [], 0
    for index, block in enumerate(np.split(data, range(7, 1000, 13))):
        ring.write(block)
        if index % 3 == 0:  # a reader that looks after some writes only
            start = position
            fresh, position = ring.since(position)
            assert fresh.shape[0] == position - start
            got.append(fresh)
    fresh, position = ring.since(position)
    got.append(fresh)
    np.testing.assert_array_equal(np.concatenate(got)[:, 0], np.arange(position))
