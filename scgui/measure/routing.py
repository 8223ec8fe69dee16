"""Routing detection: which input channels receive which output channel, and is that right?

Pure NumPy: this module only looks at arrays. :mod:`scgui.measure.runs` plays and records
through the sound card and hands the arrays to :func:`detect_routing`; tests hand it synthetic
ones.

How a path is measured
----------------------
For a played signal ``x`` (one output channel) and a recorded input ``y``, the normalised
cross-correlation ``c(τ) = Σ x[n]·y[n+τ] / Σ x[n]²`` is computed for every lag ``τ ≥ 0`` with
one FFT. If the input carries ``g·x`` delayed by ``d`` samples, ``c(d) = g`` exactly: the peak
of ``|c|`` gives the **delay** (its lag), the **polarity** (its sign) and the **gain** (its
value, the least-squares gain of the path), all from the same number. The peak is refined by
a parabola through its neighbours, which is exact for whole-sample delays (the digital and
virtual paths) and keeps fractional delays of analogue paths within a fraction of a dB.
Levels are in dB relative to what was played (0 dB: it arrives as loud as it left); an input
that carries nothing reads :data:`~scgui.measure.levels.FLOOR_DB`.

How a channel is judged (:class:`Thresholds`, all adjustable)
-------------------------------------------------------------
An output channel *arrives* on an input when its level there is at least ``detect_db``
(default -40 dB: a hundredth of the amplitude; a real connection reads near 0 dB, a channel
that is not connected reads at the noise floor, far below). Against the expected input:

``missing``
    it arrives on no input at all (wanted somewhere or not: a channel expected nowhere that
    arrives nowhere is a ``pass``).
``wrong``
    it arrives, but not on the expected input, or louder on another input than on the
    expected one, or somewhere although it was expected nowhere.
``crosstalk``
    it arrives on the expected input (the strongest arrival), and also on another input at a
    level at most ``crosstalk_db`` (default -40 dB) below the expected path and above
    ``floor_db`` (default -80 dB re played, below which a number is measurement noise).
``pass``
    it arrives on the expected input and nowhere else.

Two things are reported as warnings, not statuses, because only the technician knows if they
matter: a level on the expected input more than ``level_tolerance_db`` (3 dB) away from
``expected_gain_db`` (0 dB: a unity-gain loop), and an inverted polarity.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..channel_text import (
    NOWHERE_WORDS,
    channel_label,
    format_channel_number,
    parse_routing_list,
    shown_name,
)
from .levels import FLOOR_DB, dbfs
from .response import PathResponse

__all__ = [
    "ChannelResult",
    "Expectation",
    "RoutingMatrix",
    "RoutingReport",
    "Status",
    "Thresholds",
    "classify",
    "correlate",
    "detect_routing",
    "expectation_from_map",
    "expectation_from_spec",
    "find_arrivals",
    "identity_expectation",
    "load_expectation",
    "reverse_expectation",
]

Expectation = dict[int, int | None]
"""Output channel -> the input channel it should arrive on, or None: it should arrive nowhere.

