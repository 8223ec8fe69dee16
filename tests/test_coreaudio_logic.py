"""The CoreAudio backend, tested where no Mac is: declarations against Apple's layouts, the
pure logic, and the backend's real code driven by a harness that calls it as Core Audio does
(``tests/coreaudio_harness.py``). The sound itself is verified on a Mac by the macOS workflow.
"""

from __future__ import annotations

import re
import struct
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from coreaudio_harness import FakeDevice, FakeHal, wait_until

import scgui.audio as sc
from scgui.audio import backends
from scgui.audio.backends import _coreaudio_cdef as decl
from scgui.audio.backends import _coreaudio_format as fmt
from scgui.audio.backends import _coreaudio_lib as lib
from scgui.audio.backends._coreaudio_io import CALLBACK_FAILED, CapturePump, RenderPump
from scgui.audio.backends._ffi_modules import parse_ffi
from scgui.audio.ring import FrameRing

ffi = lib.ffi


# -- declarations -------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["parsed", "prebuilt"])
def test_every_struct_has_the_size_and_offsets_of_apples_headers(which: str) -> None:
    declared = parse_ffi(decl.FFI_SPEC) if which == "parsed" else ffi
    assert len(decl.APPLE_LAYOUTS) >= 14
    for name, (size, fields, header) in decl.APPLE_LAYOUTS.items():
        assert declared.sizeof(name) == size, f"{name} ({header})"
        for field_name, offset in fields.items():
            assert declared.offsetof(name, field_name) == offset, f"{name}.{field_name}"
        declared_fields = [f for f, _ in declared.typeof(name).fields]
        assert declared_fields == list(fields), f"{name} declares other fields than {header}"


def test_four_character_codes_are_the_headers_numbers() -> None:
    # Values as the headers and Apple's documentation print them.
    assert decl.kAudioFormatLinearPCM == 1819304813
    assert decl.kAudioHardwarePropertyDevices == 0x64657623
    assert decl.kAudioObjectPropertyScopeGlobal == 0x676C6F62
    assert decl.kAudioHardwareBadDeviceError == 560227702  # '!dev'
    with pytest.raises(ValueError):
        decl.fourcc("dev")


def test_every_native_call_the_backend_makes_is_declared_and_in_the_harness() -> None:
    """A misspelt or undeclared function would fail only on a Mac: check them all here."""
    from pathlib import Path

    from coreaudio_harness import FakeHal

    declared = set(re.findall(r"\b([A-Za-z_]\w*)\(", decl.FUNCTIONS)) - {"const"}
    backend = Path(lib.__file__).parent
    sources = "".join(
        (backend / name).read_text()
        for name in ("coreaudio.py", "_coreaudio_lib.py", "_coreaudio_io.py")
    )
    called = set(re.findall(r"\.((?:Audio|CF|objc_|sel_|mach_)\w*)\b", sources))
    called |= set(re.findall(r"addressof\(\w+, \"(\w+)\"\)", sources))
    assert {"AudioUnitRender", "AudioObjectGetPropertyData", "CFRelease"} <= called
    assert called <= declared | {
        "kCFTypeArrayCallBacks",
        "kCFTypeDictionaryKeyCallBacks",
        "kCFTypeDictionaryValueCallBacks",
        "objc_msgSend",
    }
    simulated = {n for n in called if hasattr(FakeHal, n)}
    untested = (
        called
        - simulated
        - {
            # Paths the harness cannot take on Linux (loopback taps need macOS 14.2; the ObjC
            # messages need the runtime): verified by the macOS workflow.
            "AudioHardwareCreateProcessTap",
            "AudioHardwareDestroyProcessTap",
            "AudioHardwareCreateAggregateDevice",
            "AudioHardwareDestroyAggregateDevice",
            "CFNumberCreate",
            "CFArrayCreate",
            "CFDictionaryCreate",
            "kCFTypeArrayCallBacks",
            "kCFTypeDictionaryKeyCallBacks",
            "kCFTypeDictionaryValueCallBacks",
            "objc_msgSend",
            "objc_autoreleasePoolPush",
            "objc_autoreleasePoolPop",
        }
    )
    assert untested == set()


# -- statuses, formats, layouts ---------------------------------------------------------------


