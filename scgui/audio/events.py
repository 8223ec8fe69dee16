"""Device-change events delivered on a thread of their own.

Backends report changes from their native event thread, where user code must not block or
call back into the library. :func:`watch_devices` hands each event to a dedicated thread that
runs the callback, or keeps them in a queue for :meth:`DeviceWatch.get`.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from types import TracebackType

from .backends import get_backend
from .backends.base import DeviceEvent

_STOP = object()
_log = logging.getLogger(__name__)


class DeviceWatch:
    """A subscription to device changes; close it (or leave its ``with`` block) to stop."""

    def __init__(self, callback: Callable[[DeviceEvent], None] | None = None) -> None:
        self._callback = callback
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        if callback is not None:
            self._thread = threading.Thread(
                target=self._deliver, name="scgui-device-events", daemon=True
            )
            self._thread.start()
        try:
            self._subscription = get_backend().subscribe(self._queue.put)
        except BaseException:
            self._queue.put(_STOP)
            raise

    def get(self, timeout: float | None = None) -> DeviceEvent | None:
        """The next event, waiting up to ``timeout`` seconds; ``None`` if none came.

        Only for watches made without a callback.
        """
        if self._callback is not None:
            raise RuntimeError("This watch delivers its events to its callback.")
        try:
            event = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        return None if event is _STOP else event  # type: ignore[return-value]

    def close(self) -> None:
        """Stop delivering events; waits for a running callback to return."""
        self._subscription.close()
        self._queue.put(_STOP)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def __enter__(self) -> DeviceWatch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _deliver(self) -> None:
        assert self._callback is not None
        while True:
            event = self._queue.get()
            if event is _STOP:
                return
            try:
                self._callback(event)  # type: ignore[arg-type]
            except Exception:
                _log.exception("device-change callback failed")


def watch_devices(callback: Callable[[DeviceEvent], None] | None = None) -> DeviceWatch:
    """Start watching for devices being added, removed, changed, or made the default.

    ``callback(event)`` runs on a thread of the watch's own; without a callback, fetch
    events with :meth:`DeviceWatch.get`.
    """
    return DeviceWatch(callback)
