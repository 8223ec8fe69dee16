"""Channel numbers as people type and read them: counted from 1, as jacks are labelled.

The one rule for the window and the command line. The library, the JSON and CSV reports
count device channels from 0; this module converts at the edge, both ways, so that "3" is
the jack labelled 3 in every field, table, meter and printed line.

Typed text is a list of channel numbers and ranges, separated by commas or spaces: ``1,2``,
``3 4``, ``1-8``, and ``mix`` for the mono mix of all channels. A number is always a channel,
never a count (``2`` is the second channel; ``1-2`` the first two).

Nothing here imports NumPy or the library: ``scgui --help`` stays instant.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = [
    "MIX",
    "MIX_WORD",
    "NOWHERE_WORDS",
    "channel_label",
    "format_channel_list",
    "format_channel_number",
    "parse_channel_list",
    "parse_channel_number",
    "parse_routing_list",
    "shown_name",
]

#: The library's index for the mono mix of all channels (``scgui.audio.channelmap.MONO_MIX``).
MIX = -1
#: How the mono mix is typed and shown.
MIX_WORD = "mix"
#: What stands for "nowhere" in a typed routing list.
NOWHERE_WORDS = ("-", "none", "nowhere")

_RANGE = re.compile(r"^(\d+)\s*[-–]\s*(\d+)$")
_GENERIC_NAME = re.compile(r"^(auxiliary|aux)\s*\d+$|^channel\s*\d+$", re.IGNORECASE)
_HINT = "channels are numbered from 1, as on the device's jacks: such as 1,2 or 1-8 or mix"


def _tokens(text: str) -> list[str]:
    # "1 - 4" is one range: close the spaces around a dash before splitting.
    joined = re.sub(r"\s*([-–])\s*", r"\1", text.strip())
    return [part for part in re.split(r"[,\s]+", joined) if part]


def parse_channel_number(text: str) -> int:
    """One channel as typed (``"3"``) -> its 0-based index (2); ``ValueError`` explains."""
    token = text.strip()
    try:
        number = int(token)
    except ValueError:
        raise ValueError(f"{text!r} is not a channel number: {_HINT}") from None
    if number < 1:
        extra = f" (for the mono mix, type {MIX_WORD})" if number < 0 else " (the first is 1)"
        raise ValueError(f"{text!r} is not a channel: {_HINT}{extra}")
    return number - 1


def parse_channel_list(text: str) -> list[int] | None:
    """What a person typed into a channels field -> 0-based indexes (``MIX`` for the mix).

    Empty text is None: "the default" (all channels, or what the caller chooses). Whether the
    device has those channels is the library's rule, checked once the device is known.
    """
    channels: list[int] = []
    for token in _tokens(text):
        if token.lower() in (MIX_WORD, "m", "mono"):
            channels.append(MIX)
            continue
        span = _RANGE.match(token)
        if span:
            first, last = (parse_channel_number(part) for part in span.groups())
            if last < first:
                raise ValueError(f"{token!r}: a range goes up, such as 1-8")
            channels.extend(range(first, last + 1))
            continue
        channels.append(parse_channel_number(token))
    return channels or None


def parse_routing_list(text: str) -> list[int | None]:
    """A typed routing (``"2,1"``: output 1 arrives on input 2, output 2 on input 1) ->
    the expected 0-based input of each output in turn; ``-`` (or ``none``) is nowhere."""
    expected: list[int | None] = []
    for token in (part for part in re.split(r"[,\s]+", text.strip()) if part):
        if token.lower() in NOWHERE_WORDS:
            expected.append(None)
        else:
            expected.append(parse_channel_number(token))
    if not expected:
        raise ValueError("name the input of each output, such as 2,1 (- for nowhere)")
    return expected


def format_channel_number(index: int) -> str:
    """A 0-based index as a person reads it: ``2`` -> ``"3"``, ``MIX`` -> ``"mix"``."""
    return MIX_WORD if index == MIX else str(index + 1)


def format_channel_list(indexes: Sequence[int]) -> str:
    """0-based indexes as they would be typed, runs of three or more as ranges:
    ``[0, 1, 2, 3, 6, -1]`` -> ``"1-4,7,mix"``; :func:`parse_channel_list` reads it back."""
    parts: list[str] = []
    i = 0
    while i < len(indexes):
        j = i
        while j + 1 < len(indexes) and indexes[j] >= 0 and indexes[j + 1] == indexes[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{indexes[i] + 1}-{indexes[j] + 1}")
        else:
            parts.extend(format_channel_number(c) for c in indexes[i : j + 1])
        i = j + 1
    return ",".join(parts)


def shown_name(index: int, name: str) -> str:
    """The part of a channel's name worth showing beside its number ("" for none).

    Names that only repeat a number ("Auxiliary 0", as servers call the channels of a
    multichannel interface) are left out: "1 Auxiliary 0" reads as two different numbers.
    """
    name = name.strip()
    return "" if index == MIX or _GENERIC_NAME.match(name) else name


def channel_label(index: int, name: str = "", separator: str = " ") -> str:
    """A channel as shown beside a meter or in a table: ``"3 Rear Left"``."""
    number = format_channel_number(index)
    shown = shown_name(index, name)
    return f"{number}{separator}{shown}" if shown else number
