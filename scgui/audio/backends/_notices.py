"""The callbacks subscribed to a backend's raw change notices, for backends that register one
native listener for all of them (WASAPI's notification client, Core Audio's property
listeners): registered for the first subscriber, removed after the last, so a program that
never watches devices never has a native thread call into it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Notice = Callable[[str], None]


class NoticeSubscription:
    """One subscriber's handle (see :class:`~scgui.audio.backends.base.Subscription`)."""

    def __init__(self, hub: NoticeHub, callback: Notice) -> None:
        self._hub, self._callback = hub, callback

    def close(self) -> None:
        self._hub.unsubscribe(self._callback)


class NoticeHub:
    """Subscribers of one backend. ``start(dispatch)`` registers the native listener, which
    calls ``dispatch(notice)`` from its own thread; ``stop()`` removes it."""

    def __init__(self, start: Callable[[Notice], None], stop: Callable[[], None]) -> None:
        self._start, self._stop = start, stop
        self._lock = threading.Lock()
        self._callbacks: list[Notice] = []
        self._started = False

    def subscribe(self, callback: Notice) -> NoticeSubscription:
        with self._lock:
            if not self._started:
                self._start(self.dispatch)
                self._started = True
            self._callbacks.append(callback)
        return NoticeSubscription(self, callback)

    def dispatch(self, notice: str) -> None:
        """Tell every subscriber (on the native listener's thread; they must not block)."""
        for callback in list(self._callbacks):
            callback(notice)

    def unsubscribe(self, callback: Notice) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)
            if self._callbacks or not self._started:
                return
            self._started = False
        self._stop()

    def close(self) -> None:
        """Forget every subscriber and remove the native listener."""
        with self._lock:
            self._callbacks.clear()
            started, self._started = self._started, False
        if started:
            self._stop()
