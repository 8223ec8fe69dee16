"""Channel-map parsing and application: pure NumPy logic."""

from __future__ import annotations

import numpy as np
import pytest

from scgui.audio.channelmap import parse_channel_map
from scgui.audio.errors import InvalidConfigError


def test_int_and_none() -> None:
    assert parse_channel_map(None, 4, "dev").columns == (0, 1, 2, 3)
    assert parse_channel_map(2, 4, "dev").columns == (0, 1)
    assert parse_channel_map(np.int64(3), 4, "dev").columns == (0, 1, 2)
    assert parse_channel_map(None, 4, "dev").is_identity


def test_capture_picks_and_mixes() -> None:
    frames = np.arange(12, dtype=np.float32).reshape(3, 4)
    cmap = parse_channel_map([3, -1, 0, 3], 4, "dev")
    out = cmap.capture(frames)
    np.testing.assert_array_equal(out[:, 0], frames[:, 3])
    np.testing.assert_allclose(out[:, 1], frames.mean(axis=1))
    np.testing.assert_array_equal(out[:, 2], frames[:, 0])
    np.testing.assert_array_equal(out[:, 3], frames[:, 3])


def test_playback_scatters_and_sums() -> None:
    data = np.array([[1.0, 2.0, 4.0]], dtype=np.float32)
    out = parse_channel_map([2, 0, 2], 3, "dev").playback(data)
    np.testing.assert_array_equal(out, [[2.0, 0.0, 5.0]])
    out = parse_channel_map([-1, 1], 3, "dev").playback(data[:, :2])
    np.testing.assert_array_equal(out, [[1.0, 3.0, 1.0]])


def test_message_names_the_device_and_the_range() -> None:
    with pytest.raises(InvalidConfigError) as caught:
        parse_channel_map([0, 5], 2, "Focusrite Scarlett 2i2")
    message = str(caught.value)
    assert "'Focusrite Scarlett 2i2' has 2 channels" in message and "0 to 1" in message
