"""Level metering: dBFS conversion, per-block peak/RMS and a stateful meter for the display.

Conventions, so that every number on screen means the same thing:

* Audio is ``frames x channels`` floating point with full scale at ±1.0.
* dBFS is ``20·log10(amplitude)`` relative to 1.0, for peak *and* RMS. A full-scale sine
  therefore reads 0 dBFS peak and -3.01 dBFS RMS (no "+3 dB" AES-17 sine correction), which
  is what most recorders and DAWs show.
* Silence reads a finite floor (:data:`FLOOR_DB`) instead of ``-inf``, so that plots, text
  and arithmetic never have to special-case it.

Everything is pure NumPy and deterministic: :class:`LevelMeter` takes the time of each block
as an argument instead of reading a clock, so tests can drive peak hold with exact times.
"""

from __future__ import annotations

from typing import overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["FLOOR_DB", "LevelMeter", "block_levels", "column_peaks", "dbfs"]

FLOOR_DB = -120.0
"""The level reported for silence (and anything quieter), in dBFS."""

_RMS_CHUNK = 256  # rows of the RMS window summed together (see LevelMeter.__init__)


@overload
def dbfs(x: float, floor_db: float = FLOOR_DB) -> float: ...
@overload
def dbfs(x: ArrayLike, floor_db: float = FLOOR_DB) -> NDArray[np.float64]: ...


def dbfs(x: ArrayLike, floor_db: float = FLOOR_DB) -> NDArray[np.float64] | float:
    """Convert linear amplitudes to dBFS, element-wise, never going below ``floor_db``.

    The sign is ignored (``|x|`` is used), so samples can be passed directly. A scalar gives a
    ``float``, an array gives a ``float64`` array of the same shape. The floor keeps silence
    finite: ``dbfs(0.0) == floor_db``.
    """
    amplitude = np.abs(np.asarray(x, dtype=np.float64))
    floor_linear: float = 10.0 ** (floor_db / 20.0)  # float ** float is Any to typeshed
    result = 20.0 * np.log10(np.maximum(amplitude, floor_linear))
    if result.ndim == 0:
        return float(result)
    return result


def _as_block(block: ArrayLike, name: str = "block") -> NDArray[np.floating]:
    """Return ``block`` as a 2-D floating-point array or raise a clear error.

    Integer data is refused rather than scaled: an ``int16`` block would otherwise read
    +90 dBFS and nobody would notice the missing conversion.
    """
    array = np.asarray(block)
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D (frames x channels), got shape {array.shape}; "
            "for one channel use block.reshape(-1, 1)."
        )
    if array.dtype.kind != "f":
        raise TypeError(
            f"{name} must be floating point with full scale at 1.0, got dtype {array.dtype}."
        )
    return array


_FOLD_WIDTH = 512
"""How many values a row holds once :func:`column_peaks` has folded the block's rows."""
_FOLD_FROM_FRAMES = 256
"""Blocks shorter than this are reduced as they are (folding would cost more)."""


