"""Test signals: sine, white and pink noise, logarithmic sweep and per-channel ident noise.

Every generator returns a 1-D ``float32`` array with full scale at ±1.0, ready to be played
on one channel (or stacked into ``frames x channels``). The defaults are safe to send to a
speaker or a patch bay unheard: -20 dBFS and 10 ms raised-cosine fades in and out, so nothing
clicks when a signal starts or stops.

Level conventions (all levels in dBFS, full scale = 1.0, as in :mod:`scgui.measure.levels`):

* :func:`sine` and :func:`log_sweep`: ``level_db`` is the **peak** level. A -20 dBFS sine has
  amplitude 0.1 (its RMS reads 3.01 dB lower, as on the meters).
* :func:`white_noise`, :func:`pink_noise`, :func:`ident_signal`: ``level_db`` is the **RMS**
  level by default (``normalize="peak"`` sets the peak instead). Gaussian-like noise peaks
  about 10-13 dB above its RMS, so -20 dBFS RMS stays well clear of clipping.
* Levels apply to the steady part: fades are applied after normalising, so a very short
  signal reads slightly lower than ``level_db`` overall.

Everything random takes a ``seed`` (any value :func:`numpy.random.default_rng` accepts) and
is reproducible with it; ``seed=None`` draws fresh entropy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "DEFAULT_FADE",
    "DEFAULT_LEVEL_DB",
    "IDENT_BAND",
    "apply_fades",
    "db_to_amplitude",
    "ident_signal",
    "ident_signals",
    "log_sweep",
    "pink_noise",
    "sine",
    "white_noise",
]

DEFAULT_LEVEL_DB = -20.0
"""Default level of every generator, in dBFS: loud enough to measure, quiet enough to be safe."""

DEFAULT_FADE = 0.01
"""Default length of the raised-cosine fade in and out, in seconds."""

IDENT_BAND = (200.0, 12000.0)
"""Frequency band of :func:`ident_signal`, in Hz (the top is capped at 0.45 x samplerate).

