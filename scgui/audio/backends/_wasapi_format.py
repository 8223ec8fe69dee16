"""Stream formats for WASAPI: float32 WAVEFORMATEXTENSIBLE and speaker-position masks.

WASAPI channel ``i`` is the speaker of the ``i``-th set bit of ``dwChannelMask`` (ksmedia.h),
so the mask must have exactly as many bits as channels (Wine refuses anything else; Windows
is lenient). Positions are named as PulseAudio spells them, so channel maps like
``["front-left", "lfe"]`` mean the same on every platform.
"""

from __future__ import annotations

from typing import Any

from ._com import ffi, guid
from ._wasapi_cdef import KSDATAFORMAT_SUBTYPE_IEEE_FLOAT, WAVE_FORMAT_EXTENSIBLE

#: ksmedia.h SPEAKER_* bits in order: (machine name as PulseAudio spells it, display name).
SPEAKER_POSITIONS: tuple[tuple[str, str], ...] = (
    ("front-left", "Front Left"),  # 0x1
    ("front-right", "Front Right"),  # 0x2
    ("front-center", "Front Center"),  # 0x4
    ("lfe", "Subwoofer"),  # 0x8
    ("rear-left", "Rear Left"),  # 0x10 SPEAKER_BACK_LEFT
    ("rear-right", "Rear Right"),  # 0x20
    ("front-left-of-center", "Front Left of Center"),  # 0x40
    ("front-right-of-center", "Front Right of Center"),  # 0x80
    ("rear-center", "Rear Center"),  # 0x100
    ("side-left", "Side Left"),  # 0x200
    ("side-right", "Side Right"),  # 0x400
    ("top-center", "Top Center"),  # 0x800
    ("top-front-left", "Top Front Left"),  # 0x1000
    ("top-front-center", "Top Front Center"),  # 0x2000
    ("top-front-right", "Top Front Right"),  # 0x4000
    ("top-rear-left", "Top Rear Left"),  # 0x8000
    ("top-rear-center", "Top Rear Center"),  # 0x10000
    ("top-rear-right", "Top Rear Right"),  # 0x20000
)

#: ksmedia.h's KSAUDIO_SPEAKER_* layouts for the usual channel counts.
DEFAULT_MASKS = {
    1: 0x4,  # mono: front center
    2: 0x3,  # stereo
    3: 0x7,  # 3.0: front left, right, center
    4: 0x33,  # quad
    5: 0x37,  # 5.0 (front, center, back)
    6: 0x3F,  # 5.1
    7: 0x13F,  # 6.1
    8: 0x63F,  # 7.1 surround (sides)
}

BYTES_PER_SAMPLE = 4  # float32


def bits(mask: int) -> list[int]:
    """The set bits of ``mask``, lowest first, as bit numbers."""
    return [bit for bit in range(32) if mask >> bit & 1]


def default_mask(channels: int) -> int:
    """A mask with exactly ``channels`` speaker bits: the usual layout, else the lowest bits.

    Above 18 channels there are no speaker positions left: WASAPI cannot describe the
    layout, and the mask is 0 (no positions), which Windows accepts for such devices.
    """
    if channels in DEFAULT_MASKS:
        return DEFAULT_MASKS[channels]
    if channels > len(SPEAKER_POSITIONS):
        return 0
    return (1 << channels) - 1


def mask_for(channels: int, device_mask: int | None) -> int:
    """The device's own mask when it matches ``channels`` (its channel order), else a default."""
    if device_mask is not None and len(bits(device_mask)) == channels:
        return device_mask
    return default_mask(channels)


def positions(channels: int, mask: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(machine names, display names) of each channel, from the mask; extras are ``aux``."""
    machine: list[str] = []
    display: list[str] = []
    for bit in bits(mask)[:channels]:
        if bit < len(SPEAKER_POSITIONS):
            name, label = SPEAKER_POSITIONS[bit]
        else:
            name, label = f"aux{len(machine)}", f"Channel {len(machine) + 1}"
        machine.append(name)
        display.append(label)
    while len(machine) < channels:
        machine.append(f"aux{len(machine)}")
        display.append(f"Channel {len(display) + 1}")
    return tuple(machine), tuple(display)


def float_format(samplerate: int, channels: int, mask: int) -> Any:
    """A ``WAVEFORMATEXTENSIBLE *`` for interleaved float32 at ``samplerate``."""
    fmt = ffi.new("WAVEFORMATEXTENSIBLE *")
    fmt.Format.wFormatTag = WAVE_FORMAT_EXTENSIBLE
    fmt.Format.nChannels = channels
    fmt.Format.nSamplesPerSec = samplerate
    fmt.Format.nBlockAlign = channels * BYTES_PER_SAMPLE
    fmt.Format.nAvgBytesPerSec = samplerate * channels * BYTES_PER_SAMPLE
    fmt.Format.wBitsPerSample = 8 * BYTES_PER_SAMPLE
    fmt.Format.cbSize = ffi.sizeof("WAVEFORMATEXTENSIBLE") - ffi.sizeof("WAVEFORMATEX")
    fmt.Samples.wValidBitsPerSample = 8 * BYTES_PER_SAMPLE
    fmt.dwChannelMask = mask
    fmt.SubFormat = guid(KSDATAFORMAT_SUBTYPE_IEEE_FLOAT)[0]
    return fmt


def describe_mix_format(pointer: Any) -> tuple[int, int, int | None]:
    """(samplerate, channels, channel mask or None) of a ``WAVEFORMATEX *`` from GetMixFormat."""
    base = pointer[0]
    mask = None
    if base.wFormatTag == WAVE_FORMAT_EXTENSIBLE and base.cbSize >= 22:
        mask = int(ffi.cast("WAVEFORMATEXTENSIBLE *", pointer).dwChannelMask)
    return int(base.nSamplesPerSec), int(base.nChannels), mask
