"""Player and Recorder: the backend-independent half of every stream.

Here, once for all backends: argument checks, data conversion to C-contiguous float32
``frames x channels``, channel maps, and framing of whatever the backend delivers into exactly
``numframes`` frames (the rest kept for the next call).
"""

from __future__ import annotations

import math
from numbers import Real
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .backends import get_backend
from .backends.base import (
    Backend,
    CaptureStream,
    DeviceInfo,
    DevicePosition,
    PlaybackStream,
    StreamConfig,
)
from .channelmap import ChannelMap, ChannelsArg, parse_channel_map
from .errors import AudioError, InvalidConfigError, InvalidDataError, StreamError

if TYPE_CHECKING:  # numpy is imported where used: listing devices does without it
    import numpy as np

#: Largest block size accepted, in frames (about 10 s at 48 kHz).
MAX_BLOCKSIZE = 1 << 19


def _whole(value: Any) -> int | None:
    """``value`` as an ``int`` if it is a finite whole real number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, Real):
        return None
    number = float(value)
    if not math.isfinite(number) or number != int(number):
        return None
    return int(value) if isinstance(value, int) else int(number)


def check_samplerate(samplerate: Any) -> int:
    """Return ``samplerate`` as a positive ``int`` or raise :class:`InvalidConfigError`."""
    if isinstance(samplerate, bool) or not isinstance(samplerate, Real):
        raise InvalidConfigError(
            f"samplerate must be a number of frames per second such as 48000, not {samplerate!r}."
        )
    rate = _whole(samplerate)
    if rate is None or rate <= 0:
        raise InvalidConfigError(
            f"samplerate must be a positive whole number such as 44100 or 48000, "
            f"not {samplerate!r}."
        )
    return rate


def check_blocksize(blocksize: Any) -> int | None:
    """Return ``blocksize`` (frames) or ``None``, or raise :class:`InvalidConfigError`."""
    if blocksize is None:
        return None
    frames = _whole(blocksize)
    if frames is None:
        raise InvalidConfigError(f"blocksize must be a whole number of frames, not {blocksize!r}.")
    if not 1 <= frames <= MAX_BLOCKSIZE:
        raise InvalidConfigError(
            f"blocksize must be from 1 to {MAX_BLOCKSIZE} frames, not {blocksize}; "
            "typical values are 256 to 4096, or None for the default."
        )
    return frames


#: Largest magnitude accepted in float data. Beyond +18 dBFS a signal is almost surely
#: integer samples stored as floats (16384.0 for a half-scale int16), not audio to clip.
MAX_FLOAT_SAMPLE = 8.0


def as_frames(data: Any, channels: int) -> np.ndarray:
    """Turn play() input into C-contiguous float32 ``frames x channels``.

    1-D data and single-column data are sent to every channel. Integer samples are scaled
    as soundfile reads them (int16 / 32768, int32 / 2**31); ``uint8`` is centred on 128 as
    in 8-bit WAV files. Booleans, complex numbers, NaN, infinity and floats beyond
    ±:data:`MAX_FLOAT_SAMPLE` are refused: they would reach the speaker at full scale.
    """
    import numpy as np

    try:
        array = np.asarray(data)
    except Exception as exc:
        raise InvalidDataError(f"Cannot turn {type(data).__name__} into audio: {exc}") from None
    array = _as_float32(array)
    if array.ndim == 1:
        array = array[:, np.newaxis]
    if array.ndim != 2:
        raise InvalidDataError(
            f"Audio data must be 1-D or frames x channels (2-D), not {array.ndim}-D with shape "
            f"{array.shape}."
        )
    if array.shape[1] == 1 and channels != 1:
        array = np.broadcast_to(array, (array.shape[0], channels))
    elif array.shape[1] != channels:
        raise InvalidDataError(
            f"The data has {array.shape[1]} columns but the player has {channels} channels: "
            "pass frames x channels, 1-D data for every channel, or open the player with "
            f"channels={array.shape[1]}."
        )
    return np.ascontiguousarray(array, dtype=np.float32)


def _as_float32(array: np.ndarray) -> np.ndarray:
    """Samples as float32 in the -1..1 convention, or a clear InvalidDataError."""
    import numpy as np

    kind = array.dtype.kind
    if kind == "b":
        raise InvalidDataError(
            "Audio data cannot be booleans: pass float32 samples from -1 to 1 (or integer "
            "PCM samples)."
        )
    if kind == "i":  # signed PCM, mapped to -1..1 as soundfile reads it: int16 / 2**15
        full_scale = 2.0 ** (8 * array.dtype.itemsize - 1)
        return (array.astype(np.float64) / full_scale).astype(np.float32)
    if array.dtype == np.uint8:
        return ((array.astype(np.float32) - 128.0) / 128.0).astype(np.float32)
    if kind == "f":
        with np.errstate(invalid="ignore", over="ignore"):
            converted = array.astype(np.float32, copy=False)
        if converted.size:
            # Two reductions and no temporary array: NaN and infinity carry into them.
            peak = max(float(converted.max()), -float(converted.min()))
            if not math.isfinite(peak):
                bad = int(np.flatnonzero(~np.isfinite(converted).reshape(-1))[0])
                raise InvalidDataError(
                    f"Audio data holds NaN or infinite samples (the first at flat index {bad}, "
                    f"of {converted.size}); they would play as full-scale noise. Replace them "
                    "(numpy.nan_to_num) before playing."
                )
            if peak > MAX_FLOAT_SAMPLE:
                raise InvalidDataError(
                    f"Audio data reaches {peak:g}, far beyond full scale (1.0): float samples "
                    "run from -1 to 1. Integer PCM stored as floats must be divided first "
                    "(by 32768 for 16-bit)."
                )
        return converted
    raise InvalidDataError(
        f"Audio data must be real numbers (float32 from -1 to 1, or int16/int32 PCM), not "
        f"{array.dtype}."
    )


def check_numframes(numframes: Any) -> int:
    """Return ``numframes`` as an ``int`` of 0 or more, or raise :class:`InvalidConfigError`."""
    frames = _whole(numframes)
    if frames is None or frames < 0:
        raise InvalidConfigError(
            f"numframes must be a whole number of frames (0 or more) or None, not {numframes!r}."
        )
    return frames


_Native = TypeVar("_Native", PlaybackStream, CaptureStream)


class _StreamHandle(Generic[_Native]):
    """The lifetime part that Player and Recorder share."""

    _stream: _Native | None

    def __init__(
        self,
        device: DeviceInfo,
        samplerate: Any,
        channels: ChannelsArg,
        blocksize: Any,
        exclusive: bool = False,
    ) -> None:
        self.device = device
        self.samplerate = check_samplerate(samplerate)
        self.blocksize = check_blocksize(blocksize)
        self.channelmap: ChannelMap = parse_channel_map(
            channels, device.channels, device.name, positions=device.channel_positions
        )
        if not isinstance(exclusive, bool):
            raise InvalidConfigError(f"exclusive must be True or False, not {exclusive!r}.")
        self._config = StreamConfig(
            device_id=device.id,
            samplerate=self.samplerate,
            channels=device.channels,
            blocksize=self.blocksize,
            stream_name=f"scgui {type(self).__name__.lower()}",
            exclusive=exclusive,
        )
        self._stream = None

    def _backend(self) -> Backend:
        """The backend, once it is known to be able to open this stream."""
        backend = get_backend()
        if self._config.exclusive and not backend.capabilities.exclusive_mode:
            raise InvalidConfigError(
                f"{backend.name} has no exclusive mode: open the stream without "
                "exclusive=True (it is then shared with other programs)."
            )
        return backend

    @property
    def channels(self) -> int:
        """Number of data columns (the length of the channel map)."""
        return len(self.channelmap)

    @property
    def latency(self) -> float:
        """Seconds of latency of the open stream, as the sound server reports it."""
        return self._open_stream().latency

    def device_position(self) -> DevicePosition:
        """Which frame of this stream is at the device's converter, and when.

        Frames are numbered from 0 at the first frame played (or recorded, counting those
        still waiting to be returned) since the stream was opened; the time is
        :func:`time.perf_counter`. The positions of a player and a recorder put both on one
        clock: that is how :func:`scgui.measure.latency.measure_latency` times a round trip.
        Asks the server, so it takes a round trip to it (bounded by the timeout).
        """
        return self._open_stream().device_position()

    def _open_stream(self) -> _Native:
        if self._stream is None:
            raise StreamError(
                f"The {type(self).__name__.lower()} is not open: use it in a 'with' block."
            )
        return self._stream

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Release the stream; the object can be opened again with ``with``."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            stream.close()


class Player(_StreamHandle[PlaybackStream]):
    """Plays ``frames x channels`` float32 data on a speaker; use as a context manager."""

    def __enter__(self) -> Player:
        if self._stream is None:
            self._stream = self._backend().open_playback(self._config)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None and self._stream is not None:
                self._stream.drain()
        finally:
            self.close()

    def play(self, data: Any) -> None:
        """Queue ``data``; return once the server holds it (not once it is heard).

        1-D data goes to every channel. Blocks only while the server's buffer is full.
        """
        import numpy as np

        stream = self._open_stream()
        frames = as_frames(data, self.channels)
        stream.write(np.ascontiguousarray(self.channelmap.playback(frames), dtype=np.float32))

    def wait(self) -> None:
        """Block until everything queued has been played."""
        self._open_stream().drain()

    @property
    def underruns(self) -> int:
        """How often the speaker ran out of data (each one is an audible gap)."""
        return self._open_stream().underruns


class Recorder(_StreamHandle[CaptureStream]):
    """Records ``frames x channels`` float32 data from a microphone; a context manager."""

    def __init__(
        self,
        device: DeviceInfo,
        samplerate: Any,
        channels: ChannelsArg,
        blocksize: Any,
        exclusive: bool = False,
    ) -> None:
        super().__init__(device, samplerate, channels, blocksize, exclusive)
        self._pending: list[np.ndarray] = []
        self._pending_frames = 0

    def __enter__(self) -> Recorder:
        if self._stream is None:
            self._stream = self._backend().open_capture(self._config)
            self._pending, self._pending_frames = [], 0
        return self

    def record(self, numframes: int | None = None) -> np.ndarray:
        """Return exactly ``numframes`` frames, waiting for them; keep the rest for later.

        With ``numframes=None``, return whatever has arrived; when nothing has, wait for the
        next fragment (bounded), so a loop of ``record(None)`` never spins on empty arrays.
        Any length works (it is read in pieces the stream's buffer can hold). If the stream
        fails, the frames already received stay available from :meth:`flush`.
        """
        stream = self._open_stream()
        if numframes is None:
            self._read(stream, 0)
            if not self._pending_frames:
                self._read(stream, 1)
            return self.flush()
        wanted = check_numframes(numframes)
        piece = max(1, getattr(stream, "capacity", wanted) // 2)
        while self._pending_frames < wanted:
            self._read(stream, min(wanted - self._pending_frames, piece))
        return self._split(wanted)

    def _read(self, stream: CaptureStream, min_frames: int) -> None:
        """Read into the pending frames; on failure keep what had arrived, then raise."""
        try:
            self._take(stream.read(min_frames))
        except AudioError:
            self._take(stream.read(0))
            raise

    def flush(self) -> np.ndarray:
        """Return the frames received but not yet returned, and forget them."""
        return self._split(self._pending_frames)

    @property
    def overflows(self) -> int:
        """How often the server dropped input because it was not read in time."""
        return self._open_stream().overflows

    def _take(self, frames: np.ndarray) -> None:
        if frames.shape[0]:
            self._pending.append(frames)
            self._pending_frames += frames.shape[0]

    def _split(self, count: int) -> np.ndarray:
        import numpy as np

        pending = self._pending
        if len(pending) == 1:
            joined = pending[0]
        elif pending:
            joined = np.concatenate(pending)
        else:
            joined = np.empty((0, self.device.channels), dtype=np.float32)
        head, tail = joined[:count], joined[count:]
        self._pending = [tail] if tail.shape[0] else []
        self._pending_frames = tail.shape[0]
        return np.ascontiguousarray(self.channelmap.capture(head), dtype=np.float32)


__all__ = [
    "AudioError",
    "Player",
    "Recorder",
    "as_frames",
    "check_blocksize",
    "check_numframes",
    "check_samplerate",
]