Above mains hum and the high-pass of AC-coupled inputs, below the band edge of converters and
resamplers, so a level measured with it is the mid-band gain of the path.
"""

Normalize = Literal["rms", "peak"]
Seed = int | Sequence[int] | np.random.SeedSequence | None
"""What ``seed`` accepts: anything :func:`numpy.random.default_rng` takes, None = fresh."""


def db_to_amplitude(level_db: float) -> float:
    """Linear amplitude of a level in dBFS: ``10 ** (level_db / 20)`` (-20 dB -> 0.1)."""
    return float(10.0 ** (level_db / 20.0))


def _frame_count(seconds: float, samplerate: float) -> int:
    """Number of frames of ``seconds`` at ``samplerate``, with clear errors for bad values."""
    if not samplerate > 0:
        raise ValueError(f"samplerate must be positive, got {samplerate!r}.")
    if not seconds > 0:
        raise ValueError(f"seconds must be positive, got {seconds!r}.")
    return max(1, round(seconds * samplerate))


def _check_frequency(frequency: float, samplerate: float, name: str = "frequency") -> None:
    if not 0 < frequency < samplerate / 2:
        raise ValueError(
            f"{name} must be between 0 and half the sample rate ({samplerate / 2:g} Hz), "
            f"got {frequency!r}."
        )


def _normalized(
    x: NDArray[np.float64], level_db: float, normalize: Normalize
) -> NDArray[np.float64]:
    """Scale ``x`` so its RMS (or peak) is ``level_db`` dBFS; silence stays silence."""
    if normalize == "rms":
        current = float(np.sqrt(np.mean(np.square(x))))
    elif normalize == "peak":
        current = float(np.max(np.abs(x)))
    else:
        raise ValueError(f"normalize must be 'rms' or 'peak', got {normalize!r}.")
    if current == 0.0:
        return x
    return x * (db_to_amplitude(level_db) / current)


def apply_fades(
    signal: ArrayLike,
    samplerate: float,
    fade: float = DEFAULT_FADE,
    *,
    fade_in: bool = True,
    fade_out: bool = True,
) -> NDArray[np.float32]:
    """Return a copy of ``signal`` with raised-cosine fades at its start and end.

    The fade-in gain is ``0.5 - 0.5·cos(π·n/F)`` for the first ``F = round(fade·samplerate)``
    samples, so the first sample is exactly 0 and the slope is zero at both ends of the fade
    (no step, no kink: the least audible fade of its length). The fade-out is its mirror
    image, so the last sample is exactly 0. A fade longer than half the signal is shortened
    to half of it. ``fade=0`` returns an unfaded copy.

    Parameters
    ----------
    signal:
        1-D samples, or ``frames x channels`` (every channel is faded alike).
    samplerate:
        Samples per second, to turn ``fade`` into samples.
    fade:
        Length of each fade in seconds.
    fade_in, fade_out:
        Which ends to fade (a signal that continues another one needs only one).
    """
    data = np.array(signal, dtype=np.float32)  # always a copy
    if data.ndim not in (1, 2):
        raise ValueError(f"signal must be 1-D or 2-D, got shape {data.shape}.")
    if fade < 0:
        raise ValueError(f"fade must not be negative, got {fade!r}.")
    if not samplerate > 0:
        raise ValueError(f"samplerate must be positive, got {samplerate!r}.")
    count = min(round(fade * samplerate), data.shape[0] // 2)
    if count < 1:
        return data
    ramp = (0.5 - 0.5 * np.cos(np.pi * np.arange(count) / count)).astype(np.float32)
    if data.ndim == 2:
        ramp = ramp[:, None]
    if fade_in:
        data[:count] *= ramp
    if fade_out:
        data[data.shape[0] - count :] *= ramp[::-1]
    return data


def sine(
    frequency: float,
    seconds: float,
    samplerate: float,
    level_db: float = DEFAULT_LEVEL_DB,
    fade: float = DEFAULT_FADE,
    *,
    phase: float = 0.0,
) -> NDArray[np.float32]:
    """A sine tone of ``frequency`` Hz whose peak is ``level_db`` dBFS.

    Parameters
    ----------
    frequency:
        In Hz, above 0 and below half the sample rate.
    seconds:
        Length; rounded to whole samples.
    samplerate:
        Samples per second.
    level_db:
        Peak level in dBFS (-20 -> amplitude 0.1).
    fade:
        Raised-cosine fade in and out, in seconds (see :func:`apply_fades`).
    phase:
        Starting phase in radians.
    """
    frames = _frame_count(seconds, samplerate)
    _check_frequency(frequency, samplerate)
    t = np.arange(frames, dtype=np.float64) / samplerate
    x = db_to_amplitude(level_db) * np.sin(2.0 * np.pi * frequency * t + phase)
    return apply_fades(x, samplerate, fade)


def white_noise(
    seconds: float,
    samplerate: float,
    level_db: float = DEFAULT_LEVEL_DB,
    fade: float = DEFAULT_FADE,
    *,
    seed: Seed = None,
    normalize: Normalize = "rms",
) -> NDArray[np.float32]:
    """Gaussian white noise (flat spectrum) at ``level_db`` dBFS RMS (or peak).

    Parameters
    ----------
    seconds, samplerate, fade:
        As for :func:`sine`.
    level_db:
        Level of the steady part in dBFS; RMS unless ``normalize="peak"``.
    seed:
        Seed of the generator, for a reproducible signal.
    normalize:
        ``"rms"`` (default) or ``"peak"``: which measure equals ``level_db``.
    """
    frames = _frame_count(seconds, samplerate)
    rng = np.random.default_rng(seed)
    x = _normalized(rng.standard_normal(frames), level_db, normalize)
    return apply_fades(x, samplerate, fade)


def _shaped_noise(
    frames: int,
    samplerate: float,
    band: tuple[float, float],
    slope_db_per_octave: float,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Random-phase noise with an exact magnitude spectrum, zero outside ``band``.

    The magnitude of every bin inside the band is ``f ** (slope / (20·log10 2))`` and its
    phase is uniform random: the spectrum has the wanted shape exactly (no statistical
    ripple), and the signal is periodic in its own length, so it loops without a seam when
    played unfaded.
    """
    low, high = band
    high = min(high, 0.5 * samplerate)
    if not 0 <= low < high:
        raise ValueError(f"band must be (low, high) with 0 <= low < high, got {band!r}.")
    freqs = np.fft.rfftfreq(frames, 1.0 / samplerate)
    inside = (freqs >= low) & (freqs <= high) & (freqs > 0)
    if not inside.any():
        raise ValueError(
            f"no frequency of the band {band!r} fits in {frames} samples at {samplerate:g} Hz; "
            "make the signal longer or the band wider."
        )
    exponent = slope_db_per_octave / (20.0 * np.log10(2.0))
    magnitude = np.zeros(freqs.shape)
    magnitude[inside] = freqs[inside] ** exponent
    phase = rng.uniform(0.0, 2.0 * np.pi, freqs.shape)
    # cos + i sin rather than exp(i phase): the same numbers, and Windows builds of NumPy
    # then need no complex exp from the C runtime (Wine's lacks it: the WASAPI job).
    spectrum = magnitude * (np.cos(phase) + 1j * np.sin(phase))
    if frames % 2 == 0:
        spectrum[-1] = spectrum[-1].real  # the Nyquist bin of a real signal is real
    return np.fft.irfft(spectrum, frames)


