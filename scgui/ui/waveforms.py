"""Scrolling multichannel oscilloscope: one pyqtgraph row per visible channel.

:class:`WaveformView` only draws what the frame clock pushes in. Every trace is a min/max
envelope of about one bucket per horizontal pixel column, kept up to date incrementally for the
visible channels (:mod:`~scgui.ui.envelope`): each display frame reduces only the frames that
arrived since the previous one (:meth:`WaveformView.push_frames`). The whole window is read
back from the history (the engine's ring buffer) only when the envelope has to be rebuilt: the
visible channels, the window, the sample rate or the plot width changed, or frames were missed
while the view was hidden or the GUI stalled.

Drawing is kept lean, since it runs about 60 times a second. Each row is a bare ``ViewBox``
(no ``PlotItem``: rows have no axes of their own) holding one ``PlotCurveItem`` (no
``PlotDataItem`` layer, no clip-to-view, no bounds computed from the data: the data always
spans exactly the fixed view) that shows one vertical stroke per bucket, from its minimum to
its maximum; buckets are as wide as a device pixel or a little narrower, so the strokes
leave no column empty, and a live trace moves by whole columns. The strokes are written into
the row's pixels with NumPy over an image of the row's background and grid, made once per
size, and the image is blitted (:mod:`~scgui.ui.stroke_raster`; the runs of all rows are
worked out in one pass per frame, as the rows share their columns): Qt draws a one-pixel
line with a blend call per pixel, which cost up to 7.8 ms a frame for eight loud rows.
Ranges are fixed and nothing auto-ranges per frame. Hidden views do no work.

The channel palette lives here too (:func:`channel_color`), so every view colours a channel
the same way.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, cast

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPen, QTransform
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsView,
    QGraphicsWidget,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from .envelope import ArrayHistory, FrameHistory, RollingEnvelope
from .plot_items import FixedBoundsCurve
from .stroke_raster import StrokeBank, StrokeRaster, column_spans_rows, tail_spans_rows

try:  # a C array of QLineF for one drawLines call (pyqtgraph >= 0.13.2)
    from pyqtgraph.Qt.internals import PrimitiveArray as _PrimitiveArray
except ImportError:  # pragma: no cover - older pyqtgraph: plain PlotCurveItem painting
    _PrimitiveArray = None

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


Y_LIMIT = 1.08
"""The fixed vertical range of every row: full scale and a little room above and below."""


class _PixelMapping(NamedTuple):
    """Where a row's data rectangle lands, in device pixels, and how data maps into it."""

    left: int
    top: int
    width: int
    height: int
    dpr: float
    scale_x: float  # data to the row's image pixels: column = x * scale_x + offset_x
    scale_y: float
    offset_x: float
    offset_y: float


def _is_axis_aligned(transform: QTransform) -> bool:
    """Whether ``transform`` only scales and moves (no rotation, shear or projection)."""
    return transform.isAffine() and not transform.isRotating()


def _pixel_mapping(transform: QTransform, dpr: float, bounds: QRectF) -> _PixelMapping | None:
    """The device pixels of ``bounds`` under an axis-aligned ``transform`` (to logical
    pixels) at ``dpr``; None when they cover no pixel."""
    area = transform.mapRect(bounds)
    left, top = round(area.left() * dpr), round(area.top() * dpr)
    width, height = round(area.right() * dpr) - left, round(area.bottom() * dpr) - top
    if width < 1 or height < 1:
        return None
    return _PixelMapping(
        left,
        top,
        width,
        height,
        dpr,
        transform.m11() * dpr,
        transform.m22() * dpr,
        transform.dx() * dpr - left,
        transform.dy() * dpr - top,
    )


_SAME_COLUMNS = 1e-9
"""How far apart (relative) two rows' horizontal scales and offsets may be for their pixel
columns to be the same: X-linked rows work theirs out each on its own, and may differ in the
last bit (about 1e-16), which moves no stroke by a column."""


def _same_columns(first: _PixelMapping, other: _PixelMapping) -> bool:
    """Whether two rows' strokes land in the same pixel columns (see :func:`_stroke_spans`)."""
    scale = abs(first.scale_x)
    return (
        first.width == other.width
        and abs(other.scale_x - first.scale_x) <= _SAME_COLUMNS * scale
        and abs(other.offset_x - first.offset_x) <= _SAME_COLUMNS * max(scale, 1.0)
    )


def _stroke_spans(
    x: np.ndarray, ys: np.ndarray, mappings: Sequence[_PixelMapping]
) -> tuple[np.ndarray, np.ndarray]:
    """The inked run of every pixel column of rows that share ``x`` (pairs of points: a
    bucket's minimum and maximum at its start), ``ys`` holding one row's values each.

    The rows must share their columns (:func:`_same_columns`, as X-linked rows of one view
    do: the first row's are used); each has its own height and vertical mapping. Returns
    ``rows x width`` arrays of first and last pixel rows (see
    :func:`~scgui.ui.stroke_raster.column_spans`).
    """
    first = mappings[0]
    pairs = min(len(x), ys.shape[1]) // 2 * 2  # whole pairs only
    starts = x[0:pairs:2]
    scale = np.array([[m.scale_y] for m in mappings])
    offset = np.array([[m.offset_y] for m in mappings])
    heights = [m.height for m in mappings]
    # In pixels, a row beyond either edge at most (huge or non-finite values would not
    # survive the cast to integers).
    rows = ys[:, :pairs] * scale + offset
    np.fmax(rows, -1.0, out=rows)  # fmax and fmin also turn NaN into the bound
    np.fmin(rows, np.array(heights, dtype=np.float64)[:, None], out=rows)
    low, high = np.floor(rows[:, 0::2]), np.floor(rows[:, 1::2])
    if _one_column_each(starts, first):
        return tail_spans_rows(low, high, first.width, heights)
    return column_spans_rows(_stroke_columns(starts, first), low, high, first.width, heights)


