"""Magnitude spectrum of one channel, in dBFS, for a live analyser display.

:class:`Spectrum` keeps the newest ``size`` samples of a channel in a ring and transforms them
on demand with a Hann window; :func:`log_bins` reduces the linear FFT bins to log-spaced bands
for a log-frequency plot, and :func:`spectral_peak` finds the strongest tone with sub-bin
accuracy for a numeric read-out.

Scaling: a sine of amplitude *A* exactly on a bin reads ``20·log10(A)`` dBFS there, so a
full-scale sine reads 0 dBFS, matching the peak meter. Averaging is exponential, on power,
with a time constant in seconds of audio (not of redraws), as an analyser's "fast" (0.125 s)
and "slow" (1 s); a steady tone reads the same averaged or not, noise reads steadier. A
weighting (A or C, :mod:`~scgui.measure.weighting`) is applied to the result. Between bins
the Hann window loses up to 1.42 dB ("scalloping"); :func:`spectral_peak` corrects for that.
Broadband noise reads lower than its RMS level, spread over the bins, as on any FFT
analyser.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .levels import dbfs
from .weighting import WEIGHTINGS, weighting_db

__all__ = [
    "AVERAGING_TIMES",
    "FFT_SIZES",
    "SPECTRUM_FLOOR_DB",
    "Spectrum",
    "SpectrumOptions",
    "log_bins",
    "spectral_peak",
]

FFT_SIZES = (1024, 2048, 4096, 8192, 16384, 32768)
"""The FFT lengths an analyser display offers: 47 Hz to 1.5 Hz bins at 48 kHz."""

AVERAGING_TIMES = (0.0, 0.125, 1.0, 3.0)
"""Averaging time constants an analyser offers, in seconds: none, fast, slow, very slow."""

SPECTRUM_FLOOR_DB = -160.0
"""Default floor of a spectrum, below the noise of 24-bit audio after FFT processing gain."""


class Spectrum:
    """Hann-windowed FFT magnitude of the newest ``size`` frames of one channel.

    Call :meth:`push` with every block of the channel as it arrives (cheap: a copy into a
    ring buffer) and :meth:`compute` when the display redraws (one real FFT). Until ``size``
    samples have been pushed, the older part of the window is zeros, which lowers the levels;
    :attr:`filled` tells a display how much is real.

    Parameters
    ----------
    samplerate:
        Samples per second of the channel; sets the frequency axis.
    size:
        FFT length in samples (default 4096: 11.7 Hz bins at 48 kHz, 85 ms of audio).
    floor_db:
        The reading for bins with no energy.
    averaging:
        Time constant in seconds of the exponential average of power (0: none).
    weighting:
        "Z" (none, the default), "A" or "C".
    """

    def __init__(
        self,
        samplerate: float,
        size: int = 4096,
        *,
        floor_db: float = SPECTRUM_FLOOR_DB,
        averaging: float = 0.0,
        weighting: str = "Z",
    ) -> None:
        if not samplerate > 0:
            raise ValueError(f"samplerate must be positive, got {samplerate!r}.")
        if int(size) != size or size < 16:
            raise ValueError(f"size must be an integer of at least 16, got {size!r}.")
        if not averaging >= 0:
            raise ValueError(f"averaging is a time constant of 0 s or more, not {averaging!r}.")
        if weighting not in WEIGHTINGS:
            raise ValueError(
                f"weighting must be one of {', '.join(WEIGHTINGS)}, not {weighting!r}."
            )
        self._averaging = float(averaging)
        self._weighting = weighting
        self._average: NDArray[np.float64] | None = None
        self._unaveraged = 0  # frames pushed since the last compute()
        self._samplerate = float(samplerate)
        self._size = int(size)
        self._floor_db = float(floor_db)
        self._ring = np.zeros(self._size, dtype=np.float64)
        self._pos = 0
        self._filled = 0
        # Periodic ("DFT-even") Hann: its coherent gain is exactly 1/2, so a sine on a bin has
        # |X| = A * size / 4 and one-sided scaling of 2 / sum(window) gives back A.
        n = np.arange(self._size)
        self._window = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / self._size)
        scale = np.full(self._size // 2 + 1, 2.0 / self._window.sum())
        scale[0] /= 2.0  # DC has no negative-frequency twin
        if self._size % 2 == 0:
            scale[-1] /= 2.0  # nor has the Nyquist bin
        self._scale = scale
        self._freqs = np.asarray(np.fft.rfftfreq(self._size, 1.0 / self._samplerate), np.float64)
        self._freqs.flags.writeable = False
        self._weights_db = weighting_db(weighting, self._freqs)

    @property
    def samplerate(self) -> float:
        """Samples per second, as given at construction."""
        return self._samplerate

    @property
    def size(self) -> int:
        """FFT length in samples."""
        return self._size

    @property
    def bin_width(self) -> float:
        """Spacing of the frequency bins in Hz (``samplerate / size``)."""
        return self._samplerate / self._size

    @property
    def freqs(self) -> NDArray[np.float64]:
        """Centre frequency of every bin, 0 Hz to Nyquist (read-only)."""
        return self._freqs

    @property
    def averaging(self) -> float:
        """Time constant of the power average in seconds (0: none)."""
        return self._averaging

    @property
    def weighting(self) -> str:
        """ "Z" (none), "A" or "C"."""
        return self._weighting

    @property
    def filled(self) -> int:
        """How many of the ``size`` samples are real audio rather than initial zeros."""
        return self._filled

    def reset(self) -> None:
        """Forget the pushed audio (back to silence)."""
        self._ring.fill(0.0)
        self._pos = 0
        self._filled = 0
        self._average = None
        self._unaveraged = 0

    def push(self, samples: ArrayLike) -> None:
        """Append a 1-D block of one channel's samples (e.g. ``block[:, channel]``).

        Only the newest ``size`` samples are kept, so pushing more than that at once is fine.
        """
        array = np.asarray(samples)
        if array.ndim != 1:
            raise ValueError(
                f"push() takes the samples of one channel (1-D), got shape {array.shape}; "
                "pass block[:, channel]."
            )
        if array.dtype.kind != "f":
            raise TypeError(f"samples must be floating point, got dtype {array.dtype}.")
        count = array.shape[0]
        if count >= self._size:
            self._ring[:] = array[-self._size :]
            self._pos = 0
        else:
            first = min(count, self._size - self._pos)
            self._ring[self._pos : self._pos + first] = array[:first]
            self._ring[: count - first] = array[first:]
            self._pos = (self._pos + count) % self._size
        self._filled = min(self._size, self._filled + count)
        self._unaveraged += count

    def compute(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Return ``(freqs, db)``: bin frequencies in Hz and magnitudes in dBFS (averaged and
        weighted as asked).

        Both have ``size // 2 + 1`` elements; ``freqs`` is the shared read-only
        :attr:`freqs`, ``db`` is a new array each call. With averaging, each call blends in
        the newest window by how much audio arrived since the previous call.
        """
        # Oldest sample first, so the window is applied to time-ordered audio.
        ordered = np.concatenate([self._ring[self._pos :], self._ring[: self._pos]])
        magnitude = np.abs(np.fft.rfft(ordered * self._window)) * self._scale
        if self._averaging > 0:
            power = magnitude * magnitude
            if self._average is None:
                self._average = power
            else:
                elapsed = self._unaveraged / self._samplerate
                weight = 1.0 - np.exp(-elapsed / self._averaging)
                self._average += weight * (power - self._average)
            magnitude = np.sqrt(self._average)
        self._unaveraged = 0
        db: NDArray[np.float64] = dbfs(magnitude, self._floor_db)
        if self._weighting != "Z":
            db = np.maximum(db + self._weights_db, self._floor_db)
        return self._freqs, db


