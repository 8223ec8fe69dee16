"""Spectrum display: one channel's magnitude spectrum on a log frequency axis.

:class:`SpectrumView` only draws: the measurement (``scgui.measure.spectrum``) computes
``(freqs, db)`` and the frame timer pushes it in with :meth:`SpectrumView.show_spectrum`. The
curve follows every frame; the peak readout (frequency and level of the strongest bin) changes
at most about four times a second so it stays readable. Hidden views do no work.

Drawing is kept lean: above a few hundred hertz many FFT bins share one pixel column of the
log axis, so the curve is reduced to each column's lowest and highest bin (what a line
through every bin would cover there) before it is drawn, as one filled polygon and one
outline; the grid and the plot background are one cached item
(:class:`~scgui.ui.waveforms.StaticGridItem`). The readout still uses every bin.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from time import monotonic

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QLineF, QObject, QRectF, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPolygonF
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from scgui.measure.spectrum import AVERAGING_TIMES, FFT_SIZES, SpectrumOptions

from .frequency_axis import MIN_FREQ_HZ, frequency_ticks
from .plot_items import FixedBoundsCurve, axis_font, fix_plot
from .spectrogram_view import SpectrogramView
from .waveforms import (
    AXIS_COLOR,
    PLOT_BACKGROUND,
    VIEW_BACKGROUND,
    StaticGridItem,
    blend_colour,
    channel_color,
)

FLOOR_DB = -120.0
_EDGE = 0.02
READOUT_INTERVAL_S = 0.25
"""Seconds between two refreshes of the peak readout (about 4 Hz)."""


def format_frequency(hz: float) -> str:
    """A frequency as people read it: ``"63.0 Hz"``, ``"440 Hz"``, ``"1.00 kHz"``, ``"12.5 kHz"``.

    Three significant figures at most: the bins of a 4096-point FFT are about 12 Hz apart.
    """
    if hz < 100:
        return f"{hz:.1f} Hz"
    if hz < 1000:
        return f"{hz:.0f} Hz"
    if hz < 10000:
        return f"{hz / 1000:.2f} kHz"
    return f"{hz / 1000:.1f} kHz"


def find_peak(
    freqs: np.ndarray, db: np.ndarray, low: float = 0.0, high: float = math.inf
) -> tuple[float, float] | None:
    """Frequency and level of the strongest bin with ``low < f <= high``, refined between bins.

    A parabola through the strongest bin and its two neighbours (in dB) estimates where the
    true peak lies between bins, so a 1 kHz tone reads ``1.00 kHz`` rather than the nearest
    bin centre (997 or 1008 Hz for a 4096-point FFT at 48 kHz). None when no bin qualifies.
    """
    freqs = np.asarray(freqs, dtype=np.float64).reshape(-1)
    levels = np.asarray(db, dtype=np.float64).reshape(-1)
    count = min(len(freqs), len(levels))
    freqs, levels = freqs[:count], levels[:count]
    mask = (freqs > low) & (freqs <= high) & np.isfinite(levels)
    if not mask.any():
        return None
    candidates = np.flatnonzero(mask)
    k = int(candidates[np.argmax(levels[candidates])])
    freq, level = float(freqs[k]), float(levels[k])
    if 0 < k < count - 1 and np.isfinite(levels[k - 1]) and np.isfinite(levels[k + 1]):
        a, b, c = levels[k - 1], levels[k], levels[k + 1]
        denominator = a - 2.0 * b + c
        if denominator < 0:
            shift = min(0.5, max(-0.5, 0.5 * (a - c) / denominator))
            step = (freqs[k + 1] - freqs[k - 1]) / 2.0
            freq = float(freqs[k] + shift * step)
            level = float(b - 0.25 * (a - c) * shift)
    return freq, level


def column_envelope(
    x: np.ndarray, y: np.ndarray, x0: float, x1: float, columns: int
) -> tuple[np.ndarray, np.ndarray]:
    """Reduce points ``(x, y)`` (``x`` increasing) to what ``columns`` pixel columns across
    ``x0 .. x1`` can show: a column with one point keeps it; a column with several gets two
    points at its first ``x``, their lowest then their highest ``y``."""
    if len(x) == 0 or columns < 1 or not x1 > x0:
        return x, y
    column = np.floor((x - x0) * (columns / (x1 - x0))).astype(np.int64)
    starts = np.flatnonzero(np.diff(column, prepend=column[0] - 1))
    if len(starts) == len(x):
        return x, y
    low, high = np.minimum.reduceat(y, starts), np.maximum.reduceat(y, starts)
    single = np.diff(starts, append=len(x)) == 1
    # Two points per column, then drop the second of the columns with one point.
    xs = np.repeat(x[starts], 2)
    ys = np.column_stack((low, high)).reshape(-1)
    keep = np.ones(len(xs), dtype=bool)
    keep[1::2] = ~single
    return xs[keep], ys[keep]


class _SpectrumCurve(FixedBoundsCurve):
    """The spectrum: a filled polygon down to the floor and its outline, in one item.

    Its bounds are the fixed view rectangle (nothing is computed from the data per frame),
    and painting is two Qt calls (``drawPolygon`` and ``drawPolyline``): none of pyqtgraph's
    chunked fill paths, clip-to-view or bounds scans.
    """

    def __init__(self) -> None:
        super().__init__()
        self._outline: QPolygonF | None = None
        self._fill: QPolygonF | None = None

    def set_spectrum(self, x: np.ndarray, y: np.ndarray) -> None:
        """Show the points ``(x, y)`` (finite, ``y`` at or above the floor)."""
        self.xData, self.yData = x, y
        self._outline = self._fill = None
        self.update()

    def paint(self, painter: QPainter, *_args: object) -> None:
        x, y = self.xData, self.yData
        if x is None or y is None or len(x) < 2:
            return
        outline, fill = self._outline, self._fill
        if outline is None or fill is None:
            outline = pg.functions.arrayToQPolygonF(x, y)
            # The fill's top edge: the highest point at each x (a column's pair of points
            # would make the polygon fold back on itself, which Qt fills far more slowly).
            top_x, first = np.unique(x, return_index=True)
            top_y = np.maximum.reduceat(y, first)
            fill = pg.functions.arrayToQPolygonF(
                np.concatenate((top_x, [top_x[-1], top_x[0]])),
                np.concatenate((top_y, [FLOOR_DB, FLOOR_DB])),
            )
            self._outline, self._fill = outline, fill
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        brush = self.opts["brush"]
        if brush is not None:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(brush)
            painter.drawPolygon(fill)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(self.opts["pen"])
        painter.drawPolyline(outline)


DISPLAYS = ("Spectrum", "Spectrogram")
_AVERAGING_NAMES = {0.0: "Off", 0.125: "0.125 s", 1.0: "1 s", 3.0: "3 s"}
_WEIGHTING_NAMES = {"Z": "Z", "A": "A", "C": "C"}
READOUT_MARGIN = 8
SPECTROGRAM_BAR_ROOM = 70  # the colour bar and its labels
MAX_BAR_WIDTH = 420
"""The choosers fit this width, so the spectrum never widens the window on a laptop."""


def level_unit(weighting: str) -> str:
    """``"dBFS"``, or ``"dBFS(A)"`` / ``"dBFS(C)"`` for a weighted level."""
    return "dBFS" if weighting == "Z" else f"dBFS({weighting})"


class SpectrumView(QWidget):
    """Choosers (channel, display, FFT size, averaging, weighting) above a log-frequency
    (20 Hz .. Nyquist) plot of level (-120..0 dBFS), or a spectrogram of it.

    Choosing a channel emits :attr:`channelSelected` and changing an option
    :attr:`optionsChanged`; the owner then feeds that channel's spectrum, computed so. The
    view never computes a spectrum itself.
    """

    channelSelected = Signal(int)
    optionsChanged = Signal(object)  # SpectrumOptions

    def __init__(self, parent: QWidget | None = None, *, samplerate: int = 48000) -> None:
        super().__init__(parent)
        self._samplerate = int(samplerate)
        self._last_readout_at: float | None = None
        self._peak: tuple[float, float] | None = None
        self._grid = StaticGridItem(QRectF(), QColor(VIEW_BACKGROUND), [])
        self._options = SpectrumOptions()

        self._chooser = QComboBox()
        self._chooser.setAccessibleName("Spectrum channel")
        self._chooser.setToolTip("Channel whose spectrum is shown")
        self._chooser.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._chooser.currentIndexChanged.connect(self._on_chooser_changed)
        chooser_label = QLabel("&Channel")
        chooser_label.setBuddy(self._chooser)
        self._readout = QLabel()
        self._readout.setAccessibleName("Spectrum peak")
        self._readout.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._readout.setTextFormat(Qt.TextFormat.RichText)
        self._readout.setObjectName("spectrumReadout")
        # Drawn over the plot's top right corner (see _place_readout), so that it never
        # widens the window; the background keeps it readable over the curve.
        self._readout.setStyleSheet(
            "QLabel#spectrumReadout { background: rgba(17, 19, 23, 200); padding: 2px 6px;"
            " border-radius: 3px; }"
        )

        self.display_chooser = self._combo("Spectrum display", DISPLAYS, DISPLAYS)
        self.display_chooser.setToolTip("A curve of the level now, or the level over time")
        self.size_chooser = self._combo(
            "FFT size", [f"{n}" for n in FFT_SIZES], FFT_SIZES, self._options.size
        )
        self.averaging_chooser = self._combo(
            "Spectrum averaging",
            list(_AVERAGING_NAMES.values()),
            AVERAGING_TIMES,
            self._options.averaging,
        )
        self.averaging_chooser.setToolTip(
            "Exponential average of power with this time constant (0.125 s is a level meter's "
            "Fast, 1 s its Slow): noise reads steadier, a steady tone reads the same"
        )
        self.weighting_chooser = self._combo(
            "Frequency weighting",
            list(_WEIGHTING_NAMES.values()),
            tuple(_WEIGHTING_NAMES),
            self._options.weighting,
        )
        self.weighting_chooser.setToolTip(
            "IEC 61672 frequency weighting: A follows the ear at low levels, C at high "
            "levels, Z is none (flat)"
        )
        self.display_chooser.currentIndexChanged.connect(self._on_display_changed)
        for chooser in (self.size_chooser, self.averaging_chooser, self.weighting_chooser):
            chooser.currentIndexChanged.connect(self._on_option_changed)

        self._chooser.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self._chooser.setMinimumContentsLength(10)
        first = QHBoxLayout()
        first.addWidget(chooser_label)
        first.addWidget(self._chooser, 1)
        first.addWidget(self.display_chooser)
        second = QHBoxLayout()
        for text, chooser in (
            ("&FFT", self.size_chooser),
            ("&Average", self.averaging_chooser),
            ("&Weighting", self.weighting_chooser),
        ):
            label = QLabel(text)
            label.setBuddy(chooser)
            second.addWidget(label)
            second.addWidget(chooser)
            second.addSpacing(6)
        second.addStretch(1)
        bar = QVBoxLayout()
        bar.setContentsMargins(6, 4, 6, 2)
        bar.setSpacing(3)
        bar.addLayout(first)
        bar.addLayout(second)

        self._plot_widget = pg.PlotWidget(background=PLOT_BACKGROUND)
        self._plot = self._plot_widget.getPlotItem()
        self._curve = self._setup_plot()
        self.spectrogram = SpectrogramView(samplerate=self._samplerate)
        self._pages = QStackedWidget()
        self._pages.addWidget(self._plot_widget)
        self._pages.addWidget(self.spectrogram)
        self._readout.setParent(self._pages)
        self._pages.installEventFilter(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(bar)
        layout.addWidget(self._pages, 1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Spectrum")
        self.setAccessibleDescription(
            "Magnitude spectrum of the chosen channel in dBFS over a logarithmic frequency axis."
        )
        self._show_readout()
        self.set_samplerate(self._samplerate)

    # ---------------------------------------------------------------- public API

    def set_channels(self, names: Sequence[str]) -> None:
        """Fill the chooser; keeps the chosen index when it still exists, else picks channel 0.

        Emits :attr:`channelSelected` only when the chosen index actually changes.
        """
        previous = self._chooser.currentIndex()
        self._chooser.blockSignals(True)
        try:
            self._chooser.clear()
            self._chooser.addItems([str(name) for name in names])
            index = previous if 0 <= previous < len(names) else (0 if names else -1)
            self._chooser.setCurrentIndex(index)
        finally:
            self._chooser.blockSignals(False)
        self._apply_channel_colour(index)
        self._curve.set_spectrum(np.empty(0), np.empty(0))
        self._peak = None
        self._last_readout_at = None
        self._show_readout()
        if index != previous and index >= 0:
            self.channelSelected.emit(index)

    @property
    def options(self) -> SpectrumOptions:
        """FFT size, averaging and weighting as chosen."""
        return self._options

    def set_options(self, options: SpectrumOptions) -> None:
        """Show ``options`` in the choosers (values the choosers lack are left as they are);
        emits nothing."""
        for chooser, value in (
            (self.size_chooser, options.size),
            (self.averaging_chooser, options.averaging),
            (self.weighting_chooser, options.weighting),
        ):
            index = chooser.findData(value)
            if index >= 0:
                with QSignalBlocker(chooser):
                    chooser.setCurrentIndex(index)
        self._options = self._chosen_options()
        self._show_unit()

    @property
    def display(self) -> str:
        """ "Spectrum" or "Spectrogram"."""
        return DISPLAYS[self._pages.currentIndex()]

    def set_display(self, display: str) -> None:
        self.display_chooser.setCurrentIndex(DISPLAYS.index(display))

    def current_channel(self) -> int:
        """The chosen channel index (-1 when there are no channels)."""
        return self._chooser.currentIndex()

    def set_current_channel(self, index: int) -> None:
        """Choose a channel programmatically (emits :attr:`channelSelected` if it changes)."""
        self._chooser.setCurrentIndex(index)

    def samplerate(self) -> int:
        """The sample rate the frequency axis is laid out for."""
        return self._samplerate

    def set_samplerate(self, rate: int) -> None:
        """Lay the frequency axis out from 20 Hz to ``rate / 2``."""
        major, minor = frequency_ticks(rate / 2.0)
        self._samplerate = int(rate)
        low, high = math.log10(MIN_FREQ_HZ), math.log10(rate / 2.0)
        self._plot.setXRange(low - _EDGE / 100, high + _EDGE / 100, padding=0.0)
        self._plot.getAxis("bottom").setTicks([major, minor])
        self.spectrogram.set_samplerate(rate)
        self._show_unit()
        self._set_grid([f for f, _ in major], [f for f, _ in minor])

    def show_spectrum(self, freqs: np.ndarray, db: np.ndarray) -> None:
        """Draw one spectrum (``freqs`` in Hz, ``db`` in dBFS, same length).

        Bins at or below 0 Hz are dropped before the log; levels are clamped to -120..0 so
        non-finite values never reach the plot. Does nothing while the view is hidden.
        """
        if not self.isVisible():
            return
        if self._pages.currentWidget() is self.spectrogram:
            self.spectrogram.push(freqs, db)
        freqs = np.asarray(freqs, dtype=np.float64).reshape(-1)
        levels = np.asarray(db, dtype=np.float64).reshape(-1)
        count = min(len(freqs), len(levels))
        mask = freqs[:count] > 0
        f = freqs[:count][mask]
        level = np.nan_to_num(levels[:count][mask], nan=FLOOR_DB, neginf=FLOOR_DB, posinf=0.0)
        np.clip(level, FLOOR_DB, 0.0, out=level)
        if self._pages.currentWidget() is self._plot_widget:
            x0, x1 = self._plot.getViewBox().viewRange()[0]
            columns = int(self._plot.getViewBox().width())
            self._curve.set_spectrum(*column_envelope(np.log10(f), level, x0, x1, columns))
        now = monotonic()
        if self._last_readout_at is None or now - self._last_readout_at >= READOUT_INTERVAL_S:
            self._last_readout_at = now
            self._peak = find_peak(f, level, MIN_FREQ_HZ, self._samplerate / 2.0)
            self._show_readout()

    def peak(self) -> tuple[float, float] | None:
        """The ``(frequency_hz, level_db)`` the readout currently shows, if any."""
        return self._peak

    def peak_text(self) -> str:
        """The readout's text without markup (what a screen reader gets)."""
        return self._readout.accessibleDescription()

    def clear(self) -> None:
        """Remove the curve, the spectrogram and the readout (for example when the input
        stops)."""
        self._curve.set_spectrum(np.empty(0), np.empty(0))
        self.spectrogram.clear()
        self._peak = None
        self._show_readout()

    # ---------------------------------------------------------------- internals

    def _combo(
        self, name: str, texts: Sequence[str], values: Sequence[object], current: object = None
    ) -> QComboBox:
        combo = QComboBox()
        combo.setAccessibleName(name)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for text, value in zip(texts, values, strict=True):
            combo.addItem(text, value)
        if current is not None:
            combo.setCurrentIndex(combo.findData(current))
        return combo

    def _chosen_options(self) -> SpectrumOptions:
        return SpectrumOptions(
            size=int(self.size_chooser.currentData()),
            averaging=float(self.averaging_chooser.currentData()),
            weighting=str(self.weighting_chooser.currentData()),
        )

    def _on_option_changed(self, _index: int) -> None:
        self._options = self._chosen_options()
        self._show_unit()
        self.clear()  # the spectrum starts again from silence
        self.optionsChanged.emit(self._options)

    def _on_display_changed(self, index: int) -> None:
        self._pages.setCurrentIndex(index)
        self.spectrogram.clear()
        self._place_readout()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._pages and event.type() == QEvent.Type.Resize:
            self._place_readout()
        return super().eventFilter(watched, event)

    def _place_readout(self) -> None:
        """Top right of the plot: left of the colour bar on the spectrogram."""
        self._readout.adjustSize()
        right = READOUT_MARGIN + (
            SPECTROGRAM_BAR_ROOM if self._pages.currentWidget() is self.spectrogram else 0
        )
        x = max(0, self._pages.width() - self._readout.width() - right)
        self._readout.move(x, READOUT_MARGIN)
        self._readout.raise_()

    def _show_unit(self) -> None:
        unit = level_unit(self._options.weighting)
        self._plot.setLabel("left", "level", units=unit, color=AXIS_COLOR)
        self.spectrogram.set_level_label(unit)
        bins = self.size_chooser.currentData()
        self.size_chooser.setToolTip(
            f"FFT length: {self._samplerate / bins:.1f} Hz between bins, "
            f"{1000 * bins / self._samplerate:.0f} ms of audio per spectrum"
        )
        self._show_readout()

    def _setup_plot(self) -> _SpectrumCurve:
        """Fixed ranges, no mouse interaction, compact axes with readable labels."""
        plot = self._plot
        fix_plot(plot)
        # A hair wider than -120..0 so pyqtgraph does not drop the ticks on the exact edges.
        plot.setYRange(FLOOR_DB - _EDGE, _EDGE, padding=0.0)
        # pyqtgraph's axis grid paints over the data and makes the axes drop their edge labels
        # (0 dBFS, 20 Hz); a static grid behind the curve has neither problem. It also paints
        # the plot's background (see _set_grid).
        self._grid.setZValue(-10)
        plot.getViewBox().addItem(self._grid, ignoreBounds=True)
        font = axis_font(self)
        left = plot.getAxis("left")
        left.setTicks(
            [
                [(float(v), "0" if v == 0 else f"−{-v}") for v in range(0, -121, -20)],
                [(float(v), "") for v in range(-10, -120, -20)],
            ]
        )
        left.setWidth(QFontMetrics(font).horizontalAdvance("−120") + 14)
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            axis.setPen(pg.mkPen(AXIS_COLOR, width=1))
            axis.setTextPen(pg.mkPen(AXIS_COLOR))
            # The range ends exactly on 0 dBFS and 20 Hz: draw those edge labels too.
            axis.setStyle(tickFont=font, tickLength=-4, hideOverlappingLabels=False)
        plot.setLabel("left", "level", units="dBFS", color=AXIS_COLOR)
        plot.setLabel("bottom", "frequency", units="Hz", color=AXIS_COLOR)
        for name in ("left", "bottom"):
            plot.getAxis(name).label.setFont(font)
            # Units like "dBFS" must not get SI prefixes ("kdBFS") from pyqtgraph.
            plot.getAxis(name).enableAutoSIPrefix(False)
        curve = _SpectrumCurve()
        plot.getViewBox().addItem(curve, ignoreBounds=True)
        return curve

    def _set_grid(self, major: list[float], minor: list[float]) -> None:
        """Grid lines at the level ticks and at the frequency ticks (log10 positions)."""
        left, right = self._plot.getViewBox().viewRange()[0]
        bottom, top = FLOOR_DB - _EDGE, _EDGE
        strong: list[QLineF] = [QLineF(x, bottom, x, top) for x in major[1:]]
        faint: list[QLineF] = [QLineF(x, bottom, x, top) for x in minor]
        for level in range(-10, -120, -10):
            line = QLineF(left, float(level), right, float(level))
            (strong if level % 20 == 0 else faint).append(line)
        groups = [
            (pg.mkPen(blend_colour(AXIS_COLOR, VIEW_BACKGROUND, alpha), width=1), lines)
            for alpha, lines in ((0.10, faint), (0.22, strong))
        ]
        bounds = QRectF(left, bottom, right - left, top - bottom)
        self._grid.set_lines(bounds, groups)
        self._curve.set_bounds(bounds)

    def _apply_channel_colour(self, index: int) -> None:
        """The curve takes the channel's palette colour, the same as in the waveform view."""
        color = channel_color(max(0, index))
        fill = QColor(color)
        fill.setAlpha(56)
        self._curve.setPen(pg.mkPen(color, width=1))
        self._curve.setBrush(pg.mkBrush(fill))

    def _on_chooser_changed(self, index: int) -> None:
        if index < 0:
            return
        self._apply_channel_colour(index)
        self._curve.set_spectrum(np.empty(0), np.empty(0))
        self._peak = None
        self._last_readout_at = None
        self._show_readout()
        self.channelSelected.emit(index)

    def _show_readout(self) -> None:
        """Render the peak readout (rich text on screen, plain text for accessibility)."""
        if self._peak is None or self._peak[1] <= FLOOR_DB + 0.05:
            plain = "Peak —"
            rich = "Peak&nbsp;&nbsp;<b>—</b>"
        else:
            freq, level = self._peak
            freq_text = format_frequency(freq)
            level_text = f"{level:.1f}".replace("-", "−")
            unit = level_unit(self._options.weighting)
            plain = f"Peak {freq_text} at {level_text} {unit}"
            rich = (
                f"Peak&nbsp;&nbsp;<b>{freq_text}</b>&nbsp;&nbsp;at&nbsp;&nbsp;"
                f"<b>{level_text}</b>&nbsp;{unit}"
            )
        self._readout.setText(rich)
        self._readout.setToolTip(plain)
        self._readout.setAccessibleDescription(plain)
        if hasattr(self, "_pages"):
            self._place_readout()