_BUCKET_PER_COLUMN = 0.015
"""How far a bucket's width may be from one pixel column (a fraction) for the buckets to be
drawn a column each, newest at the right edge. The window's oldest edge then lands within
1.5 % of where the time axis says (0.3 % for 2 s at 48 kHz on a 1052-pixel row, 1.2 % at
44.1 kHz), and the picture of one frame is the previous one moved by whole columns, so a row
only inks its new columns. Buckets are never wider than a column (``push_frames``), so the
oldest few may fall off the left edge but no column is left empty."""


def _one_column_each(starts: np.ndarray, mapping: _PixelMapping) -> bool:
    """Whether buckets starting at ``starts`` (seconds, ascending, evenly spaced but for the
    first) are about a column wide each: they then take a column each, right-aligned."""
    if len(starts) < 3:
        return False
    width = float(starts[-1] - starts[-2]) * mapping.scale_x
    return abs(width - 1.0) <= _BUCKET_PER_COLUMN


def _stroke_columns(starts: np.ndarray, mapping: _PixelMapping) -> np.ndarray:
    """The pixel column where each bucket starting at ``starts`` (seconds) maps to, for
    buckets that are not a column each (:func:`_one_column_each`)."""
    return np.floor(starts * mapping.scale_x + mapping.offset_x)


class _RowState:
    """What a row's trace keeps from frame to frame, in a plain object that the row and its
    view both work on: setting an attribute of a Qt object from Python costs about ten times
    as much, and each call of a row's method as much as a few plain reads; a frame did a
    dozen of each a row.

    The view writes :attr:`prepared` and :attr:`rendered_newest` after working out and
    drawing all rows at once (:meth:`WaveformView._prepare_strokes`); the row reads them
    when it paints itself, and keeps the rest.
    """

    __slots__ = (
        "mapped_from",
        "newest",
        "painted_at",
        "prepared",
        "raster",
        "raster_mapping",
        "rendered_newest",
        "segments_valid",
    )

    def __init__(self) -> None:
        # The strokes' runs worked out by the view for all rows at once, for this mapping,
        # and whether the view also drew them into the raster (StrokeBank.scroll).
        self.prepared: tuple[_PixelMapping, np.ndarray, np.ndarray, bool] | None = None
        self.painted_at: _PixelMapping | None = None  # where it was last painted as pixels
        # The painter's transform, device pixel ratio and bounds that was worked out from:
        # a live row is painted at the same place frame after frame.
        self.mapped_from: tuple[QTransform, float, QRectF] | None = None
        self.newest: int | None = None  # the newest bucket's number, when known
        self.rendered_newest: int | None = None  # the one the raster shows at its right edge
        self.segments_valid = False  # whether the QLineF array holds the current points
        self.raster: StrokeRaster | None = None  # the row's pixels (a row of the bank, mostly)
        self.raster_mapping: _PixelMapping | None = None  # the last mapping it was made for

    def pending_shift(self) -> int:
        """How many buckets came in since the raster was last drawn (a hint, 0 if unknown)."""
        newest, shown = self.newest, self.rendered_newest
        return newest - shown if newest is not None and shown is not None else 0


