"""A stream on a private, non-threaded ``pa_mainloop`` that the caller runs while it waits.

The other design the CPU figures point at. scgui.audio runs every stream on one
``pa_threaded_mainloop``: libpulse's thread takes the GIL for a Python callback on each
server request and wakes the waiting writer, which then takes the GIL and the mainloop lock
back; every request costs several handoffs between two threads. Here the reading or writing
thread polls the connection itself (``pa_mainloop_prepare``/``poll``/``dispatch``, the GIL
released while it sleeps in ``poll``), so a request costs one wake-up of one thread and no
Python callback. Between two calls nothing runs the loop: the server's messages wait in the
socket.

A benchmark peer only (no device lists, no timeouts beyond the poll's): it shows what that
design would cost, with the buffer attributes a scgui.audio stream gets (see
``libpulse_simple_peer.py``), in the same run as the libraries.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from libpulse_simple_peer import sample_spec_and_map, scgui_buffer_attr
from peer_libraries import Peer, PlayerAdapter, RecorderAdapter

LIBRARY = "libpulse.so.0"
CONTEXT_READY, CONTEXT_FAILED, CONTEXT_TERMINATED = 4, 5, 6
STREAM_READY, STREAM_FAILED, STREAM_TERMINATED = 2, 3, 4
STREAM_ADJUST_LATENCY = 0x2000
POLL_SECONDS = 1.0
OPEN_SECONDS = 10.0

CDEF = """
typedef struct pa_mainloop pa_mainloop;
typedef struct pa_mainloop_api pa_mainloop_api;
typedef struct pa_context pa_context;
typedef struct pa_stream pa_stream;
typedef struct pa_operation pa_operation;
typedef struct { int format; uint32_t rate; uint8_t channels; } pa_sample_spec;
typedef struct { uint8_t channels; int map[32]; } pa_channel_map;
typedef struct {
    uint32_t maxlength; uint32_t tlength; uint32_t prebuf; uint32_t minreq; uint32_t fragsize;
} pa_buffer_attr;
pa_mainloop *pa_mainloop_new(void);
pa_mainloop_api *pa_mainloop_get_api(pa_mainloop *m);
int pa_mainloop_prepare(pa_mainloop *m, int timeout);
int pa_mainloop_poll(pa_mainloop *m);
int pa_mainloop_dispatch(pa_mainloop *m);
void pa_mainloop_free(pa_mainloop *m);
pa_context *pa_context_new(pa_mainloop_api *api, const char *name);
int pa_context_connect(pa_context *c, const char *server, int flags, const void *api);
int pa_context_get_state(pa_context *c);
void pa_context_disconnect(pa_context *c);
void pa_context_unref(pa_context *c);
pa_stream *pa_stream_new(pa_context *c, const char *name, const pa_sample_spec *ss,
    const pa_channel_map *map);
int pa_stream_connect_playback(pa_stream *s, const char *dev, const pa_buffer_attr *attr,
    int flags, const void *volume, pa_stream *sync_stream);
int pa_stream_connect_record(pa_stream *s, const char *dev, const pa_buffer_attr *attr,
    int flags);
int pa_stream_get_state(pa_stream *s);
size_t pa_stream_writable_size(pa_stream *s);
size_t pa_stream_readable_size(pa_stream *s);
int pa_stream_write(pa_stream *s, const void *data, size_t nbytes, void *free_cb,
    int64_t offset, int seek);
