"""Input rules, once for all backends: what play() accepts, how integers are scaled, which
numbers are refused, check_settings, timeouts, capabilities. Loopback checks run against the
real server; a bounded hypothesis fuzz checks that bad input only ever raises our errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scgui.audio as sc
from audio_helpers import RATE, capture_while_playing, find_exact
from scgui.audio.streams import as_frames, check_numframes
from scgui.virtual_rig import MULTI8


def test_int16_is_scaled_as_soundfile_reads_it(scarlett, scarlett_monitor) -> None:
    """16384 as int16 is half scale (0.5), not a clip: checked sample-exact on the monitor."""
    rng = np.random.default_rng(5)
    samples = rng.integers(-32768, 32767, (4800, 2), dtype=np.int16)
    samples[samples == 0] = 1
    recorded = capture_while_playing(scarlett, scarlett_monitor, samples, margin=0.2)
    find_exact(recorded, samples / np.float32(32768))


@pytest.mark.parametrize(
    ("dtype", "value", "expected"),
    [
        (np.int16, 16384, 0.5),
        (np.int16, -32768, -1.0),
        (np.int32, 2**30, 0.5),
        (np.int8, -64, -0.5),
        (np.uint8, 192, 0.5),
        (np.float64, 0.25, 0.25),
    ],
)
def test_sample_types_are_scaled(dtype, value, expected) -> None:
    frames = as_frames(np.full(4, value, dtype=dtype), 2)
    assert frames.dtype == np.float32 and frames.shape == (4, 2)
    assert np.all(frames == np.float32(expected))


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (np.array([0.0, np.nan]), "NaN"),
        (np.array([0.0, np.inf]), "infinite"),
        (np.array([0.1, 16384.0]), "beyond full scale"),
        (np.array([True, False]), "booleans"),
        (np.array([1 + 2j]), "real numbers"),
        (np.array(["a"]), "real numbers"),
        (np.array([1e300]), "NaN or infinite|beyond"),
    ],
)
def test_data_that_would_play_at_full_scale_is_refused(data, match, scarlett) -> None:
    with pytest.raises(sc.InvalidDataError, match=match):
        as_frames(data, 2)
    with scarlett.player(RATE) as player:  # the same rule through the public API
        with pytest.raises(ValueError, match=match):
            player.play(data)


@pytest.mark.parametrize("rate", [math.inf, -math.inf, math.nan, 1e400])
def test_infinite_samplerate_is_a_clear_error(rate, scarlett) -> None:
    with pytest.raises(sc.InvalidConfigError, match="samplerate"):
        scarlett.player(rate)


@pytest.mark.parametrize("numframes", [math.inf, math.nan, -1, 2.5, True, "10"])
def test_bad_numframes_is_a_clear_error(numframes, scarlett_monitor) -> None:
    with pytest.raises(sc.InvalidConfigError, match="numframes"):
        check_numframes(numframes)
    with scarlett_monitor.recorder(RATE) as recorder:
        with pytest.raises(sc.InvalidConfigError, match="numframes"):
            recorder.record(numframes)


def test_record_none_waits_for_a_fragment_instead_of_spinning(scarlett_monitor) -> None:
    with scarlett_monitor.recorder(RATE, blocksize=480) as recorder:
        sizes = [len(recorder.record(None)) for _ in range(20)]
    assert all(size > 0 for size in sizes), sizes


def test_check_settings(scarlett, scarlett_monitor) -> None:
    assert sc.check_settings(scarlett, RATE, channels=[1, 0], blocksize=256) is None
    assert sc.check_settings(scarlett_monitor) is None
    with pytest.raises(sc.InvalidConfigError, match="Hz"):
        sc.check_settings(scarlett, 10_000_000)
    with pytest.raises(sc.InvalidConfigError, match="out of range"):
        sc.check_settings(scarlett, RATE, channels=[5])
    with pytest.raises(sc.InvalidConfigError, match="blocksize"):
        sc.check_settings(scarlett, RATE, blocksize=0)
    with pytest.raises(sc.InvalidConfigError, match="Speaker or Microphone"):
        sc.check_settings("scarlett", RATE)


def test_check_settings_for_a_device_that_went(rig) -> None:
    with rig.plug_sink("brief"):
        speaker = sc.get_speaker("brief")
    with pytest.raises(sc.DeviceNotFoundError, match="no longer available"):
        sc.check_settings(speaker, RATE)


def test_timeout_setting() -> None:
    assert sc.get_timeout() == 5.0
    sc.set_timeout(2.5)
    try:
        assert sc.get_timeout() == 2.5
    finally:
        sc.set_timeout(None)
    for bad in (0, -1, math.inf, math.nan, "5", True, 1e9):
        with pytest.raises(sc.InvalidConfigError, match="timeout"):
            sc.set_timeout(bad)


def test_capabilities_of_the_pulseaudio_backend() -> None:
    caps = sc.capabilities()
    assert caps.loopback and caps.set_default and caps.volume and caps.app_name
    assert not caps.exclusive_mode


# -- fuzz: whatever goes in, only scgui.audio's own errors come out ---------------------------

_numbers = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=5),
)
_channels = st.one_of(
    _numbers,
    st.lists(st.one_of(st.integers(-3, 10), st.floats(), st.text(max_size=3)), max_size=10),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(samplerate=_numbers, channels=_channels, blocksize=_numbers)
def test_fuzz_stream_arguments(samplerate, channels, blocksize) -> None:
    speaker = sc.get_speaker(MULTI8.name)
    try:
        player = speaker.player(samplerate, channels=channels, blocksize=blocksize)
    except sc.AudioError:
        return
    try:
        with player:
            player.play(np.zeros((16, player.channels), np.float32))
    except sc.AudioError:
        pass


@settings(max_examples=80, deadline=None)
@given(
    data=st.one_of(
        st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=20),
        st.lists(st.lists(st.floats(width=32), min_size=1, max_size=3), max_size=5),
        st.lists(st.integers(-(2**40), 2**40), max_size=10),
        st.lists(st.booleans(), max_size=5),
        st.text(max_size=5),
        st.none(),
    ),
    channels=st.integers(1, 4),
)
def test_fuzz_play_data(data, channels) -> None:
    try:
        frames = as_frames(data, channels)
    except sc.InvalidDataError:
        return
    assert frames.dtype == np.float32 and frames.flags.c_contiguous
    assert frames.ndim == 2 and frames.shape[1] == channels
    assert np.all(np.isfinite(frames)) and np.all(np.abs(frames) <= 8.0)


@settings(max_examples=60, deadline=None)
@given(query=st.one_of(st.text(max_size=40), st.integers(), st.none(), st.binary(max_size=5)))
def test_fuzz_device_lookup(query) -> None:
    for find in (sc.get_speaker, sc.get_microphone):
        try:
            device = find(query)
        except sc.AudioError:
            continue
        assert isinstance(query, str) and query.strip(), (query, device)


def test_exclusive_mode_where_the_backend_has_none(multi8, multi8_monitor) -> None:
    assert not sc.capabilities().exclusive_mode  # PulseAudio mixes every stream
    with pytest.raises(sc.InvalidConfigError, match="no exclusive mode"):
        with multi8.player(48000, exclusive=True):
            pass
    with pytest.raises(sc.InvalidConfigError, match="no exclusive mode"):
        with multi8_monitor.recorder(48000, exclusive=True):
            pass
    with pytest.raises(sc.InvalidConfigError, match="True or False"):
        multi8.player(48000, exclusive="yes")  # type: ignore[arg-type]
