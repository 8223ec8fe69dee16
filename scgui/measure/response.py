"""Frequency response, harmonic distortion and impulse response of one path, from a log sweep.

Deconvolving a recorded exponential sweep (Farina's method, :mod:`scgui.measure.sweeps`)
puts the linear impulse response of a path at its delay and the impulse response of each
harmonic ``n`` a fixed time earlier, ``T * ln(n) / ln(f2 / f1)`` for a sweep of ``T``
seconds from ``f1`` to ``f2``. The linear one gives the magnitude response; each harmonic
one, read at ``n`` times the frequency, the level of that harmonic for an excitation at
the frequency: THD is their sum over the linear response. The staggered take leaves those
places free of other outputs' responses (see :func:`scgui.measure.sweeps.staggered_take`).

Pure NumPy: :func:`scgui.measure.routing_at_once.check_routing_at_once` gives it the
deconvolved recording.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .levels import FLOOR_DB, dbfs
from .sweeps import (
    SWEEP_BAND,
    PathResponses,
    StaggeredTake,
    Sweep,
    _guard,
    frequency_response,
    reference_window,
)

#: Frequencies at which THD is given by default, Hz (capped by the sweep's band).
THD_FREQUENCIES = (100.0, 1000.0, 5000.0)
#: Harmonics summed in THD: 2nd to 5th.
HARMONICS = (2, 3, 4, 5)
#: Points per octave of the magnitude response kept in a report.
POINTS_PER_OCTAVE = 6
#: Length of the impulse response kept in a report, s (from a guard before its peak).
IMPULSE_SECONDS = 0.005


@dataclass(frozen=True)
class PathResponse:
    """What one output -> input path does to a sweep.

    ``freqs_hz`` and ``magnitude_db`` are the magnitude response relative to a perfect
    path (0 dB: a wire), at :data:`POINTS_PER_OCTAVE` points per octave; ``thd_db`` maps a
    frequency to the THD there (dB re the fundamental, 2nd to 5th harmonic); ``impulse``
    is the start of the impulse response, ``impulse_start_ms`` its first sample's delay
    relative to the path's peak.
    """

    output: int
    input: int
    freqs_hz: tuple[float, ...]
    magnitude_db: tuple[float, ...]
    thd_db: dict[float, float]
    impulse: tuple[float, ...]
    impulse_start_ms: float
    samplerate: float

    @property
    def flatness_db(self) -> float:
        """Peak-to-peak ripple of the magnitude response, dB (0 for a wire)."""
        if not self.magnitude_db:
            return 0.0
        return float(max(self.magnitude_db) - min(self.magnitude_db))

    @property
    def band_hz(self) -> tuple[float, float]:
        """The band the magnitude response covers."""
        return (self.freqs_hz[0], self.freqs_hz[-1]) if self.freqs_hz else (0.0, 0.0)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready builtins."""
        return {
            "output": self.output,
            "input": self.input,
            "flatness_db": round(self.flatness_db, 4),
            "freqs_hz": [round(f, 2) for f in self.freqs_hz],
            "magnitude_db": [round(v, 4) for v in self.magnitude_db],
            "thd_db": {f"{f:g}": round(v, 2) for f, v in self.thd_db.items()},
            "impulse": [float(f"{v:.6g}") for v in self.impulse],
            "impulse_start_ms": round(self.impulse_start_ms, 4),
        }


def thd_range(samplerate: float) -> tuple[float, float]:
    """The frequencies THD can be given at: the 2nd harmonic must stay inside the sweep."""
    top = min(SWEEP_BAND[1], 0.45 * samplerate)
    return 2 * SWEEP_BAND[0], top / 2.5


def check_thd_frequencies(frequencies: Sequence[float], samplerate: float) -> tuple[float, ...]:
    """``frequencies`` as floats, or ValueError naming the usable range."""
    low, high = thd_range(samplerate)
    out = tuple(float(f) for f in frequencies)
    bad = [f for f in out if not (math.isfinite(f) and low <= f <= high)]
    if bad:
        raise ValueError(
            f"THD can be measured from {low:g} Hz to {high:g} Hz at {samplerate:g} Hz "
            f"(the harmonics must stay inside the sweep); {bad[0]:g} Hz is outside."
        )
    return out


def take_responses(
    take: StaggeredTake,
    paths: PathResponses,
    thd_frequencies: Sequence[float] = THD_FREQUENCIES,
) -> tuple[PathResponse, ...]:
    """The response of every path found in one staggered take (outputs numbered 0..n-1 in
    the take's order), with THD at ``thd_frequencies``."""
    if paths.full is None:
        return ()
    reference = reference_window(take)
    out = []
    for k, j in zip(*np.nonzero(paths.gain), strict=True):
        peak = take.starts[k] + round(float(paths.delay[k, j]))
        out.append(
            path_response(paths.full[:, j], peak, int(k), int(j), take, reference, thd_frequencies)
        )
    return tuple(out)


def harmonic_lead(sweep: Sweep, order: int) -> float:
    """How many frames before the linear response harmonic ``order``'s response lies."""
    return sweep.seconds * math.log(order) / math.log(sweep.f2 / sweep.f1) * sweep.samplerate


