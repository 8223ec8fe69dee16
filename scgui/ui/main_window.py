"""The main window: devices on the left, meters and waveforms in the middle, record and play
below. It only lays out widgets and forwards what the user does to the controller."""

from __future__ import annotations

import html
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QByteArray, QRect, QSettings, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QGuiApplication,
    QHideEvent,
    QKeySequence,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import scgui
import scgui.audio as sc
from scgui.engine.controller import AppController, DeviceSnapshot, DisplayFrame
from scgui.engine.problems import Problem
from scgui.engine.sources import ArraySource, FileSource
from scgui.engine.takefile import Recovered, working_path
from scgui.engine.worker import MonitorInfo, RecordingStatus, WorkerStats
from scgui.measure.spectrum import SpectrumOptions

from ..channel_text import channel_label
from .device_panel import DevicePanel
from .generator_panel import GeneratorPanel
from .help_window import HelpDialog
from .logfile import log_path
from .meters import MeterBank
from .monitor_bar import MonitorBar
from .play_panel import PlayPanel
from .problem_box import show_problem
from .record_panel import RecordPanel
from .recovery import RecoveryJob, TakeJournal, ask_to_recover, interrupted_takes
from .routing_panel import RoutingPanel
from .spectrum_view import DISPLAYS, SpectrumView
from .steady_label import SteadyLabel
from .stream_list import StreamsPage
from .waveforms import WaveformView

if TYPE_CHECKING:
    from scgui.virtual_rig import VirtualRig

SETTINGS_ORG, SETTINGS_APP = "scgui", "scgui"


