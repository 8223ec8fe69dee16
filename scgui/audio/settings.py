"""Telling before opening a stream whether a configuration can work.

:func:`check_settings` runs the same checks a Player or Recorder runs when it is made and
opened (argument rules, the device being there, the backend's sample-rate range), without
opening anything, as sounddevice's ``check_input_settings`` does.
"""

from __future__ import annotations

from typing import Any

from .backends import get_backend
from .backends.base import Capabilities
from .channelmap import ChannelsArg, parse_channel_map
from .errors import InvalidConfigError
from .streams import check_blocksize, check_samplerate


def check_settings(
    device: Any,
    samplerate: Any = None,
    channels: ChannelsArg = None,
    blocksize: Any = None,
) -> None:
    """Raise a clear error if a stream on ``device`` with these settings cannot work.

    ``device`` is a Speaker or Microphone; ``samplerate=None`` checks the device's own
    rate. Returns ``None`` when the settings are usable. Asks the server whether the device
    is still there (raises :class:`DeviceNotFoundError` if not).
    """
    kind = getattr(device, "_kind", None)
    if kind not in ("speaker", "microphone"):
        raise InvalidConfigError(
            f"check_settings needs a Speaker or Microphone (from get_speaker() or "
            f"get_microphone()), not {device!r}."
        )
    backend = get_backend()
    info = backend.device_info(kind, device.id)
    rate = info.samplerate if samplerate is None else check_samplerate(samplerate)
    low, high = backend.samplerate_range
    if not low <= rate <= high:
        raise InvalidConfigError(
            f"{backend.name} cannot open a stream at {rate} Hz; use a rate from {low} to "
            f"{high} Hz, such as 44100 or 48000."
        )
    check_blocksize(blocksize)
    parse_channel_map(channels, info.channels, info.name, positions=info.channel_positions)


def capabilities() -> Capabilities:
    """What this platform's backend can do (loopback, exclusive mode, set default...)."""
    return get_backend().capabilities