def smoothed_points(
    freqs: NDArray[np.float64], values_db: NDArray[np.float64], per_octave: int
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Average ``values_db`` (as power) in bands of ``1/per_octave`` octave: a plot's points."""
    if freqs.size == 0:
        return (), ()
    low, high = float(freqs[0]), float(freqs[-1])
    count = max(1, math.floor(per_octave * math.log2(high / low)))
    edges = low * 2.0 ** (np.arange(count + 1) / per_octave)
    out_f: list[float] = []
    out_v: list[float] = []
    power = 10.0 ** (values_db / 10.0)
    for a, b in itertools.pairwise(edges):
        inside = (freqs >= a) & (freqs < b)
        if np.any(inside):
            out_f.append(float(math.sqrt(a * b)))
            out_v.append(float(10.0 * np.log10(np.mean(power[inside]))))
    return tuple(out_f), tuple(out_v)


def path_response(
    full: NDArray[np.floating],
    peak: int,
    output: int,
    input_: int,
    take: StaggeredTake,
    reference: NDArray[np.floating],
    thd_frequencies: Sequence[float] = THD_FREQUENCIES,
) -> PathResponse:
    """The response of one path from the full-band deconvolved recording of its input.

    ``peak`` is the frame of the path's linear response in ``full`` (a 1-D column);
    ``reference`` the perfect path's window (:func:`scgui.measure.sweeps.reference_window`),
    cut from a guard before the peak like the path's own.
    """
    sweep = take.sweep
    rate = sweep.samplerate
    guard = _guard(take)
    window = take.stagger
    # Only the stretch around the path matters: from before its farthest harmonic to the
    # end of its window (and the pilot's residue reaches into it from the left).
    lo = max(0, peak - round(harmonic_lead(sweep, HARMONICS[-1])) - window)
    full = np.asarray(full[lo : peak + window + guard], dtype=np.float64)
    peak -= lo
    pilot = peak + lo - take.starts[output] - lo
    linear = _cut(full, peak - guard, window)
    freqs, magnitude = frequency_response(linear, reference, take)
    points = smoothed_points(freqs, magnitude, POINTS_PER_OCTAVE)
    residue = _linear_residue(linear, reference, take, full.shape[0], peak, pilot)
    thd = {
        float(f): _thd_at(full, full - residue, peak, float(f), take, reference)
        for f in thd_frequencies
        if 2 * sweep.f1 <= f <= sweep.f2 / 2.5
    }
    length = round(IMPULSE_SECONDS * rate)
    start = round(0.001 * rate)
    impulse = _cut(full, peak - start, length)
    return PathResponse(
        output=output,
        input=input_,
        freqs_hz=points[0],
        magnitude_db=points[1],
        thd_db=thd,
        impulse=tuple(float(v) for v in impulse),
        impulse_start_ms=-start * 1000.0 / rate,
        samplerate=rate,
    )


def _linear_residue(
    linear: NDArray[np.float64],
    reference: NDArray[np.floating],
    take: StaggeredTake,
    frames: int,
    peak: int,
    pilot: int,
) -> NDArray[np.float64]:
    """What the path's linear response leaves where the harmonics are looked for.

    A finite sweep deconvolves to a peak with a faint residue spread before and after it;
    the path's own (its gain times a perfect path's, for the output's sweep and for the
    pilot that came before it, whose peak is at ``pilot``) is taken off, so that THD is
    the harmonics' and not the method's.
    """
    ref = np.asarray(reference, dtype=np.float64)
    gain = float(np.dot(linear, ref) / max(float(np.dot(ref, ref)), 1e-30))
    sweep = take.sweep
    wide = sweep.perfect_wide
    out = np.zeros(frames)
    for at, scale in ((peak, 1.0), (pilot, 1.0 / math.sqrt(take.outputs))):
        # the perfect response's peak (its index sweep.frames) lands on ``at``
        out += gain * scale * _cut(wide, sweep.frames - at, frames)
    return out


def _cut(column: NDArray[np.floating], start: int, length: int) -> NDArray[np.float64]:
    """``length`` frames from ``start`` (zeros where that is outside the column)."""
    out = np.zeros(length)
    lo, hi = max(0, start), min(column.shape[0], start + length)
    if hi > lo:
        out[lo - start : hi - start] = column[lo:hi]
    return out


def _thd_at(
    full: NDArray[np.floating],
    cleaned: NDArray[np.floating],
    peak: int,
    frequency: float,
    take: StaggeredTake,
    reference: NDArray[np.floating],
) -> float:
    """THD (2nd to 5th harmonic) at ``frequency``, dB re the fundamental there.

    The fundamental is read from ``full``, the harmonics from ``cleaned`` (the linear
    response's residue taken off)."""
    sweep = take.sweep
    rate = sweep.samplerate
    n = 1 << max(8, math.ceil(math.log2(rate / 20.0)))  # 20 Hz or finer resolution
    half = n // 2
    ideal = np.abs(np.fft.rfft(reference, n))
    bins = np.fft.rfftfreq(n, 1.0 / rate)

    def level(order: int) -> float:
        centre = peak - round(harmonic_lead(sweep, order)) if order > 1 else peak
        # Each harmonic's response is short: cut it with room either side, no further
        # than halfway to the next one's.
        if order > 1:
            room = round(0.5 * (harmonic_lead(sweep, order) - harmonic_lead(sweep, order - 1)))
        else:
            room = round(0.5 * harmonic_lead(sweep, 2))
        room = max(8, min(room, half))
        piece = _cut(cleaned if order > 1 else full, centre - room, 2 * room)
        spectrum = np.abs(np.fft.rfft(piece, n))
        at = order * frequency
        index = int(np.argmin(np.abs(bins - at)))
        # relative to a perfect path at the fundamental's frequency
        base = int(np.argmin(np.abs(bins - frequency)))
        return float(spectrum[index] / max(ideal[base], 1e-30))

    fundamental = level(1)
    harmonics = math.sqrt(sum(level(k) ** 2 for k in HARMONICS if k * frequency < rate / 2))
    if fundamental <= 0:
        return FLOOR_DB
    return float(dbfs(np.array([harmonics / fundamental]), FLOOR_DB)[0])
