"""One connection to a PulseAudio (or pipewire-pulse) server: mainloop, context, queries.

libpulse is opened with ``cffi`` in ABI mode the first time a connection is made, never at
import. Every libpulse call is made with the threaded mainloop's lock held, and every wait is
a ``pa_threaded_mainloop_wait`` on the mainloop's condition, woken by the callbacks below: no
sleep-polling. Callbacks run on the mainloop thread; they only copy data and signal.
"""

from __future__ import annotations

import atexit
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..errors import (
    AudioError,
    BackendError,
    BackendUnavailableError,
    DeviceNotFoundError,
    ServerUnavailableError,
)
from .base import DeviceEvent, DeviceInfo, DeviceKind

# Enum values from <pulse/def.h>, <pulse/sample.h> and <pulse/volume.h>.
CONTEXT_READY, CONTEXT_FAILED, CONTEXT_TERMINATED = 4, 5, 6
CONTEXT_NOAUTOSPAWN = 1
STREAM_READY, STREAM_FAILED, STREAM_TERMINATED = 2, 3, 4
OPERATION_RUNNING = 0
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
            import cffi

            from ._pulse_cdef import CDEF

            ffi = cffi.FFI()
            ffi.cdef(CDEF)
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
    runtime = os.environ.get("PULSE_RUNTIME_PATH") or os.path.join(
        os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}", "pulse"
    )
    return f"unix:{os.path.join(runtime, 'native')} and the system socket (the default)"


@dataclass
class _Reply:
    """Collects what an operation's callbacks deliver."""

    owner: Connection
    items: list[Any] = field(default_factory=list)
    value: Any = None
    success: bool = True


