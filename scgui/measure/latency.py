"""Round-trip latency from the streams' own clocks, not from when Python got round to reading.

A run opens a player and a recorder once and keeps both running: the player plays every
take's short sweep in one continuous signal (silence between them), the recorder records
all of it. Each take's sweep is found in the recording by cross-correlation, to the sample
(with a sub-sample part), so the frame it was played from (``k``) and the frame it
arrived at (``j``) are exact. The two streams' device positions
(:meth:`scgui.audio.Player.device_position`) then put both frames on one clock: the
latency is ``time_in(j) - time_out(k)``, converter to converter, whatever the scheduling of
this program. Positions are read throughout each take; a server that updates them only
once per processing cycle reports a capture position that lags and a playback position that
leads by up to one cycle, so the envelope of a take's readings is used (:func:`zero_time`).

A take during which the player ran dry or the recorder dropped input, or whose sweep came
back with a gap of digital silence, is discarded and counted. The server's own statement of
the two streams' latencies is reported beside the measured figure: the round trip an
application sees through the streams is the path plus what the two streams buffer.
"""

from __future__ import annotations

import logging
import statistics
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

import scgui.audio as sc
from scgui.audio.backends.base import DevicePosition

from .routing import find_arrivals
from .runs import (
    DROPOUT_FRAMES,
    Cancelled,
    CancelToken,
    MeasurementError,
    ProgressCallback,
    _cancel_check,
    _check_outputs,
    _microphone,
    _player_blocksize,
    _speaker,
    _Stop,
)
from .signals import DEFAULT_LEVEL_DB, log_sweep

_log = logging.getLogger(__name__)

__all__ = ["LATENCY_METHOD", "LatencyResult", "measure_latency", "zero_time"]

#: How :func:`measure_latency` times a take (said in its report).
LATENCY_METHOD = (
    "stream clocks: each take's sweep is found in the recording by cross-correlation, and "
    "the frame it was played from and the frame it arrived at are put on one clock by the "
    "server's positions of both streams (the envelope of the positions read during the take)"
)

#: Most a round trip may be off from its take's median before the take is called doubtful.
_SPREAD_WARN_MS = 0.5
_LEAD_IN_SECONDS = 0.15  # silence before the first sweep: both streams are running by then
_READ_SECONDS = 0.03  # recorded per read; the positions are read after each
#: How long a round records after its signal was all written before it gives up on the
#: takes still missing (they are played again in the next round). The player's buffer and
#: both streams' latencies are a fraction of this.
_DRAIN_LIMIT_SECONDS = 2.0


def zero_time(positions: Sequence[DevicePosition], capture: bool) -> tuple[float, float]:
    """(when frame 0 was at the device, how far the readings spread), both in seconds.

    Each reading gives a time for frame 0. A server that moves its positions only at its
    processing cycle makes a capture stream look late (its frame 0 seems later than it
    was) and a playback stream look early, by up to one cycle: the earliest capture reading
    and the latest playback reading are the ones nearest the converter.
    """
    if not positions:
        raise ValueError("no positions were read")
    times = [p.time - p.frame / p.samplerate for p in positions]
    best = min(times) if capture else max(times)
    return best, max(times) - min(times)


