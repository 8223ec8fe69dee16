"""The command line's value checks: one rule for each kind of number, used by every subcommand.

Each function here is an argparse ``type=``: it turns the text typed after an option into a
value, or raises :class:`argparse.ArgumentTypeError` with a message that names the option and
the value and says what to give instead, so a bad value is a usage error (exit status 2)
before any device is opened. Where the library already has the rule (sample rates, channel
maps) it decides and this module only words the message for a person at a shell.

The factories take the option's name because the message names it (``--repeats 0: at least
one take is needed``); :class:`scgui.cli.ArgumentParser` shows such a message as it is. The
library (and NumPy with it) is imported only by the checks that use it, so ``scgui --help``
and most usage errors answer at once.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

__all__ = [
    "channel_index",
    "count",
    "duration",
    "level_dbfs",
    "parse_channels",
    "samplerate",
]


def _invalid(option: str, text: str, reason: str) -> argparse.ArgumentTypeError:
    return argparse.ArgumentTypeError(f"{option} {text}: {reason}")


def _finite(option: str, text: str, what: str, example: str) -> float:
    """``text`` as a finite float, or the error for ``option``."""
    try:
        value = float(text)
    except ValueError:
        raise _invalid(option, text, f"give {what} as a number, such as {example}") from None
    if not math.isfinite(value):
        raise _invalid(option, text, f"not a finite number; give {what} such as {example}")
    return value


def duration(option: str, hint: str = "") -> Callable[[str], float]:
    """Seconds: a finite number above 0. ``hint`` is added to the refusal of 0 or less."""

    def check(text: str) -> float:
        value = _finite(option, text, "a duration in seconds", "10 or 0.5")
        if value <= 0:
            extra = f"; {hint}" if hint else ""
            raise _invalid(
                option, text, f"a duration must be more than 0 seconds, such as 10 or 0.5{extra}"
            )
        return value

    return check


def frequencies(option: str) -> Callable[[str], list[float]]:
    """Frequencies in Hz, separated by commas: finite numbers above 0."""

    def check(text: str) -> list[float]:
        values = []
        for part in text.split(","):
            value = _finite(option, part.strip(), "frequencies in Hz", "100,1000,5000")
            if value <= 0:
                raise _invalid(option, text, "a frequency must be above 0 Hz, such as 1000")
            values.append(value)
        return values

    return check


def level_dbfs(option: str) -> Callable[[str], float]:
    """A signal level in dBFS: finite, and 0 or less (above full scale would clip)."""

    def check(text: str) -> float:
        value = _finite(option, text, "a level in dBFS", "-20")
        if value > 0:
            raise _invalid(
                option, text, "a level above 0 dBFS would clip: use 0 or less, such as -20"
            )
        return value

    return check


def _whole_number(option: str, text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise _invalid(option, text, f"give {what} as a whole number") from None


def count(option: str, noun: str) -> Callable[[str], int]:
    """How many of something (takes, repeats): a whole number, 1 or more."""

    def check(text: str) -> int:
        value = _whole_number(option, text, f"the number of {noun}s")
        if value < 1:
            raise _invalid(option, text, f"at least one {noun} is needed")
        return value

    return check


def channel_index(option: str) -> Callable[[str], int]:
    """One device channel as typed, numbered from 1 -> its 0-based index (whether the device
    has it is checked later)."""

    def check(text: str) -> int:
        from .channel_text import parse_channel_number

        try:
            return parse_channel_number(text)
        except ValueError as exc:
            raise _invalid(option, text, str(exc)) from None

    return check


def samplerate(option: str) -> Callable[[str], int]:
    """Frames per second, by the library's rule (a positive whole number).

    Whether the sound server can run at that rate is checked once the device is known.
    """

    def check(text: str) -> int:
        from .audio.errors import InvalidConfigError
        from .audio.streams import check_samplerate

        number: float | str = text  # check_samplerate words the refusal of a non-number
        for kind in (int, float):
            try:
                number = kind(text)
                break
            except ValueError:
                continue
        try:
            return check_samplerate(number)
        except InvalidConfigError as exc:
            raise _invalid(option, text, str(exc)) from None

    return check


def parse_channels(text: str | None) -> list[int] | None:
    """``"1,2"`` -> ``[0, 1]``; ``"1-8"`` -> the first eight; ``"mix"`` -> the mono mix.

    The one parser for ``--channels`` of every subcommand, by the same rule as the window's
    channel fields (:mod:`scgui.channel_text`): channels are numbered from 1, as on the
    device's jacks, and a number is always a channel, never a count. Whether the device has
    them is checked against the device once it is known.
    """
    if text is None:
        return None
    from .channel_text import parse_channel_list

    option = "--channels"
    try:
        value = parse_channel_list(text)
    except ValueError as exc:
        raise _invalid(option, text, str(exc)) from None
    if value is None:
        raise _invalid(option, text, "name at least one channel, such as 1,2 or 1-8")
    return value
