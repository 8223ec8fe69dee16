"""Helpers for the loopback tests: known patterns, playing them and finding them again."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

import scgui.audio as sc

RATE = 48000


def pattern(frames: int, channels: int, seed: int = 0) -> np.ndarray:
    """Random float32 audio with no zero sample, so its first frame is easy to find."""
    rng = np.random.default_rng(seed)
    magnitude = rng.uniform(0.05, 0.5, (frames, channels))
    sign = rng.choice([-1.0, 1.0], (frames, channels))
    return (magnitude * sign).astype(np.float32)


def capture_while_playing(
    speaker: sc.Speaker,
    microphone: sc.Microphone,
    data: np.ndarray,
    *,
    play_channels: object = None,
    record_channels: object = None,
    blocksize: int | None = None,
    play_blocksize: int | None = None,
    margin: float = 0.3,
) -> np.ndarray:
    """Record ``microphone`` while ``data`` plays on ``speaker``; return the recording.

    ``blocksize`` is the recorder's; ``play_blocksize`` the player's (default: the library's).
    """
    LAST_TAKE["glitches"] = 0
    with microphone.recorder(RATE, channels=record_channels, blocksize=blocksize) as recorder:
        with speaker.player(RATE, channels=play_channels, blocksize=play_blocksize) as player:
            recorder.record(None)  # start from now: nothing left over from before
            overflows = recorder.overflows
            player.play(data)
            player.wait()
            underruns = player.underruns
        recording = recorder.record(len(data) + int(margin * RATE))
        LAST_TAKE["glitches"] = underruns + recorder.overflows - overflows
        return recording


#: What the library reported of the last take of :func:`capture_while_playing`: its
#: player's underruns and its recorder's overflows.
LAST_TAKE = {"glitches": 0}


class ReportedGlitch(AssertionError):
    """A take that did not arrive exactly, in which the library itself reported an underrun
    or an overflow: the machine did not give the test's writer or reader the CPU in time
    (seen in CI when the host took a third of these virtual CPUs), which the library said.
    The test passes rerun such a test twice at most (``--only-rerun ReportedGlitch``); a
    mismatch with nothing reported fails at once."""


def _naming_glitches(check: Callable[[np.ndarray, np.ndarray], None]) -> Callable[..., None]:
    """``check``, whose failure is a :class:`ReportedGlitch` if the last take reported one
    (a PipeWire dropout stays one)."""

    @functools.wraps(check)
    def checked(got: np.ndarray, expected: np.ndarray) -> None:
        try:
            check(got, expected)
        except (PipeWireDropout, ReportedGlitch):
            raise
        except AssertionError as exc:
            if not LAST_TAKE["glitches"]:
                raise
            raise ReportedGlitch(
                f"{exc} (the take reported {LAST_TAKE['glitches']} underruns or overflows)"
            ) from exc

    return checked


def onset(recording: np.ndarray) -> int:
    """Index of the first frame that is not silent; fails the test if all is silence."""
    loud = np.flatnonzero(np.any(recording != 0, axis=1))
    assert loud.size, "the played signal never arrived: the recording is pure silence"
    return int(loud[0])


class PipeWireDropout(AssertionError):
    """PipeWire replaced played frames with silence (its own dropout, not a library bug).

    Measured on PipeWire 0.3.65 (PLATFORM_NOTES): in about 5 % of one-second takes 256 or
    512 frames arrive as exact zeros with no underflow reported to the client; rarely only
    some channels do (one CI run: channel 1 of 8 silent for 256 frames, channel 6 exact).
    A test run on PipeWire reruns such a test twice at most (``--only-rerun
    PipeWireDropout``); a third, or any other mismatch, fails it.
    """


def on_pipewire() -> bool:
    """Whether the session's rig is PipeWire (``SCGUI_RIG_SERVER=pipewire``)."""
    return os.environ.get("SCGUI_RIG_SERVER", "pulseaudio") == "pipewire"


@_naming_glitches
def assert_exact(segment: np.ndarray, expected: np.ndarray) -> None:
    """Assert ``segment == expected`` bit for bit; name a PipeWire dropout as such, and a
    take whose glitch the library reported (:class:`ReportedGlitch`)."""
    assert segment.shape == expected.shape, f"got {segment.shape}, expected {expected.shape}"
    mismatched = np.flatnonzero(np.any(segment != expected, axis=1))
    if mismatched.size == 0:
        return
    if on_pipewire() and not np.any(segment[mismatched]):
        raise PipeWireDropout(
            f"{mismatched.size} frames arrived as silence (first at frame {mismatched[0]}), "
            "everything else bit-exact: a PipeWire dropout"
        )
    if (
        on_pipewire()
        and mismatched.size <= CHANNEL_DROPOUT_MAX_FRAMES
        and not np.any(segment[segment != expected])
    ):
        silenced = np.flatnonzero(np.any(segment != expected, axis=0))
        raise PipeWireDropout(
            f"{mismatched.size} frames of channel(s) {silenced.tolist()} arrived as silence "
            f"(first at frame {mismatched[0]}), the other channels and everything else "
            "bit-exact: a PipeWire dropout on one channel's port (PipeWire links each "
            "channel separately)"
        )
    if on_pipewire() and _silence_inserted_at(segment, expected, int(mismatched[0])):
        raise PipeWireDropout(
            f"silence stood in at frame {mismatched[0]} and the audio went on after it, "
            "bit-exact: a PipeWire stall; "
            + _describe_mismatch(segment, expected, int(mismatched[0]))
        )
    if on_pipewire() and _in_order_with_losses(segment, expected):
        raise PipeWireDropout(
            f"{mismatched.size} frames differ from frame {mismatched[0]} on, but every frame "
            "that arrived is the played one, in order, bit-exact: PipeWire lost audio in a "
            "stall (a busy host); " + _describe_mismatch(segment, expected, int(mismatched[0]))
        )
    raise AssertionError(
        f"{mismatched.size} frames differ, first at frame {mismatched[0]}: "
        f"got {segment[mismatched[0]]}, expected {expected[mismatched[0]]}; "
        + _describe_mismatch(segment, expected, int(mismatched[0]))
    )


def _describe_mismatch(segment: np.ndarray, expected: np.ndarray, first: int) -> str:
    """What happened at ``first``: how many silent frames, and where the audio went on."""
    silent = ~np.any(segment[first:] != 0, axis=1)
    run = int(np.argmin(silent)) if not np.all(silent) else silent.size
    after = first + run
    if after >= len(segment):
        return f"silence from there to the end ({run} frames)"
    found = np.flatnonzero(np.all(expected == segment[after], axis=1))
    where = f"expected frame {int(found[0])}" if found.size else "no expected frame"
    return f"{run} silent frames, then frame {after} is {where}"


def _silence_inserted_at(segment: np.ndarray, expected: np.ndarray, first: int) -> bool:
    """Whether ``segment`` is ``expected`` with runs of silence, the first at ``first``, each
    of which stood in for at most as many frames as it lasted: after a run the expected
    audio goes on bit for bit, from where the run began (silence inserted) or from up to the
    run's length later (a stalled cycle whose audio PipeWire dropped, as measured on the rig:
    512 silent frames, then the audio 256 frames on), up to the next such run or the end. A
    busy host stalls PipeWire's graph more than once in a take (seen in CI: a run of 256
    silent frames every second or so); audio lost or out of order anywhere else is no
    dropout."""
    at, origin = first, first  # where the segment and the expected audio part
    while True:
        silent = ~np.any(segment[at:] != 0, axis=1)
        if silent.size < DROPOUT_MIN_FRAMES or not np.all(silent[:DROPOUT_MIN_FRAMES]):
            return False
        run = int(np.argmin(silent)) if not np.all(silent) else silent.size
        resumed = segment[at + run :]
        if resumed.shape[0] == 0:
            return False
        window = expected[origin : origin + run + 1]
        found = np.flatnonzero(np.all(window == resumed[0], axis=1))
        if not found.size:
            return False
        origin += int(found[0])
        tail = expected[origin : origin + resumed.shape[0]]
        differs = np.flatnonzero(np.any(resumed[: tail.shape[0]] != tail, axis=1))
        if not differs.size:  # bit-exact to the end of the take (silence after it)
            return not np.any(resumed[tail.shape[0] :])
        at, origin = at + run + int(differs[0]), origin + int(differs[0])


def _in_order_with_losses(segment: np.ndarray, expected: np.ndarray) -> bool:
    """Whether every frame of ``segment`` that is not silence is a frame of ``expected``,
    bit-exact, in the order played, none twice, and at least half of them arrived: what a
    PipeWire graph that stalls again and again on a busy host leaves of a take (seen in CI
    with 40 % of the virtual CPUs taken by the host: 256 silent frames, then the audio 512
    frames on). The PulseAudio pass, where the library's own code is the same, still asks
    for every frame."""
    loud = np.any(segment != 0, axis=1)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], loud.astype(np.int8), [0]])))
    played, arrived = 0, 0  # where the next frame may come from in ``expected``; how many did
    for begin, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        at = begin
        while at < end:
            found = np.flatnonzero(np.all(expected[played:] == segment[at], axis=1))
            if not found.size:
                return False  # not played, or played before: garbled or doubled
            origin = played + int(found[0])
            count = min(end - at, len(expected) - origin)
            differs = np.flatnonzero(
                np.any(segment[at : at + count] != expected[origin : origin + count], axis=1)
            )
            same = int(differs[0]) if differs.size else count
            at, played, arrived = at + same, origin + same, arrived + same
    return 2 * arrived >= len(expected)


