"""Other programs' audio sessions through the WASAPI backend's own code, called through COM
vtables (``session_fakes``): listing, volume, mute, ended sessions, and Wine 8's refusal.

Runs on Linux and, in the Wine pass, under Windows Python with the Win64 calling convention.
What Wine can do for real (the own process's session) is in ``test_wasapi_rig.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import PureWindowsPath

import pytest
from session_fakes import FakeSession, FakeSessionManager

from scgui.audio.backends import _wasapi_cdef as decl
from scgui.audio.backends import _wasapi_sessions as sessions
from scgui.audio.errors import BackendError

#: A process id no process has (Windows' ids are multiples of 4 below 2**32).
NO_SUCH_PROCESS = 0xFFFFFFF0
SYSTEM_SOUNDS_NAME = r"@%SystemRoot%\System32\AudioSrv.Dll,-202"


@pytest.fixture
def mixer(monkeypatch: pytest.MonkeyPatch) -> FakeSessionManager:
    manager = FakeSessionManager(
        [
            FakeSession(
                "{0.0.0.00000000}.{a}|firefox|1", "Firefox", pid=NO_SUCH_PROCESS, volume=0.5
            ),
            FakeSession(
                "{0.0.0.00000000}.{a}|system|2",
                SYSTEM_SOUNDS_NAME,
                system=True,
                state=decl.AUDIO_SESSION_STATE_INACTIVE,
                muted=True,
            ),
            FakeSession(
                "{0.0.0.00000000}.{a}|old|3", "Old", state=decl.AUDIO_SESSION_STATE_EXPIRED
            ),
            FakeSession("{0.0.0.00000000}.{a}|own|4", "", pid=os.getpid(), volume=0.75),
        ]
    )
    monkeypatch.setattr(sessions, "task_free", manager.strings.free)
    return manager


def test_sessions_are_listed_as_the_volume_mixer_shows_them(mixer: FakeSessionManager) -> None:
    ids = sessions.SessionIds()
    listed = sessions.sessions_on(mixer.pointer, "speaker-id", "playback", ids)
    assert [s.application for s in listed][:2] == ["Firefox", "System Sounds"]
    firefox, system, own = listed  # the expired session is left out
    assert firefox.kind == "playback" and firefox.device_id == "speaker-id"
    assert firefox.volume == (0.5,) and not firefox.muted and not firefox.corked
    assert firefox.process_id == NO_SUCH_PROCESS and firefox.name == "audio session"
    assert system.corked and system.muted and system.process_id is None
    assert system.name == "System Sounds"
    assert own.process_id == os.getpid() and own.volume == (0.75,)
    if sys.platform == "win32":  # the real kernel32 names the program
        program = PureWindowsPath(sys.executable).name
        assert own.name.lower() == program.lower()
        assert own.application.lower() == PureWindowsPath(program).stem.lower()
    else:
        assert own.application == f"process {os.getpid()}"
    assert len({s.id for s in listed}) == 3
    again = sessions.sessions_on(mixer.pointer, "speaker-id", "playback", ids)
    assert [s.id for s in again] == [s.id for s in listed]  # a session keeps its number
    assert mixer.leaks() == []
    assert mixer.strings.freed > 0


def test_volume_and_mute_reach_the_session(mixer: FakeSessionManager) -> None:
    ids = sessions.SessionIds()
    firefox = sessions.sessions_on(mixer.pointer, "speaker-id", "playback", ids)[0]
    with (
        sessions.session_of(mixer.pointer, firefox, ids) as control,
        sessions.simple_volume(control) as volume,
    ):
        sessions.set_level(volume, 0.25)
        sessions.set_muted(volume, True)
    assert mixer.sessions[0].volume == 0.25 and mixer.sessions[0].muted
    assert [s.volume for s in mixer.sessions[1:]] == [1.0, 1.0, 0.75]  # the others unchanged
    relisted = sessions.sessions_on(mixer.pointer, "speaker-id", "playback", ids)[0]
    assert relisted.volume == (0.25,) and relisted.muted and relisted.id == firefox.id
    assert mixer.leaks() == []


def test_a_session_that_ended_is_a_clear_error(mixer: FakeSessionManager) -> None:
    ids = sessions.SessionIds()
    firefox = sessions.sessions_on(mixer.pointer, "speaker-id", "playback", ids)[0]
    ended = mixer.sessions.pop(0)
    with pytest.raises(BackendError, match="session of Firefox has ended; list the streams"):
        with sessions.session_of(mixer.pointer, firefox, ids):
            pass
    mixer.sessions.insert(0, ended)
    assert mixer.leaks() == []


def test_a_session_failing_while_read_is_skipped(mixer: FakeSessionManager) -> None:
    mixer.sessions[0].fail_state = True
    listed = sessions.sessions_on(mixer.pointer, "speaker-id", "recording", sessions.SessionIds())
    assert next(s.application for s in listed) == "System Sounds"
    assert all(s.kind == "recording" for s in listed)
    assert mixer.leaks() == []


def test_wine_8s_missing_enumerator_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    manager = FakeSessionManager([], enumerable=False)
    monkeypatch.setattr(sessions, "task_free", manager.strings.free)
    with pytest.raises(sessions.SessionsUnsupported, match="E_NOTIMPL"):
        sessions.sessions_on(manager.pointer, "speaker-id", "playback", sessions.SessionIds())
    assert manager.leaks() == []


def test_layouts_of_the_session_interfaces() -> None:
    """Slots in audiopolicy.h's order (a wrong count calls the wrong method)."""
    from scgui.audio.backends._com import ffi

    pointer = ffi.sizeof("void *")
    assert ffi.offsetof("IAudioSessionManager2Vtbl", "GetSessionEnumerator") == 5 * pointer
    assert ffi.offsetof("IAudioSessionControl2Vtbl", "GetDisplayName") == 4 * pointer
    assert ffi.offsetof("IAudioSessionControl2Vtbl", "GetSessionInstanceIdentifier") == 13 * pointer
    assert ffi.offsetof("IAudioSessionControl2Vtbl", "IsSystemSoundsSession") == 15 * pointer
    assert ffi.offsetof("ISimpleAudioVolumeVtbl", "GetMute") == 6 * pointer
    slots = {
        "IAudioSessionManager2Vtbl": (
            "QueryInterface AddRef Release GetAudioSessionControl GetSimpleAudioVolume "
            "GetSessionEnumerator RegisterSessionNotification UnregisterSessionNotification "
            "RegisterDuckNotification UnregisterDuckNotification"
        ),
        "IAudioSessionEnumeratorVtbl": "QueryInterface AddRef Release GetCount GetSession",
        "IAudioSessionControl2Vtbl": (
            "QueryInterface AddRef Release GetState GetDisplayName SetDisplayName GetIconPath "
            "SetIconPath GetGroupingParam SetGroupingParam RegisterAudioSessionNotification "
            "UnregisterAudioSessionNotification GetSessionIdentifier "
            "GetSessionInstanceIdentifier GetProcessId IsSystemSoundsSession "
            "SetDuckingPreference"
        ),
        "ISimpleAudioVolumeVtbl": (
            "QueryInterface AddRef Release SetMasterVolume GetMasterVolume SetMute GetMute"
        ),
    }
    for vtbl, names in slots.items():  # every slot, in order, one pointer each
        fields = ffi.typeof(vtbl).fields
        assert [name for name, _ in fields] == names.split(), vtbl
        assert [f.offset for _, f in fields] == [i * pointer for i in range(len(fields))]
        assert ffi.sizeof(vtbl) == len(fields) * pointer


