"""Recording to disk on a thread of its own, fed by a lossless queue.

The audio side calls :meth:`RecordingWriter.write` with each captured block; that only copies
the block into an unbounded queue, so a slow disk, a network share or a stalled GUI never
makes the audio thread wait or drop frames. A writer thread drains the queue into a
``soundfile.SoundFile`` and flushes it at least once a second (header included), so a crash
or a killed process leaves a readable file with everything up to the last flush. That holds
for WAV, W64, RF64, AIFF and CAF. FLAC and Ogg headers cannot stay valid while a file is
open, so those takes are recorded to a crash-safe W64 working file beside the target and the
chosen format is made from it at :meth:`stop` (:mod:`scgui.engine.takefile`); after a kill,
``scgui recover PATH`` makes it from what was left. For long unattended recordings ``.w64``
(or ``.rf64``) is best: crash-safe and no 4 GiB limit.

Failures are reported where the caller can act on them:

* Everything that can be checked before recording (folder missing, folder not writable, file
  already there, unknown extension, unsupported format) raises :class:`RecordingError` from
  :meth:`RecordingWriter.start`, in the caller's thread, because the file is opened there.
* A failure in the writer thread (disk full, drive unplugged) is stored in
  :attr:`RecordingWriter.error`; the thread closes the file so that everything written so far
  stays readable, and the next :meth:`~RecordingWriter.write` or
  :meth:`~RecordingWriter.stop` raises a :class:`RecordingError` saying what to do.
* Plain WAV (and AIFF) store sizes in 32 bits, so they cannot hold more than 4 GiB. Rather
  than let libsndfile write a broken file, :meth:`~RecordingWriter.write` raises
  :class:`RecordingSizeLimitError` before that limit is reached; the file stays complete.
  Long recordings should use ``.w64``, ``.rf64`` (64-bit sizes) or ``.flac``.

Threading only, no Qt: the engine wraps this for the GUI, the CLI uses it directly.
"""

from __future__ import annotations

import contextlib
import errno
import os
import queue
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType

import numpy as np
import soundfile
from numpy.typing import ArrayLike

from .takefile import NEEDS_WORKING_FILE, TakeFileError, convert, working_path

__all__ = [
    "DEFAULT_SUBTYPES",
    "EXTENSION_FORMATS",
    "RecordingError",
    "RecordingExistsError",
    "RecordingSizeLimitError",
    "RecordingSummary",
    "RecordingWriter",
    "default_recording_path",
]

EXTENSION_FORMATS: dict[str, str] = {
    ".wav": "WAV",
    ".wave": "WAV",
    ".w64": "W64",
    ".rf64": "RF64",
    ".flac": "FLAC",
    ".ogg": "OGG",
    ".oga": "OGG",
    ".aif": "AIFF",
    ".aiff": "AIFF",
    ".caf": "CAF",
}
"""The libsndfile major format chosen for each file extension when ``format`` is None."""

DEFAULT_SUBTYPES: dict[str, str] = {
    "WAV": "FLOAT",
    "W64": "FLOAT",
    "RF64": "FLOAT",
    "AIFF": "FLOAT",
    "CAF": "FLOAT",
    "FLAC": "PCM_24",
    "OGG": "VORBIS",
}
"""Subtype used when ``subtype`` is None: lossless float where the format allows it."""

# Formats whose chunk sizes are 32-bit: the whole file must stay below 4 GiB. One MiB is left
# for the header and any chunks libsndfile adds (fact, PEAK) when it closes the file.
_SIZE_LIMITED_FORMATS = frozenset({"WAV", "AIFF"})
_SIZE_LIMIT_BYTES = 2**32 - 2**20

_SAMPLE_BYTES = {
    "PCM_S8": 1,
    "PCM_U8": 1,
    "ULAW": 1,
    "ALAW": 1,
    "PCM_16": 2,
    "PCM_24": 3,
    "PCM_32": 4,
    "FLOAT": 4,
    "DOUBLE": 8,
}

