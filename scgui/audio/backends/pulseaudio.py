"""The PulseAudio backend (also serves PipeWire through pipewire-pulse).

Streams are opened with the device's own sample rate layout and channel map, in float32, so
the server neither remaps nor remixes: channel *i* of the data is channel *i* of the device.
Buffer sizes are always requested explicitly (the server's defaults mean about two seconds
of latency).

Each stream has two halves. The native half (:class:`_Core`) lives in the connection's
table, is what libpulse's callbacks find by an integer key, and never refers to the user's
object. The user's half (:class:`PulsePlayback`, :class:`PulseCapture`) owns the waits. If the
user's half is dropped without ``close()``, a finalizer hands the key to the connection's
janitor thread, which releases the native half under the mainloop lock: garbage collection on
any thread, including libpulse's own, cannot leave a callback pointing at freed memory.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..appname import check_app_name, infer_program_name
from ..errors import (
    AudioError,
    BackendError,
    InvalidConfigError,
    ServerUnavailableError,
    StreamError,
)
from ..ring import FrameRing, closed_error
from ..timeouts import check_timeout
from ._ffi_modules import c_callback
from ._pulse_connection import (
    CONTEXT_FAILED,
    CONTEXT_TERMINATED,
    SAMPLE_FLOAT32LE,
    SEEK_RELATIVE,
    STREAM_ADJUST_LATENCY,
    STREAM_DONT_MOVE,
    STREAM_FAILED,
    STREAM_READY,
    STREAM_TERMINATED,
    VOLUME_NORM,
    Connection,
    load_libpulse,
)
from .base import (
    AppStream,
    Capabilities,
    DeviceInfo,
    DeviceKind,
    DevicePosition,
    StreamConfig,
)

if TYPE_CHECKING:  # numpy is imported where used: listing devices does without it
    import numpy as np

_log = logging.getLogger(__name__)

#: How long pipewire-pulse may leave a stream's read index still, with audio queued, before
#: the stream is taken for stopped and restarted. Shorter stalls (a busy machine) pass by
#: themselves and lose nothing; the stopped ones measured never moved again.
STALL_SECONDS = 1.0
#: Block size used when the caller gives none: 10 ms keeps the round trip in the tens of
#: milliseconds while leaving Python enough slack not to underrun.
DEFAULT_BLOCK_SECONDS = 0.010
#: How many blocks the server may hold ahead of the sink when playing. Two left the sink
#: almost no latency of its own and underran under load; four did not.
PLAYBACK_BLOCKS = 4
#: ... but never less than this: four 64-frame blocks (5.3 ms at 48 kHz) underran 1-3 times
#: in 10 s, 10 ms about as often; 16 ms 0-4 (a writer late by 9 ms: the server trims the
#: request to 9.3 ms at 64 frames); 18 ms none in 8 takes at 64 and 128 frames (sounddevice,
#: PortAudio on ALSA's pulse plugin, 0-2 in the same runs), the streaming latency still
#: 0.6-0.7 x sounddevice's at 128 frames and 0.8-1.06 x at 64; 20 ms went above it at 64.
MIN_PLAYBACK_SECONDS = 0.018
#: What PulseAudio may hold for a player opened without a block size: four default blocks
#: (40 ms) made the streaming latency as long as sounddevice's at its defaults (40-50 ms).
#: 25 ms, refilled from a quarter empty (see _buffer_attr), gives 0.49-0.54 of it with no
#: gap beside two CPU hogs. 20 ms gave 0.30-0.54 but reported underruns in 100-ms clicks on
#: 8 channels under load (bench/README.md, 2026-12-03). Not on pipewire-pulse: there a 25 ms
#: buffer, just above its 1024-frame graph cycle, held a short click back for good; it keeps
#: four blocks.
DEFAULT_PLAYBACK_SECONDS = 0.025


def playback_buffer_frames(blocksize: int, samplerate: int, *, default: bool = False) -> int:
    """Frames the server may hold ahead of the sink for a player of this block size
    (*default*: the caller gave none, and the server is PulseAudio itself)."""
    if default:
        return math.ceil(DEFAULT_PLAYBACK_SECONDS * samplerate)
    return max(PLAYBACK_BLOCKS * blocksize, math.ceil(MIN_PLAYBACK_SECONDS * samplerate))


def playback_request_frames(blocksize: int, buffer_frames: int) -> int:
    """Frames of room at which the server asks a player for more (``minreq``).

    A block, or a quarter of the buffer where the buffer holds fewer than four blocks (the
    defaults: 25 ms for 10 ms blocks). With a 20 ms buffer asked only at half, a writer late
    by a few ms underran in 8 % of 100-ms clicks on 8 channels, 17 % beside two CPU hogs;
    asked at a quarter, 0-2 %.
    """
    return min(blocksize, max(1, buffer_frames // PLAYBACK_BLOCKS))


#: Seconds of audio a capture ring holds for a reader that is late (within a memory cap).
CAPTURE_RING_SECONDS = 4.0
CAPTURE_RING_MAX_BYTES = 64 << 20
#: libpulse's own queue of a record stream (the server caps it at 4 MiB). A stream whose
#: ring time fits in it is read without a callback (see PulseCapture).
CLIENT_QUEUE_BYTES = 4 << 20
#: A pulling reader sleeps until the frames it waits for should be there, and this much more,
#: so that one wake-up usually finds them all (the source delivers in periods of ms).
PULL_MARGIN_SECONDS = 0.002
PULL_MAX_SLEEP_SECONDS = 0.05
#: pipewire-pulse holds back audio shorter than one graph cycle (up to 1024 frames by
#: default) until more arrives or a drain is pending.
HOLD_FRAMES = 1024
UINT32_MAX = 0xFFFFFFFF
#: How long :meth:`device_position` asks again while every answer crossed a write or read
#: (each attempt is one server round trip, about 1 ms).
POSITION_SETTLE_SECONDS = 1.0
RATE_MAX = 384000
#: ``PA_SEEK_RELATIVE_ON_READ``: the first write after a drain lands at the read index, since
#: pipewire-pulse lets the read index run ahead of the write index after a drain.
SEEK_RELATIVE_ON_READ = 2


class _Core:
    """The native half of a stream: the ``pa_stream``, its ring or signal, its counters."""

    def __init__(self, connection: Connection, direction: str, device_id: str) -> None:
        self.connection = connection
        self.direction = direction
        self.device_id = device_id
        self.stream: Any = None
        self.signal = connection.new_signal()
        self.ring: FrameRing | None = None
        self.underruns = 0
        self.server_overflows = 0
        # Playback drain state. While a drain is pending or done (and nothing was written
        # since), the server's underflow notices are the end of the data, not gaps.
        self.writing = False
        self.drain_pending = False
        self.drained = False
        self.drained_by_itself = False
        #: Writes sent so far, and how many had been sent when the pending drain began: a
        #: drain acknowledged after later writes says nothing about the buffer being empty.
        self.writes = 0
        self.drain_writes = -1
        #: Bytes below which a server that holds back short audio (pipewire-pulse) is asked
        #: to drain, so the tail of what was played is heard; 0 on servers that play it.
        self.hold_threshold = 0
        self.buffer_bytes = 0
        self.channels = 0
        self.frame_bytes = 0
        #: Audio handed over so far: bytes written (playback), frames received (capture),
        #: to number frames as the application does when asked where the stream is.
        self.bytes_written = 0
        self.frames_received = 0
        #: The server's read index when a stalled stream was last looked at, and since when
        #: it has stood there (see PulsePlayback._unstick).
        self.stuck_read_index = -1
        self.stuck_since = 0.0

    def fail(self, error: BaseException) -> None:
        """Wake every waiter with ``error`` (any thread; never calls libpulse)."""
        self.signal.fail(error)
        if self.ring is not None:
            self.ring.fail(error)

    def drain_short_tail_locked(self, stream: Any, on_drained: Any, userdata: Any) -> None:
        """Ask a server that holds back short audio to play a short queue out (lock held).

        Only where the server does that (``hold_threshold``), and only once per idle spell.
        """
        if not self.hold_threshold or self.drain_pending or self.drained:
            return
        ffi, lib = self.connection.ffi, self.connection.lib
        queued = self.buffer_bytes - lib.pa_stream_writable_size(stream)
        if 0 < queued <= self.hold_threshold:
            op = lib.pa_stream_drain(stream, on_drained, userdata)
            if op != ffi.NULL:
                self.drain_pending, self.drain_writes = True, self.writes
                lib.pa_operation_unref(op)

    def vanished_error(self) -> BaseException:
        connection = self.connection
        state = connection.lib.pa_context_get_state(connection.context)
        if state in (CONTEXT_FAILED, CONTEXT_TERMINATED):
            return connection.lost_error()
        # "from"/"to" the device, not "recording": a program may only be showing levels.
        way = "from" if self.direction == "recording" else "to"
        return StreamError(
            f"The stream {way} {self.device_id!r} was ended by the sound server, usually "
            "because the device was removed. Pick another device and start again."
        )

    def release_locked(self, error: BaseException | None) -> None:
        """Disconnect and free the ``pa_stream`` (mainloop lock held)."""
        stream, self.stream = self.stream, None
        self.fail(error or closed_error(self.direction))
        if stream is None:
            return
        ffi, lib = self.connection.ffi, self.connection.lib
        lib.pa_stream_set_state_callback(stream, ffi.NULL, ffi.NULL)
        lib.pa_stream_set_write_callback(stream, ffi.NULL, ffi.NULL)
        lib.pa_stream_set_read_callback(stream, ffi.NULL, ffi.NULL)
        lib.pa_stream_set_underflow_callback(stream, ffi.NULL, ffi.NULL)
        lib.pa_stream_set_overflow_callback(stream, ffi.NULL, ffi.NULL)
        if lib.pa_stream_get_state(stream) == STREAM_READY:
            lib.pa_stream_disconnect(stream)
        lib.pa_stream_unref(stream)


class _StreamCallbacks:
    """The C callbacks of every stream of one connection; ``userdata`` is the stream's key."""

    def __init__(self, connection: Connection) -> None:
        ffi, lib = connection.ffi, connection.lib
        cores = connection.cores
        pointer = ffi.new("const void **")
        size = ffi.new("size_t *")

        def report(exc_type: Any, exc: Any, tb: Any) -> None:
            _log.error("error in a libpulse stream callback", exc_info=(exc_type, exc, tb))

        def core_of(userdata: Any) -> _Core | None:
            return cores.get(int(ffi.cast("uintptr_t", userdata)))

        @c_callback(ffi, "pa_stream_notify_cb_t", report)
        def state(stream: Any, userdata: Any) -> None:
            core = core_of(userdata)
            if core is None:
                return
            if lib.pa_stream_get_state(stream) in (STREAM_FAILED, STREAM_TERMINATED):
                core.fail(core.vanished_error())
            else:
                core.signal.bump()

        @c_callback(ffi, "pa_stream_request_cb_t", report)
        def writable(stream: Any, _nbytes: int, userdata: Any) -> None:
            core = core_of(userdata)
            if core is None:
                return
            core.signal.bump()
            if not core.writing:
                core.drain_short_tail_locked(stream, self.drained_by_itself, userdata)

        @c_callback(ffi, "pa_stream_success_cb_t", report)
        def drained_by_itself(_stream: Any, ok: int, userdata: Any) -> None:
            core = core_of(userdata)
            if core is not None and core.drain_pending:
                core.drain_pending = False
                if ok and core.writes == core.drain_writes:  # nothing written since
                    core.drained = core.drained_by_itself = True

        @c_callback(ffi, "pa_stream_request_cb_t", report)
        def readable(stream: Any, _nbytes: int, userdata: Any) -> None:
            import numpy as np

            core = core_of(userdata)
            ring = None if core is None else core.ring
            while lib.pa_stream_peek(stream, pointer, size) == 0:
                nbytes = size[0]
                if nbytes == 0:
                    return  # nothing more readable
                try:
                    if ring is not None:
                        assert core is not None
                        frames = nbytes // core.frame_bytes
                        core.frames_received += frames
                        if pointer[0] == ffi.NULL:  # a hole: the server lost data
                            ring.push_silence(frames)
                        elif frames:
                            block = np.frombuffer(
                                ffi.buffer(pointer[0], frames * core.frame_bytes),
                                dtype=np.float32,
                            )
                            ring.push(block.reshape(frames, core.channels))
                finally:
                    lib.pa_stream_drop(stream)

        @c_callback(ffi, "pa_stream_notify_cb_t", report)
        def underflow(_stream: Any, userdata: Any) -> None:
            core = core_of(userdata)
            # pipewire-pulse reports an underflow after every drain: that is no gap.
            if core is not None and not (core.drain_pending or core.drained):
                core.underruns += 1

        @c_callback(ffi, "pa_stream_notify_cb_t", report)
        def overflow(_stream: Any, userdata: Any) -> None:
            core = core_of(userdata)
            if core is not None:
                core.server_overflows += 1

        @c_callback(ffi, "pa_stream_success_cb_t", report)
        def success(_stream: Any, ok: int, userdata: Any) -> None:
            ffi.from_handle(userdata).success = bool(ok)

        self.drained_by_itself = drained_by_itself
        self.state, self.writable, self.readable = state, writable, readable
        self.underflow, self.overflow, self.success = underflow, overflow, success


