"""The exceptions of :mod:`scgui.audio`.

Every error the library raises derives from :class:`AudioError`, so a caller can catch one
class. The subclasses also derive from the built-in exception a Python programmer would
expect (``ValueError`` for a bad argument, ``LookupError`` for a missing device), which keeps
code written for the ``soundcard`` package working. Messages say what went wrong *and* what to
do about it; no raw CFFI or C error text reaches a caller on its own.
"""

from __future__ import annotations


class AudioError(Exception):
    """Root of every error raised by :mod:`scgui.audio`."""


class BackendUnavailableError(AudioError, RuntimeError):
    """The native sound system cannot be used at all (library missing, unsupported OS)."""


class ServerUnavailableError(AudioError, RuntimeError):
    """The sound server could not be reached, or the connection to it was lost."""


class DeviceNotFoundError(AudioError, IndexError):
    """No device matches the query (``IndexError`` for compatibility with ``soundcard``)."""


class InvalidConfigError(AudioError, ValueError, RuntimeError):
    """A sample rate, channel map, block size or similar argument is not usable."""


class InvalidDataError(AudioError, TypeError, ValueError):
    """Audio data has a shape or type that cannot be turned into ``frames x channels``.

    It is both a ``TypeError`` and a ``ValueError`` so that either ``except`` clause, as
    written for other audio libraries, catches it.
    """


class StreamError(AudioError, RuntimeError):
    """A stream failed while open: the device vanished, or the server ended it."""


class PermissionDeniedError(AudioError, PermissionError):
    """The system denies this program a device (macOS's microphone permission): recording
    would give only silence, so the stream is refused with where to allow it."""


class BackendError(AudioError, RuntimeError):
    """A native call failed; ``code`` is the backend's own error number, if any."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code
