"""What the output unit's callbacks do: copy between Core Audio's buffers and the stream's ring.

Core Audio calls these on its real-time I/O thread. They only copy: a render callback fills
the device's buffer from the :class:`~scgui.audio.ring.FrameRing` (silence where the ring runs
dry, counted as an underrun once audio was written), an input callback asks the unit to
render the captured frames into a buffer allocated when the stream opened and pushes them to
the ring. Neither blocks beyond the ring's copy lock, nor allocates audio buffers; the array
views over Core Audio's memory are made once per buffer address and reused. Each records the
stream's position on the host clock from the time stamp Core Audio passes, which is how
latency is measured to the sample.

In ABI mode the callbacks are Python functions (cffi has no compiler to make C ones), so each
call takes the interpreter lock: the I/O buffer must leave room for that (see
:func:`~scgui.audio.backends._coreaudio_format.buffer_frames`). An exception in a callback is
logged and the callback returns an error status; Core Audio then plays silence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import _coreaudio_cdef as decl
from ._coreaudio_format import BYTES_PER_SAMPLE, HostClock

if TYPE_CHECKING:
    import numpy as np

    from ..ring import FrameRing

_log = logging.getLogger(__name__)

#: What a callback returns when it could not do its job (kAudio_ParamError).
CALLBACK_FAILED = -50

#: ``AudioUnitRender(unit, flags, stamp, bus, frames, buffers) -> OSStatus``.
RenderFunction = Callable[[Any, Any, Any, int, int, Any], int]


class _Pump:
    """Shared by both directions: the ring, the position, and views over native memory."""

    def __init__(self, ffi: Any, ring: FrameRing, clock: HostClock) -> None:
        self._ffi = ffi
        self.ring = ring
        self.channels = ring.channels
        self._clock = clock
        #: (frame, perf_counter time) of the newest time stamp: see DevicePosition.
        self.position: tuple[float, float] | None = None
        #: Frames moved so far (handed to the device, or received from it).
        self.frames = 0
        self._view_key: tuple[int, int] = (0, 0)
        self._view: np.ndarray | None = None

    def _frames_view(self, address: Any, frames: int) -> np.ndarray:
        """A ``frames x channels`` float32 array over native memory, cached per address."""
        import numpy as np

        key = (int(self._ffi.cast("uintptr_t", address)), frames)
        if key != self._view_key or self._view is None:
            raw = self._ffi.buffer(address, frames * self.channels * BYTES_PER_SAMPLE)
            self._view = np.frombuffer(raw, dtype=np.float32).reshape(frames, self.channels)
            self._view_key = key
        return self._view

    def _stamp(self, stamp: Any) -> None:
        """Note where the stream is: frame ``self.frames`` is at the device at the stamp."""
        if stamp != self._ffi.NULL and stamp.mHostTime:
            self.position = (float(self.frames), self._clock.to_perf_counter(stamp.mHostTime))


class RenderPump(_Pump):
    """The render callback of an output stream (``kAudioUnitProperty_SetRenderCallback``).

    ``idle`` is set by the stream after a drain and cleared by a write: running dry while
    idle is the end of the sound, not an underrun, and is marked as silence for the unit.
    """

    def __init__(self, ffi: Any, ring: FrameRing, clock: HostClock) -> None:
        super().__init__(ffi, ring, clock)
        self.idle = True

    def render(self, flags: Any, stamp: Any, frames: int, buffers: Any) -> int:
        """Fill ``buffers`` (the unit's ``ioData``) with ``frames`` frames; an OSStatus."""
        try:
            if buffers == self._ffi.NULL or buffers.mNumberBuffers < 1:
                return CALLBACK_FAILED
            buffer = buffers.mBuffers[0]
            room = int(buffer.mDataByteSize) // (self.channels * BYTES_PER_SAMPLE)
            count = min(int(frames), room)
            out = self._frames_view(buffer.mData, count)
            self._stamp(stamp)
            if self.idle and self.ring.available == 0:
                out.fill(0.0)
                if flags != self._ffi.NULL:
                    flags[0] |= decl.kAudioUnitRenderAction_OutputIsSilence
            else:
                self.ring.pull_into(out)
            self.frames += count
            return 0
        except Exception:  # never into Core Audio's thread
            _log.exception("the CoreAudio render callback failed")
            return CALLBACK_FAILED


class CapturePump(_Pump):
    """The input callback of a recording stream (``kAudioOutputUnitProperty_SetInputCallback``).

    Core Audio passes no buffer to an input callback: the callback renders the unit's input
    bus into ``buffers``, a list made once with room for ``max_frames``.
    """

    def __init__(
        self,
        ffi: Any,
        ring: FrameRing,
        clock: HostClock,
        render: RenderFunction,
        unit: Any,
        max_frames: int,
    ) -> None:
        super().__init__(ffi, ring, clock)
        self._render = render
        self._unit = unit
        self.max_frames = int(max_frames)
        self._data = ffi.new("float[]", self.max_frames * self.channels)
        self.buffers = ffi.new("AudioBufferList *")
        self.buffers.mNumberBuffers = 1
        self.buffers.mBuffers[0].mNumberChannels = self.channels
        self.buffers.mBuffers[0].mData = self._data
        #: The newest status of AudioUnitRender that was not 0 (for the stream's error).
        self.last_error = 0

    def capture(self, flags: Any, stamp: Any, bus: int, frames: int) -> int:
        """Take ``frames`` captured frames from the unit into the ring; an OSStatus."""
        try:
            count = int(frames)
            if count > self.max_frames:  # more than the unit said it would ever give
                self.ring.overflows += 1
                self.ring.dropped_frames += count - self.max_frames
                count = self.max_frames
            buffer = self.buffers.mBuffers[0]
            buffer.mDataByteSize = count * self.channels * BYTES_PER_SAMPLE
            buffer.mData = self._data
            status = int(self._render(self._unit, flags, stamp, bus, count, self.buffers))
            if status != 0:
                self.last_error = status
                return status
            self._stamp(stamp)
            silent = (
                flags != self._ffi.NULL and flags[0] & decl.kAudioUnitRenderAction_OutputIsSilence
            )
            view = self._frames_view(self._data, count)
            if silent:  # the unit may leave the buffer as it was
                view.fill(0.0)
            self.ring.push(view)
            self.frames += count
            return 0
        except Exception:
            _log.exception("the CoreAudio input callback failed")
            return CALLBACK_FAILED