An output that is tested but not in the mapping is expected nowhere.
"""

_NOWHERE = {"", "-", "none", "null", "nowhere"}


class Status(str, Enum):
    """The verdict on one output channel (see the module docstring for the rules)."""

    PASS = "pass"
    WRONG = "wrong"
    MISSING = "missing"
    CROSSTALK = "crosstalk"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Thresholds:
    """The limits :func:`classify` judges by; all in dB.

    Attributes
    ----------
    detect_db:
        An output arrives on an input when its level there, relative to what was played, is
        at least this.
    crosstalk_db:
        Another input counts as crosstalk when its level is at least this much relative to the
        level on the expected input (-40: less than 40 dB below the wanted path)...
    floor_db:
        ...and at least this relative to what was played: quieter is measurement noise.
    expected_gain_db, level_tolerance_db:
        The level the expected path should have, and how far from it it may be before a
        warning. They never change the status.
    """

    detect_db: float = -40.0
    crosstalk_db: float = -40.0
    floor_db: float = -80.0
    expected_gain_db: float = 0.0
    level_tolerance_db: float = 3.0

    def __post_init__(self) -> None:
        if self.floor_db > self.detect_db:
            raise ValueError("floor_db must not be above detect_db.")
        if self.crosstalk_db >= 0:
            raise ValueError("crosstalk_db is relative to the wanted path and must be negative.")
        if self.level_tolerance_db < 0:
            raise ValueError("level_tolerance_db must not be negative.")


# ---------------------------------------------------------------------------- detection


def _as_signal(played: ArrayLike) -> NDArray[np.float64]:
    x = np.asarray(played, dtype=np.float64)
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"a played signal must be 1-D and not empty, got shape {x.shape}.")
    return x


def _as_recording(recording: ArrayLike) -> NDArray[np.float64]:
    y = np.asarray(recording, dtype=np.float64)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2:
        raise ValueError(f"a recording must be frames x inputs, got shape {y.shape}.")
    return y


def _fft_size(n: int) -> int:
    """A fast FFT length of at least ``n``: the next power of two, or 3·2^k when smaller."""
    power = 1 << max(0, (n - 1).bit_length())
    three = 3 * (power // 4)
    return three if three >= n else power


def correlate(played: ArrayLike, recording: ArrayLike) -> NDArray[np.float64]:
    """Normalised cross-correlation of ``played`` with every column of ``recording``.

    Returns ``lags x inputs`` with ``lags = len(recording)``: row ``τ`` is
    ``Σ x[n]·y[n+τ] / Σ x[n]²``, so a copy of ``x`` with gain ``g`` starting at frame ``τ``
    reads ``g`` there. Lags where ``x`` runs past the end of the recording use the part that
    is there. Computed with one real FFT per column (``O(n log n)``); zero-padded, so there is
    no circular wrap-around. A silent ``played`` signal gives zeros.
    """
    x = _as_signal(played)
    y = _as_recording(recording)
    frames = y.shape[0]
    if frames == 0:
        return np.zeros((0, y.shape[1]))
    energy = float(np.dot(x, x))
    if energy == 0.0:
        return np.zeros(y.shape)
    size = _fft_size(frames + x.size - 1)
    spectrum_x = np.conj(np.fft.rfft(x, size))
    spectrum_y = np.fft.rfft(y, size, axis=0)
    corr = np.fft.irfft(spectrum_y * spectrum_x[:, None], size, axis=0)[:frames]
    return corr / energy


def find_arrivals(
    played: ArrayLike, recording: ArrayLike, *, max_lag: int | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Gain and delay of ``played`` in each column of ``recording``.

    Returns ``(gain, delay)``, one value per input: ``gain`` is signed (negative: inverted
    polarity; 0: nothing at all), ``delay`` is in samples from the recording's first frame,
    with a sub-sample part from parabolic interpolation of the correlation peak (exactly 0
    for whole-sample delays). Only lags ``0..max_lag`` are searched when ``max_lag`` is
    given.
    """
    corr = correlate(played, recording)
    if max_lag is not None:
        corr = corr[: max(1, int(max_lag) + 1)]
    inputs = corr.shape[1]
    gain = np.zeros(inputs)
    delay = np.zeros(inputs)
    if corr.shape[0] == 0:
        return gain, delay
    peaks = np.argmax(np.abs(corr), axis=0)
    for i, peak in enumerate(peaks):
        value = corr[peak, i]
        offset = 0.0
        if 0 < peak < corr.shape[0] - 1 and value != 0.0:
            sign = math.copysign(1.0, value)
            left, mid, right = sign * corr[peak - 1, i], sign * value, sign * corr[peak + 1, i]
            curvature = left - 2.0 * mid + right
            if curvature < 0:
                offset = float(np.clip(0.5 * (left - right) / curvature, -0.5, 0.5))
                value = sign * (mid - 0.25 * (left - right) * offset)
        gain[i] = value
        # Below a thousandth of a sample the offset is FFT rounding, not a measurement:
        # whole-sample delays are reported as whole numbers.
        delay[i] = peak + (offset if abs(offset) >= 1e-3 else 0.0)
    return gain, delay


