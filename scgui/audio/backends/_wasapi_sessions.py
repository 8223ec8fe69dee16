"""Other programs' audio on Windows: the audio sessions the volume mixer lists, with their
volume and mute.

Windows keeps no per-stream list as PulseAudio does. A program's streams on one endpoint
form an audio *session* (``IAudioSessionControl2``), and that is what the volume mixer
shows, turns down and mutes (``ISimpleAudioVolume``). So on WASAPI an
:class:`~scgui.audio.backends.base.AppStream` is one session on one endpoint:

- ``kind`` is the endpoint's direction;
- ``application`` is the session's display name, or else its program's file name;
- ``volume`` is one value, the session's master volume, from 0.0 to 1.0 (Windows' limit);
- ``corked`` marks a session with no active stream;
- ``process_id`` is the program's process. Expired sessions are left out.

Windows gives no program a documented way to move another program's session to another
endpoint; its Sound settings do that. :attr:`Capabilities.stream_move` is False there.

Nothing here keeps a COM object between calls. A change looks its session up again by the
session's instance identifier, so a session that ended gives a clear error and never a call
on a released object. Every function runs on the backend's COM thread.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Generator, Iterator
from contextlib import closing, contextmanager
from pathlib import PureWindowsPath
from typing import Any, Literal

from ..errors import BackendError, BackendUnavailableError
from . import _wasapi_cdef as decl
from ._com import (
    check,
    ffi,
    guid,
    hresult_name,
    kernel32,
    release,
    task_free,
    unsigned,
    wide_string,
)
from .base import AppStream

_log = logging.getLogger(__name__)

#: What :attr:`AppStream.kind` a session on an endpoint is: its direction.
StreamKind = Literal["playback", "recording"]

E_NOTIMPL = 0x80004001
#: ``IAudioSessionControl2::IsSystemSoundsSession`` answers S_OK for the system sounds.
S_OK = 0
#: The longest path ``QueryFullProcessImageNameW`` is given room for (Windows' long paths).
MAX_IMAGE_PATH = 32768
SYSTEM_SOUNDS = "System Sounds"


class SessionsUnsupported(BackendError):
    """This Windows (Wine 8, for one) cannot list audio sessions (E_NOTIMPL)."""


class SessionIds:
    """Small integers for sessions (by :func:`session_key`), since :attr:`AppStream.id` is
    an ``int``: the same session keeps its number while the backend lives (a program opens
    a few sessions, so the table stays small)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_instance: dict[str, int] = {}
        self._by_id: dict[int, str] = {}
        self._next = itertools.count(1)

    def of(self, instance: str) -> int:
        with self._lock:
            number = self._by_instance.get(instance)
            if number is None:
                number = self._by_instance[instance] = next(self._next)
                self._by_id[number] = instance
            return number

    def instance(self, number: int) -> str | None:
        with self._lock:
            return self._by_id.get(number)


def session_manager(device: Any) -> Any:
    """The ``IAudioSessionManager2`` of an endpoint (the caller releases it)."""
    out = ffi.new("IAudioSessionManager2 **")
    hr = device.lpVtbl.Activate(
        device,
        guid(decl.IID_IAUDIO_SESSION_MANAGER2),
        decl.CLSCTX_ALL,
        ffi.NULL,
        ffi.cast("void **", out),
    )
    check(hr, "Opening the endpoint's audio sessions (IAudioSessionManager2)")
    return out[0]


@contextmanager
def _session_enumerator(manager: Any) -> Iterator[Any]:
    out = ffi.new("IAudioSessionEnumerator **")
    hr = manager.lpVtbl.GetSessionEnumerator(manager, out)
    if unsigned(hr) == E_NOTIMPL:
        raise SessionsUnsupported(
            "This Windows cannot list audio sessions (GetSessionEnumerator: "
            f"{hresult_name(hr)}); Wine 8 lacks it."
        )
    check(hr, "Listing the endpoint's audio sessions")
    try:
        yield out[0]
    finally:
        release(out[0])


def controls(manager: Any) -> Generator[Any, None, None]:
    """Every session of the endpoint, as an ``IAudioSessionControl2`` that stays valid until
    the next one is yielded (a session that fails to answer is skipped and logged)."""
    with _session_enumerator(manager) as sessions:
        count = ffi.new("int *")
        check(sessions.lpVtbl.GetCount(sessions, count), "Counting audio sessions")
        for index in range(count[0]):
            control = ffi.new("IAudioSessionControl2 **")
            hr = sessions.lpVtbl.GetSession(sessions, index, control)
            if hr < 0:
                _log.debug("audio session %d: %s", index, hresult_name(hr))
                continue
            try:
                control2 = _query(
                    control[0], decl.IID_IAUDIO_SESSION_CONTROL2, "IAudioSessionControl2"
                )
            except BackendError as exc:
                _log.debug("audio session %d: %s", index, exc)
                continue
            finally:
                release(control[0])
            try:
                yield control2
            finally:
                release(control2)


def _query(obj: Any, iid: str, name: str) -> Any:
    out = ffi.new(f"{name} **")
    check(obj.lpVtbl.QueryInterface(obj, guid(iid), ffi.cast("void **", out)), f"Asking for {name}")
    return out[0]


def _owned_string(getter: Any, control: Any) -> str:
    """A string a session hands over (and the caller frees with CoTaskMemFree)."""
    out = ffi.new("LPWSTR *")
    if getter(control, out) < 0:
        return ""
    try:
        return wide_string(out[0])
    finally:
        task_free(out[0])


