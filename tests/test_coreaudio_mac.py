"""The CoreAudio backend on a real Mac, through BlackHole (a bit-exact virtual loopback device).

Runs only on macOS with BlackHole 2ch installed (``brew install blackhole-2ch``), as the macOS
workflow sets up; skipped everywhere else. What the harness tests on Linux
(``test_coreaudio_logic.py``) is checked here against Core Audio itself: device listing,
sample-exact play and record in channel order, positions on one clock, clear errors.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pytest

import scgui.audio as sc
from audio_helpers import RATE, capture_while_playing, find_exact, pattern

BLACKHOLE = "BlackHole 2ch"


def _blackhole_present() -> bool:
    if sys.platform != "darwin":
        return False
    try:
        return any(BLACKHOLE in s.name for s in sc.all_speakers())
    except sc.AudioError:
        return False


pytestmark = pytest.mark.skipif(
    not _blackhole_present(), reason="needs macOS with BlackHole 2ch (brew install blackhole-2ch)"
)


@pytest.fixture
def speaker() -> sc.Speaker:
    return sc.get_speaker(BLACKHOLE)


@pytest.fixture
def microphone() -> sc.Microphone:
    return sc.get_microphone(BLACKHOLE)


def test_blackhole_is_listed_both_ways_with_its_uid(speaker, microphone) -> None:
    assert speaker.channels == 2 and microphone.channels == 2
    assert speaker.id == microphone.id  # one device, one UID, both directions
    assert speaker.info.samplerate in (44100, 48000, 96000)
    assert speaker.info.latency is not None and 0 < speaker.info.latency < 0.5
    assert sc.default_speaker() is not None


def test_a_pattern_comes_back_sample_exact_in_channel_order(speaker, microphone) -> None:
    if speaker.info.samplerate != RATE:
        pytest.skip(f"BlackHole runs at {speaker.info.samplerate} Hz here, not {RATE}")
    data = pattern(RATE // 2, 2, seed=11)
    find_exact(capture_while_playing(speaker, microphone, data), data)
    swapped = capture_while_playing(speaker, microphone, data, play_channels=[1, 0])
    find_exact(swapped, data[:, ::-1])


@pytest.mark.parametrize("blocksize", [64, 256, 1024])
def test_block_sizes_frame_exactly(speaker, microphone, blocksize) -> None:
    if speaker.info.samplerate != RATE:
        pytest.skip(f"BlackHole runs at {speaker.info.samplerate} Hz here, not {RATE}")
    data = pattern(RATE // 4, 2, seed=blocksize)
    recording = capture_while_playing(
        speaker, microphone, data, blocksize=blocksize, play_blocksize=max(512, blocksize)
    )
    find_exact(recording, data)


def test_positions_share_one_clock(speaker, microphone) -> None:
    with microphone.recorder(speaker.info.samplerate) as recorder:
        with speaker.player(speaker.info.samplerate) as player:
            player.play(np.zeros((4800, 2), np.float32))
            recorder.record(4800)
            played, recorded = player.device_position(), recorder.device_position()
    now = time.perf_counter()
    assert abs(now - played.time) < 1.0 and abs(now - recorded.time) < 1.0


def test_recording_at_another_rate_is_refused_with_the_rate_to_use(microphone) -> None:
    other = 44100 if microphone.info.samplerate != 44100 else 48000
    with pytest.raises(sc.InvalidConfigError, match=f"records at {microphone.info.samplerate}"):
        with microphone.recorder(other) as recorder:
            recorder.record(10)


@pytest.mark.skipif(
    os.environ.get("SCGUI_MAC_TAP_TEST") != "1",
    reason="a process tap asks the person for permission: set SCGUI_MAC_TAP_TEST=1 at a Mac",
)
def test_a_loopback_microphone_records_what_the_speaker_plays(speaker) -> None:
    loopback = sc.get_microphone(speaker.id + "#loopback", include_loopback=True)
    assert loopback.isloopback
    data = pattern(RATE // 2, 2, seed=12)
    recording = capture_while_playing(speaker, loopback, data)
    assert np.any(recording != 0)
