"""Choosing the native backend for this platform, lazily.

Nothing here touches the sound system at import time: :func:`get_backend` creates the
backend object on first call, and the backend connects on its own first use.
"""

from __future__ import annotations

import sys
import threading

from ..errors import BackendUnavailableError
from .base import Backend

_backend: Backend | None = None
_lock = threading.Lock()


def get_backend() -> Backend:
    """The process-wide backend for this platform (created on first call)."""
    global _backend
    with _lock:
        if _backend is None:
            _backend = _create_backend()
        return _backend


def set_backend(backend: Backend | None) -> Backend | None:
    """Replace the process-wide backend (``None`` to choose again); returns the old one.

    For a program that must talk to a specific server (``PulseAudioBackend(server=...)``).
    """
    global _backend
    with _lock:
        old, _backend = _backend, backend
        return old


def _create_backend() -> Backend:
    if sys.platform.startswith("linux") or sys.platform.startswith("freebsd"):
        from .pulseaudio import PulseAudioBackend

        return PulseAudioBackend()
    if sys.platform == "win32":
        from .wasapi import WasapiBackend

        return WasapiBackend()
    if sys.platform == "darwin":
        from .coreaudio import CoreAudioBackend

        return CoreAudioBackend()
    raise BackendUnavailableError(
        f"scgui.audio has no backend for {sys.platform!r}: it plays and records through "
        "PulseAudio or PipeWire on Linux, WASAPI on Windows and Core Audio on macOS."
    )


def reset_backend() -> None:
    """Disconnect and forget the process-wide backend; the next call connects afresh.

    For a program that changed ``PULSE_SERVER`` (for example after starting a private
    server) and wants the library to follow.
    """
    old = set_backend(None)
    close = getattr(old, "close", None)
    if close is not None:
        close()