_callbacks_lock = threading.Lock()


def _callbacks(connection: Connection) -> _StreamCallbacks:
    """The stream callbacks of ``connection``, made once and kept as long as it lives."""
    with _callbacks_lock:
        found = getattr(connection, "_stream_callbacks", None)
        if found is None:
            found = _StreamCallbacks(connection)
            connection._stream_callbacks = found  # type: ignore[attr-defined]
        return found


class _Stream:
    """What playback and capture streams share: opening, state waits, latency, closing."""

    direction = "stream"

    def __init__(self, shared: Connection, kind: DeviceKind, config: StreamConfig) -> None:
        self._ffi, self._lib = shared.ffi, shared.lib
        self.channels = config.channels
        self.samplerate = config.samplerate
        self.device_id = config.device_id
        self._frame_bytes = 4 * config.channels
        self._key: int | None = None
        if not 0 < config.samplerate <= RATE_MAX:
            raise InvalidConfigError(
                f"PulseAudio cannot open a stream at {config.samplerate} Hz; "
                f"use a rate from 1 to {RATE_MAX} Hz, such as 44100 or 48000."
            )
        _rate, positions = shared.native_layout(kind, config.device_id)
        if len(positions) != config.channels:
            raise InvalidConfigError(
                f"{config.device_id!r} has {len(positions)} channels, not {config.channels}."
            )
        self._connection = connection = self._stream_connection(shared)
        #: Whether the stream has a connection of its own, closed with it.
        self._owns_connection = connection is not shared
        blocksize = config.blocksize or max(1, round(config.samplerate * DEFAULT_BLOCK_SECONDS))
        self.blocksize = blocksize
        #: Whether the caller left the block size to the library.
        self.default_blocksize = config.blocksize is None
        try:
            self._core = _Core(connection, self.direction, config.device_id)
            self._core.channels = config.channels
            self._core.frame_bytes = self._frame_bytes
            self._prepare_core(self._core, blocksize)
            key = self._open(config, positions, blocksize)
        except BaseException:
            if self._owns_connection:
                connection.close()
            raise
        self._finalizer = weakref.finalize(self, connection.release_later, key)
        self._finalizer.atexit = False  # at exit, closing the connection releases it

    def _stream_connection(self, shared: Connection) -> Connection:
        """The connection the stream runs on: the backend's, unless a direction needs its own."""
        return shared

    def _prepare_core(self, core: _Core, blocksize: int) -> None:
        """Give the core what its direction needs before callbacks can run."""

    def _open(self, config: StreamConfig, positions: list[int], blocksize: int) -> int:
        """Create and connect the ``pa_stream``; returns its key once it is ready."""
        ffi, lib, conn, core = self._ffi, self._lib, self._connection, self._core
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
        callbacks = _callbacks(conn)
        with conn.locked():
            conn.check_alive()
            stream = lib.pa_stream_new(conn.context, config.stream_name.encode(), spec, channel_map)
            if stream == ffi.NULL:
                raise conn.error(f"Creating a {self.direction} stream failed")
            core.stream = stream
            self._key = conn.add_core(core)
            userdata = ffi.cast("void *", self._key)
            lib.pa_stream_set_state_callback(stream, callbacks.state, userdata)
            self._set_callbacks(stream, callbacks, userdata)
            if self._connect(stream, config.device_id.encode(), attr, flags) < 0:
                error = conn.error(
                    f"Opening {config.device_id!r} for {self.direction} failed",
                    "Check that the device still exists and is not in use exclusively.",
                )
                conn.release_core_locked(self._key, error)
                raise error
        deadline = time.monotonic() + conn.timeout
        while True:
            with conn.locked():
                since = core.signal.count
                state = lib.pa_stream_get_state(stream) if core.stream is not None else None
                if state == STREAM_READY:
                    return self._key
                if state is None or state in (STREAM_FAILED, STREAM_TERMINATED):
                    conn.check_alive()  # the server died: say so, not "refused"
                    error = conn.error(
                        f"The sound server refused to open {config.device_id!r} for "
                        f"{self.direction} at {config.samplerate} Hz",
                        "Check the device and the sample rate.",
                    )
                    conn.release_core_locked(self._key, error)
                    raise error
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0 or not core.signal.wait_change(since, remaining):
                    raise conn.frozen_error(f"opening {config.device_id!r}")
            except BaseException:
                self._release()
                raise

    def _buffer_attr(self, blocksize: int) -> Any:
        raise NotImplementedError

    def _set_callbacks(self, stream: Any, callbacks: _StreamCallbacks, userdata: Any) -> None:
        raise NotImplementedError

    def _connect(self, stream: Any, device: bytes, attr: Any, flags: int) -> int:
        raise NotImplementedError

    def _check_locked(self) -> Any:
        """The ``pa_stream`` (lock held), or raise if the stream or connection has ended."""
        core = self._core
        core.signal.check()
        stream = core.stream
        if stream is None:
            raise closed_error(self.direction)
        self._connection.check_alive()
        if self._lib.pa_stream_get_state(stream) in (STREAM_FAILED, STREAM_TERMINATED):
            raise core.vanished_error()
        return stream

    def _run_stream_op(
        self, start: Callable[[Any, Any], Any], what: str, timeout: float | None = None
    ) -> Any:
        # run() calls its start function with the lock held: the stream is checked and used
        # in the same hold, so a close() from another thread cannot free it in between.
        return self._connection.run(
            lambda ud: start(self._check_locked(), ud), what, timeout, self._op_cancelled
        )

    def _op_cancelled(self) -> BaseException:
        error = self._core.signal.error
        return error if error is not None else self._connection.lost_error()

    @property
    def latency(self) -> float:
        """Seconds of audio between the application and the device, from the server."""
        ffi, lib = self._ffi, self._lib
        callbacks = _callbacks(self._connection)
        self._run_stream_op(
            lambda stream, ud: lib.pa_stream_update_timing_info(stream, callbacks.success, ud),
            "asking the server for the stream latency",
        )
        usec = ffi.new("pa_usec_t *")
        negative = ffi.new("int *")
        with self._connection.locked():
            stream = self._check_locked()
            if lib.pa_stream_get_latency(stream, usec, negative) < 0:
                attr = lib.pa_stream_get_buffer_attr(stream)
                return self._configured_latency(attr)
        value = usec[0] / 1e6
        return self._with_local_buffer(-value if negative[0] else value)

    def device_position(self) -> DevicePosition:
        """Which frame is at the device, and when: from the server's timing snapshot.

        The snapshot's indexes are the server's byte positions in this stream; they are
        turned into the application's frame numbers with what has been written or received.
        """
        ffi, lib = self._ffi, self._lib
        callbacks = _callbacks(self._connection)
        deadline = time.monotonic() + POSITION_SETTLE_SECONDS
        while True:
            self._run_stream_op(
                lambda stream, ud: lib.pa_stream_update_timing_info(stream, callbacks.success, ud),
                "asking the server where the stream is",
            )
            with self._connection.locked():
                stream = self._check_locked()
                info = lib.pa_stream_get_timing_info(stream)
                if info == ffi.NULL:
                    raise StreamError(
                        f"The sound server gave no timing for {self.device_id!r}; ask again "
                        "once the stream plays or records."
                    )
                # An index is "corrupt" when this side wrote or read while the question
                # was on its way: the snapshot no longer matches the application's count.
                if not (info.write_index_corrupt or info.read_index_corrupt):
                    wall, now = time.time(), time.perf_counter()
                    stamp = info.timestamp.tv_sec + info.timestamp.tv_usec / 1e6
                    if not info.synchronized_clocks:  # stamped on arrival here
                        stamp -= info.transport_usec / 1e6
                    frame = self._frame_at_device(info)
                    return DevicePosition(frame, now - (wall - stamp), self.samplerate)
            if time.monotonic() >= deadline:
                raise StreamError(
                    f"The sound server's position for {self.device_id!r} did not settle "
                    f"within {POSITION_SETTLE_SECONDS:g} s (audio kept moving while it was "
                    "asked); ask again."
                )

    def _frame_at_device(self, info: Any) -> float:
        raise NotImplementedError

    def _with_local_buffer(self, server_latency: float) -> float:
        """Add what waits on this side of the server (the capture ring) to its latency."""
        ring = self._core.ring
        if ring is None:
            return server_latency
        return max(0.0, server_latency + ring.available / self.samplerate)

    def _configured_latency(self, attr: Any) -> float:
        raise NotImplementedError

    @property
    def underruns(self) -> int:
        return self._core.underruns

    @property
    def overflows(self) -> int:
        ring = self._core.ring
        return self._core.server_overflows + (ring.overflows if ring is not None else 0)

    def close(self) -> None:
        """Release the stream; safe to call twice and from any thread."""
        self._finalizer.detach()
        self._release()

    def _release(self) -> None:
        key = self._key
        if key is None:
            return
        self._key = None
        try:
            with self._connection.locked():
                self._connection.release_core_locked(key)
        except ServerUnavailableError:
            self._core.fail(closed_error(self.direction))  # connection closed: nothing native left
        except AudioError:  # on libpulse's own thread: let the janitor release it
            self._core.fail(closed_error(self.direction))
            self._connection.release_later(key)
            return
        if self._owns_connection:
            self._connection.close(closed_error(self.direction))