@dataclass(frozen=True, eq=False)
class RoutingMatrix:
    """What arrived where: ``outputs x inputs`` arrays of level, delay and polarity.

    Attributes
    ----------
    outputs, inputs:
        Device channel indexes of the rows (outputs tested) and columns (inputs recorded).
    gain_db:
        Level of each output on each input in dB relative to what was played;
        :data:`~scgui.measure.levels.FLOOR_DB` where nothing arrived.
    delay_ms:
        Delay of the correlation peak from where the test signal starts in the take (the
        start of the recording, one output at a time), in ms, on the app's timeline: not a
        round-trip latency (:mod:`~scgui.measure.latency` measures that on the server's
        clock). Differences between outputs of one take are exact. NaN where nothing at
        all arrived.
    polarity:
        +1, -1 (inverted), or 0 where nothing at all arrived (``int8``).
    samplerate:
        Of the recordings, in Hz.
    output_names, input_names:
        Channel names (``"Front Left"``) for labels; empty tuples when unknown.
    """

    outputs: tuple[int, ...]
    inputs: tuple[int, ...]
    gain_db: NDArray[np.float64]
    delay_ms: NDArray[np.float64]
    polarity: NDArray[np.int8]
    samplerate: float
    output_names: tuple[str, ...] = ()
    input_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        shape = (len(self.outputs), len(self.inputs))
        for name in ("gain_db", "delay_ms", "polarity"):
            if np.shape(getattr(self, name)) != shape:
                raise ValueError(
                    f"{name} must have shape {shape}, got {np.shape(getattr(self, name))}."
                )
        for names, channels, what in (
            (self.output_names, self.outputs, "output_names"),
            (self.input_names, self.inputs, "input_names"),
        ):
            if names and len(names) != len(channels):
                raise ValueError(f"{what} must name every channel or be empty.")

    def row(self, output: int) -> int:
        """Row index of device output channel ``output``."""
        return self.outputs.index(output)

    def column(self, input_channel: int) -> int:
        """Column index of device input channel ``input_channel``."""
        return self.inputs.index(input_channel)

    def output_name(self, output: int) -> str:
        """Name of device output channel ``output`` ("" when unknown)."""
        return self.output_names[self.row(output)] if self.output_names else ""

    def input_name(self, input_channel: int) -> str:
        """Name of device input channel ``input_channel`` ("" when unknown)."""
        return self.input_names[self.column(input_channel)] if self.input_names else ""


def detect_routing(
    played: Sequence[ArrayLike] | NDArray[np.floating],
    recordings: Sequence[ArrayLike],
    samplerate: float,
    *,
    outputs: Sequence[int] | None = None,
    inputs: Sequence[int] | None = None,
    output_names: Sequence[str] = (),
    input_names: Sequence[str] = (),
    max_delay: float | None = None,
) -> RoutingMatrix:
    """Measure every output -> input path from what was played and what was recorded.

    Parameters
    ----------
    played:
        The signal of each output: a sequence of 1-D arrays, or ``frames x outputs``.
    recordings:
        One ``frames x inputs`` recording per output, made while that output alone played
        (as :func:`~scgui.measure.runs.check_routing` does). One output at a time is what
        makes a -40 dB threshold meaningful: with every output playing at once, the
        cross-correlation of the other outputs' signals (about -25 dB at its highest for
        150 ms of noise) would read as crosstalk.
    samplerate:
        In Hz, to express delays in ms.
    outputs, inputs:
        Device channel indexes of the outputs (in the order of ``played``) and of the
        recording's columns; default ``0, 1, ...``.
    output_names, input_names:
        Channel names, for the report.
    max_delay:
        Longest delay to look for, in seconds (default: the whole recording).
    """
    if isinstance(played, np.ndarray) and played.ndim == 2:
        signals = [played[:, k] for k in range(played.shape[1])]
    elif isinstance(played, np.ndarray) and played.ndim == 1:
        signals = [played]
    else:
        signals = [np.asarray(p, dtype=np.float64) for p in played]
    if isinstance(recordings, np.ndarray):
        raise TypeError("recordings must be a list with one recording per output.")
    takes = [_as_recording(r) for r in recordings]
    if len(takes) != len(signals):
        raise ValueError(f"{len(signals)} played signals but {len(takes)} recordings.")
    if not signals:
        raise ValueError("nothing was played.")
    widths = {t.shape[1] for t in takes}
    if len(widths) != 1:
        raise ValueError(f"the recordings have different numbers of inputs: {sorted(widths)}.")
    n_in = widths.pop()
    out_idx = tuple(int(o) for o in (outputs if outputs is not None else range(len(signals))))
    in_idx = tuple(int(i) for i in (inputs if inputs is not None else range(n_in)))
    if len(out_idx) != len(signals) or len(in_idx) != n_in:
        raise ValueError("outputs/inputs must list one channel per signal / recorded column.")
    max_lag = None if max_delay is None else round(max_delay * samplerate)
    gains = np.zeros((len(signals), n_in))
    delays = np.zeros((len(signals), n_in))
    for row, (signal, take) in enumerate(zip(signals, takes, strict=True)):
        gains[row], delays[row] = find_arrivals(signal, take, max_lag=max_lag)
    nothing = gains == 0.0
    delay_ms = np.where(nothing, np.nan, delays * 1000.0 / samplerate)
    polarity = np.sign(gains).astype(np.int8)
    return RoutingMatrix(
        outputs=out_idx,
        inputs=in_idx,
        gain_db=dbfs(gains, FLOOR_DB),
        delay_ms=delay_ms,
        polarity=polarity,
        samplerate=float(samplerate),
        output_names=tuple(output_names),
        input_names=tuple(input_names),
    )