def test_statuses_are_named_as_a_mac_programmer_knows_them() -> None:
    assert fmt.status_name(decl.kAudioHardwareBadDeviceError) == (
        "'!dev' (kAudioHardwareBadDeviceError)"
    )
    assert fmt.status_name(-10868) == "-10868 (kAudioUnitErr_FormatNotSupported)"
    assert fmt.status_name(12345) == "12345"
    assert fmt.status_name(-66748) == "-66748 (kAudioComponentErr_NotPermitted)"
    with pytest.raises(lib.CoreAudioError) as error:
        lib.check(decl.kAudioHardwareBadDeviceError, "X")
    assert error.value.code == decl.kAudioHardwareBadDeviceError and error.value.device_gone
    assert "X failed: Core Audio said '!dev'" in str(error.value)
    lib.check(0, "nothing")


def test_the_stream_format_is_interleaved_native_float32() -> None:
    asbd = fmt.float_format(ffi, 96000, 18)
    assert asbd.mSampleRate == 96000.0 and asbd.mFormatID == decl.kAudioFormatLinearPCM
    assert asbd.mFormatFlags == decl.kAudioFormatFlagIsFloat | decl.kAudioFormatFlagIsPacked
    assert (asbd.mBytesPerFrame, asbd.mBytesPerPacket, asbd.mFramesPerPacket) == (72, 72, 1)
    assert (asbd.mChannelsPerFrame, asbd.mBitsPerChannel) == (18, 32)
    with pytest.raises(ValueError):
        fmt.float_format(ffi, 48000, 0)


def test_a_devices_channels_are_the_sum_over_its_streams() -> None:
    raw = struct.pack("<I4x", 3) + b"".join(struct.pack("<IIQ", n, 0, 0) for n in (2, 8, 8))
    data = ffi.new("char[]", raw)
    assert fmt.channels_in_configuration(ffi, data, len(raw)) == 18
    assert fmt.channels_in_configuration(ffi, data, len(raw) - 16) == 10  # truncated: no overread
    assert fmt.channels_in_configuration(ffi, data, 4) == 0


def test_layouts_by_descriptions_bitmap_or_tag() -> None:
    labels = (1, 2, 3, 4, 5, 6)
    raw = struct.pack("<III", 0, 0, 6) + b"".join(
        struct.pack("<II3f", x, 0, 0, 0, 0) for x in labels
    )
    assert fmt.layout_labels(ffi, ffi.new("char[]", raw), len(raw)) == labels
    bitmap = struct.pack("<III", 1 << 16, 0b1011 | 1 << 21 | 1 << 26, 0) + bytes(20)
    assert fmt.layout_labels(ffi, ffi.new("char[]", bitmap), len(bitmap)) == (1, 2, 4, 49, 54)
    tagged = struct.pack("<III", (101 << 16) | 2, 0, 0) + bytes(20)  # kAudioChannelLayoutTag_Stereo
    assert fmt.layout_labels(ffi, ffi.new("char[]", tagged), len(tagged)) == ()


def test_channel_positions_use_pulseaudios_names_and_the_devices_own() -> None:
    assert fmt.channel_positions((1, 2, 3, 4, 5, 6)) == (
        ("front-left", "front-right", "front-center", "lfe", "rear-left", "rear-right"),
        ("Front Left", "Front Right", "Front Center", "Subwoofer", "Rear Left", "Rear Right"),
    )
    # 7.1: with a rear pair, Left/Right Surround are the sides.
    machine, _ = fmt.channel_positions((1, 2, 3, 4, 5, 6, 33, 34))
    assert machine[4:] == ("side-left", "side-right", "rear-left", "rear-right")
    machine, display = fmt.channel_positions((0, 0, 0), ("Mic/Line 1", "", "Inst 3"))
    assert machine == ("aux0", "aux1", "aux2")
    assert display == ("Mic/Line 1", "Channel 2", "Inst 3")
    machine, _ = fmt.channel_positions((1, 1, (1 << 16) | 3))  # a repeat and a discrete label
    assert machine == ("front-left", "aux1", "aux2")
    assert fmt.default_labels(1) == (42,) and fmt.default_labels(2) == (1, 2)
    assert fmt.channel_positions(fmt.default_labels(1))[0] == ("mono",)


