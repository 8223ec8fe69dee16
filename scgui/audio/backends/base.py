"""The small interface every native backend implements.

A backend does only what is native: list devices, open streams of *all* of a device's
channels in float32, move bytes, report latency and device events. Channel maps, framing to
``numframes``, argument and data checks live once in :mod:`scgui.audio`, so that a new
backend adds nothing but glue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from ..errors import DeviceNotFoundError

if TYPE_CHECKING:  # numpy is imported where used: listing devices does without it
    import numpy as np


DeviceKind = Literal["speaker", "microphone"]
ChangeKind = Literal["added", "removed", "changed", "default", "server-lost", "server-back"]
EventKind = Literal["speaker", "microphone", "server"]


@dataclass(frozen=True)
class DeviceInfo:
    """What a backend knows about one device, as plain data.

    ``id`` is the backend's stable name for the device (PulseAudio's sink or source name),
    ``name`` the human-readable description shown to users. A loopback microphone names the
    speaker it records in ``monitor_of``.
    """

    id: str
    name: str
    kind: DeviceKind
    channels: int
    channel_names: tuple[str, ...] = ()
    #: Machine names of the channel positions ("front-left", "lfe", "aux3"...), one per
    #: channel, as PulseAudio spells them; used to resolve channel names in channel maps.
    channel_positions: tuple[str, ...] = ()
    samplerate: int = 48000
    isloopback: bool = False
    monitor_of: str | None = None
    latency: float | None = None
    volume: tuple[float, ...] = ()
    muted: bool = False
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)


def device_in(infos: list[DeviceInfo], kind: DeviceKind, device_id: str) -> DeviceInfo:
    """The device ``device_id`` of a fresh listing, for backends that look one up by listing
    them all; :class:`~scgui.audio.errors.DeviceNotFoundError` when it is gone."""
    for info in infos:
        if info.id == device_id:
            return info
    raise DeviceNotFoundError(f"There is no {kind} {device_id!r} any more.")


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do, so that programs (and the app) can hide what a platform lacks."""

    loopback: bool = False
    """Microphones that record what a speaker plays (``include_loopback=True``)."""
    exclusive_mode: bool = False
    """Streams that take a device for themselves (no mixing, no resampling)."""
    set_default: bool = False
    """``device.set_default()`` changes the system's default device."""
    volume: bool = False
    """``set_volume()`` and ``set_mute()`` change the device's own volume."""
    app_streams: bool = False
    """The server lists other programs' streams."""
    stream_control: bool = False
    """Other programs' streams can be muted and their volume set."""
    stream_move: bool = False
    """Other programs' streams can be moved to another device."""
    stream_volume_max: float = 4.0
    """The highest volume a program's stream can be given (1.0 is unchanged)."""
    app_name: bool = False
    """``set_name()`` changes the name the system shows for this program."""


@dataclass(frozen=True)
class StreamConfig:
    """How to open a stream: always every channel of the device, as float32 frames.

    ``blocksize`` is the preferred number of frames per transfer; ``None`` lets the library
    pick a default that keeps latency in the tens of milliseconds.
    """

    device_id: str
    samplerate: int
    channels: int
    blocksize: int | None = None
    stream_name: str = "scgui"
    #: Take the device for this stream alone (no mixing, no resampling), where the backend
    #: has :attr:`Capabilities.exclusive_mode`.
    exclusive: bool = False


@dataclass(frozen=True)
class DeviceEvent:
    """A device appeared, vanished, changed, or became the default; or the server went or came.

    ``kind`` is ``"speaker"`` or ``"microphone"`` (monitors of speakers are microphones with
    ``isloopback``); ``id`` the device's id. For ``change == "default"``, ``id`` is the new
    default device of that kind. For ``"server-lost"`` and ``"server-back"``, ``kind`` is
    ``"server"`` and ``id`` says which server.
    """

    change: ChangeKind
    kind: EventKind
    id: str
    isloopback: bool = False


@dataclass(frozen=True)
class AppStream:
    """A stream some program (this one included) has open on a device.

    ``kind`` is ``"playback"`` (to a speaker) or ``"recording"`` (from a microphone, or a
    monitor); ``device_id`` the device's id; ``application`` the program's name as it gives
    it; ``process_id`` its process, where the server knows it. ``corked`` streams are paused.
    """

    kind: Literal["playback", "recording"]
    id: int
    application: str
    name: str
    device_id: str
    volume: tuple[float, ...] = ()
    muted: bool = False
    corked: bool = False
    process_id: int | None = None


@dataclass(frozen=True)
class DevicePosition:
    """Where a stream is at its device, on the one clock all streams share.

    At ``time`` (seconds of :func:`time.perf_counter`), frame number ``frame`` of the stream
    was at the device's converter: being played (output) or captured (input). Frames are
    numbered from 0, the first frame written to (or read from) the stream, so a frame ``k``
    was there at ``time + (k - frame) / samplerate``. Two streams' positions put their
    frames on one time line: that is how a round trip is measured to the sample, whatever
    the scheduling of the program that reads them.
    """

    frame: float
    time: float
    samplerate: int

    def time_of(self, frame: float) -> float:
        """When frame ``frame`` is (or was) at the device, in :func:`time.perf_counter` s."""
        return self.time + (frame - self.frame) / self.samplerate


