"""A stand-in for Core Audio's C interface, for testing the CoreAudio backend on Linux.

:class:`FakeHal` answers the calls the backend makes (``AudioObjectGetPropertyData`` and the
rest, the AUHAL unit's calls, CoreFoundation strings) with the same C types, writing into the
caller's memory as the HAL does. Its units run an I/O thread that calls the backend's render
and input callbacks through their C function pointers, with Core Audio's time stamps, so the
backend's real code runs end to end: only the machine behind the calls is simulated.

What it models (from Apple's documentation of each call): a property's size is asked first and
its data then written into a buffer of that size; strings come back as ``CFStringRef`` the
caller must release; an output unit's render callback is called with ``ioData`` pointing at
one interleaved buffer; an input callback gets ``ioData == NULL`` and pulls the frames with
``AudioUnitRender`` into its own list; ``AudioOutputUnitStop`` returns once no callback runs.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scgui.audio.backends import _coreaudio_cdef as decl
from scgui.audio.backends._coreaudio_lib import Libraries, ffi

UNKNOWN_PROPERTY = decl.kAudioHardwareUnknownPropertyError
BAD_OBJECT = decl.kAudioHardwareBadObjectError


@dataclass
class FakeDevice:
    """One audio device as the HAL describes it."""

    object_id: int
    uid: str
    name: str
    inputs: int = 0
    outputs: int = 0
    rate: float = 48000.0
    input_labels: tuple[int, ...] = ()
    output_labels: tuple[int, ...] = ()
    input_names: tuple[str, ...] = ()
    latency: int = 24
    safety_offset: int = 16
    buffer_frames: int = 512
    buffer_range: tuple[float, float] = (15.0, 4096.0)
    volume: float | None = 0.75
    #: What a recording of this device captures: frame n of channel c is signal[n, c].
    signal: np.ndarray | None = None
    #: Every frame played to this device, in order.
    played: list[np.ndarray] = field(default_factory=list)
    alive: bool = True


class _Unit:
    """An AUHAL instance: properties set on it, and an I/O thread once started."""

    def __init__(self, hal: FakeHal) -> None:
        self.hal = hal
        self.enable_input = 0
        self.enable_output = 1
        self.device: FakeDevice | None = None
        self.format: tuple[float, int] | None = None
        self.render: Any = None  # AURenderCallback for output
        self.input: Any = None  # AURenderCallback for input
        self.frames = 512
        self.max_slice = 4096  # AUHAL's default
        self.initialized = False
        self.thread: threading.Thread | None = None
        self.running = threading.Event()
        self.captured = 0  # frames of the device's signal handed out so far
        self.render_status: list[int] = []


class FakeHal:
    """The frameworks' functions, answered from a list of :class:`FakeDevice`."""

    def __init__(self, devices: list[FakeDevice], *, period: float = 0.002) -> None:
        self.devices = {d.object_id: d for d in devices}
        self.default_output = next((d.object_id for d in devices if d.outputs), 0)
        self.default_input = next((d.object_id for d in devices if d.inputs), 0)
        self.period = period  # seconds between I/O cycles (faster than real time)
        self._strings: dict[int, str] = {}
        self._next_string = 0x1000
        self.released: list[int] = []
        self.listeners: list[tuple[int, int, Any]] = []
        self.units: list[_Unit] = []
        self.host_ticks = 0
        #: Set to stop every I/O cycle, as when coreaudiod hangs.
        self.frozen = threading.Event()
        self._lock = threading.Lock()

    def libraries(self) -> Libraries:
        return Libraries(
            coreaudio=self, audiotoolbox=self, corefoundation=self, objc=self, system=self
        )

    # -- CoreFoundation strings --------------------------------------------------------------

    def string(self, text: str) -> Any:
        with self._lock:
            handle = self._next_string
            self._next_string += 0x10
            self._strings[handle] = text
        return ffi.cast("CFStringRef", handle)

    def live_strings(self) -> list[str]:
        """Strings handed out and never released (a leak in the backend)."""
        return [t for h, t in self._strings.items() if h not in self.released]

    def CFStringGetLength(self, ref: Any) -> int:
        return len(self._strings[int(ffi.cast("uintptr_t", ref))])

    def CFStringGetMaximumSizeForEncoding(self, length: int, encoding: int) -> int:
        assert encoding == decl.kCFStringEncodingUTF8
        return 4 * length

    def CFStringGetCString(self, ref: Any, buffer: Any, size: int, encoding: int) -> int:
        raw = self._strings[int(ffi.cast("uintptr_t", ref))].encode()
        if len(raw) + 1 > size:
            return 0
        ffi.memmove(buffer, raw + b"\0", len(raw) + 1)
        return 1

    def CFStringCreateWithCString(self, _alloc: Any, text: bytes, encoding: int) -> Any:
        return self.string(text.decode())

    def CFRelease(self, ref: Any) -> None:
        self.released.append(int(ffi.cast("uintptr_t", ref)))

    # -- properties --------------------------------------------------------------------------

    def _value(self, obj: int, where: Any, data: bool = False) -> bytes | None:
        """The property's bytes; a string is made (for the caller to release) only when
        ``data`` is asked for, as the HAL retains one only for AudioObjectGetPropertyData."""
        selector, scope, element = int(where.mSelector), int(where.mScope), int(where.mElement)
        if obj == decl.kAudioObjectSystemObject:
            if selector == decl.kAudioHardwarePropertyDevices:
                return b"".join(struct.pack("<I", i) for i in self.devices)
            if selector == decl.kAudioHardwarePropertyDefaultOutputDevice:
                return struct.pack("<I", self.default_output)
            if selector == decl.kAudioHardwarePropertyDefaultInputDevice:
                return struct.pack("<I", self.default_input)
            return None
        device = self.devices.get(obj)
        if device is None:
            return None
        inputs = scope == decl.kAudioObjectPropertyScopeInput
        channels = device.inputs if inputs else device.outputs

        def pointer(text: str) -> bytes:
            handle = int(ffi.cast("uintptr_t", self.string(text))) if data else 0
            return struct.pack("<Q", handle)

        if selector == decl.kAudioDevicePropertyDeviceUID:
            return pointer(device.uid)
        if selector == decl.kAudioObjectPropertyName:
            return pointer(device.name)
        if selector == decl.kAudioDevicePropertyNominalSampleRate:
            return struct.pack("<d", device.rate)
        if selector == decl.kAudioDevicePropertyDeviceIsAlive:
            return struct.pack("<I", int(device.alive))
        if selector == decl.kAudioDevicePropertyBufferFrameSize:
            return struct.pack("<I", device.buffer_frames)
        if selector == decl.kAudioDevicePropertyBufferFrameSizeRange:
            return struct.pack("<dd", *device.buffer_range)
        if selector == decl.kAudioDevicePropertyLatency:
            return struct.pack("<I", device.latency)
        if selector == decl.kAudioDevicePropertySafetyOffset:
            return struct.pack("<I", device.safety_offset)
        if selector == decl.kAudioDevicePropertyStreamConfiguration:
            # One stream (buffer) per 2 channels, as many interfaces present them.
            sizes = [min(2, channels - k) for k in range(0, channels, 2)]
            raw = struct.pack("<I4x", len(sizes))
            raw += b"".join(struct.pack("<IIQ", n, 0, 0) for n in sizes)
            return raw
        if selector == decl.kAudioDevicePropertyPreferredChannelLayout:
            labels = device.input_labels if inputs else device.output_labels
            if not labels:
                return None
            raw = struct.pack(
                "<III", decl.kAudioChannelLayoutTag_UseChannelDescriptions, 0, len(labels)
            )
            raw += b"".join(struct.pack("<II3f", label, 0, 0, 0, 0) for label in labels)
            return raw
        if selector == decl.kAudioObjectPropertyElementName:
            names = device.input_names if inputs else ()
            if 1 <= element <= len(names):
                return pointer(names[element - 1])
            return None
        if selector == decl.kAudioDevicePropertyVolumeScalar and element == 0:
            return (
                None if device.volume is None or channels == 0 else struct.pack("<f", device.volume)
            )
        return None

    def AudioObjectHasProperty(self, obj: int, where: Any) -> int:
        return int(self._value(obj, where) is not None)

    def AudioObjectGetPropertyDataSize(
        self, obj: int, where: Any, _qs: int, _q: Any, size: Any
    ) -> int:
        value = self._value(obj, where)
        if value is None:
            return UNKNOWN_PROPERTY if obj in self.devices or obj == 1 else BAD_OBJECT
        size[0] = len(value)
        return 0

    def AudioObjectGetPropertyData(
        self, obj: int, where: Any, _qs: int, _q: Any, size: Any, data: Any
    ) -> int:
        value = self._value(obj, where, data=True)
        if value is None:
            return UNKNOWN_PROPERTY if obj in self.devices or obj == 1 else BAD_OBJECT
        if size[0] < len(value):
            return decl.kAudioHardwareBadPropertySizeError
        ffi.memmove(data, value, len(value))
        size[0] = len(value)
        return 0

    def AudioObjectSetPropertyData(
        self, obj: int, where: Any, _qs: int, _q: Any, size: int, data: Any
    ) -> int:
        raw = ffi.buffer(data, size)[:]
        if obj == decl.kAudioObjectSystemObject:
            if where.mSelector == decl.kAudioHardwarePropertyDefaultOutputDevice:
                self.default_output = struct.unpack("<I", raw)[0]
                self._notify(decl.kAudioHardwarePropertyDefaultOutputDevice)
                return 0
            return UNKNOWN_PROPERTY
        device = self.devices[obj]
        if where.mSelector == decl.kAudioDevicePropertyVolumeScalar:
            device.volume = struct.unpack("<f", raw)[0]
            return 0
        return UNKNOWN_PROPERTY

    def AudioObjectAddPropertyListener(self, obj: int, where: Any, proc: Any, data: Any) -> int:
        self.listeners.append((obj, int(where.mSelector), proc))
        return 0

    def AudioObjectRemovePropertyListener(self, obj: int, where: Any, proc: Any, data: Any) -> int:
        entry = (obj, int(where.mSelector), proc)
        if entry in self.listeners:
            self.listeners.remove(entry)
        return 0

    def _notify(self, selector: int, obj: int = decl.kAudioObjectSystemObject) -> None:
        """Call the listeners of ``selector`` on ``obj``, as the HAL's notification thread."""
        where = ffi.new("AudioObjectPropertyAddress *")
        where.mSelector, where.mScope = selector, decl.kAudioObjectPropertyScopeGlobal
        for listened, listened_selector, proc in list(self.listeners):
            if listened == obj and listened_selector == selector:
                proc(obj, 1, where, ffi.NULL)

    def unplug(self, object_id: int) -> None:
        """The device goes, as when its cable is pulled: it dies, then leaves the list."""
        device = self.devices[object_id]
        device.alive = False
        for unit in self.units:
            if unit.device is device:
                unit.running.clear()
        self._notify(decl.kAudioDevicePropertyDeviceIsAlive, object_id)
        del self.devices[object_id]
        if self.default_output == object_id:
            self.default_output = next((i for i, d in self.devices.items() if d.outputs), 0)
            self._notify(decl.kAudioHardwarePropertyDefaultOutputDevice)
        if self.default_input == object_id:
            self.default_input = next((i for i, d in self.devices.items() if d.inputs), 0)
            self._notify(decl.kAudioHardwarePropertyDefaultInputDevice)
        self._notify(decl.kAudioHardwarePropertyDevices)

    # -- the HAL output unit --------------------------------------------------------------------

    def AudioComponentFindNext(self, _after: Any, description: Any) -> Any:
        assert description.componentType == decl.kAudioUnitType_Output
        assert description.componentSubType == decl.kAudioUnitSubType_HALOutput
        return ffi.cast("AudioComponent", 0xA0)

    def AudioComponentInstanceNew(self, _component: Any, out: Any) -> int:
        self.units.append(_Unit(self))
        out[0] = ffi.cast("AudioUnit", len(self.units))
        return 0

    def _unit(self, handle: Any) -> _Unit:
        return self.units[int(ffi.cast("uintptr_t", handle)) - 1]

    def AudioUnitSetProperty(
        self, handle: Any, prop: int, scope: int, element: int, data: Any, size: int
    ) -> int:
        unit = self._unit(handle)
        if unit.initialized and prop not in (decl.kAudioDevicePropertyBufferFrameSize,):
            return -10849  # kAudioUnitErr_Initialized
        if prop == decl.kAudioOutputUnitProperty_EnableIO:
            value = ffi.cast("UInt32 *", data)[0]
            if scope == decl.kAudioUnitScope_Input and element == decl.INPUT_BUS:
                unit.enable_input = value
            elif scope == decl.kAudioUnitScope_Output and element == decl.OUTPUT_BUS:
                unit.enable_output = value
            else:
                return -10877
        elif prop == decl.kAudioOutputUnitProperty_CurrentDevice:
            device = self.devices.get(ffi.cast("AudioObjectID *", data)[0])
            if device is None:
                return BAD_OBJECT
            unit.device = device
        elif prop == decl.kAudioDevicePropertyBufferFrameSize:
            assert unit.device is not None, "the device is chosen before its buffer size"
            wanted = ffi.cast("UInt32 *", data)[0]
            low, high = unit.device.buffer_range
            if not low <= wanted <= high:
                return decl.kAudioHardwareIllegalOperationError
            unit.device.buffer_frames = unit.frames = wanted
        elif prop == decl.kAudioUnitProperty_StreamFormat:
            fmt = ffi.cast("AudioStreamBasicDescription *", data)
            assert size == ffi.sizeof("AudioStreamBasicDescription")
            device = unit.device
            assert device is not None
            recording = scope == decl.kAudioUnitScope_Output and element == decl.INPUT_BUS
            playing = scope == decl.kAudioUnitScope_Input and element == decl.OUTPUT_BUS
            if not (recording or playing):
                return -10866  # kAudioUnitErr_InvalidScope
            channels = device.inputs if recording else device.outputs
            if (
                fmt.mFormatID != decl.kAudioFormatLinearPCM
                or fmt.mFormatFlags & decl.kAudioFormatFlagIsNonInterleaved
                or not fmt.mFormatFlags & decl.kAudioFormatFlagIsFloat
                or fmt.mChannelsPerFrame != channels
                or fmt.mBytesPerFrame != 4 * channels
            ):
                return -10868  # kAudioUnitErr_FormatNotSupported
            if recording and fmt.mSampleRate != device.rate:
                return -10868  # AUHAL does not convert the input's rate
            unit.format = (float(fmt.mSampleRate), int(fmt.mChannelsPerFrame))
        elif prop == decl.kAudioUnitProperty_MaximumFramesPerSlice:
            unit.max_slice = ffi.cast("UInt32 *", data)[0]
        elif prop == decl.kAudioUnitProperty_SetRenderCallback:
            unit.render = ffi.cast("AURenderCallbackStruct *", data).inputProc
        elif prop == decl.kAudioOutputUnitProperty_SetInputCallback:
            unit.input = ffi.cast("AURenderCallbackStruct *", data).inputProc
        else:
            return -10879  # kAudioUnitErr_InvalidProperty
        return 0

    def AudioUnitGetProperty(
        self, handle: Any, prop: int, scope: int, element: int, data: Any, size: Any
    ) -> int:
        if prop == decl.kAudioUnitProperty_MaximumFramesPerSlice:
            ffi.cast("UInt32 *", data)[0] = self._unit(handle).max_slice
            size[0] = 4
            return 0
        return -10879

    def AudioUnitInitialize(self, handle: Any) -> int:
        unit = self._unit(handle)
        if unit.device is None or unit.format is None:
            return -10875  # kAudioUnitErr_FailedInitialization
        if unit.enable_input and unit.input is None:
            return -10875
        unit.initialized = True
        return 0

    def AudioUnitUninitialize(self, handle: Any) -> int:
        self._unit(handle).initialized = False
        return 0

    def AudioComponentInstanceDispose(self, handle: Any) -> int:
        unit = self._unit(handle)
        assert not unit.running.is_set(), "disposed while running"
        return 0

    def AudioOutputUnitStart(self, handle: Any) -> int:
        unit = self._unit(handle)
        if not unit.initialized:
            return -10867  # kAudioUnitErr_Uninitialized
        unit.running.set()
        unit.thread = threading.Thread(target=self._io, args=(unit,), daemon=True)
        unit.thread.start()
        return 0

    def AudioOutputUnitStop(self, handle: Any) -> int:
        unit = self._unit(handle)
        unit.running.clear()
        if unit.thread is not None and unit.thread is not threading.current_thread():
            unit.thread.join()
        return 0

    def AudioUnitRender(
        self, handle: Any, flags: Any, stamp: Any, bus: int, frames: int, buffers: Any
    ) -> int:
        """The input side: the device's signal, interleaved, into the caller's list."""
        unit = self._unit(handle)
        device = unit.device
        assert device is not None and bus == decl.INPUT_BUS
        buffer = buffers.mBuffers[0]
        if buffer.mDataByteSize < frames * 4 * device.inputs:
            return -50
        out = np.frombuffer(ffi.buffer(buffer.mData, frames * 4 * device.inputs), np.float32)
        signal = device.signal if device.signal is not None else np.zeros((1, device.inputs))
        rows = np.arange(unit.captured, unit.captured + frames) % len(signal)
        out[:] = signal[rows].astype(np.float32).ravel()
        unit.captured += frames
        return 0

    def _io(self, unit: _Unit) -> None:
        """The I/O thread: one callback per cycle, with Core Audio's time stamp."""
        device = unit.device
        assert device is not None
        frames = unit.frames
        assert frames <= unit.max_slice, "Core Audio never asks for more than the largest slice"
        sample_time = 0.0
        data = ffi.new("float[]", frames * max(device.outputs, 1))
        buffers = ffi.new("AudioBufferList *")
        flags = ffi.new("AudioUnitRenderActionFlags *")
        stamp = ffi.new("AudioTimeStamp *")
        while unit.running.is_set():
            if self.frozen.is_set():  # coreaudiod hangs: no callbacks, Stop still returns
                time.sleep(self.period)
                continue
            stamp.mSampleTime = sample_time
            stamp.mHostTime = self.mach_absolute_time()
            stamp.mFlags = 0x3  # sample time and host time valid
            flags[0] = 0
            if unit.enable_input:
                status = unit.input(ffi.NULL, flags, stamp, decl.INPUT_BUS, frames, ffi.NULL)
            else:
                buffers.mNumberBuffers = 1
                buffers.mBuffers[0].mNumberChannels = device.outputs
                buffers.mBuffers[0].mDataByteSize = frames * 4 * device.outputs
                buffers.mBuffers[0].mData = data
                status = unit.render(ffi.NULL, flags, stamp, decl.OUTPUT_BUS, frames, buffers)
                raw = ffi.buffer(data, frames * 4 * device.outputs)
                block = np.frombuffer(raw, np.float32).reshape(frames, device.outputs).copy()
                if flags[0] & decl.kAudioUnitRenderAction_OutputIsSilence:
                    block[:] = 0.0
                device.played.append(block)
            unit.render_status.append(int(status))
            sample_time += frames
            time.sleep(self.period)

    # -- the ObjC runtime and the clock --------------------------------------------------------

    def objc_getClass(self, _name: bytes) -> Any:
        return ffi.NULL  # no AVFoundation: permission unknown, no taps

    def sel_registerName(self, name: bytes) -> Any:
        return ffi.cast("void *", 0x5E1)

    def mach_timebase_info(self, info: Any) -> int:
        info.numer, info.denom = 125, 3  # Apple silicon's 24 MHz clock
        return 0

    def mach_absolute_time(self) -> int:
        return int(time.perf_counter() * 24_000_000)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.005)