class PulsePlayback(_Stream):
    """An output stream; ``write`` blocks only while the server's buffer is full."""

    direction = "playback"

    def _stream_connection(self, shared: Connection) -> Connection:
        # A player waits for the server about 200 times a second at the default buffer; on
        # a mainloop of its own that it runs itself, each wait is one wake-up of one thread
        # (see _pulse_driven), a third of the CPU of waking it from libpulse's thread. Not
        # on pipewire-pulse: it holds a short tail back until the client, asked for more
        # while idle, asks for a drain (see _StreamCallbacks.writable), and a loop nobody
        # runs between writes never answers (clicks after a pause were lost on the rig).
        if shared.holds_short_audio:
            return shared
        return shared.private_connection()

    def _prepare_core(self, core: _Core, blocksize: int) -> None:
        # A new stream is empty, as after a drain: its first write goes where the server
        # reads (pipewire-pulse may already have moved its read index on).
        core.drained = True
        self.buffer_frames = playback_buffer_frames(
            blocksize,
            self.samplerate,
            default=self.default_blocksize and not self._connection.holds_short_audio,
        )
        core.buffer_bytes = self.buffer_frames * self._frame_bytes
        if self._connection.holds_short_audio:
            frames = max(HOLD_FRAMES, 2 * blocksize)
            core.hold_threshold = frames * self._frame_bytes

    def _buffer_attr(self, blocksize: int) -> Any:
        buffer = self.buffer_frames * self._frame_bytes
        block = playback_request_frames(blocksize, self.buffer_frames) * self._frame_bytes
        # prebuf of one frame: playback starts with the first write and restarts at once
        # after an underrun, so a short click is never held back waiting for more data.
        return self._ffi.new(
            "pa_buffer_attr *",
            {
                "maxlength": UINT32_MAX,
                "tlength": buffer,
                "prebuf": self._frame_bytes,
                "minreq": block,
                "fragsize": UINT32_MAX,
            },
        )

    def _set_callbacks(self, stream: Any, callbacks: _StreamCallbacks, userdata: Any) -> None:
        if not self._owns_connection:  # its own loop's runs wake the writer (see pump)
            self._lib.pa_stream_set_write_callback(stream, callbacks.writable, userdata)
        self._lib.pa_stream_set_underflow_callback(stream, callbacks.underflow, userdata)

    def _connect(self, stream: Any, device: bytes, attr: Any, flags: int) -> int:
        ffi = self._ffi
        return int(
            self._lib.pa_stream_connect_playback(stream, device, attr, flags, ffi.NULL, ffi.NULL)
        )

    def _configured_latency(self, attr: Any) -> float:
        return float(attr.tlength / self._frame_bytes / self.samplerate)

    def _frame_at_device(self, info: Any) -> float:
        # read_index: what the sink has taken from the stream; sink_usec: how long it takes
        # from there to the converter. write_index ends at the last byte written.
        written = (info.write_index - self._core.bytes_written) / self._frame_bytes
        read = info.read_index / self._frame_bytes
        return float(read - written - info.sink_usec * self.samplerate / 1e6)

    def write(self, frames: np.ndarray) -> None:
        """Hand ``frames`` to the server, waiting while its buffer is full (bounded)."""
        ffi, conn, core = self._ffi, self._connection, self._core
        total = frames.nbytes
        if total == 0:
            return
        data = ffi.cast("char *", ffi.from_buffer(frames))
        timeout = conn.timeout
        with conn.holding():
            conn.run_pending()  # what the server said since the last call (a drain's end...)
            core.writing = True
            try:
                self._write_all(data, total, timeout)
            finally:
                core.writing = False
            if core.hold_threshold:
                with conn.locked():
                    stream = self._check_locked()
                    self._flush_short_tail_locked(stream)
            conn.run_pending()  # the audio leaves for the server now, not at the next wait

    def _flush_short_tail_locked(self, stream: Any) -> None:
        """On a server that holds back short audio, ask it to play a short queue out now."""
        callbacks = _callbacks(self._connection)
        userdata = self._ffi.cast("void *", self._key)
        self._core.drain_short_tail_locked(stream, callbacks.drained_by_itself, userdata)

    def _write_all(self, data: Any, total: int, timeout: float) -> None:
        """Write ``total`` bytes from ``data`` as the server makes room; give up after
        ``timeout`` s without progress."""
        ffi, lib, conn, core = self._ffi, self._lib, self._connection, self._core
        invalid_size = int(ffi.cast("size_t", -1))  # pa_stream_writable_size's error
        deadline = time.monotonic() + timeout
        offset = 0
        unrequested = 0  # bytes the server has room for without having asked for them
        # Only a writer kept waiting this long looks at the server (see _unstick): asking
        # pipewire-pulse more often, or writing to it unasked, disturbs a healthy stream.
        nudge = STALL_SECONDS
        while offset < total:
            with conn.locked():
                stream = self._check_locked()
                since = core.signal.count
                writable = lib.pa_stream_writable_size(stream)
                if writable == invalid_size:
                    raise conn.error("Sending audio to the sound server failed")
                writable = max(writable, unrequested)
                unrequested = 0
                count = min(writable, total - offset)
                count -= count % self._frame_bytes
                if count:
                    seek = SEEK_RELATIVE
                    if core.drained:  # the buffer is empty: write where the server reads
                        seek = SEEK_RELATIVE_ON_READ
                        if core.drained_by_itself:  # it ran dry between two writes
                            core.underruns += 1
                        core.drained = core.drained_by_itself = False
                    if lib.pa_stream_write(stream, data + offset, count, ffi.NULL, 0, seek) < 0:
                        raise conn.error("Sending audio to the sound server failed")
                    core.writes += 1
                    core.bytes_written += count
                    offset += count
                    deadline = time.monotonic() + timeout
                    continue
            remaining = deadline - time.monotonic()
            moved = remaining > 0 and core.signal.wait_change(since, min(remaining, nudge))
            if moved:
                continue
            if time.monotonic() >= deadline:
                raise conn.frozen_error(f"playing to {self.device_id!r}")
            unrequested = self._unstick(min(remaining, 1.0))

    def _server_queue(self, timeout: float) -> tuple[int, int] | None:
        """(bytes queued on the server, its read index) from a fresh timing snapshot; None
        when the snapshot has no usable indexes. A frozen server raises."""
        lib = self._lib
        callbacks = _callbacks(self._connection)
        self._run_stream_op(
            lambda stream, ud: lib.pa_stream_update_timing_info(stream, callbacks.success, ud),
            f"playing to {self.device_id!r}",
            timeout,
        )
        with self._connection.locked():
            stream = self._check_locked()
            info = lib.pa_stream_get_timing_info(stream)
            if info == self._ffi.NULL or info.write_index_corrupt or info.read_index_corrupt:
                return None
            return max(0, int(info.write_index - info.read_index)), int(info.read_index)

    def _played_out_unacknowledged(self, timeout: float, waited: float) -> bool:
        """While a drain is not answered after ``waited`` s: whether the server's buffer has
        been empty for :data:`STALL_SECONDS` all the same (pipewire-pulse 0.3 can leave a
        drain unanswered; it also answers late, with audio still in its graph, so an empty
        buffer alone is not the end); else restart a stream whose read index has stopped
        (see :meth:`_unstick`)."""
        queue = self._server_queue(min(1.0, timeout))
        if queue is not None and queue[0] == 0 and waited >= 2 * STALL_SECONDS:
            _log.debug("%s: played out, the drain unanswered", self.device_id)
            return True
        self._unstick(min(1.0, timeout))
        return False

    def _unstick(self, timeout: float) -> int:
        """Get a stream going that the server stopped serving; bytes it may be sent unasked.

        pipewire-pulse 0.3.65 sometimes stops reading a stream that ran dry and was written
        to again (about 1 play in 10 of a 0.1 s click with a drain after each, on the rig;
        rarer without drains): the stream stays "running", its buffer full, its read index
        still, and a writer or a drain waiting on it waited until the timeout. Seen from
        the server's own indexes: a read index that has not moved for
        :data:`STALL_SECONDS` with audio queued, on pipewire-pulse, is restarted by
        flushing the stream (corking does not restart it), which drops the few tens of ms
        it held: counted as an underrun and logged. A buffer below half is written to
        without a request. A frozen server does not answer, and raises.
        """
        queue = self._server_queue(timeout)
        if queue is None:
            return 0
        queued, read_index = queue
        core = self._core
        now = time.monotonic()
        if read_index != core.stuck_read_index:
            core.stuck_read_index, core.stuck_since = read_index, now
        elif (
            queued > 0
            and now - core.stuck_since >= STALL_SECONDS
            and self._connection.holds_short_audio  # pipewire-pulse: see above
        ):
            _log.warning(
                "%s: the sound server stopped playing the stream; dropping the %.0f ms it "
                "held to restart it",
                self.device_id,
                queued / self._frame_bytes / self.samplerate * 1000.0,
            )
            self._flush(timeout)
            core.underruns += 1  # an audible gap, like any underrun
            core.stuck_read_index = -1
            return core.buffer_bytes
        if queued < core.buffer_bytes // 2:
            _log.debug("%s: sending audio the server did not ask for", self.device_id)
            return core.buffer_bytes - queued
        return 0

    def _flush(self, timeout: float) -> None:
        lib = self._lib
        callbacks = _callbacks(self._connection)

        def start(stream: Any, userdata: Any) -> Any:
            return lib.pa_stream_flush(stream, callbacks.success, userdata)

        self._run_stream_op(start, f"restarting playback on {self.device_id!r}", timeout)

    def drain(self) -> None:
        """Wait until everything written has been played (bounded by what is queued)."""
        lib, core = self._lib, self._core
        callbacks = _callbacks(self._connection)
        queued = self.buffer_frames / self.samplerate
        core.drain_pending = True  # pipewire-pulse may report the underflow before the ack
        try:
            with self._connection.locked():
                mark = core.writes
            started = time.monotonic()
            deadline = started + self._connection.timeout + queued
            look = queued + STALL_SECONDS
            while True:  # in steps, to see a stream the server stopped serving
                remaining = deadline - time.monotonic()
                try:
                    reply = self._run_stream_op(
                        lambda stream, ud: lib.pa_stream_drain(stream, callbacks.success, ud),
                        "waiting for playback to finish",
                        max(0.01, min(look, remaining)),
                    )
                    break
                except ServerUnavailableError:
                    if remaining <= look:
                        raise self._connection.frozen_error(
                            f"playing to {self.device_id!r}", self._connection.timeout + queued
                        ) from None
                if self._played_out_unacknowledged(
                    max(0.01, deadline - time.monotonic()), time.monotonic() - started
                ):
                    reply = None
                    break
        finally:
            core.drain_pending = False
        if reply is not None and not reply.success:
            core.signal.check()
            raise StreamError(
                f"The sound server could not finish playback on {self.device_id!r}; "
                "the stream may have been closed. Open the player again."
            )
        if core.writes == mark:  # nothing written meanwhile (from another thread)
            core.drained, core.drained_by_itself = True, False


