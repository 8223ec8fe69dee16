"""The audio worker and controller against the virtual rig (Qt event loop, no window)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np
import pytest
import soundfile

import scgui.audio as sc
from audio_helpers import RATE, find_exact, pattern, tone_on
from scgui.engine.controller import AppController, DisplayFrame
from scgui.engine.sources import ArraySource, FileSource
from scgui.engine.worker import AudioWorker, RecordingStatus, WorkerStats
from scgui.virtual_rig import MULTI8, SCARLETT


def sine(channels: int, channel: int, amplitude: float, seconds: float = 0.1) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    data = np.zeros((len(t), channels), dtype=np.float32)
    data[:, channel] = amplitude * np.sin(2 * np.pi * 1000 * t)
    return data


@pytest.fixture
def controller(qtbot) -> Iterator[AppController]:
    ctl = AppController()
    yield ctl
    ctl.shutdown()
    assert not ctl.worker.isRunning(), "the worker thread did not stop"


@pytest.fixture
def worker(qtbot) -> Iterator[AudioWorker]:
    audio_worker = AudioWorker()
    audio_worker.start()
    yield audio_worker
    assert audio_worker.shutdown()


def test_controller_lists_the_rigs_devices(controller, qtbot) -> None:
    with qtbot.waitSignal(controller.devicesChanged) as signal:
        assert controller.connect_server()
    snapshot = signal.args[0]
    assert {s.id for s in snapshot.speakers} == {SCARLETT.name, MULTI8.name}
    assert MULTI8.monitor in {m.id for m in snapshot.microphones}
    assert snapshot.default_speaker_id == SCARLETT.name


def test_device_list_follows_the_server(controller, qtbot, rig) -> None:
    controller.connect_server()

    def has(device_id: str) -> bool:
        return device_id in {s.id for s in controller.devices.speakers}

    module = rig.pactl("load-module", "module-null-sink", "sink_name=enginetest").strip()
    try:
        qtbot.waitUntil(lambda: has("enginetest"), timeout=5000)
    finally:
        rig.pactl("unload-module", module)
    qtbot.waitUntil(lambda: not has("enginetest"), timeout=5000)


def test_meters_show_the_right_level_on_the_right_channel(controller, qtbot) -> None:
    controller.connect_server()
    monitor = sc.get_microphone(MULTI8.monitor, include_loopback=True)
    frames: list[DisplayFrame] = []
    controller.displayUpdated.connect(frames.append)
    with tone_on(MULTI8.name, sine(8, 3, 0.5)):
        controller.start_monitoring(monitor, RATE)
        controller.set_display_active(True)
        qtbot.waitUntil(lambda: len(frames) > 30, timeout=5000)
    last = frames[-1]
    assert last.peak_db[3] == pytest.approx(-6.02, abs=0.3)
    assert last.rms_db[3] == pytest.approx(-9.03, abs=0.3)
    others = np.delete(last.peak_db, 3)
    assert np.all(others < -100), f"signal leaked to other meters: {others}"
    assert last.waveform.shape[1] == 8


def test_display_frames_carry_the_new_frames_once_and_the_history_behind_them(
    controller, qtbot
) -> None:
    controller.connect_server()
    monitor = sc.get_microphone(MULTI8.monitor, include_loopback=True)
    frames: list[DisplayFrame] = []
    controller.displayUpdated.connect(frames.append)
    with tone_on(MULTI8.name, sine(8, 5, 0.25)):
        controller.start_monitoring(monitor, RATE)
        controller.set_display_active(True)
        qtbot.waitUntil(lambda: len(frames) > 20, timeout=5000)
    for before, frame in itertools.pairwise(frames):
        assert len(frame.fresh) > 0
        assert frame.position - len(frame.fresh) == before.position  # no gap, no overlap
    last = frames[-1]
    np.testing.assert_array_equal(
        last.history.read(last.position - len(last.fresh), last.position), last.fresh
    )
    assert last.waveform.shape == (min(last.position, 2 * RATE), 8)
    np.testing.assert_array_equal(last.waveform[-len(last.fresh) :], last.fresh)


def test_recording_contains_the_played_signal(worker, qtbot, tmp_path) -> None:
    monitor = sc.get_microphone(MULTI8.monitor, include_loopback=True)
    path = tmp_path / "take.wav"
    data = pattern(RATE // 2, 8, seed=11)
    with qtbot.waitSignal(worker.monitoringStarted):
        worker.start_monitoring(monitor, RATE)
    with qtbot.waitSignal(worker.recordingStarted):
        worker.start_recording(path, subtype="FLOAT")
    sc.get_speaker(MULTI8.name).play(data, RATE)
    qtbot.wait(200)
    with qtbot.waitSignal(worker.recordingFinished) as finished:
        worker.stop_recording()
    status: RecordingStatus = finished.args[0]
    recorded, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    assert rate == RATE and status.frames == len(recorded) and status.dropouts == 0
    find_exact(recorded, data)


def test_flac_loopback_recording_of_selected_channels(worker, qtbot, tmp_path) -> None:
    loopback = sc.get_microphone(SCARLETT.name, include_loopback=True)
    assert loopback.isloopback
    path = tmp_path / "loop.flac"
    with qtbot.waitSignal(worker.monitoringStarted):
        worker.start_monitoring(loopback, RATE, channels=[1])
    with tone_on(SCARLETT.name, sine(2, 1, 0.25)):
        with qtbot.waitSignal(worker.recordingStarted):
            worker.start_recording(path)
        qtbot.wait(500)
        with qtbot.waitSignal(worker.recordingFinished):
            worker.stop_recording()
    recorded, _ = soundfile.read(str(path), dtype="float32", always_2d=True)
    assert recorded.shape[1] == 1 and len(recorded) > RATE // 4
    assert np.max(np.abs(recorded)) == pytest.approx(0.25, abs=0.01)


def test_playback_of_a_file_reaches_the_monitor(worker, qtbot, tmp_path) -> None:
    path = tmp_path / "play.wav"
    data = pattern(RATE // 4, 2, seed=12)
    soundfile.write(str(path), data, RATE, subtype="FLOAT")
    monitor = sc.get_microphone(MULTI8.monitor, include_loopback=True)
    with monitor.recorder(RATE) as recorder:
        recorder.record(None)
        with qtbot.waitSignal(worker.playbackFinished, timeout=5000):
            worker.play(FileSource(path), sc.get_speaker(MULTI8.name), channels=[4, 5])
        recording = recorder.record(RATE // 2)
    expected = np.zeros((len(data), 8), dtype=np.float32)
    expected[:, 4:6] = data
    find_exact(recording, expected)


def test_play_and_monitor_at_once(worker, qtbot) -> None:
    monitor = sc.get_microphone(MULTI8.monitor, include_loopback=True)
    stats: list[WorkerStats] = []
    worker.statsUpdated.connect(stats.append)
    with qtbot.waitSignal(worker.monitoringStarted):
        worker.start_monitoring(monitor, RATE)
    worker.play(ArraySource(sine(1, 0, 0.5), RATE, loop=True), sc.get_speaker(MULTI8.name), [2])
    qtbot.waitUntil(lambda: len(stats) >= 3, timeout=5000)
    assert worker.ring is not None
    newest = worker.ring.latest(RATE // 10)
    assert np.max(np.abs(newest[:, 2])) == pytest.approx(0.5, abs=0.01)
    assert stats[-1].playback is not None and stats[-1].playback.duration is None
    with qtbot.waitSignal(worker.playbackFinished):
        worker.stop_playback()


def test_signals_stay_low_rate_whatever_the_gui_does(worker, qtbot) -> None:
    """A GUI that never draws must not make queued signals pile up."""
    monitor = sc.get_microphone(MULTI8.monitor, include_loopback=True)
    counts = {"stats": 0}
    worker.statsUpdated.connect(lambda _s: counts.__setitem__("stats", counts["stats"] + 1))
    with qtbot.waitSignal(worker.monitoringStarted):
        worker.start_monitoring(monitor, RATE, blocksize=64)
    qtbot.wait(1000)
    assert counts["stats"] <= 6  # about 4 a second, not one per 64-frame block


def test_errors_are_reported_not_raised(worker, qtbot, tmp_path) -> None:
    with qtbot.waitSignal(worker.errorOccurred) as error:
        worker.start_recording(tmp_path / "x.wav")
    assert "monitoring" in error.args[0].message
    monitor = sc.get_microphone(MULTI8.monitor, include_loopback=True)
    with qtbot.waitSignal(worker.monitoringStarted):
        worker.start_monitoring(monitor, RATE)
    existing = tmp_path / "exists.wav"
    existing.write_bytes(b"keep me")
    with qtbot.waitSignal(worker.errorOccurred) as error:
        worker.start_recording(existing)
    assert "exists" in error.args[0].message
    assert existing.read_bytes() == b"keep me"
    with qtbot.waitSignal(worker.errorOccurred) as error:
        worker.play(ArraySource(np.zeros((10, 9)), RATE), sc.get_speaker(MULTI8.name))
    assert "9 channels" in error.args[0].message


def test_shutdown_mid_recording_finishes_the_file(qtbot, tmp_path) -> None:
    worker = AudioWorker()
    worker.start()
    monitor = sc.get_microphone(MULTI8.monitor, include_loopback=True)
    path = tmp_path / "cut.flac"
    with qtbot.waitSignal(worker.monitoringStarted):
        worker.start_monitoring(monitor, RATE)
    with qtbot.waitSignal(worker.recordingStarted):
        worker.start_recording(path)
    qtbot.wait(300)
    assert worker.shutdown()
    assert not worker.isRunning()
    info = soundfile.info(str(path))
    assert info.frames > RATE // 10


def test_controller_follows_the_server_going_and_coming_back(qtbot, tmp_path) -> None:
    """Killed server: the status says so; restarted: status and device lists come back."""
    import os
    import signal

    from scgui.audio.backends import set_backend
    from scgui.audio.backends.pulseaudio import PulseAudioBackend
    from scgui.virtual_rig import VirtualRig

    private = VirtualRig(base_dir=tmp_path, keepalive=False)
    private.start()
    backend = PulseAudioBackend(server=private.server, timeout=2.0)
    old = set_backend(backend)
    ctl = AppController()
    try:
        assert ctl.connect_server()
        with qtbot.waitSignal(ctl.serverStatusChanged, timeout=10000) as lost:
            os.kill(private.pids[0], signal.SIGKILL)
        assert lost.args[0] is False and "reconnects" in lost.args[1]
        private.stop()
        with qtbot.waitSignal(ctl.serverStatusChanged, timeout=15000) as back:
            private.start()
        assert back.args[0] is True
        assert MULTI8.name in {s.id for s in ctl.devices.speakers}
    finally:
        ctl.shutdown()
        set_backend(old)
        backend.close()
        private.stop()
