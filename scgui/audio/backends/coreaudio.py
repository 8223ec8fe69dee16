""":class:`~scgui.audio.backends.base.Backend` for macOS: Core Audio's HAL, in cffi ABI mode.

Devices are the HAL's audio objects, named by their UID (stable across restarts and ports);
a device with input channels is a microphone, one with output channels a speaker, and one
with both is both. Each stream is a HAL output unit (AUHAL) of its own, set to all of the
device's channels in interleaved float32; its callback only copies between Core Audio's
buffers and the stream's :class:`~scgui.audio.ring.FrameRing`
(:mod:`~scgui.audio.backends._coreaudio_io`). Channel maps, framing and checks are the shared
code's.

Loopback microphones record what a speaker plays through a Core Audio process tap of that
device and a private aggregate device around it (macOS 14.2 and later); elsewhere opening one
says what it needs. Recording from a microphone that macOS denies the program fails with
:class:`~scgui.audio.errors.PermissionDeniedError` rather than recording silence.

Nothing here runs on the Linux machines the project is tested on: the declarations, layouts,
statuses, property decoding and callbacks are tested there with a harness
(``tests/test_coreaudio_logic.py``); ``.github/workflows/macos.yml`` runs the rest on a Mac.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import (
    BackendError,
    DeviceNotFoundError,
    InvalidConfigError,
    PermissionDeniedError,
    StreamError,
)
from ..ring import FrameRing, closed_error
from ..timeouts import get_timeout
from . import _coreaudio_cdef as decl
from ._coreaudio_format import (
    HostClock,
    LatencyParts,
    buffer_frames,
    channel_positions,
    channels_in_configuration,
    default_labels,
    float_format,
    has_process_taps,
    layout_labels,
    loopback_requirement,
    macos_version,
    microphone_refusal,
    tap_aggregate_description,
)
from ._coreaudio_io import CapturePump, RenderPump
from ._coreaudio_lib import (
    CFObjects,
    CoreAudioError,
    address,
    autorelease_pool,
    check,
    ffi,
    get_array,
    get_data,
    get_string,
    get_value,
    has_property,
    libraries,
    load_framework,
    objc_class,
    send,
    set_value,
)
from ._facade import CaptureFacade, PlaybackFacade, RingReads
from ._ffi_modules import c_callback
from ._notices import NoticeHub, NoticeSubscription
from .base import (
    AppStream,
    Capabilities,
    DeviceInfo,
    DeviceKind,
    DevicePosition,
    StreamConfig,
    device_in,
)

if TYPE_CHECKING:
    import numpy as np

_log = logging.getLogger(__name__)

SYSTEM = decl.kAudioObjectSystemObject
GLOBAL = decl.kAudioObjectPropertyScopeGlobal
#: A loopback microphone's id: the speaker's UID and this.
LOOPBACK_SUFFIX = "#loopback"
CAPTURE_RING_SECONDS = 4.0
#: The least the unit is told it may ask a callback for at once (its own default is 4096).
MAX_SLICE_FRAMES = 4096
#: Playback ring: room for the program to write ahead of the device.
PLAYBACK_RING_SECONDS = 0.5
#: AVAuthorizationStatus of AVCaptureDevice for audio, or None where it cannot be asked.
_UNKNOWN_AUTHORIZATION = -1


def _scope(kind: DeviceKind) -> int:
    if kind == "speaker":
        return decl.kAudioObjectPropertyScopeOutput
    return decl.kAudioObjectPropertyScopeInput


# -- devices ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Device:
    """What the HAL says about one device in one direction."""

    object_id: int
    uid: str
    name: str
    channels: int
    samplerate: int
    labels: tuple[int, ...] = ()
    element_names: tuple[str, ...] = ()
    latency: float | None = None
    volume: tuple[float, ...] = ()
    muted: bool = False
    extra: dict[str, str] = field(default_factory=dict)


def _device_ids() -> list[int]:
    ids = get_array(
        SYSTEM, address(decl.kAudioHardwarePropertyDevices), "AudioObjectID", "the device list"
    )
    return [int(i) for i in ids]


def _channels(object_id: int, scope: int) -> int:
    where = address(decl.kAudioDevicePropertyStreamConfiguration, scope)
    if not has_property(object_id, where):
        return 0
    raw, size = get_data(object_id, where, "the device's stream configuration")
    return channels_in_configuration(ffi, raw, size)


def _labels(object_id: int, scope: int, channels: int) -> tuple[int, ...]:
    where = address(decl.kAudioDevicePropertyPreferredChannelLayout, scope)
    labels: tuple[int, ...] = ()
    if has_property(object_id, where):
        with contextlib.suppress(CoreAudioError):
            raw, size = get_data(object_id, where, "the device's channel layout")
            labels = layout_labels(ffi, raw, size)
    return labels[:channels] if len(labels) >= channels else default_labels(channels)


def _element_names(object_id: int, scope: int, channels: int) -> tuple[str, ...]:
    names = []
    for element in range(1, channels + 1):  # element 0 is the device itself
        where = address(decl.kAudioObjectPropertyElementName, scope, element)
        name = ""
        if has_property(object_id, where):
            with contextlib.suppress(CoreAudioError):
                name = get_string(object_id, where, "a channel's name")
        names.append(name)
    return tuple(names) if any(names) else ()


def _frames(object_id: int, selector: int, scope: int) -> int:
    where = address(selector, scope)
    if not has_property(object_id, where):
        return 0
    with contextlib.suppress(CoreAudioError):
        return int(get_value(object_id, where, "UInt32", "a latency"))
    return 0


def _stream_latency(object_id: int, scope: int) -> int:
    where = address(decl.kAudioDevicePropertyStreams, scope)
    if not has_property(object_id, where):
        return 0
    with contextlib.suppress(CoreAudioError):
        streams = get_array(object_id, where, "AudioObjectID", "the device's streams")
        if streams:
            return _frames(int(streams[0]), decl.kAudioStreamPropertyLatency, GLOBAL)
    return 0


def _volumes(object_id: int, scope: int, channels: int) -> tuple[tuple[float, ...], bool]:
    """Per-channel volume scalars (the main control, else each channel's) and the mute."""
    main = address(decl.kAudioDevicePropertyVolumeScalar, scope)
    volumes: list[float] = []
    with contextlib.suppress(CoreAudioError):
        if has_property(object_id, main):
            volumes = [float(get_value(object_id, main, "Float32", "the volume"))] * channels
        else:
            for element in range(1, channels + 1):
                where = address(decl.kAudioDevicePropertyVolumeScalar, scope, element)
                if not has_property(object_id, where):
                    volumes = []
                    break
                volumes.append(float(get_value(object_id, where, "Float32", "a volume")))
    muted = False
    mute = address(decl.kAudioDevicePropertyMute, scope)
    with contextlib.suppress(CoreAudioError):
        if has_property(object_id, mute):
            muted = bool(get_value(object_id, mute, "UInt32", "the mute"))
    return tuple(volumes), muted


def _describe(object_id: int, kind: DeviceKind) -> _Device | None:
    """The device in ``kind``'s direction, or None when it has no channels that way."""
    scope = _scope(kind)
    channels = _channels(object_id, scope)
    if channels == 0:
        return None
    uid = get_string(object_id, address(decl.kAudioDevicePropertyDeviceUID), "a device's UID")
    name = get_string(object_id, address(decl.kAudioObjectPropertyName), "a device's name")
    rate = float(
        get_value(
            object_id, address(decl.kAudioDevicePropertyNominalSampleRate), "Float64", "the rate"
        )
    )
    buffer = _frames(object_id, decl.kAudioDevicePropertyBufferFrameSize, GLOBAL)
    parts = LatencyParts(
        device=_frames(object_id, decl.kAudioDevicePropertyLatency, scope),
        safety_offset=_frames(object_id, decl.kAudioDevicePropertySafetyOffset, scope),
        stream=_stream_latency(object_id, scope),
        buffer=buffer,
    )
    volumes, muted = _volumes(object_id, scope, channels)
    return _Device(
        object_id=object_id,
        uid=uid,
        name=name or uid,
        channels=channels,
        samplerate=round(rate),
        labels=_labels(object_id, scope, channels),
        element_names=_element_names(object_id, scope, channels),
        latency=parts.seconds(rate) if rate > 0 else None,
        volume=volumes,
        muted=muted,
        extra={"object_id": str(object_id), "buffer_frames": str(buffer)},
    )


def _info(device: _Device, kind: DeviceKind, loopback: bool = False) -> DeviceInfo:
    machine, display = channel_positions(device.labels, () if loopback else device.element_names)
    return DeviceInfo(
        id=device.uid + LOOPBACK_SUFFIX if loopback else device.uid,
        name=f"Loopback {device.name}" if loopback else device.name,
        kind=kind,
        channels=device.channels,
        channel_names=display,
        channel_positions=machine,
        samplerate=device.samplerate,
        isloopback=loopback,
        monitor_of=device.uid if loopback else None,
        latency=device.latency,
        volume=() if loopback else device.volume,
        muted=False if loopback else device.muted,
        extra=dict(device.extra),
    )


def _list(kind: DeviceKind) -> list[_Device]:
    devices = []
    for object_id in _device_ids():
        try:
            device = _describe(object_id, kind)
        except CoreAudioError as exc:  # one broken device does not hide the others
            _log.warning("skipping audio device %d: %s", object_id, exc)
            continue
        if device is not None:
            devices.append(device)
    return devices


def _find(uid: str, kind: DeviceKind) -> _Device:
    for device in _list(kind):
        if device.uid == uid:
            return device
    raise DeviceNotFoundError(
        f"There is no {kind} {uid!r} any more: it was unplugged or switched off. List the "
        "devices again."
    )


# -- microphone permission ------------------------------------------------------------------


def _microphone_authorization() -> int:
    """AVCaptureDevice's authorization status for audio (macOS 10.14 and later)."""
    if load_framework(decl.AVFOUNDATION) is None:  # it registers AVCaptureDevice
        return _UNKNOWN_AUTHORIZATION
    device_class = objc_class("AVCaptureDevice")
    if device_class == ffi.NULL:
        return _UNKNOWN_AUTHORIZATION
    with autorelease_pool(), CFObjects() as cf:
        media_type = cf.make("soun")  # the value of AVMediaTypeAudio
        status = send(
            device_class,
            "authorizationStatusForMediaType:",
            "long (*)(void *, void *, const void *)",
            media_type,
        )
    return int(status)


def _check_microphone_permission(program: str) -> None:
    refusal = microphone_refusal(_microphone_authorization(), program)
    if refusal is not None:
        raise PermissionDeniedError(refusal)


# -- loopback through a process tap --------------------------------------------------------


class _Tap:
    """A private process tap of one speaker and the aggregate device that records it."""

    def __init__(self, speaker_uid: str) -> None:
        version = macos_version()
        if not has_process_taps(version):
            raise InvalidConfigError(loopback_requirement(version))
        self.tap_id = 0
        self.aggregate_id = 0
        with autorelease_pool(), CFObjects() as cf:
            description = self._description(cf, speaker_uid)
            tap = ffi.new("AudioObjectID *")
            try:
                check(
                    libraries().coreaudio.AudioHardwareCreateProcessTap(description, tap),
                    f"Tapping {speaker_uid!r}",
                    "Allow the program to record system audio in System Settings > Privacy "
                    "& Security > Screen & System Audio Recording.",
                )
            finally:
                send(description, "release", "void (*)(void *, void *)")
            self.tap_id = int(tap[0])
        try:
            tap_uid = get_string(self.tap_id, address(decl.kAudioTapPropertyUID), "the tap's UID")
            aggregate = tap_aggregate_description(
                tap_uid, f"scgui-loopback-{uuid.uuid4()}", f"scgui loopback of {speaker_uid}"
            )
            with CFObjects() as cf:
                out = ffi.new("AudioObjectID *")
                check(
                    libraries().coreaudio.AudioHardwareCreateAggregateDevice(
                        cf.make(aggregate), out
                    ),
                    "Making the loopback's aggregate device",
                )
            self.aggregate_id = int(out[0])
            self._follow_tap_rate()
        except BaseException:
            self.close()
            raise

    def _follow_tap_rate(self) -> None:
        """Run the aggregate at the tap's rate: with only a tap in it, nothing else sets its
        clock, and a mismatch would change the pitch of what is recorded."""
        tap_format = get_value(
            self.tap_id,
            address(decl.kAudioTapPropertyFormat),
            "AudioStreamBasicDescription",
            "the tap's format",
        )
        rate = float(tap_format.mSampleRate)
        if rate > 0:
            set_value(
                self.aggregate_id,
                address(decl.kAudioDevicePropertyNominalSampleRate),
                "Float64",
                rate,
                "the loopback's sample rate",
            )

    @staticmethod
    def _description(cf: CFObjects, speaker_uid: str) -> Any:
        """``[[CATapDescription alloc] initExcludingProcesses:@[] andDeviceUID:uid
        withStream:0]``, private: every program's sound on the speaker's first stream."""
        tap_class = objc_class("CATapDescription")
        if tap_class == ffi.NULL:
            raise InvalidConfigError(loopback_requirement(macos_version()))
        allocated = send(tap_class, "alloc", "void *(*)(void *, void *)")
        description = send(
            allocated,
            "initExcludingProcesses:andDeviceUID:withStream:",
            "void *(*)(void *, void *, const void *, const void *, long)",
            cf.make([]),
            cf.make(speaker_uid),
            0,
        )
        if description == ffi.NULL:
            raise BackendError(f"macOS refused a tap description of {speaker_uid!r}.")
        send(description, "setPrivate:", "void (*)(void *, void *, _Bool)", True)
        return description

    def close(self) -> None:
        ca = libraries().coreaudio
        if self.aggregate_id:
            ca.AudioHardwareDestroyAggregateDevice(self.aggregate_id)
            self.aggregate_id = 0
        if self.tap_id:
            ca.AudioHardwareDestroyProcessTap(self.tap_id)
            self.tap_id = 0


# -- streams ---------------------------------------------------------------------------------


def _host_clock() -> HostClock:
    system = libraries().system
    info = ffi.new("mach_timebase_info_data_t *")
    system.mach_timebase_info(info)
    return HostClock(
        numer=int(info.numer) or 1,
        denom=int(info.denom) or 1,
        host_at=int(system.mach_absolute_time()),
        perf_at=time.perf_counter(),
    )


def _on_callback_error(exc_type: Any, value: Any, _tb: Any) -> None:
    _log.error("a CoreAudio callback raised %s: %s", getattr(exc_type, "__name__", exc_type), value)


class _Stream:
    """One HAL output unit on one device, in one direction; subclasses move the audio."""

    direction = "playback"

    def __init__(self, config: StreamConfig, kind: DeviceKind) -> None:
        self.device_id = config.device_id
        self.samplerate = config.samplerate
        self.channels = config.channels
        self._config = config
        self._kind = kind
        self._unit: Any = None
        self._tap: _Tap | None = None
        self._listener: Any = None
        self._listened: int = 0
        #: Set by close(): ends the drain's wait for the last frame at once.
        self._closing = threading.Event()
        self._close_lock = threading.Lock()
        self._callback: Any = None  # the C callback, kept alive as long as the unit
        self._latency = 0.0
        self.ring: FrameRing | None = None
        self._device = self._resolve()
        self._name = self._device.name
        try:
            self._open()
        except BaseException:
            self._dispose()
            raise
        _live_streams.add(self)

    # -- opening ---------------------------------------------------------------------------

    def _resolve(self) -> _Device:
        return _find(self.device_id, self._kind)

    def _open(self) -> None:
        device = self._device
        if self.channels != device.channels:
            raise InvalidConfigError(
                f"{device.name!r} has {device.channels} channels, not {self.channels}."
            )
        self._check_rate(device)
        self._unit = self._new_unit()
        self._enable_io()
        self._unit_set(
            decl.kAudioOutputUnitProperty_CurrentDevice,
            decl.kAudioUnitScope_Global,
            0,
            "AudioObjectID",
            device.object_id,
            f"Choosing {device.name!r} for the stream",
        )
        frames = self._set_buffer_size(device)
        self._set_format()
        self._prepare(frames)
        self._set_callback()
        check(
            libraries().audiotoolbox.AudioUnitInitialize(self._unit),
            f"Preparing {self.direction} on {device.name!r}",
        )
        self._read_latency(device, frames)
        self._watch_device(device.object_id)
        check(
            libraries().audiotoolbox.AudioOutputUnitStart(self._unit),
            f"Starting {self.direction} on {device.name!r}",
        )

    def _check_rate(self, device: _Device) -> None:
        """The output unit converts the rate of playback; recording must use the device's."""
        if self.samplerate != device.samplerate:
            _log.info(
                "%s runs at %d Hz; the output unit converts %d Hz to it",
                device.name,
                device.samplerate,
                self.samplerate,
            )

    def _new_unit(self) -> Any:
        at = libraries().audiotoolbox
        description = ffi.new("AudioComponentDescription *")
        description.componentType = decl.kAudioUnitType_Output
        description.componentSubType = decl.kAudioUnitSubType_HALOutput
        description.componentManufacturer = decl.kAudioUnitManufacturer_Apple
        component = at.AudioComponentFindNext(ffi.NULL, description)
        if component == ffi.NULL:
            raise BackendError("macOS has no HAL output unit (AUHAL): Core Audio is broken.")
        unit = ffi.new("AudioUnit *")
        check(at.AudioComponentInstanceNew(component, unit), "Making a HAL output unit")
        return unit[0]

    def _unit_set(
        self, prop: int, scope: int, element: int, ctype: str, value: Any, what: str
    ) -> None:
        data = value if isinstance(value, ffi.CData) else ffi.new(f"{ctype} *", value)
        check(
            libraries().audiotoolbox.AudioUnitSetProperty(
                self._unit, prop, scope, element, data, ffi.sizeof(ctype)
            ),
            what,
        )

    def _unit_get(self, prop: int, scope: int, element: int, ctype: str, what: str) -> Any:
        value = ffi.new(f"{ctype} *")
        size = ffi.new("UInt32 *", ffi.sizeof(ctype))
        check(
            libraries().audiotoolbox.AudioUnitGetProperty(
                self._unit, prop, scope, element, value, size
            ),
            what,
        )
        return value[0]

    def _enable_io(self) -> None:
        raise NotImplementedError

    def _set_format(self) -> None:
        """Interleaved float32 of all channels on the side of the unit the program sees: the
        input scope of the output bus (playback), the output scope of the input bus."""
        recording = self._kind == "microphone"
        fmt = float_format(ffi, self.samplerate, self.channels)
        check(
            libraries().audiotoolbox.AudioUnitSetProperty(
                self._unit,
                decl.kAudioUnitProperty_StreamFormat,
                decl.kAudioUnitScope_Output if recording else decl.kAudioUnitScope_Input,
                decl.INPUT_BUS if recording else decl.OUTPUT_BUS,
                fmt,
                ffi.sizeof("AudioStreamBasicDescription"),
            ),
            f"Setting {self.channels} channels of float32 at {self.samplerate} Hz on "
            f"{self._name!r}",
        )

    def _prepare(self, frames: int) -> None:
        raise NotImplementedError

    def _set_callback(self) -> None:
        raise NotImplementedError

    def _install(self, callback: Any, prop: int, scope: int, element: int, what: str) -> None:
        """Give the unit ``callback`` (an ``AURenderCallback``) and keep it alive with it."""
        self._callback = callback
        entry = ffi.new("AURenderCallbackStruct *")
        entry.inputProc = callback
        self._unit_set(prop, scope, element, "AURenderCallbackStruct", entry, what)

    def _set_buffer_size(self, device: _Device) -> int:
        """Ask the device for the block size (within its range), and let the unit pass
        slices of twice that; returns the size asked for."""
        where = address(decl.kAudioDevicePropertyBufferFrameSizeRange)
        limits = None
        if has_property(device.object_id, where):
            with contextlib.suppress(CoreAudioError):
                span = get_value(device.object_id, where, "AudioValueRange", "the buffer range")
                limits = (float(span.mMinimum), float(span.mMaximum))
        wanted = buffer_frames(self._config.blocksize, limits)
        self._unit_set(
            decl.kAudioDevicePropertyBufferFrameSize,
            decl.kAudioUnitScope_Global,
            0,
            "UInt32",
            wanted,
            f"Setting the buffer of {device.name!r} to {wanted} frames",
        )
        # Before initialising (QA1533): an input callback may be asked for up to this many
        # frames, and its buffer is made to hold them.
        self._unit_set(
            decl.kAudioUnitProperty_MaximumFramesPerSlice,
            decl.kAudioUnitScope_Global,
            0,
            "UInt32",
            max(MAX_SLICE_FRAMES, 2 * wanted),
            "Setting the unit's largest slice",
        )
        return wanted

    def _read_latency(self, device: _Device, wanted: int) -> None:
        """The latency from what the device took (read once the unit is initialised: a
        property change is asynchronous in the HAL)."""
        got = _frames(device.object_id, decl.kAudioDevicePropertyBufferFrameSize, GLOBAL)
        scope = _scope(self._kind)
        parts = LatencyParts(
            device=_frames(device.object_id, decl.kAudioDevicePropertyLatency, scope),
            safety_offset=_frames(device.object_id, decl.kAudioDevicePropertySafetyOffset, scope),
            stream=_stream_latency(device.object_id, scope),
            buffer=got or wanted,
        )
        self._latency = parts.seconds(device.samplerate or self.samplerate)

    def _watch_device(self, object_id: int) -> None:
        """Fail the stream at once when its device dies (unplugged, or switched off)."""

        @c_callback(ffi, "AudioObjectPropertyListenerProc", _on_callback_error)
        def alive_changed(obj: int, _count: int, _addresses: Any, _data: Any) -> int:
            with contextlib.suppress(Exception):
                where = address(decl.kAudioDevicePropertyDeviceIsAlive)
                if not get_value(obj, where, "UInt32", "whether the device is alive"):
                    self._device_lost()
            return 0

        where = address(decl.kAudioDevicePropertyDeviceIsAlive)
        status = libraries().coreaudio.AudioObjectAddPropertyListener(
            object_id, where, alive_changed, ffi.NULL
        )
        if status == 0:
            self._listener, self._listened = alive_changed, object_id

    def _device_lost(self) -> None:
        if self.ring is not None:
            self.ring.fail(
                StreamError(
                    f"{self._name!r} was unplugged or switched off while {self.direction} was "
                    "running. Choose another device and open a new stream."
                )
            )

    # -- the caller's side -----------------------------------------------------------------

    @property
    def latency(self) -> float:
        return self._latency

    def _pump(self) -> RenderPump | CapturePump | None:
        raise NotImplementedError

    def device_position(self) -> DevicePosition:
        """Where the newest time stamp Core Audio passed put the stream (one buffer old)."""
        if self.ring is not None:
            self.ring.check()
        pump = self._pump()
        position = pump.position if pump is not None else None
        if position is None:
            raise StreamError(
                f"{self.direction.capitalize()} on {self._name!r} has not moved yet: ask again "
                "once audio is flowing."
            )
        return DevicePosition(position[0], position[1], self.samplerate)

    def _stall(self) -> BaseException:
        return StreamError(
            f"No audio moved on {self._name!r} for {get_timeout():.1f} s: the device stopped "
            "(coreaudiod may have hung). Close the stream and open it again."
        )

    def close(self, wait: bool = True) -> None:
        """Stop and dispose of the unit; safe to call twice and from any thread.

        Without ``wait`` (finalizers, which may run on Core Audio's own thread, where
        stopping the unit would wait for itself) the disposal runs on a thread of its own.
        """
        with self._close_lock:
            if self._closing.is_set():
                return
            self._closing.set()
        if self.ring is not None:
            self.ring.fail(closed_error(self.direction))
        if wait:
            self._dispose()
        else:
            threading.Thread(
                target=self._dispose, name="scgui-coreaudio-close", daemon=True
            ).start()

    def _dispose(self) -> None:
        at = libraries().audiotoolbox
        unit, self._unit = self._unit, None
        if unit is not None:
            with contextlib.suppress(Exception):
                at.AudioOutputUnitStop(unit)  # waits for a running callback to return
                at.AudioUnitUninitialize(unit)
                at.AudioComponentInstanceDispose(unit)
        if self._listener is not None:
            with contextlib.suppress(Exception):
                libraries().coreaudio.AudioObjectRemovePropertyListener(
                    self._listened,
                    address(decl.kAudioDevicePropertyDeviceIsAlive),
                    self._listener,
                    ffi.NULL,
                )
        if self._tap is not None:
            with contextlib.suppress(Exception):
                self._tap.close()
            self._tap = None


class _PlaybackCore(_Stream):
    direction = "playback"

    def __init__(self, config: StreamConfig) -> None:
        self._render: RenderPump | None = None
        super().__init__(config, "speaker")

    def _enable_io(self) -> None:
        # An output unit plays by default and records only when asked: nothing to change.
        pass

    def _prepare(self, frames: int) -> None:
        capacity = max(int(PLAYBACK_RING_SECONDS * self.samplerate), 4 * frames)
        if self._config.blocksize:
            capacity = max(4 * self._config.blocksize, 2 * frames)
        self.ring = FrameRing(self.channels, capacity)
        self._render = RenderPump(ffi, self.ring, _host_clock())

    def _set_callback(self) -> None:
        pump = self._render
        assert pump is not None

        @c_callback(ffi, "AURenderCallback", _on_callback_error)
        def render(_ref: Any, flags: Any, stamp: Any, _bus: int, frames: int, data: Any) -> int:
            return pump.render(flags, stamp, frames, data)

        self._install(
            render,
            decl.kAudioUnitProperty_SetRenderCallback,
            decl.kAudioUnitScope_Input,
            decl.OUTPUT_BUS,
            "Setting the render callback",
        )

    def _pump(self) -> RenderPump | None:
        return self._render

    def write(self, frames: np.ndarray) -> None:
        ring, pump = self.ring, self._render
        assert ring is not None and pump is not None
        total, done = frames.shape[0], 0
        while done < total:
            ring.wait_writable(1, get_timeout(), self._stall)
            done += ring.put(frames[done:])
            pump.idle = False

    def drain(self) -> None:
        """Wait until the ring is empty and the device has played the last frame."""
        ring, pump = self.ring, self._render
        assert ring is not None and pump is not None
        ring.wait_empty(get_timeout(), self._stall)
        pump.idle = True
        last = ring.written
        position = pump.position
        if position is None:
            return
        frame, at = position
        heard = at + (last - frame) / self.samplerate
        wait = min(heard - time.perf_counter(), self._latency + 1.0)
        if wait > 0:
            self._closing.wait(wait)  # a close() from another thread ends it at once
        ring.check()

    @property
    def underruns(self) -> int:
        assert self.ring is not None
        return self.ring.underruns


class _CaptureCore(RingReads, _Stream):
    direction = "recording"

    def __init__(self, config: StreamConfig) -> None:
        self._capture: CapturePump | None = None
        self._loopback = config.device_id.endswith(LOOPBACK_SUFFIX)
        super().__init__(config, "microphone")

    def _resolve(self) -> _Device:
        if not self._loopback:
            device = _find(self.device_id, "microphone")
            _check_microphone_permission("this program")
            return device
        speaker = _find(self.device_id[: -len(LOOPBACK_SUFFIX)], "speaker")
        self._tap = _Tap(speaker.uid)
        deadline = time.monotonic() + max(get_timeout(), 2.0)
        while True:  # the aggregate device appears among the devices shortly after
            with contextlib.suppress(CoreAudioError):
                aggregate = _describe(self._tap.aggregate_id, "microphone")
                if aggregate is not None:
                    return _Device(
                        object_id=aggregate.object_id,
                        uid=aggregate.uid,
                        name=f"Loopback {speaker.name}",
                        channels=aggregate.channels,
                        samplerate=aggregate.samplerate,
                        labels=aggregate.labels,
                    )
            if time.monotonic() > deadline:
                self._tap.close()
                raise BackendError(
                    f"The loopback device for {speaker.name!r} did not appear: Core Audio "
                    "does not answer."
                )
            time.sleep(0.02)

    def _check_rate(self, device: _Device) -> None:
        if self.samplerate != device.samplerate:
            raise InvalidConfigError(
                f"{device.name!r} records at {device.samplerate} Hz, and the output unit does "
                f"not convert recordings: record at {device.samplerate} Hz, or set the "
                "device's rate in Audio MIDI Setup."
            )

    def _enable_io(self) -> None:
        self._unit_set(
            decl.kAudioOutputUnitProperty_EnableIO,
            decl.kAudioUnitScope_Input,
            decl.INPUT_BUS,
            "UInt32",
            1,
            "Turning on the unit's input",
        )
        self._unit_set(
            decl.kAudioOutputUnitProperty_EnableIO,
            decl.kAudioUnitScope_Output,
            decl.OUTPUT_BUS,
            "UInt32",
            0,
            "Turning off the unit's output",
        )

    def _prepare(self, frames: int) -> None:
        most = self._unit_get(
            decl.kAudioUnitProperty_MaximumFramesPerSlice,
            decl.kAudioUnitScope_Global,
            0,
            "UInt32",
            "Asking the unit's largest slice",
        )
        capacity = int(CAPTURE_RING_SECONDS * self.samplerate)
        capacity = min(capacity, (64 << 20) // (4 * self.channels))
        self.ring = FrameRing(self.channels, max(capacity, 16 * (self._config.blocksize or 0), 1))
        self._capture = CapturePump(
            ffi,
            self.ring,
            _host_clock(),
            libraries().audiotoolbox.AudioUnitRender,
            self._unit,
            max(int(most), 2 * frames),
        )

    def _set_callback(self) -> None:
        pump = self._capture
        assert pump is not None

        @c_callback(ffi, "AURenderCallback", _on_callback_error)
        def captured(_ref: Any, flags: Any, stamp: Any, bus: int, frames: int, _data: Any) -> int:
            return pump.capture(flags, stamp, bus, frames)

        self._install(
            captured,
            decl.kAudioOutputUnitProperty_SetInputCallback,
            decl.kAudioUnitScope_Global,
            0,
            "Setting the input callback",
        )

    def _pump(self) -> CapturePump | None:
        return self._capture


#: Units still running: stopped before the interpreter shuts down, as a callback into a
#: finalising interpreter would crash it.
_live_streams: weakref.WeakSet[_Stream] = weakref.WeakSet()


@atexit.register
def _close_all_streams() -> None:
    for stream in list(_live_streams):
        with contextlib.suppress(Exception):
            stream.close()


# -- device notices ------------------------------------------------------------------------------

#: The system properties whose changes mean "the device list or a default changed".
_WATCHED = (
    decl.kAudioHardwarePropertyDevices,
    decl.kAudioHardwarePropertyDefaultInputDevice,
    decl.kAudioHardwarePropertyDefaultOutputDevice,
)


class CoreAudioBackend:
    """Core Audio on macOS; see the module docstring."""

    name = "CoreAudio"
    samplerate_range = (8000, 768000)

    def __init__(self) -> None:
        self._notices = NoticeHub(self._register, self._unregister)
        self._listener: Any = None
        _live_backends.add(self)

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            loopback=has_process_taps(macos_version()), set_default=True, volume=True
        )

    def list_devices(self, kind: DeviceKind) -> list[DeviceInfo]:
        own = [_info(d, kind) for d in _list(kind)]
        if kind == "microphone" and has_process_taps(macos_version()):
            own += [_info(d, "microphone", loopback=True) for d in _list("speaker")]
        return own

    def list_streams(self) -> list[AppStream]:
        return []  # Capabilities.app_streams is False: macOS lists no other programs' streams

    def move_stream(self, stream: AppStream, device_id: str) -> None:
        raise BackendError("macOS lets each program choose its own device; change it there.")

    def set_stream_volume(self, stream: AppStream, volumes: tuple[float, ...]) -> None:
        raise BackendError("macOS has no public way to set another program's volume.")

    def set_stream_mute(self, stream: AppStream, muted: bool) -> None:
        raise BackendError("macOS has no public way to mute another program.")

    def volume_to_db(self, volume: float) -> float | None:
        return None  # each device's own curve (kAudioDevicePropertyVolumeScalarToDecibels)

    def default_device_id(self, kind: DeviceKind) -> str | None:
        selector = (
            decl.kAudioHardwarePropertyDefaultOutputDevice
            if kind == "speaker"
            else decl.kAudioHardwarePropertyDefaultInputDevice
        )
        object_id = int(get_value(SYSTEM, address(selector), "AudioObjectID", "the default device"))
        if object_id == decl.kAudioObjectUnknown:
            return None
        try:
            return get_string(object_id, address(decl.kAudioDevicePropertyDeviceUID), "its UID")
        except CoreAudioError:  # it went between the two calls; the next notice says which
            return None

    def device_info(self, kind: DeviceKind, device_id: str) -> DeviceInfo:
        return device_in(self.list_devices(kind), kind, device_id)

    def open_playback(self, config: StreamConfig) -> PlaybackFacade:
        # Capabilities.exclusive_mode is False: the shared code refuses exclusive=True.
        return PlaybackFacade(_PlaybackCore(config))

    def open_capture(self, config: StreamConfig) -> CaptureFacade:
        # Capabilities.exclusive_mode is False: the shared code refuses exclusive=True.
        return CaptureFacade(_CaptureCore(config))

    def subscribe(self, callback: Callable[[str], None]) -> NoticeSubscription:
        return self._notices.subscribe(callback)

    def unsubscribe(self, callback: Callable[[str], None]) -> None:
        self._notices.unsubscribe(callback)

    def _register(self, dispatch: Callable[[str], None]) -> None:
        @c_callback(ffi, "AudioObjectPropertyListenerProc", _on_callback_error)
        def changed(_obj: int, _count: int, _addresses: Any, _data: Any) -> int:
            dispatch("devices")
            return 0

        ca = libraries().coreaudio
        for selector in _WATCHED:
            check(
                ca.AudioObjectAddPropertyListener(SYSTEM, address(selector), changed, ffi.NULL),
                "Listening for device changes",
            )
        self._listener = changed

    def _unregister(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            return
        ca = libraries().coreaudio
        for selector in _WATCHED:
            ca.AudioObjectRemovePropertyListener(SYSTEM, address(selector), listener, ffi.NULL)

    def set_default(self, kind: DeviceKind, device_id: str) -> None:
        device = _find(device_id, kind)
        selector = (
            decl.kAudioHardwarePropertyDefaultOutputDevice
            if kind == "speaker"
            else decl.kAudioHardwarePropertyDefaultInputDevice
        )
        set_value(
            SYSTEM,
            address(selector),
            "AudioObjectID",
            device.object_id,
            f"Making {device.name!r} the default {kind}",
        )

    def set_volume(self, kind: DeviceKind, device_id: str, volumes: tuple[float, ...]) -> None:
        device = _find(device_id, kind)
        scope = _scope(kind)
        main = address(decl.kAudioDevicePropertyVolumeScalar, scope)
        if has_property(device.object_id, main) and len(set(volumes)) <= 1:
            set_value(
                device.object_id, main, "Float32", volumes[0], f"the volume of {device.name!r}"
            )
            return
        for element, volume in enumerate(volumes, start=1):
            where = address(decl.kAudioDevicePropertyVolumeScalar, scope, element)
            if not has_property(device.object_id, where):
                raise BackendError(
                    f"{device.name!r} has no volume control of its own for channel {element}: "
                    "set the volume in the program that plays, or on the interface."
                )
            set_value(device.object_id, where, "Float32", volume, f"the volume of {device.name!r}")

    def set_mute(self, kind: DeviceKind, device_id: str, muted: bool) -> None:
        device = _find(device_id, kind)
        where = address(decl.kAudioDevicePropertyMute, _scope(kind))
        if not has_property(device.object_id, where):
            raise BackendError(f"{device.name!r} has no mute control.")
        set_value(device.object_id, where, "UInt32", int(muted), f"the mute of {device.name!r}")

    def get_name(self) -> str:
        return ""

    def set_name(self, name: str) -> None:
        """macOS names a program's audio after the program itself; nothing to change."""

    def server_description(self) -> str:
        version = ".".join(str(v) for v in macos_version())
        return f"Core Audio (macOS {version})" if version else "Core Audio"

    def server_address(self) -> str:
        return "Core Audio (coreaudiod)"

    def close(self) -> None:
        """Stop device notices; streams close with themselves."""
        self._notices.close()


_live_backends: weakref.WeakSet[CoreAudioBackend] = weakref.WeakSet()


@atexit.register
def _close_backends() -> None:
    for backend in list(_live_backends):
        with contextlib.suppress(Exception):
            backend.close()
