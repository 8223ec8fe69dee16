"""Speaker and Microphone objects and the module-level functions that find them.

A device object is a snapshot of what the server said when it was listed; it compares and
hashes by ``id`` so that two listings of the same hardware agree.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from .appname import check_app_name
from .backends import get_backend
from .backends.base import DeviceInfo, DeviceKind
from .channelmap import ChannelsArg, device_channel_name_map
from .errors import DeviceNotFoundError
from .matching import match_device
from .streams import Player, Recorder
from .volume import check_volumes

if TYPE_CHECKING:  # numpy is imported where used: listing devices does without it
    import numpy as np


class _Device:
    """What speakers and microphones share: identity, description, comparison."""

    def __init__(self, info: DeviceInfo) -> None:
        self._info = info

    @property
    def id(self) -> str:
        """The server's stable name for the device (use it to find the device again)."""
        return self._info.id

    @property
    def name(self) -> str:
        """The human-readable name."""
        return self._info.name

    @property
    def channels(self) -> int:
        """Number of channels of the device."""
        return self._info.channels

    @property
    def channel_names(self) -> tuple[str, ...]:
        """A name per channel, such as "Front Left" (an addition to the soundcard API)."""
        return self._info.channel_names

    @property
    def channel_positions(self) -> tuple[str, ...]:
        """The position of each channel as PulseAudio names it ("front-left", "lfe", "aux3")."""
        return self._info.channel_positions

    def channel_name_map(self) -> dict[str, int]:
        """Each name that picks a channel of this device in ``channels=``: its index.

        The device's position names, the aliases ``'left'``, ``'right'``, ``'center'`` and
        ``'subwoofer'`` for positions it has, and ``'mono'`` (-1, the mono mix). Unlike the
        module-level :func:`~scgui.audio.channel_name_map` (soundcard's position numbers), the
        values are this device's own channel indexes.
        """
        return device_channel_name_map(self._info.channel_positions)

    @property
    def info(self) -> DeviceInfo:
        """Everything the backend reported (default sample rate, latency, volume...)."""
        return self._info

    _kind: DeviceKind

    def refreshed(self) -> Any:
        """A new object of this device with what the server says now."""
        return type(self)(get_backend().device_info(self._kind, self.id))

    @property
    def volume(self) -> tuple[float, ...]:
        """Linear volume per channel, read from the server now (1.0 is nominal level)."""
        return get_backend().device_info(self._kind, self.id).volume

    def set_volume(self, volume: float | Sequence[float]) -> None:
        """Set the volume: one linear value for every channel, or one per channel.

        1.0 is the device's nominal level; up to 4.0 (+36 dB) is accepted, as pavucontrol
        allows amplification.
        """
        values = check_volumes(volume, self.channels, self.name)
        get_backend().set_volume(self._kind, self.id, values)

    @property
    def muted(self) -> bool:
        """Whether the device is muted, read from the server now."""
        return get_backend().device_info(self._kind, self.id).muted

    def set_mute(self, muted: bool) -> None:
        """Mute (``True``) or unmute (``False``) the device."""
        get_backend().set_mute(self._kind, self.id, bool(muted))

    def set_default(self) -> None:
        """Make this the system's default device of its kind."""
        get_backend().set_default(self._kind, self.id)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.id == self.id

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.id))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} ({self.channels} channels)>"


class Speaker(_Device):
    """An output device."""

    _kind = "speaker"

    def player(
        self,
        samplerate: int,
        channels: ChannelsArg = None,
        blocksize: int | None = None,
        *,
        exclusive: bool = False,
    ) -> Player:
        """A :class:`Player` for this speaker; open it with ``with``.

        ``exclusive=True`` takes the device for this stream alone, where the platform allows
        it (WASAPI; see :func:`scgui.audio.capabilities`).
        """
        return Player(self._info, samplerate, channels, blocksize, exclusive)

    def play(
        self,
        data: Any,
        samplerate: int,
        channels: ChannelsArg = None,
        blocksize: int | None = None,
    ) -> None:
        """Play ``data`` and return once it has been heard.

        ``channels`` defaults to the data's own column count (all of the device's channels
        for 1-D data).
        """
        import numpy as np

        if channels is None:
            shape = np.shape(data)
            channels = shape[1] if len(shape) == 2 and 1 < shape[1] <= self.channels else None
        with self.player(samplerate, channels, blocksize) as player:
            player.play(data)


