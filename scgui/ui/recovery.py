"""Offering, at start, to finish the takes an interrupted session left behind.

A FLAC or Ogg take is recorded to a working file and made at stop (:mod:`scgui.engine.takefile`);
if the app was killed, the working file stays. The window remembers which takes are in
progress (:class:`TakeJournal`), so at the next start it can name them, wherever they were
recorded, and offer to make the files the user chose, as ``scgui recover`` does. Conversion
runs on a thread: a long take takes a while, and the window must stay responsive.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from scgui.engine.takefile import (
    Recovered,
    TakeFileError,
    pending_takes,
    recover,
    target_of,
    working_path,
)

#: A working file written to this recently may belong to a take still running elsewhere.
BUSY_SECONDS = 3.0
_KEY = "takesInProgress"
_log = logging.getLogger(__name__)


class TakeJournal:
    """The takes this app has started and not yet finished, kept in the settings."""

    def __init__(self, settings: QSettings) -> None:
        self._settings = settings

    def paths(self) -> list[Path]:
        value = self._settings.value(_KEY) or []
        if isinstance(value, str):  # QSettings returns a one-item list as a string
            value = [value]
        return [Path(str(item)) for item in value]

    def add(self, path: Path) -> None:
        self._store([*(p for p in self.paths() if p != path), path])

    def remove(self, path: Path) -> None:
        self._store([p for p in self.paths() if p != path])

    def _store(self, paths: list[Path]) -> None:
        self._settings.setValue(_KEY, [str(p) for p in paths])
        self._settings.sync()  # a kill right after must still find it


def interrupted_takes(journal: TakeJournal, folder: Path | None) -> list[Path]:
    """Working files of interrupted takes: those the journal names and any in ``folder``."""
    found: list[Path] = []
    for target in journal.paths():
        working = working_path(target)
        if working.exists():
            found.append(working)
        else:
            journal.remove(target)  # finished, recovered or moved: nothing left to offer
    if folder is not None:
        found.extend(p for p in pending_takes(folder) if p not in found)
    now = time.time()
    return [p for p in found if now - _mtime(p) > BUSY_SECONDS]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def ask_to_recover(parent: QWidget, takes: list[Path]) -> bool:
    """Name the interrupted takes and ask whether to make their files now."""
    names = "".join(f"<li>{target_of(p)}</li>" for p in takes)
    box = QMessageBox(parent)
    box.setObjectName("recoveryOffer")
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Recover recordings")
    box.setText(
        f"<b>{len(takes)} recording{'s' if len(takes) > 1 else ''} did not finish</b> "
        "(scgui was closed or the computer stopped while recording)."
    )
    box.setInformativeText(
        f"<ul>{names}</ul>Everything up to the last second before the interruption is "
        "kept. Recover makes these files now; Later keeps what was recorded and asks again "
        "at the next start (or run <tt>scgui recover FILE</tt>)."
    )
    recover_button = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(recover_button)
    box.exec()
    return box.clickedButton() is recover_button


class RecoveryJob(QObject):
    """Recovers takes on a thread; :attr:`finished` carries what was made and what failed."""

    finished = Signal(list, list)  # list[Recovered], list[str] (one message per failure)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, takes: list[Path]) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(list(takes),), name="scgui-recovery", daemon=True
        )
        self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, takes: list[Path]) -> None:
        made: list[Recovered] = []
        failures: list[str] = []
        for working in takes:
            try:
                result = recover(working)
            except (TakeFileError, OSError) as exc:
                _log.warning("recovering %s failed: %s", working, exc)
                failures.append(str(exc))
                continue
            made.append(result)
        # RuntimeError: the window was closed meanwhile; the files are made anyway.
        with contextlib.suppress(RuntimeError):
            self.finished.emit(made, failures)