def pink_noise(
    seconds: float,
    samplerate: float,
    level_db: float = DEFAULT_LEVEL_DB,
    fade: float = DEFAULT_FADE,
    *,
    seed: Seed = None,
    band: tuple[float, float] = (20.0, 20000.0),
    normalize: Normalize = "rms",
) -> NDArray[np.float32]:
    """Band-limited pink noise: power density ∝ 1/f, -3.01 dB per octave, equal power per octave.

    Made by FFT shaping: every bin of the band gets magnitude ``1/sqrt(f)`` and a random
    phase, bins outside ``band`` are zero. The band keeps sub-audio rumble (which true 1/f
    noise is full of, and which only moves speaker cones) and ultrasonic content out; the
    default is the audio band, 20 Hz - 20 kHz (capped at half the sample rate). The spectrum
    is exact rather than statistical, and the signal loops seamlessly with ``fade=0``.

    Parameters
    ----------
    seconds, samplerate, fade:
        As for :func:`sine`.
    level_db:
        Level of the steady part in dBFS; RMS unless ``normalize="peak"``.
    seed:
        Seed of the random phases, for a reproducible signal.
    band:
        ``(low, high)`` in Hz.
    normalize:
        ``"rms"`` (default) or ``"peak"``.
    """
    frames = _frame_count(seconds, samplerate)
    rng = np.random.default_rng(seed)
    x = _shaped_noise(frames, samplerate, band, -10.0 * np.log10(2.0), rng)
    return apply_fades(_normalized(x, level_db, normalize), samplerate, fade)


def log_sweep(
    f0: float,
    f1: float,
    seconds: float,
    samplerate: float,
    level_db: float = DEFAULT_LEVEL_DB,
    fade: float = DEFAULT_FADE,
) -> NDArray[np.float32]:
    """Exponential (logarithmic) sine sweep from ``f0`` to ``f1`` Hz, peak at ``level_db``.

    The instantaneous frequency is ``f0 · (f1/f0) ** (t/T)``: it spends equal time in every
    octave, so its spectrum is pink-like and its autocorrelation has one sharp peak, which is
    what a latency or impulse-response measurement wants. ``f1 < f0`` sweeps downwards.

    Parameters
    ----------
    f0, f1:
        Start and end frequency in Hz (both above 0 and below half the sample rate).
    seconds, samplerate, fade:
        As for :func:`sine`.
    level_db:
        Peak level in dBFS.
    """
    frames = _frame_count(seconds, samplerate)
    _check_frequency(f0, samplerate, "f0")
    _check_frequency(f1, samplerate, "f1")
    duration = frames / samplerate
    t = np.arange(frames, dtype=np.float64) / samplerate
    if f0 == f1:
        phase = 2.0 * np.pi * f0 * t
    else:
        rate = np.log(f1 / f0)
        phase = 2.0 * np.pi * f0 * duration / rate * np.expm1(t * rate / duration)
    x = db_to_amplitude(level_db) * np.sin(phase)
    return apply_fades(x, samplerate, fade)


