"""Other programs' streams: who is playing to or recording from which device, and control
over them.

Beyond the ``soundcard`` API. A measurement wants to know that nothing else plays into the
output it tests or records from the input it listens to; a device manager lists them and
moves, mutes or turns them down, as pavucontrol does. Where the backend cannot list them
(:attr:`Capabilities.app_streams` is False) the list is empty; where it cannot mute them or
set their volume (:attr:`Capabilities.stream_control`) or move them
(:attr:`Capabilities.stream_move`: Windows does not let a program) the call raises
:class:`BackendError` saying where the system does it instead. On Windows a stream is a
program's audio session on one endpoint, as the volume mixer shows it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from .backends import get_backend
from .backends.base import AppStream, DeviceKind
from .devices import Microphone, Speaker
from .errors import InvalidConfigError
from .volume import check_volumes

__all__ = ["AppStream", "list_streams", "move_stream", "set_stream_mute", "set_stream_volume"]


def list_streams(device_id: str | None = None, *, include_own: bool = False) -> list[AppStream]:
    """The streams open on the sound server (on ``device_id`` only, when given).

    This process's own streams are left out unless ``include_own``.
    """
    streams = get_backend().list_streams()
    own = os.getpid()
    return [
        s
        for s in streams
        if (device_id is None or s.device_id == device_id) and (include_own or s.process_id != own)
    ]


def move_stream(stream: AppStream, device: object) -> None:
    """Move ``stream`` to ``device``: a :class:`Speaker` (or its id) for a playback stream,
    a :class:`Microphone` (a monitor included, or its id) for a recording stream.

    The program goes on playing or recording, now on the other device. A device that does
    not exist raises :class:`DeviceNotFoundError`; a stream that has ended, BackendError.
    """
    _check_stream(stream)
    kind: DeviceKind = "speaker" if stream.kind == "playback" else "microphone"
    device_id = getattr(device, "id", device)
    if not isinstance(device_id, str) or not device_id:
        raise InvalidConfigError(
            f"Move a {stream.kind} stream to a {kind} (or its id), not {device!r}."
        )
    wrong = Microphone if kind == "speaker" else Speaker
    if isinstance(device, wrong):
        raise InvalidConfigError(
            f"A {stream.kind} stream can only move to a {kind}, and {device!r} is not one."
        )
    backend = get_backend()
    backend.device_info(kind, device_id)  # a missing device: DeviceNotFoundError, named
    backend.move_stream(stream, device_id)


def set_stream_volume(stream: AppStream, volume: float | Sequence[float]) -> None:
    """Set ``stream``'s volume: one linear factor for every channel or one per channel
    (0.0 silent, 1.0 nominal, up to 4.0), as :meth:`Speaker.set_volume` takes it."""
    _check_stream(stream)
    channels = max(1, len(stream.volume))
    values = check_volumes(volume, channels, f"the stream {stream.name}")
    get_backend().set_stream_volume(stream, values)


def set_stream_mute(stream: AppStream, muted: bool) -> None:
    """Mute (``True``) or unmute ``stream``; the program does not notice."""
    _check_stream(stream)
    get_backend().set_stream_mute(stream, bool(muted))


def _check_stream(stream: object) -> None:
    if not isinstance(stream, AppStream):
        raise InvalidConfigError(f"Give a stream from scgui.audio.list_streams(), not {stream!r}.")