# ---------------------------------------------------------------------------- expectations


def identity_expectation(outputs: Iterable[int] | int, inputs: int | None = None) -> Expectation:
    """Output ``k`` -> input ``k`` (None for outputs beyond the ``inputs`` an input device has)."""
    channels = range(outputs) if isinstance(outputs, int) else outputs
    return {int(k): (int(k) if inputs is None or k < inputs else None) for k in channels}


def reverse_expectation(outputs: Iterable[int] | int, inputs: int) -> Expectation:
    """Output ``k`` -> input ``inputs - 1 - k``: the last input gets the first output."""
    channels = range(outputs) if isinstance(outputs, int) else outputs
    return {int(k): (inputs - 1 - int(k) if k < inputs else None) for k in channels}


def _input_or_none(value: object) -> int | None:
    """An expected input from a map, a file or the command line; None/-1/"" mean nowhere."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise ValueError(f"not an input channel: {value!r}")
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _NOWHERE:
            return None
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"not an input channel: {value!r}") from None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise ValueError(f"not an input channel: {value!r}")
    return None if value < 0 else value


def expectation_from_map(channel_map: Sequence[int | None]) -> Expectation:
    """Position ``k`` of the list is output ``k``; its value the expected input (-1/None: none).

    The same list form as a channel map, so ``[7, 6, 5, 4, 3, 2, 1, 0]`` is the reversed wiring.
    """
    return {k: _input_or_none(value) for k, value in enumerate(channel_map)}


def _from_json(data: Any) -> Expectation:
    if isinstance(data, list):
        return expectation_from_map(data)
    if isinstance(data, dict) and "expected" in data:
        return _from_json(data["expected"])
    if isinstance(data, dict) and isinstance(data.get("outputs"), list):
        # A report of an earlier check (a known-good "golden" run): expect what arrived then.
        expected: Expectation = {}
        for row in data["outputs"]:
            arrived = row.get("arrives_on") or []
            expected[int(row["output"])] = int(arrived[0]) if arrived else None
        return expected
    if isinstance(data, dict):
        try:
            return {int(k): _input_or_none(v) for k, v in data.items()}
        except (TypeError, ValueError) as exc:
            raise ValueError(f"keys must be output channels: {exc}") from None
    raise ValueError("expected a list, an object {output: input} or a routing report.")


def _from_csv(text: str) -> Expectation:
    rows = [
        [cell.strip() for cell in row]
        for row in csv.reader(io.StringIO(text))
        if row and any(c.strip() for c in row) and not row[0].lstrip().startswith("#")
    ]
    if not rows:
        return {}
    out_col, in_col = 0, 1
    first = rows[0][0].lower()
    if not first.lstrip("-").isdigit():
        header = [cell.lower() for cell in rows.pop(0)]
        out_col = next((header.index(n) for n in ("output", "out") if n in header), 0)
        in_col = next(
            (header.index(n) for n in ("expected_input", "expected", "input", "in") if n in header),
            1,
        )
    expected: Expectation = {}
    for number, row in enumerate(rows, start=1):
        try:
            expected[int(row[out_col])] = _input_or_none(row[in_col] if in_col < len(row) else "")
        except (IndexError, ValueError) as exc:
            raise ValueError(f"row {number}: {exc}") from None
    return expected


def load_expectation(path: str | Path) -> Expectation:
    """Read an expected routing from a ``.json`` or ``.csv`` file.

    JSON: a list like a channel map (``[7, 6, 5, 4, 3, 2, 1, 0]``), an object
    ``{"0": 7, "1": null}``, either of those under a key ``"expected"``, or a report of an
    earlier check (:meth:`RoutingReport.to_json`), which then expects what arrived in it.
    CSV: rows ``output,input``; an optional header names the columns (``output`` and
    ``input`` or ``expected_input``). An empty cell, ``-1`` or ``none`` means "nowhere".

    Raises ``ValueError`` (with the file name) for content it cannot read, ``OSError`` when the
    file cannot be opened.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not valid JSON: {exc}") from None
            return _from_json(data)
        if path.suffix.lower() == ".csv":
            return _from_csv(text)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    raise ValueError(f"{path}: an expectation file must end in .json or .csv.")


