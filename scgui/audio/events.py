"""Device-change and server events, delivered on a thread of their own.

Backends send raw notices from their native thread ("devices may have changed", "server
lost"), where user code must not run. A :class:`DeviceWatch` thread turns them into
:class:`DeviceEvent` objects by listing the devices again and diffing
(:mod:`scgui.audio.devicediff`), reports the server going and coming back (it keeps trying to
reconnect meanwhile), and runs the callback or queues the events for :meth:`DeviceWatch.get`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from types import TracebackType

from .backends import get_backend
from .backends.base import Backend, DeviceEvent
from .devicediff import DeviceSnapshot, diff, take_snapshot
from .errors import AudioError, InvalidConfigError, ServerUnavailableError

_STOP = "stop"
#: Notices that arrive within this many seconds of each other are handled as one listing,
#: for at most the second figure (a volume drag sends notices without a pause).
COALESCE_SECONDS, COALESCE_MAX_SECONDS = 0.02, 0.2
#: First pause between reconnection attempts while the server is gone; doubles up to the max.
RETRY_SECONDS, RETRY_MAX_SECONDS = 0.2, 2.0
_log = logging.getLogger(__name__)


class DeviceWatch:
    """A subscription to device and server changes; close it (or leave ``with``) to stop."""

    def __init__(self, callback: Callable[[DeviceEvent], None] | None = None) -> None:
        self._callback = callback
        self._events: queue.SimpleQueue[DeviceEvent | None] = queue.SimpleQueue()
        self._notices: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._backend: Backend = get_backend()
        self._subscription = self._backend.subscribe(self._notices.put)
        try:
            self._snapshot: DeviceSnapshot = take_snapshot(self._backend)
        except BaseException:
            self._subscription.close()
            raise
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="scgui-device-events", daemon=True)
        self._thread.start()

    @property
    def backend(self) -> Backend:
        """The backend this watch follows (the process-wide one when it was made)."""
        return self._backend

    def get(self, timeout: float | None = None) -> DeviceEvent | None:
        """The next event, waiting up to ``timeout`` seconds; ``None`` if none came.

        Only for watches made without a callback.
        """
        if self._callback is not None:
            raise InvalidConfigError(
                "This watch delivers its events to its callback: make the watch without one "
                "(watch_devices()) to get() events from it."
            )
        try:
            return self._events.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        """Stop delivering events; waits (briefly) for a running callback to return."""
        if self._closed:
            return
        self._closed = True
        self._subscription.close()
        self._notices.put(_STOP)
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        if self._callback is None:
            self._events.put(None)

    def __enter__(self) -> DeviceWatch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- the watch thread --------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            notice = self._notices.get()
            lost = notice == "server-lost"
            until = time.monotonic() + COALESCE_MAX_SECONDS
            while notice != _STOP and time.monotonic() < until:  # take what is on its way
                try:
                    notice = self._notices.get(timeout=COALESCE_SECONDS)
                except queue.Empty:
                    break
                lost = lost or notice == "server-lost"
            if notice == _STOP or self._closed:
                return
            healthy = not lost and self._refresh()
            if not healthy and not self._wait_for_server():
                return

    def _refresh(self) -> bool:
        """List again and emit the differences; False if the server is gone."""
        try:
            snapshot = take_snapshot(self._backend)
        except ServerUnavailableError:
            return False
        except AudioError:
            _log.exception("listing devices after a change notice failed")
            return True
        for event in diff(self._snapshot, snapshot):
            self._emit(event)
        self._snapshot = snapshot
        return True

    def _wait_for_server(self) -> bool:
        """Say the server is lost, retry until it is back; False if the watch was closed."""
        self._emit(DeviceEvent("server-lost", "server", self._backend.server_address()))
        pause = RETRY_SECONDS
        while True:
            until = time.monotonic() + pause
            while (left := until - time.monotonic()) > 0:  # sit out the pause; only stop ends it
                try:
                    if self._notices.get(timeout=left) == _STOP:
                        return False
                except queue.Empty:
                    break
            if self._closed:
                return False
            try:
                snapshot = take_snapshot(self._backend)  # connects afresh when it can
            except AudioError:
                pause = min(pause * 2, RETRY_MAX_SECONDS)
                continue
            self._emit(DeviceEvent("server-back", "server", self._backend.server_address()))
            for event in diff(self._snapshot, snapshot):
                self._emit(event)
            self._snapshot = snapshot
            return True

    def _emit(self, event: DeviceEvent) -> None:
        if self._closed:
            return
        if self._callback is None:
            self._events.put(event)
            return
        try:
            self._callback(event)
        except Exception:
            _log.exception("device-change callback failed")


def watch_devices(callback: Callable[[DeviceEvent], None] | None = None) -> DeviceWatch:
    """Start watching for devices being added, removed, changed, or made the default.

    Also reports ``"server-lost"`` and ``"server-back"`` events; the library reconnects by
    itself. ``callback(event)`` runs on a thread of the watch's own; without a callback,
    fetch events with :meth:`DeviceWatch.get`.
    """
    return DeviceWatch(callback)
