"""Scrolling multichannel oscilloscope: one pyqtgraph row per visible channel.

:class:`WaveformView` only draws what the frame timer pushes in (``show_frames``). Each frame
it reduces the newest ``window_seconds`` of every visible channel to a min/max envelope of
about two points per horizontal pixel (:func:`peak_envelope`, vectorised NumPy), so a 2 s
window at 48 kHz costs a few thousand points per row instead of 96 000, and a single-sample
spike still shows. Ranges are fixed and nothing auto-ranges per frame. Hidden views do no work.

The channel palette lives here too (:func:`channel_color`), so every view colours a channel
the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget

PLOT_BACKGROUND = "#1b1c1f"
"""Background around the plots (the same neutral dark grey as the meters)."""
VIEW_BACKGROUND = "#131417"
"""Background inside a plot's data area, a shade darker so each row reads as a screen."""
AXIS_COLOR = "#8d929b"

CHANNEL_COLORS = (
    "#4fc3f7",  # sky blue
    "#ffb74d",  # amber
    "#81c784",  # green
    "#f06292",  # pink
    "#ba68c8",  # violet
    "#fff176",  # yellow
    "#4db6ac",  # teal
    "#ff8a65",  # coral
)
"""Eight distinguishable colours that stay readable on a dark background."""


def channel_color(index: int) -> QColor:
    """The display colour of channel ``index`` (the palette repeats every eight channels)."""
    return QColor(CHANNEL_COLORS[index % len(CHANNEL_COLORS)])


