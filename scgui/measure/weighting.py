"""Frequency weightings of sound level meters (IEC 61672-1): A, C and Z (none).

A weighting follows the ear at low levels (it discounts bass and the very top), C at high
levels (nearly flat, rolling off below 31.5 Hz and above 8 kHz); Z is no weighting. Both
curves come from the standard's analogue pole frequencies and are normalised to exactly
0 dB at 1 kHz, so a weighted 1 kHz tone reads what it reads unweighted.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["WEIGHTINGS", "Weighting", "weighting_db"]

Weighting = Literal["Z", "A", "C"]
WEIGHTINGS: tuple[Weighting, ...] = ("Z", "A", "C")
"""The weightings :func:`weighting_db` knows, unweighted first."""

# The standard's pole frequencies in Hz (IEC 61672-1, annex E).
_F1, _F2, _F3, _F4 = 20.598997, 107.65265, 737.86223, 12194.217


def _a_response(f: NDArray[np.float64]) -> NDArray[np.float64]:
    f2 = f * f
    return (_F4**2 * f2 * f2) / (
        (f2 + _F1**2) * np.sqrt((f2 + _F2**2) * (f2 + _F3**2)) * (f2 + _F4**2)
    )


def _c_response(f: NDArray[np.float64]) -> NDArray[np.float64]:
    f2 = f * f
    return (_F4**2 * f2) / ((f2 + _F1**2) * (f2 + _F4**2))


_RESPONSES = {"A": _a_response, "C": _c_response}


def weighting_db(weighting: str, freqs: ArrayLike) -> NDArray[np.float64]:
    """The gain in dB of ``weighting`` ("Z", "A" or "C") at each frequency in Hz.

    0 dB at 1 kHz; ``-inf`` at 0 Hz for A and C (they block DC); all zeros for Z.
    """
    f = np.abs(np.asarray(freqs, dtype=np.float64))
    if weighting == "Z":
        return np.zeros_like(f)
    response = _RESPONSES.get(weighting)
    if response is None:
        raise ValueError(f"weighting must be one of {', '.join(WEIGHTINGS)}, not {weighting!r}.")
    reference = float(response(np.array([1000.0]))[0])
    with np.errstate(divide="ignore"):
        return 20.0 * np.log10(response(f) / reference)
