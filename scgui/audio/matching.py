"""Finding a device from what a person types: exact id, then name substring, then fuzzy.

Fuzzy means the letters of the query appear in the name in order (``'FS2i2'`` finds
"Focusrite Scarlett 2i2"); among several fuzzy matches the most compact one wins. Every
character of the query is literal: nothing is a pattern. A query that cannot name a device
(empty, blank, or longer than :data:`MAX_QUERY_LENGTH`) is an error rather than a match: the
soundcard package returns the first device for ``''``, which is never what was meant.
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

#: Longest query accepted, in characters: far beyond any device id or name, and it keeps
#: the fuzzy match (quadratic in the name length) cheap.
MAX_QUERY_LENGTH = 1024


def check_query(query: object, kind: str = "device") -> str:
    """Return ``query`` if it can name a device, else raise :class:`DeviceNotFoundError`.

    The error is an ``IndexError`` too, the class soundcard raises for an unknown device.
    """
    if not isinstance(query, str):
        raise DeviceNotFoundError(f"Look a {kind} up by its id or name (a string), not {query!r}.")
    if not query.strip():
        default = f", or use default_{kind}()" if kind in ("speaker", "microphone") else ""
        raise DeviceNotFoundError(
            f"The {kind} id or name is empty ({query!r}): pass part of the name, such as "
            f"'Scarlett'{default}."
        )
    if len(query) > MAX_QUERY_LENGTH:
        raise DeviceNotFoundError(
            f"The {kind} id or name is {len(query)} characters long; no device has one longer "
            f"than {MAX_QUERY_LENGTH}. Pass the id or part of the name."
        )
    return query


def match_device(query: str, devices: Sequence[T], kind: str = "device") -> T:
    """Return the device ``query`` names best, or raise :class:`DeviceNotFoundError`."""
    check_query(query, kind)
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
