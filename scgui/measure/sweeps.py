"""Exponential sweeps: every output in one take, and impulse responses by deconvolution.

An exponential (log) sweep played through a path and convolved with its inverse filter gives
the path's impulse response (Farina's method): the linear response gathers into one peak at
the path's delay, harmonic distortion lands *before* it, and noise spreads thin. Playing the
same sweep on every output, each one started a fixed *stagger* after the previous one (the
multiple exponential sweep method), puts output ``k``'s response ``k`` staggers later in the
deconvolved recording of every input, so one take measures every path: level (peak height),
polarity (its sign) and delay, to the sample, all on the one clock of the one take. Skew
between outputs is therefore exact, where one take per output would add each take's timing.

A *pilot* sweep on every output at once comes first: the earliest response in the take is
always the pilot's, which fixes the base latency of the whole take without knowing which
outputs are connected, and so where each output's window lies.

Pure NumPy, no audio: :func:`scgui.measure.runs.check_routing` plays and records it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .levels import FLOOR_DB, dbfs

#: Band of the sweep, Hz (capped below Nyquist).
SWEEP_BAND = (20.0, 20000.0)
#: Fade at each end of the sweep, s: no click from a sudden start or stop.
FADE_SECONDS = 0.01


def _fft_size(n: int) -> int:
    """The smallest size of at least ``n`` with no prime factor above 5 (fast for pocketfft;
    up to 1.7 times smaller than the next power of two)."""
    best = 1 << max(1, (n - 1).bit_length())
    power5 = 1
    while power5 < best:
        power35 = power5
        while power35 < best:
            size = power35
            while size < n:
                size *= 2
            best = min(best, size)
            power35 *= 3
        power5 *= 5
    return best


@dataclass(frozen=True)
class Sweep:
    """One exponential sweep and the inverse filter that turns it into an impulse."""

    signal: NDArray[np.float64]
    inverse: NDArray[np.float64]
    samplerate: float
    f1: float
    f2: float

    @property
    def frames(self) -> int:
        return int(self.signal.size)

    @property
    def seconds(self) -> float:
        return self.frames / self.samplerate


def exp_sweep(
    seconds: float,
    samplerate: float,
    level_db: float = -20.0,
    band: tuple[float, float] = SWEEP_BAND,
) -> Sweep:
    """A log sweep over ``band`` at ``level_db`` peak dBFS, and its normalised inverse.

    The inverse is the sweep reversed in time with a -6 dB/octave envelope (so that every
    octave gets the same energy back), scaled so that sweep convolved with inverse peaks at
    exactly 1: a deconvolved path of gain ``g`` then peaks at ``g``.
    """
    if not (seconds > 0 and samplerate > 0 and math.isfinite(seconds)):
        raise ValueError("a sweep needs a positive length and sample rate.")
    f1 = band[0]
    f2 = min(band[1], 0.45 * samplerate)
    if not 0 < f1 < f2:
        raise ValueError(f"the band {band!r} does not fit below Nyquist at {samplerate:g} Hz.")
    frames = round(seconds * samplerate)
    t = np.arange(frames) / samplerate
    rate = math.log(f2 / f1)
    phase = 2 * math.pi * f1 * seconds / rate * (np.exp(t * rate / seconds) - 1.0)
    signal = np.sin(phase)
    fade = min(frames // 4, round(FADE_SECONDS * samplerate))
    if fade > 0:
        ramp = 0.5 - 0.5 * np.cos(np.linspace(0.0, math.pi, fade))
        signal[:fade] *= ramp
        signal[-fade:] *= ramp[::-1]
    signal *= 10.0 ** (level_db / 20.0)
    inverse = signal[::-1] * np.exp(-t * rate / seconds)
    peak = np.max(np.abs(_convolve(signal, inverse)))
    return Sweep(signal, inverse / peak, float(samplerate), f1, f2)


def _convolve(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    n = _fft_size(a.size + b.size - 1)
    out = np.fft.irfft(np.fft.rfft(a, n) * np.fft.rfft(b, n), n)
    return out[: a.size + b.size - 1]


def deconvolve(recording: NDArray[np.floating], sweep: Sweep) -> NDArray[np.float64]:
    """Impulse responses of every recorded column: ``frames x inputs``.

    Index ``i`` of the result is a delay of ``i`` frames from the start of the recording
    (the inverse filter's own length is taken off).
    """
    return _deconvolve(recording, sweep)[0]


def _deconvolve(
    recording: NDArray[np.floating], sweep: Sweep, taper: bool = False
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """(full-band responses, and with ``taper`` the detection-band ones) from one transform."""
    data = np.asarray(recording, dtype=np.float64)
    if data.ndim == 1:
        data = data[:, None]
    frames = data.shape[0]
    n = _fft_size(frames + sweep.inverse.size - 1)
    spectrum = np.fft.rfft(data, n, axis=0) * np.fft.rfft(sweep.inverse, n)[:, None]
    start = sweep.inverse.size - 1
    full = np.fft.irfft(spectrum, n, axis=0)[start : start + frames]
    if not taper:
        return full, None
    band = _detection_taper(n, sweep)
    spectrum *= band[:, None]
    limited = np.fft.irfft(spectrum, n, axis=0)[start : start + frames]
    return full, limited / _detection_scale(sweep)


@dataclass(frozen=True)
class StaggeredTake:
    """What to play on each output for one all-outputs take, and where to look afterwards."""

    sweep: Sweep
    stagger: int  # frames between the responses of consecutive outputs
    outputs: int
    #: Frame at which each output's own sweep starts (the pilot, on all outputs, at 0).
    starts: tuple[int, ...]

    @property
    def frames(self) -> int:
        """Length of the played signal."""
        return self.starts[-1] + self.sweep.frames if self.starts else self.sweep.frames

    def signals(self) -> NDArray[np.float32]:
        """``frames x outputs``: the pilot on every output, then each output's own sweep."""
        out = np.zeros((self.frames, self.outputs), dtype=np.float64)
        pilot = self.sweep.signal / math.sqrt(self.outputs)  # the sum stays below full scale
        out[: self.sweep.frames] += pilot[:, None]
        for k, start in enumerate(self.starts):
            out[start : start + self.sweep.frames, k] += self.sweep.signal
        return out.astype(np.float32)


def staggered_take(
    outputs: int,
    samplerate: float,
    *,
    sweep_seconds: float = 0.5,
    stagger_seconds: float = 0.05,
    level_db: float = -20.0,
) -> StaggeredTake:
    """Lay out a take that measures ``outputs`` outputs at once (see the module docstring).

    The pilot's responses come first; output ``k``'s sweep starts ``(k + 2)`` staggers after
    it (a one-stagger gap keeps the pilot's tail out of output 0's window).
    """
    if outputs < 1:
        raise ValueError("at least one output is needed.")
    sweep = exp_sweep(sweep_seconds, samplerate, level_db)
    stagger = round(stagger_seconds * samplerate)
    starts = tuple((k + 2) * stagger for k in range(outputs))
    return StaggeredTake(sweep, stagger, outputs, starts)


#: Frames from a band-limited response's first crossing of -60 dB to its peak (about).
_PEAK_HALF_WIDTH = 0


def _guard(take: StaggeredTake) -> int:
    """Frames a window starts before the base latency: 5 ms, where a neighbour's response
    has died down below -80 dB (a path may also come a little earlier than the pilot's
    earliest response showed)."""
    return min(take.stagger // 4, round(0.005 * take.sweep.samplerate))


@dataclass(frozen=True)
class PathResponses:
    """Every output -> input path of one staggered take."""

    gain: NDArray[np.float64]  # outputs x inputs, linear, signed (polarity)
    delay: NDArray[np.float64]  # outputs x inputs, frames from the output's sweep start
    base: int | None  # frames from the recording's start to the pilot's first response
    #: outputs x window x inputs: each path's full-band response, its peak ``_guard`` frames
    #: into the window (as :func:`reference_window` cuts a perfect path's)
    impulses: NDArray[np.float64]

    @property
    def gain_db(self) -> NDArray[np.float64]:
        return dbfs(self.gain, FLOOR_DB)


#: Lower edge of the band in which paths are found and measured, Hz. Below it a response
#: rings for tens of milliseconds (a 20 Hz cycle is 50 ms), into the next output's window;
#: from 1 kHz up it has died down below -80 dB within 5 ms.
DETECT_LOW_HZ = 1000.0


def _detection_taper(n: int, sweep: Sweep) -> NDArray[np.float64]:
    """Zero-phase band taper for an FFT of size ``n``: 1 kHz .. f2/1.5, raised-cosine edges."""
    f = np.fft.rfftfreq(n, 1.0 / sweep.samplerate)
    taper = np.ones_like(f)
    low_a, low_b = DETECT_LOW_HZ / 2, DETECT_LOW_HZ
    high_c, high_d = sweep.f2 / 1.5, sweep.f2
    taper[f <= low_a] = 0.0
    rise = (f > low_a) & (f < low_b)
    taper[rise] = 0.5 - 0.5 * np.cos(np.pi * (f[rise] - low_a) / (low_b - low_a))
    taper[f >= high_d] = 0.0
    fall = (f > high_c) & (f < high_d)
    taper[fall] = 0.5 + 0.5 * np.cos(np.pi * (f[fall] - high_c) / (high_d - high_c))
    return taper


def _detection_scale(sweep: Sweep) -> float:
    """The detection-band peak of a perfect path: what a band-limited response is divided by,
    so that a path of gain ``g`` still peaks at ``g``."""
    pad = round(0.01 * sweep.samplerate)  # room for the response's left half
    padded = np.concatenate([np.zeros(pad), sweep.signal, np.zeros(sweep.frames)])
    full, _ = _deconvolve(padded, sweep)
    n = _fft_size(full.shape[0])
    taper = _detection_taper(n, sweep)
    return float(np.max(np.abs(np.fft.irfft(np.fft.rfft(full[:, 0], n) * taper, n))))


def analyse_take(
    take: StaggeredTake, recording: NDArray[np.floating], detect_db: float = -60.0
) -> PathResponses:
    """Find every path's response in ``recording`` (made while ``take`` played).

    Paths are found and measured in the detection band (:data:`DETECT_LOW_HZ` up), where a
    response is a few samples wide: the pilot's earliest response above ``detect_db`` is the
    base latency; output ``k``'s window starts at its sweep start plus the base, less a guard
    (:func:`_guard`) for paths faster than the earliest one seen and for the response's
    width. A path whose peak stays below ``detect_db`` has gain 0 and no delay (NaN).
    ``impulses`` keeps each path's full-band response, for its frequency response.
    """
    full, limited = _deconvolve(recording, take.sweep, taper=True)
    assert limited is not None
    found_in = limited
    inputs = full.shape[1]
    threshold = 10.0 ** (detect_db / 20.0)
    window = take.stagger
    gain = np.zeros((take.outputs, inputs))
    delay = np.full((take.outputs, inputs), np.nan)
    cut = np.zeros((take.outputs, window, inputs))
    pilot_span = min(found_in.shape[0], 2 * take.stagger)
    loud = np.flatnonzero(np.max(np.abs(found_in[:pilot_span]), axis=1) >= threshold)
    if loud.size == 0:
        # Nothing came back within the pilot's reach (a longer latency?): look everywhere.
        loud = np.flatnonzero(np.max(np.abs(found_in), axis=1) >= threshold)
        if loud.size == 0:
            return PathResponses(gain, delay, None, cut)
    base = int(loud[0]) + _PEAK_HALF_WIDTH  # the threshold is crossed just before the peak
    guard = _guard(take)
    for k, start in enumerate(take.starts):
        begin = max(0, start + base - guard)
        piece = found_in[begin : begin + window]
        if piece.shape[0] == 0:
            continue
        peaks = np.argmax(np.abs(piece), axis=0)
        values = piece[peaks, np.arange(inputs)]
        found = np.abs(values) >= threshold
        gain[k] = np.where(found, values, 0.0)
        delay[k] = np.where(found, begin + peaks - start, np.nan)
        for j in range(inputs):
            # Each path's full-band response, cut as the perfect one is: peak at the guard.
            first = begin + int(peaks[j]) - guard
            if first >= 0:
                piece_j = full[first : first + window, j]
                cut[k, : piece_j.shape[0], j] = piece_j
    return PathResponses(gain, delay, base, cut)


def reference_window(take: StaggeredTake) -> NDArray[np.float64]:
    """The response of a perfect path (gain 1, no delay) cut as :func:`analyse_take` cuts
    every path's: what a path's response is divided by to give its frequency response."""
    guard = _guard(take)
    padded = np.concatenate([np.zeros(guard), take.sweep.signal, np.zeros(take.stagger)])
    return deconvolve(padded, take.sweep)[: take.stagger, 0]


def frequency_response(
    impulse: NDArray[np.floating], reference: NDArray[np.floating], take: StaggeredTake
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(frequencies, dB) of one path relative to a perfect one, inside the sweep's band.

    Dividing by the perfect path's response takes the sweep's own band edges and fades out,
    so a wire reads 0 dB everywhere and a gain or a filter reads as what it is.
    """
    n = _fft_size(max(impulse.size, 2))
    rate = take.sweep.samplerate
    path = np.abs(np.fft.rfft(impulse, n))
    ideal = np.abs(np.fft.rfft(reference, n))
    freqs = np.fft.rfftfreq(n, 1.0 / rate)
    # Well inside the band: at its very edges the sweep has almost no energy.
    inside = (freqs >= 2 * take.sweep.f1) & (freqs <= take.sweep.f2 / 1.25)
    ratio = path[inside] / np.maximum(ideal[inside], 1e-30)
    return np.asarray(freqs[inside], dtype=np.float64), dbfs(ratio, FLOOR_DB)