def test_buffer_size_and_latency() -> None:
    assert fmt.buffer_frames(None, None) == fmt.DEFAULT_BUFFER_FRAMES
    assert fmt.buffer_frames(64, (15.0, 4096.0)) == 64
    assert fmt.buffer_frames(8, (15.0, 4096.0)) == 15
    assert fmt.buffer_frames(10000, (15.0, 4096.0)) == 4096
    parts = fmt.LatencyParts(device=24, safety_offset=16, stream=8, buffer=512)
    assert parts.seconds(48000) == pytest.approx(560 / 48000)


def test_host_times_become_perf_counter_seconds() -> None:
    clock = fmt.HostClock(numer=125, denom=3, host_at=1_000_000, perf_at=50.0)
    assert clock.to_perf_counter(1_000_000) == 50.0
    assert clock.to_perf_counter(1_000_000 + 24_000_000) == pytest.approx(51.0)  # 24 MHz


def test_loopback_needs_macos_14_2_and_says_so() -> None:
    assert fmt.macos_version("14.2.1") == (14, 2, 1) and fmt.macos_version("") == ()
    assert fmt.has_process_taps((14, 2)) and fmt.has_process_taps((15, 0, 1))
    assert not fmt.has_process_taps((14, 1)) and not fmt.has_process_taps(())
    message = fmt.loopback_requirement((13, 6))
    assert "macOS 14.2 or later" in message and "runs 13.6" in message
    assert "BlackHole" in message
    description = fmt.tap_aggregate_description("TAP", "AGG", "scgui loopback")
    assert description["private"] == 1 and "tapautostart" not in description  # would hang
    assert description["uid"] == "AGG" and description["taps"] == [{"uid": "TAP", "drift": 1}]


def test_a_denied_microphone_is_an_error_not_silence() -> None:
    denied = fmt.microphone_refusal(2, "scgui")
    assert denied is not None and "Privacy & Security > Microphone" in denied
    assert "administrator" in (fmt.microphone_refusal(1, "scgui") or "")
    assert fmt.microphone_refusal(3, "scgui") is None  # authorized
    assert fmt.microphone_refusal(0, "scgui") is None  # macOS asks when the stream starts
    assert fmt.microphone_refusal(-1, "scgui") is None  # unknown: no AVFoundation
    assert issubclass(sc.PermissionDeniedError, PermissionError)


# -- the callbacks, through C function pointers ---------------------------------------------------


def _clock() -> fmt.HostClock:
    return fmt.HostClock(numer=1, denom=1, host_at=0, perf_at=0.0)


def _output_buffers(frames: int, channels: int) -> tuple[Any, Any]:
    data = ffi.new("float[]", frames * channels)
    buffers = ffi.new("AudioBufferList *")
    buffers.mNumberBuffers = 1
    buffers.mBuffers[0].mNumberChannels = channels
    buffers.mBuffers[0].mDataByteSize = frames * channels * 4
    buffers.mBuffers[0].mData = data
    return data, buffers


def _stamp(sample: float, host: int) -> Any:
    stamp = ffi.new("AudioTimeStamp *")
    stamp.mSampleTime, stamp.mHostTime = sample, host
    return stamp


def test_the_render_callback_plays_the_ring_in_order_and_counts_gaps() -> None:
    ring = FrameRing(3, 4096)
    pump = RenderPump(ffi, ring, _clock())
    callback = ffi.callback("AURenderCallback", lambda _r, f, s, _b, n, d: pump.render(f, s, n, d))
    data, buffers = _output_buffers(256, 3)
    flags = ffi.new("AudioUnitRenderActionFlags *")
    # Before anything is written: silence, flagged, no underrun.
    assert callback(ffi.NULL, flags, _stamp(0, 1000), 0, 256, buffers) == 0
    assert flags[0] & decl.kAudioUnitRenderAction_OutputIsSilence and ring.underruns == 0
    signal = np.arange(600 * 3, dtype=np.float32).reshape(600, 3)
    ring.put(signal)
    pump.idle = False
    played = []
    for cycle in range(3):
        flags[0] = 0
        assert (
            callback(ffi.NULL, flags, _stamp(256 * (cycle + 1), 2000 + cycle), 0, 256, buffers) == 0
        )
        played.append(np.frombuffer(ffi.buffer(data), np.float32).reshape(256, 3).copy())
    out = np.concatenate(played)
    assert np.array_equal(out[:600], signal) and not out[600:].any()
    assert ring.underruns == 1 and ring.silent_frames == 168
    # Frame 256 + 512 = 768 of the stream was at the device at host time 2002 (ticks = ns).
    assert pump.position == (768.0, pytest.approx(2002e-9))
    # Drained and idle: silence again without an underrun.
    pump.idle = True
    callback(ffi.NULL, flags, _stamp(1024, 3000), 0, 256, buffers)
    assert ring.underruns == 1


