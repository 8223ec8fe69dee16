"""One connection to a PulseAudio (or pipewire-pulse) server: mainloop, context, queries.

libpulse is opened with ``cffi`` in ABI mode the first time a connection is made, never at
import. Every libpulse call is made with the threaded mainloop's lock held, and every wait is
on a Python event with a deadline, set by the callbacks below: no sleep-polling, and a frozen
server is an error after :func:`scgui.audio.get_timeout` seconds, never a hang. Callbacks run
on the mainloop thread; they only copy data and signal.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import os
import queue
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from ..errors import (
    AudioError,
    BackendError,
    BackendUnavailableError,
    DeviceNotFoundError,
    ServerUnavailableError,
)
from ..ring import StreamSignal
from ..timeouts import get_timeout
from ._ffi_modules import c_callback
from .base import AppStream, DeviceInfo, DeviceKind

_log = logging.getLogger(__name__)

# Enum values from <pulse/def.h>, <pulse/sample.h> and <pulse/volume.h>.
CONTEXT_READY, CONTEXT_FAILED, CONTEXT_TERMINATED = 4, 5, 6
CONTEXT_NOAUTOSPAWN = 1
STREAM_READY, STREAM_FAILED, STREAM_TERMINATED = 2, 3, 4
OPERATION_RUNNING, OPERATION_DONE = 0, 1
SAMPLE_FLOAT32LE = 5
SEEK_RELATIVE = 0
STREAM_ADJUST_LATENCY = 0x2000
STREAM_DONT_MOVE = 0x0200
SUBSCRIPTION_MASK = 0x0001 | 0x0002 | 0x0080  # sinks, sources, server
FACILITY_MASK, FACILITY_SINK, FACILITY_SOURCE, FACILITY_SERVER = 0x0F, 0, 1, 7
EVENT_TYPE_MASK, EVENT_NEW, EVENT_REMOVE = 0x30, 0x00, 0x20
INVALID_INDEX = 0xFFFFFFFF
VOLUME_NORM = 0x10000
UPDATE_REPLACE = 2

_LIBRARY_NAMES = ("libpulse.so.0", "pulse", "libpulse.0.dylib")

_loaded: tuple[Any, Any] | None = None
_load_lock = threading.Lock()


def load_libpulse() -> tuple[Any, Any]:
    """Return ``(ffi, lib)``, opening libpulse on first call."""
    global _loaded
    with _load_lock:
        if _loaded is None:
            from ._ffi_modules import load_ffi
            from ._pulse_cdef import FFI_SPEC

            try:
                from . import _pulse_ffi as generated
            except ImportError:  # a source tree that never ran scripts/generate_ffi.py
                generated = None
            ffi = load_ffi(FFI_SPEC, generated)
            errors = []
            for name in _LIBRARY_NAMES:
                try:
                    _loaded = (ffi, ffi.dlopen(name))
                    break
                except OSError as exc:
                    errors.append(f"{name}: {exc}")
            else:
                raise BackendUnavailableError(
                    "The PulseAudio client library (libpulse) was not found, so scgui cannot "
                    "reach the sound server. Install it: 'sudo apt-get install libpulse0' "
                    "(Debian/Ubuntu) or 'sudo dnf install pulseaudio-libs' (Fedora). Tried: "
                    + "; ".join(errors)
                )
        return _loaded


def describe_server_choice(server: str | None) -> str:
    """Where libpulse will look for a server, in words, for error messages."""
    if server:
        return server
    if os.environ.get("PULSE_SERVER"):
        return f"PULSE_SERVER={os.environ['PULSE_SERVER']}"
    if sys.platform == "win32":  # libpulse on Windows: no per-user runtime folder default
        user_runtime = os.environ.get("XDG_RUNTIME_DIR") or "%XDG_RUNTIME_DIR%"
    else:
        user_runtime = os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    runtime = os.environ.get("PULSE_RUNTIME_PATH") or os.path.join(user_runtime, "pulse")
    return f"unix:{os.path.join(runtime, 'native')} and the system socket (the default)"


class _Reply:
    """Collects what an operation's callbacks deliver; ``done`` is set when it ends."""

    __slots__ = ("done", "failed", "items", "state", "success", "value")

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.value: Any = None
        self.success = True
        self.failed = False  # an info callback reported an error (eol < 0)
        self.state = OPERATION_RUNNING
        self.done = threading.Event()


