"""Other programs' streams, on the real server: listed, moved, turned down and muted.

The other program is ``pacat`` (libpulse's own client), so what the library changes is seen
both in the server's listing and in the audio that reaches the devices' monitors.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

import scgui.audio as sc
from audio_helpers import RATE
from scgui.virtual_rig import MULTI8, SCARLETT

PROGRAM = "Tone Maker"
AMPLITUDE = 0.5


def _wait_for(condition: Callable[[], object], what: str, seconds: float = 5.0) -> object:
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _the_stream(kind: str) -> sc.AppStream | None:
    found = [s for s in sc.list_streams() if s.application == PROGRAM and s.kind == kind]
    return found[0] if found else None


def _rms_on(monitor_id: str, seconds: float = 0.4) -> float:
    """RMS of what a speaker's monitor records now (its first channel)."""
    microphone = sc.get_microphone(monitor_id, include_loopback=True)
    with microphone.recorder(RATE, channels=[0]) as recorder:
        recorder.record(int(0.1 * RATE))  # let a move or a volume change settle
        data = recorder.record(int(seconds * RATE))
    return float(np.sqrt(np.mean(np.square(data, dtype=np.float64))))


@pytest.fixture
def tone_player(rig, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Another program playing a 1 kHz stereo sine (amplitude 0.5) to ``scarlett``."""
    t = np.arange(60 * RATE) / RATE
    sine = (AMPLITUDE * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    raw = tmp_path / "tone.raw"
    np.repeat(sine[:, None], 2, axis=1).tofile(raw)
    process = subprocess.Popen(
        [
            "pacat",
            "--playback",
            "--raw",
            "--format=float32le",
            f"--rate={RATE}",
            "--channels=2",
            f"--device={SCARLETT.name}",
            f"--client-name={PROGRAM}",
            "--stream-name=Sine",
            str(raw),
        ],
        env={**os.environ, **rig.env},
    )
    try:
        # PipeWire lists a new stream for a moment before it is linked to its device.
        _wait_for(lambda: (s := _the_stream("playback")) and s.device_id, "pacat's stream")
        yield process
    finally:
        process.kill()
        process.wait()


@pytest.fixture
def listener(rig) -> Iterator[subprocess.Popen[bytes]]:
    """Another program recording from ``scarlett``'s monitor."""
    process = subprocess.Popen(
        [
            "parecord",
            "--raw",
            f"--device={SCARLETT.monitor}",
            f"--client-name={PROGRAM}",
            "/dev/null",
        ],
        env={**os.environ, **rig.env},
    )
    try:
        _wait_for(lambda: (s := _the_stream("recording")) and s.device_id, "parecord's stream")
        yield process
    finally:
        process.kill()
        process.wait()


def test_another_program_is_listed_on_its_device(tone_player) -> None:
    stream = _the_stream("playback")
    assert stream is not None and stream.device_id == SCARLETT.name
    assert stream.name == "Sine" and stream.process_id == tone_player.pid
    assert len(stream.volume) == 2 and not stream.muted
    assert stream in sc.list_streams(SCARLETT.name) and stream not in sc.list_streams(MULTI8.name)


def test_moving_a_playback_stream_moves_its_sound(tone_player) -> None:
    stream = _the_stream("playback")
    assert stream is not None
    assert _rms_on(SCARLETT.monitor) == pytest.approx(AMPLITUDE / np.sqrt(2), rel=0.05)
    sc.move_stream(stream, sc.get_speaker(MULTI8.name))
    moved = _wait_for(
        lambda: (s := _the_stream("playback")) and s.device_id == MULTI8.name and s, "the move"
    )
    assert isinstance(moved, sc.AppStream) and moved.id == stream.id
    assert _rms_on(MULTI8.monitor) > 0.1  # the sine, upmixed onto 8 channels
    assert _rms_on(SCARLETT.monitor) == 0.0
    sc.move_stream(moved, SCARLETT.name)  # by id, and back
    _wait_for(lambda: (s := _the_stream("playback")) and s.device_id == SCARLETT.name, "move back")


def test_stream_volume_is_the_gain_volume_to_db_states(tone_player) -> None:
    stream = _the_stream("playback")
    assert stream is not None
    loud = _rms_on(SCARLETT.monitor)
    sc.set_stream_volume(stream, 0.5)
    turned = _wait_for(
        lambda: (s := _the_stream("playback")) and abs(s.volume[0] - 0.5) < 0.001 and s, "volume"
    )
    assert isinstance(turned, sc.AppStream) and len(set(turned.volume)) == 1
    quiet = _rms_on(SCARLETT.monitor)
    stated = sc.volume_to_db(0.5)
    assert stated == pytest.approx(-18.06, abs=0.01)  # cubic, not -6 dB
    assert 20 * np.log10(quiet / loud) == pytest.approx(stated, abs=0.2)
    sc.set_stream_volume(stream, [1.0, 0.0])  # one per channel
    _wait_for(lambda: (s := _the_stream("playback")) and s.volume == (1.0, 0.0), "per channel")


def test_muting_a_stream_silences_it_and_unmuting_brings_it_back(tone_player) -> None:
    stream = _the_stream("playback")
    assert stream is not None
    sc.set_stream_mute(stream, True)
    _wait_for(lambda: (s := _the_stream("playback")) and s.muted, "the mute")
    assert _rms_on(SCARLETT.monitor) == 0.0
    sc.set_stream_mute(stream, False)
    _wait_for(lambda: (s := _the_stream("playback")) and not s.muted, "the unmute")
    assert _rms_on(SCARLETT.monitor) > 0.1


def test_a_recording_stream_moves_mutes_and_turns_down(listener) -> None:
    stream = _the_stream("recording")
    assert stream is not None and stream.device_id == SCARLETT.monitor
    sc.move_stream(stream, sc.get_microphone(MULTI8.monitor, include_loopback=True))
    _wait_for(lambda: (s := _the_stream("recording")) and s.device_id == MULTI8.monitor, "the move")
    sc.set_stream_mute(stream, True)
    _wait_for(lambda: (s := _the_stream("recording")) and s.muted, "the mute")
    sc.set_stream_volume(stream, 0.25)
    _wait_for(lambda: (s := _the_stream("recording")) and abs(s.volume[0] - 0.25) < 0.001, "volume")


def test_wrong_arguments_say_what_to_give(tone_player) -> None:
    stream = _the_stream("playback")
    assert stream is not None
    with pytest.raises(sc.DeviceNotFoundError, match="no-such-sink"):
        sc.move_stream(stream, "no-such-sink")
    with pytest.raises(sc.InvalidConfigError, match="can only move to a speaker"):
        sc.move_stream(stream, sc.get_microphone(SCARLETT.monitor, include_loopback=True))
    with pytest.raises(sc.InvalidConfigError, match="list_streams"):
        sc.set_stream_mute("Sine", True)  # type: ignore[arg-type]
    with pytest.raises(sc.InvalidConfigError, match="linear factors"):
        sc.set_stream_volume(stream, 5.0)
    with pytest.raises(sc.InvalidConfigError, match="one per channel"):
        sc.set_stream_volume(stream, [1.0, 1.0, 1.0])
    with pytest.raises(sc.InvalidConfigError, match="linear factor"):
        sc.volume_to_db(-1.0)


def test_a_stream_that_has_ended_gets_a_clear_error(tone_player) -> None:
    stream = _the_stream("playback")
    assert stream is not None
    tone_player.kill()
    tone_player.wait()
    _wait_for(lambda: _the_stream("playback") is None, "the stream to end")
    with pytest.raises(sc.BackendError, match="list the streams again"):
        sc.set_stream_mute(stream, True)
    with pytest.raises(sc.BackendError, match="'Sine' of 'Tone Maker'"):
        sc.move_stream(stream, MULTI8.name)
    assert sc.capabilities().stream_control
