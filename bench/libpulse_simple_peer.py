"""libpulse's simple API as a benchmark peer: the floor of the CPU figures.

``pa_simple_read`` and ``pa_simple_write`` wait inside libpulse-simple, in C: libpulse's
mainloop thread signals a condition variable and no Python runs between the calls. A stream
opened here gets the buffer attributes a scgui.audio stream would get for the same block
size, so what it costs is what any libpulse client pays for that stream, and the distance
from it to scgui.audio is what scgui's Python costs. Nobody would record with it (no
timeouts: a frozen server blocks a call for good), which is why it is only a reference.

Loaded through cffi in ABI mode, as scgui.audio loads libpulse.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
from collections.abc import Iterator
from typing import Any

from peer_libraries import Peer, PlayerAdapter, RecorderAdapter

LIBRARY = "libpulse-simple.so.0"
SAMPLE_FLOAT32LE = 5
STREAM_PLAYBACK, STREAM_RECORD = 1, 2
POSITION_FRONT_LEFT, POSITION_FRONT_RIGHT, POSITION_AUX0 = 1, 2, 12
UINT32_MAX = 0xFFFFFFFF

CDEF = """
typedef struct pa_simple pa_simple;
typedef struct { int format; uint32_t rate; uint8_t channels; } pa_sample_spec;
typedef struct { uint8_t channels; int map[32]; } pa_channel_map;
typedef struct {
    uint32_t maxlength; uint32_t tlength; uint32_t prebuf; uint32_t minreq; uint32_t fragsize;
} pa_buffer_attr;
pa_simple *pa_simple_new(const char *server, const char *name, int dir, const char *dev,
    const char *stream_name, const pa_sample_spec *ss, const pa_channel_map *map,
    const pa_buffer_attr *attr, int *error);