int pa_stream_peek(pa_stream *s, const void **data, size_t *nbytes);
int pa_stream_drop(pa_stream *s);
pa_operation *pa_stream_drain(pa_stream *s, void *cb, void *userdata);
int pa_operation_get_state(pa_operation *o);
void pa_operation_unref(pa_operation *o);
int pa_stream_disconnect(pa_stream *s);
void pa_stream_unref(pa_stream *s);
"""
OPERATION_RUNNING = 0


class _DrivenStream:
    """A context and one stream on a mainloop that only the calling thread runs."""

    def __init__(self, ffi: Any, lib: Any, channels: int) -> None:
        self.ffi, self.lib = ffi, lib
        self.frame_bytes = 4 * channels
        self.mainloop = lib.pa_mainloop_new()
        self.context = lib.pa_context_new(lib.pa_mainloop_get_api(self.mainloop), b"bench")
        self.stream: Any = ffi.NULL
        if lib.pa_context_connect(self.context, ffi.NULL, 0, ffi.NULL) < 0:
            raise RuntimeError("pa_context_connect failed")
        self.until(lambda: self._context_ready(), OPEN_SECONDS, "connecting")

    def _context_ready(self) -> bool:
        state = self.lib.pa_context_get_state(self.context)
        if state in (CONTEXT_FAILED, CONTEXT_TERMINATED):
            raise RuntimeError("the connection to the server failed")
        return bool(state == CONTEXT_READY)

    def stream_ready(self) -> bool:
        state = self.lib.pa_stream_get_state(self.stream)
        if state in (STREAM_FAILED, STREAM_TERMINATED):
            raise RuntimeError("the stream failed")
        return bool(state == STREAM_READY)

    def step(self, seconds: float) -> None:
        """Sleep in poll() until the server sends something (or ``seconds``), then handle it."""
        lib = self.lib
        if lib.pa_mainloop_prepare(self.mainloop, int(seconds * 1e6)) < 0:
            raise RuntimeError("the mainloop failed")
        lib.pa_mainloop_poll(self.mainloop)
        lib.pa_mainloop_dispatch(self.mainloop)

    def until(self, done: Any, seconds: float, what: str) -> None:
        deadline = time.monotonic() + seconds
        while not done():
            if time.monotonic() >= deadline:
                raise RuntimeError(f"the server did not answer while {what}")
            self.step(POLL_SECONDS)

    def open(
        self, channels: int, samplerate: int, device: str, attr: dict[str, int], playback: bool
    ) -> None:
        ffi, lib = self.ffi, self.lib
        spec, channel_map = sample_spec_and_map(ffi, samplerate, channels)
        self.stream = lib.pa_stream_new(self.context, b"bench", spec, channel_map)
        buffer_attr = ffi.new("pa_buffer_attr *", attr)
        if playback:
            result = lib.pa_stream_connect_playback(
                self.stream,
                device.encode(),
                buffer_attr,
                STREAM_ADJUST_LATENCY,
                ffi.NULL,
                ffi.NULL,
            )
        else:
            result = lib.pa_stream_connect_record(
                self.stream, device.encode(), buffer_attr, STREAM_ADJUST_LATENCY
            )
        if result < 0:
            raise RuntimeError(f"could not open {device!r}")
        self.until(self.stream_ready, OPEN_SECONDS, f"opening {device!r}")

    def close(self) -> None:
        lib = self.lib
        if self.stream != self.ffi.NULL:
            lib.pa_stream_disconnect(self.stream)
            lib.pa_stream_unref(self.stream)
        lib.pa_context_disconnect(self.context)
        lib.pa_context_unref(self.context)
        lib.pa_mainloop_free(self.mainloop)


class _DrivenPlayer(PlayerAdapter):
    def __init__(self, driven: _DrivenStream) -> None:
        self._driven = driven

    def write(self, frames: Any) -> None:
        d = self._driven
        ffi, lib, stream = d.ffi, d.lib, d.stream
        data = ffi.cast("char *", ffi.from_buffer(frames))
        offset, total = 0, frames.nbytes
        while offset < total:
            room = min(lib.pa_stream_writable_size(stream), total - offset)
            room -= room % d.frame_bytes
            if room:
                if lib.pa_stream_write(stream, data + offset, room, ffi.NULL, 0, 0) < 0:
                    raise RuntimeError("pa_stream_write failed")
                offset += room
            else:
                d.stream_ready()  # raises once the stream has failed
                d.step(POLL_SECONDS)

    def drain(self) -> None:
        d = self._driven
        operation = d.lib.pa_stream_drain(d.stream, d.ffi.NULL, d.ffi.NULL)
        try:
            d.until(
                lambda: d.lib.pa_operation_get_state(operation) != OPERATION_RUNNING,
                OPEN_SECONDS,
                "draining",
            )
        finally:
            d.lib.pa_operation_unref(operation)

    def reported_latency(self) -> float | None:
        return None


class _DrivenRecorder(RecorderAdapter):
    def __init__(self, driven: _DrivenStream, channels: int) -> None:
        self._driven, self._channels = driven, channels
        self._pointer = driven.ffi.new("const void **")
        self._size = driven.ffi.new("size_t *")
        self._left = b""  # the end of a fragment a read did not need

    def read(self, frames: int) -> Any:
        import numpy as np

        d = self._driven
        ffi, lib, stream = d.ffi, d.lib, d.stream
        out = np.empty((frames, self._channels), dtype=np.float32)
        dest = ffi.cast("char *", ffi.from_buffer(out))
        wanted = out.nbytes
        got = min(len(self._left), wanted)
        ffi.memmove(dest, self._left[:got], got)
        self._left = self._left[got:]
        while got < wanted:
            if lib.pa_stream_readable_size(stream) == 0:
                d.stream_ready()
                d.step(POLL_SECONDS)
                continue
            if lib.pa_stream_peek(stream, self._pointer, self._size) < 0:
                raise RuntimeError("pa_stream_peek failed")
            size = self._size[0]
            if size == 0:
                continue
            take = min(size, wanted - got)
            if self._pointer[0] == ffi.NULL:  # a hole
                ffi.memmove(dest + got, bytes(take), take)
                self._left = bytes(size - take)
            else:
                ffi.memmove(dest + got, self._pointer[0], take)
                self._left = ffi.buffer(self._pointer[0], size)[take:]
            got += take
            lib.pa_stream_drop(stream)
        return out

    def reported_latency(self) -> float | None:
        return None


class DrivenMainloopPeer(Peer):
    """libpulse with a private non-threaded mainloop per stream, run by the caller."""

    name = "pamainloop"

    def __init__(self) -> None:
        import cffi

        self.ffi = cffi.FFI()
        self.ffi.cdef(CDEF)
        self.lib: Any = self.ffi.dlopen(LIBRARY)

    def list_speakers(self) -> list[str]:
        raise NotImplementedError("this peer lists no devices")

    def settings(self, blocksize: int | None) -> dict[str, Any]:
        return {"blocksize": blocksize, "buffer": "as scgui.audio's for that block size"}

    @contextlib.contextmanager
    def _stream(
        self, device: str, samplerate: int, channels: int, attr: dict[str, int], playback: bool
    ) -> Iterator[_DrivenStream]:
        driven = _DrivenStream(self.ffi, self.lib, channels)
        try:
            driven.open(channels, samplerate, device, attr, playback)
            yield driven
        finally:
            driven.close()

    @contextlib.contextmanager
    def player(
        self, device: str, samplerate: int, channels: int, blocksize: int | None
    ) -> Iterator[PlayerAdapter]:
        attr = scgui_buffer_attr(True, samplerate, channels, blocksize)
        with self._stream(device, samplerate, channels, attr, True) as driven:
            yield _DrivenPlayer(driven)

    @contextlib.contextmanager
    def recorder(
        self, device: str, samplerate: int, channels: int, blocksize: int | None
    ) -> Iterator[RecorderAdapter]:
        attr = scgui_buffer_attr(False, samplerate, channels, blocksize)
        with self._stream(device, samplerate, channels, attr, False) as driven:
            yield _DrivenRecorder(driven, channels)
