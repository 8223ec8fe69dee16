"""The shared stream engine: a frame ring between a native audio thread and blocking calls.

Every backend moves audio on a thread it does not control (libpulse's mainloop, a WASAPI
event thread, a CoreAudio render callback). That side must never block, so it only copies
frames in or out of a :class:`FrameRing` and counts what it could not do (overflows,
underruns). The caller's side (``Recorder.record``, ``Player.play``) waits on the ring, with a
deadline that restarts whenever audio moves, and wakes at once with an error when the stream
is closed from any thread, its device goes, or its server goes.

The ring's lock is held only for a copy. Nobody calls native code while holding it, so the
native thread can always take it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .errors import StreamError

if TYPE_CHECKING:  # numpy is imported where used: listing devices does without it
    import numpy as np

#: Longest single wait slice: a stall is noticed within this long after its deadline.
_SLICE = 0.25


class FrameRing:
    """A bounded FIFO of float32 ``frames x channels`` with interruptible, bounded waits.

    Frame counters are absolute (they never wrap in practice: 2**63 frames), so ``written``
    and ``consumed`` are also the stream's positions.
    """

    def __init__(self, channels: int, capacity: int) -> None:
        import numpy as np

        if channels < 1 or capacity < 1:
            raise ValueError("a ring needs at least one channel and one frame")
        self.channels = channels
        self.capacity = capacity
        self._buffer = np.zeros((capacity, channels), dtype=np.float32)
        self._written = 0
        self._consumed = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._error: BaseException | None = None
        #: What each waiting caller waits for: the native side wakes the waiters only when
        #: one of these holds, not at every block (each wake-up costs tens of microseconds).
        self._waiting_for: list[Callable[[], bool]] = []
        self.overflows = 0
        self.underruns = 0
        self.dropped_frames = 0
        self.silent_frames = 0

    # -- state -----------------------------------------------------------------------------

    @property
    def available(self) -> int:
        """Frames waiting to be consumed."""
        return self._written - self._consumed

    @property
    def space(self) -> int:
        """Frames that can be added without overflowing."""
        return self.capacity - (self._written - self._consumed)

    @property
    def written(self) -> int:
        return self._written

    @property
    def consumed(self) -> int:
        return self._consumed

    @property
    def error(self) -> BaseException | None:
        return self._error

    def fail(self, error: BaseException) -> None:
        """End the ring: every waiter (now and later) gets ``error``; the first error stays.

        Frames already in the ring can still be taken with :meth:`take`.
        """
        with self._lock:
            if self._error is None:
                self._error = error
            self._changed.notify_all()

    def wake(self) -> None:
        """Wake waiters so they look again (the native side changed state)."""
        with self._lock:
            self._changed.notify_all()

    # -- the native side: never blocks -----------------------------------------------------

    def push(self, frames: np.ndarray) -> int:
        """Append ``frames``; what does not fit is dropped and counted. Returns frames kept."""
        count: int = frames.shape[0]
        with self._lock:
            keep = min(count, self.capacity - (self._written - self._consumed))
            if keep < count:
                self.overflows += 1
                self.dropped_frames += count - keep
            if keep:
                self._copy_in(frames[:keep])
            self._wake_if_ready()
        return keep

    def push_silence(self, count: int) -> int:
        """Append ``count`` silent frames (a hole the native side reported)."""
        import numpy as np

        return self.push(np.zeros((count, self.channels), dtype=np.float32))

    def pull_into(self, out: np.ndarray) -> int:
        """Fill ``out`` (``n x channels``) from the ring; the rest is silence, an underrun.

        For render callbacks. Returns the frames that came from the ring.
        """
        wanted: int = out.shape[0]
        with self._lock:
            count = min(wanted, self._written - self._consumed)
            if count:
                self._copy_out(out[:count])
            if count < wanted:
                out[count:] = 0
                if self._written > 0:  # silence before the first write is no gap
                    self.underruns += 1
                    self.silent_frames += wanted - count
            self._wake_if_ready()
        return count

    # -- the caller's side: bounded waits ----------------------------------------------------

    def take(self, max_frames: int) -> np.ndarray:
        """Remove and return up to ``max_frames`` frames without waiting."""
        import numpy as np

        with self._lock:
            count = min(max_frames, self._written - self._consumed)
            out = np.empty((count, self.channels), dtype=np.float32)
            if count:
                self._copy_out(out)
            self._changed.notify_all()
        return out

    def put(self, frames: np.ndarray) -> int:
        """Add as many of ``frames`` as fit without waiting; returns how many."""
        with self._lock:
            count: int = min(frames.shape[0], self.capacity - (self._written - self._consumed))
            if count:
                self._copy_in(frames[:count])
            self._changed.notify_all()
        return count

    def wait_readable(
        self, frames: int, timeout: float, on_stall: Callable[[], BaseException]
    ) -> int:
        """Wait until ``min(frames, capacity)`` frames can be taken; returns what can.

        Raises the ring's error if it failed (and nothing is left to satisfy the wait), or
        ``on_stall()`` when no frame arrived for ``timeout`` seconds.
        """
        target = min(frames, self.capacity)
        return self._wait(
            lambda: self._written - self._consumed >= target,
            timeout,
            on_stall,
            lambda: self._written,
            lambda: self._written - self._consumed,
        )

    def wait_writable(
        self, frames: int, timeout: float, on_stall: Callable[[], BaseException]
    ) -> int:
        """Wait until ``min(frames, capacity)`` frames of space are free; returns the space."""
        target = min(frames, self.capacity)
        return self._wait(
            lambda: self.capacity - (self._written - self._consumed) >= target,
            timeout,
            on_stall,
            lambda: self._consumed,
            lambda: self.capacity - (self._written - self._consumed),
        )

    def wait_empty(self, timeout: float, on_stall: Callable[[], BaseException]) -> None:
        """Wait until the native side has consumed everything (for a drain)."""
        self._wait(
            lambda: self._written == self._consumed,
            timeout,
            on_stall,
            lambda: self._consumed,
            lambda: 0,
        )

    def _wait(
        self,
        ready: Callable[[], bool],
        timeout: float,
        on_stall: Callable[[], BaseException],
        progress: Callable[[], int],
        result: Callable[[], int],
    ) -> int:
        with self._lock:
            last = progress()
            deadline = time.monotonic() + timeout
            while not ready():
                if self._error is not None:
                    raise self._error.with_traceback(None)  # no traceback pile-up
                now = time.monotonic()
                if progress() != last:
                    last, deadline = progress(), now + timeout
                elif now >= deadline:
                    raise on_stall()
                self._waiting_for.append(ready)
                try:
                    self._changed.wait(min(_SLICE, max(deadline - now, 0.001)))
                finally:
                    self._waiting_for.remove(ready)
            return result()

    def check(self) -> None:
        """Raise the ring's error, if it has one."""
        error = self._error
        if error is not None:
            raise error.with_traceback(None)

    # -- copies (lock held) ------------------------------------------------------------------

    def _wake_if_ready(self) -> None:
        """Wake the waiters if what one of them waits for now holds (lock held)."""
        if any(ready() for ready in self._waiting_for):
            self._changed.notify_all()

    def _copy_in(self, frames: np.ndarray) -> None:
        count = frames.shape[0]
        start = self._written % self.capacity
        first = min(count, self.capacity - start)
        self._buffer[start : start + first] = frames[:first]
        if first < count:
            self._buffer[: count - first] = frames[first:]
        self._written += count

    def _copy_out(self, out: np.ndarray) -> None:
        count = out.shape[0]
        start = self._consumed % self.capacity
        first = min(count, self.capacity - start)
        out[:first] = self._buffer[start : start + first]
        if first < count:
            out[first:] = self._buffer[: count - first]
        self._consumed += count