def test_a_render_buffer_smaller_than_asked_is_not_overrun() -> None:
    ring = FrameRing(2, 1024)
    pump = RenderPump(ffi, ring, _clock())
    ring.put(np.ones((512, 2), np.float32))
    pump.idle = False
    data, buffers = _output_buffers(256, 2)
    ffi.memmove(data, np.full(512, 7.0, np.float32).tobytes(), 512 * 4)
    buffers.mBuffers[0].mDataByteSize = 128 * 2 * 4  # the unit offers 128 frames of room
    assert pump.render(ffi.NULL, _stamp(0, 1), 256, buffers) == 0
    written = np.frombuffer(ffi.buffer(data), np.float32).reshape(256, 2)
    assert np.all(written[:128] == 1.0) and np.all(written[128:] == 7.0)
    assert ring.available == 512 - 128
    assert pump.render(ffi.NULL, _stamp(0, 1), 256, ffi.NULL) == CALLBACK_FAILED


def test_the_input_callback_renders_into_its_own_list_and_keeps_every_frame() -> None:
    ring = FrameRing(4, 8192)
    signal = np.random.default_rng(5).standard_normal((3000, 4)).astype(np.float32)
    delivered = [0]

    @ffi.callback(
        "OSStatus(AudioUnit, AudioUnitRenderActionFlags *, const AudioTimeStamp *,"
        " UInt32, UInt32, AudioBufferList *)"
    )
    def audio_unit_render(
        _unit: Any, _flags: Any, _stamp: Any, bus: int, frames: int, buffers: Any
    ) -> int:
        assert bus == decl.INPUT_BUS and buffers.mNumberBuffers == 1
        buffer = buffers.mBuffers[0]
        assert buffer.mDataByteSize == frames * 16 and buffer.mNumberChannels == 4
        chunk = signal[delivered[0] : delivered[0] + frames]
        ffi.memmove(buffer.mData, chunk.tobytes(), chunk.nbytes)
        delivered[0] += frames
        return 0

    pump = CapturePump(ffi, ring, _clock(), audio_unit_render, ffi.NULL, max_frames=1024)
    callback = ffi.callback("AURenderCallback", lambda _r, f, s, b, n, _d: pump.capture(f, s, b, n))
    flags = ffi.new("AudioUnitRenderActionFlags *")
    for start in range(0, 3000, 500):
        assert callback(ffi.NULL, flags, _stamp(start, 10 + start), 1, 500, ffi.NULL) == 0
    assert np.array_equal(ring.take(ring.available), signal)
    assert pump.position == (2500.0, pytest.approx(2510e-9))
    # More frames than the unit said it would ever give: the excess is counted, not overrun.
    assert callback(ffi.NULL, flags, _stamp(0, 1), 1, 2000, ffi.NULL) == 0
    assert ring.overflows == 1 and ring.dropped_frames == 976


def test_an_input_render_error_is_passed_back_and_kept() -> None:
    ring = FrameRing(1, 64)
    pump = CapturePump(ffi, ring, _clock(), lambda *_a: -10863, ffi.NULL, max_frames=64)
    assert pump.capture(ffi.NULL, _stamp(0, 1), 1, 32) == -10863
    assert pump.last_error == -10863 and ring.available == 0


# -- the backend, on the harness -------------------------------------------------------------


@pytest.fixture
def hal(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHal]:
    devices = [
        FakeDevice(
            40, "BuiltInSpeakerDevice", "MacBook Pro Speakers", outputs=2, output_labels=(1, 2)
        ),
        FakeDevice(
            41,
            "AppleUSBAudioEngine:Focusrite:Scarlett 18i20",
            "Scarlett 18i20 USB",
            inputs=4,
            outputs=6,
            output_labels=(1, 2, 3, 4, 5, 6),
            input_names=("Mic/Line 1", "Mic/Line 2", "Inst 3", "Inst 4"),
            volume=None,
        ),
        FakeDevice(42, "BuiltInMicrophoneDevice", "MacBook Pro Microphone", inputs=1, rate=44100.0),
    ]
    fake = FakeHal(devices)
    old = lib.set_libraries(fake.libraries())
    previous = backends.set_backend(None)
    from scgui.audio.backends import coreaudio
    from scgui.audio.backends.coreaudio import CoreAudioBackend

    monkeypatch.setattr(coreaudio, "macos_version", lambda: (13, 6))  # before process taps

    backend = CoreAudioBackend()
    backends.set_backend(backend)
    try:
        yield fake
    finally:
        backend.close()
        for unit in fake.units:
            unit.running.clear()
        backends.set_backend(previous)
        lib.set_libraries(old)


