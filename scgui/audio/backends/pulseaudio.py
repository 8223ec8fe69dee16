"""The PulseAudio backend (also serves PipeWire through pipewire-pulse).

Streams are opened with the device's own sample rate layout and channel map, in float32, so
the server neither remaps nor remixes: channel *i* of the data is channel *i* of the device.
Buffer sizes are always requested explicitly (the server's defaults mean about two seconds
of latency).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import InvalidConfigError, StreamError
from ._pulse_connection import (
    SAMPLE_FLOAT32LE,
    SEEK_RELATIVE,
    STREAM_ADJUST_LATENCY,
    STREAM_DONT_MOVE,
    STREAM_FAILED,
    STREAM_READY,
    STREAM_TERMINATED,
    Connection,
)
from .base import DeviceEvent, DeviceInfo, DeviceKind, StreamConfig

#: Block size used when the caller gives none: 10 ms keeps the round trip in the tens of
#: milliseconds while leaving Python enough slack not to underrun.
DEFAULT_BLOCK_SECONDS = 0.010
#: How many blocks the server may hold ahead of the sink when playing. Two left the sink
#: almost no latency of its own and underran under load; four did not.
PLAYBACK_BLOCKS = 4
UINT32_MAX = 0xFFFFFFFF
RATE_MAX = 384000


def _default_app_name() -> str:
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return script if script and script != "-c" else "scgui"


class _Stream:
    """What playback and capture streams share: opening, state waits, latency, closing."""

    direction = "stream"

    def __init__(self, connection: Connection, kind: DeviceKind, config: StreamConfig) -> None:
        self._connection = connection
        self._ffi, self._lib = connection.ffi, connection.lib
        self.channels = config.channels
        self.samplerate = config.samplerate
        self.device_id = config.device_id
        self._frame_bytes = 4 * config.channels
        self._stream: Any = None
        self._handle = self._ffi.new_handle(self)
        self._underruns = 0
        self._overflows = 0
        if not 0 < config.samplerate <= RATE_MAX:
            raise InvalidConfigError(
                f"PulseAudio cannot open a stream at {config.samplerate} Hz; "
                f"use a rate from 1 to {RATE_MAX} Hz, such as 44100 or 48000."
            )
        _rate, positions = connection.native_layout(kind, config.device_id)
        if len(positions) != config.channels:
            raise InvalidConfigError(
                f"{config.device_id!r} has {len(positions)} channels, not {config.channels}."
            )
        blocksize = config.blocksize or max(1, round(config.samplerate * DEFAULT_BLOCK_SECONDS))
        self.blocksize = blocksize
        self._open(config, positions, blocksize)
        connection.register_stream(self)

    def _open(self, config: StreamConfig, positions: list[int], blocksize: int) -> None:
        ffi, lib, conn = self._ffi, self._lib, self._connection
        spec = ffi.new(
            "pa_sample_spec *",
            {"format": SAMPLE_FLOAT32LE, "rate": config.samplerate, "channels": config.channels},
        )
        channel_map = ffi.new("pa_channel_map *")
        channel_map.channels = config.channels
        for index, position in enumerate(positions):
            channel_map.map[index] = position
        attr = self._buffer_attr(blocksize)
        flags = STREAM_ADJUST_LATENCY | STREAM_DONT_MOVE
        with conn.locked():
            stream = lib.pa_stream_new(conn.context, config.stream_name.encode(), spec, channel_map)
            if stream == ffi.NULL:
                raise conn.error(f"Creating a {self.direction} stream failed")
            self._stream = stream
            lib.pa_stream_set_state_callback(stream, _callbacks(ffi).state, self._handle)
            self._set_callbacks(stream)
            if self._connect(stream, config.device_id.encode(), attr, flags) < 0:
                error = conn.error(
                    f"Opening {config.device_id!r} for {self.direction} failed",
                    "Check that the device still exists and is not in use exclusively.",
                )
                self._release_locked()
                raise error
            while True:
                state = lib.pa_stream_get_state(stream)
                if state == STREAM_READY:
                    break
                if state in (STREAM_FAILED, STREAM_TERMINATED):
                    error = conn.error(
                        f"The sound server refused to open {config.device_id!r} for "
                        f"{self.direction} at {config.samplerate} Hz",
                        "Check the device and the sample rate.",
                    )
                    self._release_locked()
                    raise error
                conn.wait()

    def _buffer_attr(self, blocksize: int) -> Any:
        raise NotImplementedError

    def _set_callbacks(self, stream: Any) -> None:
        raise NotImplementedError

    def _connect(self, stream: Any, device: bytes, attr: Any, flags: int) -> int:
        raise NotImplementedError

    def _check(self) -> None:
        """Raise (lock held) if the stream or the connection has ended."""
        if self._stream is None:
            raise StreamError(f"The {self.direction} stream is closed.")
        self._connection.check_alive()
        state = self._lib.pa_stream_get_state(self._stream)
        if state in (STREAM_FAILED, STREAM_TERMINATED):
            raise StreamError(
                f"The {self.direction} stream on {self.device_id!r} was ended by the sound "
                "server, usually because the device was removed. Pick another device and "
                "start again."
            )

    def _run_stream_op(self, start: Callable[[Any], Any], what: str) -> None:
        conn = self._connection
        with conn.locked():
            self._check()
        conn.run(lambda ud: start(ud), what)

    @property
    def latency(self) -> float:
        """Seconds of audio between the application and the device, from the server."""
        ffi, lib = self._ffi, self._lib
        self._run_stream_op(
            lambda ud: lib.pa_stream_update_timing_info(self._stream, _callbacks(ffi).success, ud),
            "Asking the server for the stream latency failed",
        )
        usec = ffi.new("pa_usec_t *")
        negative = ffi.new("int *")
        with self._connection.locked():
            self._check()
            if lib.pa_stream_get_latency(self._stream, usec, negative) < 0:
                attr = lib.pa_stream_get_buffer_attr(self._stream)
                return self._configured_latency(attr)
        value = usec[0] / 1e6
        return -value if negative[0] else value

    def _configured_latency(self, attr: Any) -> float:
        raise NotImplementedError

    @property
    def underruns(self) -> int:
        return self._underruns

    @property
    def overflows(self) -> int:
        return self._overflows

    def close(self) -> None:
        if self._stream is None:
            return
        try:
            with self._connection.locked():
                self._release_locked()
        except Exception:
            self._stream = None

    def _release_locked(self) -> None:
        ffi, lib, stream = self._ffi, self._lib, self._stream
        if stream is None:
            return
        lib.pa_stream_set_state_callback(stream, ffi.NULL, ffi.NULL)
        lib.pa_stream_set_write_callback(stream, ffi.NULL, ffi.NULL)
        lib.pa_stream_set_read_callback(stream, ffi.NULL, ffi.NULL)
        lib.pa_stream_set_underflow_callback(stream, ffi.NULL, ffi.NULL)
        lib.pa_stream_set_overflow_callback(stream, ffi.NULL, ffi.NULL)
        if lib.pa_stream_get_state(stream) == STREAM_READY:
            lib.pa_stream_disconnect(stream)
        lib.pa_stream_unref(stream)
        self._stream = None

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()


class PulsePlayback(_Stream):
    """An output stream; ``write`` blocks only while the server's buffer is full."""

    direction = "playback"

    def _buffer_attr(self, blocksize: int) -> Any:
        block = blocksize * self._frame_bytes
        # prebuf of one frame: playback starts with the first write and restarts at once
        # after an underrun, so a short click is never held back waiting for more data.
        return self._ffi.new(
            "pa_buffer_attr *",
            {
                "maxlength": UINT32_MAX,
                "tlength": PLAYBACK_BLOCKS * block,
                "prebuf": self._frame_bytes,
                "minreq": block,
                "fragsize": UINT32_MAX,
            },
        )

    def _set_callbacks(self, stream: Any) -> None:
        callbacks = _callbacks(self._ffi)
        self._lib.pa_stream_set_write_callback(stream, callbacks.request, self._handle)
        self._lib.pa_stream_set_underflow_callback(stream, callbacks.underflow, self._handle)

    def _connect(self, stream: Any, device: bytes, attr: Any, flags: int) -> int:
        ffi = self._ffi
        return self._lib.pa_stream_connect_playback(stream, device, attr, flags, ffi.NULL, ffi.NULL)

    def _configured_latency(self, attr: Any) -> float:
        return attr.tlength / self._frame_bytes / self.samplerate

    def write(self, frames: np.ndarray) -> None:
        ffi, lib, conn = self._ffi, self._lib, self._connection
        total = frames.nbytes
        if total == 0:
            return
        data = ffi.cast("char *", ffi.from_buffer(frames))
        offset = 0
        with conn.locked():
            while offset < total:
                self._check()
                writable = lib.pa_stream_writable_size(self._stream)
                if writable == 0 or writable == ffi.cast("size_t", -1):
                    conn.wait()
                    continue
                count = min(writable, total - offset)
                count -= count % self._frame_bytes
                if count == 0:
                    conn.wait()
                    continue
                if (
                    lib.pa_stream_write(
                        self._stream, data + offset, count, ffi.NULL, 0, SEEK_RELATIVE
                    )
                    < 0
                ):
                    raise conn.error("Sending audio to the sound server failed")
                offset += count

    def drain(self) -> None:
        ffi, lib = self._ffi, self._lib
        self._run_stream_op(
            lambda ud: lib.pa_stream_drain(self._stream, _callbacks(ffi).success, ud),
            "Waiting for playback to finish failed",
        )


