"""Native glue for the CoreAudio backend: the FFI, the frameworks, statuses, properties, CF.

Nothing is loaded at import: :func:`libraries` opens the frameworks on first use, so the
Linux tests import this freely. They also replace the frameworks (:func:`set_libraries`)
with a harness that answers property calls the way the HAL does, which is how the property
decoding below is tested where no Mac is.

Every Core Audio property is read through :func:`get_data` (size first, then the data), and
every OSStatus is checked by :func:`check`, which names the code (``'!dev'``) and says what
to do. CoreFoundation objects returned by a property (``CFStringRef``) are released here.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import BackendError, BackendUnavailableError
from . import _coreaudio_cdef as decl
from ._coreaudio_format import DEVICE_GONE, status_name
from ._ffi_modules import load_ffi

try:
    from . import _coreaudio_ffi as _generated
except ImportError:  # a source tree that never ran scripts/generate_ffi.py
    _generated = None

ffi = load_ffi(decl.FFI_SPEC, _generated)
_log = logging.getLogger(__name__)


@dataclass
class Libraries:
    """The opened frameworks (each a cffi library, or a test harness with the same calls)."""

    coreaudio: Any
    audiotoolbox: Any
    corefoundation: Any
    objc: Any
    system: Any


_libraries: Libraries | None = None
_lock = threading.Lock()


def libraries() -> Libraries:
    """The frameworks, opened on first use; a clear error where there are none."""
    global _libraries
    with _lock:
        if _libraries is None:
            _libraries = Libraries(
                coreaudio=_open(decl.COREAUDIO),
                audiotoolbox=_open(decl.AUDIOTOOLBOX),
                corefoundation=_open(decl.COREFOUNDATION),
                objc=_open(decl.LIBOBJC),
                system=_open(decl.LIBSYSTEM),
            )
        return _libraries


def set_libraries(replacement: Libraries | None) -> Libraries | None:
    """Use ``replacement`` instead of the frameworks (tests); returns what was there."""
    global _libraries
    with _lock:
        old, _libraries = _libraries, replacement
        return old


def _open(path: str) -> Any:
    try:
        return ffi.dlopen(path)
    except OSError as exc:
        raise BackendUnavailableError(
            f"The CoreAudio backend needs macOS's {path.rsplit('/', 1)[-1]} ({exc}): it runs "
            "on macOS only."
        ) from None


# -- statuses ------------------------------------------------------------------------------------


class CoreAudioError(BackendError):
    """A Core Audio call failed; ``code`` is its OSStatus."""

    @property
    def device_gone(self) -> bool:
        """Whether the status says the device (or the unit's device) no longer exists."""
        return self.code in DEVICE_GONE


def check(status: int, what: str, advice: str = "") -> None:
    """Raise :class:`CoreAudioError` naming ``what`` and the status, unless it is 0."""
    if status == 0:
        return
    tail = f" {advice}" if advice else ""
    raise CoreAudioError(f"{what} failed: Core Audio said {status_name(status)}.{tail}", status)


# -- properties ----------------------------------------------------------------------------------


def address(
    selector: int,
    scope: int = decl.kAudioObjectPropertyScopeGlobal,
    element: int = decl.kAudioObjectPropertyElementMain,
) -> Any:
    """An ``AudioObjectPropertyAddress *``."""
    where = ffi.new("AudioObjectPropertyAddress *")
    where.mSelector, where.mScope, where.mElement = selector, scope, element
    return where


def has_property(obj: int, where: Any) -> bool:
    return bool(libraries().coreaudio.AudioObjectHasProperty(obj, where))


def get_data(obj: int, where: Any, what: str) -> tuple[Any, int]:
    """The raw value of a variable-size property: ``(char[] cdata, bytes filled)``.

    The buffer is 8-byte aligned (cffi allocates with malloc), so it can be cast to the
    property's struct (``AudioBufferList``, ``AudioChannelLayout``).
    """
    ca = libraries().coreaudio
    size = ffi.new("UInt32 *")
    check(ca.AudioObjectGetPropertyDataSize(obj, where, 0, ffi.NULL, size), f"Sizing {what}")
    data = ffi.new("char[]", max(int(size[0]), 1))
    check(ca.AudioObjectGetPropertyData(obj, where, 0, ffi.NULL, size, data), f"Reading {what}")
    return data, int(size[0])


def get_value(obj: int, where: Any, ctype: str, what: str) -> Any:
    """A fixed-size property (``"UInt32"``, ``"Float64"``, ``"AudioValueRange"``...)."""
    value = ffi.new(f"{ctype} *")
    size = ffi.new("UInt32 *", ffi.sizeof(ctype))
    check(
        libraries().coreaudio.AudioObjectGetPropertyData(obj, where, 0, ffi.NULL, size, value),
        f"Reading {what}",
    )
    if size[0] != ffi.sizeof(ctype):
        raise CoreAudioError(
            f"Reading {what} gave {size[0]} bytes where {ffi.sizeof(ctype)} were expected.",
            decl.kAudioHardwareBadPropertySizeError,
        )
    return value[0]


def get_array(obj: int, where: Any, ctype: str, what: str) -> list[Any]:
    """A property that is an array of ``ctype`` (device lists, rate ranges)."""
    ca = libraries().coreaudio
    size = ffi.new("UInt32 *")
    check(ca.AudioObjectGetPropertyDataSize(obj, where, 0, ffi.NULL, size), f"Sizing {what}")
    count = int(size[0]) // ffi.sizeof(ctype)
    if count == 0:
        return []
    values = ffi.new(f"{ctype}[]", count)
    size[0] = count * ffi.sizeof(ctype)
    check(ca.AudioObjectGetPropertyData(obj, where, 0, ffi.NULL, size, values), f"Reading {what}")
    return [values[i] for i in range(int(size[0]) // ffi.sizeof(ctype))]


def get_string(obj: int, where: Any, what: str) -> str:
    """A ``CFStringRef`` property as text (the reference is released)."""
    ref = ffi.new("CFStringRef *")
    size = ffi.new("UInt32 *", ffi.sizeof("CFStringRef"))
    check(
        libraries().coreaudio.AudioObjectGetPropertyData(obj, where, 0, ffi.NULL, size, ref),
        f"Reading {what}",
    )
    if ref[0] == ffi.NULL:
        return ""
    try:
        return cf_string_text(ref[0])
    finally:
        libraries().corefoundation.CFRelease(ref[0])


def set_value(obj: int, where: Any, ctype: str, value: Any, what: str, advice: str = "") -> None:
    data = ffi.new(f"{ctype} *", value)
    check(
        libraries().coreaudio.AudioObjectSetPropertyData(
            obj, where, 0, ffi.NULL, ffi.sizeof(ctype), data
        ),
        f"Setting {what}",
        advice,
    )


# -- CoreFoundation -------------------------------------------------------------------------------


def cf_string_text(ref: Any) -> str:
    """The text of a ``CFStringRef`` (UTF-8 through CFStringGetCString)."""
    cf = libraries().corefoundation
    length = cf.CFStringGetLength(ref)
    room = cf.CFStringGetMaximumSizeForEncoding(length, decl.kCFStringEncodingUTF8) + 1
    text = ffi.new("char[]", int(room))
    if not cf.CFStringGetCString(ref, text, room, decl.kCFStringEncodingUTF8):
        return ""
    return str(ffi.string(text).decode("utf-8", "replace"))


def cf_string(text: str) -> Any:
    """A new ``CFStringRef`` (the caller releases it)."""
    cf = libraries().corefoundation
    ref = cf.CFStringCreateWithCString(ffi.NULL, text.encode("utf-8"), decl.kCFStringEncodingUTF8)
    if ref == ffi.NULL:
        raise BackendError(f"CoreFoundation could not make a string of {text!r}.")
    return ref


class CFObjects:
    """Makes CoreFoundation objects from Python values and releases them all at the end.

    ``str`` becomes a CFString, ``int`` a CFNumber (SInt32), a list a CFArray, a mapping
    with string keys a CFDictionary: what an aggregate device's description is made of.
    """

    def __init__(self) -> None:
        self._made: list[Any] = []

    def __enter__(self) -> CFObjects:
        return self

    def __exit__(self, *_exc: object) -> None:
        cf = libraries().corefoundation
        for ref in reversed(self._made):
            cf.CFRelease(ref)
        self._made.clear()

    def make(self, value: object) -> Any:
        cf = libraries().corefoundation
        if isinstance(value, str):
            ref = cf_string(value)
        elif isinstance(value, bool | int):
            number = ffi.new("SInt32 *", int(value))
            ref = cf.CFNumberCreate(ffi.NULL, decl.kCFNumberSInt32Type, number)
        elif isinstance(value, Sequence):
            items = [self.make(v) for v in value]
            values = ffi.new("void *[]", items or 1)
            ref = cf.CFArrayCreate(
                ffi.NULL,
                ffi.cast("const void **", values),
                len(items),
                ffi.addressof(cf, "kCFTypeArrayCallBacks"),
            )
        elif isinstance(value, Mapping):
            keys = [self.make(str(k)) for k in value]
            items = [self.make(v) for v in value.values()]
            key_array = ffi.new("void *[]", keys or 1)
            value_array = ffi.new("void *[]", items or 1)
            ref = cf.CFDictionaryCreate(
                ffi.NULL,
                ffi.cast("const void **", key_array),
                ffi.cast("const void **", value_array),
                len(keys),
                ffi.addressof(cf, "kCFTypeDictionaryKeyCallBacks"),
                ffi.addressof(cf, "kCFTypeDictionaryValueCallBacks"),
            )
        else:
            raise TypeError(f"no CoreFoundation type for {type(value).__name__}")
        if ref == ffi.NULL:
            raise BackendError(f"CoreFoundation could not make an object of {value!r}.")
        self._made.append(ref)
        return ref


# -- the Objective-C runtime --------------------------------------------------------------------


def send(receiver: Any, selector: str, signature: str, *args: Any) -> Any:
    """``[receiver selector...]`` through ``objc_msgSend`` cast to its real C type.

    ``signature`` is the method's C function type with the receiver and selector first, e.g.
    ``"void *(*)(void *, void *, void *)"``; calling ``objc_msgSend`` as variadic would
    pass the arguments wrongly on arm64.
    """
    objc = libraries().objc
    function = ffi.cast(signature, ffi.addressof(objc, "objc_msgSend"))
    return function(receiver, objc.sel_registerName(selector.encode()), *args)


def objc_class(name: str) -> Any:
    """An Objective-C class by name (NULL when its framework is not loaded)."""
    return libraries().objc.objc_getClass(name.encode())


@contextlib.contextmanager
def autorelease_pool() -> Iterator[None]:
    """An Objective-C autorelease pool around the block: objects the runtime autoreleases
    (strings a method returns, for one) go when it ends, on a thread that has no pool."""
    objc = libraries().objc
    pool = objc.objc_autoreleasePoolPush()
    try:
        yield
    finally:
        objc.objc_autoreleasePoolPop(pool)


_frameworks: dict[str, Any] = {}


def load_framework(path: str) -> Any | None:
    """Open a framework whose Objective-C classes are needed (AVFoundation) and keep it open:
    cffi would close it with its handle. None where it does not exist."""
    with _lock:
        if path not in _frameworks:
            try:
                _frameworks[path] = ffi.dlopen(path)
            except OSError:
                _frameworks[path] = None
        return _frameworks[path]
