"""Staggered exponential sweeps, pure NumPy: every path of a simulated patch found exactly in
one take (level, polarity, delay to the sample), crosstalk and floor, frequency response."""

from __future__ import annotations

import numpy as np
import pytest

from scgui.measure.sweeps import (
    PILOT_REACH_SECONDS,
    analyse_take,
    deconvolve,
    exp_sweep,
    frequency_response,
    reference_window,
    staggered_take,
)


def simulate(take, paths, base: int, inputs: int, noise: float = 0.0) -> np.ndarray:
    """What ``inputs`` inputs record: ``paths`` maps (output, input) -> (gain, extra delay)."""
    played = take.signals().astype(np.float64)
    recording = np.zeros((take.frames + base + 4000, inputs))
    for (out, inp), (gain, extra) in paths.items():
        start = base + extra
        recording[start : start + take.frames, inp] += gain * played[:, out]
    if noise:
        recording += noise * np.random.default_rng(1).standard_normal(recording.shape)
    return recording.astype(np.float32)


def test_a_sweep_deconvolves_to_a_unit_impulse() -> None:
    sweep = exp_sweep(0.3, 48000, level_db=-20)
    assert np.max(np.abs(sweep.signal)) == pytest.approx(0.1, rel=1e-3)
    impulse = deconvolve(np.concatenate([np.zeros(100), sweep.signal]), sweep)[:, 0]
    assert int(np.argmax(np.abs(impulse))) == 100
    assert impulse[100] == pytest.approx(1.0, abs=1e-9)
    with pytest.raises(ValueError):
        exp_sweep(0.0, 48000)
    with pytest.raises(ValueError):
        exp_sweep(0.3, 48000, band=(30000.0, 40000.0))


def test_a_take_is_laid_out_without_clipping() -> None:
    take = staggered_take(32, 96000)
    signals = take.signals()
    assert signals.shape == (take.frames, 32) and signals.dtype == np.float32
    assert np.max(np.abs(signals)) < 0.2  # pilot + own sweep at -20 dBFS peak
    assert take.frames / 96000 < 3.0  # 32 outputs in under 3 s of audio
    assert np.all(np.diff(take.starts) == take.stagger)


@pytest.mark.parametrize("outputs, rate", [(8, 48000), (32, 96000)])
def test_every_path_is_found_exactly_in_one_take(outputs: int, rate: int) -> None:
    take = staggered_take(outputs, rate)
    base = 1234  # the round trip, unknown to the analysis
    paths = {(k, outputs - 1 - k): (1.0, 0) for k in range(outputs)}
    paths[(5, outputs - 6)] = (1.0, 3)  # three frames late
    paths[(7, outputs - 8)] = (-0.5, 0)  # inverted, -6 dB
    paths[(3, 0)] = (10 ** (-50 / 20), 0)  # crosstalk at -50 dB
    result = analyse_take(take, simulate(take, paths, base, outputs, noise=1e-6), -80.0)
    for (out, inp), (gain, extra) in paths.items():
        assert result.gain[out, inp] == pytest.approx(gain, rel=1e-3), (out, inp)
        assert result.delay[out, inp] == base + extra, (out, inp)
    unrelated = np.ones(result.gain.shape, dtype=bool)
    for out, inp in paths:
        unrelated[out, inp] = False
    assert np.all(result.gain_db[unrelated] < -100)  # the floor, far below -60 dB


def test_nothing_connected_finds_nothing() -> None:
    take = staggered_take(4, 48000)
    result = analyse_take(take, simulate(take, {}, 500, 2, noise=1e-7), -80.0)
    assert result.base is None and not np.any(result.gain) and np.all(np.isnan(result.delay))


def test_a_quiet_path_and_late_outputs_keep_their_windows() -> None:
    """Only the last output is connected, 40 dB down: the pilot still fixes the windows."""
    take = staggered_take(8, 48000)
    paths = {(7, 1): (0.01, 0)}
    result = analyse_take(take, simulate(take, paths, 2000, 2), -80.0)
    assert result.gain[7, 1] == pytest.approx(0.01, rel=1e-3)
    assert result.delay[7, 1] == 2000
    assert np.count_nonzero(result.gain) == 1


