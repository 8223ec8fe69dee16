"""The loopback helpers tell a PipeWire dropout from a library bug (pure NumPy, no server)."""

from __future__ import annotations

import numpy as np
import pytest

import audio_helpers
from audio_helpers import PipeWireDropout, ReportedGlitch, assert_exact, find_exact, pattern


@pytest.fixture
def pipewire(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCGUI_RIG_SERVER", "pipewire")


def _with_silence(expected: np.ndarray, at: int, silent: int, resume_from: int) -> np.ndarray:
    """``expected`` with ``silent`` zero frames at ``at``, then the audio from ``resume_from``
    (and silence after it: a recording goes on past the take)."""
    channels = expected.shape[1]
    got = np.concatenate(
        [
            expected[:at],
            np.zeros((silent, channels), np.float32),
            expected[resume_from:],
            np.zeros((len(expected), channels), np.float32),
        ]
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


def test_several_dropouts_in_one_take_are_a_dropout(pipewire: None) -> None:
    """Seen in CI on a busy host: a run of 256 silent frames more than once in a take, each
    inserted or standing in for part of a cycle, the audio bit-exact between them."""
    data = pattern(48000, 8, seed=3)
    got = _with_silence(data, 3840, 256, 3840)  # inserted: the rest 256 frames late
    got = np.concatenate([got[:20000], np.zeros((256, 8), np.float32), got[20128:]])[:48000]
    got = np.concatenate([got[:40000], np.zeros((512, 8), np.float32), got[40000:]])[:48000]
    with pytest.raises(PipeWireDropout):
        assert_exact(got, data)


def test_later_losses_are_pipewire_losses_and_a_later_repeat_is_not(pipewire: None) -> None:
    data = pattern(48000, 8, seed=3)
    got = _with_silence(data, 3840, 256, 3840)
    pad = np.zeros((2000, 8), np.float32)
    beyond = np.concatenate([got[:20000], np.zeros((256, 8), np.float32), got[21000:], pad])
    without = np.concatenate([got[:20000], got[20100:], pad])
    beyond, without = beyond[:48000], without[:48000]
    for lost in (beyond, without):
        with pytest.raises(PipeWireDropout):
            assert_exact(lost, data)
    repeated = np.concatenate([got[:20000], got[19900:]])[:48000]
    with pytest.raises(AssertionError) as caught:
        assert_exact(repeated, data)
    assert not isinstance(caught.value, PipeWireDropout)


def test_audio_lost_beyond_the_silence_is_a_pipewire_loss(pipewire: None) -> None:
    """Seen in CI with the host taking 40 % of the CPUs: 256 silent frames, then the audio
    512 frames on. What arrived is the played audio, in order: PipeWire's, not the library's
    (the PulseAudio pass asks for every frame)."""
    data = pattern(48000, 8, seed=3)
    with pytest.raises(PipeWireDropout, match="in order, bit-exact"):
        assert_exact(_with_silence(data, 26624, 256, 26624 + 1024), data)


def test_audio_garbled_doubled_or_mostly_lost_is_a_real_failure(pipewire: None) -> None:
    data = pattern(48000, 8, seed=3)
    garbled = _with_silence(data, 26624, 256, 26624 + 1024)
    garbled[30000, 2] = 0.123
    doubled = np.concatenate([data[:20000], data[19000:]])[:48000]
    mostly_lost = _with_silence(data, 1000, 256, 30000)
    for wrong in (garbled, doubled, mostly_lost):
        with pytest.raises(AssertionError) as caught:
            assert_exact(wrong, data)
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


def test_a_mismatch_in_a_take_with_a_reported_glitch_is_named_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A take in which the library reported an underrun or overflow may be retried; the
    same mismatch with nothing reported fails outright, and an exact take passes either way."""
    monkeypatch.setenv("SCGUI_RIG_SERVER", "pulseaudio")
    data = pattern(4800, 2, seed=5)
    late = np.concatenate(
        [np.zeros((100, 2), np.float32), data[:2000], np.zeros((300, 2)), data[2000:]]
    )
    monkeypatch.setitem(audio_helpers.LAST_TAKE, "glitches", 1)
    with pytest.raises(ReportedGlitch, match="reported 1 underruns or overflows"):
        find_exact(late.astype(np.float32), data)
    with pytest.raises(ReportedGlitch):
        assert_exact(late[100:4900].astype(np.float32), data)
    find_exact(np.concatenate([np.zeros((10, 2), np.float32), data]), data)
    monkeypatch.setitem(audio_helpers.LAST_TAKE, "glitches", 0)
    with pytest.raises(AssertionError) as caught:
        find_exact(late.astype(np.float32), data)
    assert not isinstance(caught.value, ReportedGlitch)