def peak_envelope(samples: np.ndarray, n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """Reduce ``samples`` to about ``n_points`` points that keep every bucket's min and max.

    The newest samples are split into ``n_points // 2`` equal buckets (the few oldest samples
    that do not fill a bucket are dropped, the newest never are); each bucket yields its
    minimum then its maximum, both at the bucket's first sample index. Drawn as a line, the
    pairs make the vertical strokes of a classic peak waveform, so a one-sample spike survives
    any amount of downsampling, which plain decimation would lose.

    Returns ``(x_index, y)``: sample indices into ``samples`` (float64, non-decreasing) and the
    values. When there are no more samples than points, the samples come back unchanged.
    """
    x_index, y = peak_envelope_rows(np.asarray(samples).reshape(1, -1), n_points)
    return x_index, y[0]


def peak_envelope_rows(rows: np.ndarray, n_points: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`peak_envelope` of every row of a ``channels x samples`` array in one pass.

    All rows share the bucket layout, hence one ``x_index``; ``y`` is ``channels x points``.
    One reduction over a contiguous array is several times faster than one per channel.
    """
    data = np.asarray(rows)
    channels, count = data.shape
    buckets = n_points // 2
    if buckets < 1 or count <= n_points:
        return np.arange(count, dtype=np.float64), data
    size = count // buckets
    offset = count - buckets * size
    blocks = data[:, offset:].reshape(channels, buckets, size)
    y = np.empty((channels, 2 * buckets), dtype=data.dtype)
    np.min(blocks, axis=2, out=y[:, 0::2])
    np.max(blocks, axis=2, out=y[:, 1::2])
    starts = offset + np.arange(buckets, dtype=np.float64) * size
    return np.repeat(starts, 2), y


class _Row:
    """One channel's plot, its curve and its name label."""

    def __init__(self, channel: int, plot: pg.PlotItem, curve: pg.PlotDataItem) -> None:
        self.channel = channel
        self.plot = plot
        self.curve = curve


class WaveformView(QWidget):
    """Stacked, X-linked waveform plots of the newest audio, newest sample at the right edge.

    The X axis is time in seconds relative to now (``-window_seconds`` .. 0), Y is fixed at
    -1..1 full scale. At most ``max_visible`` channels have a row; which ones is chosen with
    :meth:`set_channels` or :meth:`set_visible_channels`.
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        window_seconds: float = 2.0,
        max_visible: int = 8,
    ) -> None:
        super().__init__(parent)
        if window_seconds <= 0:
            raise ValueError(f"window_seconds must be positive, got {window_seconds}")
        if max_visible < 1:
            raise ValueError(f"max_visible must be at least 1, got {max_visible}")
        self._window_seconds = float(window_seconds)
        self._max_visible = int(max_visible)
        self._names: list[str] = []
        self._visible: list[int] = []
        self._rows: list[_Row] = []
        self._x_cache: dict[tuple[int, int, int], np.ndarray] = {}

        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setBackground(PLOT_BACKGROUND)
        self._graphics.ci.setContentsMargins(4, 6, 10, 4)
        self._graphics.ci.setSpacing(3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._graphics)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Waveforms")
        self._describe()

    # ---------------------------------------------------------------- public API

    @property
    def max_visible(self) -> int:
        """The most rows shown at once."""
        return self._max_visible

    @property
    def window_seconds(self) -> float:
        """How many seconds of the newest audio are shown."""
        return self._window_seconds

    def set_window_seconds(self, seconds: float) -> None:
        """Show the newest ``seconds`` of audio (rebuilds the rows: a rare event)."""
        if seconds <= 0:
            raise ValueError(f"window_seconds must be positive, got {seconds}")
        self._window_seconds = float(seconds)
        self._describe()
        self._rebuild()  # the time grid depends on the window

    def set_channels(self, names: Sequence[str], visible: Sequence[int] | None = None) -> None:
        """Name the source's channels and choose the rows (default: the first ``max_visible``)."""
        self._names = [str(name) for name in names]
        if visible is None:
            visible = range(min(len(self._names), self._max_visible))
        self.set_visible_channels(visible)

    def set_visible_channels(self, indices: Sequence[int]) -> None:
        """Show rows for these channel indices, in this order; invalid and extra ones are dropped.

        Rows are rebuilt here (a rare event), never per frame.
        """
        chosen: list[int] = []
        for index in indices:
            channel = int(index)
            if 0 <= channel < len(self._names) and channel not in chosen:
                chosen.append(channel)
        self._visible = chosen[: self._max_visible]
        self._rebuild()

    def visible_channels(self) -> list[int]:
        """The channel indices that have a row, top to bottom."""
        return list(self._visible)

    def channel_names(self) -> list[str]:
        """All channel names, in order."""
        return list(self._names)

    def show_frames(self, frames: np.ndarray, samplerate: int) -> None:
        """Draw the newest ``window_seconds`` of ``frames`` (``n x channels`` float).

        Older samples beyond the window are ignored; with fewer, the trace starts part-way
        across and still ends at the right edge. Does nothing while the view is hidden.
        """
        if not self._rows or not self.isVisible() or samplerate <= 0:
            return
        data = np.asarray(frames)
        if data.ndim == 1:
            data = data.reshape(-1, 1)
        window = max(1, round(self._window_seconds * samplerate))
        data = data[-window:]
        count = data.shape[0]
        n_points = 2 * self._plot_width_px()
        drawn = [row for row in self._rows if row.channel < data.shape[1] and count > 0]
        for row in self._rows:
            if row not in drawn:
                row.curve.setData([], [])
        if not drawn:
            return
        # One gather of the visible columns into a contiguous channels x samples block (the
        # only copy), then one vectorised min/max over all of them.
        block = data.T[[row.channel for row in drawn]]
        x_index, y = peak_envelope_rows(block, n_points)
        x = self._seconds(x_index, count, n_points, samplerate)
        for row, values in zip(drawn, y, strict=True):
            row.curve.setData(x, values, skipFiniteCheck=True)

    def trace(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``(seconds, values)`` currently drawn in ``row`` (top row is 0); empty if none."""
        x, y = self._rows[row].curve.getData()
        if x is None or y is None:
            return np.empty(0), np.empty(0)
        return np.asarray(x), np.asarray(y)

    def clear(self) -> None:
        """Empty every row (for example when the input stops)."""
        for row in self._rows:
            row.curve.setData([], [])

    # ---------------------------------------------------------------- internals

    def _describe(self) -> None:
        """Keep the accessible description in step with the window length."""
        self.setAccessibleDescription(
            "Scrolling waveform of each visible channel over the last "
            f"{self._window_seconds:g} seconds, full scale from -1 to 1."
        )

    def _plot_width_px(self) -> int:
        """The data area's width in pixels (scene units are pixels in this view)."""
        width = self._rows[0].plot.getViewBox().width() if self._rows else 0.0
        return max(64, int(width))

    def _seconds(
        self, x_index: np.ndarray, count: int, n_points: int, samplerate: int
    ) -> np.ndarray:
        """Sample indices to seconds before now; cached, since they only change on resize."""
        key = (count, n_points, samplerate)
        x = self._x_cache.get(key)
        if x is None or len(x) != len(x_index):
            if len(self._x_cache) > 8:
                self._x_cache.clear()
            x = (x_index - count) / float(samplerate)
            self._x_cache[key] = x
        return x

    def _label_width(self, font: QFont) -> int:
        """Width of the name column: the longest name, capped so the plots keep their room."""
        fm = QFontMetrics(font)
        widest = max((fm.horizontalAdvance(self._names[i]) for i in self._visible), default=0)
        return min(max(widest + 12, 36), 110)

    def _rebuild(self) -> None:
        """Recreate the rows: a name label and a plot per visible channel, X axes linked.

        The time axis is a separate item under the last row, so every row has the same
        height and each name sits centred on its trace.
        """
        layout = self._graphics.ci
        layout.clear()
        self._rows = []
        self._x_cache.clear()
        if not self._visible:
            return
        font = QFont(self.font())
        if font.pointSizeF() > 0:
            font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        label_width = self._label_width(font)
        fm = QFontMetrics(font)
        first: pg.PlotItem | None = None
        for position, channel in enumerate(self._visible):
            color = channel_color(channel)
            name = fm.elidedText(self._names[channel], Qt.TextElideMode.ElideRight, 100)
            label = pg.LabelItem(
                name, color=color.name(), size=f"{font.pointSizeF():.1f}pt", bold=True
            )
            label.setFixedWidth(label_width)
            layout.addItem(label, row=position, col=0)
            plot = self._make_plot()
            layout.addItem(plot, row=position, col=1)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            curve = plot.plot(pen=pg.mkPen(color, width=1), antialias=False, skipFiniteCheck=True)
            curve.setClipToView(True)
            self._rows.append(_Row(channel, plot, curve))
        assert first is not None
        time_axis = pg.AxisItem("bottom")
        time_axis.linkToView(first.getViewBox())
        time_axis.setPen(pg.mkPen(AXIS_COLOR, width=1))
        time_axis.setTextPen(pg.mkPen(AXIS_COLOR))
        # Labels on the grid lines; the edge labels ("-2", "0") may overhang a little.
        time_axis.setStyle(
            tickFont=font, tickLength=-4, hideOverlappingLabels=False, maxTextLevel=0
        )
        time_axis.setTickSpacing(*self._time_steps())
        time_axis.setLabel("time before now", units="s", color=AXIS_COLOR)
        time_axis.label.setFont(font)
        layout.addItem(time_axis, row=len(self._visible), col=1)

    def _time_steps(self) -> tuple[float, float]:
        """(label step, grid step) in seconds: round numbers, about four labelled divisions."""
        steps = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
        label = next((s for s in steps if self._window_seconds / s <= 5.5), 20.0)
        return label, label / 2

    def _add_grid(self, plot: pg.PlotItem) -> None:
        """Faint lines behind the trace: zero, half and full scale, and every time step.

        Axis-drawn grids in pyqtgraph paint over the data; these lines sit under the curve
        so a loud channel shows as a clean solid band.
        """
        lines: list[tuple[float, int, float]] = [
            (0.0, 0, 0.34),
            (0.5, 0, 0.12),
            (-0.5, 0, 0.12),
            (1.0, 0, 0.22),
            (-1.0, 0, 0.22),
        ]
        step = self._time_steps()[1]
        count = int(self._window_seconds / step + 1e-9)
        lines += [(-k * step, 90, 0.12) for k in range(1, count + 1)]
        for position, angle, alpha in lines:
            colour = QColor(AXIS_COLOR)
            colour.setAlphaF(alpha)
            line = pg.InfiniteLine(pos=position, angle=angle, pen=pg.mkPen(colour, width=1))
            line.setZValue(-10)
            plot.addItem(line, ignoreBounds=True)

    def _make_plot(self) -> pg.PlotItem:
        """One row's plot: fixed ranges, no mouse interaction, faint grid, no visible axes.

        Rows are too short for readable amplitude labels, so the rows have no axes of their
        own; the grid is static lines behind the trace (see :meth:`_add_grid`).
        """
        plot = pg.PlotItem()
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.setClipToView(True)
        plot.getViewBox().setBackgroundColor(VIEW_BACKGROUND)
        plot.getViewBox().setDefaultPadding(0.0)
        plot.disableAutoRange()
        plot.setXRange(-self._window_seconds, 0.0, padding=0.0)
        plot.setYRange(-1.08, 1.08, padding=0.0)
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        self._add_grid(plot)
        return plot
