"""Spectrogram: one channel's spectrum over the last seconds, as a scrolling picture.

Time runs left to right (now at the right edge), frequency bottom to top on the same log
axis as the spectrum (20 Hz to Nyquist), level as colour from -120 dBFS (dark) to 0 dBFS
(bright), with a colour bar that says so. Each spectrum pushed in becomes one column,
reduced to log-spaced bands (:func:`~scgui.measure.spectrum.log_bins`, which keeps a tone's
level however many bins a band holds). The time axis is in seconds: the columns' spacing is
measured from when they arrive, so it stays right whatever the FFT size or frame rate.
"""

from __future__ import annotations

import math
from collections import deque
from time import monotonic

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QVBoxLayout, QWidget

from scgui.measure.spectrum import log_bins

from .frequency_axis import MIN_FREQ_HZ, frequency_ticks
from .plot_items import axis_font, fix_plot
from .waveforms import AXIS_COLOR, PLOT_BACKGROUND

ROWS = 240
"""Log-spaced frequency bands (about 24 per octave at 48 kHz)."""
COLUMNS = 240
"""Spectra kept: about 15 s at the app's 64 ms spectrum interval."""
FLOOR_DB = -120.0
COLOR_MAP = "inferno"
DEFAULT_HOP_S = 0.064


class SpectrogramView(QWidget):
    """Draws what :meth:`push` is given; computes nothing itself."""

    def __init__(self, parent: QWidget | None = None, *, samplerate: int = 48000) -> None:
        super().__init__(parent)
        self._samplerate = int(samplerate)
        self._image = np.full((COLUMNS, ROWS), FLOOR_DB, dtype=np.float32)
        self._next = 0  # the column the next spectrum goes to
        self._count = 0
        self._arrivals: deque[float] = deque(maxlen=32)
        self._plot_widget = pg.PlotWidget(background=PLOT_BACKGROUND)
        self._plot = self._plot_widget.getPlotItem()
        self._item = pg.ImageItem(axisOrder="col-major")
        self._item.setColorMap(pg.colormap.get(COLOR_MAP))
        self._item.setLevels((FLOOR_DB, 0.0))
        self._plot.addItem(self._item)
        self._bar = pg.ColorBarItem(
            values=(FLOOR_DB, 0.0),
            colorMap=pg.colormap.get(COLOR_MAP),
            interactive=False,
            width=12,
            label="dBFS",
        )
        self._bar.setImageItem(self._item, insert_in=self._plot)
        self._setup_axes()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._plot_widget)
        self.setAccessibleName("Spectrogram")
        self.setAccessibleDescription(
            "The chosen channel's spectrum over time: time left to right, frequency upward "
            "on a logarithmic axis, level as colour."
        )
        self.set_samplerate(self._samplerate)

    # ---------------------------------------------------------------- public API

    def set_samplerate(self, rate: int) -> None:
        """Lay the frequency axis out from 20 Hz to ``rate / 2`` and start empty."""
        major, minor = frequency_ticks(rate / 2.0)
        self._samplerate = int(rate)
        self._plot.getAxis("left").setTicks([major, minor])
        self.clear()

    def set_level_label(self, label: str) -> None:
        """What the colours are: "dBFS", or "dBFS(A)" with A weighting."""
        self._bar.setLabel("left", label)

    def push(self, freqs: np.ndarray, db: np.ndarray) -> None:
        """Add one spectrum (``freqs`` in Hz, ``db`` in dBFS) as the newest column."""
        now = monotonic()
        self._arrivals.append(now)
        nyquist = self._samplerate / 2.0
        freqs = np.asarray(freqs, dtype=np.float64)
        levels = np.nan_to_num(np.asarray(db, dtype=np.float64), nan=FLOOR_DB, neginf=FLOOR_DB)
        keep = freqs > 0
        if np.count_nonzero(keep) < 2:
            return
        _centres, bands = log_bins(freqs[keep], levels[keep], ROWS, MIN_FREQ_HZ, nyquist)
        self._image[self._next] = np.clip(bands, FLOOR_DB, 0.0)
        self._next = (self._next + 1) % COLUMNS
        self._count = min(COLUMNS, self._count + 1)
        if self.isVisible():
            self._redraw()

    def clear(self) -> None:
        self._image.fill(FLOOR_DB)
        self._next = self._count = 0
        self._arrivals.clear()
        self._redraw()

    @property
    def columns_filled(self) -> int:
        """How many columns hold a spectrum (up to :data:`COLUMNS`)."""
        return self._count

    def newest_column(self) -> np.ndarray:
        """The newest column's band levels, lowest band first (a copy)."""
        return self._image[(self._next - 1) % COLUMNS].copy()

    def hop_seconds(self) -> float:
        """The measured time between two columns (the median of the recent ones)."""
        if len(self._arrivals) < 3:
            return DEFAULT_HOP_S
        gaps = np.diff(np.asarray(self._arrivals))
        return float(np.median(gaps)) or DEFAULT_HOP_S

    def time_span(self) -> float:
        """Seconds from the left edge to now."""
        return COLUMNS * self.hop_seconds()

    # ---------------------------------------------------------------- internals

    def _redraw(self) -> None:
        ordered = np.roll(self._image, -self._next, axis=0)  # oldest column first
        self._item.setImage(ordered, autoLevels=False, levels=(FLOOR_DB, 0.0))
        low, high = math.log10(MIN_FREQ_HZ), math.log10(self._samplerate / 2.0)
        span = self.time_span()
        self._item.setRect(QRectF(-span, low, span, high - low))
        self._plot.setXRange(-span, 0.0, padding=0.0)
        self._plot.setYRange(low, high, padding=0.0)

    def _setup_axes(self) -> None:
        plot = self._plot
        fix_plot(plot)
        font = axis_font(self)
        plot.getAxis("left").setWidth(QFontMetrics(font).horizontalAdvance("20k") + 14)
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            axis.setPen(pg.mkPen(AXIS_COLOR, width=1))
            axis.setTextPen(pg.mkPen(AXIS_COLOR))
            axis.setStyle(tickFont=font, tickLength=-4)
            axis.enableAutoSIPrefix(False)
        plot.setLabel("left", "frequency", units="Hz", color=AXIS_COLOR)
        plot.setLabel("bottom", "time before now", units="s", color=AXIS_COLOR)
        for name in ("left", "bottom"):
            plot.getAxis(name).label.setFont(font)
