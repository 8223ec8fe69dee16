"""The controller: turns what the user asks for into worker commands and library calls.

It owns the :class:`~scgui.engine.worker.AudioWorker`, the device watch, and the single
display frame clock. On each tick it takes the audio that arrived since the last tick from
the worker's ring buffer, updates the level meters and the spectrum (``scgui.measure``), and
emits one :class:`DisplayFrame` for the widgets to draw. The frame carries only the *new*
frames and where they end; a widget that needs older audio (the waveform view, when it has
to rebuild its envelope) reads it back from the frame's :attr:`DisplayFrame.history`, so
nothing copies the whole waveform window per frame. A tick on which no audio arrived emits
nothing. When the window is hidden the clock stops, so nothing is computed for nobody.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot

import scgui.audio as sc
from scgui.measure.levels import LevelMeter
from scgui.measure.spectrum import Spectrum, SpectrumOptions

from .problems import Problem
from .ringbuffer import RingBuffer
from .stream_watch import StreamWatch
from .worker import AudioWorker, MonitorInfo

FRAME_INTERVAL_MS = 16
WAVEFORM_SECONDS = 2.0
SPECTRUM_EVERY_N_FRAMES = 4
#: With no server at all (nothing to watch yet), how often to look for one.
PROBE_INTERVAL_MS = 2000


@dataclass(frozen=True)
class DeviceSnapshot:
    """Every device and the defaults, as listed at one moment."""

    speakers: list[sc.Speaker]
    microphones: list[sc.Microphone]  # loopback (monitor) sources included
    default_speaker_id: str | None
    default_microphone_id: str | None
    #: What the platform lets a program change (set default, volume...); None when unknown.
    capabilities: sc.Capabilities | None = None


@dataclass(frozen=True)
class DisplayFrame:
    """What the widgets draw on one tick of the frame clock."""

    samplerate: int
    fresh: np.ndarray  # the frames that arrived since the previous frame, n x channels
    position: int  # the ring position just after ``fresh`` (frames captured so far)
    history: RingBuffer  # older frames by position, for a widget that must rebuild
    peak_db: np.ndarray
    rms_db: np.ndarray
    hold_db: np.ndarray
    clipped: np.ndarray

    @property
    def waveform(self) -> np.ndarray:
        """The newest ``WAVEFORM_SECONDS`` up to :attr:`position`, ``n x channels``.

        Read from the history when asked for (a copy of the whole window: tests and one-off
        pictures, not the per-frame path).
        """
        window = int(WAVEFORM_SECONDS * self.samplerate)
        return self.history.read(self.position - window, self.position)


class AppController(QObject):
    """Connects the window's intents to the worker and the library."""

    devicesChanged = Signal(object)  # DeviceSnapshot
    serverStatusChanged = Signal(bool, str)  # available, description or what to do
    displayUpdated = Signal(object)  # DisplayFrame
    spectrumUpdated = Signal(object, object)  # freqs, dB
    errorOccurred = Signal(object)  # a Problem (scgui.engine.problems)
    _deviceEventArrived = Signal(object)  # from the watch thread; queued to this thread
    _serverReachable = Signal()  # from a probe thread; queued to this thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = AudioWorker(self)
        self.worker.errorOccurred.connect(self.errorOccurred)
        self.worker.monitoringStarted.connect(self._on_monitoring_started)
        self.worker.monitoringStopped.connect(self._on_monitoring_stopped)
        self.worker.start()
        self._watch: sc.DeviceWatch | None = None
        self._server_ok = False
        self._ring: RingBuffer | None = None
        self._ring_position = 0
        self._meter: LevelMeter | None = None
        self._spectrum: Spectrum | None = None
        self._spectrum_channel = 0
        self._spectrum_active = True
        self._spectrum_options = SpectrumOptions()
        self._frame_count = 0
        self._monitor: MonitorInfo | None = None
        self._frame_timer = QTimer(self)
        self._frame_timer.setInterval(FRAME_INTERVAL_MS)
        self._frame_timer.timeout.connect(self._on_frame)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(60)
        self._refresh_timer.timeout.connect(self.refresh_devices)
        self._deviceEventArrived.connect(self._on_device_event)
        self._probe_timer = QTimer(self)
        self._probe_timer.setInterval(PROBE_INTERVAL_MS)
        self._probe_timer.timeout.connect(self._probe_server)
        self._probing = False
        self._serverReachable.connect(self.connect_server)
        self.devices = DeviceSnapshot([], [], None, None)
        self.streams = StreamWatch(self)  # the programs' streams, while a view shows them

    # -- server and devices ----------------------------------------------------------------

    @property
    def server_available(self) -> bool:
        return self._server_ok

    def connect_server(self) -> bool:
        """List devices and watch for changes; report whether the server is reachable."""
        try:
            if self._watch is not None and self._watch.backend is not sc.backends.get_backend():
                self._close_watch()  # the backend was reset: watch the new one
            if self._watch is None:
                self._watch = sc.watch_devices(self._deviceEventArrived.emit)
            self.refresh_devices()
            description = sc.backends.get_backend().server_description()
        except sc.AudioError as exc:
            self._close_watch()
            self._server_ok = True  # so that what was listed is cleared, once
            self._server_lost(str(exc))
            self._probe_timer.start()  # connect by itself once a server runs
            return False
        self._probe_timer.stop()
        self._server_ok = True
        self.serverStatusChanged.emit(True, description)
        return True

    def _probe_server(self) -> None:
        """Look for a server off the GUI thread (a frozen one would block it)."""
        if self._server_ok or self._watch is not None or self._probing:
            return
        self._probing = True
        threading.Thread(target=self._probe_thread, name="scgui-server-probe", daemon=True).start()

    def _probe_thread(self) -> None:
        try:
            sc.backends.get_backend().server_description()
        except sc.AudioError:
            return
        finally:
            self._probing = False
        with contextlib.suppress(RuntimeError):  # the controller was deleted meanwhile
            self._serverReachable.emit()

    @Slot()
    def refresh_devices(self) -> None:
        """List every device again and tell the views."""
        try:
            backend = sc.backends.get_backend()
            snapshot = DeviceSnapshot(
                sc.all_speakers(),
                sc.all_microphones(include_loopback=True),
                backend.default_device_id("speaker"),
                backend.default_device_id("microphone"),
                backend.capabilities,
            )
        except sc.AudioError as exc:
            self._server_lost(str(exc))
            return
        self.devices = snapshot
        self.devicesChanged.emit(snapshot)

    def _on_device_event(self, event: sc.DeviceEvent) -> None:
        if event.change == "server-lost":
            self._server_lost(
                f"Lost the sound server ({event.id}). scgui reconnects by itself as soon as "
                "it is running again."
            )
        elif event.change == "server-back":
            self.connect_server()
        else:
            self._refresh_timer.start()  # many events in a burst make one refresh

    def _server_lost(self, message: str) -> None:
        """Say the server is gone and list no devices; the watch stays, to tell when it is back."""
        if self._server_ok:
            self._server_ok = False
            self._refresh_timer.stop()
            self.devices = DeviceSnapshot([], [], None, None)
            self.serverStatusChanged.emit(False, message)
            self.devicesChanged.emit(self.devices)

    def _close_watch(self) -> None:
        if self._watch is not None:
            with contextlib.suppress(sc.AudioError):
                self._watch.close()
            self._watch = None

    def set_default(self, device: sc.Speaker | sc.Microphone) -> None:
        self._call(device.set_default)

    def set_volume(self, device: sc.Speaker | sc.Microphone, volumes: Sequence[float]) -> None:
        self._call(device.set_volume, list(volumes))

    def set_mute(self, device: sc.Speaker | sc.Microphone, muted: bool) -> None:
        self._call(device.set_mute, muted)

    def _call(self, function: object, *args: object) -> None:
        try:
            function(*args)  # type: ignore[operator]
        except sc.AudioError as exc:
            self.errorOccurred.emit(Problem.of(str(exc), exc))

    # -- monitoring and the frame clock ----------------------------------------------------

    def start_monitoring(
        self,
        microphone: sc.Microphone,
        samplerate: int,
        channels: int | Sequence[int] | None = None,
    ) -> None:
        self.worker.start_monitoring(microphone, samplerate, channels)

    def stop_monitoring(self) -> None:
        self.worker.stop_monitoring()

    @property
    def monitor(self) -> MonitorInfo | None:
        return self._monitor

    def set_display_active(self, active: bool) -> None:
        """Run the frame clock only while someone can see the result."""
        if active and self._monitor is not None:
            self._frame_timer.start()
        else:
            self._frame_timer.stop()

    def set_spectrum_active(self, active: bool) -> None:
        """Compute the spectrum only while it is on screen."""
        self._spectrum_active = active
        if active and self._spectrum is not None:
            self._spectrum.reset()

    def set_spectrum_options(self, options: SpectrumOptions) -> None:
        """FFT size, averaging and weighting of the spectrum (it starts again from silence)."""
        self._spectrum_options = options
        if self._spectrum is not None and self._monitor is not None:
            self._spectrum = options.spectrum(self._monitor.samplerate)

    @property
    def spectrum_options(self) -> SpectrumOptions:
        return self._spectrum_options

    def set_spectrum_channel(self, channel: int) -> None:
        self._spectrum_channel = channel
        if self._spectrum is not None:
            self._spectrum.reset()

    def reset_clip(self, channel: int = -1) -> None:
        if self._meter is not None:
            self._meter.reset_clip(None if channel < 0 else channel)

    def _on_monitoring_started(self, info: MonitorInfo) -> None:
        self._monitor = info
        self._ring = None  # picked up from the worker on the next tick
        self._frame_timer.start()

    def _on_monitoring_stopped(self) -> None:
        self._monitor = None
        self._frame_timer.stop()

    @Slot()
    def _on_frame(self) -> None:
        ring, monitor = self.worker.ring, self._monitor
        if ring is None or monitor is None:
            return
        if ring is not self._ring:
            self._ring, self._ring_position = ring, ring.total
            self._meter = LevelMeter(ring.channels, monitor.samplerate)
            self._spectrum = self._spectrum_options.spectrum(monitor.samplerate)
            self._spectrum_channel = min(self._spectrum_channel, ring.channels - 1)
        assert self._meter is not None and self._spectrum is not None
        fresh, self._ring_position = ring.since(self._ring_position)
        if fresh.shape[0] == 0:
            return
        now = time.monotonic()
        self._meter.update(fresh, now)
        if self._spectrum_active:
            self._spectrum.push(fresh[:, self._spectrum_channel])
        meter = self._meter
        self.displayUpdated.emit(
            DisplayFrame(
                monitor.samplerate,
                fresh,
                self._ring_position,
                ring,
                meter.peak_db,
                meter.rms_db,
                meter.hold_db_at(now),
                meter.clipped,
            )
        )
        self._frame_count += 1
        if self._spectrum_active and self._frame_count % SPECTRUM_EVERY_N_FRAMES == 0:
            freqs, db = self._spectrum.compute()
            self.spectrumUpdated.emit(freqs, db)

    # -- shutdown --------------------------------------------------------------------------

    def shutdown(self) -> None:
        """Stop the clock, the watch and the worker (finishing any recording)."""
        self._frame_timer.stop()
        self._probe_timer.stop()
        self.streams.stop()
        self._close_watch()
        self.worker.shutdown()
