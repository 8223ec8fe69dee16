"""The log-frequency axis the spectrum and the spectrogram share: 20 Hz to Nyquist, with
ticks at 20, 50, 100, 200, 500 Hz, 1k ... on log10 positions."""

from __future__ import annotations

import math

MIN_FREQ_HZ = 20.0

_MAJOR = (20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000)
_MINOR = tuple(
    m * decade
    for decade in (10, 100, 1000, 10000)
    for m in range(1, 10)
    if m * decade not in _MAJOR
)

Ticks = list[tuple[float, str]]


def tick_label(hz: int) -> str:
    """``"500"``, ``"2k"``: short enough for a tick."""
    return f"{hz // 1000}k" if hz >= 1000 else str(hz)


def frequency_ticks(nyquist: float) -> tuple[Ticks, Ticks]:
    """Major (labelled) and minor ticks from 20 Hz to ``nyquist``, at log10 positions."""
    if nyquist <= MIN_FREQ_HZ:
        raise ValueError(f"samplerate too low for a 20 Hz axis: {2 * nyquist:g}")
    major = [(math.log10(f), tick_label(f)) for f in _MAJOR if f <= nyquist]
    minor = [(math.log10(f), "") for f in _MINOR if MIN_FREQ_HZ < f <= nyquist]
    return major, minor