class Connection:
    """The mainloop thread and context shared by every query and stream of a backend."""

    def __init__(self, server: str | None, app_name: str) -> None:
        self.ffi, self.lib = load_libpulse()
        ffi, lib = self.ffi, self.lib
        self.server_choice = describe_server_choice(server)
        self._streams: weakref.WeakSet[Any] = weakref.WeakSet()
        self._listeners: list[Callable[[DeviceEvent], None]] = []
        self._subscribed = False
        self._known: dict[tuple[int, int], DeviceInfo] = {}
        self._defaults: dict[DeviceKind, str | None] = {}
        self._closed = False
        self._make_callbacks()

        self.mainloop = lib.pa_threaded_mainloop_new()
        if self.mainloop == ffi.NULL:
            raise BackendError("libpulse could not create its mainloop (out of memory?)")
        props = lib.pa_proplist_new()
        lib.pa_proplist_sets(props, b"application.name", app_name.encode())
        lib.pa_proplist_sets(props, b"application.id", b"org.scgui.audio")
        lib.pa_proplist_sets(props, b"application.process.id", str(os.getpid()).encode())
        self.context = lib.pa_context_new_with_proplist(
            lib.pa_threaded_mainloop_get_api(self.mainloop), app_name.encode(), props
        )
        lib.pa_proplist_free(props)
        if self.context == ffi.NULL:
            lib.pa_threaded_mainloop_free(self.mainloop)
            raise BackendError("libpulse could not create a context (out of memory?)")
        lib.pa_context_set_state_callback(self.context, self._cb_context_state, ffi.NULL)
        if lib.pa_threaded_mainloop_start(self.mainloop) < 0:
            lib.pa_context_unref(self.context)
            lib.pa_threaded_mainloop_free(self.mainloop)
            raise BackendError("libpulse could not start its mainloop thread")
        try:
            self._connect(server)
        except BaseException:
            self.close()
            raise
        _open_connections.add(self)

    # -- locking and waiting -------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the mainloop lock; refuse (rather than deadlock) on the mainloop thread."""
        if self._closed:
            raise ServerUnavailableError("The connection to the sound server was closed.")
        if self.lib.pa_threaded_mainloop_in_thread(self.mainloop):
            raise AudioError(
                "scgui.audio was called from the sound server's event thread (a device-event "
                "callback registered with the backend directly); use scgui.audio.watch_devices."
            )
        self.lib.pa_threaded_mainloop_lock(self.mainloop)
        try:
            yield
        finally:
            self.lib.pa_threaded_mainloop_unlock(self.mainloop)

    def wait(self) -> None:
        """Wait (lock held) until a callback signals; raise if the server went away."""
        self.check_alive()
        self.lib.pa_threaded_mainloop_wait(self.mainloop)

    def signal(self) -> None:
        self.lib.pa_threaded_mainloop_signal(self.mainloop, 0)

    @property
    def alive(self) -> bool:
        return not self._closed and self.lib.pa_context_get_state(self.context) == CONTEXT_READY

    def check_alive(self) -> None:
        state = self.lib.pa_context_get_state(self.context)
        if state in (CONTEXT_FAILED, CONTEXT_TERMINATED):
            raise ServerUnavailableError(
                f"Lost the connection to the sound server ({self.strerror()}). "
                "Check that PulseAudio or pipewire-pulse is still running, then try again."
            )

    def strerror(self, code: int | None = None) -> str:
        if code is None:
            code = self.lib.pa_context_errno(self.context)
        return self.ffi.string(self.lib.pa_strerror(code)).decode(errors="replace")

    def error(self, what: str, advice: str = "") -> BackendError:
        """A :class:`BackendError` for a failed call, with libpulse's reason."""
        code = self.lib.pa_context_errno(self.context)
        text = f"{what}: {self.strerror(code)}."
        return BackendError(f"{text} {advice}".strip(), code)

    def _connect(self, server: str | None) -> None:
        ffi, lib = self.ffi, self.lib
        with self.locked():
            address = server.encode() if server else ffi.NULL
            failed = lib.pa_context_connect(self.context, address, CONTEXT_NOAUTOSPAWN, ffi.NULL)
            while not failed:
                state = lib.pa_context_get_state(self.context)
                if state == CONTEXT_READY:
                    return
                if state in (CONTEXT_FAILED, CONTEXT_TERMINATED):
                    break
                lib.pa_threaded_mainloop_wait(self.mainloop)
            reason = self.strerror()
        raise ServerUnavailableError(
            f"Cannot connect to the PulseAudio sound server (tried {self.server_choice}): "
            f"{reason}. Start PulseAudio or PipeWire's pipewire-pulse (for example "
            "'systemctl --user start pulseaudio' or 'pipewire-pulse'), or set PULSE_SERVER to "
            "a running server. To try scgui without sound hardware, start a private server "
            "with virtual devices: the scgui window offers one, or run "
            "'python -m scgui.virtual_rig'."
        )

    def close(self) -> None:
        """Close every stream, disconnect and stop the mainloop thread; idempotent."""
        if self._closed:
            return
        for stream in list(self._streams):
            stream.close()
        lib = self.lib
        lib.pa_threaded_mainloop_lock(self.mainloop)
        lib.pa_context_set_state_callback(self.context, self.ffi.NULL, self.ffi.NULL)
        lib.pa_context_set_subscribe_callback(self.context, self.ffi.NULL, self.ffi.NULL)
        lib.pa_context_disconnect(self.context)
        lib.pa_threaded_mainloop_unlock(self.mainloop)
        self._closed = True
        lib.pa_threaded_mainloop_stop(self.mainloop)
        lib.pa_context_unref(self.context)
        lib.pa_threaded_mainloop_free(self.mainloop)
        _open_connections.discard(self)

    def register_stream(self, stream: Any) -> None:
        self._streams.add(stream)

    # -- operations ------------------------------------------------------------------------

    def run(self, start: Callable[[Any], Any], what: str) -> _Reply:
        """Start an operation with ``start(userdata)`` and wait until it has finished."""
        reply = _Reply(self)
        handle = self.ffi.new_handle(reply)
        with self.locked():
            op = start(handle)
            if op == self.ffi.NULL:
                raise self.error(what)
            try:
                while self.lib.pa_operation_get_state(op) == OPERATION_RUNNING:
                    self.wait()
            finally:
                self.lib.pa_operation_unref(op)
        return reply

    def run_success(self, start: Callable[[Any], Any], what: str, advice: str = "") -> None:
        """Run an operation that reports success or failure, and raise on failure."""
        reply = self.run(start, what)
        if not reply.success:
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
        return [info for _, info, _ in reply.items]

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
        return reply.value

    def set_name(self, name: str) -> None:
        self.run_success(
            lambda ud: self.lib.pa_context_set_name(
                self.context, name.encode(), self._cb_success, ud
            ),
            "Renaming the client failed",
        )

    # -- device events ---------------------------------------------------------------------

    def add_listener(self, listener: Callable[[DeviceEvent], None]) -> None:
        """Deliver device events to ``listener`` (called on the mainloop thread)."""
        if not self._subscribed:
            self.list_devices("speaker")
            self.list_devices("microphone")
            info = self.server_info()
            self._defaults = {
                "speaker": info["default_sink"],
                "microphone": info["default_source"],
            }
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
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[DeviceEvent], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, event: DeviceEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a listener must never break the mainloop thread
                import logging

                logging.getLogger(__name__).exception("device event listener failed")

    # -- callbacks (mainloop thread, lock held) ----------------------------------------------

    def _make_callbacks(self) -> None:
        ffi, lib = self.ffi, self.lib

        def report(exc_type: Any, exc: Any, tb: Any) -> None:
            import logging

            logging.getLogger(__name__).error(
                "error in a libpulse callback", exc_info=(exc_type, exc, tb)
            )

        @ffi.callback("pa_context_notify_cb_t", onerror=report)
        def context_state(_context: Any, _userdata: Any) -> None:
            self.signal()

        @ffi.callback("pa_context_success_cb_t", onerror=report)
        def success(_context: Any, ok: int, userdata: Any) -> None:
            ffi.from_handle(userdata).success = bool(ok)
            self.signal()

        @ffi.callback("pa_sink_info_cb_t", onerror=report)
        def sink_info(_context: Any, info: Any, eol: int, userdata: Any) -> None:
            self._on_device_info(FACILITY_SINK, info, eol, userdata)

        @ffi.callback("pa_source_info_cb_t", onerror=report)
        def source_info(_context: Any, info: Any, eol: int, userdata: Any) -> None:
            self._on_device_info(FACILITY_SOURCE, info, eol, userdata)

        @ffi.callback("pa_server_info_cb_t", onerror=report)
        def server_info(_context: Any, info: Any, userdata: Any) -> None:
            value = {
                "default_sink": _string(ffi, info.default_sink_name),
                "default_source": _string(ffi, info.default_source_name),
                "server_name": _string(ffi, info.server_name),
                "server_version": _string(ffi, info.server_version),
                "samplerate": str(info.sample_spec.rate),
            }
            if userdata == ffi.NULL:
                self._on_server_change(value)
            else:
                ffi.from_handle(userdata).value = value
            self.signal()

        @ffi.callback("pa_context_subscribe_cb_t", onerror=report)
        def subscribe(context: Any, event: int, index: int, _userdata: Any) -> None:
            facility, change = event & FACILITY_MASK, event & EVENT_TYPE_MASK
            if facility == FACILITY_SERVER:
                op = lib.pa_context_get_server_info(context, self._cb_server_info, ffi.NULL)
            elif facility in (FACILITY_SINK, FACILITY_SOURCE):
                if change == EVENT_REMOVE:
                    gone = self._known.pop((facility, index), None)
                    if gone is not None:
                        self._emit(DeviceEvent("removed", gone.kind, gone.id, gone.isloopback))
                    return
                getter = (
                    lib.pa_context_get_sink_info_by_index
                    if facility == FACILITY_SINK
                    else lib.pa_context_get_source_info_by_index
                )
                callback = self._cb_sink_info if facility == FACILITY_SINK else self._cb_source_info
                op = getter(context, index, callback, ffi.NULL)
            else:
                return
            if op != ffi.NULL:
                lib.pa_operation_unref(op)

        self._cb_context_state = context_state
        self._cb_success = success
        self._cb_sink_info = sink_info
        self._cb_source_info = source_info
        self._cb_server_info = server_info
        self._cb_subscribe = subscribe

    def _on_device_info(self, facility: int, info: Any, eol: int, userdata: Any) -> None:
        ffi = self.ffi
        if eol:
            self.signal()
            return
        device, positions = self._device_from_info(facility, info)
        key = (facility, int(info.index))
        previous = self._known.get(key)
        self._known[key] = device
        if userdata != ffi.NULL:
            ffi.from_handle(userdata).items.append((int(info.index), device, positions))
        elif self._subscribed:
            if previous is None:
                self._emit(DeviceEvent("added", device.kind, device.id, device.isloopback))
            elif _visible(previous) != _visible(device):
                self._emit(DeviceEvent("changed", device.kind, device.id, device.isloopback))

    def _on_server_change(self, value: dict[str, str | None]) -> None:
        for kind, key in (("speaker", "default_sink"), ("microphone", "default_source")):
            new = value[key]
            if new and new != self._defaults.get(kind):
                self._defaults[kind] = new
                self._emit(DeviceEvent("default", kind, new))

    def _device_from_info(self, facility: int, info: Any) -> tuple[DeviceInfo, list[int]]:
        ffi, lib = self.ffi, self.lib
        channels = int(info.channel_map.channels)
        positions = [int(info.channel_map.map[i]) for i in range(channels)]
        names = tuple(
            _string(ffi, lib.pa_channel_position_to_pretty_string(p)) or f"Channel {i + 1}"
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
            samplerate=int(info.sample_spec.rate),
            isloopback=monitor_of is not None,
            monitor_of=monitor_of,
            latency=latency / 1e6 if latency else None,
            volume=volume,
            muted=bool(info.mute),
        )
        return device, positions


def _visible(device: DeviceInfo) -> tuple[Any, ...]:
    """The parts of a device whose change is worth an event (not its momentary latency)."""
    return (device.name, device.channels, device.volume, device.muted)


def _string(ffi: Any, pointer: Any) -> str | None:
    if pointer == ffi.NULL:
        return None
    return ffi.string(pointer).decode(errors="replace")


_open_connections: weakref.WeakSet[Connection] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    """Stop every mainloop thread before the interpreter tears down what callbacks need."""
    for connection in list(_open_connections):
        try:
            connection.close()
        except Exception:
            continue
