"""The WASAPI backend's pure logic, on any platform: structure layouts as the Windows headers
define them, float32 formats and speaker masks, GUIDs, HRESULT names, and the device
notification client called through its own COM vtable (as Windows would call it).

The backend itself runs against a real server under Wine: test_wasapi_rig.py (see the README)."""

from __future__ import annotations

import pytest

from scgui.audio.backends import _wasapi_cdef as decl
from scgui.audio.backends._com import check, ffi, guid, guid_text, hresult_name, stamp_age
from scgui.audio.backends._wasapi_format import (
    DEFAULT_MASKS,
    bits,
    default_mask,
    describe_mix_format,
    float_format,
    mask_for,
    positions,
)
from scgui.audio.backends.wasapi import _NotificationClient
from scgui.audio.errors import BackendError


def test_layouts_match_the_windows_headers() -> None:
    # mmreg.h packs WAVEFORMATEX to 18 bytes; WAVEFORMATEXTENSIBLE's mask sits at 20.
    assert ffi.sizeof("WAVEFORMATEX") == 18
    assert ffi.sizeof("WAVEFORMATEXTENSIBLE") == 40
    assert ffi.offsetof("WAVEFORMATEXTENSIBLE", "Samples") == 18
    assert ffi.offsetof("WAVEFORMATEXTENSIBLE", "dwChannelMask") == 20
    assert ffi.offsetof("WAVEFORMATEXTENSIBLE", "SubFormat") == 24
    assert ffi.sizeof("GUID") == 16
    assert ffi.sizeof("PROPERTYKEY") == 20
    assert ffi.sizeof("PROPVARIANT") == 24
    assert ffi.offsetof("PROPVARIANT", "pwszVal") == 8
    # Vtable slots: a method's offset is its index in the interface, inherited ones first.
    pointer = ffi.sizeof("void *")
    assert ffi.offsetof("IAudioClientVtbl", "Initialize") == 3 * pointer
    assert ffi.offsetof("IAudioClientVtbl", "GetService") == 14 * pointer
    assert ffi.offsetof("IMMDeviceEnumeratorVtbl", "GetDevice") == 5 * pointer
    assert ffi.offsetof("IAudioCaptureClientVtbl", "GetNextPacketSize") == 5 * pointer
    assert ffi.offsetof("IPropertyStoreVtbl", "GetValue") == 5 * pointer
    assert ffi.offsetof("IMMNotificationClientVtbl", "OnPropertyValueChanged") == 7 * pointer


def test_float_format_fields() -> None:
    fmt = float_format(44100, 8, 0x63F)
    raw = bytes(ffi.buffer(fmt))
    assert raw[:2] == (0xFFFE).to_bytes(2, "little")  # WAVE_FORMAT_EXTENSIBLE
    assert int.from_bytes(raw[2:4], "little") == 8
    assert int.from_bytes(raw[4:8], "little") == 44100
    assert int.from_bytes(raw[8:12], "little") == 44100 * 8 * 4
    assert int.from_bytes(raw[12:14], "little") == 32  # block align
    assert int.from_bytes(raw[14:16], "little") == 32  # bits
    assert int.from_bytes(raw[16:18], "little") == 22  # cbSize
    assert int.from_bytes(raw[18:20], "little") == 32  # valid bits
    assert int.from_bytes(raw[20:24], "little") == 0x63F
    assert guid_text(fmt.SubFormat) == decl.KSDATAFORMAT_SUBTYPE_IEEE_FLOAT
    assert describe_mix_format(ffi.cast("WAVEFORMATEX *", fmt)) == (44100, 8, 0x63F)


@pytest.mark.parametrize("channels", range(1, 19))
def test_every_default_mask_has_one_bit_per_channel(channels: int) -> None:
    assert len(bits(default_mask(channels))) == channels


def test_masks_and_positions() -> None:
    assert default_mask(2) == 0x3 and default_mask(6) == 0x3F and default_mask(8) == 0x63F
    assert default_mask(32) == 0  # no speaker positions left
    assert mask_for(2, 0x3) == 0x3
    assert mask_for(2, 0x7) == 0x3  # a mask that does not match the count is not used
    assert mask_for(6, 0x60F) == 0x60F  # 5.1 with side speakers: the device's own order
    machine, display = positions(8, DEFAULT_MASKS[8])
    assert machine == (
        "front-left",
        "front-right",
        "front-center",
        "lfe",
        "rear-left",
        "rear-right",
        "side-left",
        "side-right",
    )
    assert display[3] == "Subwoofer"
    machine, display = positions(1, 0x4)
    assert machine == ("front-center",)
    machine, display = positions(20, 0)
    assert machine[0] == "aux0" and display[19] == "Channel 20"


