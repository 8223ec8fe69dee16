"""A connection of one stream whose mainloop is run by the threads that wait on it.

The shared :class:`~._pulse_connection.Connection` runs libpulse's mainloop on a thread of
its own. Every server request of a playing stream then costs a Python callback on that
thread (taking the GIL) and a wake-up of the waiting writer, which takes the GIL and the
mainloop lock back: several handoffs between two threads per request, about 200 requests
a second at the default buffer. Measured on the rig (``bench/README.md``, "driven
mainloop"), that was two thirds of the CPU of playing.

Here the mainloop is a plain ``pa_mainloop``, and whoever waits for it (a writer for room,
a drain, a latency query) runs it: it sleeps in ``poll()`` with the GIL released until the
server sends something, then dispatches the callbacks on its own thread. One wake-up of one
thread per request. Between two calls nothing runs it; the server's messages wait in the
socket, and state changes (a removed device, a dead server) are seen on the next call.

Threads: one runner at a time holds the loop lock, which stands for the threaded
mainloop's lock. A thread that wants the lock wakes a runner asleep in ``poll()`` first,
so a query from another thread never waits for the server. A writer keeps the lock for its
whole write (:meth:`DrivenConnection.holding`) and lets such a thread in between two runs:
taking and giving back the lock around every wait was most of the Python a wait cost.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from ..errors import AudioError
from ..ring import StreamSignal
from ._pulse_connection import Connection

#: The longest one run of the loop sleeps in ``poll()``: a bound on how long a thread that
#: asks for the lock in the instant before the runner sleeps can wait.
MAX_POLL_SECONDS = 0.05
#: Runs without waiting that :meth:`DrivenConnection.run_pending` makes at most to send
#: what is queued (each sends what the socket takes; a reply awaited also counts as pending).
MAX_SEND_RUNS = 5
#: How long a runner lets a thread that asked for the lock go first.
HANDOFF_SECONDS = 0.005


class DrivenConnection(Connection):
    """One stream's own connection, with a ``pa_mainloop`` its waiting callers run."""

    def __init__(
        self,
        server: str | None,
        app_name: str,
        timeout: float | None,
        *,
        holds_short_audio: bool,
    ) -> None:
        self._loop_lock = threading.Lock()
        self._loop_owner: int | None = None
        self._holder: int | None = None  # the thread inside holding(), which owns the loop
        self._wanting = 0
        self._wanting_lock = threading.Lock()
        self._known_short_audio = holds_short_audio
        super().__init__(server, app_name, None, timeout)

    # -- the mainloop ----------------------------------------------------------------------

    def _new_mainloop(self) -> Any:
        return self.lib.pa_mainloop_new()

    def _mainloop_api(self) -> Any:
        return self.lib.pa_mainloop_get_api(self.mainloop)

    def _start_mainloop(self) -> bool:
        return True  # nothing runs it but its callers

    def _stop_mainloop(self) -> None:
        pass

    def _free_mainloop(self) -> None:
        self.lib.pa_mainloop_free(self.mainloop)

    def _in_mainloop_thread(self) -> bool:
        # A callback runs on the thread that runs the loop, with the loop lock held.
        return self._loop_owner == threading.get_ident()

    def _acquire_loop(self) -> None:
        """Take the loop lock as a thread that wants it: a runner asleep in ``poll()``
        wakes, and a writer inside :meth:`holding` lets go at its next run."""
        with self._wanting_lock:
            self._wanting += 1
        try:
            if self._loop_owner is not None:  # a runner may be asleep in poll(): let go
                self.lib.pa_mainloop_wakeup(self.mainloop)
            self._loop_lock.acquire()
        finally:
            with self._wanting_lock:
                self._wanting -= 1

    def _lock_mainloop(self) -> None:
        self._acquire_loop()
        self._loop_owner = threading.get_ident()

    def _unlock_mainloop(self) -> None:
        self._loop_owner = None
        self._loop_lock.release()

    def locked(self) -> AbstractContextManager[None]:
        if self._holding_here():
            if self._closed:
                raise self.closed_error()
            return nullcontext()  # holding() has the lock already
        return self._locked()

    @contextmanager
    def holding(self) -> Iterator[None]:
        me = threading.get_ident()
        if self._holder == me:
            yield
            return
        with self._locked():  # counts as a user: close() waits for the holder to leave
            self._holder = me
            try:
                yield
            finally:
                self._holder = None

    def _holding_here(self) -> bool:
        """Whether this thread is inside :meth:`holding` (and so owns the loop)."""
        return self._holder is not None and self._holder == threading.get_ident()

    def _give_way(self) -> None:
        """Let the threads that asked for the lock have it first (at most a handoff's time)."""
        handoff = time.monotonic() + HANDOFF_SECONDS
        while self._wanting and time.monotonic() < handoff:
            time.sleep(0.0002)

    def _let_others_in(self) -> None:
        """Inside :meth:`holding`: give the lock to the threads that asked, then take it back."""
        self._unlock_mainloop()
        self._give_way()
        self._lock_mainloop()

    def _learn_server(self) -> None:
        self.holds_short_audio = self._known_short_audio  # the shared connection asked

    def close(self, reason: AudioError | None = None) -> None:
        with self._life:  # freed only once closed and no thread is inside
            if not self._closed:
                self.lib.pa_mainloop_wakeup(self.mainloop)  # a runner lets go of the loop
        super().close(reason)

    # -- running it --------------------------------------------------------------------

    def pump(self, seconds: float, *, wait_for_lock: bool = True) -> bool:
        """Run the mainloop once: sleep until the server sends something, another thread
        wants the lock, or ``seconds`` pass (at most :data:`MAX_POLL_SECONDS`); then run
        the callbacks of what arrived, on this thread. Returns whether something is still
        queued to be sent. ``wait_for_lock=False``: when another thread runs the loop, leave
        it to that one (it sends what is queued as well) and return False."""
        if self._holding_here():
            if self._wanting:
                self._let_others_in()
            if self._closed:
                raise self.closed_error()
            return self._run_once(seconds)
        self._give_way()
        with self._life:
            if self._closed:
                raise self.closed_error()
            self._users += 1
        try:
            if self._in_mainloop_thread():
                raise AudioError("scgui.audio waited for the sound server inside its callback.")
            # A caller waiting for a reply (a query while another thread writes) must be
            # seen as wanting the loop, or a holder would keep it for its whole write.
            if wait_for_lock:
                self._acquire_loop()
            elif not self._loop_lock.acquire(blocking=False):
                return False
            try:
                self._loop_owner = threading.get_ident()
                return self._run_once(seconds)
            finally:
                self._unlock_mainloop()
        finally:
            with self._life:
                self._users -= 1
                if not self._users:
                    self._life.notify_all()

    def _run_once(self, seconds: float) -> bool:
        """prepare, poll, dispatch (loop lock held): always all three, in that order, even
        when an exception (Ctrl-C) arrives in between; libpulse aborts the process if the
        next prepare finds the loop half way."""
        lib, mainloop = self.lib, self.mainloop
        wait = 0.0 if self._wanting else min(max(seconds, 0.0), MAX_POLL_SECONDS)
        if lib.pa_mainloop_prepare(mainloop, int(wait * 1e6)) < 0:
            raise self.lost_error()
        stage = "prepared"
        try:
            if self._wanting or self._closed:  # asked while we prepared: its wakeup is gone
                lib.pa_mainloop_wakeup(mainloop)
            polled = lib.pa_mainloop_poll(mainloop)
            stage = "polled" if polled >= 0 else "passive"
            if stage == "polled":
                dispatched = lib.pa_mainloop_dispatch(mainloop)
                stage = "passive"
                if dispatched > 0:
                    # Something arrived (a request for more, most often): whoever waits on
                    # a stream looks again. No Python callback per request is needed.
                    for core in self.cores.values():
                        core.signal.note_change()
            if polled < 0:
                raise self.lost_error()
            # pa_context_is_pending gives a negative error code on a dead context.
            return bool(lib.pa_context_is_pending(self.context) > 0)
        finally:
            if stage == "prepared":
                lib.pa_mainloop_wakeup(mainloop)  # poll returns at once
                stage = "polled" if lib.pa_mainloop_poll(mainloop) >= 0 else "passive"
            if stage == "polled":
                lib.pa_mainloop_dispatch(mainloop)

    def run_pending(self) -> None:
        # libpulse queues what a call sends (pa_stream_write...) and writes it to the socket
        # from the loop: without a run, a last write would wait there for the next call.
        for _ in range(MAX_SEND_RUNS):
            if not self.pump(0.0, wait_for_lock=False):
                return

    def _wait_event(self, event: threading.Event, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not event.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.pump(remaining)
        return True

    def _wait_state(self, generation: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self._state_generation == generation:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self.pump(remaining)

    def _janitor_run(self) -> None:
        # The one stream was dropped without close(): release it, then the connection.
        key = self._graveyard.get()
        if key is None or self._closed:
            return
        try:
            with self.locked():
                self.release_core_locked(key)
        except AudioError:
            pass
        self.close()

    def new_signal(self) -> StreamSignal:
        return StreamSignal(pump=self.pump)

    def private_connection(self) -> Connection:
        return self  # already one stream's own
