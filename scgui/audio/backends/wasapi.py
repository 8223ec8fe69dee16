""":class:`~scgui.audio.backends.base.Backend` for Windows: WASAPI through COM, in ABI mode.

Devices come from the MMDevice API (IMMDeviceEnumerator): render endpoints are speakers,
capture endpoints microphones, and every render endpoint is also a loopback microphone (the
same id, recorded with ``AUDCLNT_STREAMFLAGS_LOOPBACK``). Each stream runs on a thread of its
own, which owns every COM object of the stream: it initialises the audio client in shared,
event-driven mode with a float32 WAVEFORMATEXTENSIBLE of all the device's channels, then waits
on the buffer event and only copies between the device buffer and the stream's
:class:`~scgui.audio.ring.FrameRing`. Channel maps, framing and checks are the shared code's.

Under Wine (which implements WASAPI on PulseAudio) loopback capture, exclusive mode and
device notifications are missing: :attr:`WasapiBackend.capabilities` says so, and opening a
loopback stream there raises a clear error.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import (
    AudioError,
    BackendError,
    DeviceNotFoundError,
    InvalidConfigError,
    ServerUnavailableError,
    StreamError,
)
from ..ring import FrameRing, closed_error
from ..timeouts import get_timeout
from . import _wasapi_cdef as decl
from . import _wasapi_sessions as sessions
from ._com import (
    check,
    ensure_com,
    ffi,
    guid,
    hresult_name,
    kernel32,
    ole32,
    property_key,
    qpc_to_perf_counter,
    release,
    running_under_wine,
    task_free,
    unsigned,
    wide_string,
)
from ._facade import CaptureFacade, PlaybackFacade, RingReads
from ._notices import NoticeHub, NoticeSubscription
from ._wasapi_format import describe_mix_format, float_format, mask_for, positions
from .base import (
    AppStream,
    Capabilities,
    DeviceInfo,
    DeviceKind,
    DevicePosition,
    StreamConfig,
    device_in,
)

if TYPE_CHECKING:  # numpy is imported where used: listing devices does without it
    import numpy as np

_log = logging.getLogger(__name__)
_T = TypeVar("_T")

REFTIMES_PER_SECOND = 10_000_000
DEVICE_INVALIDATED = 0x88890004
WRONG_ENDPOINT_TYPE = 0x88890003
CLASS_NOT_REGISTERED = 0x80040154
NOT_FOUND = 0x80070490
#: How long the stream thread waits for a buffer event before looking at its flags again.
EVENT_WAIT_MS = 100
#: A drain stops waiting for the device clock once it has not moved for this long.
HEARD_STILL_SECONDS = 0.25
#: Capture buffers: generous, as the stream thread shares the interpreter with the program.
CAPTURE_BUFFER_SECONDS = 0.2
CAPTURE_RING_SECONDS = 4.0
#: A loopback endpoint sends no packets while nothing plays: after this long without one,
#: silence is delivered at the stream's rate instead.
LOOPBACK_SILENCE_AFTER = 0.05


def _flow(kind: DeviceKind) -> int:
    return decl.E_RENDER if kind == "speaker" else decl.E_CAPTURE


class _Endpoint:
    """What one listing learnt about an endpoint (mix format included)."""

    def __init__(self, device_id: str, name: str, flow: int, rate: int, channels: int) -> None:
        self.id, self.name, self.flow = device_id, name, flow
        self.samplerate, self.channels = rate, channels
        self.mask: int | None = None
        self.period: float | None = None


@contextlib.contextmanager
def _enumerator() -> Iterator[Any]:
    """An IMMDeviceEnumerator on the calling thread, released afterwards."""
    ensure_com()
    out = ffi.new("IMMDeviceEnumerator **")
    hr = ole32().CoCreateInstance(
        guid(decl.CLSID_MMDEVICE_ENUMERATOR),
        ffi.NULL,
        decl.CLSCTX_ALL,
        guid(decl.IID_IMMDEVICE_ENUMERATOR),
        ffi.cast("void **", out),
    )
    if hr < 0:
        if unsigned(hr) == CLASS_NOT_REGISTERED:
            raise ServerUnavailableError(
                "The Windows audio service is not available (MMDeviceEnumerator: "
                f"{hresult_name(hr)}). Start the 'Windows Audio' service; under Wine, make sure "
                "PulseAudio runs and PULSE_SERVER points at it."
            )
        check(hr, "Creating the audio device enumerator")
    try:
        yield out[0]
    finally:
        release(out[0])


def _device_id(device: Any) -> str:
    out = ffi.new("LPWSTR *")
    check(device.lpVtbl.GetId(device, out), "IMMDevice::GetId")
    try:
        return wide_string(out[0])
    finally:
        task_free(out[0])


def _friendly_name(device: Any) -> str:
    store = ffi.new("IPropertyStore **")
    if device.lpVtbl.OpenPropertyStore(device, decl.STGM_READ, store) < 0:
        return ""
    value = ffi.new("PROPVARIANT *")
    try:
        key = property_key(*decl.PKEY_DEVICE_FRIENDLY_NAME)
        hr = store[0].lpVtbl.GetValue(store[0], key, value)
        if hr < 0 or value.vt != decl.VT_LPWSTR:
            return ""
        return wide_string(value.pwszVal)
    finally:
        ole32().PropVariantClear(value)
        release(store[0])


def _activate_client(device: Any, what: str) -> Any:
    out = ffi.new("IAudioClient **")
    hr = device.lpVtbl.Activate(
        device, guid(decl.IID_IAUDIO_CLIENT), decl.CLSCTX_ALL, ffi.NULL, ffi.cast("void **", out)
    )
    check(hr, f"Opening {what}")
    return out[0]


def _mix_format(client: Any, name: str) -> tuple[int, int, int | None]:
    """The shared-mode format of an activated client: (rate, channels, channel mask)."""
    mix = ffi.new("WAVEFORMATEX **")
    check(client.lpVtbl.GetMixFormat(client, mix), f"Reading the format of {name!r}")
    try:
        return describe_mix_format(mix[0])
    finally:
        task_free(mix[0])


def _describe(device: Any, flow: int) -> _Endpoint:
    device_id = _device_id(device)
    name = _friendly_name(device) or device_id
    client = _activate_client(device, repr(name))
    try:
        rate, channels, mask = _mix_format(client, name)
        endpoint = _Endpoint(device_id, name, flow, rate, channels)
        endpoint.mask = mask
        default_period = ffi.new("REFERENCE_TIME *")
        minimum = ffi.new("REFERENCE_TIME *")
        if client.lpVtbl.GetDevicePeriod(client, default_period, minimum) >= 0:
            endpoint.period = int(default_period[0]) / REFTIMES_PER_SECOND
        return endpoint
    finally:
        release(client)


def _each_device(enumerator: Any, flow: int) -> Generator[Any, None, None]:
    """Every active endpoint of ``flow`` as an IMMDevice, valid until the next is yielded."""
    collection = ffi.new("IMMDeviceCollection **")
    hr = enumerator.lpVtbl.EnumAudioEndpoints(
        enumerator, flow, decl.DEVICE_STATE_ACTIVE, collection
    )
    check(hr, "Listing audio endpoints")
    try:
        count = ffi.new("UINT *")
        check(collection[0].lpVtbl.GetCount(collection[0], count), "Counting audio endpoints")
        for index in range(count[0]):
            device = ffi.new("IMMDevice **")
            if collection[0].lpVtbl.Item(collection[0], index, device) < 0:
                continue
            try:
                yield device[0]
            finally:
                release(device[0])
    finally:
        release(collection[0])


def _list_endpoints(enumerator: Any, flow: int) -> list[_Endpoint]:
    endpoints = []
    for device in _each_device(enumerator, flow):
        try:
            endpoints.append(_describe(device, flow))
        except BackendError as exc:  # one broken endpoint does not hide the others
            _log.warning("skipping an audio endpoint: %s", exc)
    return endpoints


def _info(endpoint: _Endpoint, kind: DeviceKind, loopback: bool) -> DeviceInfo:
    mask = mask_for(endpoint.channels, endpoint.mask)
    machine, display = positions(endpoint.channels, mask)
    return DeviceInfo(
        id=endpoint.id,
        name=endpoint.name,
        kind=kind,
        channels=endpoint.channels,
        channel_names=display,
        channel_positions=machine,
        samplerate=endpoint.samplerate,
        isloopback=loopback,
        monitor_of=endpoint.id if loopback else None,
        latency=endpoint.period,
        extra={"channel_mask": f"0x{mask:X}"},
    )


def _get_device(enumerator: Any, device_id: str) -> Any:
    device = ffi.new("IMMDevice **")
    hr = enumerator.lpVtbl.GetDevice(enumerator, device_id, device)
    if hr < 0:
        raise DeviceNotFoundError(
            f"There is no audio endpoint {device_id!r} any more ({hresult_name(hr)}): it was "
            "unplugged or disabled. List the devices again."
        )
    return device[0]


def _data_flow(device: Any) -> int:
    endpoint = ffi.new("IMMEndpoint **")
    iid = guid(decl.IID_IMMENDPOINT)
    hr = device.lpVtbl.QueryInterface(device, iid, ffi.cast("void **", endpoint))
    check(hr, "IMMDevice::QueryInterface(IMMEndpoint)")
    try:
        flow = ffi.new("int *")
        check(endpoint[0].lpVtbl.GetDataFlow(endpoint[0], flow), "IMMEndpoint::GetDataFlow")
        return int(flow[0])
    finally:
        release(endpoint[0])


# -- streams ---------------------------------------------------------------------------------


class LoopbackClock:
    """Keeps a loopback recording on time while Windows sends no packets (nothing plays).

    Counts the frames delivered since the stream started; once no packet came for
    :data:`LOOPBACK_SILENCE_AFTER` seconds, :meth:`silence_due` says how many silent frames
    bring the recording up to the wall clock, so a ``record()`` gets silence at the right
    rate instead of waiting until something plays.
    """

    def __init__(self, samplerate: int, now: float) -> None:
        self._rate = samplerate
        self._started = self._last_packet = now
        self._frames = 0

    def delivered(self, frames: int, now: float) -> None:
        self._frames += frames
        self._last_packet = now

    def silence_due(self, now: float) -> int:
        if now - self._last_packet <= LOOPBACK_SILENCE_AFTER:
            return 0
        due = max(0, int((now - self._started) * self._rate) - self._frames)
        self._frames += due
        return due


class _Stream:
    """One WASAPI stream on a thread of its own; subclasses move the audio."""

    direction = "playback"

    def __init__(self, config: StreamConfig, render: bool) -> None:
        self.device_id = config.device_id
        self.samplerate = config.samplerate
        self.channels = config.channels
        self._config = config
        self._render = render
        self._loopback = False
        self._closing = threading.Event()
        self._ready = threading.Event()
        self._setup_error: BaseException | None = None
        self._exclusive = False
        self._latency = 0.0
        self._buffer_frames = 0
        self._name = config.device_id
        self.ring: FrameRing | None = None
        #: (frame, perf_counter time) of the newest position seen on the stream thread.
        self._position: tuple[float, float] | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"scgui-wasapi-{self.direction}", daemon=True
        )
        _live_cores.add(self)
        self._thread.start()
        if not self._ready.wait(max(get_timeout(), 5.0)):
            self._closing.set()
            raise ServerUnavailableError(
                f"Opening {self.direction} on {self._name!r} did not finish within "
                f"{max(get_timeout(), 5.0):.0f} s: the Windows audio service does not answer."
            )
        if self._setup_error is not None:
            raise self._setup_error.with_traceback(None)

    # -- the stream thread ---------------------------------------------------------------

    def _run(self) -> None:
        client = service = event = None
        try:
            ensure_com()
            with _enumerator() as enumerator:
                device = _get_device(enumerator, self.device_id)
                try:
                    self._name = _friendly_name(device) or self.device_id
                    flow = _data_flow(device)
                    self._loopback = not self._render and flow == decl.E_RENDER
                    client = _activate_client(device, repr(self._name))
                finally:
                    release(device)
            mask = self._device_mask(client)
            event = kernel32().CreateEventW(ffi.NULL, 0, 0, ffi.NULL)
            if event == ffi.NULL:
                raise BackendError("CreateEventW failed: out of system resources.")
            self._initialize(client, mask)
            check(client.lpVtbl.SetEventHandle(client, event), "IAudioClient::SetEventHandle")
            service = self._get_service(client)
            self._prepare(client, service)
            check(client.lpVtbl.Start(client), f"Starting {self.direction} on {self._name!r}")
        except BaseException as exc:
            self._setup_error = exc if isinstance(exc, Exception) else BackendError(str(exc))
            self._ready.set()
            self._cleanup(client, service, event)
            return
        self._ready.set()
        try:
            self._pump(client, service, event)
        except BaseException as exc:  # the device went, or the service failed
            assert self.ring is not None
            self.ring.fail(self._stream_error(exc))
        finally:
            with contextlib.suppress(Exception):
                self._before_stop(client)
            self._cleanup(client, service, event)

    def _device_mask(self, client: Any) -> int:
        _rate, channels, mask = _mix_format(client, self._name)
        return mask_for(self.channels, mask if channels == self.channels else None)

    def _initialize(self, client: Any, mask: int) -> None:
        fmt = float_format(self.samplerate, self.channels, mask)
        flags = decl.AUDCLNT_STREAMFLAGS_EVENTCALLBACK
        if self._loopback:
            flags |= decl.AUDCLNT_STREAMFLAGS_LOOPBACK
        exclusive = self._config.exclusive
        if exclusive and self._loopback:
            raise InvalidConfigError(
                "A loopback recording shares the speaker with what plays on it: open it "
                "without exclusive=True."
            )
        if exclusive:
            # Event-driven exclusive mode: the buffer is one device period, and so is the
            # periodicity (IAudioClient::Initialize).
            default, minimum = ffi.new("REFERENCE_TIME *"), ffi.new("REFERENCE_TIME *")
            check(client.lpVtbl.GetDevicePeriod(client, default, minimum), "GetDevicePeriod")
            duration = periodicity = int(default[0])
            mode = decl.AUDCLNT_SHAREMODE_EXCLUSIVE
        else:
            duration, periodicity = int(self._buffer_seconds() * REFTIMES_PER_SECOND), 0
            mode = decl.AUDCLNT_SHAREMODE_SHARED
        hr = client.lpVtbl.Initialize(
            client, mode, flags, duration, periodicity, ffi.cast("WAVEFORMATEX *", fmt), ffi.NULL
        )
        if hr < 0:
            raise self._initialize_error(hr)
        self._exclusive = exclusive
        frames = ffi.new("UINT32 *")
        check(client.lpVtbl.GetBufferSize(client, frames), "IAudioClient::GetBufferSize")
        self._buffer_frames = int(frames[0])
        latency = ffi.new("REFERENCE_TIME *")
        stream_latency = 0.0
        if client.lpVtbl.GetStreamLatency(client, latency) >= 0:
            stream_latency = int(latency[0]) / REFTIMES_PER_SECOND
        self._latency = stream_latency + self._buffer_frames / self.samplerate

    def _initialize_error(self, hr: int) -> BaseException:
        """What to tell a user whose device refused the stream."""
        code, name = unsigned(hr), hresult_name(hr)
        where = f"{self.direction} on {self._name!r}"
        if code == 0x88890008:  # AUDCLNT_E_UNSUPPORTED_FORMAT
            mode = "in exclusive mode" if self._config.exclusive else "in shared mode"
            return InvalidConfigError(
                f"{self._name!r} does not take {self.channels} channels of float32 at "
                f"{self.samplerate} Hz {mode} ({name}): use the device's own rate"
                + (", or shared mode." if self._config.exclusive else ".")
            )
        if code == 0x8889000E:  # AUDCLNT_E_EXCLUSIVE_MODE_NOT_ALLOWED
            return InvalidConfigError(
                f"{self._name!r} refuses exclusive mode ({name}): allow it in the device's "
                "Sound settings (Advanced: 'Allow applications to take exclusive control'), or "
                "open the stream without exclusive=True."
            )
        if code == 0x8889000A:  # AUDCLNT_E_DEVICE_IN_USE
            return StreamError(
                f"{self._name!r} is in use by another program in exclusive mode ({name}): "
                "close that program, or choose another device."
            )
        try:
            check(hr, f"Opening {where}")
        except BackendError as exc:
            return exc
        return BackendError(f"Opening {where} failed: {name}.", code=code)

    def _cleanup(self, client: Any, service: Any, event: Any) -> None:
        if client is not None:
            with contextlib.suppress(Exception):
                client.lpVtbl.Stop(client)
        release(service)
        release(client)
        if event is not None and event != ffi.NULL:
            kernel32().CloseHandle(event)

    def _stream_error(self, exc: BaseException) -> BaseException:
        if isinstance(exc, BackendError) and exc.code == DEVICE_INVALIDATED:
            return StreamError(
                f"{self._name!r} was unplugged or disabled while in use "
                "(AUDCLNT_E_DEVICE_INVALIDATED). Choose another device and open a new stream."
            )
        if isinstance(exc, Exception):
            return exc
        return StreamError(str(exc))

    def _wait(self, event: Any) -> None:
        kernel32().WaitForSingleObject(event, EVENT_WAIT_MS)

    # -- hooks -----------------------------------------------------------------------------

    def _buffer_seconds(self) -> float:
        raise NotImplementedError

    def _get_service(self, client: Any) -> Any:
        raise NotImplementedError

    def _prepare(self, client: Any, service: Any) -> None:
        """Make the ring (and, for playback, fill the device buffer) before Start."""

    def _pump(self, client: Any, service: Any, event: Any) -> None:
        raise NotImplementedError

    def _before_stop(self, client: Any) -> None:
        """Last moment before Stop (playback lets the server take what it was given)."""

    # -- the caller's side -----------------------------------------------------------------

    @property
    def latency(self) -> float:
        return self._latency

    def device_position(self) -> DevicePosition:
        """The newest position the stream thread saw (at most one device period old)."""
        position = self._position
        if self._ready.is_set() and self.ring is not None:
            self.ring.check()
        if position is None:
            raise StreamError(
                f"{self.direction.capitalize()} on {self._name!r} has not moved yet: ask again "
                "once audio is flowing."
            )
        return DevicePosition(position[0], position[1], self.samplerate)

    def _stall(self) -> BaseException:
        return StreamError(
            f"No audio moved on {self._name!r} for {get_timeout():.1f} s: the device stopped "
            "(the Windows audio service may have hung). Close the stream and open it again."
        )

    def close(self, wait: bool = True) -> None:
        """Stop the stream thread (it releases every COM object); safe to call twice.

        Without ``wait`` it only asks (for finalizers, which may run on any thread).
        """
        self._closing.set()
        if self.ring is not None:
            self.ring.fail(closed_error(self.direction))
        if wait and threading.current_thread() is not self._thread:
            self._thread.join(max(get_timeout(), 1.0))


class _PlaybackCore(_Stream):
    direction = "playback"

    def __init__(self, config: StreamConfig) -> None:
        self._idle = True  # nothing written since opening or since the last drain
        self._padding = 0
        self._played_out = threading.Event()
        self._underruns = 0
        self._dry = True  # the device buffer starts empty: that is no underrun either
        self._handed = 0  # frames handed to the device buffer so far
        self._clock: Any = None
        self._clock_frequency = 1
        super().__init__(config, render=True)

    def _buffer_seconds(self) -> float:
        blocksize = self._config.blocksize
        block = blocksize / self.samplerate if blocksize else 0.01
        # At least 60 ms: the stream thread is a Python thread, which a busy interpreter (or
        # machine) can hold up for tens of milliseconds.
        return max(2 * block, 0.06)

    def _get_service(self, client: Any) -> Any:
        out = ffi.new("IAudioRenderClient **")
        iid = guid(decl.IID_IAUDIO_RENDER_CLIENT)
        hr = client.lpVtbl.GetService(client, iid, ffi.cast("void **", out))
        check(hr, "IAudioClient::GetService(IAudioRenderClient)")
        return out[0]

    def _prepare(self, client: Any, service: Any) -> None:
        self._open_clock(client)
        blocksize = self._config.blocksize or self._buffer_frames // 2
        self.ring = FrameRing(self.channels, max(2 * blocksize, self._buffer_frames))
        self._latency += self.ring.capacity / self.samplerate / 2
        if self._exclusive:
            self._release_silence(service, self._buffer_frames)  # pre-roll before Start

    def _fill(self, client: Any, service: Any) -> None:
        import numpy as np

        ring = self.ring
        assert ring is not None
        padding = ffi.new("UINT32 *")
        check(client.lpVtbl.GetCurrentPadding(client, padding), "IAudioClient::GetCurrentPadding")
        self._padding = int(padding[0])
        self._read_clock()
        # Event-driven exclusive mode hands over the whole buffer at each event.
        free = self._buffer_frames if self._exclusive else self._buffer_frames - self._padding
        if self._idle and ring.available == 0:
            self._dry = True  # the first empty buffer after a pause is no underrun
            if self._exclusive:
                # Exclusive mode plays whatever the buffer holds: hand over silence, each
                # period. Padding means nothing here, so the last take has gone already.
                self._release_silence(service, free)
                self._played_out.set()
                return
            # Shared mode: nothing is written between takes (the engine plays silence), so
            # the device buffer runs empty and a drain can tell the last frame has gone.
            if self._padding == 0:
                self._played_out.set()
            return
        if not self._exclusive:
            # Shared mode: hand over what there is; the device buffer still holds the rest.
            # The buffer running empty while the program is still playing is an underrun
            # (counted once per dry spell), whether the ring was empty or this thread late.
            if self._padding == 0 and not self._dry:
                self._dry = True
                self._underruns += 1
            if ring.available == 0:
                return
            self._dry = False
            free = min(free, ring.available)
        if free <= 0:
            return
        data = ffi.new("BYTE **")
        check(service.lpVtbl.GetBuffer(service, free, data), "IAudioRenderClient::GetBuffer")
        view = np.frombuffer(ffi.buffer(data[0], free * self.channels * 4), dtype=np.float32)
        had = ring.underruns
        ring.pull_into(view.reshape(free, self.channels))  # exclusive: short is silence
        self._underruns += ring.underruns - had
        check(service.lpVtbl.ReleaseBuffer(service, free, 0), "IAudioRenderClient::ReleaseBuffer")
        self._handed += free

    def _open_clock(self, client: Any) -> None:
        """The stream's IAudioClock: where the device is in the stream, with QPC times."""
        out = ffi.new("IAudioClock **")
        hr = client.lpVtbl.GetService(client, guid(decl.IID_IAUDIO_CLOCK), ffi.cast("void **", out))
        if hr < 0:
            _log.debug("no IAudioClock (%s): positions from the padding", hresult_name(hr))
            return
        frequency = ffi.new("UINT64 *")
        if out[0].lpVtbl.GetFrequency(out[0], frequency) < 0 or frequency[0] == 0:
            release(out[0])
            return
        self._clock, self._clock_frequency = out[0], int(frequency[0])

    def _read_clock(self) -> None:
        """Note which frame is being played: IAudioClock's position at its QPC time, or
        else what was handed over less what waits in the buffer (to an engine period)."""
        if self._clock is not None:
            position, stamp = ffi.new("UINT64 *"), ffi.new("UINT64 *")
            if self._clock.lpVtbl.GetPosition(self._clock, position, stamp) >= 0:
                frame = int(position[0]) * self.samplerate / self._clock_frequency
                at = qpc_to_perf_counter(int(stamp[0]))
                self._position = (frame, at)
                return
        self._position = (float(self._handed - self._padding), time.perf_counter())

    def _cleanup(self, client: Any, service: Any, event: Any) -> None:
        clock, self._clock = self._clock, None
        if clock is not None:
            release(clock)
        super()._cleanup(client, service, event)

    def _release_silence(self, service: Any, frames: int) -> None:
        if frames <= 0:
            return
        data = ffi.new("BYTE **")
        check(service.lpVtbl.GetBuffer(service, frames, data), "IAudioRenderClient::GetBuffer")
        check(
            service.lpVtbl.ReleaseBuffer(service, frames, decl.AUDCLNT_BUFFERFLAGS_SILENT),
            "IAudioRenderClient::ReleaseBuffer",
        )

    def _pump(self, client: Any, service: Any, event: Any) -> None:
        while not self._closing.is_set():
            self._wait(event)
            self._fill(client, service)

    def _before_stop(self, client: Any) -> None:
        time.sleep(min(self._latency, 0.1))  # what the server was handed is still playing

    def write(self, frames: np.ndarray) -> None:
        ring = self.ring
        assert ring is not None
        total, done = frames.shape[0], 0
        while done < total:
            ring.wait_writable(1, get_timeout(), self._stall)
            done += ring.put(frames[done:])
            self._played_out.clear()
            self._idle = False

    def drain(self) -> None:
        """Wait until the ring and the device buffer are empty and the last frame is heard."""
        ring = self.ring
        assert ring is not None
        ring.wait_empty(get_timeout(), self._stall)
        self._idle = True
        deadline = time.monotonic() + get_timeout()
        while not self._played_out.wait(0.05):
            ring.check()
            if time.monotonic() >= deadline:
                raise self._stall()
        ring.check()
        self._wait_heard()

    def _wait_heard(self) -> None:
        """Wait until the device clock passes the last frame handed over.

        An empty device buffer is not the end: Wine's buffer reads empty while its sound
        server still holds a few hundred milliseconds, which a close right then would cut off.
        The clock is the device's own word on what has been played; once it stops moving
        (a device that stopped counting short of the end), the wait ends too.
        """
        if self._clock is None:
            time.sleep(min(self._latency, 0.1))
            return
        ring = self.ring
        assert ring is not None
        last = self._handed
        latest = self._position
        still_since = time.monotonic()
        give_up = still_since + self._latency + 2.0
        while latest is None or latest[0] < last:
            time.sleep(0.005)
            ring.check()
            now, position = time.monotonic(), self._position
            if position != latest:
                latest, still_since = position, now
            elif now - still_since > HEARD_STILL_SECONDS or now > give_up:
                _log.debug("the device clock stopped short of the last frame handed over")
                return

    @property
    def underruns(self) -> int:
        return self._underruns


