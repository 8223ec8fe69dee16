"""Exponential sweeps: every output in one take, and impulse responses by deconvolution.

An exponential (log) sweep played through a path and convolved with its inverse filter gives
the path's impulse response (Farina's method): the linear response gathers into one peak at
the path's delay, harmonic distortion lands *before* it, and noise spreads thin. Playing the
same sweep on every output, each one started a fixed *stagger* after the previous one (the
multiple exponential sweep method), puts output ``k``'s response ``k`` staggers later in the
deconvolved recording of every input, so one take measures every path: level (peak height),
polarity (its sign) and delay, to the sample, all on the one clock of the one take. Skew
between outputs is therefore exact, where one take per output would add each take's timing.

A *pilot* sweep on every output at once comes first, and no output's own sweep starts until
:data:`PILOT_REACH_SECONDS` later: whatever arrives before that is the pilot, which fixes
the base latency of the whole take without knowing which outputs are connected, and so
where each output's window lies. The sweep's length is chosen so that the harmonic
distortion products of every output fall between the windows, not in them.

Pure NumPy, no audio: :func:`scgui.measure.runs.check_routing` plays and records it.
"""

from __future__ import annotations

import functools
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .levels import FLOOR_DB, dbfs

#: Band of the sweep, Hz (capped below Nyquist).
SWEEP_BAND = (20.0, 20000.0)
#: Most threads an analysis transforms columns on.
_FFT_THREADS = 4
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

    @functools.cached_property
    def perfect_responses(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """(full-band, detection-band unscaled) response of a perfect path, with room before
        its peak: what measured responses are scaled by. Worked out once per sweep."""
        pad = round(0.01 * self.samplerate)  # room for the response's left half
        padded = np.concatenate([np.zeros(pad), self.signal, np.zeros(self.frames)])
        full, _ = _deconvolve(padded, self)
        n = _fft_size(full.shape[0])
        limited = np.fft.irfft(np.fft.rfft(full[:, 0], n) * _detection_taper(n, self), n)
        return full[:, 0], limited[: full.shape[0]]

    @functools.cached_property
    def perfect_wide(self) -> NDArray[np.float64]:
        """A perfect path's full-band response with its peak at index :attr:`frames`: what a
        linear path leaves before and after its peak (the sweep's own band-edge residue)."""
        padded = np.concatenate([np.zeros(self.frames), self.signal, np.zeros(self.frames)])
        return _deconvolve(padded, self)[0][:, 0]


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
    """(full-band responses, and with ``taper`` the detection-band ones) from one transform.

    Groups of columns are transformed on threads of their own (NumPy's FFT runs without
    the interpreter lock): on two cores a 32-input take is analysed in about half the time.
    """
    data = np.asarray(recording, dtype=np.float64)
    if data.ndim == 1:
        data = data[:, None]
    frames, columns = data.shape
    n = _fft_size(frames + sweep.inverse.size - 1)
    inverse = np.fft.rfft(sweep.inverse, n)
    band = _detection_taper(n, sweep) / _detection_scale(sweep) if taper else None
    start = sweep.inverse.size - 1
    full = np.empty((frames, columns))
    limited = np.empty((frames, columns)) if taper else None

    def transform(group: slice) -> None:
        spectrum = np.fft.rfft(data[:, group], n, axis=0) * inverse[:, None]
        full[:, group] = np.fft.irfft(spectrum, n, axis=0)[start : start + frames]
        if band is not None and limited is not None:
            spectrum *= band[:, None]
            limited[:, group] = np.fft.irfft(spectrum, n, axis=0)[start : start + frames]

    workers = max(1, min(columns, os.cpu_count() or 1, _FFT_THREADS))
    if workers == 1:
        transform(slice(0, columns))
    else:
        size = math.ceil(columns / (2 * workers))  # small groups also fit the cache better
        groups = [slice(a, min(columns, a + size)) for a in range(0, columns, size)]
        with ThreadPoolExecutor(workers, thread_name_prefix="scgui-fft") as pool:
            list(pool.map(transform, groups))
    return full, limited


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


#: Longest round trip a take allows for, s: the pilot is looked for only before output 0's
#: sweep starts, so that nothing else can be taken for it.
PILOT_REACH_SECONDS = 0.3
#: Where a window looks for a path, around the take's base latency: from ``GUARD`` before
#: (a path faster than the earliest the pilot showed; the response's own width) to
#: ``REACH`` after (the skew a path may have).
GUARD_SECONDS, REACH_SECONDS = 0.005, 0.015
#: Harmonic distortion products (2nd to 5th) are kept out of every window by the choice of
#: the sweep's length, with this much room.
HARMONICS, HARMONIC_MARGIN_SECONDS = range(2, 6), 0.002


def harmonic_offsets(sweep_seconds: float, f1: float, f2: float) -> list[float]:
    """How much earlier than the linear response each harmonic (2nd..5th) arrives, s."""
    rate = math.log(f2 / f1)
    return [sweep_seconds * math.log(n) / rate for n in HARMONICS]


def _clear_of_harmonics(sweep_seconds: float, stagger: float, f1: float, f2: float) -> bool:
    """Whether no harmonic of any output lands in any output's window."""
    low, high = -GUARD_SECONDS - HARMONIC_MARGIN_SECONDS, REACH_SECONDS + HARMONIC_MARGIN_SECONDS
    for offset in harmonic_offsets(sweep_seconds, f1, f2):
        # Output k + m's harmonic lands at m * stagger - offset from output k's response.
        residue = (-offset) % stagger
        if residue <= high or residue - stagger >= low:
            return False
    return True


def staggered_take(
    outputs: int,
    samplerate: float,
    *,
    sweep_seconds: float = 0.5,
    stagger_seconds: float = 0.05,
    level_db: float = -20.0,
) -> StaggeredTake:
    """Lay out a take that measures ``outputs`` outputs at once (see the module docstring).

    The sweep is made the shortest at least ``sweep_seconds`` long whose harmonics (2nd to
    5th) of every output land between the windows of the others, not in them. The pilot
    comes first; output 0's sweep starts :data:`PILOT_REACH_SECONDS` plus a stagger later.
    """
    if outputs < 1:
        raise ValueError("at least one output is needed.")
    if stagger_seconds < 2 * (GUARD_SECONDS + REACH_SECONDS):
        raise ValueError(f"the stagger must be at least {2 * (GUARD_SECONDS + REACH_SECONDS)} s.")
    f1, f2 = SWEEP_BAND[0], min(SWEEP_BAND[1], 0.45 * samplerate)
    length = sweep_seconds
    while not _clear_of_harmonics(length, stagger_seconds, f1, f2):
        length += 0.001
        if length > 4 * sweep_seconds:
            raise ValueError("no sweep length keeps the harmonics out of the windows.")
    sweep = exp_sweep(length, samplerate, level_db)
    stagger = round(stagger_seconds * samplerate)
    first = round(PILOT_REACH_SECONDS * samplerate) + stagger
    starts = tuple(first + k * stagger for k in range(outputs))
    return StaggeredTake(sweep, stagger, outputs, starts)


def _guard(take: StaggeredTake) -> int:
    """Frames a window starts before the base latency (see :data:`GUARD_SECONDS`)."""
    return round(GUARD_SECONDS * take.sweep.samplerate)


def _reach(take: StaggeredTake) -> int:
    return round(REACH_SECONDS * take.sweep.samplerate)


@dataclass(frozen=True)
class PathResponses:
    """Every output -> input path of one staggered take."""

    gain: NDArray[np.float64]  # outputs x inputs, linear, signed (polarity)
    delay: NDArray[np.float64]  # outputs x inputs, frames from the output's sweep start
    base: int | None  # frames from the recording's start to the pilot's first response
    #: outputs x window x inputs: each path's full-band response, its peak ``_guard`` frames
    #: into the window (as :func:`reference_window` cuts a perfect path's)
    impulses: NDArray[np.float64]
    #: per input: the strongest detection-band response where only the pilot can arrive
    #: (before output 0's window); what a take's paths into that input must account for
    pilot_peak: NDArray[np.float64]
    #: the strongest detection-band response anywhere in the recording
    loudest: float
    #: frames x inputs: the whole deconvolved recording (full band), for each path's
    #: harmonic distortion (:mod:`scgui.measure.response`)
    full: NDArray[np.float64] | None = None

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
    return float(np.max(np.abs(sweep.perfect_responses[1])))


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
    guard, reach = _guard(take), _reach(take)
    window = take.stagger  # the full-band cut, for the frequency response
    gain = np.zeros((take.outputs, inputs))
    delay = np.full((take.outputs, inputs), np.nan)
    cut = np.zeros((take.outputs, window, inputs))
    # Only the pilot arrives before output 0's window.
    pilot_span = np.abs(found_in[: max(1, take.starts[0] - guard)])
    pilot_peak = np.max(pilot_span, axis=0)
    loudest = float(np.max(np.abs(found_in))) if found_in.size else 0.0
    base = _pilot(pilot_span, guard, threshold)
    if base is None:
        return PathResponses(gain, delay, None, cut, pilot_peak, loudest, full)
    spread = max(1, round(0.001 * take.sweep.samplerate))  # +-1 ms: the response's energy
    scale = _energy_scale(take, spread)
    for k, start in enumerate(take.starts):
        begin = max(0, start + base - guard)
        piece = found_in[begin : begin + guard + reach]
        if piece.shape[0] < 3:
            continue
        for j in range(inputs):
            column = piece[:, j]
            peak = int(np.argmax(np.abs(column)))
            value = column[peak]
            if abs(value) < threshold:
                continue
            # Gain from the energy around the peak (the same for any fractional delay), sign
            # from the peak; delay from a parabola through the peak and its neighbours.
            around = found_in[max(0, begin + peak - spread) : begin + peak + spread + 1, j]
            gain[k, j] = math.copysign(math.sqrt(float(np.sum(around * around)) / scale), value)
            delay[k, j] = begin + peak + _vertex(column, peak) - start
            first = begin + peak - guard
            if first >= 0:
                piece_j = full[first : first + window, j]
                cut[k, : piece_j.shape[0], j] = piece_j
    return PathResponses(gain, delay, base, cut, pilot_peak, loudest, full)


def _pilot(pilot_span: NDArray[np.float64], guard: int, threshold: float) -> int | None:
    """The base latency: the pilot's earliest strong response in ``pilot_span`` (``|x|``
    before output 0's sweep starts: nothing else arrives there, harmonics of the pilot come
    earlier and weaker). None when nothing came back that early."""
    level = np.max(pilot_span, axis=1)
    peak = int(np.argmax(level))
    if level[peak] < threshold:
        return None
    # The earliest input's response, within a guard before the strongest one.
    near = level[max(0, peak - guard) : peak + 1]
    strong = np.flatnonzero(near >= level[peak] * 10 ** (-20 / 20))
    return max(0, peak - guard) + int(strong[0])


def _vertex(column: NDArray[np.float64], peak: int) -> float:
    """Sub-sample offset of the peak of ``|column|``: the vertex of a parabola, in -0.5..0.5."""
    if peak == 0 or peak == column.size - 1:
        return 0.0
    a, b, c = (abs(float(column[peak + d])) for d in (-1, 0, 1))
    denominator = a - 2 * b + c
    if denominator == 0:
        return 0.0
    offset = max(-0.5, min(0.5, 0.5 * (a - c) / denominator))
    return round(offset, 4)  # a symmetric peak gives 0 exactly, not rounding noise


def _energy_scale(take: StaggeredTake, spread: int) -> float:
    """Energy of a perfect path's band-limited response within ``spread`` of its peak."""
    column = take.sweep.perfect_responses[1] / _detection_scale(take.sweep)
    peak = int(np.argmax(np.abs(column)))
    around = column[max(0, peak - spread) : peak + spread + 1]
    return float(np.sum(around * around))


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