# libsndfile's SFC_UPDATE_HEADER_NOW (sndfile.h); python-soundfile has no public wrapper.
_SFC_UPDATE_HEADER_NOW = 0x1060
_SFC_RF64_AUTO_DOWNGRADE = 0x1210
# libsndfile's SFE_SYSTEM: a system call (write, seek) failed.
_SFE_SYSTEM = 2
# Free space below which a failed write is blamed on a full disk.
_NEARLY_FULL_BYTES = 16 * 2**20

_STOP = object()  # queue sentinel: drain, close, end the thread


class RecordingError(Exception):
    """A recording could not be started or continued; the message says what to do."""

    def __init__(self, message: str, summary: RecordingSummary | None = None) -> None:
        super().__init__(message)
        self.summary = summary
        """What had been written when the error happened, when known."""


class RecordingExistsError(RecordingError, FileExistsError):
    """The target file exists and ``overwrite`` was not requested."""


class RecordingSizeLimitError(RecordingError):
    """The file format cannot hold more data (plain WAV/AIFF past 4 GiB)."""


@dataclass(frozen=True)
class RecordingSummary:
    """What a recording put on disk."""

    path: Path
    format: str
    subtype: str
    samplerate: int
    channels: int
    frames: int
    """Frames handed to libsndfile (all of them after a clean :meth:`RecordingWriter.stop`)."""
    frames_lost: int
    """Frames accepted by ``write()`` but not written because the writer thread failed.

    The block that failed counts as lost, though a short write may have put part of it on disk.
    """
    bytes_on_disk: int

    @property
    def seconds(self) -> float:
        """Duration of the written audio."""
        return self.frames / self.samplerate


def default_recording_path(
    folder: str | os.PathLike[str], extension: str = "wav", now: datetime | None = None
) -> Path:
    """A fresh file name for a recording: ``folder/scgui-YYYYMMDD-HHMMSS.ext``.

    When that name is taken, ``-2``, ``-3``... is appended (two recordings started within the
    same second). ``now`` defaults to the local time. The name is only free when checked;
    :class:`RecordingWriter` still refuses to overwrite, so a race cannot destroy a file.
    """
    stamp = (now if now is not None else datetime.now()).strftime("%Y%m%d-%H%M%S")
    suffix = "." + extension.lstrip(".")
    folder = Path(folder)
    candidate = folder / f"scgui-{stamp}{suffix}"
    number = 2
    while candidate.exists():
        candidate = folder / f"scgui-{stamp}-{number}{suffix}"
        number += 1
    return candidate


def _resolve_format(path: Path, format: str | None, subtype: str | None) -> tuple[str, str]:
    """Pick the libsndfile format and subtype, or raise a RecordingError that says why not."""
    if format is None:
        extension = path.suffix.lower()
        if extension not in EXTENSION_FORMATS:
            known = ", ".join(sorted(EXTENSION_FORMATS))
            shown = f"'{path.suffix}'" if path.suffix else "no extension"
            raise RecordingError(
                f"Cannot record to '{path}': {shown} is not a known audio file type. "
                f"Use one of {known}, or pass format= explicitly."
            )
        format = EXTENSION_FORMATS[extension]
    format = format.upper()
    available = soundfile.available_formats()
    if format not in available:
        raise RecordingError(
            f"Cannot record to '{path}': this libsndfile does not support the format "
            f"{format!r}. Supported: {', '.join(sorted(available))}."
        )
    if subtype is None:
        subtype = DEFAULT_SUBTYPES.get(format) or soundfile.default_subtype(format)
    subtype = subtype.upper()
    if not soundfile.check_format(format, subtype):
        valid = ", ".join(sorted(soundfile.available_subtypes(format)))
        raise RecordingError(
            f"Cannot record to '{path}': the {format} format cannot store subtype {subtype!r}. "
            f"Choose one of: {valid}."
        )
    return format, subtype


