"""Pieces the live plots share: a curve whose data always lies in a fixed rectangle, and
the set-up of a plot that shows a fixed range with small, readable axes.

Live plots (waveform rows, the spectrum) know where their data can be: giving pyqtgraph that
rectangle as the bounds spares it a scan of the data and a pixel-size query on every paint.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QWidget


def fix_plot(plot: pg.PlotItem) -> None:
    """A plot that shows what the program sets: no mouse zoom, menu, buttons or autorange."""
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.disableAutoRange()


def axis_font(widget: QWidget) -> QFont:
    """The widget's font at 85 % (7 pt at least): tick labels that leave room for data."""
    font = QFont(widget.font())
    if font.pointSizeF() > 0:
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
    return font


class FixedBoundsCurve(pg.PlotCurveItem):
    """A ``PlotCurveItem`` whose bounds are set by its owner, never computed from data."""

    def __init__(self, bounds: QRectF | None = None, **options: object) -> None:
        super().__init__(antialias=False, skipFiniteCheck=True, **options)
        self._bounds = QRectF(bounds) if bounds is not None else QRectF()

    def set_bounds(self, bounds: QRectF) -> None:
        self.prepareGeometryChange()
        self._bounds = QRectF(bounds)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def dataBounds(
        self, ax: int, frac: float = 1.0, orthoRange: object = None
    ) -> tuple[float, float]:
        if ax == 0:
            return self._bounds.left(), self._bounds.right()
        return self._bounds.top(), self._bounds.bottom()