int pa_simple_write(pa_simple *s, const void *data, size_t bytes, int *error);
int pa_simple_read(pa_simple *s, void *data, size_t bytes, int *error);
int pa_simple_drain(pa_simple *s, int *error);
uint64_t pa_simple_get_latency(pa_simple *s, int *error);
void pa_simple_free(pa_simple *s);
const char *pa_strerror(int error);
"""


def libpulse_version() -> str | None:
    """The version of the libpulse on this machine (what both libraries here run on)."""
    name = ctypes.util.find_library("pulse")
    if name is None:
        return None
    function = ctypes.CDLL(name).pa_get_library_version
    function.restype = ctypes.c_char_p
    version: bytes = function()
    return version.decode()


def sample_spec_and_map(ffi: Any, samplerate: int, channels: int) -> tuple[Any, Any]:
    """float32 at ``samplerate``; front left/right for stereo, else aux0.. (the rig's maps)."""
    spec = ffi.new(
        "pa_sample_spec *",
        {"format": SAMPLE_FLOAT32LE, "rate": samplerate, "channels": channels},
    )
    channel_map = ffi.new("pa_channel_map *")
    channel_map.channels = channels
    positions = (
        [POSITION_FRONT_LEFT, POSITION_FRONT_RIGHT]
        if channels == 2
        else [POSITION_AUX0 + i for i in range(channels)]
    )
    for index, position in enumerate(positions):
        channel_map.map[index] = position
    return spec, channel_map


def scgui_buffer_attr(
    playback: bool, samplerate: int, channels: int, blocksize: int | None
) -> dict[str, int]:
    """The ``pa_buffer_attr`` (bytes) scgui.audio's PulseAudio backend asks for such a stream.

    On PulseAudio itself (pipewire-pulse gets four blocks at the defaults).
    """
    from scgui.audio.backends import pulseaudio as scgui_pulse

    block = blocksize or max(1, round(samplerate * scgui_pulse.DEFAULT_BLOCK_SECONDS))
    frame_bytes = 4 * channels
    if not playback:
        return {
            "maxlength": UINT32_MAX,
            "tlength": UINT32_MAX,
            "prebuf": UINT32_MAX,
            "minreq": UINT32_MAX,
            "fragsize": block * frame_bytes,
        }
    buffer = scgui_pulse.playback_buffer_frames(block, samplerate, default=blocksize is None)
    return {
        "maxlength": UINT32_MAX,
        "tlength": buffer * frame_bytes,
        "prebuf": frame_bytes,
        "minreq": scgui_pulse.playback_request_frames(block, buffer) * frame_bytes,
        "fragsize": UINT32_MAX,
    }


class _Simple:
    """One ``pa_simple`` connection and stream."""

    def __init__(self, ffi: Any, lib: Any, handle: Any, frame_bytes: int) -> None:
        self.ffi, self.lib, self.handle, self.frame_bytes = ffi, lib, handle, frame_bytes
        self.error = ffi.new("int *")

    def check(self, result: int, what: str) -> None:
        if result < 0:
            message = self.ffi.string(self.lib.pa_strerror(self.error[0])).decode()
            raise RuntimeError(f"pa_simple_{what} failed: {message}")

    def latency(self) -> float:
        return float(self.lib.pa_simple_get_latency(self.handle, self.error)) / 1e6

    def free(self) -> None:
        self.lib.pa_simple_free(self.handle)


class _SimplePlayer(PlayerAdapter):
    def __init__(self, simple: _Simple) -> None:
        self._simple = simple

    def write(self, frames: Any) -> None:
        s = self._simple
        s.check(
            s.lib.pa_simple_write(s.handle, s.ffi.from_buffer(frames), frames.nbytes, s.error),
            "write",
        )

    def drain(self) -> None:
        s = self._simple
        s.check(s.lib.pa_simple_drain(s.handle, s.error), "drain")

    def reported_latency(self) -> float | None:
        return self._simple.latency()


class _SimpleRecorder(RecorderAdapter):
    def __init__(self, simple: _Simple, channels: int) -> None:
        self._simple, self._channels = simple, channels

    def read(self, frames: int) -> Any:
        import numpy as np

        s = self._simple
        block = np.empty((frames, self._channels), dtype=np.float32)
        s.check(
            s.lib.pa_simple_read(s.handle, s.ffi.from_buffer(block), block.nbytes, s.error), "read"
        )
        return block

    def reported_latency(self) -> float | None:
        return self._simple.latency()


class LibpulseSimplePeer(Peer):
    """libpulse-simple: blocking reads and writes whose waits are all in C."""

    name = "pasimple"

    def __init__(self) -> None:
        import cffi

        self.ffi = cffi.FFI()
        self.ffi.cdef(CDEF)
        try:
            self.lib: Any = self.ffi.dlopen(LIBRARY)
        except OSError as exc:
            raise RuntimeError(f"{LIBRARY} is missing: apt-get install libpulse0 ({exc})") from exc

    def list_speakers(self) -> list[str]:
        raise NotImplementedError("libpulse-simple lists no devices")

    def settings(self, blocksize: int | None) -> dict[str, Any]:
        return {"blocksize": blocksize, "buffer": "as scgui.audio's for that block size"}

    def _open(
        self, direction: int, device: str, samplerate: int, channels: int, attr: dict[str, int]
    ) -> _Simple:
        ffi = self.ffi
        spec, channel_map = sample_spec_and_map(ffi, samplerate, channels)
        error = ffi.new("int *")
        handle = self.lib.pa_simple_new(
            ffi.NULL,
            b"bench-libpulse-simple",
            direction,
            device.encode(),
            b"bench",
            spec,
            channel_map,
            ffi.new("pa_buffer_attr *", attr),
            error,
        )
        if handle == ffi.NULL:
            message = ffi.string(self.lib.pa_strerror(error[0])).decode()
            raise RuntimeError(f"libpulse-simple could not open {device!r}: {message}")
        return _Simple(ffi, self.lib, handle, 4 * channels)

    @contextlib.contextmanager
    def player(
        self, device: str, samplerate: int, channels: int, blocksize: int | None
    ) -> Iterator[PlayerAdapter]:
        attr = scgui_buffer_attr(True, samplerate, channels, blocksize)
        simple = self._open(STREAM_PLAYBACK, device, samplerate, channels, attr)
        try:
            yield _SimplePlayer(simple)
        finally:
            simple.free()

    @contextlib.contextmanager
    def recorder(
        self, device: str, samplerate: int, channels: int, blocksize: int | None
    ) -> Iterator[RecorderAdapter]:
        attr = scgui_buffer_attr(False, samplerate, channels, blocksize)
        simple = self._open(STREAM_RECORD, device, samplerate, channels, attr)
        try:
            yield _SimpleRecorder(simple, channels)
        finally:
            simple.free()