class _TraceCurve(FixedBoundsCurve):
    """A row's plot area and trace: its background, its grid and the curve, drawn as one.

    The bounds are the row's fixed rectangle, so nothing is computed from the data (pyqtgraph
    would scan it and ask for the pixel size on every paint), and new data only marks the row
    for a repaint. Points in pairs (``connect="pairs"``: a bucket's minimum and maximum at its
    start) are one vertical stroke per bucket; these are written into the row's pixels with
    NumPy (:mod:`~scgui.ui.stroke_raster`) over an image of the background and grid made once
    per size, and the image is blitted: Qt's line drawing would cost a blend call per pixel.
    A live trace has a bucket per pixel column, so from frame to frame its picture moves by
    whole columns: the row's pixels are a ring turned by the new buckets and blitted in two
    parts, and only the new columns are written (:meth:`StrokeRaster.scroll`; the view
    writes all its rows' in one pass, their pixels kept in one
    :class:`~scgui.ui.stroke_raster.StrokeBank`).
    Otherwise (``connect="all"``, raw samples: fewer than two frames per pixel column) the
    points make one polyline drawn by Qt over that image. A painter that rotates or shears
    (never in this view) gets everything drawn as vectors.
    """

    def __init__(
        self,
        bounds: QRectF,
        pen: QPen,
        fill: QColor,
        grid: list[tuple[QPen, list[QLineF]]],
    ) -> None:
        super().__init__(bounds, pen=pen)
        self._fill = QColor(fill)
        self._grid = grid
        self._segments: Any = None  # a PrimitiveArray of QLineF, reused from frame to frame
        self._raster_key: tuple[object, ...] | None = None
        self._image: QImage | None = None  # wraps the raster's pixels (no copy)
        self._state = _RowState()

    def set_trace(
        self, x: np.ndarray, y: np.ndarray, connect: str = "all", newest: int | None = None
    ) -> None:
        """Show ``y`` over ``x`` (1-D, same length, finite): what ``setData`` does, minus the
        checks and bookkeeping this curve does not need. ``newest`` numbers the last bucket
        of a live trace (one more for each bucket that came in since), so that its picture
        can move by whole columns. The row is painted by the view's :class:`_RowsPainter`,
        which the view asks to repaint."""
        self.xData, self.yData = x, y
        self.opts["connect"] = connect
        # What pyqtgraph made from the old data (only if something asked it for a path or
        # shape since: an attribute set on a Qt object costs ten times a plain one's).
        made: Any = self  # pyqtgraph's own (untyped) attributes
        if made.path is not None or made.fillPath is not None or made._mouseShape is not None:
            made.path = made.fillPath = made._fillPathList = made._mouseShape = None
        if made._lineSegmentsRendered:
            made._lineSegmentsRendered = False
        state = self._state
        state.segments_valid = False
        state.prepared = None
        state.newest = newest

    def adopt_raster(self, raster: StrokeRaster) -> None:
        """Draw into ``raster`` from now on (a row of the view's bank, made over this row's
        background for the same place), and blit it."""
        state = self._state
        mapping = state.raster_mapping
        assert mapping is not None and raster.background.shape == (mapping.height, mapping.width)
        state.raster, self._image = raster, _image_of_pixels(raster.pixels, mapping.dpr)

    @property
    def painted_at(self) -> _PixelMapping | None:
        """Where the row was last painted as pixels (None: not yet, or as vectors)."""
        return self._state.painted_at

    def paint(self, painter: QPainter, *args: object) -> None:
        transform = painter.transform()
        device = painter.device()
        dpr = device.devicePixelRatioF() if device is not None else 1.0
        state = self._state
        mapped = state.mapped_from
        if (
            mapped is not None
            and dpr == mapped[1]
            and transform == mapped[0]
            and self._bounds == mapped[2]
        ):
            mapping = state.painted_at  # where it was painted last time
        elif not _is_axis_aligned(transform):
            state.painted_at = state.mapped_from = None
            self._paint_vectors(painter, *args)
            return
        else:
            mapping = _pixel_mapping(transform, dpr, self._bounds)
            state.painted_at, state.mapped_from = mapping, (transform, dpr, QRectF(self._bounds))
        if mapping is None:
            return
        raster, image = self._raster_for(mapping)
        x, y = self.xData, self.yData
        has_data = x is not None and y is not None and len(x) >= 2
        strokes = has_data and self.opts["connect"] == "pairs"
        if strokes:
            prepared = state.prepared
            if prepared is not None and prepared[0] == mapping:
                top, bottom, drawn = prepared[1], prepared[2], prepared[3]
            else:  # not worked out by the view, or for another place
                tops, bottoms = _stroke_spans(x, y[None, :], [mapping])
                top, bottom, drawn = tops[0], bottoms[0], False
            if not drawn:
                # A hint only: scroll takes any value, and one out of range as nothing kept.
                raster.scroll(top, bottom, state.pending_shift())
                state.rendered_newest = state.newest
        else:
            raster.clear()
        _blit(
            painter,
            image,
            mapping.left,
            mapping.top,
            mapping.width,
            mapping.height,
            mapping.dpr,
            raster.rotation,
        )
        if has_data and not strokes:
            self._draw_lines(painter, *args)

    def _raster_for(self, mapping: _PixelMapping) -> tuple[StrokeRaster, QImage]:
        """The row's raster and its image, made again when the row's pixel size changed."""
        state = self._state
        if mapping == state.raster_mapping and state.raster is not None:
            assert self._image is not None
            return state.raster, self._image  # the usual case: where it was last frame
        width, height, dpr = mapping.width, mapping.height, mapping.dpr
        scale_x, scale_y = mapping.scale_x, mapping.scale_y
        offset_x, offset_y = mapping.offset_x, mapping.offset_y
        # The offsets, to a tenth of a pixel: a row moved by a fraction of a pixel gets its
        # grid drawn again where the strokes now land.
        key = (
            width,
            height,
            dpr,
            round(scale_x, 3),
            round(scale_y, 3),
            round(offset_x, 1),
            round(offset_y, 1),
        )
        if state.raster is None or self._image is None or key != self._raster_key:
            background = QImage(width, height, QImage.Format.Format_RGB32)
            background.fill(self._fill)
            painter = QPainter(background)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            painter.setTransform(QTransform(scale_x, 0.0, 0.0, scale_y, offset_x, offset_y))
            paint_plot_area(painter, self._bounds, self._fill, self._grid)
            painter.end()
            pixels = np.frombuffer(background.constBits(), dtype=np.uint32, count=width * height)
            # StrokeRaster keeps a copy: `background` is freed when this method returns.
            raster = StrokeRaster(pixels.reshape(height, width), self.opts["pen"].color().rgb())
            state.raster, self._raster_key = raster, key
            self._image = _image_of_pixels(raster.pixels, dpr)
        state.raster_mapping = mapping
        assert state.raster is not None and self._image is not None
        return state.raster, self._image

    def _paint_vectors(self, painter: QPainter, *args: object) -> None:
        """Background, grid and trace as Qt vectors (a painter that rotates or shears)."""
        paint_plot_area(painter, self._bounds, self._fill, self._grid)
        x = self.xData
        if x is not None and self.yData is not None and len(x) >= 2:
            self._draw_lines(painter, *args)

    def _draw_lines(self, painter: QPainter, *args: object) -> None:
        """The points as Qt lines: a polyline, or one segment per pair of points, clipped to
        the row (no box clips the rows' painter, and a line along the bottom edge would fall
        on the pixel row below it)."""
        painter.save()
        painter.setClipRect(self._bounds, Qt.ClipOperation.IntersectClip)
        if _PrimitiveArray is None:  # pyqtgraph's own paint takes (painter, option, widget)
            super().paint(painter, *args)
        else:
            self._draw_segments(painter)
        painter.restore()

    def _draw_segments(self, painter: QPainter) -> None:
        """The points as one ``drawLines`` call over a C array of lines kept between frames."""
        if not self._state.segments_valid:
            if self._segments is None:
                self._segments = _PrimitiveArray(QLineF, 4)
            lines = self._segments
            # Inside the curve's rectangle: Qt is handed no huge coordinates (1e30 from a
            # broken device); the data keeps its values.
            bounds = self._bounds
            x = np.clip(self.xData, bounds.left(), bounds.right())
            y = np.clip(self.yData, bounds.top(), bounds.bottom())
            if self.opts["connect"] == "pairs":
                lines.resize(len(x) // 2)
                points = lines.ndarray().reshape(-1, 2)  # x1, y1 / x2, y2 of each segment
                points[:, 0], points[:, 1] = x[: len(points)], y[: len(points)]
            else:
                lines.resize(len(x) - 1)
                out = lines.ndarray()
                out[:, 0], out[:, 1], out[:, 2], out[:, 3] = x[:-1], y[:-1], x[1:], y[1:]
            self._state.segments_valid = True
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(self.opts["pen"])
        painter.drawLines(*self._segments.drawargs())


def _blit(
    painter: QPainter,
    image: QImage,
    left: int,
    top: int,
    width: int,
    height: int,
    dpr: float,
    rotation: int,
) -> None:
    """Put ``image`` (``width x height`` device pixels) on the device pixels from ``left``,
    ``top``; a ring of columns turned by ``rotation`` (see
    :attr:`~scgui.ui.stroke_raster.StrokeRaster.pixels`) in two parts."""
    painter.save()
    painter.resetTransform()
    if not rotation:
        painter.drawImage(QRectF(left / dpr, top / dpr, width / dpr, height / dpr), image)
    else:  # picture columns 0 .. width - rotation - 1 are stored from `rotation` on
        split = width - rotation
        painter.drawImage(
            QRectF(left / dpr, top / dpr, split / dpr, height / dpr),
            image,
            QRectF(rotation, 0, split, height),
        )
        painter.drawImage(
            QRectF((left + split) / dpr, top / dpr, rotation / dpr, height / dpr),
            image,
            QRectF(0, 0, rotation, height),
        )
    painter.restore()


def _image_of_pixels(pixels: np.ndarray, dpr: float) -> QImage:
    """A ``QImage`` over C-contiguous ``height x width`` RGB32 pixels (no copy; it keeps
    them alive)."""
    height, width = pixels.shape
    image = QImage(pixels.data, width, height, 4 * width, QImage.Format.Format_RGB32)
    image.setDevicePixelRatio(dpr)
    return image


def _whole_device_pixels(device: QTransform, dpr: float) -> bool:
    """Whether the painter's logical coordinates start on a device pixel and map to
    ``dpr`` device pixels each (not so when a widget at a scale factor is rendered into
    an image of ratio 1: Qt scales every blit down)."""
    return (
        float(device.dx()).is_integer()
        and float(device.dy()).is_integer()
        and device.m11() == dpr
        and device.m22() == dpr
    )


def _gaps_between(mappings: Sequence[_PixelMapping]) -> list[int] | None:
    """The device pixel rows between each row and the next, if the rows stack top to
    bottom in one column (same left edge, width and pixel ratio; None otherwise)."""
    column = (mappings[0].left, mappings[0].width, mappings[0].dpr)
    gaps = []
    for upper, lower in itertools.pairwise(mappings):
        gap = lower.top - (upper.top + upper.height)
        if gap < 0 or (lower.left, lower.width, lower.dpr) != column:
            return None
        gaps.append(gap)
    return gaps


def paint_plot_area(
    painter: QPainter, bounds: QRectF, fill: QColor, groups: list[tuple[QPen, list[QLineF]]]
) -> None:
    """A plot's data area: ``bounds`` filled with ``fill``, then each group's lines in its pen
    (data coordinates, through the painter's transform)."""
    painter.fillRect(bounds, fill)
    for pen, lines in groups:
        painter.setPen(pen)
        painter.drawLines(lines)


class StaticGridItem(pg.GraphicsObject):
    """A plot's static background: the data area's fill and its grid lines, behind the data.

    ``groups`` are ``(pen, lines)`` in data coordinates; give opaque pens (see
    :func:`blend_colour`). It is painted once into a pixmap in device pixels (Qt's
    ``DeviceCoordinateCache``, made again when the plot's size changes or after
    :meth:`set_lines`), so a frame blits it instead of filling the area and drawing every
    line again. The spectrum view uses it too.
    """

    def __init__(
        self, bounds: QRectF, fill: QColor, groups: list[tuple[QPen, list[QLineF]]]
    ) -> None:
        super().__init__()
        self._bounds = QRectF(bounds)
        self._fill = QColor(fill)
        self._groups = groups
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def set_lines(self, bounds: QRectF, groups: list[tuple[QPen, list[QLineF]]]) -> None:
        """Replace the area and the lines (a rare event: the axis changed)."""
        self.prepareGeometryChange()
        self._bounds = QRectF(bounds)
        self._groups = groups
        self.update()

    def paint(self, painter: QPainter, *_args: object) -> None:
        paint_plot_area(painter, self._bounds, self._fill, self._groups)


class _RowLabel(pg.LabelItem):
    """A row's name: pyqtgraph's label with Qt's own bounding rectangle and shape.

    A row's repaint area reaches a pixel or two into the name column, so Qt asks every name
    for its bounds on every frame; pyqtgraph answers in Python (mapping its geometry, twice
    a name and frame). Qt's answer is the same for an item that is neither turned nor
    scaled, as the names are, and costs no call into Python.
    """

    boundingRect = QGraphicsWidget.boundingRect
    shape = QGraphicsWidget.shape


class _RowBox(pg.ViewBox):
    """A row's box: pyqtgraph's view box, minus its own call before every paint of the scene.

    A view box defers working out its view of the data to just before a paint, through a
    scene signal that calls every box's Python slot on every frame; the view makes that
    one call for all its rows (:meth:`WaveformView._prepare_rows`), which asks only the
    boxes that have something to work out.
    """

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:
        # pyqtgraph's box connects to and disconnects from the scene's signal here.
        return pg.GraphicsWidget.itemChange(self, change, value)


# pyqtgraph's flags of what a box's prepareForPaint has to do, read without a call into Python.
_MATRIX_DIRTY = operator.attrgetter("_matrixNeedsUpdate")
_AUTORANGE_DIRTY = operator.attrgetter("_autoRangeNeedsUpdate")


class _BankPicture(NamedTuple):
    """The rows' bank as one picture: where it was made to be blitted, and its image."""

    bank: StrokeBank
    states: list[_RowState]  # the rows', top to bottom, each drawing into its bank row
    mappings: list[_PixelMapping]  # where each row is painted, that the gaps were made for
    image: QImage  # over the bank's pixels: every row and the gaps between them


class _RowsPainter(QGraphicsItem):
    """Paints a view's rows, whose traces paint nothing themselves (Qt would call each
    trace's Python paint, and the trace blit its pixels in two parts, every frame).

    When the view drew every row into its bank for where the rows are painted now
    (:meth:`WaveformView._bank_picture_at`), the rows' paint is one blit of the bank's
    pixels, gaps and all; otherwise (not drawn yet, grabbed at another place, rotated) each
    row is painted as it would be as an item of its own. It lies under the view's layout,
    where the rows' boxes are, so the names and the time axis stay above the traces.
    """

    def __init__(self, picture_at: Callable[[list[_PixelMapping]], _BankPicture | None]) -> None:
        super().__init__()
        self._picture_at = picture_at
        self._curves: list[_TraceCurve] = []
        self._bounds = QRectF()
        # One more each time the layout moved a row within the view (see sync_bounds).
        self._layout_serial = 0
        # What the mappings were worked out for: the device pixel ratio, the layout serial
        # and the first row's device transform (where the view is painted); and the mappings.
        self._mapped: tuple[float, int, QTransform, list[_PixelMapping] | None] | None = None
        self.setZValue(-1.0)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def set_curves(self, curves: Sequence[_TraceCurve]) -> None:
        """Paint these rows from now on (top to bottom); they no longer paint themselves."""
        self._curves = list(curves)
        self._mapped = None
        for curve in self._curves:
            curve.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, True)
        self.sync_bounds()

    def sync_bounds(self, *_args: object) -> None:
        """Cover the rows where the scene has them now (after the layout moved them, or a
        row's box changed its view of the data: the view connects both)."""
        self._layout_serial += 1
        bounds = QRectF()
        for curve in self._curves:
            bounds = bounds.united(curve.mapRectToScene(curve.boundingRect()))
        if bounds != self._bounds:
            self.prepareGeometryChange()
            self._bounds = bounds
            self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, *args: object) -> None:
        curves = self._curves
        if not curves:
            return
        base = painter.transform()
        device = painter.device()
        dpr = device.devicePixelRatioF() if device is not None else 1.0
        # The rows move together unless the layout moved one (which sync_bounds counts): the
        # first row's place stands for all of them.
        first_transform = curves[0].deviceTransform(base)
        mapped, serial = self._mapped, self._layout_serial
        if (
            mapped is not None
            and mapped[0] == dpr
            and mapped[1] == serial
            and mapped[2] == first_transform
        ):
            mappings = mapped[3]
        else:
            mappings = []
            for curve in curves:
                transform = curve.deviceTransform(base)
                mapping = (
                    _pixel_mapping(transform, dpr, curve.boundingRect())
                    if _is_axis_aligned(transform)
                    else None
                )
                if mapping is None:
                    mappings = None
                    break
                mappings.append(mapping)
            self._mapped = (dpr, serial, first_transform, mappings)
        picture = self._picture_at(mappings) if mappings is not None else None
        if picture is not None and not _whole_device_pixels(painter.deviceTransform(), dpr):
            # The view lies across device pixels (a child at an odd position at a scale
            # factor of 1.5): Qt resamples every blit, a tall one differently from short
            # ones, so the rows are blitted as they always were.
            picture = None
        if picture is not None:
            first = picture.mappings[0]
            height = picture.image.height()
            _blit(
                painter,
                picture.image,
                first.left,
                first.top,
                first.width,
                height,
                dpr,
                picture.bank.rotation,
            )
            return
        for curve in curves:
            painter.setTransform(curve.deviceTransform(base))
            curve.paint(painter, *args)
        painter.setTransform(base)