def test_macos_gets_the_coreaudio_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    from scgui.audio.backends.coreaudio import CoreAudioBackend

    monkeypatch.setattr(sys, "platform", "darwin")
    assert isinstance(backends._create_backend(), CoreAudioBackend)  # nothing opened yet


def test_devices_are_listed_with_uids_channels_names_and_defaults(hal: FakeHal) -> None:
    speakers = {s.id: s for s in sc.all_speakers()}
    assert set(speakers) == {"BuiltInSpeakerDevice", "AppleUSBAudioEngine:Focusrite:Scarlett 18i20"}
    scarlett = speakers["AppleUSBAudioEngine:Focusrite:Scarlett 18i20"]
    assert scarlett.name == "Scarlett 18i20 USB" and scarlett.channels == 6
    assert scarlett.info.channel_positions[3] == "lfe"
    mics = {m.id: m for m in sc.all_microphones(include_loopback=True)}
    assert not any(m.isloopback for m in mics.values())  # not macOS 14.2 here: no taps
    inputs = mics["AppleUSBAudioEngine:Focusrite:Scarlett 18i20"]
    assert inputs.channels == 4 and inputs.info.channel_names[0] == "Mic/Line 1"
    assert mics["BuiltInMicrophoneDevice"].info.samplerate == 44100
    assert mics["BuiltInMicrophoneDevice"].info.channel_positions == ("mono",)
    assert sc.default_speaker().id == "BuiltInSpeakerDevice"
    assert sc.default_microphone().id == "AppleUSBAudioEngine:Focusrite:Scarlett 18i20"
    info = speakers["BuiltInSpeakerDevice"].info
    assert info.latency == pytest.approx((24 + 16 + 512) / 48000)
    assert info.volume == (0.75, 0.75)
    assert hal.live_strings() == [], "every CFString the HAL returned was released"


def test_a_pattern_played_reaches_the_device_sample_exact(hal: FakeHal) -> None:
    speaker = sc.get_speaker("Scarlett")
    data = np.random.default_rng(1).uniform(-0.9, 0.9, (4000, 6)).astype(np.float32)
    with speaker.player(48000, blocksize=128) as player:
        player.play(data)
    device = hal.devices[41]
    assert device.buffer_frames == 128  # the block size is the device's I/O size
    played = np.concatenate(device.played)
    start = int(np.flatnonzero(np.any(played != 0, axis=1))[0])
    assert np.array_equal(played[start : start + 4000], data)
    assert not played[start + 4000 :].any()
    assert all(status == 0 for unit in hal.units for status in unit.render_status)
    assert not any(unit.running.is_set() for unit in hal.units)  # stopped at close


def test_a_channel_map_plays_on_the_named_jacks(hal: FakeHal) -> None:
    data = np.random.default_rng(2).uniform(-0.5, 0.5, (1000, 2)).astype(np.float32)
    with sc.get_speaker("Scarlett").player(48000, channels=["lfe", 0]) as player:
        player.play(data)
    played = np.concatenate(hal.devices[41].played)
    start = int(np.flatnonzero(np.any(played != 0, axis=1))[0])
    assert np.array_equal(played[start : start + 1000, 3], data[:, 0])
    assert np.array_equal(played[start : start + 1000, 0], data[:, 1])
    assert not played[:, [1, 2, 4, 5]].any()


def test_a_recording_gets_every_captured_frame_in_channel_order(hal: FakeHal) -> None:
    signal = np.random.default_rng(3).uniform(-1, 1, (48000, 4)).astype(np.float32)
    hal.devices[41].signal = signal
    mic = sc.get_microphone("Scarlett")
    with mic.recorder(48000, blocksize=256) as recorder:
        first = recorder.record(5000)
        rest = recorder.record(3000)
        position = recorder.device_position()
        now = time.perf_counter()
    assert np.array_equal(np.concatenate([first, rest]), signal[:8000])
    # The newest time stamp's frame, on the perf_counter clock (from mHostTime).
    assert position.samplerate == 48000 and position.frame % 256 == 0
    assert 0 <= now - position.time < 1.0
    with mic.recorder(48000, channels=[3, 0]) as recorder:
        pair = recorder.record(1000)
    offset = int(np.flatnonzero(signal[:, 3] == pair[0, 0])[0])
    assert np.array_equal(pair, signal[offset : offset + 1000][:, [3, 0]])


