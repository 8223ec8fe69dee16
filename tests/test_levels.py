"""Tests of scgui.measure.levels: dBFS, block levels and the LevelMeter state machine."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scgui.measure.levels import FLOOR_DB, LevelMeter, block_levels, column_peaks, dbfs

RATE = 48000


def sine(amplitude: float, freq: float, frames: int, channels: int = 1) -> np.ndarray:
    """A float32 sine on every channel, an integer number of periods for exact RMS."""
    t = np.arange(frames) / RATE
    column = (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.repeat(column[:, None], channels, axis=1)


def silence(frames: int, channels: int) -> np.ndarray:
    return np.zeros((frames, channels), dtype=np.float32)


# -- dbfs ------------------------------------------------------------------------------------


def test_dbfs_known_values() -> None:
    assert dbfs(1.0) == 0.0
    assert dbfs(0.5) == pytest.approx(-6.0206, abs=1e-4)
    assert dbfs(-0.5) == pytest.approx(-6.0206, abs=1e-4)  # sign ignored
    assert dbfs(0.1) == pytest.approx(-20.0)
    assert dbfs(2.0) == pytest.approx(6.0206, abs=1e-4)  # over full scale is not clamped


def test_dbfs_floor_for_silence_and_tiny_values() -> None:
    assert dbfs(0.0) == FLOOR_DB
    assert dbfs(1e-30) == FLOOR_DB
    assert dbfs(0.0, floor_db=-90.0) == -90.0
    assert math.isfinite(dbfs(0.0))


def test_dbfs_is_vectorised_and_keeps_shape() -> None:
    values = np.array([[1.0, 0.5], [0.0, 0.01]], dtype=np.float32)
    result = dbfs(values)
    assert isinstance(result, np.ndarray)
    assert result.shape == (2, 2)
    np.testing.assert_allclose(result, [[0.0, -6.0206], [FLOOR_DB, -40.0]], atol=1e-4)
    assert isinstance(dbfs(0.5), float)


# -- block_levels ----------------------------------------------------------------------------


def test_block_levels_of_a_sine() -> None:
    peak, rms = block_levels(sine(0.5, 1000.0, RATE // 10, channels=2))
    np.testing.assert_allclose(peak, [0.5, 0.5], rtol=1e-6)
    np.testing.assert_allclose(rms, [0.5 / math.sqrt(2)] * 2, rtol=1e-5)


def test_block_levels_per_channel_and_negative_peaks() -> None:
    block = np.zeros((100, 3), dtype=np.float32)
    block[10, 0] = -0.8
    block[:, 2] = 0.25  # DC: RMS equals the value
    peak, rms = block_levels(block)
    np.testing.assert_allclose(peak, [0.8, 0.0, 0.25], rtol=1e-6)
    np.testing.assert_allclose(rms, [0.8 / 10.0, 0.0, 0.25], rtol=1e-6)


def test_block_levels_of_an_empty_block_are_zeros() -> None:
    peak, rms = block_levels(np.zeros((0, 4), dtype=np.float32))
    assert peak.shape == rms.shape == (4,)
    assert not peak.any() and not rms.any()


def test_block_levels_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="frames x channels"):
        block_levels(np.zeros(10, dtype=np.float32))
    with pytest.raises(TypeError, match="floating point"):
        block_levels(np.zeros((10, 2), dtype=np.int16))


# -- LevelMeter: peak and RMS ----------------------------------------------------------------


def test_meter_sine_half_scale_reads_minus_6_peak_and_minus_9_rms() -> None:
    meter = LevelMeter(2, RATE)
    # 0.3 s window = 14400 frames = exactly 300 periods of 1 kHz.
    meter.update(sine(0.5, 1000.0, 14400, channels=2), now=0.0)
    np.testing.assert_allclose(meter.peak_db, [-6.02, -6.02], atol=0.01)
    np.testing.assert_allclose(meter.rms_db, [-9.03, -9.03], atol=0.01)
    np.testing.assert_allclose(meter.hold_db, [-6.02, -6.02], atol=0.01)


def test_meter_silence_reads_the_floor() -> None:
    meter = LevelMeter(4, RATE)
    np.testing.assert_array_equal(meter.peak_db, [FLOOR_DB] * 4)  # before any block
    np.testing.assert_array_equal(meter.rms_db, [FLOOR_DB] * 4)
    meter.update(silence(4800, 4), now=0.0)
    np.testing.assert_array_equal(meter.peak_db, [FLOOR_DB] * 4)
    np.testing.assert_array_equal(meter.rms_db, [FLOOR_DB] * 4)
    np.testing.assert_array_equal(meter.hold_db, [FLOOR_DB] * 4)
    assert not meter.clipped.any()


def test_meter_channels_are_independent() -> None:
    meter = LevelMeter(8, RATE)
    block = silence(4800, 8)
    block[:, 3] = sine(0.5, 1000.0, 4800)[:, 0]
    block[100:103, 3] = 1.0  # and a clip, on channel 3 only
    meter.update(block, now=0.0)
    others = [c for c in range(8) if c != 3]
    assert meter.peak_db[3] == pytest.approx(0.0)
    assert meter.rms_db[3] > -10.0
    assert meter.hold_db[3] == pytest.approx(0.0)
    assert meter.clipped.tolist() == [c == 3 for c in range(8)]
    np.testing.assert_array_equal(meter.peak_db[others], FLOOR_DB)
    np.testing.assert_array_equal(meter.rms_db[others], FLOOR_DB)
    np.testing.assert_array_equal(meter.hold_db[others], FLOOR_DB)


def test_meter_rms_is_exact_over_the_window() -> None:
    """Window of 0.3 s: a burst counts fully while inside it and is gone one window later."""
    meter = LevelMeter(1, RATE, window_seconds=0.3)
    window = meter.window_frames
    assert window == 14400
    burst = np.full((1440, 1), 0.5, dtype=np.float32)  # 30 ms of DC at 0.5
    meter.update(silence(window, 1), now=0.0)
    meter.update(burst, now=0.03)
    # Burst energy over the whole window: 0.25 * 1440 / 14400.
    assert meter.rms[0] == pytest.approx(math.sqrt(0.25 * 1440 / window), rel=1e-9)
    # The burst stays in until exactly a window of frames has followed it.
    meter.update(silence(window - 1000, 1), now=0.3)
    assert meter.rms[0] == pytest.approx(math.sqrt(0.25 * 1000 / window), rel=1e-9)
    meter.update(silence(999, 1), now=0.32)
    assert meter.rms[0] == pytest.approx(math.sqrt(0.25 * 1 / window), rel=1e-9)
    meter.update(silence(1, 1), now=0.33)
    assert meter.rms[0] == 0.0
    assert meter.rms_db[0] == FLOOR_DB


def test_meter_rms_before_the_window_fills_uses_frames_seen() -> None:
    meter = LevelMeter(1, RATE)
    meter.update(np.full((480, 1), 0.5, dtype=np.float32), now=0.0)
    assert meter.rms[0] == pytest.approx(0.5)


def test_meter_rms_with_a_block_longer_than_the_window() -> None:
    meter = LevelMeter(1, RATE, window_seconds=0.01)  # 480 frames
    block = np.zeros((1000, 1), dtype=np.float32)
    block[:520] = 1.0  # only the last 480 frames (all zero) are in the window
    meter.update(block, now=0.0)
    assert meter.rms[0] == 0.0
    block[-48:] = 1.0
    meter.update(block, now=0.1)
    assert meter.rms[0] == pytest.approx(math.sqrt(48 / 480))


def test_meter_rms_follows_a_long_stream_in_uneven_blocks() -> None:
    """The window's sum is kept per chunk of rows: it must match a direct sum at every read,
    whatever the block sizes, and be exactly zero once the window is silent again."""
    rng = np.random.default_rng(4)
    meter = LevelMeter(3, RATE, window_seconds=0.01)  # 480 frames, chunks do not divide it
    stream = (rng.standard_normal((20_000, 3)) * rng.uniform(0.01, 0.5, 3)).astype(np.float32)
    stream[15_000:] = 0.0
    cuts = np.sort(rng.choice(np.arange(1, len(stream)), size=150, replace=False))
    end = 0
    for index, block in enumerate(np.split(stream, cuts)):
        meter.update(block, now=0.001 * index)
        end += len(block)
        window = stream[max(0, end - 480) : end].astype(np.float64)
        expected = np.sqrt((window**2).sum(axis=0) / len(window))
        np.testing.assert_allclose(meter.rms, expected, rtol=1e-9, atol=1e-15)
    assert meter.rms.tolist() == [0.0, 0.0, 0.0]


def test_meter_peak_is_of_the_latest_block() -> None:
    meter = LevelMeter(1, RATE)
    meter.update(np.full((10, 1), 0.5, dtype=np.float32), now=0.0)
    meter.update(np.full((10, 1), 0.1, dtype=np.float32), now=0.01)
    assert meter.peak_db[0] == pytest.approx(-20.0)
    meter.update(np.zeros((0, 1), dtype=np.float32), now=0.02)  # empty: no change
    assert meter.peak_db[0] == pytest.approx(-20.0)


# -- LevelMeter: peak hold -------------------------------------------------------------------


def test_peak_hold_holds_then_decays_at_the_given_rate() -> None:
    meter = LevelMeter(2, RATE, hold_seconds=1.5, decay_db_per_s=20.0)
    loud = silence(480, 2)
    loud[10, 0] = 0.5  # -6.02 dBFS on channel 0
    meter.update(loud, now=10.0)
    quiet = silence(480, 2)
    expected = {
        10.5: -6.0206,
        11.0: -6.0206,
        11.5: -6.0206,  # end of the hold
        12.0: -6.0206 - 10.0,  # 0.5 s of decay at 20 dB/s
        13.0: -6.0206 - 30.0,
        16.0: -6.0206 - 90.0,
    }
    for now, value in expected.items():
        meter.update(quiet, now=now)
        assert meter.hold_db[0] == pytest.approx(value, abs=1e-3), now
        assert meter.hold_db[1] == FLOOR_DB
        assert meter.hold_db_at(now)[0] == pytest.approx(value, abs=1e-3)
    meter.update(quiet, now=30.0)
    assert meter.hold_db[0] == FLOOR_DB  # decays to the floor, not below


def test_peak_hold_custom_rate_and_hold_db_at_between_blocks() -> None:
    meter = LevelMeter(1, RATE, hold_seconds=0.5, decay_db_per_s=6.0)
    meter.update(np.full((10, 1), 1.0, dtype=np.float32), now=0.0)
    assert meter.hold_db_at(0.5)[0] == pytest.approx(0.0)
    assert meter.hold_db_at(1.5)[0] == pytest.approx(-6.0)
    assert meter.hold_db_at(3.5)[0] == pytest.approx(-18.0)
    assert meter.hold_db[0] == pytest.approx(0.0)  # at the last update's time


def test_peak_hold_is_replaced_by_a_louder_peak_and_by_one_above_the_decayed_value() -> None:
    meter = LevelMeter(1, RATE, hold_seconds=1.0, decay_db_per_s=10.0)

    def block(level_db: float) -> np.ndarray:
        return np.full((10, 1), 10 ** (level_db / 20), dtype=np.float32)

    meter.update(block(-20.0), now=0.0)
    meter.update(block(-30.0), now=0.5)  # quieter, inside the hold: ignored
    assert meter.hold_db[0] == pytest.approx(-20.0)
    meter.update(block(-10.0), now=0.6)  # louder: new hold
    assert meter.hold_db[0] == pytest.approx(-10.0)
    meter.update(block(-60.0), now=3.6)  # hold has fallen to -30 by 3.6 s
    assert meter.hold_db[0] == pytest.approx(-30.0, abs=1e-4)
    meter.update(block(-29.5), now=3.6)  # above the fallen hold: restarts it
    assert meter.hold_db[0] == pytest.approx(-29.5, abs=1e-4)
    meter.update(block(-60.0), now=4.5)
    assert meter.hold_db[0] == pytest.approx(-29.5, abs=1e-4)


# -- LevelMeter: clip latch ------------------------------------------------------------------


def _clip_pattern(positions: list[int], frames: int = 100, value: float = 1.0) -> np.ndarray:
    block = np.zeros((frames, 1), dtype=np.float32)
    block[positions, 0] = value
    return block


def test_two_full_scale_samples_do_not_latch_three_do() -> None:
    meter = LevelMeter(1, RATE)
    meter.update(_clip_pattern([10, 11]), now=0.0)
    meter.update(_clip_pattern([20, 21, 40, 41, 43]), now=0.1)
    assert not meter.clipped[0]
    meter.update(_clip_pattern([50, 51, 52]), now=0.2)
    assert meter.clipped[0]


def test_clip_threshold_is_inclusive_and_negative_samples_count() -> None:
    meter = LevelMeter(2, RATE)
    block = np.zeros((20, 2), dtype=np.float32)
    block[5:8, 0] = [0.999, -1.0, 0.9995]
    block[5:8, 1] = [0.999, 0.998, 0.999]  # one sample below the threshold breaks the run
    meter.update(block, now=0.0)
    assert meter.clipped.tolist() == [True, False]


def test_clip_run_split_across_two_blocks_latches() -> None:
    meter = LevelMeter(1, RATE)
    meter.update(_clip_pattern([98, 99]), now=0.0)  # two at the end
    assert not meter.clipped[0]
    meter.update(_clip_pattern([0]), now=0.1)  # continues: three in a row
    assert meter.clipped[0]


def test_clip_run_split_over_three_blocks_and_broken_runs() -> None:
    meter = LevelMeter(1, RATE, clip_samples=4)
    meter.update(_clip_pattern([99]), now=0.0)
    meter.update(_clip_pattern([0, 1], frames=2), now=0.1)  # whole block clipped: carry 3
    assert not meter.clipped[0]
    meter.update(_clip_pattern([0]), now=0.2)
    assert meter.clipped[0]

    other = LevelMeter(1, RATE)
    other.update(_clip_pattern([98, 99]), now=0.0)
    other.update(_clip_pattern([1, 2]), now=0.1)  # sample 0 is below: run broken
    assert not other.clipped[0]
    other.update(_clip_pattern([99]), now=0.2)
    other.update(np.zeros((0, 1), dtype=np.float32), now=0.3)  # empty block keeps the run
    other.update(_clip_pattern([0, 1]), now=0.4)
    assert other.clipped[0]


def test_clip_latch_does_not_depend_on_block_boundaries() -> None:
    rng = np.random.default_rng(1)
    signal = (rng.random((5000, 4)) > 0.6).astype(np.float32)  # random runs of 1.0
    whole = LevelMeter(4, RATE, clip_samples=5)
    whole.update(signal, now=0.0)
    cuts = np.sort(rng.choice(np.arange(1, 5000), size=300, replace=False))
    pieces = LevelMeter(4, RATE, clip_samples=5)
    for index, piece in enumerate(np.split(signal, cuts)):
        pieces.update(piece, now=index * 0.001)
    np.testing.assert_array_equal(pieces.clipped, whole.clipped)


def test_clip_latch_stays_until_reset_clip() -> None:
    meter = LevelMeter(3, RATE)
    block = np.zeros((50, 3), dtype=np.float32)
    block[10:13, :] = 1.0
    meter.update(block, now=0.0)
    assert meter.clipped.all()
    meter.update(silence(4800, 3), now=5.0)  # silence does not clear it
    assert meter.clipped.all()
    meter.reset_clip(1)
    assert meter.clipped.tolist() == [True, False, True]
    meter.reset_clip(-1)  # negative index, like numpy
    assert meter.clipped.tolist() == [True, False, False]
    meter.reset_clip()
    assert not meter.clipped.any()
    with pytest.raises(IndexError, match="3 channels"):
        meter.reset_clip(3)


def test_a_latched_channel_latches_again_only_after_a_new_run() -> None:
    """Runs are not tracked while a channel is latched; a reset starts counting afresh."""
    meter = LevelMeter(2, RATE)
    block = np.zeros((20, 2), dtype=np.float32)
    block[:5, 0] = 1.0
    meter.update(block, now=0.0)
    assert meter.clipped.tolist() == [True, False]
    tail = np.zeros((20, 2), dtype=np.float32)
    tail[-2:, 0] = 1.0  # two full-scale samples at the end while latched
    meter.update(tail, now=0.1)
    meter.reset_clip(0)
    meter.update(np.ones((1, 2), dtype=np.float32) * [1.0, 0.0], now=0.2)  # one more
    assert not meter.clipped[0]  # the run before the reset does not count
    meter.update(np.ones((2, 2), dtype=np.float32) * [1.0, 0.0], now=0.3)
    assert meter.clipped[0]


def test_reset_clip_forgets_the_open_run() -> None:
    meter = LevelMeter(1, RATE)
    meter.update(_clip_pattern([98, 99]), now=0.0)
    meter.reset_clip()
    meter.update(_clip_pattern([0]), now=0.1)
    assert not meter.clipped[0]


def test_reset_returns_everything_to_the_floor() -> None:
    meter = LevelMeter(2, RATE)
    meter.update(np.ones((100, 2), dtype=np.float32), now=0.0)
    assert meter.clipped.all()
    meter.reset()
    np.testing.assert_array_equal(meter.peak_db, [FLOOR_DB] * 2)
    np.testing.assert_array_equal(meter.rms_db, [FLOOR_DB] * 2)
    np.testing.assert_array_equal(meter.hold_db, [FLOOR_DB] * 2)
    assert not meter.clipped.any()


def test_readings_are_copies() -> None:
    meter = LevelMeter(1, RATE)
    meter.update(np.ones((10, 1), dtype=np.float32), now=0.0)
    meter.clipped[0] = False
    meter.peak_db[0] = -50.0
    assert meter.clipped[0]
    assert meter.peak_db[0] == 0.0


# -- LevelMeter: errors ----------------------------------------------------------------------


def test_wrong_channel_count_raises_a_clear_value_error() -> None:
    meter = LevelMeter(2, RATE)
    with pytest.raises(ValueError, match=r"block has 8 channels.*meters 2"):
        meter.update(silence(10, 8), now=0.0)
    with pytest.raises(ValueError, match="frames x channels"):
        meter.update(np.zeros(10, dtype=np.float32), now=0.0)
    with pytest.raises(TypeError, match="floating point"):
        meter.update(np.zeros((10, 2), dtype=np.int32), now=0.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"channels": 0},
        {"samplerate": 0},
        {"window_seconds": 0},
        {"hold_seconds": -1},
        {"decay_db_per_s": -1},
        {"clip_samples": 0},
    ],
)
def test_bad_meter_settings_are_refused(kwargs: dict[str, float]) -> None:
    args = {"channels": 2, "samplerate": RATE, **kwargs}
    with pytest.raises(ValueError):
        LevelMeter(**args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "frames, channels",
    [(768, 32), (769, 32), (1024, 2), (4096, 32), (300, 7), (255, 32), (512, 600), (9, 1)],
)
def test_column_peaks_equals_the_largest_magnitude_of_each_column(
    frames: int, channels: int
) -> None:
    """Folded or not, with the frames left over after folding holding the peak, and with
    a NaN in a column: the same values as a plain reduction."""
    rng = np.random.default_rng(frames * channels)
    block = rng.uniform(-0.5, 0.5, (frames, channels)).astype(np.float32)
    block[-1, 0] = -0.9  # the last frame (left over when frames do not fold evenly)
    block[frames // 2, channels - 1] = 0.95
    if channels > 2:
        block[3, 1] = np.nan
    expected = np.abs(block).max(axis=0).astype(np.float64)
    np.testing.assert_array_equal(column_peaks(block), expected)
    np.testing.assert_array_equal(column_peaks(block[:, ::-1]), expected[::-1])  # strided
    tail = block[1:]  # a C-ordered view that does not start the buffer: folded too
    np.testing.assert_array_equal(column_peaks(tail), np.abs(tail).max(axis=0))
    assert column_peaks(block).dtype == np.float64


def test_column_peaks_of_a_block_without_channels_is_empty() -> None:
    assert column_peaks(np.zeros((1024, 0), np.float32)).shape == (0,)