def _failure_advice(exc: BaseException, folder: Path) -> tuple[str, str]:
    """Describe a write failure and the remedy, as (what happened, what to do).

    libsndfile reports a failed ``write()`` system call only as "System error", without the
    errno, so a nearly full disk is checked for directly: it is by far the usual cause.
    """
    disk_full = isinstance(exc, OSError) and exc.errno in (
        errno.ENOSPC,
        getattr(errno, "EDQUOT", errno.ENOSPC),
    )
    if isinstance(exc, soundfile.LibsndfileError) and exc.code == _SFE_SYSTEM:
        with contextlib.suppress(OSError):
            disk_full = shutil.disk_usage(folder).free < _NEARLY_FULL_BYTES
    if disk_full:
        return "the disk is full", "free some space or choose another folder"
    if isinstance(exc, OSError) and exc.errno in (errno.EIO, errno.ENODEV, errno.ENXIO):
        return (
            f"the drive stopped responding ({exc.strerror})",
            "check that the drive is still connected",
        )
    if isinstance(exc, OSError):
        detail = exc.strerror or str(exc)
        return f"the system refused the write ({detail})", "check the folder and the drive"
    if isinstance(exc, soundfile.LibsndfileError):
        return (
            f"libsndfile reported: {exc.error_string.rstrip('.')}",
            "check that the disk has free space and is still connected",
        )
    return f"{type(exc).__name__}: {exc}", "check the disk and the folder"


def _frames_in_header(path: Path) -> int | None:
    """The frame count a file opens with in libsndfile, or None if it does not open."""
    try:
        return int(soundfile.info(str(path)).frames)
    except (soundfile.SoundFileError, RuntimeError, OSError):
        return None


def _update_header(sound_file: soundfile.SoundFile) -> None:
    """Make libsndfile rewrite the file header (sizes) now, as it otherwise does on close.

    WAV and W64 happen to get their header rewritten by python-soundfile's seeks after each
    write; RF64, AIFF and CAF do not, and would read as empty after a crash. python-soundfile
    has no public call for ``SFC_UPDATE_HEADER_NOW``, so its CFFI handles are used when present
    (they have been stable for years); without them the flush still moves the data to disk.
    """
    _send_command(sound_file, _SFC_UPDATE_HEADER_NOW, 0)


def _can_send_commands() -> bool:
    """Whether python-soundfile exposes the handles :func:`_send_command` needs."""
    return hasattr(soundfile, "_snd") and hasattr(soundfile, "_ffi")


def _send_command(sound_file: soundfile.SoundFile, command: int, value: int) -> None:
    """``sf_command(file, command, NULL, value)``, when python-soundfile's handles exist."""
    lib = getattr(soundfile, "_snd", None)
    ffi = getattr(soundfile, "_ffi", None)
    handle = getattr(sound_file, "_file", None)
    if lib is None or ffi is None or handle is None:
        return
    lib.sf_command(handle, command, ffi.NULL, value)


