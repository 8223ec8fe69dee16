"""A pyqtgraph curve whose data always lies in a fixed rectangle.

Live plots (waveform rows, the spectrum) know where their data can be: giving pyqtgraph that
rectangle as the bounds spares it a scan of the data and a pixel-size query on every paint.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRectF


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
