"""The names of ``soundcard.pulseaudio``, for code that reaches into that module.

Programs written for soundcard sometimes use its Linux module directly: its classes by their
private names (``soundcard.pulseaudio._Speaker`` in type hints and ``isinstance`` checks), or
``_PulseAudio._infer_program_name()``, which soundcard's own tests call. This module gives
the same names for :mod:`scgui.audio`'s objects, so ``import scgui.audio.pulseaudio`` can
stand in for ``import soundcard.pulseaudio``.

Unlike soundcard's module, importing this one connects to nothing and does not load libpulse:
the sound server is reached on first use, as everywhere in :mod:`scgui.audio`.
"""

from __future__ import annotations

from .appname import infer_program_name
from .channelmap import channel_name_map
from .devices import (
    Microphone,
    Speaker,
    _Device,
    all_microphones,
    all_speakers,
    default_microphone,
    default_speaker,
    get_microphone,
    get_name,
    get_speaker,
    set_name,
)
from .streams import Player, Recorder

#: soundcard's private class names, as aliases of the public classes.
_SoundCard = _Device
_Speaker = Speaker
_Microphone = Microphone
_Player = Player
_Recorder = Recorder


class _PulseAudio:
    """What soundcard's connection proxy offers without a connection: the program name.

    soundcard makes one of these at import time to hold its connection; scgui.audio's
    connection lives in its backend, so only the class-level helper is kept here.
    """

    @staticmethod
    def _infer_program_name() -> str:
        """The name the sound server shows for this program, from ``sys.argv`` as it is now.

        See :func:`scgui.audio.appname.infer_program_name`.
        """
        return infer_program_name()


__all__ = [
    "all_microphones",
    "all_speakers",
    "channel_name_map",
    "default_microphone",
    "default_speaker",
    "get_microphone",
    "get_name",
    "get_speaker",
    "set_name",
]
