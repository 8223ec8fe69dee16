"""One path's frequency response and impulse response, from the routing check's sweep.

Only draws: :class:`scgui.measure.response.PathResponse` holds the figures. The magnitude
is shown on a log frequency axis with at least ±0.5 dB of range (a flat wire reads as a
flat line, not as magnified rounding); the impulse response against ms from its peak.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from scgui.measure.response import PathResponse

from .waveforms import PLOT_BACKGROUND

_MAGNITUDE_PEN = pg.mkPen("#225ea8", width=2)
_IMPULSE_PEN = pg.mkPen("#c62828", width=1.5)


class PathResponseView(QWidget):
    """Magnitude, impulse response and the THD line of one path (or a hint when none)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Select an output to see its path's frequency response.")
        self.title.setWordWrap(True)
        self.magnitude = pg.PlotWidget(background=PLOT_BACKGROUND)
        self.magnitude.setLogMode(x=True, y=False)
        self.magnitude.setLabel("bottom", "Hz")
        self.magnitude.setLabel("left", "dB")
        self.magnitude.showGrid(x=True, y=True, alpha=0.3)
        self.magnitude.setMouseEnabled(x=False, y=False)
        self.magnitude.setAccessibleName("Frequency response of the selected path")
        self.impulse = pg.PlotWidget(background=PLOT_BACKGROUND)
        self.impulse.setLabel("bottom", "ms from the peak")
        self.impulse.showGrid(x=True, y=True, alpha=0.3)
        self.impulse.setMouseEnabled(x=False, y=False)
        self.impulse.setAccessibleName("Impulse response of the selected path")
        for plot in (self.magnitude, self.impulse):
            for side in ("left", "bottom"):
                # The labels carry the units: no "(x0.001)" scaling on a flat path's axis.
                plot.getAxis(side).enableAutoSIPrefix(False)
        self._magnitude_curve = self.magnitude.plot([], [], pen=_MAGNITUDE_PEN)
        self._impulse_curve = self.impulse.plot([], [], pen=_IMPULSE_PEN)
        plots = QHBoxLayout()
        plots.addWidget(self.magnitude, 3)
        plots.addWidget(self.impulse, 2)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.title)
        column.addLayout(plots, 1)
        self.response: PathResponse | None = None

    def show_response(self, response: PathResponse | None, name: str = "") -> None:
        """Draw ``response``; None clears the plots and says why."""
        self.response = response
        if response is None:
            self._magnitude_curve.setData([], [])
            self._impulse_curve.setData([], [])
            self.title.setText(
                f"{name}: no frequency response (the path was not found, or the check ran "
                "one output at a time)."
                if name
                else "Select an output to see its path's frequency response."
            )
            return
        values = list(response.magnitude_db)
        self._magnitude_curve.setData(list(response.freqs_hz), values)
        if values:
            middle = 0.5 * (max(values) + min(values))
            half = max(0.5, 0.6 * (max(values) - min(values)))
            self.magnitude.setYRange(middle - half, middle + half, padding=0)
        step = 1000.0 / response.samplerate
        times = [response.impulse_start_ms + i * step for i in range(len(response.impulse))]
        self._impulse_curve.setData(times, list(response.impulse))
        thd = ", ".join(
            ("≤ " if v <= -119.9 else "") + f"{v:.1f} dB at {f:g} Hz"
            for f, v in response.thd_db.items()
        )
        low, high = response.band_hz
        self.title.setText(
            f"<b>{name or f'Output {response.output}'} → input {response.input}</b>: flat to "
            f"{response.flatness_db:.2f} dB over {low:.0f} Hz – {high / 1000:.1f} kHz; "
            f"THD {thd or '–'}"
        )
