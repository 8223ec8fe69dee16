"""The message box for a failure: the sentence, and a Details button with the traceback."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from scgui.engine.problems import Problem


def show_problem(parent: QWidget | None, problem: Problem) -> None:
    """Show ``problem`` and wait until it is dismissed.

    With details (the traceback of what went wrong), "Show Details…" reveals them, ready to
    be copied into a bug report; the log file has them as well.
    """
    box = QMessageBox(QMessageBox.Icon.Warning, "scgui", problem.message, parent=parent)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    if problem.details:
        box.setDetailedText(problem.details)
    box.exec()