@dataclass(frozen=True)
class SpectrumOptions:
    """How a live spectrum is computed: FFT length, averaging time constant, weighting."""

    size: int = 4096
    averaging: float = 0.0  # seconds; 0 is none
    weighting: str = "Z"

    def spectrum(self, samplerate: float) -> Spectrum:
        """A new :class:`Spectrum` with these options."""
        return Spectrum(samplerate, self.size, averaging=self.averaging, weighting=self.weighting)


def _check_spectrum(
    freqs: ArrayLike, db: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return ``freqs`` and ``db`` as matching 1-D float arrays with increasing ``freqs``."""
    f = np.asarray(freqs, dtype=np.float64)
    d = np.asarray(db, dtype=np.float64)
    if f.ndim != 1 or f.shape != d.shape:
        raise ValueError(f"freqs and db must be 1-D of equal length, got {f.shape} and {d.shape}.")
    if f.size > 1 and not np.all(np.diff(f) > 0):
        raise ValueError("freqs must be strictly increasing.")
    return f, d


def log_bins(
    freqs: ArrayLike,
    db: ArrayLike,
    n_bins: int,
    f_min: float | None = None,
    f_max: float | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Reduce a linear-frequency spectrum to ``n_bins`` log-spaced bands for a log-axis plot.

    The bands split ``[f_min, f_max]`` (default: the lowest non-zero frequency to the highest)
    into equal ratios. Each band takes the **maximum** of the bins inside it, so a tone keeps
    its level however many bins a band spans. At low frequencies a band can be narrower than
    the FFT bin spacing and contain no bin; it gets the spectrum interpolated (on a log
    frequency axis) at its centre instead, so the curve has no holes.

    Returns ``(centres, band_db)``: the geometric centre of each band in Hz and its level.
    """
    if int(n_bins) != n_bins or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}.")
    f, d = _check_spectrum(freqs, db)
    positive = f > 0
    if not positive.any():
        raise ValueError("log_bins needs at least one frequency above 0 Hz.")
    f, d = f[positive], d[positive]
    low = float(f[0]) if f_min is None else float(f_min)
    high = float(f[-1]) if f_max is None else float(f_max)
    if not 0 < low < high:
        raise ValueError(f"need 0 < f_min < f_max, got f_min={low!r}, f_max={high!r}.")
    edges = np.geomspace(low, high, int(n_bins) + 1)
    centres = np.sqrt(edges[:-1] * edges[1:])
    # Band of each bin; the top edge belongs to the last band.
    index = np.searchsorted(edges, f, side="right") - 1
    index[f == high] = n_bins - 1
    inside = (index >= 0) & (index < n_bins)
    band_db = np.full(n_bins, -np.inf)
    np.maximum.at(band_db, index[inside], d[inside])
    empty = np.isneginf(band_db)
    if empty.any():
        band_db[empty] = np.interp(np.log(centres[empty]), np.log(f), d)
    return centres, band_db


