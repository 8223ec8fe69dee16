"""Keeps the list of the programs' streams fresh while a view shows it.

Listing asks the sound server four questions; a frozen server would hold the window for
the library's timeout, so the asking happens on a thread of its own, once a second, and
only while the list is on screen.
"""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, Signal

import scgui.audio as sc

POLL_SECONDS = 1.0

_log = logging.getLogger(__name__)


class StreamWatch(QObject):
    """Emits :attr:`streamsChanged` with every stream (this program's included) about once a
    second between :meth:`start` and :meth:`stop`; nothing while the server is gone."""

    streamsChanged = Signal(object)  # list[sc.AppStream]

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._poll, args=(self._stop,), name="scgui-stream-watch", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end (it does within one poll; it is never waited for)."""
        self._stop.set()
        self._thread = None

    def _poll(self, stop: threading.Event) -> None:
        last: list[sc.AppStream] | None = None
        while not stop.is_set():
            try:
                streams = sc.list_streams(include_own=True)
            except sc.AudioError as exc:
                _log.debug("listing the streams: %s", exc)
            else:
                if streams != last and not stop.is_set():
                    last = streams
                    self.streamsChanged.emit(streams)
            stop.wait(POLL_SECONDS)
