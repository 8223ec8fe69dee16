"""Tests of scgui.measure.signals: levels, fades, sweep frequency, pink slope, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from scgui.measure.signals import (
    apply_fades,
    db_to_amplitude,
    ident_signal,
    ident_signals,
    log_sweep,
    pink_noise,
    sine,
    white_noise,
)

RATE = 48000


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x.astype(np.float64)))))


def instantaneous_frequency(x: np.ndarray, samplerate: float) -> np.ndarray:
    """Frequency of a real tone at every sample, from the phase of its analytic signal."""
    n = x.size
    spectrum = np.fft.fft(x.astype(np.float64))
    weights = np.zeros(n)
    weights[0] = 1.0
    weights[1 : (n + 1) // 2] = 2.0
    if n % 2 == 0:
        weights[n // 2] = 1.0
    phase = np.unwrap(np.angle(np.fft.ifft(spectrum * weights)))
    return np.diff(phase) * samplerate / (2.0 * np.pi)


def test_every_generator_returns_1d_float32() -> None:
    signals = [
        sine(1000, 0.1, RATE),
        white_noise(0.1, RATE, seed=1),
        pink_noise(0.1, RATE, seed=1),
        log_sweep(100, 10000, 0.1, RATE),
        ident_signal(3, 0.1, RATE),
    ]
    for x in signals:
        assert x.dtype == np.float32
        assert x.ndim == 1
        assert x.size == 4800


def test_sine_at_minus_20_dbfs_peaks_at_0_1() -> None:
    x = sine(1000, 0.5, RATE, fade=0.0)
    assert db_to_amplitude(-20.0) == pytest.approx(0.1)
    assert np.max(np.abs(x)) == pytest.approx(0.1, rel=1e-6)
    assert rms(x) == pytest.approx(0.1 / np.sqrt(2), rel=1e-4)  # 3.01 dB below the peak
    assert np.max(np.abs(sine(1000, 0.5, RATE, level_db=-6.0))) == pytest.approx(0.5012, rel=1e-3)


def test_sine_frequency() -> None:
    x = sine(440, 1.0, RATE, fade=0.0)
    spectrum = np.abs(np.fft.rfft(x))
    assert np.fft.rfftfreq(x.size, 1 / RATE)[np.argmax(spectrum)] == pytest.approx(440)


def test_default_level_is_minus_20_dbfs_everywhere() -> None:
    assert np.max(np.abs(sine(1000, 0.2, RATE))) == pytest.approx(0.1, rel=1e-4)
    assert np.max(np.abs(log_sweep(100, 1000, 0.2, RATE))) == pytest.approx(0.1, rel=1e-3)
    fade = 480
    for x in (white_noise(1, RATE, seed=2), pink_noise(1, RATE, seed=2), ident_signal(0, 1, RATE)):
        assert rms(x[fade:-fade]) == pytest.approx(0.1, rel=0.02)
        assert np.max(np.abs(x)) < 0.5  # the peaks of noise at -20 dBFS RMS stay far from 1.0


def test_noise_normalised_to_peak_on_request() -> None:
    x = white_noise(0.5, RATE, level_db=-6.0, seed=3, normalize="peak", fade=0.0)
    assert np.max(np.abs(x)) == pytest.approx(db_to_amplitude(-6.0), rel=1e-6)
    with pytest.raises(ValueError, match="normalize"):
        white_noise(0.5, RATE, normalize="loud")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "x",
    [
        sine(1000, 0.2, RATE),
        white_noise(0.2, RATE, seed=4),
        pink_noise(0.2, RATE, seed=4),
        log_sweep(50, 20000, 0.2, RATE),
    ],
    ids=["sine", "white", "pink", "sweep"],
)
def test_faded_signals_start_and_end_at_zero(x: np.ndarray) -> None:
    assert x[0] == 0.0
    assert x[-1] == 0.0
    # and rise smoothly: the first millisecond stays tiny
    assert np.max(np.abs(x[:48])) < 0.1 * np.max(np.abs(x))
    assert np.max(np.abs(x[-48:])) < 0.1 * np.max(np.abs(x))


def test_apply_fades_raised_cosine_shape() -> None:
    ones = np.ones(1000, dtype=np.float32)
    faded = apply_fades(ones, 1000.0, fade=0.1)  # 100-sample fades
    n = np.arange(100)
    np.testing.assert_allclose(faded[:100], 0.5 - 0.5 * np.cos(np.pi * n / 100), atol=1e-6)
    np.testing.assert_allclose(faded[-100:], faded[:100][::-1], atol=0)
    assert np.all(faded[100:900] == 1.0)
    assert faded[50] == pytest.approx(0.5)
    assert np.all(ones == 1.0)  # the input is not modified


def test_apply_fades_options_and_short_signals() -> None:
    ones = np.ones(100, dtype=np.float32)
    only_in = apply_fades(ones, 1000.0, fade=0.01, fade_out=False)
    assert only_in[0] == 0.0 and only_in[-1] == 1.0
    only_out = apply_fades(ones, 1000.0, fade=0.01, fade_in=False)
    assert only_out[0] == 1.0 and only_out[-1] == 0.0
    # A fade longer than half the signal is cut to half of it.
    short = apply_fades(ones[:10], 1000.0, fade=1.0)
    assert short[0] == 0.0 and short[-1] == 0.0 and short.size == 10
    # 2-D: every channel alike.
    block = apply_fades(np.ones((100, 3), dtype=np.float32), 1000.0, fade=0.01)
    assert np.all(block[0] == 0.0) and np.all(block[50] == 1.0)
    assert np.array_equal(apply_fades(ones, 1000.0, fade=0.0), ones)


def test_log_sweep_frequency_rises_exponentially_from_f0_to_f1() -> None:
    f0, f1, seconds = 100.0, 10000.0, 1.0
    x = log_sweep(f0, f1, seconds, RATE, fade=0.0)
    freq = instantaneous_frequency(x, RATE)
    t = (np.arange(freq.size) + 0.5) / RATE
    expected = f0 * (f1 / f0) ** (t / seconds)
    # Averaged over 20 ms blocks (the analytic signal of a finite sweep ripples a little),
    # the instantaneous frequency follows f0·(f1/f0)^(t/T) within 1 %, from start to end.
    block = RATE // 50
    count = freq.size // block
    measured = freq[: count * block].reshape(count, block).mean(axis=1)
    wanted = expected[: count * block].reshape(count, block).mean(axis=1)
    np.testing.assert_allclose(measured[1:-1], wanted[1:-1], rtol=0.01)
    assert measured[1] < 1.2 * f0  # it starts at f0 ...
    assert measured[-2] > 0.75 * f1  # ... and ends at f1 (the block 40-60 ms before the end)
    assert np.all(np.diff(measured) > 0)


def test_log_sweep_downwards() -> None:
    x = log_sweep(8000.0, 200.0, 0.5, RATE, fade=0.0)
    freq = instantaneous_frequency(x, RATE)
    quarter = freq.size // 4
    assert np.median(freq[quarter : 2 * quarter]) > np.median(freq[2 * quarter : 3 * quarter])


def octave_slope(x: np.ndarray, samplerate: float) -> float:
    """dB per octave of the power spectral density, fitted over octave bands 125 Hz-8 kHz."""
    power = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / samplerate)
    centres = 125.0 * 2.0 ** np.arange(7)
    density = []
    for fc in centres:
        band = (freqs >= fc / np.sqrt(2)) & (freqs < fc * np.sqrt(2))
        density.append(10 * np.log10(np.mean(power[band])))
    slope, _ = np.polyfit(np.log2(centres), density, 1)
    return float(slope)


def test_pink_noise_falls_3_db_per_octave() -> None:
    x = pink_noise(4.0, RATE, seed=5, fade=0.0)
    assert octave_slope(x, RATE) == pytest.approx(-3.01, abs=0.3)


def test_white_noise_is_flat() -> None:
    x = white_noise(4.0, RATE, seed=6, fade=0.0)
    assert octave_slope(x, RATE) == pytest.approx(0.0, abs=0.3)


def test_pink_noise_band_limits() -> None:
    x = pink_noise(2.0, RATE, seed=7, fade=0.0, band=(100.0, 5000.0))
    power = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / RATE)
    inside = power[(freqs >= 100) & (freqs <= 5000)].sum()
    assert power[(freqs < 90) | (freqs > 5100)].sum() < 1e-8 * inside


def test_seed_makes_noise_reproducible() -> None:
    assert np.array_equal(white_noise(0.1, RATE, seed=11), white_noise(0.1, RATE, seed=11))
    assert not np.array_equal(white_noise(0.1, RATE, seed=11), white_noise(0.1, RATE, seed=12))
    assert np.array_equal(pink_noise(0.1, RATE, seed=11), pink_noise(0.1, RATE, seed=11))
    assert not np.array_equal(pink_noise(0.1, RATE, seed=11), pink_noise(0.1, RATE, seed=12))
    assert np.array_equal(ident_signal(2, 0.1, RATE), ident_signal(2, 0.1, RATE))
    assert not np.array_equal(ident_signal(2, 0.1, RATE), ident_signal(2, 0.1, RATE, seed=1))


def test_ident_signals_are_distinguishable() -> None:
    seconds = 0.15
    block = ident_signals(8, seconds, RATE)
    assert block.shape == (int(seconds * RATE), 8) and block.dtype == np.float32
    for k in range(8):
        assert np.array_equal(block[:, k], ident_signal(k, seconds, RATE))
    x = block.astype(np.float64)
    energy = np.sum(x * x, axis=0)
    # Normalised cross-correlation at every lag, by FFT: each signal matches itself (1.0 at
    # lag 0) and no other channel's signal anywhere near it.
    size = 2 * x.shape[0]
    spectra = np.fft.rfft(x, size, axis=0)
    for a in range(8):
        for b in range(8):
            corr = np.fft.irfft(spectra[:, a] * np.conj(spectra[:, b]), size)
            peak = np.max(np.abs(corr)) / np.sqrt(energy[a] * energy[b])
            if a == b:
                assert peak == pytest.approx(1.0)
            else:
                assert 20 * np.log10(peak) < -20.0, (a, b)


def test_ident_signal_spectrum_stays_in_its_band() -> None:
    x = ident_signal(0, 0.5, RATE, fade=0.0)
    power = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / RATE)
    assert power[(freqs < 190) | (freqs > 12100)].sum() < 1e-8 * power.sum()


@pytest.mark.parametrize(
    "call",
    [
        lambda: sine(0, 1, RATE),
        lambda: sine(30000, 1, RATE),
        lambda: sine(1000, 0, RATE),
        lambda: sine(1000, 1, 0),
        lambda: log_sweep(100, 25000, 1, RATE),
        lambda: ident_signal(-1, 0.1, RATE),
        lambda: ident_signals(0, 0.1, RATE),
        lambda: pink_noise(0.1, RATE, band=(5000, 100)),
        lambda: apply_fades(np.ones(10), RATE, fade=-1),
    ],
)
def test_invalid_arguments_are_refused(call) -> None:
    with pytest.raises(ValueError):
        call()