def spectral_peak(freqs: ArrayLike, db: ArrayLike) -> tuple[float, float]:
    """Frequency and level of the strongest tone in a :class:`Spectrum` result, between bins.

    A tone between two bins spreads over both and its highest bin reads up to 1.42 dB low
    (the Hann window's scalloping loss). For the Hann window the ratio of the two highest
    neighbouring magnitudes fixes the tone's position exactly, ``δ = (2b - a) / (a + b)`` bins
    from the highest bin toward the larger neighbour, and the window's known response at
    ``δ`` restores the level. Exact for one steady tone; other components in the same bins
    (a second tone, noise close to the tone's level) bias it. DC (the first bin) is skipped
    so an offset does not hide the tone.

    Returns ``(frequency_hz, level_dbfs)``.
    """
    f, d = _check_spectrum(freqs, db)
    if f.size < 3:
        raise ValueError("spectral_peak needs at least three bins.")
    k = 1 + int(np.argmax(d[1:]))
    if k == f.size - 1:
        return float(f[k]), float(d[k])
    a = 10.0 ** (d[k] / 20.0)
    left, right = 10.0 ** (d[k - 1] / 20.0), 10.0 ** (d[k + 1] / 20.0)
    direction, b = (1, right) if right >= left else (-1, left)
    delta = min(max((2.0 * b - a) / (a + b), 0.0), 0.5)
    # Normalised Hann response at delta bins from a tone: sinc(delta) / (1 - delta²).
    response = float(np.sinc(delta)) / (1.0 - delta * delta)
    step = f[k + 1] - f[k]
    return float(f[k] + direction * delta * step), float(dbfs(a / response))