@dataclass(frozen=True)
class LatencyResult:
    """Round-trip latencies of repeated takes from one output to one input.

    Attributes
    ----------
    values_ms:
        One latency per kept take, in ms, in the order measured: converter to converter on
        the streams' clocks.
    output_channel, input_channel:
        The path measured (device channel indexes).
    samplerate:
        Of the streams, in Hz.
    level_db:
        Level of the signal on the input, dB re played (from the first take).
    info:
        Devices, method, the server's stated latencies, discarded takes, how coarsely the
        server's positions step (``clock_step_ms``), and ``alignments``: how many times the
        two streams' alignment was timed for the kept takes (once per run, and again after
        an underrun or overflow). Takes of one alignment share one timing, so they agree
        to the sample; takes of different ones can differ by up to the clock step.
    """

    values_ms: list[float]
    output_channel: int
    input_channel: int
    samplerate: int
    level_db: float = 0.0
    info: dict[str, object] = field(default_factory=dict)

    @property
    def median_ms(self) -> float:
        """Median of :attr:`values_ms`: the figure to quote."""
        return float(statistics.median(self.values_ms))

    @property
    def min_ms(self) -> float:
        """Shortest take."""
        return float(min(self.values_ms))

    @property
    def max_ms(self) -> float:
        """Longest take."""
        return float(max(self.values_ms))

    @property
    def spread_ms(self) -> float:
        """``max_ms - min_ms``: how far the takes disagree."""
        return self.max_ms - self.min_ms

    @property
    def stream_round_trip_ms(self) -> float | None:
        """The path plus what the server says the two streams buffer: the round trip an
        application sees writing to the player and reading from the recorder."""
        stated = self.info.get("stated_latency_ms")
        if not isinstance(stated, int | float):
            return None
        return self.median_ms + float(stated)

    @property
    def warnings(self) -> list[str]:
        """What makes the figure doubtful, in words (empty when nothing does)."""
        out = []
        if self.spread_ms > _SPREAD_WARN_MS:
            out.append(
                f"the takes spread over {self.spread_ms:.2f} ms: the server's stream positions "
                "move in coarse steps; quote the median and use more takes"
            )
        step = self.info.get("clock_step_ms")
        if isinstance(step, int | float) and step > 1.0:
            out.append(
                f"the server moves its stream positions in steps of up to {step:.1f} ms: the "
                f"takes agree with each other to the sample, the figure itself is good to "
                f"about {step / 2:.1f} ms (a server on a real interface is finer)"
            )
        if self.min_ms < -_SPREAD_WARN_MS:
            out.append(
                f"a take read {self.min_ms:.2f} ms: the server's positions of the two streams "
                "disagree (a monitor or virtual device is timed as the server sees it)"
            )
        discarded = self.info.get("discarded_takes")
        if discarded:
            out.append(f"{discarded} take(s) were discarded for an underrun, overflow or gap")
        return out

    def to_dict(self) -> dict[str, object]:
        """Every take and the summary, as JSON-ready builtins."""
        trip = self.stream_round_trip_ms
        return {
            "report": "scgui latency",
            "version": 2,
            **self.info,
            "output_channel": self.output_channel,
            "input_channel": self.input_channel,
            "samplerate": self.samplerate,
            "level_db": round(self.level_db, 2),
            "takes_ms": [round(v, 4) for v in self.values_ms],
            "median_ms": round(self.median_ms, 4),
            "min_ms": round(self.min_ms, 4),
            "max_ms": round(self.max_ms, 4),
            "spread_ms": round(self.spread_ms, 4),
            "stream_round_trip_ms": None if trip is None else round(trip, 3),
            "warnings": self.warnings,
        }


@dataclass
class _Reading:
    """What was read after one piece of the recording: positions and the xrun counters."""

    recorded: int  # recorder frames returned so far, when read
    output: DevicePosition
    input: DevicePosition
    underruns: int
    overflows: int


@dataclass(frozen=True, eq=False)
class _Arrival:
    """One take found in the recording: played from ``start_out``, arrived at ``frame``
    (recorder frames, with a sub-sample part), during ``stretch`` of the readings."""

    start_out: int
    frame: float
    channel: int
    level_db: float
    stretch: list[_Reading]

    @property
    def frames_after(self) -> float:
        """Recorder frame less player frame: constant while the streams keep alignment."""
        return self.frame - self.start_out


@dataclass(frozen=True)
class _Missing:
    """A take whose sweep was not found where the streams' positions put it."""

    message: str


#: A timed take: (latency ms, input channel, level dB, clock step s, alignment identity).
_Outcome = tuple[float, int, float, float, float]


