"""Tests of scgui.measure.spectrum: scaling, the rolling buffer, log bands, peak finding."""

from __future__ import annotations

import numpy as np
import pytest

from scgui.measure.spectrum import SPECTRUM_FLOOR_DB, Spectrum, log_bins, spectral_peak

RATE = 48000


def tone(freq: float, level_db: float, frames: int, phase: float = 0.3) -> np.ndarray:
    t = np.arange(frames) / RATE
    return (10 ** (level_db / 20) * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def test_1khz_at_minus_6_dbfs_peaks_at_1khz() -> None:
    spectrum = Spectrum(RATE)  # 4096 points: 11.7 Hz bins, 1 kHz sits 0.33 bin off a bin
    spectrum.push(tone(1000.0, -6.0, 8192))
    freqs, db = spectrum.compute()
    assert freqs.shape == db.shape == (4096 // 2 + 1,)
    k = int(np.argmax(db))
    assert abs(freqs[k] - 1000.0) <= spectrum.bin_width
    # The highest bin alone loses up to 1.42 dB between bins (Hann scalloping)...
    assert db[k] == pytest.approx(-6.0, abs=1.43)
    # ...the interpolated peak is within 0.5 dB (in fact within 0.01 dB) and 1/100 bin.
    freq, level = spectral_peak(freqs, db)
    assert level == pytest.approx(-6.0, abs=0.5)
    assert level == pytest.approx(-6.0, abs=0.01)
    assert freq == pytest.approx(1000.0, abs=spectrum.bin_width / 100)


def test_a_full_scale_sine_on_a_bin_reads_0_dbfs_there() -> None:
    spectrum = Spectrum(RATE, size=4096)
    freq = 100 * spectrum.bin_width
    spectrum.push(tone(freq, 0.0, 4096))
    freqs, db = spectrum.compute()
    assert freqs[100] == pytest.approx(freq)
    assert db[100] == pytest.approx(0.0, abs=0.01)
    # Hann: the neighbours are 6 dB down, far bins are at the noise floor of float32.
    assert db[99] == pytest.approx(-6.02, abs=0.05)
    assert db[110] < -100.0


def test_level_tracks_amplitude_and_nothing_reads_the_floor() -> None:
    spectrum = Spectrum(RATE, size=2048)
    freq = 50 * spectrum.bin_width
    for level in (-3.0, -20.0, -60.0):
        spectrum.reset()
        spectrum.push(tone(freq, level, 2048))
        _, db = spectrum.compute()
        assert db[50] == pytest.approx(level, abs=0.01)
    spectrum.reset()
    _, db = spectrum.compute()
    assert np.all(db == SPECTRUM_FLOOR_DB)


def test_dc_and_nyquist_are_scaled_like_amplitude() -> None:
    spectrum = Spectrum(RATE, size=1024)
    spectrum.push(np.full(1024, 0.5, dtype=np.float32))
    _, db = spectrum.compute()
    assert db[0] == pytest.approx(-6.02, abs=0.01)
    spectrum.push(0.5 * (-1.0) ** np.arange(1024))  # alternating: exactly Nyquist
    _, db = spectrum.compute()
    assert db[-1] == pytest.approx(-6.02, abs=0.01)


def test_push_keeps_only_the_newest_size_samples_in_order() -> None:
    spectrum = Spectrum(RATE, size=1024)
    bin_freq = 40 * spectrum.bin_width
    spectrum.push(tone(3000.0, 0.0, 5000))  # old tone...
    assert spectrum.filled == 1024
    new = tone(bin_freq, -12.0, 3000)
    for start in range(0, 3000, 700):  # ...replaced in uneven blocks that wrap the ring
        spectrum.push(new[start : start + 700])
    freqs, db = spectrum.compute()
    assert freqs[int(np.argmax(db))] == pytest.approx(bin_freq)
    assert db.max() == pytest.approx(-12.0, abs=0.01)
    assert db[np.argmin(np.abs(freqs - 3000.0))] < -100.0  # the old tone is gone entirely


def test_partial_fill_counts_and_zero_pads() -> None:
    spectrum = Spectrum(RATE, size=4096)
    assert spectrum.filled == 0
    spectrum.push(tone(1000.0, 0.0, 1000))
    assert spectrum.filled == 1000
    _, db = spectrum.compute()
    assert db.max() < -3.0  # only a quarter of the window holds audio, near its edge


def test_push_and_constructor_validation() -> None:
    spectrum = Spectrum(RATE)
    with pytest.raises(ValueError, match=r"block\[:, channel\]"):
        spectrum.push(np.zeros((10, 2), dtype=np.float32))
    with pytest.raises(TypeError):
        spectrum.push(np.zeros(10, dtype=np.int16))
    with pytest.raises(ValueError):
        Spectrum(0)
    with pytest.raises(ValueError):
        Spectrum(RATE, size=8)


def test_freqs_axis() -> None:
    spectrum = Spectrum(44100, size=4096)
    freqs = spectrum.freqs
    assert freqs[0] == 0.0
    assert freqs[-1] == pytest.approx(22050.0)
    assert freqs[1] == pytest.approx(spectrum.bin_width) == pytest.approx(44100 / 4096)
    assert not freqs.flags.writeable


def test_spectral_peak_frequency_and_level_across_bin_offsets() -> None:
    spectrum = Spectrum(RATE)
    for offset in np.linspace(-0.5, 0.5, 11):
        freq = (200 + offset) * spectrum.bin_width
        spectrum.push(tone(freq, -20.0, 4096))
        found_freq, found_level = spectral_peak(*spectrum.compute())
        assert found_freq == pytest.approx(freq, abs=spectrum.bin_width / 100)
        assert found_level == pytest.approx(-20.0, abs=0.01)


# -- log_bins --------------------------------------------------------------------------------


def test_log_bins_edges_centres_and_max_per_band() -> None:
    freqs = np.arange(0.0, 1001.0)  # 0..1000 Hz every 1 Hz
    db = np.full(freqs.shape, -100.0)
    db[500] = -3.0
    db[501] = -10.0
    centres, bands = log_bins(freqs, db, 3, f_min=10.0, f_max=1000.0)
    # Bands 10-46.4, 46.4-215, 215-1000 Hz; centres at their geometric middles.
    edges = np.geomspace(10.0, 1000.0, 4)
    np.testing.assert_allclose(centres, np.sqrt(edges[:-1] * edges[1:]))
    np.testing.assert_allclose(bands, [-100.0, -100.0, -3.0])  # the tone keeps its level


def test_log_bins_fills_bands_narrower_than_a_bin_by_interpolation() -> None:
    spectrum = Spectrum(RATE, size=1024)  # 46.9 Hz bins: the lowest octaves have no bins
    spectrum.push(tone(5000.0, -10.0, 1024))
    freqs, db = spectrum.compute()
    centres, bands = log_bins(freqs, db, 200)
    assert centres.shape == bands.shape == (200,)
    assert np.all(np.isfinite(bands))
    assert centres[0] > freqs[1] and centres[-1] < freqs[-1]
    assert np.all(np.diff(np.log(centres)) == pytest.approx(np.log(centres[1] / centres[0])))
    assert bands.max() == pytest.approx(db.max())
    assert abs(centres[int(np.argmax(bands))] - 5000.0) < 5000.0 * 0.05


def test_log_bins_default_range_and_validation() -> None:
    freqs = np.linspace(0, 24000, 2049)
    db = np.linspace(-100, 0, 2049)
    _, bands = log_bins(freqs, db, 10)
    assert bands[-1] == pytest.approx(0.0)  # the top frequency belongs to the last band
    assert bands[0] < bands[-1]
    with pytest.raises(ValueError):
        log_bins(freqs, db, 0)
    with pytest.raises(ValueError):
        log_bins(freqs, db[:-1], 10)
    with pytest.raises(ValueError):
        log_bins(freqs, db, 10, f_min=1000.0, f_max=100.0)
    with pytest.raises(ValueError):
        log_bins(freqs[::-1], db, 10)


def test_a_and_c_weighting_match_the_standards_table() -> None:
    """IEC 61672-1 table 3 (design goals, to 0.1 dB)."""
    from scgui.measure.weighting import weighting_db

    freqs = [31.5, 63.0, 100.0, 1000.0, 4000.0, 10000.0]
    a = weighting_db("A", freqs)
    c = weighting_db("C", freqs)
    assert a == pytest.approx([-39.4, -26.2, -19.1, 0.0, 1.0, -2.5], abs=0.15)
    assert c == pytest.approx([-3.0, -0.8, -0.3, 0.0, -0.8, -4.4], abs=0.15)
    assert weighting_db("Z", freqs) == pytest.approx([0.0] * 6)
    assert np.isneginf(weighting_db("A", [0.0])[0])
    with pytest.raises(ValueError, match="Z, A, C"):
        weighting_db("B", freqs)


def test_weighting_lowers_bass_and_keeps_1khz() -> None:
    flat = Spectrum(RATE, 8192)
    weighted = Spectrum(RATE, 8192, weighting="A")
    signal = tone(100.0, -10.0, 8192) + tone(1000.0, -10.0, 8192)
    for spectrum in (flat, weighted):
        spectrum.push(signal)
    freqs, flat_db = flat.compute()
    _freqs, a_db = weighted.compute()
    at = lambda hz: int(np.argmin(np.abs(freqs - hz)))  # noqa: E731
    assert a_db[at(1000)] == pytest.approx(flat_db[at(1000)], abs=0.05)
    assert flat_db[at(100)] - a_db[at(100)] == pytest.approx(19.1, abs=0.2)
    assert a_db[0] == SPECTRUM_FLOOR_DB  # A blocks DC


def test_averaging_keeps_a_tone_and_steadies_noise() -> None:
    rng = np.random.default_rng(7)
    plain = Spectrum(RATE, 2048)
    averaged = Spectrum(RATE, 2048, averaging=1.0)
    readings: dict[str, list[np.ndarray]] = {"plain": [], "averaged": []}
    for _ in range(60):  # 60 hops of 1024 frames: 1.3 s of audio
        block = (0.1 * rng.standard_normal(1024)).astype(np.float32)
        block += tone(3000.0, -20.0, 1024)
        for name, spectrum in (("plain", plain), ("averaged", averaged)):
            spectrum.push(block)
            readings[name].append(spectrum.compute()[1])
    freqs = plain.freqs
    band = (freqs > 5000) & (freqs < 15000)  # noise only
    spread = {
        name: np.std([r[band] for r in rs[30:]], axis=0).mean() for name, rs in readings.items()
    }
    assert spread["averaged"] < spread["plain"] / 3
    k = int(np.argmin(np.abs(freqs - 3000.0)))
    assert readings["averaged"][-1][k] == pytest.approx(readings["plain"][-1][k], abs=1.5)


def test_averaging_follows_a_step_with_its_time_constant() -> None:
    """After one time constant of audio the average has moved 63 % of the way (in power),
    whatever the number of redraws in between."""
    for hops in (4, 40):  # the same 0.5 s of audio in a few large or many small pushes
        spectrum = Spectrum(RATE, 1024, averaging=0.5)
        spectrum.push(np.zeros(1024, np.float32))
        spectrum.compute()
        loud = tone(3000.0, 0.0, int(0.5 * RATE))
        for block in np.array_split(loud, hops):
            spectrum.push(block)
            _freqs, db = spectrum.compute()
        k = int(np.argmax(db))
        full = Spectrum(RATE, 1024)
        full.push(loud)
        expected_power = (1 - np.exp(-1.0)) * 10 ** (full.compute()[1][k] / 10)
        assert db[k] == pytest.approx(10 * np.log10(expected_power), abs=0.3)
    spectrum.reset()
    with pytest.raises(ValueError, match="time constant"):
        Spectrum(RATE, averaging=-1.0)
    with pytest.raises(ValueError, match="weighting"):
        Spectrum(RATE, weighting="K")
