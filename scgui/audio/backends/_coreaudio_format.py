"""Pure logic of the CoreAudio backend: status codes, formats, channel layouts, clocks, sizes.

Nothing here calls Core Audio, so all of it is tested on Linux. Channel positions are named
as PulseAudio spells them (as the WASAPI backend does), so a channel map like
``["front-left", "lfe"]`` means the same on every system; a device's own channel names
("Mic/Line 1") are shown where it gives them.
"""

from __future__ import annotations

import platform
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import _coreaudio_cdef as decl

#: OSStatus values scgui can meet, with what they mean. Four-character codes are spelt
#: by :func:`status_name` as well.
STATUS_NAMES: dict[int, str] = {
    decl.kAudioHardwareNotRunningError: "kAudioHardwareNotRunningError",
    decl.kAudioHardwareUnspecifiedError: "kAudioHardwareUnspecifiedError",
    decl.kAudioHardwareUnknownPropertyError: "kAudioHardwareUnknownPropertyError",
    decl.kAudioHardwareBadPropertySizeError: "kAudioHardwareBadPropertySizeError",
    decl.kAudioHardwareIllegalOperationError: "kAudioHardwareIllegalOperationError",
    decl.kAudioHardwareBadObjectError: "kAudioHardwareBadObjectError",
    decl.kAudioHardwareBadDeviceError: "kAudioHardwareBadDeviceError",
    decl.kAudioHardwareBadStreamError: "kAudioHardwareBadStreamError",
    decl.kAudioHardwareUnsupportedOperationError: "kAudioHardwareUnsupportedOperationError",
    decl.kAudioHardwareNotReadyError: "kAudioHardwareNotReadyError",
    decl.kAudioDeviceUnsupportedFormatError: "kAudioDeviceUnsupportedFormatError",
    decl.kAudioDevicePermissionsError: "kAudioDevicePermissionsError",
    -50: "kAudio_ParamError",
    -108: "kAudio_MemFullError",
    -10879: "kAudioUnitErr_InvalidProperty",
    -10878: "kAudioUnitErr_InvalidParameter",
    -10877: "kAudioUnitErr_InvalidElement",
    -10876: "kAudioUnitErr_NoConnection",
    -10875: "kAudioUnitErr_FailedInitialization",
    -10874: "kAudioUnitErr_TooManyFramesToProcess",
    -10868: "kAudioUnitErr_FormatNotSupported",
    -10867: "kAudioUnitErr_Uninitialized",
    -10866: "kAudioUnitErr_InvalidScope",
    -10865: "kAudioUnitErr_PropertyNotWritable",
    -10863: "kAudioUnitErr_CannotDoInCurrentContext",
    -10851: "kAudioUnitErr_InvalidPropertyValue",
    -10850: "kAudioUnitErr_PropertyNotInUse",
    -10849: "kAudioUnitErr_Initialized",
    -10847: "kAudioUnitErr_Unauthorized",
    -66749: "kAudioComponentErr_InstanceInvalidated",
    -66748: "kAudioComponentErr_NotPermitted",
}

#: Statuses that mean the device is gone (unplugged, or a private device destroyed).
DEVICE_GONE = frozenset(
    {
        decl.kAudioHardwareBadDeviceError,
        decl.kAudioHardwareBadObjectError,
        -66749,  # the unit's device went away under it
    }
)

#: Statuses that mean the device is held by another program (hog mode) or permission is
#: missing.
NOT_PERMITTED = frozenset({decl.kAudioDevicePermissionsError, -10847, -66748})


def status_name(status: int) -> str:
    """``"'!dev' (kAudioHardwareBadDeviceError)"``, ``"-10868 (kAudioUnitErr_...)"``, or
    the number: how an error message names an OSStatus."""
    unsigned = status & 0xFFFFFFFF
    code = unsigned.to_bytes(4, "big")
    known = STATUS_NAMES.get(status) or STATUS_NAMES.get(unsigned)
    spelt = f"'{code.decode('latin-1')}'" if all(32 <= b < 127 for b in code) else str(status)
    return f"{spelt} ({known})" if known else spelt


