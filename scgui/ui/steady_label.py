"""A label for a text that changes several times a second: a clock, a counter, a load figure.

A plain ``QLabel`` asks its layout to lay out again whenever its text changes, and the layout
then repaints the panel around it (every button, box and label of the record and play panels,
several times a second while recording). A label of fixed size does not ask: its new text
repaints the label alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QLabel, QWidget

__all__ = ["SteadyLabel"]


class SteadyLabel(QLabel):
    """A one-line label sized for the widest of ``room_for`` and of every text it has shown.

    Its size changes only when a text needs more room than any before (or the font
    changes), so a ticking text does not lay out its panel again. Give ``room_for`` the
    widest texts expected (``"00:00:00.0"`` for a clock), so the first ticks fit too.
    """

    def __init__(
        self, text: str = "", parent: QWidget | None = None, *, room_for: Sequence[str] = ()
    ) -> None:
        super().__init__(text, parent)
        self._room_for = tuple(room_for)
        self._widest = 0  # the widest text shown so far, in pixels of the current font
        self._fit()

    def setText(self, text: str) -> None:
        if text == self.text():
            return
        super().setText(text)
        if self.fontMetrics().horizontalAdvance(text) > self._widest:
            self._fit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._widest = 0  # measured again in the new font
            self._fit()

    def _fit(self) -> None:
        """Fix the size: room for the widest text, as tall as the label wants to be."""
        self.ensurePolished()  # a style sheet's font applies from here on
        metrics = self.fontMetrics()
        texts = (*self._room_for, self.text())
        self._widest = max(self._widest, *(metrics.horizontalAdvance(t) for t in texts))
        # The margins, indent, frame and height Qt asks for around a text: its hint is at
        # least the minimum size, so the fixed size is let go of first, and an empty label
        # is less tall than one with text, so one of the texts to come is measured instead.
        self.setMinimumSize(0, 0)
        shown = self.text()
        sample = shown or max(texts, key=metrics.horizontalAdvance)
        if sample != shown:
            super().setText(sample)
        hint = super().sizeHint()
        if sample != shown:
            super().setText(shown)
        extra = max(0, hint.width() - metrics.horizontalAdvance(sample))
        self.setFixedSize(self._widest + extra, hint.height())