class PulseCapture(_Stream):
    """An input stream, read in one of two ways.

    *Pulled* (when libpulse's own queue holds :data:`CAPTURE_RING_SECONDS` of the stream):
    no Python runs on libpulse's thread; :meth:`read` sleeps until the frames it waits for
    should have arrived, then takes everything queued in one go. The source hands audio over
    in periods of a few milliseconds, and a Python callback for each (taking the GIL on
    libpulse's thread, then waking the reader) cost most of the CPU of recording.

    *Pushed* (more channels or a higher rate, where 4 MiB is under a few seconds): libpulse's
    thread copies every fragment into the stream's ring, which holds the seconds a late
    reader may need.
    """

    direction = "recording"

    def _prepare_core(self, core: _Core, blocksize: int) -> None:
        frames = min(
            round(CAPTURE_RING_SECONDS * self.samplerate),
            CAPTURE_RING_MAX_BYTES // self._frame_bytes,
        )
        core.ring = FrameRing(self.channels, max(frames, 16 * blocksize, 1024))
        self.pulled = (
            CAPTURE_RING_SECONDS * self.samplerate * self._frame_bytes <= CLIENT_QUEUE_BYTES
        )
        self._peeked = self._ffi.new("const void **")
        self._peeked_size = self._ffi.new("size_t *")
        self._last_pull = time.monotonic()

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

    def _set_callbacks(self, stream: Any, callbacks: _StreamCallbacks, userdata: Any) -> None:
        if not self.pulled:
            self._lib.pa_stream_set_read_callback(stream, callbacks.readable, userdata)
        self._lib.pa_stream_set_overflow_callback(stream, callbacks.overflow, userdata)

    def _connect(self, stream: Any, device: bytes, attr: Any, flags: int) -> int:
        return int(self._lib.pa_stream_connect_record(stream, device, attr, flags))

    def _configured_latency(self, attr: Any) -> float:
        return float(attr.fragsize / self._frame_bytes / self.samplerate)

    def _frame_at_device(self, info: Any) -> float:
        # write_index: what the server has put in the stream's queue; source_usec: how long
        # ago the newest of it was at the converter. read_index is what this side took.
        received = (info.read_index / self._frame_bytes) - self._core.frames_received
        return float(
            info.write_index / self._frame_bytes
            - received
            + info.source_usec * self.samplerate / 1e6
        )

    @property
    def capacity(self) -> int:
        """Frames the ring holds: the most one :meth:`read` can wait for."""
        ring = self._core.ring
        assert ring is not None
        return ring.capacity

    def read(self, min_frames: int) -> np.ndarray:
        """Wait until ``min(min_frames, capacity)`` frames have arrived; return all there are.

        ``min_frames=0`` never waits and never raises: after a failure it still returns
        what had arrived. Waiting raises :class:`StreamError` or
        :class:`ServerUnavailableError` when the stream ends, and the latter when no audio
        arrives for the server timeout.
        """
        ring = self._core.ring
        assert ring is not None
        if self.pulled:
            return self._read_pulled(ring, min_frames)
        if min_frames > 0:
            ring.wait_readable(
                min_frames,
                self._connection.timeout,
                lambda: self._connection.frozen_error(f"recording from {self.device_id!r}"),
            )
        return ring.take(ring.available)

    def _read_pulled(self, ring: FrameRing, min_frames: int) -> np.ndarray:
        if min_frames <= 0:
            with contextlib.suppress(AudioError):  # never raises: what arrived is returned
                self._pull(ring)
            return ring.take(ring.available)
        target = min(min_frames, ring.capacity)
        signal, timeout = self._core.signal, self._connection.timeout
        last_arrival = time.monotonic()
        while True:
            since = signal.count
            missing = target - ring.available
            # What arrived since the last pull, at the stream's rate: sleep first if it
            # cannot be enough, so that a read usually takes one pull and one wake-up.
            owed = missing - (time.monotonic() - self._last_pull) * self.samplerate
            if owed <= 0:
                if self._pull(ring):
                    last_arrival = time.monotonic()
                if ring.available >= target:
                    return ring.take(ring.available)
                owed = target - ring.available
            now = time.monotonic()
            if now - last_arrival >= timeout:
                raise self._connection.frozen_error(f"recording from {self.device_id!r}")
            pause = min(
                owed / self.samplerate + PULL_MARGIN_SECONDS,
                PULL_MAX_SLEEP_SECONDS,
                max(0.001, last_arrival + timeout - now),
            )
            signal.wait_change(since, pause)  # a failure or a close wakes it at once

    def _pull(self, ring: FrameRing) -> int:
        """Move everything libpulse has queued into the ring; returns the frames moved."""
        import numpy as np

        ffi, lib, core = self._ffi, self._lib, self._core
        pointer, size = self._peeked, self._peeked_size
        with self._connection.locked():
            self._last_pull = time.monotonic()
            stream = self._check_locked()
            readable = lib.pa_stream_readable_size(stream)
            if readable == 0 or readable == ffi.cast("size_t", -1):
                return 0
            out = np.empty(readable // 4, dtype=np.float32)
            dest = ffi.cast("char *", ffi.from_buffer(out))
            total = 0
            while total < readable and lib.pa_stream_peek(stream, pointer, size) == 0:
                nbytes = min(size[0], readable - total)
                if nbytes == 0:
                    break  # nothing more readable
                if pointer[0] == ffi.NULL:  # a hole: the server lost data
                    ffi.memmove(dest + total, bytes(nbytes), nbytes)  # silence
                else:
                    ffi.memmove(dest + total, pointer[0], nbytes)
                total += nbytes
                lib.pa_stream_drop(stream)
            frames = total // self._frame_bytes
            core.frames_received += frames  # with the lock, as device_position reads it
        if frames:
            ring.push(out[: frames * self.channels].reshape(frames, self.channels))
        return frames


class PulseAudioBackend:
    """:class:`~scgui.audio.backends.base.Backend` for PulseAudio and pipewire-pulse.

    ``server`` overrides libpulse's own choice (``PULSE_SERVER``, client.conf, the user's
    socket); ``timeout`` the seconds to wait for the server (default
    :func:`scgui.audio.get_timeout`). The connection is made on first use, and made again
    after the server restarted; device-change subscriptions carry over to it.
    """

    name = "PulseAudio"
    capabilities = Capabilities(
        loopback=True,
        exclusive_mode=False,
        set_default=True,
        volume=True,
        app_streams=True,
        stream_control=True,
        stream_move=True,
        app_name=True,
    )
    samplerate_range = (1, RATE_MAX)

    def __init__(
        self, server: str | None = None, app_name: str | None = None, timeout: float | None = None
    ) -> None:
        self._server = server
        self._app_name = check_app_name(app_name) if app_name else infer_program_name()
        self._timeout = None if timeout is None else check_timeout(timeout)
        self._lock = threading.Lock()
        self._connection_obj: Connection | None = None
        self._listeners: list[Callable[[str], None]] = []

    def _connection(self) -> Connection:
        with self._lock:
            current = self._connection_obj
            if current is None or not current.alive:
                if current is not None:
                    current.close()
                    self._connection_obj = None
                current = Connection(
                    self._server, self._app_name, on_event=self._dispatch, timeout=self._timeout
                )
                self._connection_obj = current
            wanted = bool(self._listeners)
        if wanted:
            current.subscribe()
        return current

    def _dispatch(self, notice: str) -> None:
        """Pass a raw notice ("devices", "server-lost") on (mainloop thread: no blocking)."""
        for listener in list(self._listeners):
            listener(notice)

    def close(self) -> None:
        """Disconnect; the next call connects again. Safe while other threads use streams."""
        with self._lock:
            current, self._connection_obj = self._connection_obj, None
        if current is not None:
            current.close()

    def list_devices(self, kind: DeviceKind) -> list[DeviceInfo]:
        return self._connection().list_devices(kind)

    def list_streams(self) -> list[AppStream]:
        return self._connection().list_streams()

    def move_stream(self, stream: AppStream, device_id: str) -> None:
        self._connection().move_stream(stream, device_id)

    def set_stream_volume(self, stream: AppStream, volumes: tuple[float, ...]) -> None:
        self._connection().set_stream_volume(stream, volumes)

    def set_stream_mute(self, stream: AppStream, muted: bool) -> None:
        self._connection().set_stream_mute(stream, muted)

    def volume_to_db(self, volume: float) -> float | None:
        """libpulse's own mapping (``pa_sw_volume_to_dB``); needs no server."""
        _ffi, lib = load_libpulse()
        return float(lib.pa_sw_volume_to_dB(round(min(max(volume, 0.0), 4.0) * VOLUME_NORM)))

    def default_device_id(self, kind: DeviceKind) -> str | None:
        info = self._connection().server_info()
        return info["default_sink" if kind == "speaker" else "default_source"]

    def open_playback(self, config: StreamConfig) -> PulsePlayback:
        return PulsePlayback(self._connection(), "speaker", config)

    def open_capture(self, config: StreamConfig) -> PulseCapture:
        return PulseCapture(self._connection(), "microphone", config)

    def subscribe(self, callback: Callable[[str], None]) -> _PulseSubscription:
        with self._lock:
            self._listeners.append(callback)
        try:
            self._connection()
        except BaseException:
            with self._lock:
                self._listeners.remove(callback)
            raise
        return _PulseSubscription(self, callback)

    def unsubscribe(self, callback: Callable[[str], None]) -> None:
        with self._lock:
            if callback in self._listeners:
                self._listeners.remove(callback)

    def device_info(self, kind: DeviceKind, device_id: str) -> DeviceInfo:
        return self._connection().device_info(kind, device_id)[0]

    def set_default(self, kind: DeviceKind, device_id: str) -> None:
        connection = self._connection()
        connection.device_info(kind, device_id)  # a missing device is an error, not a no-op
        connection.set_default(kind, device_id)
        self._wait_default(connection, kind, device_id)

    def _wait_default(self, connection: Connection, kind: DeviceKind, device_id: str) -> None:
        """Return once the server reports the new default (pipewire-pulse applies it late).

        Waits on the server's change notices, not on a clock.
        """
        key = "default_sink" if kind == "speaker" else "default_source"
        connection.subscribe()
        deadline = time.monotonic() + connection.timeout
        while True:
            since = connection.changes.count
            if connection.server_info()[key] == device_id:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not connection.changes.wait_change(since, remaining):
                raise BackendError(
                    f"The sound server accepted {device_id!r} as the default {kind} but did "
                    f"not apply it within {connection.timeout:.1f} s (a session manager such "
                    "as WirePlumber may have chosen another). Try again, or check its rules."
                )

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

    def server_address(self) -> str:
        """Where the server is (for messages and server events)."""
        connection = self._connection_obj
        if connection is not None:
            return connection.server_choice
        from ._pulse_connection import describe_server_choice

        return describe_server_choice(self._server)

    def server_info(self) -> dict[str, str | None]:
        """Defaults, name, version and sample rate of the server, as strings."""
        return self._connection().server_info()


class _PulseSubscription:
    def __init__(self, backend: PulseAudioBackend, callback: Callable[[str], None]) -> None:
        self._backend = backend
        self._callback = callback

    def close(self) -> None:
        self._backend.unsubscribe(self._callback)