class _CaptureCore(RingReads, _Stream):
    direction = "recording"

    def __init__(self, config: StreamConfig) -> None:
        self._period = 0.01
        super().__init__(config, render=False)

    def _buffer_seconds(self) -> float:
        blocksize = self._config.blocksize
        return max(CAPTURE_BUFFER_SECONDS, 4 * blocksize / self.samplerate if blocksize else 0)

    def _get_service(self, client: Any) -> Any:
        out = ffi.new("IAudioCaptureClient **")
        hr = client.lpVtbl.GetService(
            client, guid(decl.IID_IAUDIO_CAPTURE_CLIENT), ffi.cast("void **", out)
        )
        if hr < 0 and unsigned(hr) == WRONG_ENDPOINT_TYPE and self._loopback:
            raise BackendError(
                f"Loopback recording of {self._name!r} is not supported by this WASAPI "
                f"({hresult_name(hr)}; Wine lacks it). Record the speaker's monitor "
                "microphone instead, if the system lists one.",
                code=unsigned(hr),
            )
        check(hr, "IAudioClient::GetService(IAudioCaptureClient)")
        return out[0]

    def _prepare(self, client: Any, service: Any) -> None:
        capacity = int(CAPTURE_RING_SECONDS * self.samplerate)
        capacity = min(capacity, (64 << 20) // (4 * self.channels))
        blocksize = self._config.blocksize or 0
        self.ring = FrameRing(self.channels, max(capacity, 16 * blocksize, 1))

    def _pump(self, client: Any, service: Any, event: Any) -> None:
        import numpy as np

        ring = self.ring
        assert ring is not None
        data = ffi.new("BYTE **")
        count = ffi.new("UINT32 *")
        flags = ffi.new("DWORD *")
        packet = ffi.new("UINT32 *")
        device_position = ffi.new("UINT64 *")
        stamp = ffi.new("UINT64 *")
        received = 0  # frames pushed into the ring so far
        clock = LoopbackClock(self.samplerate, time.monotonic())
        first_packet = True
        while not self._closing.is_set():
            self._wait(event)
            got_packet = False
            while True:
                check(service.lpVtbl.GetNextPacketSize(service, packet), "GetNextPacketSize")
                if packet[0] == 0:
                    break
                check(
                    service.lpVtbl.GetBuffer(service, data, count, flags, device_position, stamp),
                    "IAudioCaptureClient::GetBuffer",
                )
                frames = int(count[0])
                if frames == 0:  # AUDCLNT_S_BUFFER_EMPTY: nothing after all
                    break
                # The packet's first frame was captured at its time stamp (100 ns units of
                # the performance counter); without one, it is taken as just arrived.
                at = qpc_to_perf_counter(int(stamp[0]))
                self._position = (float(received), at)
                received += frames
                if flags[0] & decl.AUDCLNT_BUFFERFLAGS_SILENT:
                    ring.push_silence(frames)
                else:
                    raw = ffi.buffer(data[0], frames * self.channels * 4)
                    ring.push(np.frombuffer(raw, dtype=np.float32).reshape(frames, self.channels))
                if flags[0] & 0x1 and not first_packet:
                    # AUDCLNT_BUFFERFLAGS_DATA_DISCONTINUITY: frames were lost (the flag is
                    # set on a stream's first packet too, where it means nothing).
                    ring.overflows += 1
                first_packet = False
                check(service.lpVtbl.ReleaseBuffer(service, frames), "ReleaseBuffer")
                clock.delivered(frames, time.monotonic())
                got_packet = True
            if got_packet:
                continue
            # No packet: ask the client, which reports an endpoint that went away
            # (AUDCLNT_E_DEVICE_INVALIDATED) where the capture client may not.
            check(client.lpVtbl.GetCurrentPadding(client, packet), "GetCurrentPadding")
            if self._loopback:
                silence = clock.silence_due(time.monotonic())
                if silence:
                    self._position = (float(received), time.perf_counter())
                    ring.push_silence(silence)
                    received += silence


#: Every stream thread still running: ended before the interpreter shuts down, as a COM
#: call on a thread of a finalising interpreter crashes it.
_live_cores: weakref.WeakSet[_Stream] = weakref.WeakSet()


@atexit.register
def _close_all_streams() -> None:
    cores = list(_live_cores)
    for core in cores:
        core.close(wait=False)
    for core in cores:
        core._thread.join(1.0)


# -- device notifications ---------------------------------------------------------------------


class _NotificationClient:
    """An IMMNotificationClient made of cffi callbacks; each notice becomes ``"devices"``."""

    def __init__(self, notify: Callable[[str], None]) -> None:
        self._notify = notify
        unknown = {decl.IID_IUNKNOWN, decl.IID_IMMNOTIFICATION_CLIENT}
        self._iids = {bytes(ffi.buffer(guid(text))) for text in unknown}

        def on_error(exc_type: Any, value: Any, _tb: Any) -> None:
            _log.error("device notification failed: %s: %s", exc_type.__name__, value)

        def query(this: Any, iid: Any, out: Any) -> int:
            if out == ffi.NULL or iid == ffi.NULL:
                return -0x7FFFBFFD  # E_POINTER
            if bytes(ffi.buffer(iid, ffi.sizeof("GUID"))) in self._iids:
                out[0] = this
                return 0
            out[0] = ffi.NULL
            return -0x7FFFBFFE  # E_NOINTERFACE as a signed HRESULT

        def changed(*_args: Any) -> int:
            self._notify("devices")
            return 0

        vtbl = ffi.new("IMMNotificationClientVtbl *")
        self._callbacks = [
            ffi.callback(
                "HRESULT(__stdcall *)(IMMNotificationClient *, const GUID *, void **)",
                query,
                error=-0x7FFFBFFE,
                onerror=on_error,
            ),
            ffi.callback("ULONG(__stdcall *)(IMMNotificationClient *)", lambda _t: 1, error=1),
            ffi.callback("ULONG(__stdcall *)(IMMNotificationClient *)", lambda _t: 1, error=1),
            ffi.callback(
                "HRESULT(__stdcall *)(IMMNotificationClient *, LPCWSTR, DWORD)",
                changed,
                error=0,
                onerror=on_error,
            ),
            ffi.callback(
                "HRESULT(__stdcall *)(IMMNotificationClient *, LPCWSTR)",
                changed,
                error=0,
                onerror=on_error,
            ),
            ffi.callback(
                "HRESULT(__stdcall *)(IMMNotificationClient *, LPCWSTR)",
                changed,
                error=0,
                onerror=on_error,
            ),
            ffi.callback(
                "HRESULT(__stdcall *)(IMMNotificationClient *, int, int, LPCWSTR)",
                changed,
                error=0,
                onerror=on_error,
            ),
            ffi.callback(
                "HRESULT(__stdcall *)(IMMNotificationClient *, LPCWSTR, PROPERTYKEY)",
                changed,
                error=0,
                onerror=on_error,
            ),
        ]
        (
            vtbl.QueryInterface,
            vtbl.AddRef,
            vtbl.Release,
            vtbl.OnDeviceStateChanged,
            vtbl.OnDeviceAdded,
            vtbl.OnDeviceRemoved,
            vtbl.OnDefaultDeviceChanged,
            vtbl.OnPropertyValueChanged,
        ) = self._callbacks
        self._vtbl = vtbl
        self.pointer = ffi.new("IMMNotificationClient *")
        self.pointer.lpVtbl = vtbl


# -- the backend's own COM thread -------------------------------------------------------------


_on_com_thread = threading.local()


def _start_com_thread() -> None:
    ensure_com()
    _on_com_thread.yes = True


class _ComThread:
    """One private thread, in the multithreaded apartment, for every backend-level COM call.

    The caller's threads never get a COM apartment from scgui: a program that lists devices
    on its main thread before creating its QApplication would otherwise make that thread
    multithreaded, and Qt's OleInitialize there (clipboard, drag and drop) would fail.
    """

    def __init__(self) -> None:
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def call(self, function: Callable[..., _T], *args: Any) -> _T:
        if getattr(_on_com_thread, "yes", False):  # a call from a call: it would wait forever
            return function(*args)
        with self._lock:
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    1, thread_name_prefix="scgui-wasapi-com", initializer=_start_com_thread
                )
            executor = self._executor
        future = executor.submit(function, *args)
        timeout = max(get_timeout(), 5.0)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            raise ServerUnavailableError(
                f"The Windows audio service did not answer within {timeout:.0f} s."
            ) from None

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False)


