"""A failure on its way from a worker thread to the window: a sentence and its details.

The sentence says what happened and what to do; the details are the traceback of the
exception behind it, kept as text (formatted where it was raised, on the thread that
caught it), so the window's "Details" button and the log file show where it came from.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """What the window shows for one failure."""

    message: str
    #: The traceback of the exception behind it ("" when there was none: a plain refusal).
    details: str = ""

    @classmethod
    def of(cls, message: str, exc: BaseException | None = None) -> Problem:
        """``message``, with ``exc``'s traceback as the details."""
        if exc is None:
            return cls(message)
        return cls(message, "".join(traceback.format_exception(exc)))

    def __str__(self) -> str:
        return self.message
