"""The audio worker: the one thread that owns every stream of the app.

The GUI asks for things through thread-safe methods that only queue a command; the worker
reports back through low-rate Qt signals (state changes and ~4 statistics updates a second).
Audio reaches the screen through :attr:`AudioWorker.ring`, which the GUI reads on its own
frame clock, and reaches the disk through a :class:`~scgui.engine.writer.RecordingWriter`,
whose queue never drops a frame. Nothing the GUI does (or fails to do) can stall recording.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

import scgui.audio as sc

from .problems import Problem
from .ringbuffer import RingBuffer
from .sources import PlaySource
from .writer import RecordingError, RecordingWriter

_log = logging.getLogger(__name__)

#: Seconds of audio the display ring buffer holds (the waveform shows up to this much).
DISPLAY_SECONDS = 3.0
#: How often statistics are reported to the GUI.
STATS_INTERVAL = 0.25
#: Playback block: 1/20 s.
PLAYBACK_BLOCK_DIVISOR = 20
_SHUTDOWN = object()


@dataclass(frozen=True)
class MonitorInfo:
    """What is being monitored, for the GUI to lay out meters and plots."""

    device: sc.Microphone
    samplerate: int
    channel_names: tuple[str, ...]
    latency: float | None
    #: The device channel of each monitored channel (0-based; -1: the mono mix).
    channels: tuple[int, ...] = ()


@dataclass(frozen=True)
class RecordingStatus:
    path: Path
    frames: int
    seconds: float
    bytes_on_disk: int
    queued_frames: int
    dropouts: int
    #: Set on a finished take that did not end cleanly: what happened and what is on disk.
    error: str | None = None


@dataclass(frozen=True)
class PlaybackStatus:
    name: str
    position: float
    duration: float | None
    samplerate: int
    channels: int
    #: Gaps so far: times the player ran dry (the machine or the server could not keep up).
    underruns: int = 0


@dataclass(frozen=True)
class WorkerStats:
    """A snapshot of the worker for status bars and counters."""

    monitoring: MonitorInfo | None
    captured_frames: int
    overflows: int
    recording: RecordingStatus | None
    playback: PlaybackStatus | None
    cpu: float  # fraction of one core used by the worker thread


class AudioWorker(QThread):
    """Runs monitoring, recording and playback; see the module docstring."""

    statsUpdated = Signal(object)  # WorkerStats
    errorOccurred = Signal(object)  # a Problem: the message and its traceback
    monitoringStarted = Signal(object)  # MonitorInfo
    monitoringStopped = Signal()
    recordingStarted = Signal(str)
    recordingFinished = Signal(object)  # RecordingStatus
    playbackStarted = Signal(object)  # PlaybackStatus
    playbackFinished = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("scgui-audio-worker")
        self._commands: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.ring: RingBuffer | None = None
        self._recorder: sc.Recorder | None = None
        self._monitor: MonitorInfo | None = None
        self._read_frames = 480
        self._captured = 0
        self._writer: RecordingWriter | None = None
        self._overflows_at_record_start = 0
        self._player: sc.Player | None = None
        self._source: PlaySource | None = None
        self._source_name = ""
        self._played = 0
        self._cpu = 0.0

    # -- requests from the GUI thread (they only queue) ------------------------------------

    def start_monitoring(
        self,
        microphone: sc.Microphone,
        samplerate: int,
        channels: int | Sequence[int] | None = None,
        blocksize: int | None = None,
    ) -> None:
        self._send(self._do_start_monitoring, microphone, samplerate, channels, blocksize)

    def stop_monitoring(self) -> None:
        self._send(self._do_stop_monitoring)

    def start_recording(
        self,
        path: str | Path,
        format: str | None = None,
        subtype: str | None = None,
        overwrite: bool = False,
    ) -> None:
        self._send(self._do_start_recording, Path(path), format, subtype, overwrite)

    def stop_recording(self) -> None:
        self._send(self._finish_recording)

    def play(
        self,
        source: PlaySource,
        speaker: sc.Speaker,
        channels: int | Sequence[int] | None = None,
        name: str = "",
    ) -> None:
        self._send(self._do_play, source, speaker, channels, name)

    def stop_playback(self) -> None:
        self._send(self._do_stop_playback)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop every stream, finish the recording file and end the thread."""
        if not self.isRunning():
            return True
        self._commands.put(_SHUTDOWN)
        return self.wait(timeout_ms)

    def _send(self, function: Callable[..., None], *args: Any) -> None:
        self._commands.put((function, args))

    # -- the thread ------------------------------------------------------------------------

    def run(self) -> None:
        cpu_mark, wall_mark = time.thread_time(), time.monotonic()
        try:
            while self._handle_commands():
                if self._player is not None:
                    try:
                        self._play_step()
                    except Exception as exc:
                        self._fail_playback(exc)
                if self._recorder is not None:
                    try:
                        self._capture_step(block=self._player is None)
                    except Exception as exc:
                        self._fail_input(exc)
                now = time.monotonic()
                if now - wall_mark >= STATS_INTERVAL:
                    cpu = time.thread_time()
                    self._cpu = (cpu - cpu_mark) / (now - wall_mark)
                    cpu_mark, wall_mark = cpu, now
                    self.statsUpdated.emit(self.stats())
        finally:
            self._stop_everything()

    def _handle_commands(self) -> bool:
        """Run queued commands, waiting a little for one when idle; False on shutdown."""
        idle = self._recorder is None and self._player is None
        try:
            command = (
                self._commands.get(timeout=STATS_INTERVAL) if idle else self._commands.get_nowait()
            )
        except queue.Empty:
            return True
        while command is not _SHUTDOWN:
            function, args = command
            try:
                function(*args)
            except Exception as exc:
                self._fail(exc)
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return True
        return False

    def _player_underruns(self) -> int:
        player = self._player
        if player is None:
            return 0
        try:
            return int(player.underruns)
        except sc.AudioError:
            return 0  # the stream is gone; its error is reported on its own

    def stats(self) -> WorkerStats:
        recording = None
        if self._writer is not None:
            recording = self._recording_status()
        playback = None
        if self._source is not None:
            position = self._played / self._source.samplerate
            duration = (
                None
                if self._source.frames is None
                else self._source.frames / self._source.samplerate
            )
            playback = PlaybackStatus(
                self._source_name,
                position,
                duration,
                self._source.samplerate,
                self._source.channels,
                self._player_underruns(),
            )
        overflows = self._recorder.overflows if self._recorder is not None else 0
        return WorkerStats(self._monitor, self._captured, overflows, recording, playback, self._cpu)

    # -- monitoring and recording ----------------------------------------------------------

    def _do_start_monitoring(
        self,
        microphone: sc.Microphone,
        samplerate: int,
        channels: int | Sequence[int] | None,
        blocksize: int | None,
    ) -> None:
        self._do_stop_monitoring()
        recorder = microphone.recorder(samplerate, channels=channels, blocksize=blocksize)
        recorder.__enter__()
        self._recorder = recorder
        self._read_frames = blocksize or max(64, samplerate // 100)
        names = tuple(
            microphone.channel_names[c] if c >= 0 else "Mix" for c in recorder.channelmap.columns
        )
        self.ring = RingBuffer(int(DISPLAY_SECONDS * samplerate), recorder.channels)
        self._captured = 0
        try:
            latency = recorder.latency
        except sc.AudioError:
            latency = None
        columns = tuple(recorder.channelmap.columns)
        self._monitor = MonitorInfo(microphone, samplerate, names, latency, columns)
        self.monitoringStarted.emit(self._monitor)

    def _do_stop_monitoring(self) -> None:
        self._finish_recording()
        if self._recorder is not None:
            recorder, self._recorder, self._monitor = self._recorder, None, None
            try:
                recorder.close()
            finally:  # a stream that failed may fail to close: the views still stop
                self.monitoringStopped.emit()

    def _capture_step(self, block: bool) -> None:
        assert self._recorder is not None
        frames = self._recorder.record(self._read_frames if block else None)
        if frames.shape[0] == 0:
            return
        self._captured += frames.shape[0]
        if self.ring is not None:
            self.ring.write(frames)
        if self._writer is not None:
            try:
                self._writer.write(frames)
            except Exception as exc:
                # The take ends (what was written is kept); monitoring goes on.
                self._finish_recording(cause=f"The recording stopped: {exc}", exc=exc)

    def _do_start_recording(
        self, path: Path, format: str | None, subtype: str | None, overwrite: bool
    ) -> None:
        if self._recorder is None or self._monitor is None:
            raise sc.AudioError("Choose a device and start monitoring before recording.")
        self._finish_recording()
        writer = RecordingWriter(
            path,
            self._monitor.samplerate,
            self._recorder.channels,
            format=format,
            subtype=subtype,
            overwrite=overwrite,
        )
        writer.start()
        self._writer = writer
        self._overflows_at_record_start = self._recorder.overflows
        self.recordingStarted.emit(str(path))

    def _recording_status(self) -> RecordingStatus:
        writer = self._writer
        assert writer is not None
        overflows = self._recorder.overflows if self._recorder is not None else 0
        rate = self._monitor.samplerate if self._monitor is not None else 1
        return RecordingStatus(
            Path(writer.path),
            writer.frames_written + writer.queued_frames,
            (writer.frames_written + writer.queued_frames) / rate,
            writer.bytes_on_disk,
            writer.queued_frames,
            overflows - self._overflows_at_record_start,
        )

    def _do_stop_recording(self) -> RecordingStatus | None:
        """Close the take (the writer makes and checks the file); report how it ended."""
        if self._writer is None:
            return None
        status = self._recording_status()
        writer, self._writer = self._writer, None
        error: str | None = None
        try:
            writer.stop()
        except RecordingError as exc:
            error = str(exc)
        except Exception as exc:  # never leave the take unreported
            error = f"Recording to '{writer.path}' could not be finished: {exc}"
        final = RecordingStatus(
            status.path,
            writer.frames_written,
            writer.frames_written / (self._monitor.samplerate if self._monitor else 1),
            writer.bytes_on_disk,
            0,
            status.dropouts,
            error,
        )
        self.recordingFinished.emit(final)
        return final

    def _finish_recording(self, cause: str | None = None, exc: BaseException | None = None) -> None:
        """End the take and say, in one message, why it ended early and what was saved."""
        final = self._do_stop_recording()
        if final is None:
            if cause:
                self._report(cause, exc)
            return
        if final.error is not None:
            # The writer's own message names the file, what is in it and what to do.
            same = cause is None or cause in final.error
            message = final.error if same else f"{cause} {final.error}"
        elif cause is not None:
            message = f"{cause} The {final.seconds:.1f} s recorded are saved in '{final.path}'."
        else:
            return
        self._report(message, exc)

    # -- playback --------------------------------------------------------------------------

    def _do_play(
        self,
        source: PlaySource,
        speaker: sc.Speaker,
        channels: int | Sequence[int] | None,
        name: str,
    ) -> None:
        self._do_stop_playback()
        if channels is None:
            channels = min(source.channels, speaker.channels)
            if source.channels > speaker.channels:
                source.close()
                raise sc.InvalidConfigError(
                    f"The file has {source.channels} channels but {speaker.name} has only "
                    f"{speaker.channels}: choose which channels to play, or mix down."
                )
        # A generous buffer (2 x 50 ms): the GUI shares the interpreter, and a stalled redraw
        # must not make playback stutter. Latency does not matter for files and test tones.
        player = speaker.player(
            source.samplerate,
            channels=channels,
            blocksize=source.samplerate // PLAYBACK_BLOCK_DIVISOR,
        )
        if player.channels != source.channels:
            source.close()
            raise sc.InvalidConfigError(
                f"The channel map has {player.channels} entries but the audio has "
                f"{source.channels} channels."
            )
        player.__enter__()
        self._player, self._source, self._source_name, self._played = player, source, name, 0
        self.playbackStarted.emit(self.stats().playback)

    def _play_step(self) -> None:
        assert self._player is not None and self._source is not None
        block = self._source.read(max(256, self._source.samplerate // PLAYBACK_BLOCK_DIVISOR))
        if block.shape[0]:
            self._player.play(block)
            self._played += block.shape[0]
            return
        self._player.wait()
        self._do_stop_playback()

    def _do_stop_playback(self) -> None:
        if self._player is None:
            return
        player, source = self._player, self._source
        self._player = self._source = None
        try:
            player.close()
        finally:
            if source is not None:
                source.close()
            self.playbackFinished.emit()

    # -- failures --------------------------------------------------------------------------

    def _fail(self, exc: BaseException) -> None:
        """A command that could not be carried out: report it; the streams go on (a failing
        stream is reported by :meth:`_fail_input` or :meth:`_fail_playback`)."""
        self._report(str(exc) or type(exc).__name__, exc)

    def _report(self, message: str, exc: BaseException | None = None) -> None:
        """Tell the window, with the traceback behind it, and write it to the log."""
        problem = Problem.of(message, exc)
        _log.warning("%s", message, exc_info=exc)
        self.errorOccurred.emit(problem)

    def _fail_input(self, exc: BaseException) -> None:
        """The input stream failed (a device unplugged, the server gone): say which stream
        stopped and whether a take was saved; playback goes on."""
        name = self._monitor.device.name if self._monitor is not None else "the input"
        reason = str(exc) or type(exc).__name__
        if self._writer is not None:
            self._finish_recording(cause=f"Recording from {name} stopped: {reason}", exc=exc)
        else:
            self._report(f"Monitoring {name} stopped: {reason} Nothing was being recorded.", exc)
        try:
            self._do_stop_monitoring()
        except Exception as close_error:  # the stream is gone already
            _log.debug("closing the failed input: %s", close_error)

    def _fail_playback(self, exc: BaseException) -> None:
        """The player failed: say what was playing where; monitoring and recording go on."""
        reason = str(exc) or type(exc).__name__
        self._report(f"Playing {self._source_name or 'the file'} stopped: {reason}", exc)
        try:
            self._do_stop_playback()
        except Exception as close_error:
            _log.debug("closing the failed player: %s", close_error)

    def _stop_everything(self) -> None:
        for stop in (self._finish_recording, self._do_stop_playback, self._do_stop_monitoring):
            try:
                stop()
            except Exception as exc:
                self._report(str(exc), exc)
