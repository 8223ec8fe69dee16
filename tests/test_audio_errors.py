"""Every bad input and broken environment gives a clear scgui.audio error, never a crash."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import scgui.audio as sc
from scgui.audio.backends import set_backend
from scgui.audio.backends.pulseaudio import PulseAudioBackend
from scgui.virtual_rig import MULTI8

RATE = 48000


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )


def test_import_does_not_connect_or_load_libpulse() -> None:
    result = run_python(
        """
        import sys
        import scgui.audio
        loaded = [m for m in sys.modules if 'pulseaudio' in m or '_pulse' in m]
        print('loaded', loaded)
        """,
        PULSE_SERVER="unix:/nonexistent/socket",
    )
    assert result.returncode == 0, result.stderr
    assert "loaded []" in result.stdout


def test_no_server_is_a_clear_error_at_first_use() -> None:
    result = run_python(
        """
        import scgui.audio as sc
        try:
            sc.all_speakers()
        except sc.ServerUnavailableError as exc:
            print('ERROR:', exc)
        """,
        PULSE_SERVER="unix:/nonexistent/socket",
    )
    assert result.returncode == 0, result.stderr
    assert "ERROR: Cannot connect to the PulseAudio sound server" in result.stdout
    assert "unix:/nonexistent/socket" in result.stdout  # names what was tried
    assert "Start PulseAudio" in result.stdout  # says what to do


def test_backend_pointed_at_a_dead_server() -> None:
    backend = PulseAudioBackend(server="unix:/nonexistent/socket")
    with pytest.raises(sc.ServerUnavailableError, match="nonexistent"):
        backend.list_devices("speaker")
    old = set_backend(backend)
    try:
        with pytest.raises(sc.AudioError):
            sc.default_speaker()
    finally:
        set_backend(old)


def test_server_dying_mid_recording_keeps_what_was_recorded(tmp_path) -> None:
    from scgui.virtual_rig import VirtualRig

    with VirtualRig() as private:
        backend = PulseAudioBackend(server=private.server)
        old = set_backend(backend)
        try:
            mic = sc.get_microphone(MULTI8.monitor, include_loopback=True)
            with mic.recorder(RATE) as recorder:
                first = recorder.record(4800)
                private.stop()
                with pytest.raises(sc.AudioError) as caught:
                    while True:
                        recorder.record(480)
                assert "sound server" in str(caught.value)
                leftover = recorder.flush()
            assert len(first) == 4800 and leftover.shape[1] == 8
        finally:
            set_backend(old)
            backend.close()


def test_unknown_device() -> None:
    with pytest.raises(sc.DeviceNotFoundError, match="Available speakers"):
        sc.get_speaker("no such thing")
    with pytest.raises(sc.DeviceNotFoundError, match="Available microphones"):
        sc.get_microphone("no such thing", include_loopback=True)
    with pytest.raises(sc.DeviceNotFoundError):
        sc.get_speaker(42)  # type: ignore[arg-type]


@pytest.mark.parametrize("rate", [0, -48000, 44100.5, "48000", None, float("nan"), True])
def test_bad_samplerate(rate) -> None:
    speaker = sc.get_speaker(MULTI8.name)
    with pytest.raises(sc.InvalidConfigError, match="samplerate"):
        speaker.player(rate)
    with pytest.raises(ValueError):  # also a ValueError, for soundcard-style code
        sc.get_microphone("Reversed").recorder(rate)


def test_rate_the_server_cannot_do() -> None:
    with pytest.raises(sc.InvalidConfigError, match="Hz"):
        with sc.get_speaker(MULTI8.name).player(10_000_000):
            pass


@pytest.mark.parametrize(
    ("channels", "match"),
    [
        (9, "8 channels"),
        (0, "8 channels"),
        ([8], "out of range"),
        ([0, -2], "out of range"),
        ([], "empty"),
        ([0.5], "whole numbers"),
        ("ab", "whole numbers"),
        (object(), "number or a list"),
    ],
)
def test_bad_channel_map(channels, match) -> None:
    speaker = sc.get_speaker(MULTI8.name)
    with pytest.raises(sc.InvalidConfigError, match=match):
        speaker.player(RATE, channels=channels)
    with pytest.raises(sc.InvalidConfigError, match=match):
        sc.get_microphone("Reversed").recorder(RATE, channels=channels)


@pytest.mark.parametrize("blocksize", [0, -1, 2.5, "256", 1 << 30])
def test_bad_blocksize(blocksize) -> None:
    with pytest.raises(sc.InvalidConfigError, match="blocksize"):
        sc.get_speaker(MULTI8.name).player(RATE, blocksize=blocksize)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (np.zeros((10, 2, 2)), "3-D"),
        (np.zeros((10, 3)), "3 columns"),
        (np.array(["a", "b"]), "real numbers"),
        (np.zeros(4, dtype=complex), "real numbers"),
        ([[0.0, 0.1], [0.2]], "Cannot turn|real numbers"),
    ],
)
def test_bad_data(data, match) -> None:
    with sc.get_speaker(MULTI8.name).player(RATE, channels=2) as player:
        with pytest.raises(sc.InvalidDataError, match=match) as caught:
            player.play(data)
        assert isinstance(caught.value, TypeError) and isinstance(caught.value, ValueError)


def test_bad_numframes() -> None:
    with sc.get_microphone("Reversed").recorder(RATE) as recorder:
        for numframes in (-1, 1.5, "10"):
            with pytest.raises(sc.InvalidConfigError, match="numframes"):
                recorder.record(numframes)  # type: ignore[arg-type]


def test_play_on_a_closed_player() -> None:
    player = sc.get_speaker(MULTI8.name).player(RATE)
    with pytest.raises(sc.StreamError, match="with"):
        player.play(np.zeros(10, dtype=np.float32))


def test_integer_and_float64_data_are_converted() -> None:
    with sc.get_speaker(MULTI8.name).player(RATE) as player:
        player.play(np.zeros((100, 8), dtype=np.float64))
        player.play(np.zeros((100, 8), dtype=np.int16))
        player.play([0.0] * 100)


def test_device_unplugged_before_opening(rig) -> None:
    with rig.plug_sink("gone"):
        speaker = sc.get_speaker("gone")
    with pytest.raises(sc.DeviceNotFoundError, match="no longer available"):
        with speaker.player(RATE):
            pass


def test_device_unplugged_while_playing(rig) -> None:
    with rig.plug_sink("yanked") as sink:
        speaker = sc.get_speaker("yanked")
        with pytest.raises(sc.StreamError, match="removed"):
            with speaker.player(RATE) as player:
                player.play(np.zeros((4800, 2), dtype=np.float32))
                sink.unplug()
                for _ in range(100):
                    player.play(np.zeros((4800, 2), dtype=np.float32))