# -- formats ----------------------------------------------------------------------------------

BYTES_PER_SAMPLE = 4  # float32
FLOAT_FLAGS = decl.kAudioFormatFlagIsFloat | decl.kAudioFormatFlagIsPacked


def float_format(ffi: Any, samplerate: float, channels: int) -> Any:
    """An ``AudioStreamBasicDescription *``: interleaved native-endian float32 frames."""
    if channels < 1:
        raise ValueError(f"a stream has at least one channel, not {channels}")
    fmt = ffi.new("AudioStreamBasicDescription *")
    fmt.mSampleRate = float(samplerate)
    fmt.mFormatID = decl.kAudioFormatLinearPCM
    fmt.mFormatFlags = FLOAT_FLAGS
    fmt.mBytesPerPacket = BYTES_PER_SAMPLE * channels
    fmt.mFramesPerPacket = 1
    fmt.mBytesPerFrame = BYTES_PER_SAMPLE * channels
    fmt.mChannelsPerFrame = channels
    fmt.mBitsPerChannel = 8 * BYTES_PER_SAMPLE
    return fmt


def channels_in_configuration(ffi: Any, raw: Any, size: int) -> int:
    """The channel count of a ``kAudioDevicePropertyStreamConfiguration`` value.

    The value is an ``AudioBufferList`` with one buffer per stream of the device (``size``
    bytes of it): the device's channels in one scope are the sum over its buffers.
    """
    header = ffi.offsetof("AudioBufferList", "mBuffers")
    if size < header:
        return 0
    buffers = ffi.cast("AudioBufferList *", raw)
    fits = (size - header) // ffi.sizeof("AudioBuffer")
    count = min(int(buffers.mNumberBuffers), fits)
    first = ffi.cast("AudioBuffer *", ffi.cast("char *", buffers) + header)
    return sum(int(first[i].mNumberChannels) for i in range(count))


def layout_labels(ffi: Any, raw: Any, size: int) -> tuple[int, ...]:
    """The channel labels of an ``AudioChannelLayout`` value (``kAudioDevicePropertyPreferred
    ChannelLayout``), or ``()`` when it is given only as a layout tag.

    Devices give their layout as channel descriptions (one label each) or as a bitmap of
    positions (bit *n* is label *n + 1*); a bare tag names a standard layout, which a device
    rarely uses for its preferred one.
    """
    header = ffi.offsetof("AudioChannelLayout", "mChannelDescriptions")
    if size < header:
        return ()
    layout = ffi.cast("AudioChannelLayout *", raw)
    tag = int(layout.mChannelLayoutTag)
    if tag == decl.kAudioChannelLayoutTag_UseChannelDescriptions:
        fits = (size - header) // ffi.sizeof("AudioChannelDescription")
        count = min(int(layout.mNumberChannelDescriptions), fits)
        first = ffi.cast("AudioChannelDescription *", ffi.cast("char *", layout) + header)
        return tuple(int(first[i].mChannelLabel) for i in range(count))
    if tag == decl.kAudioChannelLayoutTag_UseChannelBitmap:
        bitmap = int(layout.mChannelBitmap)
        return tuple(label for bit, label in BITMAP_LABELS.items() if bitmap >> bit & 1)
    return ()


#: kAudioChannelBit_* -> the label it stands for (CoreAudioBaseTypes.h): bits 0 to 17 are
#: labels 1 to 18; the top-middle and top-rear bits come later with labels of their own.
BITMAP_LABELS: dict[int, int] = {
    **{bit: bit + 1 for bit in range(18)},
    21: 49,  # LeftTopMiddle
    23: 51,  # RightTopMiddle
    24: 52,  # LeftTopRear
    25: 53,  # CenterTopRear
    26: 54,  # RightTopRear
}


