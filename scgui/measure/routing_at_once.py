"""The routing check in one take: every output at once, with staggered exponential sweeps.

:func:`scgui.measure.runs.check_routing` runs this by default (``method="sweeps"``); the
one-output-at-a-time run stays for noisy rooms (``method="one-by-one"``). One take plays
the pilot and every output's sweep (:mod:`scgui.measure.sweeps`), records every input, and
reads each path's level, polarity and delay off the deconvolved recording. All delays come
from one recording, on one clock, so the skew between outputs is exact to the sample; 32
outputs take about as long as 3 s of audio plus the analysis.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

import scgui.audio as sc

from .response import THD_FREQUENCIES, take_responses
from .routing import Expectation, RoutingMatrix, RoutingReport, Thresholds, classify
from .runs import DROPOUT_FRAMES, MeasurementError, _player_blocksize, _Stop
from .signals import db_to_amplitude
from .sweeps import (
    PILOT_REACH_SECONDS,
    PathResponses,
    StaggeredTake,
    analyse_take,
    staggered_take,
)

logger = logging.getLogger(__name__)

#: Silence played before the take. A sink that rewinds to mix a new stream in at once (a
#: PulseAudio null sink with rewinds) puts its first milliseconds on its monitor before the
#: moment the recording started: they fall in this silence, not in the pilot.
LEAD_IN_SECONDS = 0.05
#: Longest round trip waited for after the take has played, s: as long as the pilot is
#: looked for (a longer one cannot be measured in one take; use one-by-one).
LATENCY_ALLOWANCE_SECONDS = PILOT_REACH_SECONDS


def _has_dropout(recording: NDArray[np.float32], take: StaggeredTake, paths: PathResponses) -> bool:
    """Exact silence (a server dropout) where a connected path's sweep was arriving.

    Each path found is looked at over its own sweep on its own input: a live signal is never
    exactly zero for :data:`DROPOUT_FRAMES` frames in a row, a server that dropped audio is.
    """
    if paths.base is None:
        return False
    window = np.ones(DROPOUT_FRAMES, np.int32)
    for k, j in zip(*np.nonzero(paths.gain), strict=True):
        start = take.starts[k] + int(paths.delay[k, j])
        column = recording[start : start + take.sweep.frames, j]
        if column.size < DROPOUT_FRAMES:
            continue
        silent = (column == 0).astype(np.int32)
        if np.any(np.convolve(silent, window, "valid") == DROPOUT_FRAMES):
            return True
    return False


#: How much stronger than its paths account for the pilot may come back on an input (an
#: amplifier compressing a sweep 20 dB louder than each pilot, paths found a little weak).
_PILOT_MARGIN = 1.5


def _unexplained(take: StaggeredTake, paths: PathResponses, threshold: float) -> bool:
    """Whether the paths found do not account for what came back: a disturbed take.

    The pilot plays on every output at ``1/sqrt(n)`` of a sweep's level through the same
    paths, so on an input it peaks at most at the sum of the paths' gains into it over
    ``sqrt(n)`` (exactly that when they arrive in phase), plus what the paths too weak to be
    found (``sqrt(n)`` times the threshold at most) add. A pilot well above that on an
    input, or a strong response without a pilot, means the server delivered part of the
    take late (a stall that PipeWire does not report as an underrun: the sweeps then fall
    outside their windows, wholly or in part) or lost it. A wiring fault does not look like
    this: an output that goes nowhere sends its pilot nowhere too. (A path slower than the
    windows' reach, :data:`~scgui.measure.sweeps.REACH_SECONDS` behind the fastest, does:
    it is found nowhere however often the take is played; the last take's report is kept.)
    """
    root = math.sqrt(take.outputs)
    unfound = root * threshold
    if paths.base is None:
        return paths.loudest >= _PILOT_MARGIN * unfound
    accounted = np.sum(np.abs(paths.gain), axis=0) / root + unfound
    return bool(np.any(paths.pilot_peak > _PILOT_MARGIN * accounted))


#: Recorded after the take's end plus its round trip: the fade-in the first arrival is seen
#: in, and the reach of the latest window.
_TAIL_SECONDS = 0.05


def _first_arrival(pieces: list[NDArray[np.float32]], allowance: int) -> int | None:
    """Frame at which the take (its pilot) began to arrive, or None if it is not clear yet.

    Nothing arrives before the pilot, and it is as loud as anything after it: the first
    frame at a tenth of the loudest value so far is where it came in (within its fade-in).
    An arrival later than ``allowance`` frames is not trusted.
    """
    if not pieces:
        return None
    recording = np.concatenate(pieces)
    if recording.shape[0] == 0:
        return None
    level = np.max(np.abs(recording), axis=1)
    loudest = float(np.max(level))
    if loudest <= 0.0:
        return None
    first = int(np.argmax(level >= 0.1 * loudest))
    return first if first <= allowance else None


def run_take(
    recorder: sc.Recorder,
    player: sc.Player,
    frames: NDArray[np.float32],
    take: StaggeredTake,
    record_more: Callable[[sc.Recorder, int], NDArray[np.float32]],
    progress: Callable[[float], None],
    blocksize: int,
    is_cancelled: Callable[[], bool],
) -> NDArray[np.float32]:
    """Play the take a block at a time (looking at the cancel token in between), then record
    to its end plus the latency allowance."""

    recorder.record(None)  # the recording starts now
    total = frames.shape[0] + round(LATENCY_ALLOWANCE_SECONDS * recorder.samplerate)
    pieces = []
    have = 0
    for start in range(0, frames.shape[0], blocksize):
        if is_cancelled():
            raise _Stop
        player.play(frames[start : start + blocksize])
        pieces.append(recorder.record(None))  # the recorder's buffer holds seconds anyway
        have += pieces[-1].shape[0]
        progress(have / total)
    player.wait()  # at most two blocks; then the player is idle, not running dry
    allowance = round(LATENCY_ALLOWANCE_SECONDS * recorder.samplerate)
    arrived = _first_arrival(pieces, allowance)
    if arrived is not None:  # the round trip is known: wait for that, not the most allowed
        total = min(total, frames.shape[0] + arrived + round(_TAIL_SECONDS * recorder.samplerate))
    step = max(1, recorder.samplerate // 10)
    while have < total:
        piece = record_more(recorder, min(step, total - have))
        pieces.append(piece)
        have += piece.shape[0]
        progress(have / total)
    return np.concatenate(pieces)


def check_routing_at_once(
    speaker: sc.Speaker,
    microphone: sc.Microphone,
    outputs: Sequence[int],
    wanted: Expectation,
    samplerate: int,
    level_db: float,
    limits: Thresholds,
    info: dict[str, object],
    record_more: Callable[[sc.Recorder, int], NDArray[np.float32]],
    progress: Callable[[int, int], None] | None,
    is_cancelled: Callable[[], bool] = lambda: False,
    *,
    sweep_seconds: float = 0.5,
    stagger_seconds: float = 0.05,
    attempts: int = 3,
    thd_frequencies: Sequence[float] = THD_FREQUENCIES,
) -> RoutingReport:
    """Measure every output of ``outputs`` in one take (see the module docstring).

    ``record_more(recorder, count)`` records while watching the caller's cancel token. A take
    during which the player ran dry, the recorder dropped audio or the server delivered
    silence inside a path's sweep is repeated, ``attempts`` times in all; then
    :class:`MeasurementError` is raised. A take whose paths do not account for what came
    back (:func:`_unexplained`) is repeated too; if every take is like that, the last one's
    report is given.
    """

    take = staggered_take(
        len(outputs),
        samplerate,
        sweep_seconds=sweep_seconds,
        stagger_seconds=stagger_seconds,
        level_db=level_db,
    )
    played = take.signals()
    lead = round(LEAD_IN_SECONDS * samplerate)
    frames = np.zeros((lead + played.shape[0], speaker.channels), dtype=np.float32)
    frames[lead:, list(outputs)] = played
    steps = len(outputs)

    reported = [0]

    def report_recording(fraction: float) -> None:
        # Recording is most of the work (0.7 of it), the analysis the rest; each step once.
        done = min(steps - 1, math.floor(fraction * 0.7 * steps))
        if progress is not None and done > reported[0]:
            reported[0] = done
            progress(done, steps)

    if progress is not None:
        progress(0, steps)
    retried = 0
    threshold = db_to_amplitude(limits.floor_db)
    kept: PathResponses | None = None  # the latest take that was whole but unexplained
    with microphone.recorder(samplerate) as recorder:
        blocksize = _player_blocksize(frames.shape[0], samplerate, speaker.channels)
        player = speaker.player(samplerate, blocksize=blocksize)
        player.__enter__()
        try:  # closed without a second drain: each take already waited for its end
            for _ in range(attempts):
                underruns, overflows = player.underruns, recorder.overflows
                recording = run_take(
                    recorder,
                    player,
                    frames,
                    take,
                    record_more,
                    report_recording,
                    blocksize,
                    is_cancelled,
                )
                interrupted = player.underruns != underruns or recorder.overflows != overflows
                paths = analyse_take(take, recording, detect_db=limits.floor_db)
                if not interrupted and not _has_dropout(recording, take, paths):
                    if not _unexplained(take, paths, threshold):
                        break
                    kept = paths
                    logger.info("a routing take's paths do not account for its pilot: again")
                retried += 1
            else:
                if kept is not None:  # the rig itself may be like that (see _unexplained)
                    paths, retried = kept, attempts - 1
                else:
                    raise MeasurementError(
                        f"the test signal was interrupted {attempts} times in a row (the output "
                        "ran dry or the input dropped audio): the computer or the sound server "
                        "is overloaded."
                    )
        finally:
            player.close()
    gain = paths.gain
    nothing = gain == 0.0
    matrix = RoutingMatrix(
        outputs=tuple(int(o) for o in outputs),
        inputs=tuple(range(microphone.channels)),
        gain_db=paths.gain_db,
        delay_ms=np.where(nothing, np.nan, (paths.delay - lead) * 1000.0 / samplerate),
        polarity=np.sign(gain).astype(np.int8),
        samplerate=float(samplerate),
        output_names=tuple(speaker.channel_names[o] for o in outputs),
        input_names=tuple(microphone.channel_names),
    )
    responses = tuple(
        replace(r, output=int(outputs[r.output]))
        for r in take_responses(take, paths, thd_frequencies)
    )
    result = classify(
        matrix,
        wanted,
        limits,
        **info,
        method="sweeps",
        sweep_seconds=sweep_seconds,
        stagger_ms=round(stagger_seconds * 1000.0, 3),
        retried_takes=retried,
    )
    if progress is not None:
        progress(steps, steps)
    return replace(result, responses=responses)
