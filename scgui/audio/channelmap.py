"""Channel maps: which device channel each column of the data is.

A map is given as an ``int`` *n* (the first *n* device channels) or a sequence whose
position *k* is the data column and whose value is the device channel index, ``-1`` meaning
the mono mix of every device channel. Streams always carry every device channel; these
functions pick, mix and scatter columns, identically for every backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral

import numpy as np

from .errors import InvalidConfigError

MONO_MIX = -1


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
    channels: int | Sequence[int] | None, device_channels: int, device_name: str
) -> ChannelMap:
    """Validate ``channels`` against a device; raise a clear error for anything unusable."""
    available = f"{device_name!r} has {device_channels} channel{'s' * (device_channels != 1)}"
    if channels is None:
        return ChannelMap(tuple(range(device_channels)), device_channels)
    if isinstance(channels, bool):
        raise InvalidConfigError(
            f"channels must be a number or a list of channel indexes, not {channels!r}."
        )
    if isinstance(channels, Integral):
        count = int(channels)
        if not 1 <= count <= device_channels:
            raise InvalidConfigError(
                f"Cannot open {count} channels: {available}. Ask for 1 to {device_channels}, "
                "or pass a list of channel indexes (0-based, -1 for the mono mix)."
            )
        return ChannelMap(tuple(range(count)), device_channels)
    try:
        columns = tuple(channels)
    except TypeError:
        raise InvalidConfigError(
            f"channels must be a number or a list of channel indexes, not {channels!r}."
        ) from None
    if not columns:
        raise InvalidConfigError("The channel map is empty: name at least one channel.")
    for value in columns:
        if isinstance(value, bool) or not isinstance(value, Integral):
            raise InvalidConfigError(
                f"Channel map entries must be whole numbers, got {value!r} in {list(columns)}."
            )
        if not MONO_MIX <= int(value) < device_channels:
            raise InvalidConfigError(
                f"Channel {value} is out of range: {available}, so use 0 to "
                f"{device_channels - 1}, or -1 for the mono mix."
            )
    return ChannelMap(tuple(int(value) for value in columns), device_channels)