class ServerBanner(QFrame):
    """Shown instead of silence when there is no sound server: what is wrong, what to do."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serverBanner")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.retry_button = QPushButton("Retry")
        self.retry_button.setAccessibleName("Try to connect to the sound server again")
        self.rig_button = QPushButton("Start a private test server")
        self.rig_button.setAccessibleName("Start a private PulseAudio server with virtual devices")
        self.rig_button.setToolTip(
            "Starts PulseAudio privately with virtual sound cards (stereo, 8 channels, "
            "loopbacks), so every feature can be tried without hardware."
        )
        layout = QHBoxLayout(self)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.retry_button)
        layout.addWidget(self.rig_button)

    def show_problem(self, message: str, can_start_rig: bool) -> None:
        hint = (
            ""
            if can_start_rig
            else "\n\n(The private test server needs PulseAudio: sudo apt-get install pulseaudio)"
        )
        self.message.setText(f"<b>No sound server.</b> {message}{hint}")
        self.rig_button.setVisible(can_start_rig)
        self.show()


class MainWindow(QMainWindow):
    """The scgui window."""

    def __init__(self, controller: AppController | None = None) -> None:
        super().__init__()
        self.setWindowTitle("scgui")
        self.setObjectName("mainWindow")
        self.controller = controller or AppController(self)
        self.settings = QSettings(SETTINGS_ORG, SETTINGS_APP)
        self.journal = TakeJournal(self.settings)
        self.recovery = RecoveryJob(self)
        self.recovery.finished.connect(self._on_recovered)
        self._rig: VirtualRig | None = None
        self._env_before_rig: dict[str, str | None] = {}
        self._monitor: MonitorInfo | None = None
        self._recording = False
        self._recording_path: Path | None = None
        self._last_frame: DisplayFrame | None = None
        self._playing_signal = False
        self._splitter_sized = False
        #: A take asked for before its input ran: (path, subtype, overwrite).
        self._pending_take: tuple[str, str, bool] | None = None
        self._help: HelpDialog | None = None

        self.banner = ServerBanner()
        self.banner.hide()
        self.monitor_bar = MonitorBar()
        self.meters = MeterBank()
        self.meters.setAccessibleName("Level meters")
        meter_scroll = QScrollArea()
        meter_scroll.setWidget(self.meters)
        meter_scroll.setWidgetResizable(True)
        meter_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        meter_scroll.setMinimumWidth(220)
        self.waveforms = WaveformView()
        self.wave_page = QComboBox()
        self.wave_page.setAccessibleName("Channels shown as waveforms")
        self.wave_page.setToolTip("Which channels the waveform view shows (8 at a time)")
        self.wave_page.currentIndexChanged.connect(self._on_wave_page)
        wave_tab = QWidget()
        wave_column = QVBoxLayout(wave_tab)
        wave_column.setContentsMargins(0, 0, 0, 0)
        wave_row = QHBoxLayout()
        wave_row.addStretch(1)
        self.wave_page_label = QLabel("Show")
        wave_row.addWidget(self.wave_page_label)
        wave_row.addWidget(self.wave_page)
        wave_column.addLayout(wave_row)
        wave_column.addWidget(self.waveforms, 1)
        self.wave_tab = wave_tab
        self.spectrum = SpectrumView()
        self.views = QTabWidget()
        self.views.addTab(wave_tab, "Waveforms")
        self.views.addTab(self.spectrum, "Spectrum")
        self.views.setAccessibleName("Signal views")
        self.views.currentChanged.connect(
            lambda _index: self.controller.set_spectrum_active(
                self.views.currentWidget() is self.spectrum
            )
        )
        self.controller.set_spectrum_active(False)  # the waveforms are shown first
        self.placeholder = QLabel(
            "Choose an input above and press Monitor (Ctrl+M) to see its levels and waveforms."
        )
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("placeholder")

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(meter_scroll)
        splitter.addWidget(self.views)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([320, 900])
        self.signal_splitter = splitter

        self.record_panel = RecordPanel()
        self.play_panel = PlayPanel()
        self.generator_panel = GeneratorPanel()
        record_and_play = QWidget()
        record_and_play_row = QHBoxLayout(record_and_play)
        record_and_play_row.setContentsMargins(0, 0, 0, 0)
        record_and_play_row.addWidget(self.record_panel, 1)
        record_and_play_row.addWidget(self.play_panel, 1)
        generator_page = QWidget()
        generator_row = QHBoxLayout(generator_page)
        generator_row.setContentsMargins(0, 0, 0, 0)
        generator_row.addWidget(self.generator_panel)
        generator_row.addStretch(1)
        self.tools = QTabWidget()
        self.tools.setAccessibleName("Tools")
        self.tools.addTab(record_and_play, "Record and play")
        self.tools.addTab(generator_page, "Test signal")
        self.routing_panel = RoutingPanel()
        # In a scroll area: a tab widget is as tall as its tallest page, and the routing
        # page (matrix, table, plots) would otherwise take the signal views' room on a laptop.
        routing_scroll = QScrollArea()
        routing_scroll.setWidget(self.routing_panel)
        routing_scroll.setWidgetResizable(True)
        routing_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.tools.addTab(routing_scroll, "Routing check and latency")
        self.streams_page = StreamsPage()
        self.tools.addTab(self.streams_page, "Programs")
        self.tools.setTabToolTip(
            self.tools.count() - 1, "Which programs play to or record from which device"
        )
        self.tools.currentChanged.connect(self._on_tool_tab)
        bottom = QHBoxLayout()
        bottom.addWidget(self.tools, 1)

        signal_area = QWidget()
        signal_column = QVBoxLayout(signal_area)
        signal_column.setContentsMargins(0, 0, 0, 0)
        signal_column.addWidget(self.placeholder, 1)
        signal_column.addWidget(splitter, 1)
        tools_area = QWidget()
        tools_area.setLayout(bottom)
        bottom.setContentsMargins(0, 0, 0, 0)
        self.vertical_splitter = QSplitter(Qt.Orientation.Vertical)
        self.vertical_splitter.setObjectName("verticalSplitter")
        self.vertical_splitter.addWidget(signal_area)
        self.vertical_splitter.addWidget(tools_area)
        self.vertical_splitter.setStretchFactor(0, 3)
        self.vertical_splitter.setStretchFactor(1, 1)
        self.vertical_splitter.setChildrenCollapsible(False)
        central = QWidget()
        column = QVBoxLayout(central)
        column.addWidget(self.banner)
        column.addWidget(self.monitor_bar)
        column.addWidget(self.vertical_splitter, 1)
        self.setCentralWidget(central)
        splitter.hide()

        self.device_panel = DevicePanel()
        self.device_dock = QDockWidget("Devices", self)
        self.device_dock.setObjectName("devicesDock")
        self.device_dock.setWidget(self.device_panel)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.device_dock)
        self.resizeDocks([self.device_dock], [440], Qt.Orientation.Horizontal)

        self.status_server = QLabel("Connecting…")
        self.status_stream = QLabel("")
        self.status_cpu = SteadyLabel(room_for=["Audio thread CPU 100 %"])  # a few times a second
        self.status_recording = QLabel("")
        self.status_recording.setObjectName("recordingIndicator")
        self.status_recording.setAccessibleName("Recording indicator")
        self.status_recording.hide()
        self.statusBar().addPermanentWidget(self.status_recording)
        self.statusBar().addWidget(self.status_server, 1)
        self.statusBar().addPermanentWidget(self.status_stream)
        self.statusBar().addPermanentWidget(self.status_cpu)

        self._make_menus()
        self._connect()
        self._restore_settings()
        if not self.settings.value("geometry"):
            self._fit_first_start()
        else:
            self._keep_on_screen()
        self.controller.connect_server()
        QTimer.singleShot(0, self.offer_recovery)

    # -- construction ----------------------------------------------------------------------

    def _make_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = self._action(file_menu, "&Open and play…", QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self._open_and_play)
        self.play_action = self._action(file_menu, "&Play", "Ctrl+P")
        self.play_action.triggered.connect(self.play_panel.play_button.click)
        self.record_action = self._action(file_menu, "&Record", "Ctrl+R")
        self.record_action.triggered.connect(self._record_shortcut)
        self.stop_action = self._action(file_menu, "&Stop recording and playback", "Ctrl+Shift+R")
        self.stop_action.triggered.connect(self._stop_all)
        file_menu.addSeparator()
        self.recover_action = self._action(file_menu, "Re&cover interrupted recordings…", None)
        self.recover_action.triggered.connect(lambda: self.offer_recovery(say_if_none=True))
        file_menu.addSeparator()
        quit_action = self._action(file_menu, "&Quit", QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)

        view_menu = self.menuBar().addMenu("&View")
        self.monitor_action = self._action(view_menu, "&Monitor input", "Ctrl+M")
        self.monitor_action.triggered.connect(self.monitor_bar.monitor_button.toggle)
        view_menu.addAction(self.device_dock.toggleViewAction())
        refresh = self._action(view_menu, "Re&fresh devices", QKeySequence.StandardKey.Refresh)
        refresh.triggered.connect(self.controller.refresh_devices)
        reset_clip = self._action(view_menu, "Reset &clip indicators", "Ctrl+K")
        reset_clip.triggered.connect(lambda: self.controller.reset_clip(-1))

        help_menu = self.menuBar().addMenu("&Help")
        manual = self._action(help_menu, "scgui &manual", QKeySequence.StandardKey.HelpContents)
        manual.triggered.connect(lambda: self.show_help())
        keys = self._action(help_menu, "&Keyboard shortcuts", None)
        keys.triggered.connect(lambda: self.show_help(shortcuts=True))
        about = self._action(help_menu, "&About scgui", None)
        about.triggered.connect(self._about)

    def show_help(self, shortcuts: bool = False) -> HelpDialog:
        """Open (or raise) the manual; with ``shortcuts``, at the keyboard shortcuts."""
        if self._help is None:
            actions = [a for menu in self.menuBar().findChildren(QMenu) for a in menu.actions()]
            self._help = HelpDialog(actions, self)
        self._help.show()
        self._help.raise_()
        if shortcuts:
            self._help.show_shortcuts()
        return self._help

    def _action(
        self, menu: QMenu, text: str, shortcut: str | QKeySequence.StandardKey | None
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        menu.addAction(action)
        return action

    def _connect(self) -> None:
        controller, worker = self.controller, self.controller.worker
        controller.devicesChanged.connect(self._on_devices)
        controller.serverStatusChanged.connect(self._on_server_status)
        controller.displayUpdated.connect(self._on_display)
        controller.spectrumUpdated.connect(self.spectrum.show_spectrum)
        controller.errorOccurred.connect(self._show_error)
        controller.streams.streamsChanged.connect(self._on_streams)
        controller.streams.failed.connect(self._show_error)
        self.streams_page.moveRequested.connect(controller.streams.move)
        self.streams_page.muteRequested.connect(controller.streams.set_mute)
        self.streams_page.volumeRequested.connect(controller.streams.set_volume)
        worker.monitoringStarted.connect(self._on_monitoring_started)
        worker.monitoringStopped.connect(self._on_monitoring_stopped)
        worker.recordingStarted.connect(self._on_recording_started)
        worker.recordingFinished.connect(self._on_recording_finished)
        worker.playbackStarted.connect(self._on_playback_started)
        worker.playbackFinished.connect(self._on_playback_finished)
        self.generator_panel.playRequested.connect(self._play_signal)
        self.generator_panel.stopRequested.connect(
            lambda: QTimer.singleShot(500, self._stop_signal_if_still_playing)
        )
        worker.statsUpdated.connect(self._on_stats)
        self.banner.retry_button.clicked.connect(self.controller.connect_server)
        self.banner.rig_button.clicked.connect(self.start_private_server)
        self.monitor_bar.monitorRequested.connect(self.controller.start_monitoring)
        self.monitor_bar.stopRequested.connect(self.controller.stop_monitoring)
        self.meters.clipResetRequested.connect(self.controller.reset_clip)
        self.spectrum.channelSelected.connect(self.controller.set_spectrum_channel)
        self.spectrum.optionsChanged.connect(self._on_spectrum_options)
        self.spectrum.display_chooser.currentTextChanged.connect(
            lambda display: self.settings.setValue("spectrum/display", display)
        )
        self.record_panel.recordRequested.connect(self._start_recording)
        self.record_panel.stopRequested.connect(worker.stop_recording)
        self.play_panel.playRequested.connect(self._play)
        self.play_panel.stopRequested.connect(worker.stop_playback)
        panel = self.device_panel
        panel.setDefaultRequested.connect(self.controller.set_default)
        panel.volumeRequested.connect(self.controller.set_volume)
        panel.muteRequested.connect(self.controller.set_mute)
        panel.deviceActivated.connect(self._on_device_activated)

    # -- server and devices ----------------------------------------------------------------

    def _on_server_status(self, available: bool, text: str) -> None:
        if available:
            self.banner.hide()
            self.status_server.setText(f"Sound server: {text}")
        else:
            self.banner.show_problem(text, shutil.which("pulseaudio") is not None)
            self.status_server.setText("No sound server")
            self.monitor_bar.set_monitoring(False)

    def _on_devices(self, snapshot: DeviceSnapshot) -> None:
        if snapshot.capabilities is not None:
            self.device_panel.set_capabilities(snapshot.capabilities)
            self.streams_page.set_can_list(snapshot.capabilities.app_streams)
            self.streams_page.set_can_control(snapshot.capabilities.stream_control)
            self.streams_page.set_can_move(snapshot.capabilities.stream_move)
            self.streams_page.set_volume_limit(snapshot.capabilities.stream_volume_max)
        self.streams_page.set_devices(
            [(d.id, d.name) for d in snapshot.speakers],
            [(d.id, d.name) for d in snapshot.microphones],
        )
        self.device_panel.update_devices(
            snapshot.speakers,
            snapshot.microphones,
            snapshot.default_speaker_id,
            snapshot.default_microphone_id,
        )
        preferred_input = self.settings.value("input") or snapshot.default_microphone_id
        self.monitor_bar.set_inputs(snapshot.microphones, preferred_input)
        preferred_output = self.settings.value("output") or snapshot.default_speaker_id
        self.play_panel.set_speakers(snapshot.speakers, preferred_output)
        self.generator_panel.set_speakers(snapshot.speakers, preferred_output)
        self.routing_panel.set_devices(snapshot.speakers, snapshot.microphones)

    def _on_device_activated(self, device: object) -> None:
        if isinstance(device, sc.Microphone):
            self.monitor_bar.set_monitoring(False)
            self.controller.stop_monitoring()
            self.monitor_bar.select(device.id)
            self.monitor_bar.start()

    def start_private_server(self) -> None:
        """Start the virtual rig (the same one the tests use) and connect to it."""
        from scgui.virtual_rig import RigError, VirtualRig

        if self._rig is None:
            rig = VirtualRig()
            try:
                rig.start()
            except RigError as exc:
                rig.stop()
                self._show_error(str(exc))
                return
            self._env_before_rig = rig.apply_env()
            self._rig = rig
            sc.backends.reset_backend()  # connect afresh, to the server now in PULSE_SERVER
        self.controller.connect_server()

    # -- monitoring and display ------------------------------------------------------------

    def _on_monitoring_started(self, info: MonitorInfo) -> None:
        self._monitor = info
        pending, self._pending_take = self._pending_take, None
        if pending is not None:
            QTimer.singleShot(0, lambda: self._start_recording(*pending))
        self.monitor_bar.set_monitoring(True)
        device_channels = info.channels or tuple(range(len(info.channel_names)))
        names = [
            channel_label(c, name)
            for c, name in zip(device_channels, info.channel_names, strict=True)
        ]
        self.meters.set_channels(names)
        self._give_meters_room(len(names))
        self.waveforms.set_channels(names)
        self._set_wave_pages(len(names))
        self.spectrum.set_channels(names)
        self.spectrum.set_samplerate(info.samplerate)
        self.placeholder.hide()
        self.signal_splitter.show()
        self.settings.setValue("input", info.device.id)
        self.settings.setValue("samplerate", self.monitor_bar.rate_box.currentData())
        latency = f", latency {info.latency * 1000:.1f} ms" if info.latency is not None else ""
        self.status_stream.setText(
            f"{info.device.name}: {len(names)} ch, {info.samplerate} Hz{latency}"
        )

    def _on_monitoring_stopped(self) -> None:
        self._monitor = None
        self._pending_take = None
        self.monitor_bar.set_monitoring(False)
        self.status_stream.setText("")
        # No stale levels: the views clear (a vanished device must not leave frozen meters).
        self._last_frame = None
        self.meters.set_channels([])
        self.waveforms.set_channels([])
        self.spectrum.set_channels([])
        self.signal_splitter.hide()
        self.placeholder.show()

    def _on_display(self, frame: DisplayFrame) -> None:
        self._last_frame = frame
        self.meters.set_levels(frame.peak_db, frame.rms_db, frame.hold_db, frame.clipped)
        if self.views.currentWidget() is self.wave_tab:
            self.waveforms.push_frames(frame.fresh, frame.position, frame.samplerate, frame.history)

    def _give_meters_room(self, channels: int) -> None:
        """Many channels: widen the meters so every one (and its clip latch) is in sight,
        up to 60 % of the signal area; the waveforms page through them anyway."""
        sizes = self.signal_splitter.sizes()
        total = sum(sizes) or self.signal_splitter.width()
        if channels <= 8 or total <= 0:
            return
        wanted = self.meters.minimumSizeHint().width() + 24  # + the scroll area's frame
        meters = max(sizes[0], min(max(wanted, total * channels // 80), total * 3 // 5))
        self.signal_splitter.setSizes([meters, total - meters])

    def _on_streams(self, streams: list[sc.AppStream]) -> None:
        names = {
            d.id: d.name
            for d in (*self.controller.devices.speakers, *self.controller.devices.microphones)
        }
        self.streams_page.set_streams(streams, names)

    def _watch_streams(self) -> None:
        """The programs' streams are asked for only while their page is on screen."""
        if self.isVisible() and self.tools.currentWidget() is self.streams_page:
            self.controller.streams.start()
        else:
            self.controller.streams.stop()

    def _on_tool_tab(self, index: int) -> None:
        """Give the routing check the room its matrix needs; the others need little."""
        self._watch_streams()
        total = sum(self.vertical_splitter.sizes()) or self.height()
        page = self.tools.widget(index)
        share = 0.62 if page is not None and page.isAncestorOf(self.routing_panel) else 0.3
        self.vertical_splitter.setSizes([int(total * (1 - share)), int(total * share)])

    def _set_wave_pages(self, channels: int) -> None:
        """Offer pages of 8 channels when there are more than the view shows at once."""
        size = self.waveforms.max_visible
        self.wave_page.blockSignals(True)
        self.wave_page.clear()
        for start in range(0, channels, size):
            end = min(channels, start + size)
            self.wave_page.addItem(f"Channels {start + 1}–{end}", list(range(start, end)))
        self.wave_page.blockSignals(False)
        paged = channels > size
        self.wave_page.setVisible(paged)
        self.wave_page_label.setVisible(paged)

    def _on_wave_page(self, index: int) -> None:
        channels = self.wave_page.itemData(index)
        if channels:
            self.waveforms.set_visible_channels(channels)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._splitter_sized:
            self._splitter_sized = True
            self._on_tool_tab(self.tools.currentIndex())
        self.controller.set_display_active(True)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.controller.set_display_active(False)
        self.controller.streams.stop()

    def _on_stats(self, stats: WorkerStats) -> None:
        self.status_cpu.setText(f"Audio thread CPU {stats.cpu * 100:.0f} %")
        if stats.recording is not None:
            self.record_panel.show_status(stats.recording)
        if stats.playback is not None:
            self.play_panel.show_status(stats.playback)

    # -- recording and playback ------------------------------------------------------------

    def _record_shortcut(self) -> None:
        if self.record_panel.record_button.isEnabled():
            self.record_panel.record_button.click()

    def _start_recording(self, path: str, subtype: str, overwrite: bool) -> None:
        if self._monitor is None:
            # Record records: start the chosen input first, then the take (on monitoringStarted).
            if self.monitor_bar.selected_input() is None:
                self._show_error(
                    "Choose an input to record from in the Input box at the top of the window."
                )
                return
            self._pending_take = (path, subtype, overwrite)
            self.statusBar().showMessage("Starting the input to record…", 3000)
            self.monitor_bar.start()
            if not self.monitor_bar.monitor_button.isChecked():  # refused: channels typo
                self._pending_take = None
                self._show_error(
                    "The input could not start: check the Channels field at the top "
                    f"({self.monitor_bar.channels_edit.toolTip()})."
                )
            return
        target = Path(path)
        if target.parent == self.record_panel.folder:
            target.parent.mkdir(parents=True, exist_ok=True)
        self.settings.setValue("format", self.record_panel.extension)
        self.settings.setValue("subtype", subtype)
        self.settings.setValue("folder", str(target.parent))
        self.controller.worker.start_recording(target, subtype=subtype, overwrite=overwrite)

    def _set_recording(self, recording: bool) -> None:
        self._recording = recording
        self.record_panel.set_recording(recording)
        # Seen from anywhere: the title (taskbar), the status bar, the panel's clock.
        name = self._recording_path.name if recording and self._recording_path else ""
        self.setWindowTitle(f"● REC {name} – scgui" if recording else "scgui")
        self.status_recording.setText(f"● REC {name}" if recording else "")
        self.status_recording.setVisible(recording)

    def _on_recording_started(self, path: str) -> None:
        self._recording_path = Path(path)
        self.journal.add(self._recording_path)  # found at the next start if this one is killed
        self._set_recording(True)

    def _on_recording_finished(self, status: RecordingStatus) -> None:
        self.record_panel.show_status(status)
        self._set_recording(False)
        if status.error is None:
            self.journal.remove(status.path)
            self.statusBar().showMessage(
                f"Saved {status.path} ({status.seconds:.1f} s, {status.dropouts} dropouts)", 10000
            )
            if not self.play_panel.stop_button.isEnabled():  # not playing: the take is next
                self.play_panel.load(status.path)
        # Otherwise the worker's message says what is on disk; a working file left behind
        # stays in the journal, to be offered for recovery.

    # -- recovering interrupted takes ------------------------------------------------------

    def offer_recovery(self, say_if_none: bool = False) -> None:
        """Name the takes an interrupted session left and offer to make their files."""
        if self.recovery.running:
            return
        takes = interrupted_takes(self.journal, self.record_panel.folder)
        if not takes:
            if say_if_none:
                QMessageBox.information(
                    self, "scgui", "No interrupted recordings were found: nothing to recover."
                )
            return
        if ask_to_recover(self, takes):
            self.statusBar().showMessage(f"Recovering {len(takes)} recording(s)…")
            self.recovery.start(takes)

    def _on_recovered(self, made: list[Recovered], failures: list[str]) -> None:
        for result in made:
            self.journal.remove(result.path)
        lines = [
            f"{result.path} ({result.frames / result.samplerate:.1f} s, {result.channels} ch)"
            for result in made
        ]
        summary = f"Recovered {len(made)} recording(s)"
        self.statusBar().showMessage(summary + (": " + "; ".join(lines) if lines else ""), 20000)
        if failures:
            self._show_error("\n\n".join(failures))
        elif self.isVisible():
            QMessageBox.information(self, "scgui", summary + ":\n" + "\n".join(lines))

    def _open_and_play(self) -> None:
        self.play_panel.open_button.click()

    def _play(self, path: str, speaker: sc.Speaker, channels: list[int] | None) -> None:
        self._playing_signal = False
        try:
            source = FileSource(path)
        except OSError as exc:
            self._show_error(str(exc))
            return
        self.settings.setValue("output", speaker.id)
        self.controller.worker.play(source, speaker, channels, name=Path(path).name)

    def _play_signal(self, source: ArraySource, speaker: sc.Speaker, channels: list[int]) -> None:
        self._playing_signal = True
        self.controller.worker.play(source, speaker, channels, name="Test signal")

    def _stop_signal_if_still_playing(self) -> None:
        if self._playing_signal:
            self.controller.worker.stop_playback()

    def _on_playback_started(self, _status: object) -> None:
        (self.generator_panel if self._playing_signal else self.play_panel).set_playing(True)

    def _on_playback_finished(self) -> None:
        self._playing_signal = False
        self.generator_panel.set_playing(False)
        self.play_panel.set_playing(False)

    def _stop_all(self) -> None:
        self.controller.worker.stop_recording()
        self.controller.worker.stop_playback()

    # -- messages, settings, closing -------------------------------------------------------

    def _show_error(self, problem: Problem | str) -> None:
        if not isinstance(problem, Problem):
            problem = Problem(problem)
        self._pending_take = None  # a take waiting for its input is not started later
        self.statusBar().showMessage(problem.message, 15000)
        if self.isVisible():
            show_problem(self, problem)

    def _about(self) -> None:
        from PySide6 import __version__ as pyside_version

        try:
            server = sc.backends.get_backend().server_description()
        except sc.AudioError:
            server = "not connected"
        QMessageBox.about(
            self,
            "About scgui",
            f"<h3>scgui {scgui.__version__}</h3>"
            "<p>Sound-card manager, recorder and channel checker.</p>"
            f"<p>Sound server: {server}<br>PySide6 {pyside_version}<br>NumPy {np.__version__}</p>"
            f"<p>Log file: {html.escape(str(log_path() or 'none (not started)'))}</p>",
        )

    def _available(self) -> QRect | None:
        screen = self.screen() or QGuiApplication.primaryScreen()
        return screen.availableGeometry() if screen is not None else None

    def _fit_first_start(self) -> None:
        """At first start: 1280x860, or the screen's free area less a margin when smaller
        (a 1280x800 laptop), centred; the extra room of a larger screen goes to the views."""
        area = self._available()
        if area is None:
            self.resize(1280, 860)
            return
        width = min(max(1280, area.width() * 4 // 5), area.width() - 16)
        height = min(max(860, area.height() * 17 // 20), area.height() - 48)
        self.resize(width, height)
        self.move(area.x() + (area.width() - width) // 2, area.y() + (area.height() - height) // 3)

    def _keep_on_screen(self) -> None:
        """A remembered size from a larger screen is cut to this one."""
        area = self._available()
        if area is None:
            return
        frame = self.frameGeometry()
        if frame.width() > area.width() or frame.height() > area.height():
            self.resize(
                min(self.width(), area.width() - 16), min(self.height(), area.height() - 48)
            )
        if not area.intersects(self.frameGeometry()):
            self.move(area.topLeft())

    def _restore_settings(self) -> None:
        geometry = self.settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = self.settings.value("windowState")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        folder = self.settings.value("folder")
        if folder:
            self.record_panel.folder = Path(str(folder))
        extension = self.settings.value("format")
        if extension:
            self.record_panel.set_format(str(extension), self.settings.value("subtype"))
        rate = self.settings.value("samplerate")
        if rate is not None:
            self.monitor_bar.set_samplerate(int(rate))
        self._restore_spectrum_settings()

    def _restore_spectrum_settings(self) -> None:
        """The spectrum's FFT size, averaging, weighting and display as last chosen."""
        default = SpectrumOptions()
        # Without a default value() is Any (a str from the settings file) or None.
        size = self.settings.value("spectrum/size")
        averaging = self.settings.value("spectrum/averaging")
        weighting = self.settings.value("spectrum/weighting")
        try:
            options = SpectrumOptions(
                size=default.size if size is None else int(size),
                averaging=default.averaging if averaging is None else float(averaging),
                weighting=default.weighting if weighting is None else str(weighting),
            )
        except (TypeError, ValueError):
            options = SpectrumOptions()  # a settings file edited by hand: the defaults
        self.spectrum.set_options(options)
        self.controller.set_spectrum_options(self.spectrum.options)
        display = self.settings.value("spectrum/display")
        if display in DISPLAYS:
            self.spectrum.set_display(str(display))

    def _on_spectrum_options(self, options: SpectrumOptions) -> None:
        self.controller.set_spectrum_options(options)
        self.settings.setValue("spectrum/size", options.size)
        self.settings.setValue("spectrum/averaging", options.averaging)
        self.settings.setValue("spectrum/weighting", options.weighting)

    def _stop_recording_to_close(self) -> bool:
        """While a take runs, ask before closing: stop and save it, or keep recording."""
        if not self._recording:
            return True
        box = QMessageBox(self)
        box.setObjectName("closeWhileRecording")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Recording")
        box.setText("<b>A recording is running.</b> Stop it and save the file, then close?")
        box.setInformativeText(f"It is being written to {self._recording_path}.")
        stop_button = box.addButton("Stop and save", QMessageBox.ButtonRole.AcceptRole)
        keep_button = box.addButton("Keep recording", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep_button)
        box.setEscapeButton(keep_button)
        box.exec()
        return box.clickedButton() is stop_button

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._stop_recording_to_close():
            event.ignore()
            return
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("windowState", self.saveState())
        self.routing_panel.wait()
        self.controller.shutdown()  # finishes the take: the file is made and checked
        if self._recording_path is not None and not working_path(self._recording_path).exists():
            self.journal.remove(self._recording_path)  # finished while closing
        self.recovery.wait()
        if self._rig is not None:
            self._rig.restore_env(self._env_before_rig)
            self._rig.stop()
            self._rig = None
            sc.backends.reset_backend()
        super().closeEvent(event)