def closed_error(direction: str) -> StreamError:
    """The error a waiter gets when its stream was closed under it."""
    return StreamError(f"The {direction} stream was closed while it was in use.")


class StreamSignal:
    """A counter the native side bumps when a stream changes state or wants data.

    For streams whose buffer lives on the native side (PulseAudio's server buffer): the
    caller notes :attr:`count`, releases the native lock, and waits for it to change.
    """

    def __init__(self, pump: Callable[[float], object] | None = None) -> None:
        self._changed = threading.Condition(threading.Lock())
        self.count = 0
        self._error: BaseException | None = None
        #: Where the native side only moves while a waiter runs it (a stream's own
        #: mainloop): ``pump(seconds)`` runs it once, for up to that long, on this thread.
        self._pump = pump

    @property
    def error(self) -> BaseException | None:
        return self._error

    def bump(self) -> None:
        with self._changed:
            self.count += 1
            self._changed.notify_all()

    def note_change(self) -> None:
        """Count a change without waking anyone: for a signal whose waiters run its native
        side themselves (``pump``) and look at :attr:`count` after each run."""
        self.count += 1

    def fail(self, error: BaseException) -> None:
        with self._changed:
            if self._error is None:
                self._error = error
            self.count += 1
            self._changed.notify_all()

    def check(self) -> None:
        error = self._error
        if error is not None:
            raise error.with_traceback(None)

    def wait_change(self, since: int, timeout: float) -> bool:
        """Wait up to ``timeout`` s for :attr:`count` to leave ``since``; raise on failure."""
        if self._pump is not None:
            return self._pump_until_change(since, timeout)
        with self._changed:
            self._changed.wait_for(
                lambda: self.count != since or self._error is not None, max(timeout, 0.0)
            )
            if self._error is not None:
                raise self._error.with_traceback(None)
            return self.count != since

    def _pump_until_change(self, since: int, timeout: float) -> bool:
        assert self._pump is not None
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            if self._error is not None:
                raise self._error.with_traceback(None)
            if self.count != since:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._pump(remaining)
