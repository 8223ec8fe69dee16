"""Volumes: checking what a caller gives, and saying what a volume means in dB.

One rule for every volume the library sets, a device's or another program's stream's: a
linear factor from 0.0 (silent) to :data:`MAX_VOLUME`, 1.0 being the nominal level, one value
for all channels or one per channel.
"""

from __future__ import annotations

from numbers import Real
from typing import TYPE_CHECKING, Any

from .backends import get_backend
from .errors import InvalidConfigError

if TYPE_CHECKING:  # numpy is imported where used: listing devices does without it
    pass

__all__ = ["MAX_VOLUME", "check_volumes", "volume_to_db"]

MAX_VOLUME = 4.0


def check_volumes(volume: Any, channels: int, name: str) -> tuple[float, ...]:
    """Check a volume argument and expand it to one value per channel of ``name``."""
    import numpy as np

    values = np.atleast_1d(np.asarray(volume, dtype=object))
    if values.ndim != 1 or len(values) not in (1, channels):
        raise InvalidConfigError(
            f"Give one volume for all channels or {channels} (one per channel of {name!r})."
        )
    checked = []
    for value in values:
        if (
            isinstance(value, bool)
            or not isinstance(value, Real)
            or not 0 <= float(value) <= MAX_VOLUME
        ):
            raise InvalidConfigError(
                f"Volumes are linear factors from 0.0 (silent) to {MAX_VOLUME} "
                f"(1.0 is nominal), not {value!r}."
            )
        checked.append(float(value))
    return tuple(checked * channels if len(checked) == 1 else checked)


def volume_to_db(volume: float) -> float | None:
    """The gain in dB that a linear volume stands for on this sound system.

    ``None`` where the system does not say (WASAPI: each endpoint has its own curve);
    ``-inf`` for silence. On PulseAudio and PipeWire volumes are cubic: 0.5 is about -18 dB.
    """
    if isinstance(volume, bool) or not isinstance(volume, Real) or volume < 0:
        raise InvalidConfigError(f"A volume is a linear factor of 0.0 or more, not {volume!r}.")
    return get_backend().volume_to_db(float(volume))
