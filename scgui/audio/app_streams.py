"""Other programs' streams: who is playing to or recording from which device.

Beyond the ``soundcard`` API. A measurement wants to know that nothing else plays into the
output it tests or records from the input it listens to; a device manager lists them, as
pavucontrol does. Where the backend cannot list them (:attr:`Capabilities.app_streams` is
False) the list is empty.
"""

from __future__ import annotations

import os

from .backends import get_backend
from .backends.base import AppStream

__all__ = ["AppStream", "list_streams"]


def list_streams(device_id: str | None = None, *, include_own: bool = False) -> list[AppStream]:
    """The streams open on the sound server (on ``device_id`` only, when given).

    This process's own streams are left out unless ``include_own``.
    """
    streams = get_backend().list_streams()
    own = os.getpid()
    return [
        s
        for s in streams
        if (device_id is None or s.device_id == device_id) and (include_own or s.process_id != own)
    ]