def ident_signal(
    channel: int,
    seconds: float,
    samplerate: float,
    level_db: float = DEFAULT_LEVEL_DB,
    fade: float = 0.005,
    *,
    seed: int = 0,
    band: tuple[float, float] = IDENT_BAND,
) -> NDArray[np.float32]:
    """The identification signal of output ``channel``: band-limited pseudo-random noise.

    Each ``(seed, channel)`` pair gives its own noise, with a flat magnitude spectrum over
    ``band`` and random phases, so:

    * its autocorrelation has one sharp peak: cross-correlating a recording with it gives the
      delay to the sample, the polarity (sign of the peak) and the gain of the path;
    * the signals of two channels are nearly uncorrelated: about ``1/sqrt(2·B·T)`` at any
      one lag for bandwidth ``B`` and length ``T`` (-36 dB for 150 ms), about -25 dB at the
      worst lag. Recorded together, each channel stands out clearly; measuring crosstalk
      down to -40 dB still needs one channel at a time, as the routing check does;
    * it sounds like a short hiss, harmless on any speaker at the default -20 dBFS RMS.

    Parameters
    ----------
    channel:
        The output channel the signal identifies (any non-negative integer).
    seconds, samplerate:
        Length and sample rate.
    level_db:
        RMS level in dBFS.
    fade:
        Raised-cosine fades, shorter than usual (5 ms) because the signal is short.
    seed:
        Selects another family of signals (the same seed always gives the same signals).
    band:
        ``(low, high)`` in Hz; ``high`` is capped at 0.45 x ``samplerate``.
    """
    if int(channel) != channel or channel < 0:
        raise ValueError(f"channel must be a non-negative integer, got {channel!r}.")
    frames = _frame_count(seconds, samplerate)
    low, high = band
    rng = np.random.default_rng([int(seed), int(channel), 0x1D])
    x = _shaped_noise(frames, samplerate, (low, min(high, 0.45 * samplerate)), 0.0, rng)
    return apply_fades(_normalized(x, level_db, "rms"), samplerate, fade)


def ident_signals(
    channels: int,
    seconds: float,
    samplerate: float,
    level_db: float = DEFAULT_LEVEL_DB,
    fade: float = 0.005,
    *,
    seed: int = 0,
    band: tuple[float, float] = IDENT_BAND,
) -> NDArray[np.float32]:
    """``frames x channels``: column ``k`` is ``ident_signal(k, ...)``, all playing at once."""
    if int(channels) != channels or channels < 1:
        raise ValueError(f"channels must be a positive integer, got {channels!r}.")
    columns = [
        ident_signal(k, seconds, samplerate, level_db, fade, seed=seed, band=band)
        for k in range(int(channels))
    ]
    return np.ascontiguousarray(np.stack(columns, axis=1))


#: Channel beeps: a short beep counts one, a long one ten (channel 12: long, short, short).
BEEP_SHORT, BEEP_LONG, BEEP_GAP, BEEP_PAUSE = 0.12, 0.4, 0.15, 1.0
BEEP_HZ = 880.0


def channel_beeps(
    numbers: Sequence[int], samplerate: float, level_db: float = DEFAULT_LEVEL_DB
) -> NDArray[np.float32]:
    """A loop in which the channel numbered ``n`` beeps ``n`` times: ``frames x len(numbers)``.

    The identification a person can hear (as ``speaker-test`` says the channel's name):
    numbers count from 1, as people count channels; tens are long beeps, units short ones,
    then a pause. All columns share one loop length, the longest channel's.
    """
    if not numbers or min(numbers) < 1:
        raise ValueError("channel numbers count from 1.")

    def one(number: int) -> NDArray[np.float32]:
        pieces: list[NDArray[np.float32]] = []
        for length in [BEEP_LONG] * (number // 10) + [BEEP_SHORT] * (number % 10):
            pieces.append(sine(BEEP_HZ, length, samplerate, level_db, fade=0.01))
            pieces.append(np.zeros(_frame_count(BEEP_GAP, samplerate), dtype=np.float32))
        return np.concatenate(pieces)

    columns = [one(n) for n in numbers]
    frames = max(c.size for c in columns) + _frame_count(BEEP_PAUSE, samplerate)
    out = np.zeros((frames, len(columns)), dtype=np.float32)
    for k, column in enumerate(columns):
        out[: column.size, k] = column
    return out