class PulseCapture(_Stream):
    """An input stream; ``read`` returns the fragments the server has delivered."""

    direction = "recording"

    def _buffer_attr(self, blocksize: int) -> Any:
        return self._ffi.new(
            "pa_buffer_attr *",
            {
                "maxlength": UINT32_MAX,
                "tlength": UINT32_MAX,
                "prebuf": UINT32_MAX,
                "minreq": UINT32_MAX,
                "fragsize": blocksize * self._frame_bytes,
            },
        )

    def _set_callbacks(self, stream: Any) -> None:
        callbacks = _callbacks(self._ffi)
        self._lib.pa_stream_set_read_callback(stream, callbacks.request, self._handle)
        self._lib.pa_stream_set_overflow_callback(stream, callbacks.overflow, self._handle)

    def _connect(self, stream: Any, device: bytes, attr: Any, flags: int) -> int:
        return self._lib.pa_stream_connect_record(stream, device, attr, flags)

    def _configured_latency(self, attr: Any) -> float:
        return attr.fragsize / self._frame_bytes / self.samplerate

    def read(self, min_frames: int) -> np.ndarray:
        """Wait until at least ``min_frames`` are readable, then return all that are.

        One array per call, however many fragments the server delivered: at a small server
        block size a fragment is a few milliseconds, and an array per fragment would cost
        more Python time than the audio itself.
        """
        ffi, lib, conn = self._ffi, self._lib, self._connection
        frame_bytes = self._frame_bytes
        needed = min_frames * frame_bytes
        with conn.locked():
            while True:
                self._check()
                readable = lib.pa_stream_readable_size(self._stream)
                if readable == ffi.cast("size_t", -1):
                    raise conn.error("Reading audio from the sound server failed")
                if readable >= needed and (readable or not min_frames):
                    break
                conn.wait()
            out = np.empty((readable // frame_bytes, self.channels), dtype=np.float32)
            target = ffi.cast("char *", ffi.from_buffer(out))
            filled, total = 0, out.nbytes
            pointer = ffi.new("const void **")
            size = ffi.new("size_t *")
            while filled < total:
                if lib.pa_stream_peek(self._stream, pointer, size) < 0:
                    raise conn.error("Reading audio from the sound server failed")
                nbytes = size[0]
                if nbytes == 0 or filled + nbytes > total:
                    break  # cannot happen while the lock is held; never copy past the end
                if pointer[0] == ffi.NULL:  # a hole: the server lost data; keep the timeline
                    ffi.memmove(target + filled, bytes(nbytes), nbytes)
                else:
                    ffi.memmove(target + filled, pointer[0], nbytes)
                filled += nbytes
                lib.pa_stream_drop(self._stream)
        return out[: filled // frame_bytes]


class _Callbacks:
    """C callbacks shared by every stream; ``userdata`` is the stream's handle."""

    def __init__(self, ffi: Any) -> None:
        def signal_for(userdata: Any) -> None:
            stream = ffi.from_handle(userdata)
            stream._connection.signal()

        @ffi.callback("pa_stream_notify_cb_t")
        def state(_stream: Any, userdata: Any) -> None:
            signal_for(userdata)

        @ffi.callback("pa_stream_request_cb_t")
        def request(_stream: Any, _nbytes: int, userdata: Any) -> None:
            signal_for(userdata)

        @ffi.callback("pa_stream_notify_cb_t")
        def underflow(_stream: Any, userdata: Any) -> None:
            ffi.from_handle(userdata)._underruns += 1

        @ffi.callback("pa_stream_notify_cb_t")
        def overflow(_stream: Any, userdata: Any) -> None:
            ffi.from_handle(userdata)._overflows += 1

        @ffi.callback("pa_stream_success_cb_t")
        def success(_stream: Any, ok: int, userdata: Any) -> None:
            reply = ffi.from_handle(userdata)
            reply.success = bool(ok)
            reply.owner.signal()

        self.state, self.request, self.underflow, self.overflow = (
            state,
            request,
            underflow,
            overflow,
        )
        self.success = success


_callbacks_cache: dict[int, _Callbacks] = {}
_callbacks_lock = threading.Lock()


def _callbacks(ffi: Any) -> _Callbacks:
    """The stream callbacks for ``ffi`` (there is one ``ffi`` per process), made once."""
    with _callbacks_lock:
        found = _callbacks_cache.get(id(ffi))
        if found is None:
            found = _callbacks_cache[id(ffi)] = _Callbacks(ffi)
        return found


class PulseAudioBackend:
    """:class:`~scgui.audio.backends.base.Backend` for PulseAudio and pipewire-pulse.

    ``server`` overrides libpulse's own choice (``PULSE_SERVER``, client.conf, the user's
    socket). The connection is made on first use and made again if the server restarted.
    """

    name = "PulseAudio"

    def __init__(self, server: str | None = None, app_name: str | None = None) -> None:
        self._server = server
        self._app_name = app_name or _default_app_name()
        self._lock = threading.Lock()
        self._connection_obj: Connection | None = None

    def _connection(self) -> Connection:
        with self._lock:
            current = self._connection_obj
            if current is None or not current.alive:
                if current is not None:
                    current.close()
                current = Connection(self._server, self._app_name)
                self._connection_obj = current
            return current

    def close(self) -> None:
        """Disconnect; the next call connects again."""
        with self._lock:
            if self._connection_obj is not None:
                self._connection_obj.close()
                self._connection_obj = None

    def list_devices(self, kind: DeviceKind) -> list[DeviceInfo]:
        return self._connection().list_devices(kind)

    def default_device_id(self, kind: DeviceKind) -> str | None:
        info = self._connection().server_info()
        return info["default_sink" if kind == "speaker" else "default_source"]

    def open_playback(self, config: StreamConfig) -> PulsePlayback:
        return PulsePlayback(self._connection(), "speaker", config)

    def open_capture(self, config: StreamConfig) -> PulseCapture:
        return PulseCapture(self._connection(), "microphone", config)

    def subscribe(self, callback: Callable[[DeviceEvent], None]) -> _PulseSubscription:
        connection = self._connection()
        connection.add_listener(callback)
        return _PulseSubscription(connection, callback)

    def device_info(self, kind: DeviceKind, device_id: str) -> DeviceInfo:
        return self._connection().device_info(kind, device_id)[0]

    def set_default(self, kind: DeviceKind, device_id: str) -> None:
        self._connection().set_default(kind, device_id)

    def set_volume(self, kind: DeviceKind, device_id: str, volumes: tuple[float, ...]) -> None:
        self._connection().set_volume(kind, device_id, volumes)

    def set_mute(self, kind: DeviceKind, device_id: str, muted: bool) -> None:
        self._connection().set_mute(kind, device_id, muted)

    def get_name(self) -> str:
        return self._app_name

    def set_name(self, name: str) -> None:
        self._app_name = name
        connection = self._connection_obj
        if connection is not None and connection.alive:
            connection.set_name(name)

    def server_description(self) -> str:
        info = self._connection().server_info()
        return f"{info['server_name']} {info['server_version']}"

    def server_info(self) -> dict[str, str | None]:
        """Defaults, name, version and sample rate of the server, as strings."""
        return self._connection().server_info()


class _PulseSubscription:
    def __init__(self, connection: Connection, callback: Callable[[DeviceEvent], None]) -> None:
        self._connection = connection
        self._callback = callback

    def close(self) -> None:
        self._connection.remove_listener(self._callback)
