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
    """An array played once, or over and over with ``loop`` (a continuous test tone)."""

    def __init__(self, data: np.ndarray, samplerate: int, loop: bool = False) -> None:
        array = np.asarray(data, dtype=np.float32)
        self._data = array[:, np.newaxis] if array.ndim == 1 else array
        self.samplerate = samplerate
        self.channels = self._data.shape[1]
        self.frames = None if loop else self._data.shape[0]
        self._loop = loop
        self._position = 0

    def read(self, count: int) -> np.ndarray:
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
