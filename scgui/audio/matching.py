"""Finding a device from what a person types: exact id, then name substring, then fuzzy.

Fuzzy means the letters of the query appear in the name in order (``'FS2i2'`` finds
"Focusrite Scarlett 2i2"); among several fuzzy matches the most compact one wins. Every
character of the query is literal: nothing is a pattern.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol, TypeVar

from .errors import DeviceNotFoundError


class Named(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=Named)


def match_device(query: str, devices: Sequence[T], kind: str = "device") -> T:
    """Return the device ``query`` names best, or raise :class:`DeviceNotFoundError`."""
    if not isinstance(query, str):
        raise DeviceNotFoundError(f"Look a {kind} up by its id or name (a string), not {query!r}.")
    for device in devices:
        if device.id == query:
            return device
    folded = query.casefold()
    for device in devices:
        if device.name.casefold() == folded:
            return device
    for device in devices:
        if folded in device.name.casefold() or folded in device.id.casefold():
            return device
    fuzzy = _best_fuzzy(folded, devices)
    if fuzzy is not None:
        return fuzzy
    if devices:
        names = "\n".join(f"  {device.name}  (id {device.id})" for device in devices)
        available = f"Available {kind}s:\n{names}"
    else:
        available = f"There are no {kind}s at all: check that the sound server sees your hardware."
    raise DeviceNotFoundError(f"No {kind} matches {query!r}. {available}")


def _best_fuzzy(folded_query: str, devices: Sequence[T]) -> T | None:
    if not folded_query:
        return None
    pattern = re.compile(".*?".join(re.escape(char) for char in folded_query), re.DOTALL)
    best: tuple[int, int] | None = None
    chosen: T | None = None
    for order, device in enumerate(devices):
        span = _shortest_span(pattern, device.name.casefold())
        if span is not None and (best is None or (span, order) < best):
            best, chosen = (span, order), device
    return chosen


def _shortest_span(pattern: re.Pattern[str], text: str) -> int | None:
    """Length of the shortest stretch of ``text`` that contains the query in order."""
    shortest = None
    for start in range(len(text)):
        found = pattern.match(text, start)
        if found and (shortest is None or found.end() - start < shortest):
            shortest = found.end() - start
    return shortest