class Microphone(_Device):
    """An input device; with ``isloopback`` it records what a speaker plays."""

    _kind = "microphone"

    @property
    def isloopback(self) -> bool:
        """True for a speaker's monitor (loopback recording)."""
        return self._info.isloopback

    def recorder(
        self,
        samplerate: int,
        channels: ChannelsArg = None,
        blocksize: int | None = None,
        *,
        exclusive: bool = False,
    ) -> Recorder:
        """A :class:`Recorder` for this microphone; open it with ``with``.

        ``exclusive=True``: as for :meth:`Speaker.player`.
        """
        return Recorder(self._info, samplerate, channels, blocksize, exclusive)

    def record(
        self,
        numframes: int,
        samplerate: int,
        channels: ChannelsArg = None,
        blocksize: int | None = None,
    ) -> np.ndarray:
        """Record ``numframes`` frames and return them as ``frames x channels`` float32."""
        with self.recorder(samplerate, channels, blocksize) as recorder:
            return recorder.record(numframes)

    def __repr__(self) -> str:
        kind = "Loopback" if self.isloopback else "Microphone"
        return f"<{kind} {self.name} ({self.channels} channels)>"


def all_speakers() -> list[Speaker]:
    """Every output device the server knows."""
    return [Speaker(info) for info in get_backend().list_devices("speaker")]


def all_microphones(
    include_loopback: bool = False, exclude_monitors: bool = True
) -> list[Microphone]:
    """Every input device; with ``include_loopback``, also each speaker's monitor.

    ``exclude_monitors=False`` is soundcard's deprecated spelling of ``include_loopback=True``
    (it warns with a ``DeprecationWarning``).
    """
    include_loopback = _include_loopback(include_loopback, exclude_monitors)
    return [
        Microphone(info)
        for info in get_backend().list_devices("microphone")
        if include_loopback or not info.isloopback
    ]


def default_speaker() -> Speaker:
    """The system's default output device."""
    return _default("speaker", all_speakers())


def default_microphone() -> Microphone:
    """The system's default input device."""
    return _default("microphone", all_microphones(include_loopback=True))


def get_speaker(id: str | Speaker) -> Speaker:
    """The speaker with this id, or whose name contains (or fuzzily matches) ``id``."""
    if isinstance(id, Speaker):
        return id
    return match_device(id, all_speakers(), "speaker")


def get_microphone(
    id: str | Microphone, include_loopback: bool = False, exclude_monitors: bool = True
) -> Microphone:
    """The microphone with this id, or whose name contains (or fuzzily matches) ``id``.

    With ``include_loopback``, speakers' monitors are candidates too, so a speaker's name
    finds its loopback. ``exclude_monitors=False`` is soundcard's deprecated spelling of
    ``include_loopback=True`` (it warns with a ``DeprecationWarning``).
    """
    include_loopback = _include_loopback(include_loopback, exclude_monitors)
    if isinstance(id, Microphone):
        return id
    microphones = all_microphones(include_loopback=include_loopback)
    if include_loopback and isinstance(id, str):
        # A speaker's exact id or name finds its monitor, as in the soundcard package.
        folded = id.casefold()
        for speaker in all_speakers():
            if speaker.id == id or speaker.name.casefold() == folded:
                for mic in microphones:
                    if mic.info.monitor_of == speaker.id:
                        return mic
    return match_device(id, microphones, "microphone")


def _include_loopback(include_loopback: bool, exclude_monitors: bool) -> bool:
    """Fold soundcard's deprecated ``exclude_monitors`` into ``include_loopback``.

    As in soundcard, only ``exclude_monitors=False`` has an effect (it includes loopback) and
    only it warns; the default ``True`` leaves ``include_loopback`` in charge.
    """
    if not exclude_monitors:
        warnings.warn(
            "exclude_monitors is deprecated: pass include_loopback=True instead of "
            "exclude_monitors=False.",
            DeprecationWarning,
            stacklevel=3,
        )
        return True
    return bool(include_loopback)


_AnyDevice = TypeVar("_AnyDevice", bound=_Device)


def _default(kind: DeviceKind, devices: Sequence[_AnyDevice]) -> _AnyDevice:
    default_id = get_backend().default_device_id(kind)
    for device in devices:
        if device.id == default_id:
            return device
    if default_id is None:
        raise DeviceNotFoundError(
            f"The sound server has no default {kind}: connect one, or pick one by name with "
            f"get_{kind}()."
        )
    raise DeviceNotFoundError(
        f"The default {kind} {default_id!r} is not available; pick one by name with get_{kind}()."
    )


def get_name() -> str:
    """The application name the sound server shows for this program."""
    return get_backend().get_name()


def set_name(name: str) -> None:
    """Set the application name the sound server shows (takes effect at once).

    ``TypeError`` for a non-string; :class:`InvalidConfigError` for an empty name, a NUL
    character or more than :data:`~scgui.audio.appname.MAX_APP_NAME_LENGTH` characters
    (a very long name would get this process refused by the server).
    """
    get_backend().set_name(check_app_name(name))
