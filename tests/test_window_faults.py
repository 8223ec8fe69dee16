"""The window under faults, against real servers: a lost server while idle, a server that
comes back, a device unplugged mid-take, a full disk, closing while recording, and a window
killed with SIGKILL mid-take (every format, then the recovery offer at the next start)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from scgui.audio.backends import set_backend
from scgui.audio.backends.pulseaudio import PulseAudioBackend
from scgui.engine.takefile import pending_takes, working_path
from scgui.ui.main_window import MainWindow
from scgui.virtual_rig import MULTI8, VirtualRig

RATE = 48000


@pytest.fixture(autouse=True)
def private_settings(tmp_path: Path) -> None:
    QSettings.setPath(
        QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "settings")
    )
    QSettings("scgui", "scgui").clear()


@pytest.fixture
def warnings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every warning box the window would show, instead of showing it."""
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: shown.append(text))
    monkeypatch.setattr(
        "scgui.ui.main_window.show_problem", lambda _parent, problem: shown.append(problem.message)
    )
    monkeypatch.setattr(QMessageBox, "information", lambda *args: None)
    return shown


@pytest.fixture
def window(qtbot, warnings) -> Iterator[MainWindow]:
    main = MainWindow()
    qtbot.addWidget(main)
    main.show()
    yield main
    main._recording = False  # never ask in teardown
    main.close()