# -- channel layouts ---------------------------------------------------------------------------

#: kAudioChannelLabel_* (CoreAudioBaseTypes.h) -> (position as PulseAudio spells it, name).
CHANNEL_LABELS: dict[int, tuple[str, str]] = {
    1: ("front-left", "Front Left"),
    2: ("front-right", "Front Right"),
    3: ("front-center", "Front Center"),
    4: ("lfe", "Subwoofer"),
    5: ("rear-left", "Rear Left"),  # LeftSurround: the rear pair of 5.1
    6: ("rear-right", "Rear Right"),
    7: ("front-left-of-center", "Front Left of Center"),
    8: ("front-right-of-center", "Front Right of Center"),
    9: ("rear-center", "Rear Center"),
    10: ("side-left", "Side Left"),  # LeftSurroundDirect
    11: ("side-right", "Side Right"),
    12: ("top-center", "Top Center"),
    13: ("top-front-left", "Top Front Left"),  # VerticalHeightLeft
    14: ("top-front-center", "Top Front Center"),
    15: ("top-front-right", "Top Front Right"),
    16: ("top-rear-left", "Top Rear Left"),
    17: ("top-rear-center", "Top Rear Center"),
    18: ("top-rear-right", "Top Rear Right"),
    33: ("rear-left", "Rear Left"),  # RearSurroundLeft
    34: ("rear-right", "Rear Right"),
    42: ("mono", "Mono"),
}
#: With a rear pair (labels 33, 34) present, Left/RightSurround are the sides (7.1).
_SURROUND_AS_SIDES = {5: ("side-left", "Side Left"), 6: ("side-right", "Side Right")}


def channel_positions(
    labels: Sequence[int], element_names: Sequence[str] = ()
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(machine positions, display names) of a device's channels.

    ``labels`` are the ``mChannelLabel`` of the device's preferred channel layout (one per
    channel, or fewer); ``element_names`` the names the device gives its channels
    (``kAudioObjectPropertyElementName``), preferred for display. A position used twice, an
    unknown or discrete label, or a channel beyond the layout becomes ``aux<n>``.
    """
    count = max(len(labels), len(element_names))
    table = dict(CHANNEL_LABELS)
    if 33 in labels or 34 in labels:
        table.update(_SURROUND_AS_SIDES)
    machine: list[str] = []
    display: list[str] = []
    for index in range(count):
        label = labels[index] if index < len(labels) else 0
        position, name = table.get(label, (f"aux{index}", f"Channel {index + 1}"))
        if position in machine:
            position, name = f"aux{index}", f"Channel {index + 1}"
        given = element_names[index].strip() if index < len(element_names) else ""
        machine.append(position)
        display.append(given or name)
    return tuple(machine), tuple(display)


def default_labels(channels: int) -> tuple[int, ...]:
    """The labels a device without a preferred layout is taken to have: mono or stereo
    positions for one or two channels, discrete channels beyond."""
    if channels == 1:
        return (42,)
    if channels == 2:
        return (1, 2)
    return tuple(0 for _ in range(channels))


# -- sizes and latency -------------------------------------------------------------------------

#: A block size when the program gives none: about 10 ms at 48 kHz, what the HAL uses.
DEFAULT_BUFFER_FRAMES = 512


def buffer_frames(blocksize: int | None, frame_range: tuple[float, float] | None) -> int:
    """The device I/O buffer size to ask for: the block size (or the default), clamped to
    the range the device allows."""
    wanted = int(blocksize) if blocksize else DEFAULT_BUFFER_FRAMES
    if frame_range is None:
        return wanted
    low, high = int(frame_range[0]), int(frame_range[1])
    return max(low, min(high, wanted))


@dataclass(frozen=True)
class LatencyParts:
    """What a stream's latency is made of, in frames, as Core Audio reports each part."""

    device: int
    safety_offset: int
    stream: int
    buffer: int

    def seconds(self, samplerate: float) -> float:
        """Frames from handing a frame over to it reaching the converter, in seconds: the
        device's and stream's latency, the safety offset and one I/O buffer."""
        return (self.device + self.safety_offset + self.stream + self.buffer) / samplerate