def test_frequency_response_of_a_wire_a_gain_and_a_filter() -> None:
    rate = 48000
    take = staggered_take(3, rate)
    played = take.signals().astype(np.float64)
    recording = np.zeros((take.frames + 6000, 3))
    recording[1000 : 1000 + take.frames, 0] = played[:, 0]  # a wire
    recording[1000 : 1000 + take.frames, 1] = 0.5 * played[:, 1]  # -6.02 dB
    # A two-tap average: |H(f)| = |cos(pi f / rate)|, a known low-pass.
    averaged = 0.5 * (played[:, 2] + np.concatenate([[0.0], played[:-1, 2]]))
    recording[1000 : 1000 + take.frames, 2] = averaged
    result = analyse_take(take, recording.astype(np.float32), -80.0)
    reference = reference_window(take)
    freqs, wire = frequency_response(result.impulses[0, :, 0], reference, take)
    assert np.max(np.abs(wire)) < 0.05  # flat to 0.05 dB from 40 Hz to 16 kHz
    _, half = frequency_response(result.impulses[1, :, 1], reference, take)
    assert np.max(np.abs(half - 20 * np.log10(0.5))) < 0.05
    _, low_pass = frequency_response(result.impulses[2, :, 2], reference, take)
    expected = 20 * np.log10(np.abs(np.cos(np.pi * freqs / rate)))
    assert np.max(np.abs(low_pass - expected)) < 0.1
    assert freqs[0] < 50 and freqs[-1] > 15000


def _fractional_delay(signal: np.ndarray, frames: float) -> np.ndarray:
    n = 1 << (signal.size + 64).bit_length()
    spectrum = np.fft.rfft(signal, n)
    shift = np.exp(-2j * np.pi * np.fft.rfftfreq(n) * frames)
    return np.fft.irfft(spectrum * shift, n)[: signal.size]


def test_a_fractional_delay_keeps_its_level_and_is_read_to_a_tenth_of_a_frame() -> None:
    take = staggered_take(2, 48000)
    played = take.signals().astype(np.float64)
    recording = np.zeros((take.frames + 3000, 2))
    recording[1000 : 1000 + take.frames, 0] = _fractional_delay(played[:, 0], 0.5)
    recording[1000 : 1000 + take.frames, 1] = _fractional_delay(played[:, 1], 0.25)
    result = analyse_take(take, recording, -80.0)
    assert abs(result.gain_db[0, 0]) < 0.1 and abs(result.gain_db[1, 1]) < 0.1
    assert result.delay[0, 0] == pytest.approx(1000.5, abs=0.1)
    assert result.delay[1, 1] == pytest.approx(1000.25, abs=0.1)


def test_harmonic_distortion_of_one_output_is_not_read_as_another_path() -> None:
    """A path with a 2nd and a 3rd harmonic at -40 and -50 dB (1 % and 0.3 %, far worse than
    any interface): every other output's window stays below -60 dB, as the sweep length
    keeps the harmonics between the windows (at 50 ms stagger a plain 0.5 s sweep puts the
    2nd harmonic of the next output right on a path's peak)."""
    take = staggered_take(8, 48000)
    played = take.signals().astype(np.float64)
    recording = np.zeros((take.frames + 6000, 8))
    for k in range(8):
        x = played[:, k] / 0.1  # back to full scale for the distortion
        distorted = 0.1 * (x + 0.01 * x**2 + 0.003 * x**3)
        recording[3000 : 3000 + take.frames, k] = distorted
    result = analyse_take(take, recording.astype(np.float32), -80.0)
    off = result.gain_db.copy()
    np.fill_diagonal(off, -999.0)
    assert np.max(off) < -60, np.max(off)
    assert np.all(np.diag(result.delay) == 3000)


def test_a_round_trip_beyond_the_pilots_reach_finds_nothing() -> None:
    take = staggered_take(2, 48000)
    late = round((PILOT_REACH_SECONDS + 0.1) * 48000)
    result = analyse_take(take, simulate(take, {(0, 0): (1.0, 0)}, late, 1), -80.0)
    assert result.base is None and not np.any(result.gain)


def _one_path_response(distortion: float, level_db: float = -6.0):
    from scgui.measure.response import path_response

    take = staggered_take(1, 48000, level_db=level_db)
    played = take.signals()[:, 0].astype(np.float64)
    pad = 2000
    recorded = np.concatenate([np.zeros(pad), played + distortion * played**2, np.zeros(24000)])
    full = deconvolve(recorded, take.sweep)[:, 0]
    return path_response(full, pad + take.starts[0], 0, 0, take, reference_window(take))


def test_thd_of_a_known_second_order_distortion() -> None:
    amplitude = 10 ** (-6.0 / 20)
    for distortion in (0.01, 0.1):
        expected = 20 * np.log10(distortion * amplitude / 2)  # a*x^2: a*A/2 at 2f
        response = _one_path_response(distortion)
        for frequency, thd in response.thd_db.items():
            assert thd == pytest.approx(expected, abs=0.1), (distortion, frequency)


def test_a_clean_path_has_no_distortion_and_a_flat_response() -> None:
    response = _one_path_response(0.0)
    assert all(v <= -119.0 for v in response.thd_db.values())
    assert response.flatness_db < 0.001
    assert response.to_dict()["thd_db"] == {"100": -120.0, "1000": -120.0, "5000": -120.0}