def column_peaks(block: NDArray[np.floating]) -> NDArray[np.float64]:
    """The largest ``|x|`` of each column of a ``frames x channels`` block of at least one
    frame (NaN where the column holds one).

    NumPy reduces a C-ordered block down its columns one short row at a time, which for
    32 channels costs about three times the arithmetic. A long block is folded into wide
    rows first (several frames side by side, about :data:`_FOLD_WIDTH` values a row): one
    reduction over them, then a small one over the frames that shared a row. No ``|x|``
    temporary: the peak is the larger of the maximum and minus the minimum.
    """
    frames, channels = block.shape
    per_row = -(-_FOLD_WIDTH // max(channels, 1))
    rows = frames // per_row
    if frames < _FOLD_FROM_FRAMES or channels <= 1 or rows < 2 or not block.flags.c_contiguous:
        peak: NDArray[np.float64] = np.maximum(block.max(axis=0), -block.min(axis=0)).astype(
            np.float64
        )
        return peak
    folded = block[: rows * per_row].reshape(rows, per_row * channels)
    high = folded.max(axis=0).reshape(per_row, channels).max(axis=0)
    low = folded.min(axis=0).reshape(per_row, channels).min(axis=0)
    rest = block[rows * per_row :]
    if len(rest):
        np.maximum(high, rest.max(axis=0), out=high)
        np.minimum(low, rest.min(axis=0), out=low)
    peak = np.maximum(high, -low).astype(np.float64)
    return peak


def block_levels(block: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Linear peak (max ``|x|``) and RMS of each channel of a ``frames x channels`` block.

    Returns two ``float64`` arrays of length ``channels``. A block with 0 frames gives zeros
    (no audio is silence, not an error). The mean square is accumulated in float64 so long
    blocks of quiet float32 audio keep their precision.
    """
    array = _as_block(block)
    channels = array.shape[1]
    if array.shape[0] == 0:
        return np.zeros(channels), np.zeros(channels)
    peak = np.max(np.abs(array), axis=0).astype(np.float64)
    wide = array.astype(np.float64, copy=False)
    rms = np.sqrt(np.einsum("ij,ij->j", wide, wide) / array.shape[0])
    return peak, rms


class LevelMeter:
    """Per-channel meter state: peak, windowed RMS, peak hold and a clip latch.

    Feed every block of a stream, in order, to :meth:`update` with the time it arrived; read
    the per-channel arrays :attr:`peak_db`, :attr:`rms_db`, :attr:`hold_db` and
    :attr:`clipped` whenever the display redraws. The channel count is fixed: a stream with
    a different layout needs a new meter.

    Parameters
    ----------
    channels:
        Number of channels (columns) every block has.
    samplerate:
        Frames per second; sets the length of the RMS window in frames.
    window_seconds:
        Length of the RMS window. The RMS is exact over the newest
        ``round(window_seconds * samplerate)`` frames seen (a sliding rectangular window, not
        an exponential average): a steady signal reads its true RMS as soon as the window is
        full, and a burst leaves the reading exactly one window later. Until that many frames
        have arrived, the RMS is over the frames seen so far. The window is counted in frames,
        not in ``now`` time: gaps between blocks (a paused stream) do not empty it; call
        :meth:`reset` when a stream restarts.
    hold_seconds, decay_db_per_s:
        Peak hold: the highest block peak is held for ``hold_seconds``, then falls at
        ``decay_db_per_s`` until a new peak at or above the falling value replaces it.
    clip_threshold, clip_samples:
        The clip latch of a channel is set when ``clip_samples`` consecutive samples have
        ``|x| >= clip_threshold``. Runs are counted across block boundaries, so the result
        does not depend on how the stream was cut into blocks. A single full-scale sample is
        usually a legitimate peak; a run of them is a flattened (clipped) waveform.
    floor_db:
        The reading for silence (see :func:`dbfs`).
    """

    def __init__(
        self,
        channels: int,
        samplerate: float,
        *,
        window_seconds: float = 0.3,
        hold_seconds: float = 1.5,
        decay_db_per_s: float = 20.0,
        clip_threshold: float = 0.999,
        clip_samples: int = 3,
        floor_db: float = FLOOR_DB,
    ) -> None:
        if int(channels) != channels or channels < 1:
            raise ValueError(f"channels must be a positive integer, got {channels!r}.")
        if not samplerate > 0:
            raise ValueError(f"samplerate must be positive, got {samplerate!r}.")
        if not window_seconds > 0:
            raise ValueError(f"window_seconds must be positive, got {window_seconds!r}.")
        if hold_seconds < 0 or decay_db_per_s < 0:
            raise ValueError("hold_seconds and decay_db_per_s must not be negative.")
        if int(clip_samples) != clip_samples or clip_samples < 1:
            raise ValueError(f"clip_samples must be a positive integer, got {clip_samples!r}.")
        self._channels = int(channels)
        self._samplerate = float(samplerate)
        self._window_frames = max(1, round(window_seconds * samplerate))
        self._hold_seconds = float(hold_seconds)
        self._decay = float(decay_db_per_s)
        # A NumPy float64, so comparing float32 samples with it is done in float64 (a Python
        # float would be rounded to float32 first and could move the threshold).
        self._clip_threshold = np.float64(clip_threshold)
        self._clip_samples = int(clip_samples)
        self._floor_db = float(floor_db)
        # Squared samples of the newest frames, a ring of window_frames rows, and the sum of
        # every _RMS_CHUNK rows of it. An update squares only the new frames and sums again
        # only the chunks they fall in; a reading adds up the chunk sums. So the cost follows
        # the audio that arrived, not the window, and a window that is silent again sums to
        # exactly zero (a running total with subtraction would leave rounding residue).
        self._squares = np.zeros((self._window_frames, self._channels), dtype=np.float64)
        chunks = -(-self._window_frames // _RMS_CHUNK)
        self._chunk_sums = np.zeros((chunks, self._channels), dtype=np.float64)
        self.reset()

    # -- configuration -------------------------------------------------------------------

    @property
    def channels(self) -> int:
        """The number of channels every block must have."""
        return self._channels

    @property
    def samplerate(self) -> float:
        """Frames per second, as given at construction."""
        return self._samplerate

    @property
    def window_frames(self) -> int:
        """Length of the RMS window in frames."""
        return self._window_frames

    # -- state ---------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget everything: levels to the floor, hold released, RMS window and clip cleared."""
        self._squares.fill(0.0)
        self._chunk_sums.fill(0.0)
        self._write_pos = 0
        self._filled = 0
        self._rms_cache: NDArray[np.float64] | None = None
        self._peak_db: NDArray[np.float64] = np.full(self._channels, self._floor_db, np.float64)
        self._hold_value: NDArray[np.float64] = np.full(self._channels, self._floor_db, np.float64)
        self._hold_since: NDArray[np.float64] = np.zeros(self._channels)
        self._last_now = 0.0
        self._clipped: NDArray[np.bool_] = np.zeros(self._channels, dtype=np.bool_)
        self._clip_run = np.zeros(self._channels, dtype=np.int64)

    def reset_clip(self, channel: int | None = None) -> None:
        """Clear the clip latch of one channel, or of all channels when ``channel`` is None.

        The run of full-scale samples in progress is forgotten too, so a latch only comes back
        after ``clip_samples`` new consecutive clipped samples.
        """
        if channel is None:
            self._clipped[:] = False
            self._clip_run[:] = 0
            return
        if not -self._channels <= channel < self._channels:
            raise IndexError(
                f"channel {channel} does not exist; this meter has {self._channels} channels."
            )
        self._clipped[channel] = False
        self._clip_run[channel] = 0

    def update(self, block: ArrayLike, now: float) -> None:
        """Consume the next ``frames x channels`` block of the stream, which arrived at ``now``.

        ``now`` is in seconds on any steady clock (``time.monotonic()`` in the app, chosen
        values in tests); it only drives the peak hold. A block with 0 frames just advances
        the clock.
        """
        array = _as_block(block)
        if array.shape[1] != self._channels:
            raise ValueError(
                f"block has {array.shape[1]} channels, but this LevelMeter meters "
                f"{self._channels}; make a new LevelMeter when the channel count changes."
            )
        now = float(now)
        self._last_now = now
        frames = array.shape[0]
        if frames == 0:
            return
        peak = column_peaks(array)  # float32 values are exact in float64
        self._peak_db = dbfs(peak, self._floor_db)
        self._push_squares(array)
        self._update_hold(self._peak_db, now)
        self._update_clip(array, peak)

    def _push_squares(self, block: NDArray[np.floating]) -> None:
        """Square the new frames into the RMS ring (keeping only the newest window) and sum
        again the chunks they landed in."""
        size = self._window_frames
        count = block.shape[0]
        if count >= size:
            np.square(block[-size:], out=self._squares, dtype=np.float64)
            self._write_pos = 0
            self._filled = size
            self._sum_chunks(0, size)
        else:
            start = self._write_pos
            first = min(count, size - start)
            np.square(block[:first], out=self._squares[start : start + first], dtype=np.float64)
            self._sum_chunks(start, start + first)
            if count > first:
                np.square(block[first:], out=self._squares[: count - first], dtype=np.float64)
                self._sum_chunks(0, count - first)
            self._write_pos = (start + count) % size
            self._filled = min(size, self._filled + count)
        self._rms_cache = None

    def _sum_chunks(self, first_row: int, end_row: int) -> None:
        """Recompute the sums of the chunks that hold rows ``first_row .. end_row-1``."""
        first, end = first_row // _RMS_CHUNK, -(-end_row // _RMS_CHUNK)
        rows = self._squares[first * _RMS_CHUNK : end * _RMS_CHUNK]
        starts = np.arange(0, rows.shape[0], _RMS_CHUNK)
        self._chunk_sums[first:end] = np.add.reduceat(rows, starts, axis=0)

    def _decayed_hold(self, now: float) -> NDArray[np.float64]:
        """The hold value of every channel at ``now``: flat for hold_seconds, then falling."""
        elapsed = np.maximum(0.0, now - self._hold_since - self._hold_seconds)
        return np.maximum(self._hold_value - self._decay * elapsed, self._floor_db)

    def _update_hold(self, peak_db: NDArray[np.float64], now: float) -> None:
        """Restart the hold on every channel whose new peak reaches its current hold value."""
        current = self._decayed_hold(now)
        fresh = peak_db >= current
        self._hold_value = np.where(fresh, peak_db, self._hold_value)
        self._hold_since = np.where(fresh, now, self._hold_since)

    def _update_clip(self, block: NDArray[np.floating], peak: NDArray[np.float64]) -> None:
        """Latch channels with a run of ``clip_samples`` samples at or over the threshold.

        ``peak`` is the block's peak per channel. Only channels that are not latched yet and
        reach the threshold somewhere in this block are examined sample by sample; a channel
        whose peak stays below has no run open at the end of the block. A latched channel's
        run does not matter until its latch is reset, and resetting forgets the run anyway.
        The run still open at the end of the previous block is carried in, so a run split
        across blocks counts as one.
        """
        reached = peak >= self._clip_threshold
        self._clip_run[~reached] = 0
        candidates = np.flatnonzero(reached & ~self._clipped)
        if candidates.size == 0:
            return
        need = self._clip_samples
        over = np.abs(block[:, candidates]) >= self._clip_threshold
        run_in = self._clip_run[candidates]
        frames = over.shape[0]
        # Prefix need-1 virtual rows holding the carried-in run, then look for any window of
        # `need` consecutive True values with a cumulative sum (vectorised over channels).
        carried = np.minimum(run_in, need - 1)
        prefix = np.arange(need - 1)[:, None] >= (need - 1 - carried)[None, :]
        extended = np.concatenate([prefix, over], axis=0)
        counts = np.concatenate(
            [np.zeros((1, candidates.size), dtype=np.int64), np.cumsum(extended, axis=0)]
        )
        windows = counts[need:] - counts[:-need]
        self._clipped[candidates] |= (windows >= need).any(axis=0)
        # Length of the run still open at the end of this block, per channel.
        below = ~over
        trailing = np.argmax(below[::-1], axis=0)
        whole = ~below.any(axis=0)
        run = np.where(whole, run_in + frames, trailing)
        self._clip_run[candidates] = np.minimum(run, need)

    # -- readings ------------------------------------------------------------------------

    @property
    def peak_db(self) -> NDArray[np.float64]:
        """Peak of the most recent non-empty block, per channel, in dBFS.

        Pass all the audio received since the previous redraw as one block (as the engine's
        coalesced display blocks are), or read after every block, so no peak goes unseen; the
        hold keeps the highest one visible either way.
        """
        return np.copy(self._peak_db)  # ndarray.copy() is Any to numpy's stubs

    @property
    def rms(self) -> NDArray[np.float64]:
        """Linear RMS over the window (see the class docstring), per channel."""
        cache = self._rms_cache
        if cache is None:
            if self._filled == 0:
                cache = np.zeros(self._channels)
            else:
                total = self._chunk_sums.sum(axis=0)  # unfilled rows are zero
                cache = np.sqrt(total / self._filled, dtype=np.float64)
            self._rms_cache = cache
        return np.copy(cache)

    @property
    def rms_db(self) -> NDArray[np.float64]:
        """RMS over the window, per channel, in dBFS (a full-scale sine reads -3.01)."""
        return dbfs(self.rms, self._floor_db)

    @property
    def hold_db(self) -> NDArray[np.float64]:
        """Peak-hold value per channel in dBFS, at the time of the latest :meth:`update`."""
        return self._decayed_hold(self._last_now)

    def hold_db_at(self, now: float) -> NDArray[np.float64]:
        """Peak-hold value at ``now``, for a display that redraws while no blocks arrive."""
        return self._decayed_hold(float(now))

    @property
    def clipped(self) -> NDArray[np.bool_]:
        """Clip latch per channel; stays True until :meth:`reset_clip` or :meth:`reset`."""
        return np.copy(self._clipped)  # ndarray.copy() is Any to numpy's stubs

    def __repr__(self) -> str:
        window_ms = 1000.0 * self._window_frames / self._samplerate
        return (
            f"LevelMeter(channels={self._channels}, samplerate={self._samplerate:g}, "
            f"window={window_ms:.0f} ms, clipped={int(self._clipped.sum())})"
        )