def session_key(control: Any) -> str:
    """What tells this session from every other: its instance identifier ("unique across
    all instances", says Windows); where a system does not give one (Wine 8), its process
    and display name."""
    instance = _owned_string(control.lpVtbl.GetSessionInstanceIdentifier, control)
    if instance:
        return instance
    display = _owned_string(control.lpVtbl.GetDisplayName, control)
    return f"process {process_id(control)}|{display}"


def process_id(control: Any) -> int | None:
    """The session's process: for a session shared by several processes, the one that
    made it (Windows then answers AUDCLNT_S_NO_SINGLE_PROCESS, a success); None for the
    system sounds, whose process id is 0."""
    out = ffi.new("DWORD *")
    hr = control.lpVtbl.GetProcessId(control, out)
    return int(out[0]) if hr >= 0 and out[0] else None


def describe(control: Any, device_id: str, kind: StreamKind, ids: SessionIds) -> AppStream | None:
    """An :class:`AppStream` for one session, or None for an expired one."""
    state = ffi.new("int *")
    check(control.lpVtbl.GetState(control, state), "Reading an audio session's state")
    if state[0] == decl.AUDIO_SESSION_STATE_EXPIRED:
        return None
    pid = process_id(control)
    system = control.lpVtbl.IsSystemSoundsSession(control) == S_OK
    display = _owned_string(control.lpVtbl.GetDisplayName, control)
    program = process_file_name(pid) if pid is not None else None
    volume, muted = _volume_of(control)
    return AppStream(
        kind=kind,
        id=ids.of(session_key(control)),
        application=application_name(display, program, system, pid),
        name=program or (SYSTEM_SOUNDS if system else "audio session"),
        device_id=device_id,
        volume=volume,
        muted=muted,
        corked=state[0] == decl.AUDIO_SESSION_STATE_INACTIVE,
        process_id=pid,
    )


def application_name(display: str, program: str | None, system: bool, pid: int | None) -> str:
    """The name the volume mixer would show: the session's own display name, unless it is
    empty or a resource reference (``@%SystemRoot%\\...,-202``); then the program's file name
    without ``.exe``; the system sounds by that name; a process by its number."""
    if display and not display.startswith("@"):
        return display
    if system:
        return SYSTEM_SOUNDS
    if program:
        stem = PureWindowsPath(program).stem
        return stem or program
    return f"process {pid}" if pid is not None else ""


def process_file_name(pid: int) -> str | None:
    """The file name of process ``pid``'s program (``firefox.exe``), or None if Windows
    does not say (the process ended, or belongs to a more privileged user)."""
    try:
        k32 = kernel32()
    except BackendUnavailableError:
        return None
    handle = k32.OpenProcess(decl.PROCESS_QUERY_LIMITED_INFORMATION, 0, pid)
    if handle == ffi.NULL:
        return None
    try:
        size = ffi.new("DWORD *", MAX_IMAGE_PATH)
        path = ffi.new("WCHAR[]", MAX_IMAGE_PATH)
        if not k32.QueryFullProcessImageNameW(handle, 0, path, size):
            return None
        return PureWindowsPath(ffi.string(path, size[0])).name or None
    finally:
        k32.CloseHandle(handle)


@contextmanager
def simple_volume(control: Any) -> Iterator[Any]:
    """The session's ``ISimpleAudioVolume``, for :func:`read_volume`, :func:`set_level` and
    :func:`set_muted` (Windows answers it on the control; Wine 8 only on an audio client)."""
    volume = _query(control, decl.IID_ISIMPLE_AUDIO_VOLUME, "ISimpleAudioVolume")
    try:
        yield volume
    finally:
        release(volume)


def read_volume(volume: Any) -> tuple[float, bool]:
    """The session's master volume (0.0 to 1.0) and whether it is muted."""
    level = ffi.new("float *")
    muted = ffi.new("BOOL *")
    check(volume.lpVtbl.GetMasterVolume(volume, level), "Reading a session's volume")
    check(volume.lpVtbl.GetMute(volume, muted), "Reading a session's mute")
    return float(level[0]), bool(muted[0])


def set_level(volume: Any, level: float) -> None:
    """Set the session's master volume (0.0 to 1.0: the caller checks the range)."""
    check(volume.lpVtbl.SetMasterVolume(volume, level, ffi.NULL), "Setting a session's volume")


def set_muted(volume: Any, muted: bool) -> None:
    check(volume.lpVtbl.SetMute(volume, int(muted), ffi.NULL), "Muting a session")


def _volume_of(control: Any) -> tuple[tuple[float, ...], bool]:
    """What :func:`describe` shows of the volume: none, where the session does not say."""
    try:
        with simple_volume(control) as volume:
            level, muted = read_volume(volume)
    except BackendError as exc:
        _log.debug("an audio session without a volume: %s", exc)
        return (), False
    return (level,), muted


def sessions_on(manager: Any, device_id: str, kind: StreamKind, ids: SessionIds) -> list[AppStream]:
    """The live sessions of one endpoint (``kind``: ``"playback"`` or ``"recording"``)."""
    found = []
    with closing(controls(manager)) as listed:
        for control in listed:
            try:
                stream = describe(control, device_id, kind, ids)
            except BackendError as exc:  # a session ending while it is read
                _log.debug("skipping an audio session: %s", exc)
                continue
            if stream is not None:
                found.append(stream)
    return found


@contextmanager
def session_of(manager: Any, stream: AppStream, ids: SessionIds) -> Iterator[Any]:
    """The session ``stream`` was listed from, still open; BackendError if it has ended."""
    instance = ids.instance(stream.id)
    if instance is not None:
        with closing(controls(manager)) as listed:
            for control in listed:
                if session_key(control) == instance:
                    yield control
                    return
    raise BackendError(
        f"The audio session of {stream.application or 'that program'} has ended; list the "
        "streams again."
    )
