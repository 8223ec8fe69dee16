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
