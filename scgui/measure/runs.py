"""Measurement runs: play test signals and record them through :mod:`scgui.audio`.

The routing check is implemented once, here, without Qt (the latency measurement is in
:mod:`scgui.measure.latency`): the command line calls it directly, the GUI calls it from its
worker thread (with ``progress`` and ``cancel``), and the tests call it against the virtual
rig. The analysis itself is the pure code of :mod:`scgui.measure.routing` and
:mod:`scgui.measure.sweeps`.

A one-by-one take follows these steps, so that the recording starts when the signal is
queued: the recorder is opened first and stays open; before each take it is drained
(``record(None)``), the signal is queued on the already open player, the player is waited
for, and the recorder then goes on until the signal has come back through the input side
(or, for a path that does not exist, until a time limit).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

import scgui.audio as sc

from ..channel_text import format_channel_list
from .preconditions import check_preconditions
from .response import THD_FREQUENCIES, check_thd_frequencies
from .routing import (
    Expectation,
    RoutingMatrix,
    RoutingReport,
    Thresholds,
    classify,
    detect_routing,
    expectation_from_map,
    expectation_from_spec,
    find_arrivals,
    identity_expectation,
)
from .signals import DEFAULT_LEVEL_DB, ident_signal

__all__ = [
    "Cancelled",
    "MeasurementError",
    "check_routing",
]

ProgressCallback = Callable[[int, int], None]
"""``progress(done, total)``: called with ``(0, total)`` first, then after every step."""

CancelToken = threading.Event | Callable[[], bool]
"""Set the event (or make the callable return True) to stop a run at the next check."""

_POLL_SECONDS = 0.02  # how often a run looks at its cancel token while it records


class MeasurementError(Exception):
    """A measurement ran but cannot give an answer (e.g. the signal never came back)."""


class Cancelled(Exception):
    """The run was cancelled through its ``cancel`` token.

    Attributes
    ----------
    partial:
        For :func:`check_routing`, the report of the output channels measured before the
        cancel (``info["cancelled"]`` is True), or None when none was finished.
    """

    def __init__(self, partial: RoutingReport | None = None) -> None:
        super().__init__("the measurement was cancelled")
        self.partial = partial


def _cancel_check(cancel: CancelToken | None) -> Callable[[], bool]:
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    if callable(cancel):
        return lambda: bool(cancel())
    raise TypeError(f"cancel must be a threading.Event or a callable, not {cancel!r}.")


def _speaker(device: sc.Speaker | str) -> sc.Speaker:
    return device if isinstance(device, sc.Speaker) else sc.get_speaker(device)


def _microphone(device: sc.Microphone | str) -> sc.Microphone:
    if isinstance(device, sc.Microphone):
        return device
    return sc.get_microphone(device, include_loopback=True)


class _Stop(Exception):
    """Internal: the cancel token was seen while recording."""


#: Most bytes one player block may hold. The server caps a stream's buffer (PulseAudio at
#: 4 MiB); a block near that cap makes it ask for data only once the buffer is empty, and
#: every refill is then an underrun (measured: 32 channels at 96 kHz).
MAX_BLOCK_BYTES = 1 << 20


def _player_blocksize(frames: int, samplerate: int, channels: int = 1) -> int:
    """A player block size that lets the server take a whole test signal in one write.

    A player holds a few blocks (at least two); with the default 10 ms blocks, a longer
    signal is fed in pieces while it plays, and a Python thread that is held up (by the GIL
    in a busy GUI process, say) opens a gap in it. Never smaller than the default, never
    more than :data:`MAX_BLOCK_BYTES` of ``channels`` float32 channels nor a quarter of a
    second (a run waits for at most two blocks before it can be cancelled).
    """
    default = round(samplerate * 0.01)
    largest = max(default, min(MAX_BLOCK_BYTES // (4 * max(1, channels)), samplerate // 4))
    return max(default, min(-(-frames // 2), largest))


def _record_more(
    recorder: sc.Recorder, count: int, is_cancelled: Callable[[], bool]
) -> NDArray[np.float32]:
    """Record ``count`` frames in short pieces, looking at the cancel token in between."""
    step = max(1, round(recorder.samplerate * _POLL_SECONDS))
    chunks = []
    while count > 0:
        if is_cancelled():
            raise _Stop
        piece = min(step, count)
        chunks.append(recorder.record(piece))
        count -= piece
    return np.concatenate(chunks) if chunks else recorder.record(0)


def _play_and_record(
    recorder: sc.Recorder,
    player: sc.Player,
    frames: NDArray[np.float32],
    signal: NDArray[np.float32],
    take: _TakeTiming,
    is_cancelled: Callable[[], bool],
) -> NDArray[np.float32]:
    """One take: drain, play, wait, then record until ``signal`` is in (or surely is not).

    The recording runs at least ``take.tail`` frames past the end of playback. Then, while
    the signal arrives nowhere (at least ``take.detect_db``), it goes on, for at most
    ``take.max_wait`` more frames: a busy process or a slow input can deliver captured audio
    late. Once it has arrived, it goes on until the whole signal is in.
    """
    recorder.record(None)  # drain: the recording starts now
    player.play(frames)
    player.wait()
    first = recorder.record(None)
    count = max(take.tail, frames.shape[0] + take.tail - first.shape[0])
    recording = np.concatenate([first, _record_more(recorder, count, is_cancelled)])
    waited = 0
    while True:
        gains, delays = find_arrivals(signal, recording)
        best = int(np.argmax(np.abs(gains)))
        if 20.0 * np.log10(max(abs(gains[best]), 1e-12)) >= take.detect_db:
            missing = math.ceil(delays[best]) + signal.size + take.margin - recording.shape[0]
            if missing <= 0:
                return recording
        elif waited >= take.max_wait:
            return recording
        else:
            missing = take.step
            waited += missing
        recording = np.concatenate([recording, _record_more(recorder, missing, is_cancelled)])


@dataclass(frozen=True)
class _TakeTiming:
    """Frame counts of one take (see :func:`_play_and_record`)."""

    tail: int
    max_wait: int
    step: int
    margin: int
    detect_db: float

    @classmethod
    def make(
        cls, samplerate: int, tail_seconds: float, max_wait_seconds: float, detect_db: float
    ) -> _TakeTiming:
        return cls(
            tail=max(0, round(tail_seconds * samplerate)),
            max_wait=max(0, round(max_wait_seconds * samplerate)),
            step=max(1, round(0.05 * samplerate)),
            margin=round(0.005 * samplerate),
            detect_db=detect_db,
        )


#: Frames of exact digital silence on every input, inside an arriving signal, that mark a
#: server dropout (PipeWire stalls a cycle of 256 frames or more). A live input carrying a
#: test signal is never exactly zero on every channel for that long.
DROPOUT_FRAMES = 64


def _silence_inside_signal(
    recording: NDArray[np.float32], signal: NDArray[np.float32], detect_db: float
) -> bool:
    """Whether the take has a stretch of exact silence where the signal was arriving.

    The server delivered zeros instead of audio (no underrun or overflow is reported for
    it): the take's levels would be wrong, so it is repeated like an interrupted one.
    """
    gains, delays = find_arrivals(signal, recording)
    best = int(np.argmax(np.abs(gains)))
    if 20.0 * np.log10(max(abs(gains[best]), 1e-12)) < detect_db:
        return False  # arrives nowhere: nothing to be inside of
    start = max(0, int(delays[best]))
    silent = ~np.any(recording[start : start + signal.size] != 0, axis=1)
    if silent.size < DROPOUT_FRAMES:
        return False
    runs = np.convolve(silent.astype(np.int32), np.ones(DROPOUT_FRAMES, np.int32), "valid")
    return bool(np.any(runs == DROPOUT_FRAMES))


def _take(
    recorder: sc.Recorder,
    player: sc.Player,
    frames: NDArray[np.float32],
    signal: NDArray[np.float32],
    timing: _TakeTiming,
    is_cancelled: Callable[[], bool],
    retried: list[int] | None = None,
    attempts: int = 3,
) -> NDArray[np.float32]:
    """Play ``frames`` and return the recording from the moment they were queued on.

    ``signal`` is the test signal in ``frames``, looked for to know when to stop recording
    (see :func:`_play_and_record`). A take during which the player ran dry, the recorder
    dropped input, or the server delivered silence in the middle of the signal (the signal
    would have a gap) is repeated, up to ``attempts`` times in
    all (each repeat appends to ``retried``); then :class:`MeasurementError` is raised.
    """
    for _ in range(attempts):
        underruns, overflows = player.underruns, recorder.overflows
        recording = _play_and_record(recorder, player, frames, signal, timing, is_cancelled)
        interrupted = player.underruns != underruns or recorder.overflows != overflows
        if not interrupted and not _silence_inside_signal(recording, signal, timing.detect_db):
            return recording
        if retried is not None:
            retried.append(1)
    raise MeasurementError(
        f"the test signal was interrupted {attempts} times in a row (the output ran dry or "
        "the input dropped audio): the computer or the sound server is overloaded."
    )


def _resolve_expectation(
    expected: Mapping[int, int | None] | Sequence[int | None] | str | None,
    outputs: Sequence[int],
    inputs: int,
    input_name: str,
) -> Expectation:
    if expected is None:
        wanted = identity_expectation(outputs, inputs)
    elif isinstance(expected, str):
        wanted = expectation_from_spec(expected, outputs, inputs)
    elif isinstance(expected, Mapping):
        wanted = {int(k): (None if v is None or v < 0 else int(v)) for k, v in expected.items()}
    else:
        wanted = expectation_from_map(list(expected))
    bad = sorted(
        {v for k, v in wanted.items() if k in outputs and v is not None and not 0 <= v < inputs}
    )
    if bad:
        raise ValueError(
            f"the expected routing names input channel(s) {', '.join(map(str, bad))}, but "
            f"{input_name} has {inputs} (0 to {inputs - 1})."
        )
    return wanted


def _check_outputs(channels: Sequence[int] | None, speaker: sc.Speaker) -> list[int]:
    outputs = list(range(speaker.channels)) if channels is None else [int(c) for c in channels]
    if not outputs:
        raise ValueError("no output channel to test.")
    if len(set(outputs)) != len(outputs):
        raise ValueError(f"output channels listed twice: {outputs}.")
    bad = [c for c in outputs if not 0 <= c < speaker.channels]
    if bad:
        raise ValueError(
            f"{speaker.name} has {speaker.channels} output channels (1 to "
            f"{speaker.channels}); there is no channel {format_channel_list(bad)} "
            f"(index {', '.join(map(str, bad))}, counted from 0)."
        )
    return outputs


def check_routing(
    speaker: sc.Speaker | str,
    microphone: sc.Microphone | str,
    output_channels: Sequence[int] | None = None,
    expected: Mapping[int, int | None] | Sequence[int | None] | str | None = None,
    samplerate: int = 48000,
    level_db: float = DEFAULT_LEVEL_DB,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    *,
    signal_seconds: float = 0.15,
    tail_seconds: float = 0.05,
    max_wait_seconds: float = 0.6,
    thresholds: Thresholds | None = None,
    seed: int = 0,
    method: str = "sweeps",
    thd_frequencies: Sequence[float] = THD_FREQUENCIES,
) -> RoutingReport:
    """Find where every output channel arrives: all at once (default), or one at a time.

    ``method="sweeps"`` measures every output in one take with staggered exponential sweeps
    (:mod:`scgui.measure.routing_at_once`): a few seconds for 32 channels, and the skew
    between outputs exact to the sample. ``method="one-by-one"``, described below, plays an
    identification signal on each output in turn: slower, for noisy rooms.

    For each output channel, its :func:`~scgui.measure.signals.ident_signal` plays on that
    channel alone (silence on the others) while every channel of ``microphone`` records;
    :func:`~scgui.measure.routing.detect_routing` measures level, delay and polarity on each
    input and :func:`~scgui.measure.routing.classify` judges each output. One channel at a
    time is slower than all at once but cannot mistake one channel's signal for another's,
    whatever the level of the paths. Each channel takes about ``signal_seconds +
    tail_seconds`` plus the round-trip latency, and ``max_wait_seconds`` more when it
    arrives nowhere.

    Parameters
    ----------
    speaker:
        The output device (or its id / part of its name).
    microphone:
        The input device: a microphone or a loopback (or its id / part of its name).
    output_channels:
        Device output channels to test; default all.
    expected:
        The wanted routing: a mapping output -> input (None: nowhere), a list like a channel
        map (position = output, value = input, -1 = nowhere), a spec string for
        :func:`~scgui.measure.routing.expectation_from_spec` (``"identity"``, ``"reverse"``,
        ``"7,6,5"``, a file), or None for identity (output ``k`` -> input ``k``).
    samplerate:
        Of both streams, in Hz.
    level_db:
        RMS level of the signals in dBFS (-20 by default: safe for speakers and ears).
    progress:
        ``progress(done, total)`` with the number of output channels measured.
    cancel:
        A ``threading.Event`` or a callable returning True to stop; checked before each
        channel and about every 20 ms while recording. Cancelling raises :class:`Cancelled`,
        whose ``partial`` holds the report of the channels already measured.
    signal_seconds:
        Length of each channel's signal.
    tail_seconds:
        How long to record at least after the player has played the signal.
    max_wait_seconds:
        How much longer to go on recording while the signal has arrived on no input (an
        input, or a busy process, can deliver captured audio late). Once it has arrived,
        the recording always goes on until the whole signal is in.
    thresholds:
        Limits for the verdicts (see :class:`~scgui.measure.routing.Thresholds`).
    seed:
        Selects the family of identification signals.
    method:
        ``"sweeps"`` (every output in one take; gives each path's frequency response, THD
        and impulse response in ``report.responses``) or ``"one-by-one"``.
    thd_frequencies:
        Where THD is given, Hz (see :func:`scgui.measure.response.thd_range`).

    Raises
    ------
    ValueError
        Invalid channels or expectation (nothing has been played then).
    scgui.audio.AudioError
        The devices could not be opened or failed while running.
    MeasurementError
        Every attempt at a channel was interrupted (see below).
    Cancelled
        See ``cancel``.

    Notes
    -----
    The player is opened with blocks of half a signal, so the server takes each signal in
    one write: a gap cannot open in it however busy the calling process is. A take during
    which the player still ran dry, or the recorder dropped input, is repeated (three
    attempts per channel; ``report.info["retried_takes"]`` counts the repeats). On hardware
    the larger output buffer can add to the delays shown; for the latency of an ordinary
    stream use :func:`scgui.measure.latency.measure_latency`.
    """
    if method not in ("sweeps", "one-by-one"):
        raise ValueError(f"method must be 'sweeps' or 'one-by-one', not {method!r}.")
    thd_at = check_thd_frequencies(thd_frequencies, samplerate)
    speaker = _speaker(speaker)
    microphone = _microphone(microphone)
    outputs = _check_outputs(output_channels, speaker)
    wanted = _resolve_expectation(expected, outputs, microphone.channels, microphone.name)
    is_cancelled = _cancel_check(cancel)
    warnings = check_preconditions(speaker, microphone, outputs, samplerate)
    measured_at = datetime.now().astimezone().isoformat(timespec="seconds")
    if method == "sweeps":
        from .routing_at_once import check_routing_at_once

        context: dict[str, object] = {
            "measured_at": measured_at,
            "output_device": speaker.name,
            "input_device": microphone.name,
            "output_id": speaker.id,
            "input_id": microphone.id,
            "level_db": level_db,
            "preconditions": warnings,
        }
        try:
            return check_routing_at_once(
                speaker,
                microphone,
                outputs,
                wanted,
                samplerate,
                level_db,
                thresholds or Thresholds(),
                context,
                lambda recorder, count: _record_more(recorder, count, is_cancelled),
                progress,
                is_cancelled,
                thd_frequencies=thd_at,
            )
        except _Stop:
            raise Cancelled(None) from None
    signals = [
        ident_signal(out, signal_seconds, samplerate, level_db, seed=seed) for out in outputs
    ]
    limits = thresholds or Thresholds()
    timing = _TakeTiming.make(samplerate, tail_seconds, max_wait_seconds, limits.detect_db)
    info = {
        "measured_at": measured_at,
        "output_device": speaker.name,
        "input_device": microphone.name,
        "output_id": speaker.id,
        "input_id": microphone.id,
        "level_db": level_db,
        "signal_seconds": signal_seconds,
        "seed": seed,
        "method": "one-by-one",
        "preconditions": warnings,
    }
    names_out = list(speaker.channel_names)
    names_in = tuple(microphone.channel_names)

    def report(count: int, **extra: object) -> RoutingReport:
        matrix: RoutingMatrix = detect_routing(
            signals[:count],
            recordings[:count],
            samplerate,
            outputs=outputs[:count],
            inputs=range(microphone.channels),
            output_names=[names_out[o] for o in outputs[:count]] if names_out else (),
            input_names=names_in,
        )
        return classify(matrix, wanted, limits, **info, **extra)

    recordings: list[NDArray[np.float32]] = []
    if progress is not None:
        progress(0, len(outputs))
    retried: list[int] = []
    try:
        with microphone.recorder(samplerate) as recorder:
            blocksize = _player_blocksize(signals[0].size, samplerate, speaker.channels)
            with speaker.player(samplerate, blocksize=blocksize) as player:
                for out, signal in zip(outputs, signals, strict=True):
                    if is_cancelled():
                        raise _Stop
                    frames = np.zeros((signal.size, speaker.channels), dtype=np.float32)
                    frames[:, out] = signal
                    recordings.append(
                        _take(recorder, player, frames, signal, timing, is_cancelled, retried)
                    )
                    if progress is not None:
                        progress(len(recordings), len(outputs))
    except _Stop:
        partial = report(len(recordings), cancelled=True) if recordings else None
        raise Cancelled(partial) from None
    return report(len(outputs), retried_takes=len(retried))
