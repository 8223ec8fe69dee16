"""Test signals ready to play: seamless loops, fades, per-channel ident, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from scgui.engine.generator import SignalSpec, make_source
from scgui.engine.sources import ArraySource

RATE = 48000


def test_sine_loops_without_a_seam_and_fades_in() -> None:
    source = make_source(SignalSpec("Sine", 997.0, -20.0), RATE, 2)
    assert source.frames is None and source.channels == 2
    data = np.concatenate([source.read(1000) for _ in range(200)])  # over two loop passes
    assert abs(data[0, 0]) < 1e-3  # fade-in: no click at the start
    steady = data[RATE // 10 :, 0]
    assert np.max(np.abs(steady)) == pytest.approx(0.1, abs=1e-3)
    steps = np.abs(np.diff(steady))
    assert steps.max() < 2 * np.median(steps) + 0.02  # no jump where the loop wraps
    np.testing.assert_array_equal(data[:, 0], data[:, 1])


def test_fade_out_ends_the_source_without_a_click() -> None:
    source = make_source(SignalSpec("Pink noise", level_db=-12.0), RATE, 1)
    source.read(RATE // 10)
    source.fade_out(0.01)
    tail = np.concatenate([source.read(256) for _ in range(5)])
    assert len(tail) == RATE // 100
    assert np.all(np.abs(tail[-10:]) < np.abs(tail).max() * 0.1 + 1e-6)
    assert source.read(256).shape[0] == 0


def test_sweep_plays_once_and_ident_differs_per_channel() -> None:
    sweep = make_source(SignalSpec("Log sweep", sweep_seconds=0.5), RATE, 3)
    assert sweep.frames == RATE // 2
    ident = make_source(SignalSpec("Channel ident"), RATE, 4)
    block = ident.read(RATE)
    correlation = np.corrcoef(block.T)
    assert np.all(np.abs(correlation[~np.eye(4, dtype=bool)]) < 0.2)


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        (SignalSpec("Sine", 30000.0), "frequency"),
        (SignalSpec("Sine", level_db=3.0), "0 dBFS"),
        (SignalSpec("Log sweep", sweep_from=1000.0, sweep_to=100.0), "sweep"),
        (SignalSpec("Square"), "Unknown"),
    ],
)
def test_bad_choices_are_explained(spec, match) -> None:
    with pytest.raises(ValueError, match=match):
        make_source(spec, RATE, 1)


def test_array_source_plays_once() -> None:
    source = ArraySource(np.ones(10, dtype=np.float32), RATE)
    assert source.read(4).shape == (4, 1)
    assert source.read(100).shape == (6, 1)
    assert source.read(100).shape == (0, 1)


def _beeps(column: np.ndarray) -> list[float]:
    """Lengths in seconds of the beeps in one column."""
    loud = np.abs(column) > 1e-4
    edges = np.flatnonzero(np.diff(np.concatenate([[0], loud.astype(np.int8), [0]])))
    runs = [(end - begin) / RATE for begin, end in zip(edges[::2], edges[1::2], strict=True)]
    merged: list[float] = []
    for length in runs:  # the zero crossings of the tone split a beep into many runs
        if merged and length < 0.01:
            continue
        merged.append(length)
    return merged


def test_channel_beeps_count_the_device_channel_from_one() -> None:
    source = make_source(SignalSpec("Channel beeps"), RATE, 3, [0, 2, 11])
    data = source.read(int(1.5 * RATE))  # the beeps of one loop (the pause follows)
    assert data.shape[1] == 3
    envelope = np.abs(data)
    # Smooth over a few cycles of the 880 Hz tone, then count beeps by their length.
    kernel = np.ones(int(0.005 * RATE)) / int(0.005 * RATE)
    counts = []
    for k in range(3):
        smooth = np.convolve(envelope[:, k], kernel, "same")
        lengths = _beeps(smooth)
        counts.append(
            (sum(1 for x in lengths if x > 0.3), sum(1 for x in lengths if 0.05 < x < 0.3))
        )
    assert counts == [(0, 1), (0, 3), (1, 2)]  # channel 1, 3, and 12 (one ten, two units)
    assert np.max(envelope) == pytest.approx(0.1, rel=0.01)  # -20 dBFS peak