# -- clocks -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HostClock:
    """Turns Core Audio host times (``mach_absolute_time`` ticks, the ``mHostTime`` of a
    time stamp) into :func:`time.perf_counter` seconds, from one reading of both."""

    numer: int
    denom: int
    host_at: int
    perf_at: float

    def to_perf_counter(self, host_time: int) -> float:
        ticks = int(host_time) - self.host_at
        return self.perf_at + ticks * self.numer / self.denom / 1e9


# -- system versions ------------------------------------------------------------------------------

#: The first macOS with Core Audio process taps (AudioHardwareCreateProcessTap).
PROCESS_TAPS_SINCE = (14, 2)


def macos_version(text: str | None = None) -> tuple[int, ...]:
    """This Mac's version as numbers (``(14, 2, 1)``); ``()`` when not on macOS."""
    release = platform.mac_ver()[0] if text is None else text
    return tuple(int(part) for part in re.findall(r"\d+", release)[:3])


def has_process_taps(version: tuple[int, ...]) -> bool:
    """Whether loopback recording through a process tap is possible on ``version``."""
    return bool(version) and version[:2] >= PROCESS_TAPS_SINCE


def loopback_requirement(version: tuple[int, ...]) -> str:
    """What to tell someone who asks for a loopback microphone on a Mac without taps."""
    have = ".".join(str(v) for v in version) if version else "an unknown version"
    need = ".".join(str(v) for v in PROCESS_TAPS_SINCE)
    return (
        f"Recording what a speaker plays needs macOS {need} or later (Core Audio process "
        f"taps); this Mac runs {have}. Install a virtual device (BlackHole, Loopback) and "
        "record from it instead."
    )


def tap_aggregate_description(tap_uid: str, aggregate_uid: str, name: str) -> dict[str, Any]:
    """The description of the private aggregate device that makes a tap recordable.

    Keys are those of AudioHardware.h (``kAudioAggregateDevice*Key``). The aggregate has no
    real sub-device, only the tap, so its inputs are the tap's channels and nothing else;
    it is private (no other program sees it). It does not auto-start the tap
    (``tapautostart``): with that key, starting the device waits until a tapped process
    plays, which would hold a recording's start for as long as the speaker is silent. The
    aggregate's rate is set to the tap's format after it is made.
    """
    return {
        decl.kAudioAggregateDeviceNameKey: name,
        decl.kAudioAggregateDeviceUIDKey: aggregate_uid,
        decl.kAudioAggregateDeviceIsPrivateKey: 1,
        decl.kAudioAggregateDeviceTapListKey: [
            {decl.kAudioSubTapUIDKey: tap_uid, decl.kAudioSubTapDriftCompensationKey: 1}
        ],
    }


# -- microphone permission --------------------------------------------------------------------

#: AVAuthorizationStatus (AVFoundation/AVCaptureDevice.h).
AUTHORIZATION_STATUS: Mapping[int, str] = {
    0: "not determined",
    1: "restricted",
    2: "denied",
    3: "authorized",
}


def microphone_refusal(status: int, program: str) -> str | None:
    """The error to raise before recording when macOS would deliver only silence, or None.

    Without the permission Core Audio does not fail: the input unit delivers zeros. A
    denied or restricted status is therefore an error, with where to change it; "not
    determined" lets macOS ask the person when the stream starts.
    """
    if status == 2:
        return (
            f"macOS denies {program} the microphone: recordings would be silence. Allow it in "
            "System Settings > Privacy & Security > Microphone, then open the stream again."
        )
    if status == 1:
        return (
            f"Microphone access is restricted on this Mac (a device-management profile or "
            f"parental controls): {program} cannot record. Ask the Mac's administrator."
        )
    return None