class _Background:
    """Plays one long signal on a thread (``play`` blocks while the server is full)."""

    def __init__(self, player: sc.Player, frames: NDArray[np.float32], block: int) -> None:
        self.error: BaseException | None = None
        self._player, self._frames, self._block = player, frames, block
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="scgui latency player", daemon=True)

    def _run(self) -> None:
        try:
            for start in range(0, self._frames.shape[0], self._block):
                if self._stop.is_set():
                    return
                self._player.play(self._frames[start : start + self._block])
        except BaseException as exc:  # reported on the measuring thread
            self.error = exc

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(5.0)


def measure_latency(
    speaker: sc.Speaker | str,
    microphone: sc.Microphone | str,
    repeats: int = 5,
    samplerate: int = 48000,
    output_channel: int = 0,
    input_channel: int | None = None,
    *,
    level_db: float = DEFAULT_LEVEL_DB,
    signal_seconds: float = 0.02,
    tail_seconds: float = 0.05,
    max_wait_seconds: float = 0.5,
    detect_db: float = -40.0,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> LatencyResult:
    """Round-trip latency from ``output_channel`` to an input, timed on the streams' clocks.

    Each take plays a short logarithmic sweep (``signal_seconds``, 300 Hz to 16 kHz,
    faded); the takes follow one another in one continuous signal, ``signal_seconds +
    tail_seconds + max_wait_seconds`` apart. See the module for how a take is timed.

    Parameters
    ----------
    speaker, microphone:
        Devices (or ids / parts of names).
    repeats:
        Number of takes kept (at least 1); a discarded take is made again, up to as many
        more in all.
    samplerate:
        Of both streams, in Hz.
    output_channel:
        The output channel to play on.
    input_channel:
        The input channel to measure; None picks the one where the signal arrives strongest
        in the first take.
    level_db:
        Peak level of the sweep in dBFS.
    signal_seconds, tail_seconds, max_wait_seconds:
        Length of the sweep; silence after it; and the longest round trip that can be
        measured (more than that and the sweep is taken for missing).
    detect_db:
        The signal must arrive at least this loud (dB re played), or the run fails.
    progress, cancel:
        ``progress(done, total)`` counts takes; cancelling raises :class:`Cancelled`.

    Raises
    ------
    MeasurementError
        The signal did not arrive (on any input, or on ``input_channel``), or too many
        takes were interrupted by an underrun, overflow or gap.
    ValueError
        Invalid arguments.
    """
    speaker = _speaker(speaker)
    microphone = _microphone(microphone)
    if int(repeats) != repeats or repeats < 1:
        raise ValueError(f"repeats must be a positive integer, got {repeats!r}.")
    _check_outputs([output_channel], speaker)
    if input_channel is not None and not 0 <= input_channel < microphone.channels:
        raise ValueError(
            f"{microphone.name} has {microphone.channels} input channels (1 to "
            f"{microphone.channels}); there is no channel {input_channel + 1} (index "
            f"{input_channel}, counted from 0)."
        )
    is_cancelled = _cancel_check(cancel)
    top = min(16000.0, 0.45 * samplerate)
    sweep = log_sweep(300.0, top, signal_seconds, samplerate, level_db, fade=0.002)
    period = sweep.size + round((tail_seconds + max_wait_seconds) * samplerate)
    lead = round(_LEAD_IN_SECONDS * samplerate)
    if progress is not None:
        progress(0, int(repeats))
    try:
        with microphone.recorder(samplerate) as recorder:
            with speaker.player(samplerate) as player:
                try:  # what the server says the two streams add, for comparison
                    stated: float | None = (player.latency + recorder.latency) * 1000.0
                except sc.AudioError:
                    stated = None
                run = _Run(recorder, player, sweep, output_channel, lead, period, samplerate)
                result = run.measure(int(repeats), input_channel, detect_db, is_cancelled, progress)
    except _Stop:
        raise Cancelled() from None
    values, chosen, level, discarded, steps, stretches = result
    return LatencyResult(
        values_ms=values,
        output_channel=output_channel,
        input_channel=chosen,
        samplerate=samplerate,
        level_db=level,
        info={
            "output_device": speaker.name,
            "input_device": microphone.name,
            "method": LATENCY_METHOD,
            "stated_latency_ms": None if stated is None else round(stated, 3),
            "discarded_takes": discarded,
            "clock_step_ms": round(steps * 1000.0, 3),
            "alignments": stretches,
        },
    )


class _Run:
    """Rounds of takes on an open player and recorder."""

    def __init__(
        self,
        recorder: sc.Recorder,
        player: sc.Player,
        sweep: NDArray[np.float32],
        output_channel: int,
        lead: int,
        period: int,
        samplerate: int,
    ) -> None:
        self.recorder, self.player, self.sweep = recorder, player, sweep
        self.output_channel, self.lead, self.period = output_channel, lead, period
        self.rate = samplerate
        self.played = 0  # player frames written so far: where the next round starts
        self.recorded = 0  # recorder frames returned so far
        self.path_carried = False  # a take has arrived: the path is connected

    def measure(
        self,
        repeats: int,
        input_channel: int | None,
        detect_db: float,
        is_cancelled: Callable[[], bool],
        progress: ProgressCallback | None,
    ) -> tuple[list[float], int, float, int, float, int]:
        """(latencies ms, input channel, level dB, takes discarded, widest clock step s,
        alignment stretches the kept takes came from).

        A round plays the takes still missing; up to three rounds are made."""
        values: list[float] = []
        chosen, level, discarded, steps = input_channel, 0.0, 0, 0.0
        stretches: set[float] = set()
        for _ in range(3):
            missing = repeats - len(values)
            for outcome in self._round(
                missing, len(values), repeats, is_cancelled, progress, detect_db, chosen
            ):
                if isinstance(outcome, str):
                    discarded += 1
                    continue
                latency, channel, take_level, take_step, stretch = outcome
                stretches.add(stretch)
                if chosen is None:
                    chosen = channel
                if not values:
                    level = take_level
                values.append(latency)
                steps = max(steps, take_step)
            if len(values) == repeats:
                assert chosen is not None
                return values, chosen, level, discarded, steps, len(stretches)
        raise MeasurementError(
            f"{discarded} takes were interrupted (the output ran dry, the input dropped "
            "audio, or the server delivered silence or lost a take): the computer or the "
            "sound server is overloaded."
        )

    def _round(
        self,
        takes: int,
        kept: int,
        repeats: int,
        is_cancelled: Callable[[], bool],
        progress: ProgressCallback | None,
        detect_db: float,
        chosen: int | None,
    ) -> list[_Outcome | str]:
        """Play and record ``takes`` takes in one go, then time each one."""
        tail = 4 * round(0.02 * self.rate) + round(_READ_SECONDS * self.rate)
        signal = np.zeros(
            (self.lead + takes * self.period + tail, self.player.channels), np.float32
        )
        starts = [self.played + self.lead + take * self.period for take in range(takes)]
        for start in starts:
            at = start - self.played
            signal[at : at + self.sweep.size, self.output_channel] = self.sweep
        self.recorded += self.recorder.record(None).shape[0]
        first = self.recorded
        block = _player_blocksize(signal.shape[0], self.rate, signal.shape[1])
        background = _Background(self.player, signal, block)
        pieces: list[NDArray[np.float32]] = []
        readings: list[_Reading] = []
        step = max(1, round(_READ_SECONDS * self.rate))
        guard = round(0.02 * self.rate)
        # Takes are counted on the last reading taken while the signal was still being
        # written: once the player has run dry its position stands still while its clock
        # goes on, so a later reading would put every take further off with each read.
        anchor: _Reading | None = None
        drained_at: int | None = None  # recorder frames when the writing was seen done
        drain_limit = round(_DRAIN_LIMIT_SECONDS * self.rate)
        background.thread.start()
        try:
            while True:
                if is_cancelled():
                    raise _Stop
                if background.error is not None:
                    raise background.error
                piece = self.recorder.record(step)
                pieces.append(piece)
                self.recorded += piece.shape[0]
                reading = _Reading(
                    self.recorded,
                    self.player.device_position(),
                    self.recorder.device_position(),
                    self.player.underruns,
                    self.recorder.overflows,
                )
                readings.append(reading)
                if background.thread.is_alive() or anchor is None:
                    anchor = reading
                elif drained_at is None:
                    drained_at = self.recorded
                arrived = takes_recorded(
                    _offset(anchor, self.rate), self.recorded, starts, self.period, guard
                )
                if progress is not None:
                    progress(min(repeats, kept + arrived), repeats)
                if arrived >= takes:
                    break
                if drained_at is not None and self.recorded - drained_at >= drain_limit:
                    _log.warning(
                        "latency: %d of %d takes had not arrived %.1f s after the signal "
                        "ended; timing those that did",
                        arrived,
                        takes,
                        _DRAIN_LIMIT_SECONDS,
                    )
                    break
        finally:
            background.stop()
        self.played += signal.shape[0]
        recording = np.concatenate(pieces)
        # Readings from before the streams settled (the lead-in's first half) are left out.
        settled = starts[0] - self.lead // 2
        stretches = _stretches([r for r in readings if _player_frame(r, self.rate) >= settled])
        found: list[_Arrival | _Missing | str] = []
        for start in starts:
            arrival = self._find_take(start, first, recording, stretches, guard, detect_db, chosen)
            if chosen is None and isinstance(arrival, _Arrival):
                chosen = arrival.channel
            found.append(arrival)
        return self._time_takes(self._judge_missing(found))

    def _judge_missing(self, found: list[_Arrival | _Missing | str]) -> list[_Arrival | str]:
        """Takes whose sweep was not found, discarded once the path has carried one.

        Until a take has arrived, nothing arriving means the path is not connected: that
        is the error. After that, a take missing from where the streams' positions put it
        is a take the server lost or moved without saying so (an underrun that it did not
        count, as Wine's WASAPI does not): it is played again.
        """
        if any(isinstance(f, _Arrival) for f in found):
            self.path_carried = True
        missing = [f for f in found if isinstance(f, _Missing)]
        if missing and not self.path_carried:
            raise MeasurementError(missing[0].message)
        for take in missing:
            _log.warning("latency: a take was lost and is played again: %s", take.message)
        return ["missing" if isinstance(f, _Missing) else f for f in found]

    def _time_takes(self, found: list[_Arrival | str]) -> list[_Outcome | str]:
        """Time every take found, each alignment of the streams on its own readings.

        Within an alignment a sweep arrives the same number of frames after it was played,
        take after take. Where that number moves (a server that stalled without saying so),
        the alignment moved: the takes after it are timed on the readings around them.
        """
        groups: list[list[_Arrival]] = []
        for arrival in found:
            if not isinstance(arrival, _Arrival):
                continue
            last = groups[-1][-1] if groups else None
            if (
                last is not None
                and last.stretch is arrival.stretch
                and abs(arrival.frames_after - last.frames_after) <= 1.0
            ):
                groups[-1].append(arrival)
            else:
                groups.append([arrival])
        timed: dict[int, _Outcome] = {}
        for group in groups:
            low = group[0].start_out - self.period // 2
            high = group[-1].start_out + self.period
            near = [r for r in group[0].stretch if low <= _player_frame(r, self.rate) <= high]
            readings = near if len(near) >= 2 else group[0].stretch
            out_zero, out_step = zero_time([r.output for r in readings], capture=False)
            in_zero, in_step = zero_time([r.input for r in readings], capture=True)
            for arrival in group:
                latency = (in_zero + arrival.frame / self.rate) - (
                    out_zero + arrival.start_out / self.rate
                )
                timed[id(arrival)] = (
                    latency * 1000.0,
                    arrival.channel,
                    arrival.level_db,
                    max(out_step, in_step),
                    readings[0].input.time,
                )
        return [timed[id(a)] if isinstance(a, _Arrival) else a for a in found]

    def _find_take(
        self,
        start_out: int,
        first: int,
        recording: NDArray[np.float32],
        stretches: list[list[_Reading]],
        guard: int,
        detect_db: float,
        chosen: int | None,
    ) -> _Arrival | _Missing | str:
        """Where the take played from player frame ``start_out`` arrived, or why it was
        discarded."""
        stretch = _stretch_at(stretches, start_out, self.rate)
        if stretch is None:
            return "interrupted"
        offset = _offset(stretch[-1], self.rate)
        begin = round(start_out + offset) - first  # where it arrives with no path delay
        if begin + self.period > recording.shape[0]:
            return "cut short"  # the round ended before this take was recorded whole
        # From a guard before where the sweep would arrive with no delay to a guard before
        # where the next take's would, and only whole sweeps: a window reaching into the
        # next take would find that one's start when this one was lost.
        window_start = max(0, begin - guard)
        window = recording[window_start : begin + self.period - guard]
        whole = window.shape[0] - self.sweep.size
        gains, delays = find_arrivals(self.sweep, window, max_lag=whole)
        levels = 20.0 * np.log10(np.maximum(np.abs(gains), 1e-12))
        channel = int(np.argmax(levels)) if chosen is None else chosen
        if levels[channel] < detect_db:
            strongest = int(np.argmax(levels))
            return _Missing(
                f"the test signal from output {self.output_channel} did not arrive on input "
                f"{channel} (strongest: input {strongest} at {levels[strongest]:.1f} dB re "
                f"played; at least {detect_db:g} dB is needed, within "
                f"{whole / self.rate:.2f} s)."
            )
        arrival = int(delays[channel])
        column = window[arrival : arrival + self.sweep.size]
        silent = ~np.any(column != 0, axis=1)
        runs = np.convolve(silent.astype(np.int32), np.ones(DROPOUT_FRAMES, np.int32), "valid")
        if runs.size and np.any(runs == DROPOUT_FRAMES):
            return "gap"
        j = first + window_start + float(delays[channel])
        return _Arrival(start_out, j, channel, float(levels[channel]), stretch)


def takes_recorded(
    offset: float, recorded: int, starts: Sequence[int], period: int, guard: int
) -> int:
    """How many takes (played from player frames ``starts``, ``period`` frames each) are
    recorded whole, with two guards after, once ``recorded`` recorder frames are in;
    ``offset`` is recorder frame minus player frame at one instant."""
    return sum(1 for start in starts if start + offset + period + 2 * guard <= recorded)


def _offset(reading: _Reading, rate: int) -> float:
    """Recorder frame minus player frame at one instant, from one reading's positions."""
    out_zero = reading.output.time - reading.output.frame / rate
    in_zero = reading.input.time - reading.input.frame / rate
    return (out_zero - in_zero) * rate


def _player_frame(reading: _Reading, rate: int) -> float:
    """The player frame being played when the reading's input position was read."""
    return reading.output.frame + (reading.input.time - reading.output.time) * rate


def _stretches(readings: list[_Reading]) -> list[list[_Reading]]:
    """The readings cut where an underrun or overflow happened: within a stretch both
    streams kept their alignment, so its readings time the same frames."""
    out: list[list[_Reading]] = []
    for reading in readings:
        if out and (reading.underruns, reading.overflows) == (
            out[-1][-1].underruns,
            out[-1][-1].overflows,
        ):
            out[-1].append(reading)
        else:
            out.append([reading])
    return out


def _stretch_at(
    stretches: list[list[_Reading]], start_out: int, rate: int
) -> list[_Reading] | None:
    """The stretch whose readings span the whole take starting at player frame
    ``start_out`` (None: an underrun or overflow fell inside it)."""
    for stretch in stretches:
        if len(stretch) < 2:
            continue
        frames = [_player_frame(r, rate) for r in stretch]
        if frames[0] <= start_out and frames[-1] >= start_out:
            return stretch
    return None