class _Row:
    """One channel's view box (the plot area) and its curve."""

    def __init__(self, channel: int, view: _RowBox, curve: _TraceCurve) -> None:
        self.channel = channel
        self.view = view
        self.curve = curve


class WaveformView(QWidget):
    """Stacked, X-linked waveform plots of the newest audio, newest sample at the right edge.

    The X axis is time in seconds relative to now (``-window_seconds`` .. 0), Y is fixed at
    -1..1 full scale. At most ``max_visible`` channels have a row; which ones is chosen with
    :meth:`set_channels` or :meth:`set_visible_channels`. Audio comes in through
    :meth:`push_frames` (the frames that arrived since the previous frame, cheap) or
    :meth:`show_frames` (a whole block, which rebuilds the envelope).
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
        self._boxes: list[_RowBox] = []  # the rows' boxes, in order
        self._envelope: RollingEnvelope | None = None
        self._envelope_key: tuple[object, ...] | None = None
        self._bank: StrokeBank | None = None  # the rows' pixels, drawn in one pass
        self._bank_gaps: list[int] | None = None  # the pixel rows between its rows
        self._bank_picture: _BankPicture | None = None  # the bank, to be blitted at once
        # The rows' places last found to share their pixel columns (see _prepare_strokes).
        self._columns_shared_at: list[_PixelMapping] | None = None

        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setBackground(PLOT_BACKGROUND)
        # The view paints its background brush under every exposed pixel itself, so the
        # viewport's own fill before each paint (some 60 times a second) is wasted.
        viewport = self._graphics.viewport()
        viewport.setAutoFillBackground(False)
        viewport.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        # And that brush is one colour: filling with it costs about a third of copying
        # pyqtgraph's cached background pixmap over the same area.
        self._graphics.setCacheMode(QGraphicsView.CacheModeFlag.CacheNone)
        self._graphics.ci.setContentsMargins(4, 6, 10, 4)
        self._rows_painter = _RowsPainter(self._bank_picture_at)
        self._graphics.scene().addItem(self._rows_painter)
        self._graphics.scene().sigPrepareForPaint.connect(self._prepare_rows)
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

        Rows are rebuilt here (a rare event), never per frame. The next pushed frame reads the
        new rows' window back from the history.
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

    def push_frames(
        self,
        fresh: np.ndarray,
        end: int,
        samplerate: int,
        history: FrameHistory | None = None,
    ) -> None:
        """Draw after the frames ``fresh`` (``n x channels``) that end at position ``end``.

        This is the per-frame call: only ``fresh`` is reduced, for the visible channels. The
        window is read back from ``history`` (frames at absolute positions, like the
        engine's ring buffer) when the envelope must be rebuilt: first use, other rows,
        window, width or rate, or ``fresh`` does not follow on from the previous push (frames
        were missed while the view was hidden). Without a history a rebuild starts from
        ``fresh`` alone. Does nothing while the view is hidden.
        """
        if not self._rows or not self.isVisible() or samplerate <= 0:
            return
        data = np.asarray(fresh)
        if data.ndim == 1:
            data = data.reshape(-1, 1)
        end = int(end)
        columns = [row.channel for row in self._rows if row.channel < data.shape[1]]
        if not columns:
            self.clear()
            return
        window = max(1, round(self._window_seconds * samplerate))
        # A bucket as near one pixel column wide as whole frames allow, never wider (the
        # buckets then fill every column): each is one column's vertical stroke, and the
        # picture moves by whole columns (see _one_column_each).
        bucket = max(1, window // self._plot_width_px())
        key = (samplerate, window, bucket, tuple(columns), data.shape[1])
        envelope = self._envelope
        start = end - data.shape[0]
        if envelope is None or key != self._envelope_key or envelope.end != start:
            envelope = RollingEnvelope(len(columns), bucket, window)
            if history is not None:
                block = history.read(end - window, end, columns)
            else:
                block = data[-window:, columns]
            envelope.push(block, end - block.shape[0])
            self._envelope, self._envelope_key = envelope, key
        elif data.shape[0]:
            envelope.push(_gather(data, columns), start)
        else:
            return  # nothing new to draw
        self._draw(envelope, columns, end, samplerate)

    def show_frames(self, frames: np.ndarray, samplerate: int) -> None:
        """Draw the newest ``window_seconds`` of ``frames`` (``n x channels`` float).

        Older samples beyond the window are ignored; with fewer, the trace starts part-way
        across and still ends at the right edge. Rebuilds the envelope from ``frames`` (for a
        one-off picture; a live display calls :meth:`push_frames`). Does nothing while the
        view is hidden.
        """
        data = np.asarray(frames)
        if data.ndim == 1:
            data = data.reshape(-1, 1)
        self._envelope = None
        self.push_frames(data, data.shape[0], samplerate, ArrayHistory(data))

    def trace(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``(seconds, values)`` currently drawn in ``row`` (top row is 0); empty if none."""
        x, y = self._rows[row].curve.getData()
        if x is None or y is None:
            return np.empty(0), np.empty(0)
        return np.asarray(x), np.asarray(y)

    def clear(self) -> None:
        """Empty every row (for example when the input stops)."""
        self._envelope = self._envelope_key = None
        for row in self._rows:
            row.curve.set_trace(np.empty(0), np.empty(0))
        self._rows_painter.update()

    # ---------------------------------------------------------------- internals

    def _draw(self, envelope: RollingEnvelope, columns: list[int], end: int, rate: int) -> None:
        """Hand each row its part of the envelope, in seconds before ``end``."""
        positions, y = envelope.envelope(joined=True)
        x = (positions - end) / float(rate)
        connect = "all" if envelope.bucket == 1 else "pairs"
        newest = (end - 1) // envelope.bucket
        values = dict(zip(columns, y, strict=True))
        empty = np.empty(0)
        traced: list[tuple[_TraceCurve, np.ndarray]] = []
        for row in self._rows:
            trace = values.get(row.channel)
            if trace is None:
                row.curve.set_trace(empty, empty)
            else:
                row.curve.set_trace(x, trace, connect, newest)
                traced.append((row.curve, trace))
        if connect == "pairs" and traced and len(x) >= 2:
            # Every row traced: the rows' values are the envelope's, in its order.
            self._prepare_strokes(x, traced, y if len(traced) == len(y) else None)
        self._rows_painter.update()

    def _prepare_strokes(
        self,
        x: np.ndarray,
        traced: list[tuple[_TraceCurve, np.ndarray]],
        stacked: np.ndarray | None = None,
    ) -> None:
        """Work out the strokes of every row in one NumPy pass, for the rows' next paint.

        Row by row, the same dozen small NumPy calls cost more in call overhead than in
        work; the rows share their columns, so one pass does them all. The work is for
        where each row was painted last; a row painted anywhere else (moved, resized,
        rotated, grabbed into an image at an offset) works out its own. ``stacked`` holds
        the traces one under the other, if the caller has them so.
        """
        curves = [curve for curve, _ in traced]
        states = [curve._state for curve in curves]
        found = [state.painted_at for state in states]
        if None in found:  # not painted yet, or as vectors: each row alone
            return
        mappings = cast(list[_PixelMapping], found)
        if mappings != self._columns_shared_at:  # (the rows stay where they are, mostly)
            if not all(_same_columns(mappings[0], m) for m in mappings):
                return
            self._columns_shared_at = mappings
        if stacked is None:
            stacked = np.stack([trace for _, trace in traced])
        top, bottom = _stroke_spans(x, stacked, mappings)
        drawn = self._draw_rows(curves, states, mappings, top, bottom)
        # What the rows' paint finds: the runs for where they are painted, and whether the
        # view drew them there already (the paint then only blits).
        for state, mapping, row_top, row_bottom in zip(states, mappings, top, bottom, strict=True):
            state.prepared = (mapping, row_top, row_bottom, drawn)
            if drawn:
                state.rendered_newest = state.newest

    def _draw_rows(
        self,
        curves: list[_TraceCurve],
        states: list[_RowState],
        mappings: list[_PixelMapping],
        top: np.ndarray,
        bottom: np.ndarray,
    ) -> bool:
        """Draw the rows' runs into their pixels in one pass, when every row has its raster
        where it was painted and as many new buckets (the rows then move together): the
        rows' pixels are one bank (:class:`~scgui.ui.stroke_raster.StrokeBank`), made again
        from the rows' rasters when they change (a resize, other rows). Whether it drew."""
        ready = [
            state.raster
            for state, mapping in zip(states, mappings, strict=True)
            if state.raster is not None and state.raster_mapping == mapping
        ]
        shifts = {state.pending_shift() for state in states}
        if len(ready) < len(curves) or len(shifts) != 1:
            return False  # each row draws its own when it is painted
        bank = self._bank
        gaps = _gaps_between(mappings)
        if (
            bank is None
            or len(bank.rasters) != len(ready)
            or any(map(operator.is_not, bank.rasters, ready))
            or gaps != self._bank_gaps
        ):
            # The gaps show what the view shows between the rows: its background.
            gap_colour = self._graphics.backgroundBrush().color().rgb()
            bank = StrokeBank(
                [r.background for r in ready], [r.colour for r in ready], gaps, gap_colour
            )
            for curve, raster in zip(curves, bank.rasters, strict=True):
                curve.adopt_raster(raster)
            self._bank, self._bank_gaps, self._bank_picture = bank, gaps, None
            if gaps is not None:
                self._bank_picture = _BankPicture(
                    bank,
                    list(states),
                    list(mappings),
                    _image_of_pixels(bank.pixels, mappings[0].dpr),
                )
        bank.scroll(top, bottom, shifts.pop())
        return True

    def _prepare_rows(self) -> None:
        """Before the scene is painted: the rows' boxes work out their view of the data if
        it changed (see :class:`_RowBox`)."""
        boxes = self._boxes
        for box, matrix, autorange in zip(
            boxes, map(_MATRIX_DIRTY, boxes), map(_AUTORANGE_DIRTY, boxes), strict=True
        ):
            if matrix or autorange:
                box.prepareForPaint()

    def _bank_picture_at(self, mappings: list[_PixelMapping]) -> _BankPicture | None:
        """The bank as the picture of all rows, if the rows are painted at ``mappings`` and
        the view drew each one's current trace into it (None: each row paints itself)."""
        picture = self._bank_picture
        if picture is None or mappings != picture.mappings or not picture.bank.in_step():
            return None
        for state, mapping, raster in zip(
            picture.states, mappings, picture.bank.rasters, strict=True
        ):
            # The row's current trace, drawn by the view into this raster for this place.
            prepared = state.prepared
            if (
                prepared is None
                or not prepared[3]
                or state.raster is not raster
                or prepared[0] != mapping
            ):
                return None
        return picture

    def _describe(self) -> None:
        """Keep the accessible description in step with the window length."""
        self.setAccessibleDescription(
            "Scrolling waveform of each visible channel over the last "
            f"{self._window_seconds:g} seconds, full scale from -1 to 1."
        )

    def _plot_width_px(self) -> int:
        """The data area's width in device pixels (scene units are the screen's logical
        pixels in this view; a high-density screen has more device pixels to each)."""
        width = self._rows[0].view.width() if self._rows else 0.0
        return max(64, int(width * self.devicePixelRatioF()))

    def _label_width(self, font: QFont) -> int:
        """Width of the name column: the longest name, capped so the plots keep their room."""
        fm = QFontMetrics(font)
        widest = max((fm.horizontalAdvance(self._names[i]) for i in self._visible), default=0)
        return min(max(widest + 12, 36), 110)

    def _view_rect(self) -> QRectF:
        """The data rectangle every row shows: the window in X, a little over full scale in Y."""
        return QRectF(-self._window_seconds, -Y_LIMIT, self._window_seconds, 2 * Y_LIMIT)

    def _rebuild(self) -> None:
        """Recreate the rows: a name label and a plot area per visible channel, X linked.

        A row's plot area is a bare ``ViewBox`` (no ``PlotItem`` around it: the rows have no
        axes, title or buttons, and every item in the scene costs on each repaint). The time
        axis is a separate item under the last row, so every row has the same height and each
        name sits centred on its trace.
        """
        layout = self._graphics.ci
        self._rows_painter.set_curves([])
        layout.clear()
        self._rows, self._boxes = [], []
        self._envelope = self._envelope_key = None
        self._bank = self._bank_gaps = self._bank_picture = None
        if not self._visible:
            return
        font = QFont(self.font())
        if font.pointSizeF() > 0:
            font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        label_width = self._label_width(font)
        fm = QFontMetrics(font)
        grid = self._grid_lines()
        first: pg.ViewBox | None = None
        for position, channel in enumerate(self._visible):
            color = channel_color(channel)
            name = fm.elidedText(self._names[channel], Qt.TextElideMode.ElideRight, 100)
            label = _RowLabel(
                name, color=color.name(), size=f"{font.pointSizeF():.1f}pt", bold=True
            )
            label.setFixedWidth(label_width)
            layout.addItem(label, row=position, col=0)
            view = self._make_view()
            layout.addItem(view, row=position, col=1)
            if first is None:
                first = view
            else:
                view.setXLink(first)
            curve = _TraceCurve(
                self._view_rect(), pg.mkPen(color, width=1), QColor(VIEW_BACKGROUND), grid
            )
            view.addItem(curve, ignoreBounds=True)
            # The rows' painter covers the rows wherever the layout moves them.
            view.sigTransformChanged.connect(self._rows_painter.sync_bounds)
            view.geometryChanged.connect(self._rows_painter.sync_bounds)
            self._rows.append(_Row(channel, view, curve))
        assert first is not None
        time_axis = pg.AxisItem("bottom")
        time_axis.linkToView(first)
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
        # The axis and the names never change between frames: Qt blits their pixmaps when a
        # repaint of the traces touches them, instead of replaying their drawing.
        time_axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        for item in layout.items:
            if isinstance(item, pg.LabelItem):
                item.item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        # Clearing the layout shrinks it (the view's central item) to its preferred size, and
        # only a resize of the view would stretch it again: the rows of a view rebuilt while
        # shown (another page of channels) came out a few pixels wide. Stretch it now.
        layout.setGeometry(self._graphics.range)
        self._boxes = [row.view for row in self._rows]
        self._rows_painter.set_curves([row.curve for row in self._rows])

    def _time_steps(self) -> tuple[float, float]:
        """(label step, grid step) in seconds: round numbers, about four labelled divisions."""
        steps = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
        label = next((s for s in steps if self._window_seconds / s <= 5.5), 20.0)
        return label, label / 2

    def _grid_lines(self) -> list[tuple[QPen, list[QLineF]]]:
        """Faint lines behind the trace: zero, half and full scale, and every time step.

        Grouped by pen, so a row's whole grid is a few ``drawLines`` calls in one item.
        Axis-drawn grids in pyqtgraph paint over the data; these sit under the curve, so a
        loud channel shows as a clean solid band.
        """
        left, right = -self._window_seconds, 0.0
        step = self._time_steps()[1]
        count = int(self._window_seconds / step + 1e-9)
        faint = [QLineF(left, 0.5, right, 0.5), QLineF(left, -0.5, right, -0.5)]
        faint += [QLineF(-k * step, -Y_LIMIT, -k * step, Y_LIMIT) for k in range(1, count + 1)]
        groups = []
        for alpha, lines in (
            (0.12, faint),
            (0.22, [QLineF(left, 1.0, right, 1.0), QLineF(left, -1.0, right, -1.0)]),
            (0.34, [QLineF(left, 0.0, right, 0.0)]),
        ):
            # The grid only ever lies on the plot background: blend the faint colour with it
            # once, here, so the lines are drawn opaque (no blending per pixel per frame).
            groups.append(
                (pg.mkPen(blend_colour(AXIS_COLOR, VIEW_BACKGROUND, alpha), width=1), lines)
            )
        return groups

    def _make_view(self) -> _RowBox:
        """One row's plot area: fixed ranges, no mouse interaction, no axes.

        Rows are too short for readable amplitude labels, so the rows have no axes of their
        own; the row's trace draws the background and the grid (:meth:`_grid_lines`).
        """
        view = _RowBox(enableMouse=False, enableMenu=False, defaultPadding=0.0)
        view.disableAutoRange()
        # Nothing of its own to paint (no border; the trace draws the background): Qt then
        # skips the box on every repaint instead of calling its Python paint.
        view.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, True)
        border = getattr(view, "borderRect", None)  # an invisible rectangle painted on top
        if border is not None:
            border.hide()
        # No clipping: the traces are drawn inside their rectangle (_TraceCurve.paint).
        view.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape, False)
        view.setRange(xRange=(-self._window_seconds, 0.0), yRange=(-Y_LIMIT, Y_LIMIT), padding=0.0)
        return view


def blend_colour(colour: str, background: str, alpha: float) -> QColor:
    """``colour`` at opacity ``alpha`` over ``background``, as one opaque colour (for lines
    that only ever lie on that background: no blending per pixel when they are drawn)."""
    top, bottom = QColor(colour), QColor(background)
    return QColor.fromRgbF(
        alpha * top.redF() + (1 - alpha) * bottom.redF(),
        alpha * top.greenF() + (1 - alpha) * bottom.greenF(),
        alpha * top.blueF() + (1 - alpha) * bottom.blueF(),
    )


def _gather(frames: np.ndarray, columns: list[int]) -> np.ndarray:
    """``frames[:, columns]``, as a slice when the columns are consecutive (no index array)."""
    first = columns[0]
    if columns == list(range(first, first + len(columns))):
        return frames[:, first : first + len(columns)]
    return frames[:, columns]
