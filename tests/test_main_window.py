"""The main window against the virtual rig, driven as a user would (offscreen)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

import scgui.audio as sc
from audio_helpers import RATE, find_exact, pattern, tone_on
from scgui.audio.backends import set_backend
from scgui.audio.backends.pulseaudio import PulseAudioBackend
from scgui.engine.controller import DisplayFrame
from scgui.ui.main_window import MainWindow
from scgui.virtual_rig import MULTI8, SCARLETT


@pytest.fixture(autouse=True)
def private_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no remembered settings, and no modal box blocks it."""
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    QSettings("scgui", "scgui").clear()
    monkeypatch.setattr(QMessageBox, "warning", lambda *args, **kwargs: None)
    monkeypatch.setattr("scgui.ui.main_window.show_problem", lambda *args: None)


@pytest.fixture
def window(qtbot) -> Iterator[MainWindow]:
    main = MainWindow()
    qtbot.addWidget(main)
    main.show()
    yield main
    main._recording = False  # a test that leaves a take running is not asked about it
    main.close()
    assert not main.controller.worker.isRunning()


def start_monitoring(window: MainWindow, qtbot, device_id: str) -> None:
    window.monitor_bar.select(device_id)
    with qtbot.waitSignal(window.controller.worker.monitoringStarted, timeout=5000):
        window.monitor_bar.monitor_button.click()


def test_device_lists_match_the_server(window) -> None:
    speakers = window.device_panel.model("speaker")
    assert {speakers.device_at(r).id for r in range(speakers.rowCount())} == {
        "scarlett",
        "multi8",
    }
    loopbacks = window.device_panel.model("loopback")
    assert loopbacks.rowCount() == 2
    box = window.monitor_bar.input_box
    inputs = [box.itemData(i).id for i in range(box.count())]
    assert len(inputs) == 5
    assert "multi8.monitor" in inputs and "multi8_reversed" in inputs
    assert window.banner.isHidden()
    assert "pulseaudio" in window.status_server.text().lower()


def test_device_list_follows_hotplug(window, qtbot, rig) -> None:
    speakers = window.device_panel.model("speaker")
    module = rig.pactl("load-module", "module-null-sink", "sink_name=windowtest").strip()
    try:
        qtbot.waitUntil(lambda: speakers.rowCount() == 3, timeout=5000)
    finally:
        rig.pactl("unload-module", module)
    qtbot.waitUntil(lambda: speakers.rowCount() == 2, timeout=5000)