def test_recording_at_another_rate_says_which_rate_to_use(hal: FakeHal) -> None:
    mic = sc.get_microphone("MacBook Pro Microphone")
    with pytest.raises(sc.InvalidConfigError, match="records at 44100 Hz"):
        with mic.recorder(48000) as recorder:
            recorder.record(10)
    assert not any(unit.running.is_set() for unit in hal.units)


def test_an_unplugged_device_ends_the_recording_with_a_clear_error(hal: FakeHal) -> None:
    hal.devices[41].signal = np.ones((100, 4), np.float32)
    mic = sc.get_microphone("Scarlett")
    with mic.recorder(48000) as recorder:
        recorder.record(1000)
        threading.Timer(0.05, hal.unplug, args=(41,)).start()
        with pytest.raises(sc.StreamError, match="unplugged or switched off"):
            for _ in range(200):
                recorder.record(1000)


def test_device_changes_reach_a_watch(hal: FakeHal) -> None:
    events: list[Any] = []
    with sc.watch_devices(events.append):
        assert len(hal.listeners) == 3
        hal.unplug(40)
        wait_until(lambda: any(e.change == "removed" for e in events))
    assert [e.id for e in events if e.change == "removed"] == ["BuiltInSpeakerDevice"]
    assert hal.listeners == []


def test_exclusive_mode_is_refused_clearly(hal: FakeHal) -> None:
    with pytest.raises(sc.InvalidConfigError, match="no exclusive mode"):
        with sc.get_speaker("Scarlett").player(48000, exclusive=True):
            pass


def test_loopback_microphones_are_listed_where_macos_has_taps(
    hal: FakeHal, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scgui.audio.backends import coreaudio
    from scgui.audio.backends.base import StreamConfig

    with pytest.raises(sc.InvalidConfigError, match=r"macOS 14\.2 or later.*runs 13\.6"):
        backends.get_backend().open_capture(StreamConfig("BuiltInSpeakerDevice#loopback", 48000, 2))
    monkeypatch.setattr(coreaudio, "macos_version", lambda: (14, 2, 1))
    loopbacks = [m for m in sc.all_microphones(include_loopback=True) if m.isloopback]
    assert {m.id for m in loopbacks} == {
        "BuiltInSpeakerDevice#loopback",
        "AppleUSBAudioEngine:Focusrite:Scarlett 18i20#loopback",
    }
    builtin = next(m for m in loopbacks if m.id.startswith("BuiltIn"))
    assert builtin.name == "Loopback MacBook Pro Speakers" and builtin.channels == 2
    assert builtin.info.monitor_of == "BuiltInSpeakerDevice"
    assert sc.capabilities().loopback


def test_a_hung_core_audio_is_a_clear_error_within_the_timeout(hal: FakeHal) -> None:
    hal.devices[41].signal = np.ones((100, 4), np.float32)
    sc.set_timeout(0.5)
    try:
        with sc.get_microphone("Scarlett").recorder(48000) as recorder:
            first = recorder.record(512)
            hal.frozen.set()
            started = time.monotonic()
            with pytest.raises(sc.StreamError, match="No audio moved"):
                recorder.record(48000)
            assert time.monotonic() - started < 3.0
        assert first.shape == (512, 4)
    finally:
        hal.frozen.clear()
        sc.set_timeout(None)


def test_a_stream_dropped_on_another_thread_stops_its_unit(hal: FakeHal) -> None:
    """No close(): the facade is collected on a thread of its own and the unit is stopped
    and disposed on the closer's thread, never on the thread that dropped it."""
    import gc

    def drop() -> None:
        recorder = sc.get_microphone("Scarlett").recorder(48000)
        recorder.__enter__()
        recorder.record(256)
        del recorder
        gc.collect()

    worker = threading.Thread(target=drop)
    worker.start()
    worker.join(5)
    assert not worker.is_alive()
    wait_until(lambda: not any(unit.running.is_set() for unit in hal.units))
