"""COM glue for the WASAPI backend: the FFI, libraries, GUIDs, HRESULT checks, apartments.

Nothing is loaded at import: :func:`ole32` and :func:`kernel32` open the DLLs on first use,
so importing this on Linux (the layout tests do) costs nothing. COM is initialised per
thread with :func:`ensure_com` (multithreaded apartment); a thread that Qt or another library
already put in a single-threaded apartment keeps it (``RPC_E_CHANGED_MODE`` is not an error:
the MMDevice and audio client objects are free-threaded).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from typing import Any

from ..errors import BackendError, BackendUnavailableError
from . import _wasapi_cdef as decl
from ._ffi_modules import load_ffi

try:
    from . import _wasapi_ffi as _generated
except ImportError:  # a source tree that never ran scripts/generate_ffi.py
    _generated = None

ffi = load_ffi(decl.FFI_SPEC, _generated)

S_OK, S_FALSE = 0, 1
RPC_E_CHANGED_MODE = 0x80010106

_libs: dict[str, Any] = {}
_libs_lock = threading.Lock()
_apartments = threading.local()
_log = logging.getLogger(__name__)


def _library(name: str) -> Any:
    with _libs_lock:
        lib = _libs.get(name)
        if lib is None:
            try:
                lib = ffi.dlopen(name)
            except OSError as exc:
                raise BackendUnavailableError(
                    f"WASAPI needs Windows' {name}.dll, which could not be loaded ({exc})."
                ) from None
            _libs[name] = lib
        return lib


def ole32() -> Any:
    return _library("ole32")


def kernel32() -> Any:
    return _library("kernel32")


#: How old (s) a WASAPI time stamp may be and still be believed. A position is stamped when it
#: is read and a captured packet when its first frame came in, so a real stamp is at most a
#: buffer old; Wine's WASAPI has been seen to stamp a position with a negative counter (which
#: a UINT64 shows as nearly 2**64), and such a time would put the stream hours away.
STAMP_AGE_BELIEVED = (-0.05, 5.0)


def stamp_age(hundred_ns: int, counter_now: float) -> float | None:
    """How long before ``counter_now`` (the performance counter, in s) a WASAPI time stamp
    (the counter in 100 ns units, as the UINT64 the API hands back) was taken; None when
    there is no stamp (0) or it cannot be believed (see :data:`STAMP_AGE_BELIEVED`)."""
    if hundred_ns == 0:
        return None
    if hundred_ns >= 1 << 63:  # a negative counter, read as unsigned
        hundred_ns -= 1 << 64
    age = counter_now - hundred_ns / 1e7
    youngest, oldest = STAMP_AGE_BELIEVED
    return age if youngest <= age <= oldest else None


def qpc_to_perf_counter(hundred_ns: int) -> float:
    """A WASAPI time stamp as :func:`time.perf_counter`; now when there is none or it is
    not believable (a stream's position then carries the time it was read).

    The two clocks tick together; their offset is read here, at a call's cost (about 1 us).
    """
    k32 = kernel32()
    count = ffi.new("int64_t *")
    frequency = ffi.new("int64_t *")
    k32.QueryPerformanceFrequency(frequency)
    k32.QueryPerformanceCounter(count)
    now = time.perf_counter()
    age = stamp_age(hundred_ns, int(count[0]) / int(frequency[0]))
    if age is None:
        if hundred_ns:
            _log.debug("WASAPI time stamp %d not believed; taking the time of reading", hundred_ns)
        return now
    return now - age


def unsigned(hresult: int) -> int:
    """An HRESULT as the unsigned 32-bit number the documentation prints."""
    return hresult & 0xFFFFFFFF


def hresult_name(hresult: int) -> str:
    code = unsigned(hresult)
    name = decl.HRESULT_NAMES.get(code)
    return f"{name} (0x{code:08X})" if name else f"HRESULT 0x{code:08X}"


def failed(hresult: int) -> bool:
    return hresult < 0


def check(hresult: int, what: str, advice: str = "") -> int:
    """Raise :class:`BackendError` naming the HRESULT if ``hresult`` is a failure."""
    if hresult >= 0:
        return hresult
    tail = f" {advice}" if advice else ""
    raise BackendError(f"{what} failed: {hresult_name(hresult)}.{tail}", code=unsigned(hresult))


def ensure_com() -> None:
    """Initialise COM on the calling thread once (multithreaded unless already chosen)."""
    if getattr(_apartments, "ready", False):
        return
    hr = ole32().CoInitializeEx(ffi.NULL, decl.COINIT_MULTITHREADED)
    if hr < 0 and unsigned(hr) != RPC_E_CHANGED_MODE:
        check(hr, "CoInitializeEx")
    # S_OK / S_FALSE: ours to keep for the thread's life; RPC_E_CHANGED_MODE: someone else's.
    _apartments.ready = True


def guid(text: str) -> Any:
    """A ``GUID *`` from its registry spelling (with or without braces)."""
    value = uuid.UUID(text.strip("{}"))
    out = ffi.new("GUID *")
    out.Data1, out.Data2, out.Data3 = value.fields[0], value.fields[1], value.fields[2]
    tail = value.bytes[8:]
    for index in range(8):
        out.Data4[index] = tail[index]
    return out


def guid_text(value: Any) -> str:
    """The registry spelling of a ``GUID`` (for messages and tests)."""
    tail = bytes(value.Data4)
    return str(
        uuid.UUID(
            fields=(
                value.Data1,
                value.Data2,
                value.Data3,
                tail[0],
                tail[1],
                int.from_bytes(tail[2:], "big"),
            )
        )
    ).upper()


def property_key(fmtid: str, pid: int) -> Any:
    key = ffi.new("PROPERTYKEY *")
    key.fmtid = guid(fmtid)[0]
    key.pid = pid
    return key


def release(obj: Any) -> None:
    """Release a COM pointer (NULL is ignored)."""
    if obj is not None and obj != ffi.NULL:
        obj.lpVtbl.Release(obj)


def wide_string(pointer: Any) -> str:
    return "" if pointer == ffi.NULL else ffi.string(pointer)


def task_free(pointer: Any) -> None:
    if pointer != ffi.NULL:
        ole32().CoTaskMemFree(pointer)


def running_under_wine() -> bool:
    """Whether Windows is Wine (which lacks loopback capture, exclusive mode, notifications)."""
    version = wine_version()
    if version:
        _log.info("running under Wine %s", version)
    return bool(version)


def wine_version() -> str:
    """Wine's version (``"8.0"``), or ``""`` on Windows itself."""
    try:
        version = _library("ntdll").wine_get_version  # exported by Wine's ntdll only
    except (AttributeError, BackendUnavailableError):
        return ""
    return str(ffi.string(version()).decode(errors="replace"))