def answer_next_box(button_text: str) -> None:
    """Click ``button_text`` on the next modal box, as a user would."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        for button in box.buttons():
            if button.text() == button_text:
                button.click()
                return
        raise AssertionError(f"no {button_text!r} in {[b.text() for b in box.buttons()]}")

    QTimer.singleShot(20, click)


def start_monitoring(window: MainWindow, qtbot, device_id: str) -> None:
    window.monitor_bar.select(device_id)
    with qtbot.waitSignal(window.controller.worker.monitoringStarted, timeout=5000):
        window.monitor_bar.monitor_button.click()


def start_recording(window: MainWindow, qtbot, path: Path) -> None:
    window.record_panel.set_format(path.suffix.lstrip("."))
    window.record_panel.path_edit.setText(str(path))
    with qtbot.waitSignal(window.controller.worker.recordingStarted, timeout=5000):
        window.record_panel.record_button.click()


def listed_ids(window: MainWindow, kind: str) -> set[str]:
    model = window.device_panel.model(kind)
    return {model.device_at(row).id for row in range(model.rowCount())}


# -- the server ------------------------------------------------------------------------------


@pytest.fixture
def private_server(tmp_path: Path) -> Iterator[VirtualRig]:
    """A server of the window's own, to kill and restart; the session's rig is left alone."""
    private = VirtualRig(base_dir=tmp_path / "rig", keepalive=False)
    private.start()
    backend = PulseAudioBackend(server=private.server, timeout=2.0)
    old = set_backend(backend)
    try:
        yield private
    finally:
        set_backend(old)
        backend.close()
        private.stop()


@pytest.mark.pulseaudio_only  # restarts a private PulseAudio rig with its modules
def test_server_killed_while_idle_shows_at_once_and_comes_back(
    qtbot, warnings, private_server
) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    try:
        assert MULTI8.name in listed_ids(window, "speaker")
        os.kill(private_server.pids[0], signal.SIGKILL)
        qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=10000)
        assert "Lost the sound server" in window.banner.message.text()
        assert window.status_server.text() == "No sound server"
        assert listed_ids(window, "speaker") == set() and listed_ids(window, "loopback") == set()
        assert window.monitor_bar.input_box.count() == 0
        assert not window.monitor_bar.monitor_button.isEnabled()
        assert window.play_panel.speaker_box.count() == 0
        private_server.stop()
        private_server.start()  # the same socket: the window reconnects by itself
        qtbot.waitUntil(lambda: window.banner.isHidden(), timeout=15000)
        assert "pulseaudio" in window.status_server.text().lower()
        assert MULTI8.name in listed_ids(window, "speaker")
        assert window.monitor_bar.input_box.count() > 0
        assert window.monitor_bar.monitor_button.isEnabled()
        module = private_server.pactl(
            "load-module", "module-null-sink", "sink_name=plugged_after_restart"
        ).strip()
        qtbot.waitUntil(
            lambda: "plugged_after_restart" in listed_ids(window, "speaker"), timeout=5000
        )
        private_server.pactl("unload-module", module)
        qtbot.waitUntil(
            lambda: "plugged_after_restart" not in listed_ids(window, "speaker"), timeout=5000
        )
    finally:
        window.close()


@pytest.mark.pulseaudio_only
def test_window_started_without_a_server_connects_once_one_runs(qtbot, warnings, tmp_path) -> None:
    private = VirtualRig(base_dir=tmp_path / "late", keepalive=False)
    private.start()  # to learn its address, then stopped: the window starts with no server
    backend = PulseAudioBackend(server=private.server, timeout=2.0)
    private.stop()
    old = set_backend(backend)
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    try:
        assert window.banner.isVisible() and listed_ids(window, "speaker") == set()
        private.start()
        qtbot.waitUntil(lambda: window.banner.isHidden(), timeout=15000)
        assert MULTI8.name in listed_ids(window, "speaker")
    finally:
        window.close()
        set_backend(old)
        backend.close()
        private.stop()


# -- takes that end early ----------------------------------------------------------------------


def wait_for_input(window, qtbot, device_id: str) -> None:
    """Wait until the window offers ``device_id`` as an input (after loading it)."""
    window.controller.refresh_devices()
    qtbot.waitUntil(
        lambda: (
            device_id
            in {
                window.monitor_bar.input_box.itemData(i).id
                for i in range(window.monitor_bar.input_box.count())
            }
        ),
        timeout=5000,
    )


def test_device_vanishing_mid_take_says_the_file_was_saved_and_where(
    window, qtbot, rig, warnings, tmp_path
) -> None:
    module = rig.pactl(
        "load-module", "module-null-sink", "sink_name=vanishing", "rate=48000", "channels=2"
    ).strip()
    try:
        wait_for_input(window, qtbot, "vanishing.monitor")
        start_monitoring(window, qtbot, "vanishing.monitor")
        path = tmp_path / "vanished.flac"
        start_recording(window, qtbot, path)
        qtbot.wait(1500)
    finally:
        with qtbot.waitSignal(window.controller.worker.recordingFinished, timeout=10000):
            rig.pactl("unload-module", module)
    qtbot.waitUntil(lambda: bool(warnings), timeout=5000)
    qtbot.wait(300)
    assert len(warnings) == 1, warnings
    assert str(path) in warnings[0] and "saved" in warnings[0], warnings[0]
    data, rate = soundfile.read(path, always_2d=True)
    assert rate == RATE and len(data) >= RATE  # the 1.5 s recorded, less at most a flush
    assert pending_takes(tmp_path) == [] and window.journal.paths() == []
    assert window.record_panel.record_button.isEnabled()


def test_device_vanishing_while_only_monitoring_says_so_and_clears_the_views(
    window, qtbot, rig, warnings
) -> None:
    module = rig.pactl(
        "load-module",
        "module-null-sink",
        "sink_name=vanishing",
        "rate=48000",
        "channels=2",
        "sink_properties=device.description=Vanishing",
    ).strip()
    try:
        wait_for_input(window, qtbot, "vanishing.monitor")
        start_monitoring(window, qtbot, "vanishing.monitor")
        qtbot.wait(300)
        assert window.meters.channel_names()
        problems: list = []
        window.controller.worker.errorOccurred.connect(problems.append)
    finally:
        with qtbot.waitSignal(window.controller.worker.monitoringStopped, timeout=10000):
            rig.pactl("unload-module", module)
    qtbot.waitUntil(lambda: bool(warnings), timeout=5000)
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("Monitoring Monitor of Vanishing stopped:"), warnings[0]
    assert "Nothing was being recorded." in warnings[0] and "recording stream" not in warnings[0]
    assert window.meters.channel_names() == [] and window.placeholder.isVisible()
    assert not window.monitor_bar.monitor_button.isChecked()
    # The traceback travels with the message (for the Details button and the log).
    assert problems and "Traceback (most recent call last)" in problems[0].details


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 512 kB tmpfs: a take fills it in about a second."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.strip()})")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.mark.parametrize("extension", ["wav", "flac"])
def test_full_disk_warns_once_keeps_the_take_and_monitoring(
    window, qtbot, warnings, tiny_disk, extension
) -> None:
    start_monitoring(window, qtbot, "multi8.monitor")  # 8 ch float: 1.5 MB/s
    path = tiny_disk / f"full.{extension}"
    with qtbot.waitSignal(window.controller.worker.recordingFinished, timeout=15000) as done:
        start_recording(window, qtbot, path)
    qtbot.wait(500)
    assert len(warnings) == 1, warnings
    assert "disk is full" in warnings[0] and str(path) in warnings[0]
    assert done.args[0].error is not None
    assert window.controller.monitor is not None, "monitoring stopped"
    captured = window.controller.worker.stats().captured_frames
    qtbot.waitUntil(
        lambda: window.controller.worker.stats().captured_frames > captured + RATE // 10,
        timeout=3000,
    )
    if extension == "wav":
        data, _ = soundfile.read(path, always_2d=True)
        assert len(data) > RATE // 20
    else:  # the working file holds the part written; recovering it needs free space
        assert working_path(path).exists() and str(working_path(path).name) in warnings[0]
        assert window.journal.paths() == [path]
    assert window.record_panel.record_button.isEnabled()


# -- closing while recording -------------------------------------------------------------------


def test_closing_while_recording_asks_first(window, qtbot, tmp_path) -> None:
    start_monitoring(window, qtbot, "multi8.monitor")
    path = tmp_path / "asked.wav"
    start_recording(window, qtbot, path)
    answer_next_box("Keep recording")
    window.close()
    assert window.isVisible() and window.controller.worker.isRunning()
    assert window.record_panel.stop_button.isEnabled()
    answer_next_box("Stop and save")
    window.close()
    assert not window.isVisible() and not window.controller.worker.isRunning()
    assert soundfile.info(str(path)).frames > 0
    assert window.journal.paths() == []


# -- a killed window ---------------------------------------------------------------------------

_RECORDING_WINDOW = """
    import sys
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, {settings!r})
    from scgui.ui.main_window import MainWindow
    app = QApplication([])
    window = MainWindow()
    window.show()
    worker = window.controller.worker
    worker.recordingStarted.connect(lambda path: print("RECORDING", flush=True))
    window.record_panel.set_format({extension!r})
    window.record_panel.path_edit.setText({path!r})
    # A slot of a widget: queued to the GUI thread, after the window's own handler.
    worker.monitoringStarted.connect(window.record_panel.record_button.click)
    window.monitor_bar.select("multi8.monitor")
    window.monitor_bar.monitor_button.click()
    app.exec()
