"""Audio sessions as Windows hands them out, built from cffi callbacks: an
``IAudioSessionManager2`` whose enumerator lists fake sessions, each an
``IAudioSessionControl2`` with an ``ISimpleAudioVolume``.

Wine 8 cannot enumerate sessions (``GetSessionEnumerator`` is E_NOTIMPL), so the listing
loop is tested through these objects: the backend's own code calls them through their
vtables, as it calls Windows. Under Windows Python (Wine's, in the CI pass) they run with the
real Win64 calling convention and strings come from the real ``CoTaskMemAlloc``. Every
object counts its references and every string handed out must be freed once, so a leak or a
double release fails the test.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scgui.audio.backends import _wasapi_cdef as decl
from scgui.audio.backends._com import ffi, guid_text, ole32

S_OK, S_FALSE = 0, 1
E_FAIL = 0x80004005 - (1 << 32)
E_NOINTERFACE = 0x80004002 - (1 << 32)
E_NOTIMPL = 0x80004001 - (1 << 32)
AUDCLNT_S_NO_SINGLE_PROCESS = 0x0889000D


class Strings:
    """Wide strings handed to the caller, who frees them with CoTaskMemFree."""

    def __init__(self) -> None:
        self.live: dict[int, Any] = {}
        self.freed = 0

    def hand_out(self, text: str, out: Any) -> None:
        units = text.encode("utf-16-le") + b"\0\0"
        if sys.platform == "win32":
            memory = ole32().CoTaskMemAlloc(len(units))
            ffi.memmove(memory, units, len(units))
            keep = None
        else:
            keep = ffi.new("char[]", units)
            memory = keep
        pointer = ffi.cast("WCHAR *", memory)
        self.live[int(ffi.cast("uintptr_t", pointer))] = keep
        out[0] = pointer

    def free(self, pointer: Any) -> None:
        """CoTaskMemFree as the fakes see it (the real one too, under Windows)."""
        if pointer == ffi.NULL:
            return
        address = int(ffi.cast("uintptr_t", pointer))
        assert address in self.live, "freed a string no session handed out (or freed it twice)"
        del self.live[address]
        self.freed += 1
        if sys.platform == "win32":
            ole32().CoTaskMemFree(pointer)


class FakeCom:
    """One COM object of interface ``name``, its methods Python functions ``(this, *args)``;
    QueryInterface answers for ``interfaces`` (IID -> object) and IUnknown."""

    def __init__(self, name: str, methods: dict[str, Callable[..., int]]) -> None:
        self.name = name
        self.refs = 1
        self.interfaces: dict[str, FakeCom] = {}
        self._vtbl = ffi.new(f"{name}Vtbl *")
        self._callbacks = []
        defaults: dict[str, Callable[..., int]] = {
            "QueryInterface": self._query,
            "AddRef": self._add_ref,
            "Release": self._release,
        }
        for slot, slot_field in ffi.typeof(f"{name}Vtbl").fields:
            function = methods.get(slot) or defaults.get(slot)
            if function is None:
                continue
            error = 0 if slot in ("AddRef", "Release") else E_FAIL
            callback = ffi.callback(slot_field.type, function, error=error)
            self._callbacks.append(callback)
            setattr(self._vtbl, slot, callback)
        self.pointer = ffi.new(f"{name} *")
        self.pointer.lpVtbl = self._vtbl

    def _query(self, _this: Any, iid: Any, out: Any) -> int:
        target = self.interfaces.get(guid_text(iid))
        if target is None and guid_text(iid) == decl.IID_IUNKNOWN:
            target = self
        if target is None:
            out[0] = ffi.NULL
            return E_NOINTERFACE
        target.refs += 1
        out[0] = ffi.cast("void *", target.pointer)
        return S_OK

    def _add_ref(self, _this: Any) -> int:
        self.refs += 1
        return self.refs

    def _release(self, _this: Any) -> int:
        self.refs -= 1
        assert self.refs >= 0, f"{self.name} released once too often"
        return self.refs


@dataclass
class FakeSession:
    """What one session answers: ``fail_state`` makes GetState fail (a session ending),
    ``shared`` answers as a session of several processes, ``refuse_control2`` as an old
    system's control, and an empty ``instance`` as Wine 8's stub."""

    instance: str
    display: str = ""
    pid: int = 0
    system: bool = False
    state: int = decl.AUDIO_SESSION_STATE_ACTIVE
    volume: float = 1.0
    muted: bool = False
    fail_state: bool = False
    shared: bool = False
    refuse_control2: bool = False
    control: FakeCom = field(init=False)
    simple_volume: FakeCom = field(init=False)

    def build(self, strings: Strings) -> None:
        def get_state(_this: Any, out: Any) -> int:
            if self.fail_state:
                return E_FAIL
            out[0] = self.state
            return S_OK

        def get_string(value: Callable[[], str]) -> Callable[[Any, Any], int]:
            def getter(_this: Any, out: Any) -> int:
                strings.hand_out(value(), out)
                return S_OK

            return getter

        def get_pid(_this: Any, out: Any) -> int:
            out[0] = self.pid  # the system sounds: 0
            return AUDCLNT_S_NO_SINGLE_PROCESS if self.shared else S_OK

        def query(this: Any, iid: Any, out: Any) -> int:
            if self.refuse_control2 and guid_text(iid) == decl.IID_IAUDIO_SESSION_CONTROL2:
                out[0] = ffi.NULL
                return E_NOINTERFACE
            return self.control._query(this, iid, out)

        def get_instance(_this: Any, out: Any) -> int:
            if not self.instance:  # Wine 8: a stub
                out[0] = ffi.NULL
                return E_NOTIMPL
            strings.hand_out(self.instance, out)
            return S_OK

        self.control = FakeCom(
            "IAudioSessionControl2",
            {
                "GetState": get_state,
                "GetDisplayName": get_string(lambda: self.display),
                "GetIconPath": get_string(lambda: ""),
                "QueryInterface": query,
                "GetSessionIdentifier": get_string(lambda: self.instance.split("|")[0]),
                "GetSessionInstanceIdentifier": get_instance,
                "GetProcessId": get_pid,
                "IsSystemSoundsSession": lambda _this: S_OK if self.system else S_FALSE,
            },
        )

        def set_master(_this: Any, level: float, _context: Any) -> int:
            self.volume = level
            return S_OK

        def get_master(_this: Any, out: Any) -> int:
            out[0] = self.volume
            return S_OK

        def set_mute(_this: Any, muted: int, _context: Any) -> int:
            self.muted = bool(muted)
            return S_OK

        def get_mute(_this: Any, out: Any) -> int:
            out[0] = int(self.muted)
            return S_OK

        self.simple_volume = FakeCom(
            "ISimpleAudioVolume",
            {
                "SetMasterVolume": set_master,
                "GetMasterVolume": get_master,
                "SetMute": set_mute,
                "GetMute": get_mute,
            },
        )
        self.control.interfaces = {
            decl.IID_IAUDIO_SESSION_CONTROL2: self.control,
            decl.IID_ISIMPLE_AUDIO_VOLUME: self.simple_volume,
        }


class FakeSessionManager:
    """An endpoint's ``IAudioSessionManager2`` listing ``sessions`` (a live list: a test
    may end a session by removing it). ``enumerable=False`` answers as Wine 8 does."""

    def __init__(self, sessions: list[FakeSession], *, enumerable: bool = True) -> None:
        self.strings = Strings()
        self.sessions = sessions
        self.enumerable = enumerable
        self.enumerators: list[FakeCom] = []
        for session in sessions:
            session.build(self.strings)
        self.com = FakeCom(
            "IAudioSessionManager2", {"GetSessionEnumerator": self._get_session_enumerator}
        )
        self.pointer = self.com.pointer

    def _get_session_enumerator(self, _this: Any, out: Any) -> int:
        if not self.enumerable:
            out[0] = ffi.NULL
            return E_NOTIMPL
        listed = list(self.sessions)

        def get_count(_this: Any, count: Any) -> int:
            count[0] = len(listed)
            return S_OK

        def get_session(_this: Any, index: int, control: Any) -> int:
            if not 0 <= index < len(listed):
                return E_FAIL
            listed[index].control.refs += 1
            control[0] = listed[index].control.pointer
            return S_OK

        enumerator = FakeCom(
            "IAudioSessionEnumerator", {"GetCount": get_count, "GetSession": get_session}
        )
        self.enumerators.append(enumerator)
        out[0] = enumerator.pointer
        return S_OK

    def leaks(self) -> list[str]:
        """Every object not back at one reference, and every string not freed."""
        objects = [self.com, *self.enumerators]
        for session in self.sessions:
            objects += [session.control, session.simple_volume]
        found = [
            f"{o.name}: {o.refs} references"
            for o in objects
            if o.refs != (0 if o in self.enumerators else 1)
        ]
        if self.strings.live:
            found.append(f"{len(self.strings.live)} strings never freed")
        return found