def expectation_from_spec(spec: str, outputs: Sequence[int], inputs: int) -> Expectation:
    """An expectation from text, as the command line takes it.

    ``"identity"``, ``"reverse"``, a typed list such as ``"8,7,6,5,4,3,2,1"`` (the input of
    output 1, of output 2, ..., numbered from 1 as people read them; ``-`` for nowhere: see
    :func:`scgui.channel_text.parse_routing_list`), or the name of a ``.json``/``.csv`` file
    (:func:`load_expectation`; files count from 0, as the reports do). Raises ``ValueError``
    for anything else.
    """
    text = spec.strip()
    if text.lower() == "identity":
        return identity_expectation(outputs, inputs)
    if text.lower() in ("reverse", "reversed"):
        return reverse_expectation(outputs, inputs)
    if text.lower().endswith((".json", ".csv")):
        return load_expectation(text)
    if "," in text or text.isdigit() or text in NOWHERE_WORDS:
        return dict(enumerate(parse_routing_list(text)))
    raise ValueError(
        f"unknown expectation {spec!r}: use identity, reverse, a list such as 2,1 (the input "
        "of each output, from 1; - for nowhere) or a .json/.csv file"
    )


# ---------------------------------------------------------------------------- judging


@dataclass(frozen=True)
class ChannelResult:
    """The verdict on one output channel.

    Attributes
    ----------
    output, output_name:
        The output channel.
    expected:
        The input it should arrive on (None: nowhere).
    status:
        pass / wrong / missing / crosstalk.
    arrives_on:
        Inputs where its level is at least ``detect_db``, strongest first.
    input:
        The input ``level_db``, ``delay_ms`` and ``polarity`` describe: the expected input
        when it arrived there, else the strongest one (None when the matrix has no inputs).
    level_db, delay_ms, polarity:
        On ``input``: dB re played, ms (None when nothing arrived), +1/-1 (0: nothing).
    crosstalk:
        Other inputs it leaks into (see :class:`Thresholds`).
    warnings:
        Level out of tolerance, inverted polarity.
    message:
        One sentence for a person, e.g. ``"expected on input 1, arrives on 8 (Side Right)"``
        (numbered from 1, as people read them).
    """

    output: int
    output_name: str
    expected: int | None
    status: Status
    arrives_on: tuple[int, ...]
    input: int | None
    level_db: float
    delay_ms: float | None
    polarity: int
    crosstalk: tuple[int, ...] = ()
    warnings: tuple[str, ...] = ()
    message: str = ""

    @property
    def passed(self) -> bool:
        """True for :attr:`Status.PASS`."""
        return self.status is Status.PASS

    @property
    def inverted(self) -> bool:
        """True when it arrives with inverted polarity."""
        return self.polarity < 0


def _label(channel: int | None, name: str) -> str:
    """A channel in a sentence, numbered from 1 as people read it: ``"8 (Side Right)"``."""
    if channel is None:
        return "nowhere"
    shown = shown_name(channel, name)
    number = format_channel_number(channel)
    return f"{number} ({shown})" if shown else number