class Connection:
    """The mainloop thread and context shared by every query and stream of a backend.

    Threads: the caller's threads take the mainloop lock only around native calls and wait
    on Python events with deadlines; libpulse's mainloop thread runs the callbacks, which
    only copy and signal. Streams are found by an integer key, not by a CFFI handle, so a
    stream object dropped without ``close()`` (garbage collection may run on the mainloop
    thread) leaves nothing dangling: its native half is released by the janitor thread.
    """

    def __init__(
        self,
        server: str | None,
        app_name: str,
        on_event: Callable[[str], None] | None = None,
        timeout: float | None = None,
    ) -> None:
        self.ffi, self.lib = load_libpulse()
        ffi, lib = self.ffi, self.lib
        self._server, self._app_name = server, app_name
        self.server_choice = describe_server_choice(server)
        self._timeout = timeout
        self._on_event = on_event
        self._life = threading.Condition()
        self._users = 0
        self._closed = False
        self._closed_reason: AudioError | None = None
        self._lost = False
        self._ready = False
        self._state_changed = threading.Condition()
        self._state_generation = 0
        self.cores: dict[int, Any] = {}
        self._keys = itertools.count(1)
        self._graveyard: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._janitor: threading.Thread | None = None
        self._subscribed = False
        self._orphan_handles: list[Any] = []
        #: The streams' own connections made from this one: closed with it.
        self._private: weakref.WeakSet[Connection] = weakref.WeakSet()
        #: pipewire-pulse holds back audio shorter than one graph cycle (see pulseaudio.py).
        self.holds_short_audio = False
        #: Bumped by every device or server change notice (after :meth:`subscribe`).
        self.changes = StreamSignal()
        self._make_callbacks()

        self.mainloop = self._new_mainloop()
        if self.mainloop == ffi.NULL:
            raise BackendError("libpulse could not create its mainloop (out of memory?)")
        props = lib.pa_proplist_new()
        lib.pa_proplist_sets(props, b"application.name", app_name.encode())
        lib.pa_proplist_sets(props, b"application.id", b"org.scgui.audio")
        lib.pa_proplist_sets(props, b"application.process.id", str(os.getpid()).encode())
        self.context = lib.pa_context_new_with_proplist(
            self._mainloop_api(), app_name.encode(), props
        )
        lib.pa_proplist_free(props)
        if self.context == ffi.NULL:
            self._free_mainloop()
            raise BackendError("libpulse could not create a context (out of memory?)")
        lib.pa_context_set_state_callback(self.context, self._cb_context_state, ffi.NULL)
        if not self._start_mainloop():
            lib.pa_context_unref(self.context)
            self._free_mainloop()
            raise BackendError("libpulse could not start its mainloop thread")
        _open_connections.add(self)
        try:
            self._connect(server)
        except BaseException:
            self.close()
            raise

    # -- the mainloop: a thread of libpulse's own (DrivenConnection overrides these) --------

    def _new_mainloop(self) -> Any:
        return self.lib.pa_threaded_mainloop_new()

    def _mainloop_api(self) -> Any:
        return self.lib.pa_threaded_mainloop_get_api(self.mainloop)

    def _start_mainloop(self) -> bool:
        return bool(self.lib.pa_threaded_mainloop_start(self.mainloop) >= 0)

    def _stop_mainloop(self) -> None:
        self.lib.pa_threaded_mainloop_stop(self.mainloop)

    def _free_mainloop(self) -> None:
        self.lib.pa_threaded_mainloop_free(self.mainloop)

    def _in_mainloop_thread(self) -> bool:
        return bool(self.lib.pa_threaded_mainloop_in_thread(self.mainloop))

    def _lock_mainloop(self) -> None:
        self.lib.pa_threaded_mainloop_lock(self.mainloop)

    def _unlock_mainloop(self) -> None:
        self.lib.pa_threaded_mainloop_unlock(self.mainloop)

    def _wait_event(self, event: threading.Event, seconds: float) -> bool:
        """Wait for ``event``, set by a callback, for up to ``seconds``."""
        return event.wait(seconds)

    def _wait_state(self, generation: int, seconds: float) -> None:
        """Wait up to ``seconds`` for the context's state to change from ``generation``."""
        with self._state_changed:
            if self._state_generation == generation:
                self._state_changed.wait(seconds)

    def run_pending(self) -> None:
        """Handle what arrived and send what was queued, without waiting (libpulse's own
        thread does that here as it happens)."""

    def holding(self) -> AbstractContextManager[None]:
        """Keep the mainloop for a run of calls and waits on this thread (a writer's whole
        write), where that saves handing it back and forth; other threads still get it
        between two waits. Nothing to keep on a mainloop that runs on a thread of its own."""
        return nullcontext()

    def new_signal(self) -> StreamSignal:
        """The signal of a new stream on this connection (its callbacks bump it)."""
        return StreamSignal()

    def _learn_server(self) -> None:
        info = self.server_info()
        self.holds_short_audio = "pipewire" in (info.get("server_name") or "").lower()

    def private_connection(self) -> Connection:
        """A connection of one stream's own, to the same server, whose mainloop the stream's
        callers run (see :mod:`._pulse_driven`)."""
        from ._pulse_driven import DrivenConnection

        with self._life:
            if self._closed:
                raise self.lost_error()
        private = DrivenConnection(
            self._server, self._app_name, self._timeout, holds_short_audio=self.holds_short_audio
        )
        self._private.add(private)
        if self._closed:  # closed meanwhile, maybe without seeing it
            private.close()
            raise self.lost_error()
        return private

    # -- locking and waiting -------------------------------------------------------------

    def locked(self) -> AbstractContextManager[None]:
        """Hold the mainloop lock for native calls; refuse once closed or on its own thread.

        While any thread is inside, :meth:`close` waits before it frees native objects.
        """
        return self._locked()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._life:
            if self._closed:
                raise self.closed_error()
            self._users += 1
        try:
            if self._in_mainloop_thread():
                raise AudioError(
                    "scgui.audio was called from the sound server's event thread (a "
                    "device-event callback registered with the backend directly); use "
                    "scgui.audio.watch_devices."
                )
            self._lock_mainloop()
            try:
                yield
            finally:
                self._unlock_mainloop()
        finally:
            with self._life:
                self._users -= 1
                if not self._users:
                    self._life.notify_all()

    @property
    def timeout(self) -> float:
        """Seconds to wait for the server: the backend's own, else :func:`get_timeout` now."""
        return self._timeout if self._timeout is not None else get_timeout()

    @property
    def alive(self) -> bool:
        """Connected and not lost (a lost connection is replaced, never revived)."""
        return self._ready and not self._closed and not self._lost

    def closed_error(self) -> AudioError:
        """The error for a call on this connection once it is closed."""
        reason = self._closed_reason
        return reason.with_traceback(None) if reason is not None else self.lost_error()

    def lost_error(self) -> ServerUnavailableError:
        """The error for anything that needed the server after the connection was lost."""
        if self._closed and not self._lost:
            return ServerUnavailableError(
                "The connection to the sound server was closed (the backend was reset or "
                "closed). Open the device again."
            )
        return ServerUnavailableError(
            f"Lost the connection to the sound server ({self.server_choice}). Check that "
            "PulseAudio or pipewire-pulse is still running; scgui reconnects by itself "
            "once it is back."
        )

    def frozen_error(self, what: str, waited: float | None = None) -> ServerUnavailableError:
        """The error for a server that stopped answering."""
        seconds = self.timeout if waited is None else waited
        what = what.removesuffix(" failed")
        what = what[:1].lower() + what[1:]
        return ServerUnavailableError(
            f"The sound server ({self.server_choice}) did not answer within {seconds:.1f} s "
            f"while {what}: it is frozen, stopped or overloaded. Check that PulseAudio or "
            "pipewire-pulse is running (not stopped), or allow more time with "
            "scgui.audio.set_timeout()."
        )

    def check_alive(self) -> None:
        """Raise (lock held) if the connection has failed."""
        state = self.lib.pa_context_get_state(self.context)
        if self._lost or state in (CONTEXT_FAILED, CONTEXT_TERMINATED):
            raise self.lost_error()

    def strerror(self, code: int | None = None) -> str:
        if code is None:
            code = self.lib.pa_context_errno(self.context)
        return str(self.ffi.string(self.lib.pa_strerror(code)).decode(errors="replace"))

    def error(self, what: str, advice: str = "") -> BackendError:
        """A :class:`BackendError` for a failed call, with libpulse's reason."""
        code = self.lib.pa_context_errno(self.context)
        text = f"{what}: {self.strerror(code)}."
        return BackendError(f"{text} {advice}".strip(), code)

    def _connect(self, server: str | None) -> None:
        ffi, lib = self.ffi, self.lib
        deadline = time.monotonic() + self.timeout
        with self.locked():
            address = server.encode() if server else ffi.NULL
            failed = lib.pa_context_connect(self.context, address, CONTEXT_NOAUTOSPAWN, ffi.NULL)
        while not failed and not self._ready:
            with self._state_changed:
                generation = self._state_generation
            with self.locked():
                state = lib.pa_context_get_state(self.context)
                if state == CONTEXT_READY:
                    self._ready = True
                    break
                if state in (CONTEXT_FAILED, CONTEXT_TERMINATED):
                    break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                with self.locked():
                    lib.pa_context_disconnect(self.context)
                raise ServerUnavailableError(
                    f"The sound server ({self.server_choice}) accepted the connection but "
                    f"did not answer within {self.timeout:.1f} s: it is frozen, stopped or "
                    "overloaded. Check that PulseAudio or pipewire-pulse is running (not "
                    "stopped), or allow more time with scgui.audio.set_timeout()."
                )
            self._wait_state(generation, min(remaining, 0.5))
        if self._ready:
            self._learn_server()
            return
        with self.locked():
            reason = self.strerror()
        raise ServerUnavailableError(
            f"Cannot connect to the PulseAudio sound server (tried {self.server_choice}): "
            f"{reason}. Start PulseAudio or PipeWire's pipewire-pulse (for example "
            "'systemctl --user start pulseaudio' or 'pipewire-pulse'), or set PULSE_SERVER to "
            "a running server. To try scgui without sound hardware, start a private server "
            "with virtual devices: the scgui window offers one, or run "
            "'python -m scgui.virtual_rig'."
        )

    def close(self, reason: AudioError | None = None) -> None:
        """Close every stream, disconnect and stop the mainloop thread; idempotent.

        Safe while other threads use the connection: they get an error, never a crash:
        ``reason`` where given (a stream's own connection closed with the stream), else
        :meth:`lost_error`.
        """
        with self._life:
            if self._closed:
                return
            self._closed = True
            self._closed_reason = reason
        for private in list(self._private):
            private.close()
        with self._life:
            idle = self._life.wait_for(lambda: self._users == 0, timeout=self.timeout)
        if not idle:  # a thread is stuck in a native call: leaking beats freeing under it
            _log.error("closing the sound server connection with a native call still running")
            _open_connections.discard(self)
            return
        lib, ffi = self.lib, self.ffi
        if self._in_mainloop_thread():  # never from a callback
            return
        error = self.closed_error()
        self._lock_mainloop()
        try:
            for key in list(self.cores):
                self.release_core_locked(key, error)
            lib.pa_context_set_state_callback(self.context, ffi.NULL, ffi.NULL)
            lib.pa_context_set_subscribe_callback(self.context, ffi.NULL, ffi.NULL)
            lib.pa_context_disconnect(self.context)
        finally:
            self._unlock_mainloop()
        self._stop_mainloop()
        lib.pa_context_unref(self.context)
        self._free_mainloop()
        self._graveyard.put(None)
        _open_connections.discard(self)

    # -- stream cores ----------------------------------------------------------------------

    def add_core(self, core: Any) -> int:
        """Register a stream's native half; the key is the callbacks' userdata."""
        key = next(self._keys)
        self.cores[key] = core
        if self._janitor is None:
            self._janitor = threading.Thread(
                target=self._janitor_run, name="scgui-pulse-janitor", daemon=True
            )
            self._janitor.start()
        return key

    def release_core_locked(self, key: int, error: BaseException | None = None) -> None:
        """Disconnect and free a stream (lock held); its waiters wake with ``error``."""
        core = self.cores.pop(key, None)
        if core is not None:
            core.release_locked(error)

    def release_later(self, key: int) -> None:
        """Release a stream from the janitor thread: safe from ``__del__`` on any thread."""
        if not self._closed:
            self._graveyard.put(key)

    def _janitor_run(self) -> None:
        while True:
            key = self._graveyard.get()
            if key is None or self._closed:
                return
            try:
                with self.locked():
                    self.release_core_locked(key)
            except AudioError:
                return

    def _on_lost(self) -> None:
        """The context failed (mainloop thread, lock held): fail every stream and say so."""
        if self._lost or self._closed or not self._ready:
            return
        self._lost = True
        error = self.lost_error()
        for core in list(self.cores.values()):
            core.fail(error)
        self.changes.fail(error)
        if self._on_event is not None:
            self._on_event("server-lost")

    # -- operations ------------------------------------------------------------------------

    def run(
        self,
        start: Callable[[Any], Any],
        what: str,
        timeout: float | None = None,
        cancelled: Callable[[], BaseException] | None = None,
    ) -> _Reply:
        """Start an operation with ``start(userdata)``; wait for it with a deadline.

        Raises :class:`ServerUnavailableError` if the server does not finish it in time (the
        operation is cancelled) or the connection is lost meanwhile; ``cancelled()`` gives
        the error when libpulse cancelled it (a stream's operations end with the stream).
        """
        reply = _Reply()
        handle = self.ffi.new_handle(reply)
        lib = self.lib
        with self.locked():
            self.check_alive()
            op = start(handle)
            if op == self.ffi.NULL:
                raise self.error(what)
            lib.pa_operation_set_state_callback(op, self._cb_operation_state, handle)
            if lib.pa_operation_get_state(op) != OPERATION_RUNNING:
                reply.state = lib.pa_operation_get_state(op)
                reply.done.set()
        limit = self.timeout if timeout is None else timeout
        try:
            finished = self._wait_event(reply.done, limit)
        except BaseException:  # the wait itself failed (a stream's own loop ran by it)
            try:
                with self.locked():
                    if lib.pa_operation_get_state(op) == OPERATION_RUNNING:
                        lib.pa_operation_cancel(op)
                    lib.pa_operation_set_state_callback(op, self.ffi.NULL, self.ffi.NULL)
                    lib.pa_operation_unref(op)
            except AudioError:
                self._orphan_handles.append(handle)  # a later cancel may still call back
            raise
        try:
            with self.locked():
                if not finished and lib.pa_operation_get_state(op) == OPERATION_RUNNING:
                    lib.pa_operation_cancel(op)
                lib.pa_operation_set_state_callback(op, self.ffi.NULL, self.ffi.NULL)
                lib.pa_operation_unref(op)
        except AudioError:
            # Closed meanwhile: close() cancels the operation, which calls back with this
            # handle, so it must live as long as the mainloop does.
            self._orphan_handles.append(handle)
        del handle  # only now may the reply's handle die: no callback can name it any more
        if not finished:
            raise self.frozen_error(what, limit)
        if reply.state != OPERATION_DONE:
            raise cancelled() if cancelled is not None else self.lost_error()
        return reply

    def run_success(self, start: Callable[[Any], Any], what: str, advice: str = "") -> None:
        """Run an operation that reports success or failure, and raise on failure."""
        reply = self.run(start, what)
        if not reply.success:
            with self.locked():
                raise self.error(what, advice)

    def list_devices(self, kind: DeviceKind) -> list[DeviceInfo]:
        if kind == "speaker":
            reply = self.run(
                lambda ud: self.lib.pa_context_get_sink_info_list(
                    self.context, self._cb_sink_info, ud
                ),
                "Listing the speakers (sinks) failed",
            )
        else:
            reply = self.run(
                lambda ud: self.lib.pa_context_get_source_info_list(
                    self.context, self._cb_source_info, ud
                ),
                "Listing the microphones (sources) failed",
            )
        if reply.failed:
            with self.locked():
                raise self.error("Listing the devices failed")
        return [info for _, info, _ in reply.items]

    def list_streams(self) -> list[AppStream]:
        """Every program's playback and recording streams, with the devices they are on."""
        sinks = self.run(
            lambda ud: self.lib.pa_context_get_sink_info_list(self.context, self._cb_sink_info, ud),
            "Listing the speakers (sinks) failed",
        )
        sources = self.run(
            lambda ud: self.lib.pa_context_get_source_info_list(
                self.context, self._cb_source_info, ud
            ),
            "Listing the microphones (sources) failed",
        )
        inputs = self.run(
            lambda ud: self.lib.pa_context_get_sink_input_info_list(
                self.context, self._cb_sink_input_info, ud
            ),
            "Listing the programs' playback streams failed",
        )
        outputs = self.run(
            lambda ud: self.lib.pa_context_get_source_output_info_list(
                self.context, self._cb_source_output_info, ud
            ),
            "Listing the programs' recording streams failed",
        )
        if any(reply.failed for reply in (sinks, sources, inputs, outputs)):
            with self.locked():
                raise self.error("Listing the streams failed")
        sink_names = {index: info.id for index, info, _ in sinks.items}
        source_names = {index: info.id for index, info, _ in sources.items}
        streams = [
            AppStream(kind="playback", device_id=sink_names.get(item.pop("device"), ""), **item)
            for item in inputs.items
        ]
        streams += [
            AppStream(kind="recording", device_id=source_names.get(item.pop("device"), ""), **item)
            for item in outputs.items
        ]
        return streams

    def move_stream(self, stream: AppStream, device_id: str) -> None:
        """Move a program's stream to another device (a speaker, or a microphone/monitor)."""
        self._on_stream(
            stream,
            self.lib.pa_context_move_sink_input_by_name,
            self.lib.pa_context_move_source_output_by_name,
            device_id.encode(),
            f"Moving {_stream_words(stream)} to {device_id!r} failed",
        )

    def set_stream_volume(self, stream: AppStream, volumes: tuple[float, ...]) -> None:
        """Set a program's stream's volume, one linear value per channel of the stream."""
        volume = self.ffi.new("pa_cvolume *")
        volume.channels = len(volumes)
        for index, value in enumerate(volumes):
            volume.values[index] = round(value * VOLUME_NORM)
        self._on_stream(
            stream,
            self.lib.pa_context_set_sink_input_volume,
            self.lib.pa_context_set_source_output_volume,
            volume,
            f"Setting the volume of {_stream_words(stream)} failed",
        )

    def set_stream_mute(self, stream: AppStream, muted: bool) -> None:
        """Mute or unmute a program's stream."""
        self._on_stream(
            stream,
            self.lib.pa_context_set_sink_input_mute,
            self.lib.pa_context_set_source_output_mute,
            int(muted),
            f"{'Muting' if muted else 'Unmuting'} {_stream_words(stream)} failed",
        )

    def _on_stream(
        self, stream: AppStream, playback: Any, recording: Any, value: Any, what: str
    ) -> None:
        """Call the sink-input (``playback``) or source-output (``recording``) operation for
        ``stream`` with ``value``, and raise with ``what`` if the server refuses."""
        operation = playback if stream.kind == "playback" else recording
        self.run_success(
            lambda ud: operation(self.context, stream.id, value, self._cb_success, ud),
            what,
            _STREAM_ADVICE,
        )

    def native_layout(self, kind: DeviceKind, device_id: str) -> tuple[int, list[int]]:
        """The sample rate and channel positions of a device, to open streams without remix."""
        info, positions = self.device_info(kind, device_id)
        return info.samplerate, positions

    def device_info(self, kind: DeviceKind, device_id: str) -> tuple[DeviceInfo, list[int]]:
        """Fresh information about one device, and its channel positions."""
        name = device_id.encode()
        if kind == "speaker":
            getter, callback = self.lib.pa_context_get_sink_info_by_name, self._cb_sink_info
        else:
            getter, callback = self.lib.pa_context_get_source_info_by_name, self._cb_source_info
        reply = self.run(
            lambda ud: getter(self.context, name, callback, ud),
            f"Looking up {kind} {device_id!r} failed",
        )
        if not reply.items:
            raise DeviceNotFoundError(
                f"The {kind} {device_id!r} is no longer available (it was unplugged or its "
                "module unloaded). List the devices again and pick another one."
            )
        _, info, positions = reply.items[0]
        return info, positions

    def set_default(self, kind: DeviceKind, device_id: str) -> None:
        setter = (
            self.lib.pa_context_set_default_sink
            if kind == "speaker"
            else self.lib.pa_context_set_default_source
        )
        self.run_success(
            lambda ud: setter(self.context, device_id.encode(), self._cb_success, ud),
            f"Making {device_id!r} the default {kind} failed",
        )

    def set_volume(self, kind: DeviceKind, device_id: str, volumes: tuple[float, ...]) -> None:
        volume = self.ffi.new("pa_cvolume *")
        volume.channels = len(volumes)
        for index, value in enumerate(volumes):
            volume.values[index] = round(value * VOLUME_NORM)
        setter = (
            self.lib.pa_context_set_sink_volume_by_name
            if kind == "speaker"
            else self.lib.pa_context_set_source_volume_by_name
        )
        self.run_success(
            lambda ud: setter(self.context, device_id.encode(), volume, self._cb_success, ud),
            f"Setting the volume of {device_id!r} failed",
            "Check that the device still exists.",
        )

    def set_mute(self, kind: DeviceKind, device_id: str, muted: bool) -> None:
        setter = (
            self.lib.pa_context_set_sink_mute_by_name
            if kind == "speaker"
            else self.lib.pa_context_set_source_mute_by_name
        )
        self.run_success(
            lambda ud: setter(self.context, device_id.encode(), int(muted), self._cb_success, ud),
            f"Muting {device_id!r} failed",
            "Check that the device still exists.",
        )

    def server_info(self) -> dict[str, str | None]:
        reply = self.run(
            lambda ud: self.lib.pa_context_get_server_info(self.context, self._cb_server_info, ud),
            "Asking the sound server for its defaults failed",
        )
        if reply.failed or reply.value is None:
            with self.locked():
                raise self.error("Asking the sound server for its defaults failed")
        defaults: dict[str, str | None] = reply.value
        return defaults

    def set_name(self, name: str) -> None:
        self.run_success(
            lambda ud: self.lib.pa_context_set_name(
                self.context, name.encode(), self._cb_success, ud
            ),
            "Renaming the client failed",
        )

    # -- device events ---------------------------------------------------------------------

    def subscribe(self) -> None:
        """Ask the server for device and server change notices (once per connection)."""
        if self._subscribed:
            return
        with self.locked():
            self.lib.pa_context_set_subscribe_callback(
                self.context, self._cb_subscribe, self.ffi.NULL
            )
        self.run_success(
            lambda ud: self.lib.pa_context_subscribe(
                self.context, SUBSCRIPTION_MASK, self._cb_success, ud
            ),
            "Subscribing to device changes failed",
        )
        self._subscribed = True

    # -- callbacks (mainloop thread, lock held) ----------------------------------------------

    # -- callbacks (mainloop thread, lock held): copy and signal, nothing else ---------------

    def _make_callbacks(self) -> None:
        ffi, lib = self.ffi, self.lib

        def report(exc_type: Any, exc: Any, tb: Any) -> None:
            _log.error("error in a libpulse callback", exc_info=(exc_type, exc, tb))

        @c_callback(ffi, "pa_context_notify_cb_t", report)
        def context_state(context: Any, _userdata: Any) -> None:
            state = lib.pa_context_get_state(context)
            if state in (CONTEXT_FAILED, CONTEXT_TERMINATED):
                self._on_lost()
            with self._state_changed:
                self._state_generation += 1
                self._state_changed.notify_all()

        @c_callback(ffi, "pa_operation_notify_cb_t", report)
        def operation_state(operation: Any, userdata: Any) -> None:
            reply = ffi.from_handle(userdata)
            reply.state = lib.pa_operation_get_state(operation)
            if reply.state != OPERATION_RUNNING:
                reply.done.set()

        @c_callback(ffi, "pa_context_success_cb_t", report)
        def success(_context: Any, ok: int, userdata: Any) -> None:
            ffi.from_handle(userdata).success = bool(ok)

        @c_callback(ffi, "pa_sink_info_cb_t", report)
        def sink_info(_context: Any, info: Any, eol: int, userdata: Any) -> None:
            self._on_device_info(FACILITY_SINK, info, eol, userdata)

        @c_callback(ffi, "pa_source_info_cb_t", report)
        def source_info(_context: Any, info: Any, eol: int, userdata: Any) -> None:
            self._on_device_info(FACILITY_SOURCE, info, eol, userdata)

        @c_callback(ffi, "pa_sink_input_info_cb_t", report)
        def sink_input_info(_context: Any, info: Any, eol: int, userdata: Any) -> None:
            self._on_stream_info(info, eol, userdata, int(info.sink) if not eol else 0)

        @c_callback(ffi, "pa_source_output_info_cb_t", report)
        def source_output_info(_context: Any, info: Any, eol: int, userdata: Any) -> None:
            self._on_stream_info(info, eol, userdata, int(info.source) if not eol else 0)

        @c_callback(ffi, "pa_server_info_cb_t", report)
        def server_info(_context: Any, info: Any, userdata: Any) -> None:
            reply = ffi.from_handle(userdata)
            if info == ffi.NULL:
                reply.failed = True
                return
            reply.value = {
                "default_sink": _string(ffi, info.default_sink_name),
                "default_source": _string(ffi, info.default_source_name),
                "server_name": _string(ffi, info.server_name),
                "server_version": _string(ffi, info.server_version),
                "samplerate": str(info.sample_spec.rate),
            }

        @c_callback(ffi, "pa_context_subscribe_cb_t", report)
        def subscribe(_context: Any, event: int, _index: int, _userdata: Any) -> None:
            if event & FACILITY_MASK in (FACILITY_SINK, FACILITY_SOURCE, FACILITY_SERVER):
                self.changes.bump()
                notify = self._on_event
                if notify is not None:
                    notify("devices")

        self._cb_context_state = context_state
        self._cb_operation_state = operation_state
        self._cb_success = success
        self._cb_sink_info = sink_info
        self._cb_source_info = source_info
        self._cb_server_info = server_info
        self._cb_sink_input_info = sink_input_info
        self._cb_source_output_info = source_output_info
        self._cb_subscribe = subscribe

    def _on_device_info(self, facility: int, info: Any, eol: int, userdata: Any) -> None:
        reply = self.ffi.from_handle(userdata)
        if eol:
            if eol < 0:
                reply.failed = True
            return
        device, positions = self._device_from_info(facility, info)
        reply.items.append((int(info.index), device, positions))

    def _on_stream_info(self, info: Any, eol: int, userdata: Any, device: int) -> None:
        """Copy one stream's description (on libpulse's thread: copy, nothing more)."""
        ffi, lib = self.ffi, self.lib
        reply = ffi.from_handle(userdata)
        if eol:
            if eol < 0:
                reply.failed = True
            return

        def prop(key: bytes) -> str | None:
            return _string(ffi, lib.pa_proplist_gets(info.proplist, key))

        pid = prop(b"application.process.id")
        reply.items.append(
            {
                "id": int(info.index),
                "application": prop(b"application.name") or "",
                "name": _string(ffi, info.name) or prop(b"media.name") or "",
                "device": device,
                "volume": tuple(
                    int(info.volume.values[i]) / VOLUME_NORM
                    for i in range(int(info.volume.channels))
                ),
                "muted": bool(info.mute),
                "corked": bool(info.corked),
                "process_id": int(pid) if pid and pid.isdigit() else None,
            }
        )

    def _device_from_info(self, facility: int, info: Any) -> tuple[DeviceInfo, list[int]]:
        ffi, lib = self.ffi, self.lib
        channels = int(info.channel_map.channels)
        positions = [int(info.channel_map.map[i]) for i in range(channels)]
        names = tuple(
            _string(ffi, lib.pa_channel_position_to_pretty_string(p)) or f"Channel {i + 1}"
            for i, p in enumerate(positions)
        )
        position_names = tuple(
            _string(ffi, lib.pa_channel_position_to_string(p)) or f"aux{i}"
            for i, p in enumerate(positions)
        )
        volume = tuple(
            int(info.volume.values[i]) / VOLUME_NORM for i in range(int(info.volume.channels))
        )
        latency = int(info.configured_latency) or int(info.latency)
        if facility == FACILITY_SINK:
            kind: DeviceKind = "speaker"
            monitor_of = None
        else:
            kind = "microphone"
            monitor_of = (
                _string(ffi, info.monitor_of_sink_name)
                if int(info.monitor_of_sink) != INVALID_INDEX
                else None
            )
        device = DeviceInfo(
            id=_string(ffi, info.name) or "",
            name=_string(ffi, info.description) or _string(ffi, info.name) or "",
            kind=kind,
            channels=channels,
            channel_names=names,
            channel_positions=position_names,
            samplerate=int(info.sample_spec.rate),
            isloopback=monitor_of is not None,
            monitor_of=monitor_of,
            latency=latency / 1e6 if latency else None,
            volume=volume,
            muted=bool(info.mute),
        )
        return device, positions


_STREAM_ADVICE = (
    "The stream may have ended, or the device gone; list the streams again "
    "(scgui.audio.list_streams())."
)


def _stream_words(stream: AppStream) -> str:
    """``the playback stream 'Music' of 'Firefox'``, for messages."""
    owner = f" of {stream.application!r}" if stream.application else ""
    return f"the {stream.kind} stream {stream.name!r}{owner}"


def _string(ffi: Any, pointer: Any) -> str | None:
    if pointer == ffi.NULL:
        return None
    return str(ffi.string(pointer).decode(errors="replace"))


#: Strong references: a connection whose mainloop thread runs must never be collected, or its
#: callbacks would be freed under that thread. close() removes it.
_open_connections: set[Connection] = set()


@atexit.register
def _close_all() -> None:
    """Stop every mainloop thread before the interpreter tears down what callbacks need."""
    for connection in list(_open_connections):
        try:
            connection.close()
        except Exception:
            continue