def test_monitoring_shows_the_level_on_the_right_meter(window, qtbot) -> None:
    frames: list[DisplayFrame] = []
    window.controller.displayUpdated.connect(frames.append)
    t = np.arange(RATE // 10) / RATE
    data = np.zeros((len(t), 8), dtype=np.float32)
    data[:, 5] = 0.5 * np.sin(2 * np.pi * 1000 * t)
    with tone_on(MULTI8.name, data):
        start_monitoring(window, qtbot, "multi8_reversed")  # output 5 arrives on input 2
        qtbot.waitUntil(lambda: len(frames) > 40, timeout=5000)
    assert window.meters.channel_names()[2].startswith("3")
    peaks = frames[-1].peak_db
    assert peaks[2] == pytest.approx(-6.02, abs=0.3)
    assert np.all(np.delete(peaks, 2) < -100)
    qtbot.waitUntil(lambda: window.meters.readout_values()[2] > -7, timeout=2000)
    assert window.status_stream.text().startswith("Multi8 Reversed: 8 ch, 48000 Hz")


def test_recording_through_the_window(window, qtbot, tmp_path) -> None:
    start_monitoring(window, qtbot, "multi8.monitor")
    path = tmp_path / "gui-take.wav"
    window.record_panel.set_format("wav", "FLOAT")
    window.record_panel.path_edit.setText(str(path))
    worker = window.controller.worker
    data = pattern(RATE // 4, 8, seed=21)
    # The player is open and running before the take starts (a stream that joins a running
    # sink can stall for a moment at its start), and holds the whole pattern in one block.
    with sc.get_speaker(MULTI8.name).player(RATE, blocksize=RATE // 4) as player:
        player.play(np.zeros((RATE // 10, 8), dtype=np.float32))
        player.wait()
        with qtbot.waitSignal(worker.recordingStarted):
            window.record_panel.record_button.click()
        assert not window.record_panel.record_button.isEnabled()
        player.play(data)
        player.wait()
    qtbot.wait(300)
    with qtbot.waitSignal(worker.recordingFinished):
        window.record_panel.stop_button.click()
    recorded, _ = soundfile.read(str(path), dtype="float32", always_2d=True)
    find_exact(recorded, data)
    assert window.record_panel.record_button.isEnabled()
    assert window.record_panel.elapsed_label.text() != "00:00:00.0"


def test_loopback_recording_through_the_window(window, qtbot, tmp_path) -> None:
    start_monitoring(window, qtbot, "scarlett.monitor")
    path = tmp_path / "loop.flac"
    window.record_panel.set_format("flac")
    window.record_panel.path_edit.setText(str(path))
    worker = window.controller.worker
    with tone_on("scarlett", np.full((4800, 2), 0.25, dtype=np.float32)):
        with qtbot.waitSignal(worker.recordingStarted):
            window.record_panel.record_button.click()
        qtbot.wait(400)
        with qtbot.waitSignal(worker.recordingFinished):
            window.record_panel.stop_button.click()
    recorded, _ = soundfile.read(str(path), dtype="float32", always_2d=True)
    assert recorded.shape[1] == 2 and np.max(recorded) == pytest.approx(0.25, abs=1e-3)


def test_playback_through_the_window_reaches_the_monitor(window, qtbot, tmp_path) -> None:
    path = tmp_path / "to-play.wav"
    data = pattern(RATE // 4, 2, seed=22)
    soundfile.write(str(path), data, RATE, subtype="FLOAT")
    assert window.play_panel.load(path)
    assert "2 channels, 48000 Hz" in window.play_panel.info_label.text()
    box = window.play_panel.speaker_box
    box.setCurrentIndex([box.itemData(i).id for i in range(box.count())].index("multi8"))
    window.play_panel.channels_edit.setText("7,8")  # numbered from 1: device 6 and 7
    monitor = sc.get_microphone(MULTI8.monitor, include_loopback=True)
    with monitor.recorder(RATE) as recorder:
        recorder.record(None)
        with qtbot.waitSignal(window.controller.worker.playbackFinished, timeout=5000):
            window.play_panel.play_button.click()
        recording = recorder.record(RATE // 2)
    expected = np.zeros((len(data), 8), dtype=np.float32)
    expected[:, 6:8] = data
    find_exact(recording, expected)


def test_channel_mismatch_is_explained_before_playing(window, tmp_path) -> None:
    path = tmp_path / "four.wav"
    soundfile.write(str(path), np.zeros((100, 4), dtype=np.float32), RATE)
    window.play_panel.load(path)
    box = window.play_panel.speaker_box
    box.setCurrentIndex([box.itemData(i).id for i in range(box.count())].index("scarlett"))
    assert not window.play_panel.play_button.isEnabled()
    assert "4 channels" in window.play_panel.message.text()
    window.play_panel.channels_edit.setText("1,2,mix,mix")
    assert window.play_panel.play_button.isEnabled()


def test_settings_are_remembered(qtbot) -> None:
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    start_monitoring(first, qtbot, "multi8_reversed")
    first.record_panel.set_format("flac", "PCM_16")
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    assert second.monitor_bar.selected_input().id == "multi8_reversed"
    second.close()


def test_no_server_says_what_to_do_and_offers_a_private_one(qtbot) -> None:
    dead = PulseAudioBackend(server="unix:/nonexistent/socket")
    old = set_backend(dead)
    try:
        window = MainWindow()
        qtbot.addWidget(window)
        window.show()
        assert window.banner.isVisible()
        assert "Cannot connect" in window.banner.message.text()
        assert window.banner.rig_button.isVisible()
        assert window.status_server.text() == "No sound server"
        window.banner.rig_button.click()  # starts a second private rig and connects to it
        assert window.banner.isHidden()
        speakers = window.device_panel.model("speaker")
        assert speakers.rowCount() == 2
        window.close()
    finally:
        set_backend(old)
    assert sc.get_speaker("multi8").channels == 8  # the session's rig is in use again


def test_32_channels_fit_and_waveforms_page_through_them(window, qtbot, rig) -> None:
    positions = ",".join(f"aux{i}" for i in range(32))
    module = rig.pactl(
        "load-module",
        "module-null-sink",
        "sink_name=wide32",
        "channels=32",
        f"channel_map={positions}",
        "sink_properties=device.description=Wide32",
    ).strip()
    try:
        qtbot.waitUntil(
            lambda: any(
                window.monitor_bar.input_box.itemData(i).id == "wide32.monitor"
                for i in range(window.monitor_bar.input_box.count())
            ),
            timeout=5000,
        )
        start_monitoring(window, qtbot, "wide32.monitor")
        assert len(window.meters.channel_names()) == 32
        assert window.wave_page.count() == 4 and window.wave_page.isVisible()
        window.wave_page.setCurrentIndex(3)
        assert window.waveforms.visible_channels() == list(range(24, 32))
        qtbot.wait(200)
        window.grab()  # paints without errors at 32 channels
        with qtbot.waitSignal(window.controller.worker.monitoringStopped):
            window.monitor_bar.monitor_button.click()
    finally:
        rig.pactl("unload-module", module)


def test_test_signal_plays_on_the_chosen_channel_and_stops_gently(window, qtbot) -> None:
    panel = window.generator_panel
    box = panel.speaker_box
    box.setCurrentIndex([box.itemData(i).id for i in range(box.count())].index("multi8"))
    panel.kind_box.setCurrentText("Sine")
    panel.level.setValue(-6.0)
    panel.channels_edit.setText("4")  # the fourth jack: device channel index 3
    monitor = sc.get_microphone(MULTI8.monitor, include_loopback=True)
    worker = window.controller.worker
    with monitor.recorder(RATE) as recorder:
        with qtbot.waitSignal(worker.playbackStarted):
            panel.play_button.click()
        assert panel.stop_button.isEnabled()
        qtbot.wait(300)
        recording = recorder.record(None)
        with qtbot.waitSignal(worker.playbackFinished, timeout=3000):
            panel.stop_button.click()
    loud = np.max(np.abs(recording), axis=0)
    assert loud[3] == pytest.approx(10 ** (-6 / 20), abs=0.01)
    assert np.all(np.delete(loud, 3) == 0)
    assert panel.play_button.isEnabled()


def test_routing_check_in_the_window(window, qtbot, tmp_path) -> None:
    panel = window.routing_panel
    window.tools.setCurrentWidget(panel)
    panel.select("multi8", "multi8_reversed")
    panel.expect_box.setCurrentIndex(0)  # identity: the reversed wiring must fail
    panel.run_check()
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=30000)
    report = panel.report
    assert report is not None and not report.all_passed
    assert [r.arrives_on for r in report.results] == [(7 - k,) for k in range(8)]
    assert panel.table.rowCount() == 8 and panel.table.item(0, 1).text() == "wrong"
    assert not panel.heatmap.pixmap().isNull()
    assert "FAIL" in panel.summary.text()
    large = panel.show_matrix_window()  # the matrix in its own, larger window
    assert large is not None and large.isVisible()
    assert large.width() > panel.heatmap.width()
    panel.expect_box.setCurrentIndex(1)  # reverse
    panel.run_check()
    assert not panel.enlarge_button.isEnabled()  # nothing stale to show either
    # The old (failed) report is gone while the new run goes: nothing stale to export
    assert panel.report is None and panel.table.rowCount() == 0
    assert not panel.export_button.isEnabled()
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=30000)
    assert panel.report.all_passed and "PASS" in panel.summary.text()
    for name in ("r.json", "r.csv", "r.png", "r.html"):
        assert panel.export(str(tmp_path / name)).stat().st_size > 100
    page = (tmp_path / "r.html").read_text()
    assert page.count('aria-label="frequency response"') == 8 and "Output 1 → input 8" in page
    # The selected output's path is drawn under the table
    assert panel.response_view.response is not None
    assert panel.response_view.response.input == 7
    panel.table.setCurrentCell(3, 0)
    assert panel.response_view.response.output == 3
    assert "flat to 0.00 dB" in panel.response_view.title.text()
    panel.run_latency()
    qtbot.waitUntil(lambda: not panel.is_running(), timeout=30000)
    assert "Path latency" in panel.latency_label.text()
    assert "timed on the streams' clocks" in panel.latency_label.text()


def test_sample_rate_mismatch_is_explained(window, tmp_path) -> None:
    path = tmp_path / "cd.wav"
    soundfile.write(str(path), np.zeros((100, 2), dtype=np.float32), 44100)
    window.play_panel.load(path)
    assert "44100 Hz" in window.play_panel.message.text()
    assert "converts the rate" in window.play_panel.message.text()
    assert window.play_panel.play_button.isEnabled()


def test_spectrum_is_computed_only_when_shown(window, qtbot) -> None:
    spectra: list[object] = []
    window.controller.spectrumUpdated.connect(lambda freqs, db: spectra.append(db))
    t = np.arange(RATE // 10) / RATE
    data = np.zeros((len(t), 8), dtype=np.float32)
    data[:, 0] = 0.5 * np.sin(2 * np.pi * 1000 * t)
    with tone_on(MULTI8.name, data):
        start_monitoring(window, qtbot, "multi8.monitor")
        qtbot.wait(300)
        assert spectra == []  # the waveforms tab is shown
        window.views.setCurrentWidget(window.spectrum)
        qtbot.waitUntil(lambda: len(spectra) > 3, timeout=5000)
        qtbot.waitUntil(lambda: "kHz" in window.spectrum.peak_text(), timeout=5000)
    assert "1.00 kHz" in window.spectrum.peak_text()


def test_spectrum_options_reach_the_analysis_and_are_remembered(window, qtbot) -> None:
    """A-weighting a 100 Hz tone takes 19 dB off what the spectrum reads; a larger FFT gives
    finer bins; the spectrogram draws the tone in its band; all is there at the next start."""
    t = np.arange(RATE) / RATE
    data = np.zeros((len(t), 8), dtype=np.float32)
    data[:, 0] = 0.5 * np.sin(2 * np.pi * 100 * t)  # -6 dBFS
    view = window.spectrum
    with tone_on(MULTI8.name, data):
        start_monitoring(window, qtbot, "multi8.monitor")
        window.views.setCurrentWidget(view)
        view.size_chooser.setCurrentIndex(view.size_chooser.findData(16384))
        view.averaging_chooser.setCurrentIndex(view.averaging_chooser.findData(0.125))
        options = window.controller.spectrum_options
        assert (options.size, options.averaging, options.weighting) == (16384, 0.125, "Z")
        qtbot.waitUntil(
            lambda: (p := view.peak()) is not None and p[0] == pytest.approx(100.0, abs=0.5),
            timeout=5000,
        )
        # The 0.125 s average starts from a half-empty 16384-frame window; on a loaded machine
        # the audio comes in bursts, so wait for the level (bounded) rather than for a time.
        try:
            qtbot.waitUntil(
                lambda: (p := view.peak()) is not None and p[1] == pytest.approx(-6.0, abs=1.0),
                timeout=5000,
            )
        except qtbot.TimeoutError:
            pytest.fail(f"the -6 dBFS tone never read -6 dBFS: {view.peak_text()}")
        qtbot.wait(300)  # and it stays there
        flat = view.peak()
        assert flat is not None and flat[1] == pytest.approx(-6.0, abs=1.0), view.peak_text()
        view.weighting_chooser.setCurrentIndex(view.weighting_chooser.findData("A"))
        assert window.controller.spectrum_options.weighting == "A"
        qtbot.waitUntil(
            lambda: (
                (p := view.peak()) is not None and p[1] == pytest.approx(flat[1] - 19.1, abs=0.3)
            ),
            timeout=5000,
        )
        assert "dBFS(A)" in view.peak_text()
        view.set_display("Spectrogram")
        qtbot.waitUntil(lambda: view.spectrogram.columns_filled > 5, timeout=5000)
        column = view.spectrogram.newest_column()
        band = int(np.argmax(column))
        low, high = np.log10(20.0), np.log10(RATE / 2)
        centre = 10 ** (low + (band + 0.5) * (high - low) / len(column))
        assert centre == pytest.approx(100.0, rel=0.05)
        assert column[band] == pytest.approx(flat[1] - 19.1, abs=1.5)
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.spectrum.options.size == 16384 and again.spectrum.options.weighting == "A"
    assert again.spectrum.options.averaging == 0.125 and again.spectrum.display == "Spectrogram"
    assert again.controller.spectrum_options == again.spectrum.options
    again.close()


def test_a_typed_channel_lights_the_meter_of_that_jack(window, qtbot) -> None:
    """Typed "3,4" monitors the third and fourth channels, and their meters say so."""
    window.monitor_bar.select("multi8.monitor")
    window.monitor_bar.channels_edit.setText("3,4")
    with qtbot.waitSignal(window.controller.worker.monitoringStarted, timeout=5000) as started:
        window.monitor_bar.monitor_button.click()
    assert started.args[0].channels == (2, 3)
    assert window.meters.channel_names() == ["3 Rear Left", "4 Rear Right"]


def test_the_window_fits_a_laptop_screen(window, qtbot, tmp_path) -> None:
    """At first start the window fits the screen; nothing it shows can widen it past 1280 x
    800 (a long file description, long device names, 8 channels monitored, every tab)."""
    # The test screen (offscreen, 800 x 800) is narrower than the window can be: at first
    # start the window takes the screen's width, or its own minimum where that is wider.
    area = window.screen().availableGeometry()
    assert window.width() <= max(area.width() - 16, window.minimumSizeHint().width())
    assert window.height() <= max(area.height() - 48, window.minimumSizeHint().height())
    path = tmp_path / ("a very long file name for a take recorded in the lab " * 2 + ".wav")
    soundfile.write(str(path), np.zeros((100, 2), dtype=np.float32), RATE, subtype="PCM_24")
    assert window.play_panel.load(path)
    start_monitoring(window, qtbot, "multi8_reversed")
    for index in range(window.tools.count()):
        window.tools.setCurrentIndex(index)
        qtbot.wait(10)
        hint = window.minimumSizeHint()
        assert hint.width() <= 1280 - 16 and hint.height() <= 800 - 48, (index, hint)


def test_a_remembered_size_larger_than_the_screen_is_cut_to_it(qtbot) -> None:
    first = MainWindow()
    qtbot.addWidget(first)
    first.resize(5000, 4000)
    first.close()  # saves the geometry
    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    area = second.screen().availableGeometry()
    smallest = second.minimumSizeHint()
    assert second.width() <= max(area.width(), smallest.width())
    assert second.height() <= max(area.height(), smallest.height())
    second.close()


def test_record_starts_the_chosen_input_when_it_is_not_running(window, qtbot, tmp_path) -> None:
    """Record records: no need to press Monitor first. The title and the status bar say a
    take is running, and the finished take is loaded in Play."""
    window.monitor_bar.select("multi8.monitor")
    path = tmp_path / "straight-take.wav"
    window.record_panel.set_format("wav", "FLOAT")
    window.record_panel.path_edit.setText(str(path))
    worker = window.controller.worker
    with qtbot.waitSignal(worker.recordingStarted, timeout=5000):
        window.record_panel.record_button.click()
    assert window._monitor is not None and window._monitor.device.id == "multi8.monitor"
    assert window.windowTitle().startswith("● REC straight-take.wav")
    assert window.status_recording.isVisible() and "REC" in window.status_recording.text()
    qtbot.wait(300)
    with qtbot.waitSignal(worker.recordingFinished):
        window.record_panel.stop_button.click()
    assert window.windowTitle() == "scgui" and not window.status_recording.isVisible()
    frames = soundfile.info(str(path)).frames
    assert frames > RATE // 10
    assert window.play_panel.path == path


def test_record_without_an_input_says_where_to_choose_one(window, qtbot, monkeypatch) -> None:
    shown: list[str] = []
    monkeypatch.setattr(window, "_show_error", shown.append)
    monkeypatch.setattr(window.monitor_bar, "selected_input", lambda: None)
    window.record_panel.path_edit.setText("x.wav")
    window.record_panel.record_button.click()
    assert shown and "Choose an input to record from" in shown[0]


def test_help_shows_the_manual_and_every_shortcut_of_the_menus(window) -> None:
    dialog = window.show_help(shortcuts=True)
    assert dialog.isVisible()
    text = dialog.browser.toPlainText()
    assert "Routing check and latency" in text and "numbered from 1" in text
    for keys, what in (("Ctrl+R", "Record"), ("Ctrl+M", "Monitor input"), ("Ctrl+K", "Reset")):
        lines = text.splitlines()
        row = lines.index(keys)  # a table: the keys, then what they do
        assert lines[row + 1].startswith(what), lines[row : row + 2]
    assert window.show_help() is dialog  # one window, raised again


def _lab_tone(rig) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    """Another program ("Lab Tone") with a playback stream ("tone") open on Multi8."""
    return subprocess.Popen(
        [
            "pacat",
            "--playback",
            f"--device={MULTI8.name}",
            "--client-name=Lab Tone",
            "--stream-name=tone",
            "--format=float32le",
            "--channels=2",
        ],
        stdin=subprocess.PIPE,
        env={**os.environ, **rig.env},
    )


def test_the_programs_page_lists_other_programs_streams_live(window, qtbot, rig) -> None:
    """pavucontrol's Playback tab: a program that starts playing appears with its device,
    and goes when it ends; nobody is asked while the page is hidden."""
    assert not window.controller.streams.running
    window.tools.setCurrentWidget(window.streams_page)
    assert window.controller.streams.running
    model = window.streams_page.models["playback"]
    program = _lab_tone(rig)

    def rows() -> list[tuple[str, ...]]:
        return [tuple(model.index(r, c).data() for c in range(5)) for r in range(model.rowCount())]

    try:
        # PipeWire lists a new stream for a moment before it is linked to its device.
        qtbot.waitUntil(lambda: ("Lab Tone", "tone", "Multi8") in [r[:3] for r in rows()])
        row = next(row for row in rows() if row[0] == "Lab Tone")
        assert row[1] == "tone" and row[2] == "Multi8" and row[3] == "100 % (0.0 dB)"
        assert window.tools.tabText(window.tools.currentIndex()) == "Programs"
        assert window.streams_page.tabs.tabText(0).startswith("Playback (")
    finally:
        program.kill()
        program.wait()
    qtbot.waitUntil(lambda: not any(row[0] == "Lab Tone" for row in rows()), timeout=5000)
    window.tools.setCurrentIndex(0)
    assert not window.controller.streams.running


def test_the_programs_page_moves_mutes_and_turns_down_another_program(window, qtbot, rig) -> None:
    """As in pavucontrol: pick another device for a program's stream, mute it, set its
    volume; the server applies each, and the page shows what the server then says."""
    window.tools.setCurrentWidget(window.streams_page)
    page = window.streams_page
    program = _lab_tone(rig)

    def on_server() -> sc.AppStream | None:
        found = [s for s in sc.list_streams() if s.application == "Lab Tone"]
        return found[0] if found else None

    try:
        qtbot.waitUntil(
            lambda: (
                (s := on_server()) is not None
                and s.device_id == MULTI8.name  # PipeWire: linked to its device a moment later
                and page.select("playback", s.id)
                and page.device_combo.currentData() == MULTI8.name
            )
        )
        stream = on_server()
        assert stream is not None
        target = page.device_combo.findData(SCARLETT.name)
        page.device_combo.setCurrentIndex(target)
        page.device_combo.activated.emit(target)  # what a click on the item does
        qtbot.waitUntil(lambda: (s := on_server()) is not None and s.device_id == SCARLETT.name)
        qtbot.waitUntil(lambda: _row_of(page, stream)[2:3] == (SCARLETT.description,))
        page.mute_button.click()
        qtbot.waitUntil(lambda: (s := on_server()) is not None and s.muted)
        qtbot.waitUntil(lambda: page.mute_button.isChecked() and "muted" in _row_of(page, stream))
        page.volume_slider.setValue(25)
        qtbot.waitUntil(lambda: (s := on_server()) is not None and abs(s.volume[0] - 0.25) < 0.001)
        assert page.selected_stream() is not None  # still selected after the listings
        assert page.volume_label.text() == "25 % (−36.1 dB)"
    finally:
        program.kill()
        program.wait()
    qtbot.waitUntil(lambda: page.selected_stream() is None)
    assert not page.volume_slider.isEnabled()


def _row_of(page, stream: sc.AppStream) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """The Programs page's row of ``stream`` (empty if it is not listed)."""
    model = page.models[stream.kind]
    row = model.row_of(stream.kind, stream.id)
    if row is None:
        return ()
    return tuple(model.index(row, column).data() for column in range(model.columnCount()))


def test_a_change_to_a_stream_that_ended_is_shown_as_a_problem(window, qtbot, monkeypatch) -> None:
    shown: list[object] = []
    monkeypatch.setattr("scgui.ui.main_window.show_problem", lambda _w, p: shown.append(p))
    gone = sc.AppStream("playback", 987654, "Nobody", "nothing", MULTI8.name, (1.0, 1.0))
    window.streams_page.muteRequested.emit(gone, True)
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert "'nothing' of 'Nobody'" in shown[0].message and "list the streams" in shown[0].message