# -- the backend -------------------------------------------------------------------------------


class WasapiBackend:
    """WASAPI shared mode on Windows (and under Wine); see the module docstring."""

    name = "WASAPI"
    samplerate_range = (8000, 384000)

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._notices = NoticeHub(self._start_notices, self._unregister)
        self._notifier: _NotificationClient | None = None
        self._notifier_enumerator: Any = None
        self._wine: bool | None = None
        self._sessions: bool | None = None
        self._session_ids = sessions.SessionIds()
        self._com = _ComThread()
        _live_backends.add(self)

    @property
    def capabilities(self) -> Capabilities:
        wine = self._under_wine()
        listed = self._sessions_listed()
        # Wine accepts no exclusive stream, but asking gives its clear refusal. Its session
        # controls do not answer ISimpleAudioVolume (Windows' do), so no volume or mute.
        return Capabilities(
            loopback=not wine,
            exclusive_mode=True,
            app_streams=listed,
            stream_control=listed and not wine,
            stream_volume_max=1.0,
        )

    def _sessions_listed(self) -> bool:
        """Whether Windows lists audio sessions: always, except where it is Wine (Wine 8
        does not), which one try on the first output endpoint tells."""
        if self._sessions is None:
            if not self._under_wine():
                self._sessions = True
            else:
                try:
                    self._sessions = self._com.call(self._try_listing_sessions)
                except AudioError as exc:  # no server now: ask again next time
                    _log.debug("trying to list audio sessions: %s", exc)
                if self._sessions is None:
                    return False
        return self._sessions

    def _try_listing_sessions(self) -> bool | None:
        """True or False once an endpoint has answered; None with no endpoint to ask."""
        with (
            _enumerator() as enumerator,
            contextlib.closing(_each_device(enumerator, decl.E_RENDER)) as devices,
        ):
            for device in devices:
                manager = sessions.session_manager(device)
                try:
                    sessions.sessions_on(manager, "", "playback", sessions.SessionIds())
                except sessions.SessionsUnsupported as exc:
                    _log.info("%s Other programs' streams are not listed.", exc)
                    return False
                finally:
                    release(manager)
                return True
        return None

    def _under_wine(self) -> bool:
        if self._wine is None:
            self._wine = running_under_wine()
        return self._wine

    def list_devices(self, kind: DeviceKind) -> list[DeviceInfo]:
        return self._com.call(self._list_devices, kind)

    def _list_devices(self, kind: DeviceKind) -> list[DeviceInfo]:
        with _enumerator() as enumerator:
            own = [_info(e, kind, False) for e in _list_endpoints(enumerator, _flow(kind))]
            if kind == "microphone":
                own += [_info(e, kind, True) for e in _list_endpoints(enumerator, decl.E_RENDER)]
        return own

    def list_streams(self) -> list[AppStream]:
        if not self._sessions_listed():
            return []
        return self._com.call(self._list_streams)

    def _list_streams(self) -> list[AppStream]:
        streams: list[AppStream] = []
        with _enumerator() as enumerator:
            directions: tuple[tuple[int, sessions.StreamKind], ...] = (
                (decl.E_RENDER, "playback"),
                (decl.E_CAPTURE, "recording"),
            )
            for flow, kind in directions:
                for device in _each_device(enumerator, flow):
                    try:
                        streams += self._sessions_of(device, kind)
                    except BackendError as exc:  # one endpoint going does not hide the rest
                        _log.warning("skipping the sessions of an audio endpoint: %s", exc)
        return streams

    def _sessions_of(self, device: Any, kind: sessions.StreamKind) -> list[AppStream]:
        device_id = _device_id(device)
        manager = sessions.session_manager(device)
        try:
            return sessions.sessions_on(manager, device_id, kind, self._session_ids)
        finally:
            release(manager)

    def move_stream(self, stream: AppStream, device_id: str) -> None:
        raise BackendError(
            "Windows lets no program move another program's audio to another device; choose "
            "it in Settings > System > Sound > Volume mixer (App volume and device "
            "preferences on Windows 10)."
        )

    def set_stream_volume(self, stream: AppStream, volumes: tuple[float, ...]) -> None:
        level = max(volumes, default=0.0)
        if not 0.0 <= level <= 1.0:
            raise InvalidConfigError(
                f"Windows sets a program's volume from 0 % to 100 %, not {level:.0%}."
            )
        self._com.call(self._change_session, stream, lambda v: sessions.set_level(v, level))

    def set_stream_mute(self, stream: AppStream, muted: bool) -> None:
        self._com.call(self._change_session, stream, lambda v: sessions.set_muted(v, muted))

    def _change_session(self, stream: AppStream, change: Callable[[Any], None]) -> None:
        with _enumerator() as enumerator:
            device = _get_device(enumerator, stream.device_id)
            try:
                manager = sessions.session_manager(device)
                try:
                    with (
                        sessions.session_of(manager, stream, self._session_ids) as control,
                        sessions.simple_volume(control) as volume,
                    ):
                        change(volume)
                finally:
                    release(manager)
            finally:
                release(device)

    def volume_to_db(self, volume: float) -> float | None:
        return None  # the endpoint's own curve; unknown without asking each device

    def default_device_id(self, kind: DeviceKind) -> str | None:
        return self._com.call(self._default_device_id, kind)

    def _default_device_id(self, kind: DeviceKind) -> str | None:
        with _enumerator() as enumerator:
            device = ffi.new("IMMDevice **")
            hr = enumerator.lpVtbl.GetDefaultAudioEndpoint(
                enumerator, _flow(kind), decl.E_CONSOLE, device
            )
            if hr < 0:
                if unsigned(hr) == NOT_FOUND:
                    return None
                check(hr, "Asking for the default audio endpoint")
            try:
                return _device_id(device[0])
            finally:
                release(device[0])

    def device_info(self, kind: DeviceKind, device_id: str) -> DeviceInfo:
        return device_in(self.list_devices(kind), kind, device_id)

    def open_playback(self, config: StreamConfig) -> PlaybackFacade:
        return PlaybackFacade(_PlaybackCore(config))

    def open_capture(self, config: StreamConfig) -> CaptureFacade:
        return CaptureFacade(_CaptureCore(config))

    def subscribe(self, callback: Callable[[str], None]) -> NoticeSubscription:
        return self._notices.subscribe(callback)

    def unsubscribe(self, callback: Callable[[str], None]) -> None:
        self._notices.unsubscribe(callback)

    def _start_notices(self, dispatch: Callable[[str], None]) -> None:
        self._com.call(self._register, dispatch)

    def _register(self, dispatch: Callable[[str], None]) -> None:
        notifier = _NotificationClient(dispatch)
        out = ffi.new("IMMDeviceEnumerator **")
        check(
            ole32().CoCreateInstance(
                guid(decl.CLSID_MMDEVICE_ENUMERATOR),
                ffi.NULL,
                decl.CLSCTX_ALL,
                guid(decl.IID_IMMDEVICE_ENUMERATOR),
                ffi.cast("void **", out),
            ),
            "Creating the audio device enumerator",
        )
        enumerator = out[0]
        hr = enumerator.lpVtbl.RegisterEndpointNotificationCallback(enumerator, notifier.pointer)
        if hr < 0:
            release(enumerator)
            check(hr, "Registering for device notifications")
        self._notifier, self._notifier_enumerator = notifier, enumerator

    def _unregister(self) -> None:
        """Stop notifications (before the callbacks' interpreter can go away)."""
        with self._lock:
            notifier, enumerator = self._notifier, self._notifier_enumerator
            self._notifier = self._notifier_enumerator = None
        if notifier is None:
            return

        def unregister() -> None:
            enumerator.lpVtbl.UnregisterEndpointNotificationCallback(enumerator, notifier.pointer)
            release(enumerator)

        with contextlib.suppress(Exception):
            self._com.call(unregister)

    def set_default(self, kind: DeviceKind, device_id: str) -> None:
        raise BackendError(
            "Windows has no public way for a program to change the default device: use the "
            "Sound settings."
        )

    def set_volume(self, kind: DeviceKind, device_id: str, volumes: tuple[float, ...]) -> None:
        raise BackendError("Changing a device's volume is not supported on WASAPI yet.")

    def set_mute(self, kind: DeviceKind, device_id: str, muted: bool) -> None:
        raise BackendError("Muting a device is not supported on WASAPI yet.")

    def get_name(self) -> str:
        return ""

    def set_name(self, name: str) -> None:
        """Windows names a program's streams after its executable; nothing to change."""

    def server_description(self) -> str:
        return "WASAPI (Wine)" if self._under_wine() else "WASAPI"

    def server_address(self) -> str:
        return "the Windows audio service"

    def close(self) -> None:
        """Stop notifications and the COM thread; the next call starts them again.

        Streams keep their own threads (each closes with its stream).
        """
        self._notices.close()
        self._com.shutdown()


#: Backends with notifications to stop before the interpreter shuts down.
_live_backends: weakref.WeakSet[WasapiBackend] = weakref.WeakSet()


@atexit.register
def _close_backends() -> None:
    for backend in list(_live_backends):
        backend.close()
