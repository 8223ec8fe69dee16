"""Diagnostics for bug reports: tracebacks kept on the way to the window, a rotating log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from scgui.engine.problems import Problem
from scgui.ui import logfile
from scgui.ui.problem_box import show_problem


def _raise_deep() -> None:
    def inner() -> None:
        raise OSError("the disk is full")

    inner()


def test_a_problem_keeps_the_traceback_as_text() -> None:
    try:
        _raise_deep()
    except OSError as exc:
        problem = Problem.of("Recording stopped: the disk is full.", exc)
    assert str(problem) == "Recording stopped: the disk is full."
    assert "Traceback (most recent call last)" in problem.details
    assert "in inner" in problem.details and "OSError: the disk is full" in problem.details
    assert Problem.of("plain refusal").details == ""


def test_the_message_box_has_a_details_button_with_the_traceback(qtbot) -> None:
    try:
        _raise_deep()
    except OSError as exc:
        problem = Problem.of("Recording stopped.", exc)
    seen: dict[str, str] = {}

    def look_and_close() -> None:
        box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox))
        seen["text"] = box.text()
        seen["details"] = box.detailedText()
        box.accept()

    QTimer.singleShot(200, look_and_close)
    show_problem(None, problem)
    assert seen["text"] == "Recording stopped."
    assert "OSError: the disk is full" in seen["details"]


def test_the_log_file_rotates_in_the_state_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qapp
) -> None:
    monkeypatch.setattr(logfile, "log_folder", lambda: tmp_path / "state")
    monkeypatch.setattr(logfile, "MAX_BYTES", 2000)
    logfile.stop_log_file()
    try:
        path = logfile.start_log_file()
        assert path == tmp_path / "state" / logfile.LOG_NAME
        assert logfile.start_log_file() == path  # once
        log = logging.getLogger("scgui.test")
        try:
            _raise_deep()
        except OSError:
            log.exception("writing the take failed")
        for number in range(100):
            log.warning("line %d of a long session", number)
        logging.getLogger().handlers[-1].flush()
        text = "".join(p.read_text() for p in sorted((tmp_path / "state").iterdir()))
        assert "writing the take failed" in text or (tmp_path / "state" / "scgui.log.3").exists()
        assert "line 99 of a long session" in path.read_text()
        assert (tmp_path / "state" / "scgui.log.1").exists()  # rotated
        assert not (tmp_path / "state" / "scgui.log.4").exists()  # three kept
    finally:
        logfile.stop_log_file()


def test_an_unwritable_state_folder_does_not_stop_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, qapp
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(logfile, "log_folder", lambda: blocker / "state")
    logfile.stop_log_file()
    assert logfile.start_log_file() is None
    assert "no log file in" in capsys.readouterr().err