def test_guids_round_trip() -> None:
    for text in (decl.CLSID_MMDEVICE_ENUMERATOR, decl.IID_IAUDIO_CLIENT, decl.IID_IUNKNOWN):
        assert guid_text(guid(text)[0]) == text
    value = guid("{BCDE0395-E52F-467C-8E3D-C4579291692E}")[0]
    assert value.Data1 == 0xBCDE0395 and value.Data2 == 0xE52F and value.Data3 == 0x467C
    assert bytes(value.Data4) == bytes.fromhex("8E3DC4579291692E")


def test_hresults_become_errors_with_their_names() -> None:
    assert check(0, "anything") == 0 and check(1, "S_FALSE is success") == 1
    invalidated = 0x88890004 - (1 << 32)  # as the signed HRESULT a call returns
    assert hresult_name(invalidated) == "AUDCLNT_E_DEVICE_INVALIDATED (0x88890004)"
    with pytest.raises(BackendError, match="Starting failed: AUDCLNT_E_DEVICE_INVALIDATED") as err:
        check(invalidated, "Starting", "Choose another device.")
    assert err.value.code == 0x88890004 and "Choose another device." in str(err.value)
    assert hresult_name(0x80001234 - (1 << 32)) == "HRESULT 0x80001234"


def test_notification_client_answers_com_calls() -> None:
    """Windows calls the client through its vtable; every notice reaches the listener."""
    notices: list[str] = []
    client = _NotificationClient(notices.append)
    this = client.pointer
    vtbl = this.lpVtbl
    out = ffi.new("void **")
    assert vtbl.QueryInterface(this, guid(decl.IID_IMMNOTIFICATION_CLIENT), out) == 0
    assert out[0] == ffi.cast("void *", this)
    assert vtbl.QueryInterface(this, guid(decl.IID_IUNKNOWN), out) == 0
    assert vtbl.QueryInterface(this, guid(decl.IID_IAUDIO_CLIENT), out) < 0
    assert out[0] == ffi.NULL
    assert vtbl.AddRef(this) >= 1 and vtbl.Release(this) >= 1
    assert vtbl.OnDeviceAdded(this, "{0.0.0.00000000}.{x}") == 0
    assert vtbl.OnDeviceRemoved(this, "{0.0.0.00000000}.{x}") == 0
    assert vtbl.OnDeviceStateChanged(this, "{0.0.0.00000000}.{x}", 4) == 0
    assert vtbl.OnDefaultDeviceChanged(this, decl.E_RENDER, decl.E_CONSOLE, "id") == 0
    key = ffi.new("PROPERTYKEY *")
    assert vtbl.OnPropertyValueChanged(this, "id", key[0]) == 0
    assert notices == ["devices"] * 5


def test_a_failing_listener_does_not_escape_into_windows(caplog) -> None:
    def broken(_notice: str) -> None:
        raise RuntimeError("listener bug")

    client = _NotificationClient(broken)
    assert client.pointer.lpVtbl.OnDeviceAdded(client.pointer, "id") == 0
    assert "listener bug" in caplog.text


def test_loopback_clock_fills_silence_at_the_stream_rate() -> None:
    from scgui.audio.backends.wasapi import LOOPBACK_SILENCE_AFTER, LoopbackClock

    clock = LoopbackClock(48000, now=100.0)
    assert clock.silence_due(100.0 + LOOPBACK_SILENCE_AFTER / 2) == 0  # a packet may come
    clock.delivered(480, now=100.01)
    assert clock.silence_due(100.03) == 0
    # Nothing plays from here: silence up to the wall clock, once.
    assert clock.silence_due(100.5) == 24000 - 480
    assert clock.silence_due(100.5) == 0
    assert clock.silence_due(101.0) == 24000
    # Playing again: packets count, and no silence is added while they come.
    clock.delivered(480, now=101.01)
    assert clock.silence_due(101.02) == 0


def test_a_time_stamp_is_believed_only_when_it_is_recent() -> None:
    now = 98_701.25  # the performance counter, in s
    assert stamp_age(round((now - 0.02) * 1e7), now) == pytest.approx(0.02)
    assert stamp_age(round(now * 1e7), now) == pytest.approx(0.0)
    assert stamp_age(0, now) is None  # no stamp
    assert stamp_age(round((now - 60) * 1e7), now) is None  # a minute old
    assert stamp_age(round((now + 1) * 1e7), now) is None  # in the future
    # Wine has stamped a position with a negative counter, which a UINT64 shows near 2**64.
    assert stamp_age((1 << 64) - round(85_766 * 1e7), now) is None