#: Shortest run of exact silence taken for a PipeWire dropout (its graph cycle is 256 frames
#: on the rig; a played pattern has no zero sample, so 64 silent frames in a row are none).
DROPOUT_MIN_FRAMES = 64


#: Longest per-channel silence taken for a PipeWire dropout (a few graph cycles); a channel
#: silent for longer is a channel the library lost, and fails.
CHANNEL_DROPOUT_MAX_FRAMES = 2048


def without_inserted_silence(recording: np.ndarray, length: int) -> tuple[np.ndarray, int]:
    """``recording`` with the runs of 64 or more all-zero frames among its first ``length``
    frames of audio removed, and how many frames that was.

    PipeWire sometimes stalls a sink for a cycle or more: its monitor then records silence
    and the played audio resumes after it, shifted. Removing those runs gives back what was
    played, bit for bit, when that is all that happened.
    """
    silent = ~np.any(recording != 0, axis=1)
    keep = np.ones(len(recording), dtype=bool)
    removed = 0
    edges = np.flatnonzero(np.diff(np.concatenate([[0], silent.astype(np.int8), [0]])))
    for begin, end in zip(edges[::2], edges[1::2], strict=True):
        if begin - removed >= length:
            break  # silence after the take is no dropout
        if end - begin >= DROPOUT_MIN_FRAMES:
            keep[begin:end] = False
            removed += int(end - begin)
    return recording[keep], removed


