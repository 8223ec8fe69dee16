"""How long the library waits for a sound server before it calls it unavailable.

One number for every backend: a server round trip (listing devices, opening a stream, a
drain acknowledgement) and a stream that stops moving audio both give up after it. A frozen
or dead server then becomes a :class:`~scgui.audio.ServerUnavailableError` within seconds
instead of a hang. ``SCGUI_AUDIO_TIMEOUT`` (seconds) sets it for a whole process.
"""

from __future__ import annotations

import logging
import math
import os
from numbers import Real

from .errors import InvalidConfigError

#: Seconds to wait for the server when nothing else was chosen.
DEFAULT_TIMEOUT = 5.0
#: Longest timeout accepted: beyond an hour a "timeout" is a hang by another name.
MAX_TIMEOUT = 3600.0

_chosen: float | None = None
_log = logging.getLogger(__name__)


def check_timeout(seconds: object) -> float:
    """``seconds`` as a usable timeout, or :class:`InvalidConfigError`."""
    if isinstance(seconds, bool) or not isinstance(seconds, Real):
        raise InvalidConfigError(f"The timeout is a number of seconds, not {seconds!r}.")
    value = float(seconds)
    if not math.isfinite(value) or not 0 < value <= MAX_TIMEOUT:
        raise InvalidConfigError(
            f"The timeout must be more than 0 and at most {MAX_TIMEOUT:.0f} seconds, "
            f"not {seconds!r}."
        )
    return value


def set_timeout(seconds: float | None) -> None:
    """Set the server timeout in seconds for this process; ``None`` restores the default."""
    global _chosen
    _chosen = None if seconds is None else check_timeout(seconds)


def get_timeout() -> float:
    """The server timeout in effect, in seconds."""
    if _chosen is not None:
        return _chosen
    text = os.environ.get("SCGUI_AUDIO_TIMEOUT")
    if text:
        try:
            return check_timeout(float(text))
        except (ValueError, InvalidConfigError):
            _log.warning(
                "SCGUI_AUDIO_TIMEOUT=%r is not a usable timeout; using %s s", text, DEFAULT_TIMEOUT
            )
    return DEFAULT_TIMEOUT