"""


@pytest.mark.parametrize("extension", ["wav", "w64", "rf64", "flac", "ogg"])
def test_killed_window_leaves_a_take_and_the_next_start_recovers_it(
    qtbot, warnings, tmp_path, extension
) -> None:
    path = tmp_path / f"killed.{extension}"
    script = _RECORDING_WINDOW.format(
        settings=str(tmp_path / "settings"), extension=extension, path=str(path)
    )
    process = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("RECORDING"), line + process.stderr.read()
        started = time.monotonic()
        time.sleep(2.0)
        os.kill(process.pid, signal.SIGKILL)
        elapsed = time.monotonic() - started
    finally:
        process.kill()
        process.wait(10)
    needs_recovery = extension in ("flac", "ogg")
    assert pending_takes(tmp_path) == ([working_path(path)] if needs_recovery else [])
    time.sleep(3.1)  # older than a running take's last flush: the next start offers it
    if needs_recovery:
        answer_next_box("Recover")
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    try:
        if needs_recovery:
            qtbot.waitUntil(lambda: pending_takes(tmp_path) == [], timeout=20000)
            qtbot.waitUntil(lambda: not window.recovery.running, timeout=5000)
            # The job's report is queued to the GUI thread: it shows a moment later.
            qtbot.waitUntil(
                lambda: "Recovered 1" in window.statusBar().currentMessage(), timeout=5000
            )
        qtbot.waitUntil(lambda: window.journal.paths() == [], timeout=5000)  # nothing to offer
        assert warnings == []
    finally:
        window.close()
    data, rate = soundfile.read(path, always_2d=True, dtype="float32")
    assert rate == RATE and data.shape[1] == MULTI8.channels
    assert (elapsed - 1.0) * RATE <= len(data) <= (elapsed + 1.0) * RATE, (len(data), elapsed)
    assert np.isfinite(data).all()
