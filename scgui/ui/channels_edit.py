"""Reading a channel map typed as text: "" (the default), "0,1", "3 -1" (a map)."""

from __future__ import annotations


def parse_channel_text(text: str) -> list[int] | None:
    """Parse what a user typed into a channel field; ``ValueError`` explains a typo.

    Empty text means "the default". Otherwise the text is a comma- or space-separated list
    of 0-based device channels, -1 for the mono mix of all channels. A single number is one
    channel, never a count, so "2" always means the third channel.
    """
    cleaned = text.replace(",", " ").split()
    if not cleaned:
        return None
    try:
        return [int(part) for part in cleaned]
    except ValueError:
        raise ValueError(
            f"Channels are 0-based numbers such as 0,1 or 3,-1 (-1 is the mono mix), not {text!r}."
        ) from None