@pytest.mark.parametrize(
    ("display", "program", "system", "pid", "shown"),
    [
        ("Spotify", "Spotify.exe", False, 8, "Spotify"),
        ("", "C:/x/firefox.exe", False, 8, "firefox"),
        ("", "chrome.exe", False, 8, "chrome"),
        (SYSTEM_SOUNDS_NAME, None, True, None, "System Sounds"),
        ("@C:\\app.dll,-5", "app.exe", False, 8, "app"),
        ("", None, False, 12, "process 12"),
        ("", None, False, None, ""),
    ],
)
def test_application_names(
    display: str, program: str | None, system: bool, pid: int | None, shown: str
) -> None:
    assert sessions.application_name(display, program, system, pid) == shown


def test_session_numbers_are_stable_and_distinct() -> None:
    ids = sessions.SessionIds()
    first, second = ids.of("a"), ids.of("b")
    assert first != second and ids.of("a") == first
    assert ids.instance(first) == "a" and ids.instance(999) is None


def test_a_session_without_a_volume_is_listed_without_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wine's session controls do not answer ISimpleAudioVolume (Windows' do)."""
    quiet = FakeSession("x|1", "Quiet", pid=8)
    manager = FakeSessionManager([quiet])
    del quiet.control.interfaces[decl.IID_ISIMPLE_AUDIO_VOLUME]
    monkeypatch.setattr(sessions, "task_free", manager.strings.free)
    (stream,) = sessions.sessions_on(manager.pointer, "mic", "recording", sessions.SessionIds())
    assert stream.volume == () and not stream.muted and stream.application == "Quiet"
    assert manager.leaks() == []


def test_a_shared_session_belongs_to_the_process_that_made_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GetProcessId answers AUDCLNT_S_NO_SINGLE_PROCESS, a success, with the creator's id."""
    manager = FakeSessionManager([FakeSession("x|shared", "Shared", pid=1234, shared=True)])
    monkeypatch.setattr(sessions, "task_free", manager.strings.free)
    (stream,) = sessions.sessions_on(manager.pointer, "spk", "playback", sessions.SessionIds())
    assert stream.process_id == 1234 and stream.application == "Shared"
    assert manager.leaks() == []


