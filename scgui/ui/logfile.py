"""The app's log file: Python logging into the platform's state folder, rotated.

A bug report can then carry what happened before the failure (the window's messages, the
worker's warnings with their tracebacks, the library's debug lines when asked for), not
only the last sentence on screen. Help > About names the file.
"""

from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QStandardPaths

LOG_NAME = "scgui.log"
#: Each file up to 1 MB, the three before it kept (scgui.log.1 ... .3).
MAX_BYTES = 1_000_000
BACKUPS = 3
_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"

_log = logging.getLogger(__name__)
_handler: RotatingFileHandler | None = None


def log_folder() -> Path:
    """The platform's state folder for scgui (``~/.local/state/scgui/...`` on Linux,
    ``%LOCALAPPDATA%`` on Windows, ``~/Library/...`` on macOS)."""
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.StateLocation))


def log_path() -> Path | None:
    """The file being written, or None before :func:`start_log_file` (or if it failed)."""
    return Path(_handler.baseFilename) if _handler is not None else None


def start_log_file(level: int = logging.INFO) -> Path | None:
    """Send the log to the rotating file (once); uncaught exceptions go there too.

    A folder that cannot be written is no reason not to start: it is said on stderr and
    the app runs without a log file.
    """
    global _handler
    if _handler is not None:
        return log_path()
    folder = log_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(
            folder / LOG_NAME, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    except OSError as exc:
        print(f"scgui: no log file in {folder}: {exc}", file=sys.stderr)
        return None
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.setLevel(level)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    _handler = handler
    previous = sys.excepthook

    def log_uncaught(
        kind: type[BaseException], value: BaseException, trace: TracebackType | None
    ) -> None:
        _log.critical("uncaught exception", exc_info=(kind, value, trace))
        previous(kind, value, trace)

    sys.excepthook = log_uncaught
    _log.info("scgui started; log file %s", handler.baseFilename)
    return log_path()


def stop_log_file() -> None:
    """Detach and close the file (tests; the app leaves it open until it exits)."""
    global _handler
    if _handler is not None:
        logging.getLogger().removeHandler(_handler)
        _handler.close()
        _handler = None
