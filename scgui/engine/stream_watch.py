"""Keeps the list of the programs' streams fresh while a view shows it, and carries out the
changes asked of them (move, mute, volume).

Listing asks the sound server four questions and a change one more; a frozen server would
hold the window for the library's timeout, so both happen on a thread of its own: the list
once a second (at once after a change), and only while the list is on screen. Changes asked
in a burst (a volume slider dragged) replace each other, so the server gets the newest.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

import scgui.audio as sc

from .problems import Problem

POLL_SECONDS = 1.0

_log = logging.getLogger(__name__)

#: A pending change: which stream, and which kind of change ("move", "mute", "volume").
ChangeKey = tuple[str, int, str]


class StreamWatch(QObject):
    """Emits :attr:`streamsChanged` with every stream (this program's included) about once a
    second between :meth:`start` and :meth:`stop`; nothing while the server is gone.

    :meth:`move`, :meth:`set_mute` and :meth:`set_volume` are carried out on the same
    thread; one that fails emits :attr:`failed` with what to do.
    """

    streamsChanged = Signal(object)  # list[sc.AppStream]
    failed = Signal(object)  # Problem

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pending: dict[ChangeKey, Callable[[], None]] = {}

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
        """Ask the thread to end (after the changes already asked; it is never waited for)."""
        self._stop.set()
        self._wake.set()
        self._thread = None

    def move(self, stream: sc.AppStream, device_id: str) -> None:
        """Move ``stream`` to the device ``device_id``."""
        self._ask(stream, "move", lambda: sc.move_stream(stream, device_id))

    def set_mute(self, stream: sc.AppStream, muted: bool) -> None:
        self._ask(stream, "mute", lambda: sc.set_stream_mute(stream, muted))

    def set_volume(self, stream: sc.AppStream, volume: float | tuple[float, ...]) -> None:
        self._ask(stream, "volume", lambda: sc.set_stream_volume(stream, volume))

    def _ask(self, stream: sc.AppStream, what: str, change: Callable[[], None]) -> None:
        with self._lock:
            self._pending[(stream.kind, stream.id, what)] = change
        self._wake.set()
        self.start()  # a change is carried out even if the list was not being watched

    def _carry_out(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    return
                key = next(iter(self._pending))
                change = self._pending.pop(key)
            try:
                change()
            except sc.AudioError as exc:
                self.failed.emit(Problem.of(str(exc), exc))

    def _poll(self, stop: threading.Event) -> None:
        last: list[sc.AppStream] | None = None
        while True:
            self._carry_out()
            if stop.is_set():
                return
            try:
                streams = sc.list_streams(include_own=True)
            except sc.AudioError as exc:
                _log.debug("listing the streams: %s", exc)
            else:
                if streams != last and not stop.is_set():
                    last = streams
                    self.streamsChanged.emit(streams)
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()
