"""What the shared code holds of a backend stream whose native side calls back on its own thread.

A backend's *core* is the object its native thread or callback references (WASAPI's stream
thread, a CoreAudio unit's callbacks). If the shared code held the core itself, the native
side's reference would keep it alive for ever once a program dropped it without ``close()``.
It holds a facade instead: nothing native references the facade, so it is collected, and its
finalizer asks the core to close without waiting (finalizers may run on any thread, the
native one included). The facades are the same for every such backend; only the cores differ.
:class:`RingReads` is the reading side every ring-fed capture core shares.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from ..timeouts import get_timeout

if TYPE_CHECKING:
    import numpy as np

    from ..ring import FrameRing
    from .base import DevicePosition


class _Core(Protocol):
    device_id: str
    samplerate: int
    channels: int

    @property
    def latency(self) -> float: ...

    def device_position(self) -> DevicePosition: ...

    def close(self, wait: bool = True) -> None: ...


class PlaybackCore(_Core, Protocol):
    def write(self, frames: np.ndarray) -> None: ...

    def drain(self) -> None: ...

    @property
    def underruns(self) -> int: ...


class CaptureCore(_Core, Protocol):
    @property
    def capacity(self) -> int: ...

    def read(self, min_frames: int) -> np.ndarray: ...

    @property
    def overflows(self) -> int: ...


class _Facade:
    _core: _Core

    def _adopt(self, core: _Core) -> None:
        self._core = core
        self.device_id, self.samplerate, self.channels = (
            core.device_id,
            core.samplerate,
            core.channels,
        )
        weakref.finalize(self, core.close, False)

    @property
    def latency(self) -> float:
        return self._core.latency

    def device_position(self) -> DevicePosition:
        return self._core.device_position()

    def close(self) -> None:
        self._core.close()


class PlaybackFacade(_Facade):
    """An output stream (see :class:`~scgui.audio.backends.base.PlaybackStream`)."""

    def __init__(self, core: PlaybackCore) -> None:
        self._playback = core
        self._adopt(core)

    def write(self, frames: np.ndarray) -> None:
        self._playback.write(frames)

    def drain(self) -> None:
        self._playback.drain()

    @property
    def underruns(self) -> int:
        return self._playback.underruns


class CaptureFacade(_Facade):
    """An input stream (see :class:`~scgui.audio.backends.base.CaptureStream`)."""

    def __init__(self, core: CaptureCore) -> None:
        self._capture = core
        self._adopt(core)

    @property
    def capacity(self) -> int:
        return self._capture.capacity

    def read(self, min_frames: int) -> np.ndarray:
        return self._capture.read(min_frames)

    @property
    def overflows(self) -> int:
        return self._capture.overflows


class RingReads:
    """The reading side of a capture core whose native side fills a :class:`FrameRing`."""

    ring: FrameRing | None
    _stall: Callable[[], BaseException]

    @property
    def capacity(self) -> int:
        assert self.ring is not None
        return self.ring.capacity

    def read(self, min_frames: int) -> np.ndarray:
        """Wait (bounded) for ``min_frames`` frames, then take all there are."""
        ring = self.ring
        assert ring is not None
        if min_frames > 0:
            ring.wait_readable(min_frames, get_timeout(), self._stall)
        return ring.take(ring.available)

    @property
    def overflows(self) -> int:
        assert self.ring is not None
        return self.ring.overflows