def _judge(
    matrix: RoutingMatrix, output: int, expected: int | None, limits: Thresholds
) -> ChannelResult:
    row = matrix.row(output)
    levels = matrix.gain_db[row]
    order = [int(c) for c in np.argsort(-levels, kind="stable")]
    arrives = tuple(matrix.inputs[c] for c in order if levels[c] >= limits.detect_db)

    def name_of(channel: int | None) -> str:
        return matrix.input_name(channel) if channel is not None else ""

    if expected is not None and expected in matrix.inputs and expected in arrives:
        shown: int | None = expected
    else:
        shown = matrix.inputs[order[0]] if order else None
    if shown is not None:
        col = matrix.column(shown)
        level = float(levels[col])
        polarity = int(matrix.polarity[row, col])
        delay = float(matrix.delay_ms[row, col]) if level > FLOOR_DB else None
        if level <= FLOOR_DB:
            shown = None  # nothing at all arrived: no input to point at
    else:
        level, polarity, delay = FLOOR_DB, 0, None

    crosstalk: tuple[int, ...] = ()
    arrived_list = ", ".join(_label(i, name_of(i)) for i in arrives)
    if not arrives:
        status = Status.PASS if expected is None else Status.MISSING
        message = (
            "arrives nowhere, as expected"
            if expected is None
            else f"expected on input {_label(expected, name_of(expected))}, arrives nowhere"
        )
    elif expected is None:
        status = Status.WRONG
        message = f"expected nowhere, arrives on {arrived_list}"
    elif expected not in arrives or level < float(levels[order[0]]):
        status = Status.WRONG
        message = (
            f"expected on input {_label(expected, name_of(expected))}, arrives on {arrived_list}"
        )
    else:
        limit = max(level + limits.crosstalk_db, limits.floor_db)
        crosstalk = tuple(
            matrix.inputs[c] for c in order if matrix.inputs[c] != expected and levels[c] >= limit
        )
        if crosstalk:
            status = Status.CROSSTALK
            leaks = ", ".join(
                f"{_label(i, name_of(i))} {level - levels[matrix.column(i)]:.1f} dB below"
                for i in crosstalk
            )
            message = f"arrives on input {_label(expected, name_of(expected))}, leaks into {leaks}"
        else:
            status = Status.PASS
            message = f"arrives on input {_label(expected, name_of(expected))}"

    warnings: list[str] = []
    if expected is not None and arrives and status in (Status.PASS, Status.CROSSTALK):
        deviation = level - limits.expected_gain_db
        if abs(deviation) > limits.level_tolerance_db:
            word = "low" if deviation < 0 else "high"
            warnings.append(
                f"{word} level {level:.1f} dB (expected {limits.expected_gain_db:g} "
                f"± {limits.level_tolerance_db:g} dB)"
            )
    if arrives and polarity < 0:
        warnings.append("polarity inverted")
    return ChannelResult(
        output=output,
        output_name=matrix.output_name(output),
        expected=expected,
        status=status,
        arrives_on=arrives,
        input=shown,
        level_db=level,
        delay_ms=delay if arrives else None,
        polarity=polarity if arrives else 0,
        crosstalk=crosstalk,
        warnings=tuple(warnings),
        message=message,
    )


def classify(
    matrix: RoutingMatrix,
    expected: Mapping[int, int | None] | Sequence[int | None] | str | None = None,
    thresholds: Thresholds | None = None,
    **info: Any,
) -> RoutingReport:
    """Judge every output of ``matrix`` against ``expected`` (default: identity).

    ``expected`` is a mapping output -> input (None: nowhere), a list in channel-map form
    (:func:`expectation_from_map`), or a spec string (:func:`expectation_from_spec`).
    ``info`` is stored in :attr:`RoutingReport.info` and exported with the report (device
    names, signal level...). The same matrix can be judged against several expectations.
    """
    limits = thresholds or Thresholds()
    wanted: Expectation
    if expected is None:
        wanted = identity_expectation(matrix.outputs, None)
    elif isinstance(expected, str):
        wanted = expectation_from_spec(expected, matrix.outputs, len(matrix.inputs))
    elif isinstance(expected, Mapping):
        wanted = {int(k): _input_or_none(v) for k, v in expected.items()}
    else:
        wanted = expectation_from_map(list(expected))
    results = tuple(_judge(matrix, output, wanted.get(output), limits) for output in matrix.outputs)
    return RoutingReport(
        matrix=matrix,
        expected={o: wanted.get(o) for o in matrix.outputs},
        thresholds=limits,
        results=results,
        info=dict(info),
    )


def _number(value: float | None, digits: int = 2) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


