"""Help: the short manual (resources/manual.html) and the keyboard shortcuts, from the menu.

The shortcut table is made from the window's own actions, so it cannot drift from what the
keys do.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

from .app import resource_path


def shortcut_rows(actions: Iterable[QAction]) -> list[tuple[str, str]]:
    """(keys as this platform writes them, what they do) for every action with a shortcut."""
    rows = []
    for action in actions:
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if keys:
            rows.append((keys, action.text().replace("&", "").rstrip("…")))
    return rows


def shortcuts_html(actions: Iterable[QAction]) -> str:
    body = "".join(
        f"<tr><td><b>{html.escape(keys)}</b></td><td>{html.escape(what)}</td></tr>"
        for keys, what in shortcut_rows(actions)
    )
    return f'<h3 id="shortcuts">Keyboard shortcuts</h3><table cellpadding="4">{body}</table>'


class HelpDialog(QDialog):
    """The manual with the shortcuts at its end; non-modal, so it can stay open."""

    def __init__(self, actions: Iterable[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("scgui manual")
        self.setModal(False)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(False)
        self.browser.setAccessibleName("Manual")
        manual = resource_path("manual.html")
        text = manual.read_text(encoding="utf-8") if manual.exists() else "<p>(no manual)</p>"
        self.browser.setHtml(text + shortcuts_html(actions))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addWidget(buttons)
        self.resize(720, 640)

    def show_shortcuts(self) -> None:
        self.browser.scrollToAnchor("shortcuts")
