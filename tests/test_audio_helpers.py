"""The loopback helpers tell a PipeWire dropout from a library bug (pure NumPy, no server)."""

from __future__ import annotations

import numpy as np
import pytest

from audio_helpers import PipeWireDropout, assert_exact, pattern


@pytest.fixture
def pipewire(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCGUI_RIG_SERVER", "pipewire")


def _with_silence(expected: np.ndarray, at: int, silent: int, resume_from: int) -> np.ndarray:
    """``expected`` with ``silent`` zero frames at ``at``, then the audio from ``resume_from``."""
    got = np.concatenate(
        [expected[:at], np.zeros((silent, expected.shape[1]), np.float32), expected[resume_from:]]
    )
    return got[: len(expected)]


def test_bit_exact_passes(pipewire: None) -> None:
    data = pattern(4800, 8, seed=3)
    assert_exact(data.copy(), data)


def test_inserted_silence_is_a_dropout(pipewire: None) -> None:
    data = pattern(48000, 8, seed=3)
    with pytest.raises(PipeWireDropout):
        assert_exact(_with_silence(data, 26624, 512, 26624), data)


def test_silence_that_swallowed_part_of_a_cycle_is_a_dropout(pipewire: None) -> None:
    """Measured in CI: 512 silent frames, then frame 27136 is expected frame 26880."""
    data = pattern(48000, 8, seed=3)
    with pytest.raises(PipeWireDropout, match="512 silent frames"):
        assert_exact(_with_silence(data, 26624, 512, 26880), data)


def test_audio_lost_beyond_the_silence_is_a_real_failure(pipewire: None) -> None:
    data = pattern(48000, 8, seed=3)
    with pytest.raises(AssertionError) as caught:
        assert_exact(_with_silence(data, 26624, 256, 26624 + 1024), data)
    assert not isinstance(caught.value, PipeWireDropout)


def test_lost_frames_without_silence_are_a_real_failure(pipewire: None) -> None:
    data = pattern(48000, 8, seed=3)
    got = np.concatenate([data[:1000], data[1100:], data[:100]])
    with pytest.raises(AssertionError) as caught:
        assert_exact(got, data)
    assert not isinstance(caught.value, PipeWireDropout)


def test_off_pipewire_a_dropout_fails_outright(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCGUI_RIG_SERVER", "pulseaudio")
    data = pattern(48000, 8, seed=3)
    with pytest.raises(AssertionError) as caught:
        assert_exact(_with_silence(data, 26624, 512, 26624), data)
    assert not isinstance(caught.value, PipeWireDropout)


def test_one_channel_silent_for_a_cycle_is_a_dropout(pipewire: None) -> None:
    """Measured in CI: channel 1 of 8 silent for 256 frames at 6400, channel 6 exact."""
    data = pattern(12000, 8, seed=3)
    got = data.copy()
    got[6400:6656, 1] = 0
    with pytest.raises(PipeWireDropout, match=r"channel\(s\) \[1\]"):
        assert_exact(got, data)


def test_a_channel_silent_for_the_whole_take_is_a_real_failure(pipewire: None) -> None:
    data = pattern(12000, 8, seed=3)
    got = data.copy()
    got[:, 1] = 0
    with pytest.raises(AssertionError) as caught:
        assert_exact(got, data)
    assert not isinstance(caught.value, PipeWireDropout)


def test_a_channel_with_wrong_audio_is_a_real_failure(pipewire: None) -> None:
    data = pattern(12000, 8, seed=3)
    got = data.copy()
    got[6400:6656, 1] = 0
    got[6400:6656, 2] = data[6400:6656, 3]
    with pytest.raises(AssertionError) as caught:
        assert_exact(got, data)
    assert not isinstance(caught.value, PipeWireDropout)