@_naming_glitches
def find_exact(recording: np.ndarray, expected: np.ndarray) -> None:
    """Assert that ``expected`` appears in ``recording`` bit for bit, no frame lost or doubled
    (see :func:`assert_exact` for what a failure is named)."""
    start = onset(recording)
    segment = recording[start : start + len(expected)]
    if on_pipewire() and (segment.shape != expected.shape or np.any(segment != expected)):
        rest, removed = without_inserted_silence(recording[start:], len(expected))
        if (
            removed
            and rest[: len(expected)].shape == expected.shape
            and not np.any(rest[: len(expected)] != expected)
        ):
            raise PipeWireDropout(
                f"{removed} frames of silence were inserted into the take, everything else "
                "arrived bit-exact: a PipeWire stall"
            )
    assert segment.shape == expected.shape, (
        f"only {len(segment)} of {len(expected)} frames arrived (onset at frame {start})"
    )
    assert_exact(segment, expected)
    after = recording[start + len(expected) :]
    assert not np.any(after), "extra audio after the pattern: frames were duplicated"


@contextmanager
def tone_on(speaker_id: str, data: np.ndarray) -> Iterator[None]:
    """Play ``data`` over and over on a speaker from a background thread."""
    stop = threading.Event()

    def run() -> None:
        with sc.get_speaker(speaker_id).player(RATE, blocksize=1024) as player:
            while not stop.is_set():
                player.play(data)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)
