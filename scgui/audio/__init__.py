"""scgui.audio: play and record with the sound card, a drop-in for the ``soundcard`` package.

All audio is ``frames x channels`` float32 NumPy arrays. Importing this package does not
touch the sound system; the first call that needs the server connects to it.

>>> import scgui.audio as sc
>>> speaker = sc.default_speaker()
>>> speaker.play(data, samplerate=48000)                      # doctest: +SKIP
>>> sc.get_microphone("Scarlett").record(48000, samplerate=48000)  # doctest: +SKIP
"""

import importlib

from .app_streams import list_streams, move_stream, set_stream_mute, set_stream_volume
from .backends.base import AppStream, Capabilities, DeviceEvent, DeviceInfo, DevicePosition
from .channelmap import MONO_MIX, channel_name_map
from .devices import (
    Microphone,
    Speaker,
    all_microphones,
    all_speakers,
    default_microphone,
    default_speaker,
    get_microphone,
    get_name,
    get_speaker,
    set_name,
)
from .errors import (
    AudioError,
    BackendError,
    BackendUnavailableError,
    DeviceNotFoundError,
    InvalidConfigError,
    InvalidDataError,
    PermissionDeniedError,
    ServerUnavailableError,
    StreamError,
)
from .events import DeviceWatch, watch_devices
from .settings import capabilities, check_settings
from .streams import Player, Recorder
from .timeouts import get_timeout, set_timeout
from .volume import volume_to_db

__all__ = [
    "MONO_MIX",
    "AppStream",
    "AudioError",
    "BackendError",
    "BackendUnavailableError",
    "Capabilities",
    "DeviceEvent",
    "DeviceInfo",
    "DeviceNotFoundError",
    "DevicePosition",
    "DeviceWatch",
    "InvalidConfigError",
    "InvalidDataError",
    "Microphone",
    "PermissionDeniedError",
    "Player",
    "Recorder",
    "ServerUnavailableError",
    "Speaker",
    "StreamError",
    "all_microphones",
    "all_speakers",
    "capabilities",
    "channel_name_map",
    "check_settings",
    "default_microphone",
    "default_speaker",
    "get_microphone",
    "get_name",
    "get_speaker",
    "get_timeout",
    "list_streams",
    "move_stream",
    "set_name",
    "set_stream_mute",
    "set_stream_volume",
    "set_timeout",
    "volume_to_db",
    "watch_devices",
]


def __getattr__(name: str) -> object:
    """``scgui.audio.pulseaudio`` on first access, as ``soundcard.pulseaudio`` is there.

    soundcard loads its backend module at import; here it is imported only when asked for,
    so that ``import scgui.audio`` stays free of anything native.
    """
    if name == "pulseaudio":
        return importlib.import_module(f"{__name__}.pulseaudio")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
