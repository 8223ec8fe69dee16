"""Test signals ready to play: the generator panel's choices turned into a playable source.

Continuous signals (sine, noise) are made as a buffer that loops without a seam and start
with a short fade-in; sweeps and identification bursts play once. Levels default to -20 dBFS.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from scgui.measure import signals

from .sources import ArraySource

KINDS = ("Sine", "Pink noise", "White noise", "Log sweep", "Channel ident", "Channel beeps")
LOOP_SECONDS = 2.0
FADE_IN = 0.01


@dataclass(frozen=True)
class SignalSpec:
    """What the user chose in the generator panel."""

    kind: str = "Sine"
    frequency: float = 1000.0
    level_db: float = signals.DEFAULT_LEVEL_DB
    sweep_from: float = 20.0
    sweep_to: float = 20000.0
    sweep_seconds: float = 5.0


def make_source(
    spec: SignalSpec, samplerate: int, channels: int, device_channels: Sequence[int] = ()
) -> ArraySource:
    """A source of ``channels`` columns playing ``spec`` (ident: a different signal each).

    ``device_channels`` are the device channel indexes the columns go to (default 0, 1...):
    "Channel beeps" makes device channel ``c`` beep ``c + 1`` times.
    """
    if spec.level_db > 0:
        raise ValueError(f"The level must be at most 0 dBFS, not {spec.level_db:g}.")
    if channels < 1:
        raise ValueError("Choose at least one output channel.")
    nyquist = samplerate / 2
    if spec.kind == "Sine":
        if not 0 < spec.frequency < nyquist:
            raise ValueError(
                f"The frequency must be between 0 and {nyquist:g} Hz at {samplerate} Hz."
            )
        # A whole number of cycles in the loop, so it repeats without a seam.
        cycles = max(1, round(spec.frequency * LOOP_SECONDS))
        tone = signals.sine(cycles / LOOP_SECONDS, LOOP_SECONDS, samplerate, spec.level_db, 0.0)
        mono, loop = tone, True
    elif spec.kind in ("Pink noise", "White noise"):
        make = signals.pink_noise if spec.kind == "Pink noise" else signals.white_noise
        mono, loop = make(LOOP_SECONDS, samplerate, spec.level_db, 0.0, seed=1), True
    elif spec.kind == "Log sweep":
        if not 0 < spec.sweep_from < spec.sweep_to < nyquist:
            raise ValueError(
                f"The sweep must go up, from above 0 to below {nyquist:g} Hz at {samplerate} Hz."
            )
        mono = signals.log_sweep(
            spec.sweep_from, spec.sweep_to, spec.sweep_seconds, samplerate, spec.level_db
        )
        loop = False
    elif spec.kind == "Channel beeps":
        targets = list(device_channels) or list(range(channels))
        data = signals.channel_beeps([c + 1 for c in targets], samplerate, spec.level_db)
        return ArraySource(data, samplerate, loop=True, fade_in=0.0)
    elif spec.kind == "Channel ident":
        data = signals.ident_signals(channels, LOOP_SECONDS, samplerate, spec.level_db, 0.0)
        return ArraySource(data, samplerate, loop=True, fade_in=FADE_IN)
    else:
        raise ValueError(f"Unknown signal {spec.kind!r}; choose one of {', '.join(KINDS)}.")
    data = np.repeat(np.asarray(mono, dtype=np.float32)[:, np.newaxis], channels, axis=1)
    return ArraySource(data, samplerate, loop=loop, fade_in=FADE_IN if loop else 0.0)
