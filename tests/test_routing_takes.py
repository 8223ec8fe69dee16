"""Which all-outputs routing takes are played again, pure NumPy: a take whose paths do not
account for its pilot (the server delivered part of it late, or lost the pilot) is; a take
of a miswired or half-connected rig is not."""

from __future__ import annotations

import numpy as np
import pytest

from scgui.measure.routing_at_once import _unexplained
from scgui.measure.sweeps import analyse_take, staggered_take
from tests.test_sweeps import simulate

RATE = 48000
THRESHOLD = 10 ** (-80 / 20)


def _late_from(recording: np.ndarray, at: int, frames: int) -> np.ndarray:
    """``recording`` with ``frames`` of exact silence put in at ``at`` (the rest comes late)."""
    gap = np.zeros((frames, recording.shape[1]), recording.dtype)
    return np.concatenate([recording[:at], gap, recording[at:]])[: recording.shape[0]]


def _judge(take, recording) -> bool:
    return _unexplained(take, analyse_take(take, recording, -80.0), THRESHOLD)


def test_a_clean_take_of_reversed_wiring_is_explained() -> None:
    take = staggered_take(2, RATE)
    recording = simulate(take, {(0, 1): (1.0, 0), (1, 0): (1.0, 0)}, 900, 2, noise=1e-6)
    assert not _judge(take, recording)


def _reversed_take_late_from(seconds: float, gap_seconds: float):
    take = staggered_take(2, RATE)
    recording = simulate(take, {(0, 1): (1.0, 0), (1, 0): (1.0, 0)}, 900, 2, noise=1e-6)
    late = _late_from(recording, 900 + round(seconds * RATE), round(gap_seconds * RATE))
    return take, analyse_take(take, late, -80.0)


def test_sweeps_delivered_late_after_the_pilot_are_unexplained() -> None:
    """A stall of 130 ms in the pilot's last, high part: the pilot is found, no path is."""
    take, paths = _reversed_take_late_from(0.7, 0.13)
    assert paths.base is not None and not np.any(np.abs(paths.gain) > 0.01)
    assert _unexplained(take, paths, THRESHOLD)


def test_a_stall_of_one_stagger_that_finds_the_wrong_path_is_unexplained() -> None:
    """50 ms late: output 0's sweep lands in output 1's window, on the wrong input."""
    take, paths = _reversed_take_late_from(0.7, 0.05)
    assert paths.gain[1, 1] > 0.5  # the wrong path, at full strength
    assert _unexplained(take, paths, THRESHOLD)


def test_a_stall_inside_the_sweeps_that_weakens_the_paths_is_unexplained() -> None:
    """Late by 20 ms in the sweeps' high part: both paths found, 8 and 10 dB too weak."""
    take, paths = _reversed_take_late_from(0.9, 0.02)
    assert paths.gain[0, 1] > 0 and paths.gain[1, 0] > 0
    assert _unexplained(take, paths, THRESHOLD)


def test_a_stall_before_everything_that_matters_is_explained() -> None:
    """Late before the pilot's high part: the whole take shifts and measures right (its
    latency is longer by the stall, as it was)."""
    take, paths = _reversed_take_late_from(0.3, 0.05)
    assert paths.gain[0, 1] == pytest.approx(1.0, abs=0.01)
    assert paths.gain[1, 0] == pytest.approx(1.0, abs=0.01)
    assert not _unexplained(take, paths, THRESHOLD)


def test_a_lost_pilot_with_sweeps_after_it_is_unexplained() -> None:
    take = staggered_take(2, RATE)
    recording = simulate(take, {(0, 0): (1.0, 0), (1, 1): (1.0, 0)}, 900, 2, noise=1e-6)
    late = _late_from(recording, 900, round(0.35 * RATE))  # the pilot lands past its reach
    paths = analyse_take(take, late, -80.0)
    assert paths.base is None
    assert _unexplained(take, paths, THRESHOLD)


def test_outputs_that_go_nowhere_are_a_wiring_fault_not_a_disturbed_take() -> None:
    """Only the last of eight outputs is connected, 40 dB down; one output of two reaches
    both inputs; two paths into one input 2 ms apart; nothing connected at all: all are
    taken as they are."""
    take = staggered_take(8, RATE)
    assert not _judge(take, simulate(take, {(7, 1): (0.01, 0)}, 2000, 2, noise=1e-7))
    take = staggered_take(2, RATE)
    assert not _judge(take, simulate(take, {(0, 0): (1.0, 0), (0, 1): (0.5, 0)}, 700, 2))
    assert not _judge(take, simulate(take, {(0, 0): (1.0, 0), (1, 0): (0.5, 96)}, 700, 2))
    assert not _judge(take, simulate(take, {}, 700, 2, noise=1e-7))


def test_many_quiet_paths_into_one_input_are_explained() -> None:
    """Sixteen outputs summed onto one input just above the threshold: their pilots add up
    in phase to 12 dB above each path (16 of them over 4), which the rule allows for."""
    take = staggered_take(16, RATE)
    gain = 2.0 * THRESHOLD
    recording = simulate(take, {(k, 0): (gain, 0) for k in range(16)}, 800, 1)
    paths = analyse_take(take, recording, -80.0)
    assert np.count_nonzero(paths.gain) == 16
    assert not _unexplained(take, paths, THRESHOLD)


def test_a_path_slower_than_the_windows_reach_is_unexplained() -> None:
    """The documented limit: such a take is played again, then its report is kept."""
    take = staggered_take(2, RATE)
    paths = {(0, 0): (1.0, 0), (1, 1): (1.0, round(0.03 * RATE))}
    assert _judge(take, simulate(take, paths, 800, 2, noise=1e-6))
