"""Channel maps: which device channel each column of the data is.

A map is given as ``None`` (every device channel, in the device's order), an ``int`` *n*, or
a sequence whose position *k* is the data column and whose value names the device channel:

- an index, counted from 0 in the device's own channel order; ``-1`` is the mono mix of every
  device channel;
- a channel position name as PulseAudio spells it (``'front-left'``, ``'lfe'``, ``'aux3'``...;
  see :data:`POSITION_NAMES`), or one of soundcard's aliases ``'left'``, ``'right'``,
  ``'center'``, ``'subwoofer'``; ``'mono'`` is the mono mix. A name is the device channel at
  that position, exactly, and a name the device does not have is an error.

The integer ``1`` on a device of several channels is the mono mix, as a one-channel stream is
on PulseAudio (what the soundcard package gives); any other *n* is the first *n* device
channels, exactly. Streams always carry every device channel; these functions pick, mix and
scatter columns, identically for every backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from typing import TYPE_CHECKING

from .errors import InvalidConfigError

if TYPE_CHECKING:  # numpy is imported where used: listing devices does without it
    import numpy as np

MONO_MIX = -1

#: What ``channels=`` accepts (see the module docstring).
ChannelsArg = int | Sequence[int | str] | None

#: PulseAudio's channel position names (``pa_channel_position_to_string``), indexed by the
#: ``pa_channel_position_t`` value; position 0 is ``"mono"``.
POSITION_NAMES: tuple[str, ...] = (
    "mono",
    "front-left",
    "front-right",
    "front-center",
    "rear-center",
    "rear-left",
    "rear-right",
    "lfe",
    "front-left-of-center",
    "front-right-of-center",
    "side-left",
    "side-right",
    *(f"aux{number}" for number in range(32)),
    "top-center",
    "top-front-left",
    "top-front-right",
    "top-front-center",
    "top-rear-left",
    "top-rear-right",
    "top-rear-center",
)

#: Other names for positions, as PulseAudio's own parser and the soundcard package accept.
POSITION_ALIASES: dict[str, str] = {
    "left": "front-left",
    "right": "front-right",
    "center": "front-center",
    "subwoofer": "lfe",
}

#: The name that means the mono mix rather than one channel.
MONO_NAME = POSITION_NAMES[0]


def channel_name_map() -> dict[str, int]:
    """Every channel position name with soundcard's number for it, as ``soundcard`` returns.

    The number is PulseAudio's position value minus one (``'mono'`` is -1, ``'front-left'``
    and ``'left'`` 0, ``'lfe'`` and ``'subwoofer'`` 6, ``'aux0'`` 11). These numbers are
    *positions*, not device channels: they equal device channel indexes only on a device
    whose channels are in PulseAudio's canonical order (any stereo device). To pick a channel
    by its position, pass the name itself in ``channels=``, or use a device's
    ``channel_name_map()``, which gives the device's own channel indexes.
    """
    names = {name: value - 1 for value, name in enumerate(POSITION_NAMES)}
    names.update({alias: names[target] for alias, target in POSITION_ALIASES.items()})
    return names


def device_channel_name_map(positions: Sequence[str]) -> dict[str, int]:
    """Each name that picks a channel of a device with these ``positions``: its index.

    ``positions`` holds one position name per device channel (``DeviceInfo.channel_positions``).
    Aliases are included for the positions the device has, and ``'mono'`` maps to
    :data:`MONO_MIX`. Where a position occurs twice, its name picks the first.
    """
    names: dict[str, int] = {}
    for index, position in enumerate(positions):
        names.setdefault(position, index)
    names.update(
        {alias: names[target] for alias, target in POSITION_ALIASES.items() if target in names}
    )
    names[MONO_NAME] = MONO_MIX
    return names


@dataclass(frozen=True)
class ChannelMap:
    """A validated map from data columns to the channels of one device."""

    columns: tuple[int, ...]
    device_channels: int

    @property
    def is_identity(self) -> bool:
        """True when the data columns are exactly the device channels, in order."""
        return self.columns == tuple(range(self.device_channels))

    def __len__(self) -> int:
        return len(self.columns)

    def capture(self, frames: np.ndarray) -> np.ndarray:
        """Device frames (``n x device_channels``) to data columns (``n x len(self)``)."""
        import numpy as np

        if self.is_identity:
            return frames
        out = np.empty((frames.shape[0], len(self.columns)), dtype=np.float32)
        mix = None
        for column, channel in enumerate(self.columns):
            if channel == MONO_MIX:
                if mix is None:
                    mix = frames.mean(axis=1, dtype=np.float32)
                out[:, column] = mix
            else:
                out[:, column] = frames[:, channel]
        return out

    def playback(self, data: np.ndarray) -> np.ndarray:
        """Data columns (``n x len(self)``) to device frames; shared channels are summed.

        A ``-1`` column is sent to every device channel.
        """
        import numpy as np

        if self.is_identity:
            return data
        out = np.zeros((data.shape[0], self.device_channels), dtype=np.float32)
        for column, channel in enumerate(self.columns):
            if channel == MONO_MIX:
                out += data[:, column : column + 1]
            else:
                out[:, channel] += data[:, column]
        return out


def parse_channel_map(
    channels: ChannelsArg,
    device_channels: int,
    device_name: str,
    *,
    positions: Sequence[str] = (),
) -> ChannelMap:
    """Validate ``channels`` against a device; raise a clear error for anything unusable.

    ``positions`` (one position name per device channel) resolves channel names; without
    it, only indexes can be used.
    """
    available = f"{device_name!r} has {device_channels} channel{'s' * (device_channels != 1)}"
    if channels is None:
        return ChannelMap(tuple(range(device_channels)), device_channels)
    if isinstance(channels, bool):
        raise InvalidConfigError(
            f"channels must be a number or a list of channel indexes or names, not {channels!r}."
        )
    if isinstance(channels, Integral):
        count = int(channels)
        if not 1 <= count <= device_channels:
            raise InvalidConfigError(
                f"Cannot open {count} channels: {available}. Ask for 1 to {device_channels}, "
                "or pass a list of channel indexes (0-based, -1 for the mono mix)."
            )
        if count == 1 and device_channels > 1:
            return ChannelMap((MONO_MIX,), device_channels)
        return ChannelMap(tuple(range(count)), device_channels)
    if isinstance(channels, str):
        raise InvalidConfigError(
            "channels must be a count or a list of whole numbers or channel names, even for "
            f"one channel: pass [{channels!r}], not {channels!r}."
        )
    try:
        entries = tuple(channels)  # type: ignore[arg-type]  # anything iterable is checked below
    except TypeError:
        raise InvalidConfigError(
            f"channels must be a number or a list of channel indexes or names, not {channels!r}."
        ) from None
    if not entries:
        raise InvalidConfigError("The channel map is empty: name at least one channel.")
    columns = []
    for value in entries:
        if isinstance(value, str):
            columns.append(_resolve_name(value, positions, device_name))
            continue
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise InvalidConfigError(
                "Channel map entries must be whole numbers or channel names, got "
                f"{value!r} in {list(entries)}."
            )
        if not MONO_MIX <= int(value) < device_channels:
            raise InvalidConfigError(
                f"Channel {value} is out of range: {available}, so use 0 to "
                f"{device_channels - 1}, or -1 for the mono mix."
            )
        columns.append(int(value))
    return ChannelMap(tuple(columns), device_channels)


def _resolve_name(name: str, positions: Sequence[str], device_name: str) -> int:
    """The device channel (or :data:`MONO_MIX`) a channel name picks, or a clear error."""
    wanted = name.strip().casefold()
    if not positions:
        raise InvalidConfigError(
            f"Cannot pick channel {name!r} by name: the sound system did not say which "
            f"position each channel of {device_name!r} has. Use channel indexes instead."
        )
    names = device_channel_name_map(positions)
    if wanted in names:
        return names[wanted]
    has = ", ".join(f"{position} ({index})" for index, position in enumerate(positions))
    if wanted in POSITION_ALIASES or wanted in POSITION_NAMES:
        problem = f"{device_name!r} has no {name!r} channel"
    else:
        problem = f"{name!r} is not a channel position name"
    raise InvalidConfigError(
        f"{problem}. Its channels are: {has}. Use one of these names, an index, or 'mono' "
        "(-1) for the mono mix."
    )
