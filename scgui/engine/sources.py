"""Things the worker can play: a sound file read in blocks, or an array (a test signal)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np


class PlaySource(Protocol):
    """Audio to play, read block by block on the worker thread."""

    samplerate: int
    channels: int
    frames: int | None  # None: endless

    def read(self, count: int) -> np.ndarray:
        """Up to ``count`` frames as float32 ``n x channels``; 0 frames at the end."""

    def close(self) -> None:
        """Release the file, if any."""


class FileSource:
    """A sound file, opened at once (so errors reach the caller) and read in blocks."""

    def __init__(self, path: str | Path) -> None:
        import soundfile

        self.path = Path(path)
        try:
            self._file = soundfile.SoundFile(str(self.path))
        except (soundfile.LibsndfileError, RuntimeError, OSError) as exc:
            raise OSError(
                f"Cannot open {self.path} for playback: {exc}. Choose a WAV, FLAC or OGG file "
                "that exists and is readable."
            ) from None
        self.samplerate = int(self._file.samplerate)
        self.channels = int(self._file.channels)
        self.frames: int | None = int(self._file.frames)

    def read(self, count: int) -> np.ndarray:
        return self._file.read(count, dtype="float32", always_2d=True)

    def close(self) -> None:
        self._file.close()


class ArraySource:
    """An array played once, or over and over with ``loop`` (a continuous test tone).

    :meth:`fade_out` ends it gently: the next blocks fade to silence over a few
    milliseconds, then the source ends, so stopping a tone never clicks.
    """

    def __init__(
        self, data: np.ndarray, samplerate: int, loop: bool = False, fade_in: float = 0.0
    ) -> None:
        array = np.asarray(data, dtype=np.float32)
        self._data = array[:, np.newaxis] if array.ndim == 1 else array
        self.samplerate = samplerate
        self.channels = self._data.shape[1]
        self.frames = None if loop else self._data.shape[0]
        self._loop = loop
        self._position = 0
        self._fade_frames: int | None = None  # frames left in a requested fade-out
        self._fade_total = 1
        self._fade_in_frames = round(fade_in * samplerate)
        self._read_so_far = 0

    def fade_out(self, seconds: float = 0.01) -> None:
        """Finish with a fade of ``seconds`` (safe to call from any thread)."""
        self._fade_total = max(1, round(seconds * self.samplerate))
        self._fade_frames = self._fade_total

    def read(self, count: int) -> np.ndarray:
        remaining = self._fade_frames
        if remaining is not None:
            count = min(count, remaining)
        block = self._next(count)
        start, self._read_so_far = self._read_so_far, self._read_so_far + block.shape[0]
        if start < self._fade_in_frames and block.shape[0]:
            position = (start + np.arange(block.shape[0])) / self._fade_in_frames
            ramp = 0.5 - 0.5 * np.cos(np.pi * np.minimum(position, 1.0))
            block = (block * ramp[:, np.newaxis]).astype(np.float32)
        if remaining is None or block.shape[0] == 0:
            return block
        done = self._fade_total - remaining
        gains = 1.0 - (done + np.arange(block.shape[0])) / self._fade_total
        self._fade_frames = remaining - block.shape[0]
        return (block * gains[:, np.newaxis].astype(np.float32)).astype(np.float32)

    def _next(self, count: int) -> np.ndarray:
        data = self._data
        if not self._loop:
            block = data[self._position : self._position + count]
            self._position += block.shape[0]
            return block
        if data.shape[0] == 0:
            return data
        indexes = (np.arange(count) + self._position) % data.shape[0]
        self._position = (self._position + count) % data.shape[0]
        return data[indexes]

    def close(self) -> None:
        self._position = 0