class RecordingWriter:
    """Writes ``frames x channels`` float audio to a file from a thread of its own.

    Typical use::

        writer = RecordingWriter(path, 48000, 2)
        writer.start()              # opens the file; RecordingError if that is impossible
        for block in blocks:
            writer.write(block)     # copies into the queue, never waits for the disk
        summary = writer.stop()     # drains the queue, closes the file

    The object is also a context manager (start on enter, stop on exit).

    Parameters
    ----------
    path:
        The file to create. Its extension chooses the format when ``format`` is None (see
        :data:`EXTENSION_FORMATS`).
    samplerate, channels:
        Of the audio that :meth:`write` will receive.
    format, subtype:
        libsndfile names such as ``'RF64'`` or ``'PCM_16'``; defaults from
        :data:`DEFAULT_SUBTYPES`. ``format='RF64'`` with a ``.wav`` name gives a file that
        can pass 4 GiB (libsndfile writes RF64, which newer WAV readers accept).
    overwrite:
        Replace an existing file. Without it an existing file raises
        :class:`RecordingExistsError`.
    flush_interval:
        Longest time written audio may stay unflushed, in seconds (default 0.5, so the
        "readable after a crash" guarantee holds with margin at one second).
    max_bytes:
        Most audio data, in bytes, that :meth:`write` accepts before raising
        :class:`RecordingSizeLimitError`. Default: 4 GiB - 1 MiB for WAV and AIFF (their
        32-bit size fields; the MiB is headroom for the header), unlimited otherwise.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        samplerate: int,
        channels: int,
        format: str | None = None,
        subtype: str | None = None,
        *,
        overwrite: bool = False,
        flush_interval: float = 0.5,
        max_bytes: int | None = None,
    ) -> None:
        if int(samplerate) != samplerate or samplerate < 1:
            raise ValueError(f"samplerate must be a positive integer, got {samplerate!r}.")
        if int(channels) != channels or channels < 1:
            raise ValueError(f"channels must be a positive integer, got {channels!r}.")
        if not flush_interval > 0:
            raise ValueError(f"flush_interval must be positive, got {flush_interval!r}.")
        self._path = Path(path)
        self._samplerate = int(samplerate)
        self._channels = int(channels)
        self._requested_format = format
        self._requested_subtype = subtype
        self._overwrite = bool(overwrite)
        self._working: Path | None = None  # crash-safe W64 beside a FLAC or Ogg target
        self._flush_interval = float(flush_interval)
        self._max_bytes = max_bytes
        self._format = ""
        self._subtype = ""
        self._bytes_per_frame = 4 * self._channels
        self._queue: queue.Queue[object] = queue.Queue()
        self._lock = threading.RLock()  # re-entered by summary() inside write()
        self._accepted = 0  # frames taken by write(), written or not
        self._written = 0  # frames handed to libsndfile by the thread
        self._lost = 0
        self._error: BaseException | None = None
        self._readable_frames: int | None = None  # what the file on disk opens with, once checked
        self._file: soundfile.SoundFile | None = None
        self._thread: threading.Thread | None = None
        self._state = "new"  # new -> running -> stopped

    # -- properties ----------------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The file being written."""
        return self._path

    @property
    def samplerate(self) -> int:
        """Frames per second of the recording."""
        return self._samplerate

    @property
    def channels(self) -> int:
        """Channels of the recording; every block must have this many columns."""
        return self._channels

    @property
    def format(self) -> str:
        """libsndfile major format (``'WAV'``, ``'FLAC'``...), known once started."""
        return self._format

    @property
    def subtype(self) -> str:
        """libsndfile subtype (``'FLOAT'``, ``'PCM_24'``...), known once started."""
        return self._subtype

    @property
    def is_running(self) -> bool:
        """True between a successful :meth:`start` and :meth:`stop`."""
        return self._state == "running"

    @property
    def frames_written(self) -> int:
        """Frames the thread has handed to libsndfile so far."""
        with self._lock:
            return self._written

    @property
    def queued_frames(self) -> int:
        """Frames accepted by :meth:`write` and still waiting for the thread."""
        with self._lock:
            return self._accepted - self._written - self._lost

    @property
    def bytes_on_disk(self) -> int:
        """Current size of the file, or of its working file while recording (0 if none)."""
        path = self._path
        if self._working is not None and self._working.exists():
            path = self._working
        try:
            return path.stat().st_size
        except OSError:
            return 0

    @property
    def error(self) -> BaseException | None:
        """The exception that stopped the writer thread, or None."""
        with self._lock:
            return self._error

    def summary(self) -> RecordingSummary:
        """What has been written so far (final after :meth:`stop`)."""
        with self._lock:
            written, lost = self._written, self._lost
        return RecordingSummary(
            path=self._path,
            format=self._format,
            subtype=self._subtype,
            samplerate=self._samplerate,
            channels=self._channels,
            frames=written,
            frames_lost=lost,
            bytes_on_disk=self.bytes_on_disk,
        )

    # -- control -------------------------------------------------------------------------

    def start(self) -> None:
        """Open the file and start the writer thread.

        The file is created here, in the caller's thread, so every problem that can be known
        in advance raises :class:`RecordingError` now rather than later from the thread.
        """
        if self._state != "new":
            raise RuntimeError("a RecordingWriter can only be started once; make a new one.")
        self._format, self._subtype = _resolve_format(
            self._path, self._requested_format, self._requested_subtype
        )
        sample_bytes = _SAMPLE_BYTES.get(self._subtype, 4)
        self._bytes_per_frame = sample_bytes * self._channels
        # A .wav recording is written as RF64 that libsndfile turns back into plain WAV on
        # closing when it stayed under 4 GiB: short takes are ordinary WAV files, long ones
        # go on past the limit instead of stopping.
        auto_rf64 = (
            self._format == "WAV"
            and self._requested_format is None
            and self._max_bytes is None
            and _can_send_commands()
        )
        if auto_rf64:
            self._format = "RF64"
        if self._max_bytes is None and self._format in _SIZE_LIMITED_FORMATS:
            self._max_bytes = _SIZE_LIMIT_BYTES
        if self._format in NEEDS_WORKING_FILE:
            # Recorded to a crash-safe W64 working file; the chosen format is made at stop.
            self._working = working_path(self._path)
        self._file = self._open()
        if auto_rf64:
            _send_command(self._file, _SFC_RF64_AUTO_DOWNGRADE, 1)
        self._state = "running"
        self._thread = threading.Thread(
            target=self._run, name=f"scgui-writer:{self._path.name}", daemon=True
        )
        self._thread.start()

    def _open(self) -> soundfile.SoundFile:
        """Create the file, with a clear RecordingError for each way that can fail."""
        path = self._path
        folder = path.parent
        if not folder.exists():
            raise RecordingError(
                f"Cannot record to '{path}': the folder '{folder}' does not exist. "
                "Create it or choose another folder."
            )
        if not folder.is_dir():
            raise RecordingError(
                f"Cannot record to '{path}': '{folder}' is a file, not a folder. "
                "Choose a folder for recordings."
            )
        if path.is_dir():
            raise RecordingError(
                f"Cannot record to '{path}': a folder of that name exists. Choose a file name."
            )
        # Create the file ourselves first: O_EXCL claims the name atomically (a file that
        # appeared after the user picked the name is never truncated), and a permission problem
        # gets a clear message instead of libsndfile's "System error".
        existed = path.exists()
        flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_BINARY", 0)
        if not self._overwrite:
            flags |= os.O_EXCL
        try:
            os.close(os.open(path, flags, 0o666))
        except FileExistsError:
            raise RecordingExistsError(
                f"Cannot record to '{path}': the file already exists. Choose another "
                "name, or allow overwriting it."
            ) from None
        except PermissionError:
            where = f"replace '{path.name}'" if existed else "create files"
            raise RecordingError(
                f"Cannot record to '{path}': no permission to {where} in '{folder}'. "
                "Choose a folder you can write to."
            ) from None
        except OSError as exc:
            raise RecordingError(
                f"Cannot record to '{path}': {exc.strerror or exc}. "
                "Choose another folder or file name."
            ) from exc
        created = not existed
        # The checks the final format would meet, before a single frame goes to a working file.
        if self._working is not None and self._format == "FLAC" and self._channels > 8:
            with contextlib.suppress(OSError):
                path.unlink()
            raise RecordingError(
                f"Cannot record to '{path}' as FLAC with {self._channels} channels: FLAC "
                "holds at most 8 channels; record to .wav or .w64 instead."
            )
        disk_path = self._working or path
        try:
            return soundfile.SoundFile(
                disk_path,
                mode="w",
                samplerate=self._samplerate,
                channels=self._channels,
                subtype="FLOAT" if self._working is not None else self._subtype,
                format="W64" if self._working is not None else self._format,
            )
        except (soundfile.SoundFileError, OSError, ValueError, TypeError) as exc:
            if created:
                with contextlib.suppress(OSError):
                    path.unlink()
            if isinstance(exc, PermissionError):
                reason = f"no permission to write in '{folder}'"
            elif isinstance(exc, soundfile.LibsndfileError):
                reason = f"libsndfile cannot create it ({exc.error_string.rstrip('.')})"
            else:
                reason = str(exc)
            if self._format == "FLAC" and self._channels > 8:
                advice = "FLAC holds at most 8 channels; record to .wav or .w64 instead."
            else:
                advice = "Check the folder, or choose another format or sample rate."
            raise RecordingError(
                f"Cannot record to '{path}' as {self._format}/{self._subtype} with "
                f"{self._channels} channels at {self._samplerate} Hz: {reason}. {advice}"
            ) from exc

    def write(self, block: ArrayLike) -> None:
        """Queue a ``frames x channels`` block for writing; returns without disk I/O.

        The block is copied (as float32), so the caller may reuse its buffer at once. The
        queue has no size limit: memory grows while the disk is slower than the audio, but
        no frame is dropped. Raises :class:`RecordingError` once the writer thread has
        failed, and :class:`RecordingSizeLimitError` (block refused, file intact) when the
        block would take a WAV/AIFF file past its 4 GiB limit.
        """
        array = np.asarray(block)
        if array.ndim != 2 or array.shape[1] != self._channels:
            raise ValueError(
                f"block must be frames x {self._channels} channels, got shape {array.shape}."
            )
        if array.dtype.kind != "f":
            raise TypeError(
                f"block must be floating point with full scale at 1.0, got dtype {array.dtype}."
            )
        frames = array.shape[0]
        data = np.array(array, dtype=np.float32, order="C", copy=True)
        # State, error, limit and the put are one step under the lock: a block is either
        # refused or in the queue ahead of stop()'s sentinel and of the thread's failure drain.
        with self._lock:
            if self._state != "running":
                raise RuntimeError(
                    "RecordingWriter.write() needs a running writer: call start() first, and "
                    "no write() after stop()."
                )
            if self._error is not None:
                raise self._failure_error(self._error)
            if frames == 0:
                return
            if self._max_bytes is not None:
                estimated = (self._accepted + frames) * self._bytes_per_frame
                if estimated > self._max_bytes:
                    raise RecordingSizeLimitError(
                        f"'{self._path.name}' has reached the {self._max_bytes / 2**30:.2f} GiB "
                        f"limit of the {self._format} format after "
                        f"{self._accepted / self._samplerate:.1f} s; this block was not "
                        "written. Everything before it is kept: call stop() to finish the "
                        "file. For longer recordings use .w64, .rf64 or .flac.",
                        self.summary(),
                    )
            self._accepted += frames
            self._queue.put(data)

    def stop(self) -> RecordingSummary:
        """Write everything still queued, close the file, end the thread; return a summary.

        Safe to call more than once, and on a writer that never started (a zero summary).
        Raises :class:`RecordingError` (with the summary attached) if the writer thread
        failed; the file is closed and readable up to the failure either way.
        """
        with self._lock:
            was_running = self._state == "running"
            self._state = "stopped"
            if was_running:
                self._queue.put(_STOP)
        if was_running and self._thread is not None:
            self._thread.join()
        failure = self.error
        if failure is not None:
            raise self._failure_error(failure)
        return self.summary()

    def __enter__(self) -> RecordingWriter:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.stop()
        else:
            # Do not hide the caller's exception behind a writer error.
            with contextlib.suppress(RecordingError):
                self.stop()

    # -- errors --------------------------------------------------------------------------

    def _failure_error(self, failure: BaseException) -> RecordingError:
        """The RecordingError the caller sees for a failure of the writer thread."""
        summary = self.summary()
        what, remedy = _failure_advice(failure, self._path.parent)
        if isinstance(failure, TakeFileError):
            message = f"{failure} ({summary.seconds:.1f} s recorded)"
        elif self._working is not None and self._working.exists():
            message = (
                f"Recording to '{self._path}' stopped: {what}. The first {summary.seconds:.1f} s "
                f"are saved in '{self._working.name}' beside it; {remedy}, then run "
                f"'scgui recover \"{self._path}\"' to make the {self._format} file."
            )
        else:
            readable = self._readable_frames
            saved = (
                f"The first {readable / self._samplerate:.1f} s are saved in the file and readable"
                if readable is not None
                else f"The {summary.seconds:.1f} s written do not open as a sound file"
            )
            message = (
                f"Recording to '{self._path}' stopped: {what}. {saved}; {remedy}, then start a "
                "new recording."
            )
        error = RecordingError(message, summary)
        error.__cause__ = failure
        return error

    # -- the thread ----------------------------------------------------------------------

    def _run(self) -> None:
        """Thread body: write queued blocks in order, flush on time, close at the end."""
        sound_file = self._file
        assert sound_file is not None
        dirty_since: float | None = None  # monotonic time of the oldest unflushed write
        in_flight = 0  # frames of the block being written, lost if the write fails
        try:
            while True:
                timeout = None
                if dirty_since is not None:
                    timeout = max(0.0, dirty_since + self._flush_interval - time.monotonic())
                try:
                    item = self._queue.get(timeout=timeout)
                except queue.Empty:
                    item = None
                if item is _STOP:
                    break
                if isinstance(item, np.ndarray):
                    in_flight = item.shape[0]
                    sound_file.write(item)
                    with self._lock:
                        self._written += in_flight
                    in_flight = 0
                    if dirty_since is None:
                        dirty_since = time.monotonic()
                if dirty_since is not None and (
                    time.monotonic() - dirty_since >= self._flush_interval
                ):
                    _update_header(sound_file)
                    sound_file.flush()
                    dirty_since = None
            sound_file.close()  # writes the final header
            if self._working is not None:
                convert(self._working, self._path, self._format, self._subtype)  # checks it
                self._working.unlink()
            else:
                self._check_readable(self._path)
        except BaseException as exc:  # stored and re-raised in the caller's thread
            self._fail(sound_file, exc, in_flight)

    def _fail(self, sound_file: soundfile.SoundFile, exc: BaseException, in_flight: int) -> None:
        """Record the failure, keep what was written readable, and drop the rest."""
        with contextlib.suppress(Exception):
            sound_file.close()  # header with the frames written so far
        self._readable_frames = _frames_in_header(self._working or self._path)
        with self._lock:
            # From here on write() refuses blocks, so the drain below sees every queued one.
            self._error = exc
        lost = in_flight
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, np.ndarray):
                lost += item.shape[0]
        with self._lock:
            self._lost += lost

    def _check_readable(self, path: Path) -> None:
        """Raise TakeFileError unless ``path`` opens with every frame written in its header."""
        with self._lock:
            written = self._written
        frames = _frames_in_header(path)
        if frames != written:
            found = "does not open" if frames is None else f"opens with {frames} frames"
            raise TakeFileError(
                f"'{path}' was closed after {written} frames but {found}; keep the file and "
                "check the disk"
            )
        self._readable_frames = frames

    def __repr__(self) -> str:
        return (
            f"RecordingWriter({str(self._path)!r}, {self._samplerate}, {self._channels}, "
            f"state={self._state}, frames_written={self.frames_written})"
        )