@dataclass(frozen=True, eq=False)
class RoutingReport:
    """The outcome of a routing check: the measured matrix and a verdict per output channel.

    Attributes
    ----------
    matrix:
        The measurement.
    expected:
        The expectation it was judged against (every tested output is a key).
    thresholds:
        The limits used.
    results:
        One :class:`ChannelResult` per output, in the order of ``matrix.outputs``.
    info:
        Context for the export: ``output_device``, ``input_device``, ``level_db``,
        ``signal_seconds``, ``retried_takes``, ``cancelled``... (whatever the caller passed).
    """

    matrix: RoutingMatrix
    expected: Expectation
    thresholds: Thresholds
    results: tuple[ChannelResult, ...]
    info: dict[str, Any] = field(default_factory=dict)
    #: Frequency response, THD and impulse response of every path found (the one-take
    #: method measures them; one-by-one leaves this empty).
    responses: tuple[PathResponse, ...] = ()

    def response(self, output: int) -> PathResponse | None:
        """The response of ``output``'s path to its input (the strongest, if several)."""
        found = [r for r in self.responses if r.output == output]
        result = self.result(output)
        for r in found:
            if r.input == result.input:
                return r
        return found[0] if found else None

    @property
    def all_passed(self) -> bool:
        """True when every tested output channel passed (warnings do not count)."""
        return all(r.passed for r in self.results)

    @property
    def failed(self) -> tuple[ChannelResult, ...]:
        """The results that did not pass."""
        return tuple(r for r in self.results if not r.passed)

    def result(self, output: int) -> ChannelResult:
        """The result of device output channel ``output``."""
        return self.results[self.matrix.row(output)]

    @property
    def skew_reference(self) -> ChannelResult | None:
        """The output every skew is relative to: the first one that arrived anywhere."""
        return next((r for r in self.results if r.delay_ms is not None), None)

    def skew_ms(self, result: ChannelResult) -> float | None:
        """How much later than the reference output ``result``'s output arrives, in ms.

        Exact to the sample when every output was measured in one take (``method="sweeps"``);
        one take per output adds each take's own timing to it.
        """
        reference = self.skew_reference
        if reference is None or result.delay_ms is None or reference.delay_ms is None:
            return None
        return result.delay_ms - reference.delay_ms

    def summary(self) -> str:
        """One line: ``"PASS: all 8 outputs routed as expected"`` or what failed."""
        total = len(self.results)
        if self.all_passed:
            return f"PASS: all {total} outputs routed as expected"
        groups = []
        for status in (Status.WRONG, Status.MISSING, Status.CROSSTALK):
            outs = [format_channel_number(r.output) for r in self.results if r.status is status]
            if outs:
                groups.append(f"{status.value}: {', '.join(outs)}")
        return f"FAIL: {len(self.failed)} of {total} outputs ({'; '.join(groups)})"

    # -- export ------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Everything, as JSON-ready builtins (NaN and missing values become None)."""
        m = self.matrix
        floor = self.thresholds.floor_db
        below = m.gain_db < floor
        return {
            "report": "scgui routing check",
            "version": 1,
            "channel_indexes": "0-based (the window and printed tables number them from 1)",
            **{k: v for k, v in self.info.items() if _jsonable(v)},
            "samplerate": m.samplerate,
            "all_passed": self.all_passed,
            "summary": self.summary(),
            "skew_reference_output": (
                self.skew_reference.output if self.skew_reference is not None else None
            ),
            "thresholds": {
                "detect_db": self.thresholds.detect_db,
                "crosstalk_db": self.thresholds.crosstalk_db,
                "floor_db": self.thresholds.floor_db,
                "expected_gain_db": self.thresholds.expected_gain_db,
                "level_tolerance_db": self.thresholds.level_tolerance_db,
            },
            "outputs": [
                {
                    "output": r.output,
                    "name": r.output_name,
                    "expected_input": r.expected,
                    "status": r.status.value,
                    "arrives_on": list(r.arrives_on),
                    "input": r.input,
                    "level_db": _number(r.level_db),
                    "delay_ms": _number(r.delay_ms, 3),
                    "skew_ms": _number(self.skew_ms(r), 3),
                    "polarity": r.polarity,
                    "crosstalk": list(r.crosstalk),
                    "warnings": list(r.warnings),
                    "message": r.message,
                }
                for r in self.results
            ],
            "inputs": [
                {"input": i, "name": m.input_names[c] if m.input_names else ""}
                for c, i in enumerate(m.inputs)
            ],
            "matrix": {
                "rows": "outputs",
                "columns": "inputs",
                "gain_db": [[_number(v) for v in row] for row in m.gain_db],
                "delay_ms": [
                    [None if b else _number(v, 3) for v, b in zip(row, brow, strict=True)]
                    for row, brow in zip(m.delay_ms, below, strict=True)
                ],
                "polarity": [
                    [0 if b else int(v) for v, b in zip(row, brow, strict=True)]
                    for row, brow in zip(m.polarity, below, strict=True)
                ],
            },
            "responses": [r.to_dict() for r in self.responses],
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as a JSON document (see :meth:`to_dict`)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def to_csv(self) -> str:
        """One row per output: verdict, level, delay, then its level on every input.

        Columns: ``output, output_name, expected_input, status, arrives_on (space-separated),
        input, level_db, delay_ms, polarity, notes, in<k>_db...`` for each input ``k``.
        """
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        m = self.matrix
        writer.writerow(
            [
                "output",
                "output_name",
                "expected_input",
                "status",
                "arrives_on",
                "input",
                "level_db",
                "delay_ms",
                "polarity",
                "notes",
                *(f"in{i}_db" for i in m.inputs),
            ]
        )
        for row, r in enumerate(self.results):
            writer.writerow(
                [
                    r.output,
                    r.output_name,
                    "" if r.expected is None else r.expected,
                    r.status.value,
                    " ".join(str(i) for i in r.arrives_on),
                    "" if r.input is None else r.input,
                    f"{r.level_db:.2f}",
                    "" if r.delay_ms is None else f"{r.delay_ms:.3f}",
                    r.polarity,
                    "; ".join(r.warnings),
                    *(f"{v:.2f}" for v in m.gain_db[row]),
                ]
            )
        return buffer.getvalue()

    def text_table(self) -> str:
        """A plain-text table for a terminal: one line per output, then the summary."""
        m = self.matrix
        head = []
        devices = " -> ".join(
            str(self.info[k]) for k in ("output_device", "input_device") if self.info.get(k)
        )
        head.append(
            f"Routing check{': ' + devices if devices else ''} "
            f"({len(m.outputs)} outputs x {len(m.inputs)} inputs, {m.samplerate:g} Hz)"
        )

        def channel(index: int | None, name: str) -> str:
            return "-" if index is None else channel_label(index, name)

        chosen = next((list(r.thd_db) for r in self.responses if r.thd_db), [])
        thd_at = 1000.0 if 1000.0 in chosen else (chosen[0] if chosen else None)
        response_heads = ("FLAT dB", f"THD {thd_at:g} Hz") if thd_at is not None else ()
        rows = [
            (
                "OUT",
                "EXPECTED",
                "STATUS",
                "ARRIVES ON",
                "LEVEL dB",
                "DELAY ms",
                "SKEW ms",
                *response_heads,
                "NOTES",
            )
        ]
        for r in self.results:
            if not r.arrives_on:
                arrives = "-"
            elif len(r.arrives_on) == 1:
                arrives = channel(r.arrives_on[0], m.input_name(r.arrives_on[0]))
            else:
                arrives = ", ".join(format_channel_number(i) for i in r.arrives_on)
            notes = list(r.warnings)
            if not r.passed:
                notes.insert(0, r.message)
            rows.append(
                (
                    channel(r.output, r.output_name),
                    channel(r.expected, m.input_name(r.expected) if r.expected in m.inputs else ""),
                    r.status.value.upper() if not r.passed else r.status.value,
                    arrives,
                    f"{round(r.level_db, 1) + 0.0:.1f}" if r.arrives_on else "-",
                    f"{r.delay_ms:.2f}" if r.delay_ms is not None else "-",
                    f"{skew:.3f}" if (skew := self.skew_ms(r)) is not None else "-",
                    *self._response_cells(r.output, thd_at),
                    "; ".join(notes),
                )
            )
        widths = [max(len(line[i]) for line in rows) for i in range(len(rows[0]))]
        right = {4, 5, 6} | ({7, 8} if response_heads else set())
        lines = head
        for line in rows:
            cells = [
                cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                for i, cell in enumerate(line)
            ]
            lines.append("  ".join(cells).rstrip())
        # Warnings before the verdict: the last line is always the verdict.
        lines.extend(f"warning: {text}" for text in self.info.get("preconditions") or ())
        lines.append(self.summary())
        return "\n".join(lines)

    def _response_cells(self, output: int, thd_at: float | None) -> tuple[str, ...]:
        """Flatness and THD of an output's path, for the text table (none without THD)."""
        if thd_at is None:
            return ()
        response = self.response(output)
        if response is None:
            return ("-", "-")
        thd = response.thd_db.get(thd_at)
        floor = thd is not None and thd <= FLOOR_DB + 0.05
        return (
            f"{response.flatness_db:.2f}",
            "-" if thd is None else (f"<{FLOOR_DB:.0f}" if floor else f"{thd:.1f}"),
        )

    def save(self, path: str | Path) -> Path:
        """Write the report as ``.json``, ``.csv`` or ``.html`` (a page to hand over, with
        the frequency-response plots), by the suffix; return the path.

        A PNG of the matrix is drawn by :func:`scgui.ui.routing_image.render_routing_png`
        (it needs Qt, which this layer does not use).
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".json":
            path.write_text(self.to_json() + "\n", encoding="utf-8")
        elif suffix == ".csv":
            path.write_text(self.to_csv(), encoding="utf-8")
        elif suffix in (".html", ".htm"):
            from .report_html import render_html

            path.write_text(render_html(self), encoding="utf-8")
        else:
            raise ValueError(f"{path}: a report is saved as .json, .csv or .html.")
        return path


def _jsonable(value: object) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True
