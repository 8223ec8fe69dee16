"""The library through WASAPI, against the virtual rig's real server (Wine, or a Windows runner
given a rig). A pattern played must come back sample-exact, channel by channel.

Wine's WASAPI converts through 16-bit integers on its way to PulseAudio, so the patterns here
hold only 16-bit values: those pass bit for bit (PLATFORM_NOTES, "WASAPI under Wine")."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import numpy as np
import pytest

import scgui.audio as sc
from scgui.audio.backends import get_backend
from scgui.audio.backends._com import ffi, ole32, running_under_wine
from scgui.virtual_rig import MULTI8, MULTI8_REVERSED, SCARLETT, SCARLETT_SWAPPED

pytestmark = pytest.mark.windows
RIG = os.environ.get("SCGUI_WASAPI_RIG") == "1"  # as in conftest.py

RATE = 48000


def pattern(frames: int, channels: int, seed: int = 0) -> np.ndarray:
    """Random 16-bit values with no zero sample, as float32: the first frame is easy to find."""
    rng = np.random.default_rng(seed)
    magnitude = rng.integers(1600, 16000, (frames, channels))
    sign = rng.choice([-1, 1], (frames, channels))
    return (magnitude * sign / 32768.0).astype(np.float32)


def capture_while_playing(
    speaker: sc.Speaker,
    microphone: sc.Microphone,
    data: np.ndarray,
    *,
    play_channels: object = None,
    record_channels: object = None,
    margin: float = 0.4,
) -> np.ndarray:
    with microphone.recorder(RATE, channels=record_channels) as recorder:
        with speaker.player(RATE, channels=play_channels) as player:
            recorder.record(None)
            player.play(data)
            player.wait()
            underruns = player.underruns
        recording = recorder.record(len(data) + int(margin * RATE))
        _last_take["glitches"] = underruns + recorder.overflows
        return recording


class ReportedGlitch(AssertionError):
    """A take came back wrong, and the library had said so: its player ran dry or its
    recorder overflowed (the stream thread, a Python thread, was held up on a busy machine).
    Under Wine also a take where one run of exact silence stood in for part of the pattern, or
    came before it and delayed the rest, and all else was bit-exact: Wine's own PulseAudio
    stream ran dry below the WASAPI buffer, which no client can see (until the underrun count
    was fixed, every take reported one underrun, and these were retried without being named).
    Such a test is run again, twice at most (:func:`retried_when_glitched`); a take that comes
    back wrong with nothing reported fails at once."""


_last_take = {"glitches": 0}


def retried_when_glitched(test: Callable[..., None]) -> Callable[..., None]:
    """Run ``test`` up to three times while it fails with a :class:`ReportedGlitch`."""

    @functools.wraps(test)
    def run(*args: object, **kwargs: object) -> None:
        for attempt in range(3):
            _last_take["glitches"] = 0
            try:
                return test(*args, **kwargs)
            except ReportedGlitch:
                if attempt == 2:
                    raise
                time.sleep(1.0)

    return run


def find_exact(recording: np.ndarray, expected: np.ndarray) -> None:
    """``expected`` appears in ``recording`` bit for bit, nothing lost, doubled or added."""
    try:
        _find_exact(recording, expected)
    except AssertionError as exc:
        if _last_take["glitches"]:
            raise ReportedGlitch(
                f"{exc} (the take reported {_last_take['glitches']} underruns or overflows)"
            ) from exc
        if running_under_wine() and _silence_stood_in(recording, expected):
            raise ReportedGlitch(
                f"{exc}: one run of exact silence stood in for part of the pattern (or delayed "
                "it) and every other frame arrived bit-exact, with no underrun in the WASAPI "
                "buffer: Wine's own PulseAudio stream ran dry (its audio thread was late on a "
                "busy machine)"
            ) from exc
        raise


def _silence_stood_in(recording: np.ndarray, expected: np.ndarray) -> bool:
    """Whether the only difference is one run of exact zeros (the pattern has no zero sample)
    where part of the pattern should be, every other frame bit-exact: audio lost below the
    library, not garbled. The run stands either in place of the frames it hides (they were
    lost) or before them (they came late, and the rest of the pattern with them, shifted by
    the run: a PulseAudio stream that ran dry plays on after the silence)."""
    loud = np.flatnonzero(np.any(recording != 0, axis=1))
    if loud.size == 0:
        return False
    played = recording[int(loud[0]) :]
    frames = len(expected)
    if len(played) < frames:
        return False
    wrong = np.flatnonzero(np.any(played[:frames] != expected, axis=1))
    if wrong.size == 0:
        return False
    first = int(wrong[0])
    sounding = np.flatnonzero(np.any(played[first:] != 0, axis=1))
    run = int(sounding[0]) if sounding.size else len(played) - first
    if run == 0:
        return False
    after_run = first + run
    in_place = np.array_equal(played[after_run:frames], expected[after_run:])
    late = played[after_run : after_run + frames - first]
    shifted = len(late) == frames - first and np.array_equal(late, expected[first:])
    return bool(in_place or shifted)


def _find_exact(recording: np.ndarray, expected: np.ndarray) -> None:
    loud = np.flatnonzero(np.any(recording != 0, axis=1))
    assert loud.size, "the played signal never arrived: the recording is pure silence"
    start = int(loud[0])
    segment = recording[start : start + len(expected)]
    assert segment.shape == expected.shape, f"only {len(segment)} of {len(expected)} frames"
    wrong = np.flatnonzero(np.any(segment != expected, axis=1))
    assert wrong.size == 0, (
        f"{wrong.size} frames differ, first at {wrong[0]}: "
        f"{segment[wrong[0]]} != {expected[wrong[0]]}"
    )
    assert not np.any(recording[start + len(expected) :]), "extra audio after the pattern"


def test_only_silence_standing_in_for_the_pattern_counts_as_wines_dropout() -> None:
    """The judge of a Wine dropout (pure NumPy): one run of zeros in place of frames, or before
    frames that came late, passes; anything garbled, doubled or lost twice does not."""
    data = pattern(1000, 2, seed=9)
    lead = np.zeros((50, 2), np.float32)
    gap = np.zeros((30, 2), np.float32)
    lost = np.concatenate([lead, data[:600], gap, data[630:], lead])
    late = np.concatenate([lead, data[:600], gap, data[600:], lead])
    lost_at_the_end = np.concatenate([lead, data[:980], lead])
    assert _silence_stood_in(lost, data)
    assert _silence_stood_in(late, data)
    assert _silence_stood_in(lost_at_the_end, data)
    garbled = late.copy()
    garbled[900, 1] = 0.5
    twice = lost.copy()
    twice[800:810] = 0
    doubled = np.concatenate([lead, data[:600], data[590:], lead])
    cut_short = np.concatenate([lead, data[:600], gap, data[600:990]])
    for wrong in (garbled, twice, doubled, cut_short, np.concatenate([lead, data, lead])):
        assert not _silence_stood_in(wrong, data)


# -- devices ---------------------------------------------------------------------------------


def test_the_backend_is_wasapi() -> None:
    backend = get_backend()
    assert backend.name == "WASAPI"
    assert "WASAPI" in backend.server_description()


def test_speakers_microphones_and_defaults(rig) -> None:
    speakers = {s.name: s for s in sc.all_speakers()}
    assert speakers[MULTI8.description].channels == 8
    assert speakers[SCARLETT.description].channels == 2
    microphones = {m.name: m for m in sc.all_microphones()}
    assert microphones[MULTI8_REVERSED.description].channels == 8
    assert microphones[f"Monitor of {MULTI8.description}"].channels == 8
    assert not any(m.isloopback for m in microphones.values())
    assert sc.default_speaker().id in {s.id for s in speakers.values()}
    assert sc.default_microphone().id in {m.id for m in microphones.values()}
    for speaker in speakers.values():
        assert speaker.id.startswith("{") and speaker.channels >= 1
        assert len(speaker.channel_names) == speaker.channels
    assert speakers[MULTI8.description].channel_names[:3] == (
        "Front Left",
        "Front Right",
        "Front Center",
    )


def test_every_speaker_is_also_a_loopback_microphone(rig) -> None:
    speakers = sc.all_speakers()
    loopbacks = [m for m in sc.all_microphones(include_loopback=True) if m.isloopback]
    assert {m.id for m in loopbacks} == {s.id for s in speakers}
    assert all(m.channels == sc.get_speaker(m.id).channels for m in loopbacks)


def test_matching_by_id_and_name(rig, multi8) -> None:
    assert sc.get_speaker(multi8.id).id == multi8.id
    assert sc.get_speaker("multi").id == multi8.id  # part of the name, any case
    with pytest.raises(sc.DeviceNotFoundError):
        sc.get_speaker("no such device anywhere")
    with pytest.raises(IndexError):  # soundcard's exception type
        sc.get_microphone("no such device anywhere")


# -- sample-exact streams ------------------------------------------------------------------------


@retried_when_glitched
def test_stereo_loopback_is_exact(scarlett, scarlett_monitor) -> None:
    data = pattern(RATE // 2, 2, seed=1)
    find_exact(capture_while_playing(scarlett, scarlett_monitor, data), data)


@retried_when_glitched
def test_eight_channels_arrive_exact_channel_by_channel(multi8, multi8_monitor) -> None:
    data = pattern(RATE // 2, 8, seed=2)
    find_exact(capture_while_playing(multi8, multi8_monitor, data), data)


@pytest.mark.parametrize("channel", [0, 3, 7])
@retried_when_glitched
def test_one_channel_played_is_found_on_that_channel_only(multi8, multi8_monitor, channel) -> None:
    data = pattern(RATE // 4, 1, seed=3 + channel)
    recording = capture_while_playing(multi8, multi8_monitor, data, play_channels=[channel])
    silent = [c for c in range(8) if c != channel]
    assert not np.any(recording[:, silent]), "audio leaked onto other channels"
    find_exact(recording[:, [channel]], data)


@retried_when_glitched
def test_a_single_channel_is_recorded_correctly(multi8, multi8_monitor) -> None:
    """The library this replaces records garbage when asked for one channel on WASAPI."""
    data = pattern(RATE // 4, 8, seed=4)
    recording = capture_while_playing(multi8, multi8_monitor, data, record_channels=[5])
    assert recording.shape[1] == 1
    find_exact(recording, data[:, [5]])


@retried_when_glitched
def test_channel_maps_reorder_and_mix(scarlett, scarlett_monitor) -> None:
    data = pattern(RATE // 4, 2, seed=5)
    swapped = capture_while_playing(
        scarlett, scarlett_monitor, data, play_channels=[1, 0], record_channels=[0, 1]
    )
    find_exact(swapped, data[:, ::-1])
    by_name = capture_while_playing(
        scarlett, scarlett_monitor, data, record_channels=["right", "left"]
    )
    find_exact(by_name, data[:, ::-1])


@retried_when_glitched
def test_routing_through_the_remapped_sources(rig, multi8, scarlett) -> None:
    """Each output channel arrives on the input channel the rig's wiring says, by position."""
    for speaker, source in ((multi8, MULTI8_REVERSED), (scarlett, SCARLETT_SWAPPED)):
        microphone = sc.get_microphone(source.description)
        out_positions = speaker._info.channel_positions
        in_positions = microphone._info.channel_positions
        for out_channel, position in enumerate(out_positions):
            expected = in_positions.index(
                source.channel_map[source.master_channel_map.index(position)]
            )
            data = pattern(RATE // 10, 1, seed=10 + out_channel)
            recording = capture_while_playing(
                speaker, microphone, data, play_channels=[out_channel]
            )
            loud = [c for c in range(microphone.channels) if np.any(recording[:, c])]
            assert loud == [expected], (speaker.name, out_channel, loud)
            find_exact(recording[:, [expected]], data)


def test_record_none_and_record_n(scarlett_monitor) -> None:
    with scarlett_monitor.recorder(RATE, blocksize=480) as recorder:
        first = recorder.record(None)
        assert first.ndim == 2 and first.shape[1] == 2 and len(first) > 0
        block = recorder.record(1000)
        assert block.shape == (1000, 2) and block.dtype == np.float32
        assert 0 < recorder.latency < 0.5


def test_a_one_shot_click_is_heard_in_full(scarlett, scarlett_monitor) -> None:
    click = np.zeros((480, 2), dtype=np.float32)
    click[:48] = pattern(48, 2, seed=6)
    with scarlett_monitor.recorder(RATE) as recorder:
        recorder.record(None)
        scarlett.play(click, RATE)  # opens, plays, drains, closes
        recording = recorder.record(int(0.5 * RATE))
    loud = np.flatnonzero(np.any(recording != 0, axis=1))
    assert loud.size == 48, f"{loud.size} of the click's 48 frames arrived"
    assert np.array_equal(recording[loud[0] : loud[0] + 48], click[:48])  # (np.testing calls
    # platform.win32_ver(), which aborts under Wine)


def test_device_positions_move_with_the_streams_on_one_clock(scarlett, scarlett_monitor) -> None:
    """Both streams say which frame is at the device and when, on time.perf_counter()."""
    with scarlett_monitor.recorder(RATE) as recorder, scarlett.player(RATE) as player:
        feeder = threading.Thread(target=player.play, args=(np.zeros((RATE, 2), np.float32),))
        feeder.start()
        try:
            recorder.record(RATE // 10)
            recorder.record(None)
            first_out, first_in = player.device_position(), recorder.device_position()
            recorder.record(RATE // 4)
            later_out, later_in = player.device_position(), recorder.device_position()
            now = time.perf_counter()
        finally:
            feeder.join()
    for first, later in ((first_out, later_out), (first_in, later_in)):
        assert later.frame > first.frame and later.time > first.time
        assert abs(later.time - now) < 0.5  # the same clock as perf_counter, and recent
        # frames advance at the sample rate (to a device period or two)
        rate = (later.frame - first.frame) / (later.time - first.time)
        assert abs(rate - RATE) < 0.15 * RATE, rate


def test_latency_takes_agree_on_the_stream_clocks(rig, capsys) -> None:
    from scgui.measure.latency import measure_latency

    result = measure_latency(SCARLETT.description, f"Monitor of {SCARLETT.description}", repeats=5)
    assert len(result.values_ms) == 5
    if result.info["alignments"] == 1:
        assert result.spread_ms <= 0.5, result.values_ms
    assert abs(result.median_ms) < 50.0


def test_playback_latency_reflects_the_blocksize(scarlett) -> None:
    with scarlett.player(RATE, blocksize=256) as small:
        small_latency = small.latency
    with scarlett.player(RATE, blocksize=4800) as large:
        large_latency = large.latency
    assert 0 < small_latency < large_latency < 1.0


# -- other programs' sessions ------------------------------------------------------------------


IID_IAUDIO_SESSION_CONTROL = "F4B1A599-7266-4319-A8CA-E70ACB11E8CD"
IID_ISIMPLE = "87CE5498-68D6-44E5-9215-6DA47EF883D8"


def _with_a_session(device_id: str, test: Callable[[object, object], None]) -> None:
    """Run ``test(control, volume)`` on the session of an audio client this process opens
    and starts on ``device_id``: its ``IAudioSessionControl2`` and ``ISimpleAudioVolume``,
    real objects of the system's. (Wine 8 cannot enumerate sessions, and its controls do not
    answer ISimpleAudioVolume: the client's GetService gives both.) On the COM thread."""
    from scgui.audio.backends import _wasapi_cdef as decl
    from scgui.audio.backends._com import check, guid, release
    from scgui.audio.backends._wasapi_format import float_format
    from scgui.audio.backends.wasapi import _activate_client, _enumerator, _get_device

    def run() -> None:
        with _enumerator() as enumerator:
            device = _get_device(enumerator, device_id)
            client = _activate_client(device, "the test's client")
            plain = ffi.new("IAudioSessionControl2 **")  # an IAudioSessionControl
            control = ffi.new("IAudioSessionControl2 **")
            volume = ffi.new("ISimpleAudioVolume **")
            try:
                fmt = float_format(RATE, 2, 0x3)
                hr = client.lpVtbl.Initialize(
                    client, 0, 0, 2_000_000, 0, ffi.cast("WAVEFORMATEX *", fmt), ffi.NULL
                )
                check(hr, "IAudioClient::Initialize")
                for iid, out in ((IID_IAUDIO_SESSION_CONTROL, plain), (IID_ISIMPLE, volume)):
                    hr = client.lpVtbl.GetService(client, guid(iid), ffi.cast("void **", out))
                    check(hr, f"IAudioClient::GetService({iid})")
                iid2 = guid(decl.IID_IAUDIO_SESSION_CONTROL2)
                hr = plain[0].lpVtbl.QueryInterface(plain[0], iid2, ffi.cast("void **", control))
                check(hr, "QueryInterface(IAudioSessionControl2)")
                check(client.lpVtbl.Start(client), "IAudioClient::Start")
                test(control[0], volume[0])
            finally:
                client.lpVtbl.Stop(client)
                release(volume[0])
                release(control[0])
                release(plain[0])
                release(client)
                release(device)

    get_backend()._com.call(run)  # type: ignore[attr-defined]


def test_sessions_are_not_listed_where_windows_cannot_enumerate_them(rig, scarlett) -> None:
    """Wine 8 has no session enumerator: the capability says so and the list is empty (the
    window then says where the system shows them), with no error."""
    if not running_under_wine():
        pytest.skip("real Windows lists sessions")
    from scgui.audio.backends._com import wine_version

    with scarlett.player(RATE) as player:
        player.play(np.zeros((4800, 2), np.float32))
        capabilities = sc.capabilities()
        assert not capabilities.stream_control  # Wine's controls have no ISimpleAudioVolume
        if wine_version().startswith("8."):
            assert not capabilities.app_streams
        if not capabilities.app_streams:
            assert sc.list_streams(include_own=True) == []


def test_the_backend_lists_and_changes_sessions_on_every_endpoint(
    rig, scarlett, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The backend's glue on the real endpoints, each endpoint's session manager a stand-in
    (``session_fakes``) where Windows would enumerate: every endpoint is asked, in both
    directions, and a change finds its session on its endpoint again."""
    from session_fakes import FakeSession, FakeSessionManager

    from scgui.audio.backends import _wasapi_sessions as sessions

    backend = get_backend()
    managers: dict[str, FakeSessionManager] = {}
    strings_freed: list[object] = []

    def manager_of(device: object) -> object:
        from scgui.audio.backends.wasapi import _device_id

        device_id = _device_id(device)
        if device_id not in managers:
            managers[device_id] = FakeSessionManager(
                [FakeSession(f"{device_id}|app|1", f"App on {device_id[-8:]}", pid=8, volume=0.5)]
            )
        manager = managers[device_id]
        manager.com.refs += 1  # handed out as Activate would: the backend releases it
        return manager.pointer

    def free(pointer: object) -> None:
        for manager in managers.values():
            address = int(ffi.cast("uintptr_t", pointer))
            if address in manager.strings.live:
                manager.strings.free(pointer)
                strings_freed.append(pointer)
                return
        raise AssertionError("freed a string no session handed out")

    def failing_on_the_first(device: object) -> object:
        from scgui.audio.backends.wasapi import _device_id

        if not broken:
            broken.append(_device_id(device))
        if _device_id(device) == broken[0]:
            raise sc.BackendError("an endpoint unplugged while it was asked")
        return manager_of(device)

    broken: list[str] = []
    monkeypatch.setattr(sessions, "task_free", free)
    monkeypatch.setattr(backend, "_sessions", True)
    monkeypatch.setattr(sessions, "session_manager", failing_on_the_first)
    rest = sc.list_streams()  # one endpoint failing hides only its own sessions
    assert broken and broken[0] not in {s.device_id for s in rest} and len(rest) >= 2
    monkeypatch.setattr(sessions, "session_manager", manager_of)
    streams = sc.list_streams()
    speakers = {d.id for d in sc.all_speakers()}
    inputs = {d.id for d in sc.all_microphones()}
    assert {s.device_id for s in streams if s.kind == "playback"} == speakers
    assert {s.device_id for s in streams if s.kind == "recording"} == inputs
    on_scarlett = next(s for s in streams if s.kind == "playback" and s.device_id == scarlett.id)
    assert on_scarlett.volume == (0.5,) and on_scarlett.application.startswith("App on ")
    sc.set_stream_volume(on_scarlett, 0.25)
    sc.set_stream_mute(on_scarlett, True)
    changed = managers[scarlett.id].sessions[0]
    assert changed.volume == 0.25 and changed.muted
    others = [m.sessions[0] for key, m in managers.items() if key != scarlett.id]
    assert all(o.volume == 0.5 and not o.muted for o in others)
    with pytest.raises(sc.InvalidConfigError, match="from 0 % to 100 %"):
        sc.set_stream_volume(on_scarlett, 1.5)
    with pytest.raises(sc.AudioError, match="Volume mixer"):
        sc.move_stream(on_scarlett, scarlett)
    assert all(m.leaks() == [] for m in managers.values()), [m.leaks() for m in managers.values()]
    assert strings_freed


def test_a_real_session_is_described_and_its_volume_and_mute_set(scarlett) -> None:
    """The backend's session code on the system's own objects: who the session belongs to,
    and a volume and mute set through it read back."""
    from scgui.audio.backends import _wasapi_sessions as sessions

    seen: dict[str, object] = {}

    def test(control: object, volume: object) -> None:
        seen["stream"] = sessions.describe(control, scarlett.id, "playback", sessions.SessionIds())
        before = sessions.read_volume(volume)
        try:
            sessions.set_level(volume, 0.5)
            sessions.set_muted(volume, True)
            seen["changed"] = sessions.read_volume(volume)
        finally:
            sessions.set_level(volume, before[0])
            sessions.set_muted(volume, before[1])
        seen["restored"] = sessions.read_volume(volume)
        seen["before"] = before

    _with_a_session(scarlett.id, test)
    stream = seen["stream"]
    assert isinstance(stream, sc.AppStream)
    program = os.path.splitext(os.path.basename(sys.executable))[0]
    assert stream.process_id == os.getpid() and stream.kind == "playback"
    assert stream.application.lower() == program.lower() and not stream.corked
    assert stream.device_id == scarlett.id
    assert seen["changed"] == (0.5, True)
    assert seen["restored"] == seen["before"]


# -- errors and bad input -----------------------------------------------------------------------


def test_underruns_count_gaps_and_nothing_else(scarlett) -> None:
    """A take fed without a pause reports no underrun (the empty buffer of a stream that has
    not started yet is none: it was counted once per take before); a player left waiting
    between two blocks reports the gap. A loaded machine can starve a take for real, so the
    clean take gets three tries."""
    tone = (0.25 * np.sin(2 * np.pi * 441 * np.arange(RATE // 2) / RATE)).astype(np.float32)
    stereo = np.repeat(tone[:, None], 2, axis=1)
    counts = []
    for _ in range(3):
        with scarlett.player(RATE) as player:
            for start in range(0, len(stereo), 1024):
                player.play(stereo[start : start + 1024])
            player.wait()
            counts.append(player.underruns)
        if counts[-1] == 0:
            break
    assert counts[-1] == 0, f"underruns reported for takes played without a pause: {counts}"
    with scarlett.player(RATE) as player:
        player.play(stereo[:2048])
        time.sleep(0.4)  # the device buffer runs dry while the program still plays
        player.play(stereo[2048:4096])
        player.wait()
        assert player.underruns >= 1


def test_loopback_capture_error_is_clear_under_wine(rig, scarlett) -> None:
    if get_backend().capabilities.loopback:
        pytest.skip("this WASAPI records loopback: see test_loopback_records_what_plays")
    loopback = sc.get_microphone(scarlett.id, include_loopback=True)
    assert loopback.isloopback
    with pytest.raises(sc.AudioError, match=r"Loopback recording of .* is not supported"):
        with loopback.recorder(RATE):
            pass


@pytest.fixture
def a_speaker() -> sc.Speaker:
    """The rig's stereo speaker, or on a real Windows machine its default speaker."""
    if RIG:
        return sc.get_speaker(SCARLETT.description)
    try:
        return sc.default_speaker()
    except sc.AudioError as exc:
        pytest.skip(f"no speaker to record from: {exc}")


@pytest.mark.real_windows
def test_loopback_records_what_plays(a_speaker) -> None:
    loopback = sc.get_microphone(a_speaker.id, include_loopback=True)
    data = pattern(RATE // 2, a_speaker.channels, seed=7)
    recording = capture_while_playing(a_speaker, loopback, data)
    assert (
        np.corrcoef(recording[np.any(recording != 0, axis=1)][: len(data), 0], data[:, 0])[0, 1]
        > 0.99
    )


@pytest.mark.real_windows
def test_loopback_delivers_silence_when_nothing_plays(a_speaker) -> None:
    loopback = sc.get_microphone(a_speaker.id, include_loopback=True)
    with loopback.recorder(RATE) as recorder:
        started = time.monotonic()
        silence = recorder.record(RATE // 2)
        assert time.monotonic() - started < 2.0
    assert silence.shape == (RATE // 2, a_speaker.channels) and not np.any(silence)


def test_bad_arguments_are_clear(multi8, multi8_monitor) -> None:
    with pytest.raises(sc.InvalidConfigError, match="channel"):
        multi8.player(RATE, channels=[8])
    with pytest.raises(ValueError):
        multi8_monitor.recorder(0)
    with multi8.player(RATE) as player:
        with pytest.raises(sc.InvalidDataError):
            player.play(np.full((10, 8), np.nan, dtype=np.float32))
        with pytest.raises(sc.InvalidDataError):
            player.play(np.zeros((10, 3), dtype=np.float32))


def test_close_from_another_thread_wakes_a_reader(multi8_monitor) -> None:
    recorder = multi8_monitor.recorder(RATE)
    recorder.__enter__()
    errors: list[BaseException] = []

    def read_forever() -> None:
        try:
            recorder.record(RATE * 60)
        except sc.AudioError as exc:
            errors.append(exc)

    reader = threading.Thread(target=read_forever)
    reader.start()
    time.sleep(0.3)
    recorder.close()
    reader.join(5)
    assert not reader.is_alive() and errors and isinstance(errors[0], sc.StreamError)


def test_streams_dropped_without_close_do_not_hang_or_abort(multi8, multi8_monitor) -> None:
    import gc

    def stream_threads() -> int:
        return sum(t.name.startswith("scgui-wasapi") for t in threading.enumerate())

    before = stream_threads()
    for _ in range(20):
        multi8.player(RATE).__enter__()
        multi8_monitor.recorder(RATE).__enter__()
    gc.collect()
    deadline = time.monotonic() + 3.0
    while stream_threads() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stream_threads() == before, "threads of dropped streams still run"
    assert sc.get_speaker(multi8.id).channels == 8


def test_watch_registers_and_lists(rig) -> None:
    """Wine delivers no notifications; the watch must still start, list and close cleanly."""
    with sc.watch_devices() as watch:
        assert watch.get(timeout=0.2) is None


def test_exclusive_mode_refusal_is_clear(multi8) -> None:
    if not running_under_wine():
        pytest.skip("on Windows the device may well allow exclusive mode")
    assert sc.capabilities().exclusive_mode
    with pytest.raises(sc.InvalidConfigError, match="refuses exclusive mode"):
        with multi8.player(RATE, exclusive=True):
            pass


def test_works_on_a_thread_someone_put_in_a_single_threaded_apartment(multi8_monitor) -> None:
    """Qt initialises COM as STA on its GUI thread: that must not stop the library."""
    results: list[object] = []

    def in_sta() -> None:
        hr = ole32().CoInitializeEx(ffi.NULL, 0x2)  # COINIT_APARTMENTTHREADED
        try:
            names = [m.name for m in sc.all_microphones()]
            with multi8_monitor.recorder(RATE) as recorder:
                results.append((hr, names, recorder.record(480).shape))
        except BaseException as exc:
            results.append(exc)

    thread = threading.Thread(target=in_sta)
    thread.start()
    thread.join(20)
    assert results and not isinstance(results[0], BaseException), results
    hr, names, shape = results[0]  # type: ignore[misc]
    assert hr in (0, 1) and multi8_monitor.name in names and shape == (480, 8)


def test_a_device_unplugged_mid_stream_is_a_clear_error(rig) -> None:
    """The runner loads a sink for this test alone; unloading it invalidates the endpoint."""
    module = os.environ.get("SCGUI_WASAPI_VANISHING_MODULE")
    if not module:
        pytest.skip("the runner did not load the vanishing sink")
    microphone = sc.get_microphone("Monitor of Vanishing")
    with microphone.recorder(RATE) as recorder:
        recorder.record(480)
        # A Linux command from Windows: Wine's "start /unix" runs it, detached.
        subprocess.run(
            ["cmd", "/c", "start", "/unix", "/usr/bin/pactl", "unload-module", module],
            check=True,
            timeout=30,
        )
        started = time.monotonic()
        with pytest.raises(sc.StreamError, match="unplugged or disabled"):
            while time.monotonic() - started < 10:
                recorder.record(480)
    assert time.monotonic() - started < 5


def test_listing_leaves_the_callers_thread_without_a_com_apartment(rig) -> None:
    """A program that lists devices before creating its QApplication must still be able to
    make that thread single-threaded for Qt (OleInitialize): scgui's COM runs elsewhere."""
    results: list[int] = []

    def fresh_thread() -> None:
        sc.all_speakers()
        sc.default_microphone()
        hr = ole32().CoInitializeEx(ffi.NULL, 0x2)  # COINIT_APARTMENTTHREADED, as Qt does
        results.append(hr)
        if hr >= 0:
            ole32().CoUninitialize()

    thread = threading.Thread(target=fresh_thread)
    thread.start()
    thread.join(20)
    assert results == [0], f"CoInitializeEx gave {results}: the thread already had COM"