def test_a_control_without_the_second_interface_is_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    manager = FakeSessionManager(
        [FakeSession("x|old", "Old", pid=8, refuse_control2=True), FakeSession("x|new", "New")]
    )
    monkeypatch.setattr(sessions, "task_free", manager.strings.free)
    listed = sessions.sessions_on(manager.pointer, "spk", "playback", sessions.SessionIds())
    assert [s.application for s in listed] == ["New"]
    assert manager.leaks() == []


def test_sessions_without_an_instance_identifier_are_told_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Wine 8 gives no instance identifier: process and display name stand in for it, so a
    change still reaches the right session."""
    manager = FakeSessionManager(
        [FakeSession("", "One", pid=8), FakeSession("", "Two", pid=8), FakeSession("", "", pid=12)]
    )
    monkeypatch.setattr(sessions, "task_free", manager.strings.free)
    ids = sessions.SessionIds()
    listed = sessions.sessions_on(manager.pointer, "spk", "playback", ids)
    assert len({s.id for s in listed}) == 3
    with (
        sessions.session_of(manager.pointer, listed[1], ids) as control,
        sessions.simple_volume(control) as volume,
    ):
        sessions.set_level(volume, 0.5)
    assert [s.volume for s in manager.sessions] == [1.0, 0.5, 1.0]
    assert manager.leaks() == []


def test_an_error_inside_a_change_releases_everything(mixer: FakeSessionManager) -> None:
    ids = sessions.SessionIds()
    firefox = sessions.sessions_on(mixer.pointer, "speaker-id", "playback", ids)[0]
    with pytest.raises(RuntimeError, match="in the middle"):
        with sessions.session_of(mixer.pointer, firefox, ids):
            raise RuntimeError("in the middle of a change")
    assert mixer.leaks() == []