class PlaybackStream(Protocol):
    """An open output stream of ``channels`` float32 channels."""

    channels: int
    samplerate: int

    def write(self, frames: np.ndarray) -> None:
        """Queue C-contiguous float32 ``frames x channels``; block until all are queued."""

    def drain(self) -> None:
        """Block until everything queued has been played."""

    @property
    def latency(self) -> float:
        """Seconds from a frame being written to it being heard, as the server reports it."""

    @property
    def underruns(self) -> int:
        """How often the server ran out of data to play."""

    def device_position(self) -> DevicePosition:
        """Which written frame is being played, and when (asks the server; bounded)."""

    def close(self) -> None:
        """Release the stream; safe to call twice."""


class CaptureStream(Protocol):
    """An open input stream of ``channels`` float32 channels."""

    channels: int
    samplerate: int

    @property
    def capacity(self) -> int:
        """The most frames one read can wait for (the stream's ring buffer)."""

    def read(self, min_frames: int) -> np.ndarray:
        """Wait until ``min(min_frames, capacity)`` frames are available; return all there are.

        The result is ``frames x channels`` float32. ``min_frames=0`` never waits and never
        raises, so frames that arrived before a failure can still be collected. A wait is
        bounded: it raises when the stream ends or no audio arrives for the server timeout.
        """

    @property
    def latency(self) -> float:
        """Seconds from sound reaching the device to its frames being readable."""

    @property
    def overflows(self) -> int:
        """How often the server dropped data because it was not read in time."""

    def device_position(self) -> DevicePosition:
        """Which frame (counted over all read) is being captured, and when (bounded)."""

    def close(self) -> None:
        """Release the stream; safe to call twice."""


class Subscription(Protocol):
    """A live subscription to a backend's raw change notices."""

    def close(self) -> None:
        """Stop delivering events."""


class Backend(Protocol):
    """A native sound system."""

    name: str
    samplerate_range: tuple[int, int]

    @property
    def capabilities(self) -> Capabilities:
        """What this system can do beyond playing and recording (see Capabilities)."""

    def list_streams(self) -> list[AppStream]:
        """Every program's streams, where :attr:`Capabilities.app_streams` (else empty)."""

    def move_stream(self, stream: AppStream, device_id: str) -> None:
        """Move a program's stream to another device, where :attr:`Capabilities.stream_move`."""

    def set_stream_volume(self, stream: AppStream, volumes: tuple[float, ...]) -> None:
        """Set a program's stream's linear volume, one value per channel of the stream."""

    def set_stream_mute(self, stream: AppStream, muted: bool) -> None:
        """Mute or unmute a program's stream."""

    def volume_to_db(self, volume: float) -> float | None:
        """The gain in dB that a linear volume stands for on this system (None: unknown).

        The mapping is the sound system's: PulseAudio's volumes are cubic, so 0.5 is about
        -18 dB, not -6 dB.
        """

    def list_devices(self, kind: DeviceKind) -> list[DeviceInfo]:
        """Every device of ``kind``; microphones include loopback (monitor) sources."""

    def default_device_id(self, kind: DeviceKind) -> str | None:
        """The id of the system's default device of ``kind``, if there is one."""

    def open_playback(self, config: StreamConfig) -> PlaybackStream:
        """Open an output stream on ``config.device_id``."""

    def open_capture(self, config: StreamConfig) -> CaptureStream:
        """Open an input stream on ``config.device_id`` (a loopback id records a speaker)."""

    def subscribe(self, callback: Callable[[str], None]) -> Subscription:
        """Call ``callback("devices")`` from a native thread when devices may have changed.

        ``callback("server-lost")`` when the connection to the server is lost. The callback
        must not block. The subscription survives reconnections. Turning notices into
        device events (listing and diffing) is shared: :mod:`scgui.audio.events`.
        """

    def device_info(self, kind: DeviceKind, device_id: str) -> DeviceInfo:
        """Fresh information about one device (raises DeviceNotFoundError if gone)."""

    def set_default(self, kind: DeviceKind, device_id: str) -> None:
        """Make the device the system default of its kind."""

    def set_volume(self, kind: DeviceKind, device_id: str, volumes: tuple[float, ...]) -> None:
        """Set the per-channel linear volume (1.0 is the device's nominal level)."""

    def set_mute(self, kind: DeviceKind, device_id: str, muted: bool) -> None:
        """Mute or unmute the device."""

    def get_name(self) -> str:
        """The application name the sound server shows for this process."""

    def set_name(self, name: str) -> None:
        """Change that name, also on an existing connection."""

    def server_description(self) -> str:
        """A short human-readable description of the server (for status lines)."""

    def server_address(self) -> str:
        """Where the server is, in words (for messages and server events)."""

    def close(self) -> None:
        """Disconnect; streams still open get an error. The next call connects again."""
