"""Multichannel level meters: one painted widget with a vertical bar per channel.

:class:`MeterBank` only draws. A single frame timer owned by the main window pushes the
levels in (``set_levels``, about 60 times a second), so everything here is built to be cheap:
the geometry and every static part (background, dBFS scale, unlit troughs, channel labels) are
cached in a pixmap rebuilt only when the size, the channels or the range change. The numeric
peak-hold readout changes at most about four times a second so a person can actually read
it; its text is rendered into a second pixmap only when it changes. A frame then paints the
two pixmaps and the bars, whose heights are computed for all channels at once with NumPy,
set on rectangles kept from the layout, and drawn with one ``drawRects`` call per kind (peak,
RMS, hold tick, clip box), so the Python work per frame does not grow with one painter call
per channel.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from time import monotonic

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QLinearGradient,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
    QResizeEvent,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

FLOOR_DB = -120.0
"""The lowest level the measurement reports (digital silence)."""

DEFAULT_MIN_DB = -60.0
YELLOW_FROM_DB = -18.0
RED_FROM_DB = -6.0
NUMBER_INTERVAL_S = 0.25
"""Seconds between two refreshes of the numeric readout (about 4 Hz)."""

SCALE_TICKS_DB = (0.0, -3.0, -6.0, -12.0, -18.0, -24.0, -36.0, -48.0, -60.0)
_EXTRA_TICKS_DB = (-72.0, -84.0, -96.0, -108.0, -120.0)

# A dark, neutral palette: the coloured zones carry the meaning, everything else stays grey.
_BACKGROUND = QColor("#1b1c1f")
_TROUGH_EDGE = QColor("#2c2e33")
_SCALE_TEXT = QColor("#8d929b")
_SCALE_TICK = QColor("#5b5f67")
_LABEL_TEXT = QColor("#b4b8bf")
_NUMBER_TEXT = QColor("#e3e5e8")
_NUMBER_CLIPPED = QColor("#ff6b6b")
_HOLD_TICK = QColor("#f2f3f5")
_CLIP_OFF = QColor("#2a2c31")
_CLIP_OFF_EDGE = QColor("#43464d")
_CLIP_ON = QColor("#e5484d")
_CLIP_ON_EDGE = QColor("#ff8a8d")

# (unlit trough, peak = lighter, RMS = solid) per zone: green, yellow, red.
_ZONE_COLOURS = (
    (QColor("#15261d"), QColor("#7fdca5"), QColor("#2bb36a")),
    (QColor("#2b2716"), QColor("#f3dc86"), QColor("#e3b92b")),
    (QColor("#301a1c"), QColor("#f59a9d"), QColor("#e5484d")),
)

_MARGIN = 6
_CLIP_BOX_H = 8
_GAP = 3
_TICK_LEN = 4
_MAX_BAR_W = 34
#: Narrowest channel slot (a 6 px bar): 64 channels in about 600 px.
_COMPACT_SLOT_W = 9
_ROTATED_LABEL_MAX_CHARS = 12


def bar_heights(db: np.ndarray, min_db: float, height: int) -> np.ndarray:
    """Pixel heights of bars for levels ``db`` (dBFS) on a scale from ``min_db`` to 0 dBFS.

    The scale is linear in decibels, like Audacity's default meter: equal steps in dB are
    equal steps on screen. Levels are clamped to the scale, NaN counts as silence, so the
    result is always in ``0 .. height``.
    """
    # fmax ignores NaN, so NaN (and -inf) land on the bottom of the scale.
    values = np.minimum(np.fmax(np.asarray(db, dtype=np.float64), min_db), 0.0)
    fraction = (values - min_db) / (0.0 - min_db)
    return np.rint(fraction * height).astype(np.int32)


def bar_height(db: float, min_db: float, height: int) -> int:
    """Pixel height of one bar: the scalar form of :func:`bar_heights`."""
    return int(bar_heights(np.asarray([db]), min_db, height)[0])


def format_db(value: float, decimals: int = 1) -> str:
    """A level as the readout shows it: ``"−12.3"``, ``"+0.4"`` over full scale, ``"−inf"``."""
    if not math.isfinite(value) or value <= FLOOR_DB + 0.05:
        return "−inf"
    text = f"{value:+.{decimals}f}" if value > 0 else f"{value:.{decimals}f}"
    if text in ("-0", "-0.0"):
        text = text[1:]
    return text.replace("-", "−")


@dataclass(frozen=True)
class _Geometry:
    """Where everything goes for one widget size and channel count (computed once per resize)."""

    scale_right: int
    slots_left: int
    slot_w: float
    bar_w: int
    readout_top: int
    readout_h: int
    clip_top: int
    bar_top: int
    bar_bottom: int
    label_top: int
    label_h: int
    rotate_labels: bool
    decimals: int

    @property
    def bar_span(self) -> int:
        """Pixel height of the full scale (0 dBFS down to the range's minimum)."""
        return self.bar_bottom - self.bar_top

    def bar_left(self, channel: int) -> int:
        """X of the left edge of ``channel``'s bar (bars are centred in their slots)."""
        slot_left = self.slots_left + channel * self.slot_w
        return round(slot_left + (self.slot_w - self.bar_w) / 2)


class MeterBank(QWidget):
    """Vertical peak/RMS level meters for 1 to 32 or more channels, painted in one widget.

    Each channel shows its RMS level as a solid bar, the peak level as a lighter bar above it,
    the peak hold as a bright tick, a clip indicator box on top (red while latched) and the
    peak hold as a number above that. Clicking a channel's clip box (or its number) emits
    :attr:`clipResetRequested` with the channel index; clicking the dBFS scale emits it with
    ``-1`` (reset all). The widget never resets anything itself: the latch belongs to the
    measurement, which the owner resets.

    With many channels the bars get narrower down to a minimum width; below that the widget's
    minimum width grows instead, so it can sit in a :class:`~PySide6.QtWidgets.QScrollArea`.
    """

    clipResetRequested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._names: list[str] = []
        self._min_db = DEFAULT_MIN_DB
        self._levels = np.empty((3, 0))  # peak, RMS and hold of every channel (dBFS)
        self._peak, self._rms, self._hold = self._levels
        self._clipped = np.empty(0, dtype=bool)
        self._shown_hold = np.empty(0)
        self._shown_text: list[str] = []
        self._last_numbers_at: float | None = None
        self._geometry: _Geometry | None = None
        self._static: QPixmap | None = None
        self._readout: QPixmap | None = None
        self._readout_clipped = b""
        # Per layout, one per channel, moved by every paint: the peak bar's part above the RMS
        # bar, the RMS bar, the hold tick; the lit clip box does not move.
        self._peak_rects: list[QRect] = []
        self._rms_rects: list[QRect] = []
        self._hold_rects: list[QRect] = []
        self._clip_rects: list[QRect] = []
        self._tick_lines: list[QRectF] = []  # one pixel high, across all the bars
        self._bar_lefts: list[int] = []
        # The bars' heights (peak, RMS, hold) and clip latches the last repaint was asked
        # for; None: repaint all of it next time (new layout).
        self._requested: np.ndarray | None = None
        self._requested_clipped = np.empty(0, dtype=bool)
        self._small_font = QFont()
        self._lit_brush = QBrush()
        self._peak_brush = QBrush()
        self._update_fonts()
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName("Level meters")
        self.setAccessibleDescription(
            "Peak and RMS level of each channel in dBFS, with peak hold and clip indicators. "
            "Click a channel's clip box to reset it, or the scale to reset all."
        )
        self.set_channels(["1"])

    # ---------------------------------------------------------------- public API

    def set_channels(self, names: Sequence[str]) -> None:
        """Show one meter per name (levels reset to silence, clip indicators cleared)."""
        self._names = [str(name) for name in names]
        n = len(self._names)
        self._levels = np.full((3, n), FLOOR_DB)
        self._peak, self._rms, self._hold = self._levels
        self._clipped = np.zeros(n, dtype=bool)
        self._shown_hold = np.full(n, FLOOR_DB)
        self._last_numbers_at = None
        self._shown_text = []
        self.setMinimumWidth(self._minimum_width())
        self._invalidate_layout()
        self.updateGeometry()
        self.update()

    def channel_names(self) -> list[str]:
        """The channel names currently shown, in order."""
        return list(self._names)

    def set_range(self, min_db: float) -> None:
        """Set the bottom of the scale in dBFS (``-60`` by default; must be below 0)."""
        if not min_db < 0.0:
            raise ValueError(f"min_db must be below 0 dBFS, got {min_db}")
        self._min_db = max(float(min_db), FLOOR_DB)
        self.setMinimumWidth(self._minimum_width())
        self._invalidate_layout()
        self.update()

    def min_db(self) -> float:
        """The bottom of the scale in dBFS."""
        return self._min_db

    def set_levels(
        self,
        peak_db: np.ndarray,
        rms_db: np.ndarray,
        hold_db: np.ndarray,
        clipped: np.ndarray,
    ) -> None:
        """Take the newest levels (one value per channel, dBFS) and schedule a repaint.

        Called once per display frame; it copies into preallocated arrays and calls
        ``update()``, never paints synchronously. Arrays shorter or longer than the channel
        count (a device change racing the frame timer) are cut or padded with silence rather
        than raising in the timer slot. The numeric readout takes the new hold values only if
        :data:`NUMBER_INTERVAL_S` has passed since it last changed.
        """
        for target, source, fill in (
            (self._peak, peak_db, FLOOR_DB),
            (self._rms, rms_db, FLOOR_DB),
            (self._hold, hold_db, FLOOR_DB),
            (self._clipped, clipped, False),
        ):
            values = np.asarray(source).reshape(-1)
            k = min(len(target), len(values))
            target[:k] = values[:k]
            target[k:] = fill
        now = monotonic()
        if self._last_numbers_at is None or now - self._last_numbers_at >= NUMBER_INTERVAL_S:
            self._last_numbers_at = now
            self._shown_hold[:] = self._hold
            self._shown_text = []  # formatted lazily at paint time, with the layout's decimals
            self._readout = None
        self._update_changes(numbers=self._readout is None)

    def readout_values(self) -> np.ndarray:
        """The peak-hold values the numeric readout currently shows (dBFS, a copy)."""
        return self._shown_hold.copy()

    def readout_texts(self) -> list[str]:
        """The numeric readout as drawn, one string per channel."""
        return list(self._texts(self._layout()))

    def clip_box_rect(self, channel: int) -> QRect:
        """Where ``channel``'s clip indicator box is drawn (widget coordinates)."""
        g = self._layout()
        return QRect(g.bar_left(channel), g.clip_top, g.bar_w, _CLIP_BOX_H)

    def bar_rect(self, channel: int) -> QRect:
        """The full-scale rectangle of ``channel``'s bar, 0 dBFS at its top."""
        g = self._layout()
        return QRect(g.bar_left(channel), g.bar_top, g.bar_w, g.bar_span)

    def channel_at(self, x: float) -> int | None:
        """The channel whose slot contains widget x coordinate ``x``, if any."""
        g = self._layout()
        index = math.floor((x - g.slots_left) / g.slot_w) if g.slot_w > 0 else -1
        return index if 0 <= index < len(self._names) else None

    # ---------------------------------------------------------------- Qt overrides

    def sizeHint(self) -> QSize:
        """Room for comfortable bars (about 44 px per channel) and a 260 px tall scale."""
        n = max(1, len(self._names))
        return QSize(2 * _MARGIN + self._scale_width() + n * 44, 260)

    def minimumSizeHint(self) -> QSize:
        """The narrowest bars that still show a number, and a short but usable scale."""
        return QSize(self._minimum_width(), 150)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Geometry and the static pixmap depend on the size: recompute them lazily."""
        self._invalidate_layout()
        super().resizeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        """Fonts drive the layout: follow font and style changes."""
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._update_fonts()
            self.setMinimumWidth(self._minimum_width())
            self._invalidate_layout()
        super().changeEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        """A click on a clip box resets that channel; a click on the scale resets them all."""
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        target = self._click_target(event.position())
        if target is None:
            super().mousePressEvent(event)
            return
        event.accept()
        self.clipResetRequested.emit(target)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Show a pointing hand over what can be clicked."""
        clickable = self._click_target(event.position()) is not None
        self.setCursor(
            Qt.CursorShape.PointingHandCursor if clickable else Qt.CursorShape.ArrowCursor
        )
        super().mouseMoveEvent(event)

    def event(self, event: QEvent) -> bool:
        """Tooltips with the exact levels of the channel under the mouse."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            text = self._tooltip_at(QPointF(event.pos()))
            if text:
                QToolTip.showText(event.globalPos(), text, self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Static pixmap, the bars of every channel (peak, RMS, hold tick, clip box), the
        tick lines across them and the readout pixmap."""
        g = self._layout()
        painter = QPainter(self)
        painter.drawPixmap(0, 0, self._static_pixmap(g))
        n = len(self._names)
        if n == 0 or g.bar_span <= 0:
            painter.end()
            return
        bottom = g.bar_bottom
        heights = self._requested  # what set_levels asked this paint for, if for this layout
        if heights is None or heights.shape[1] != n:
            heights = bar_heights(self._levels, self._min_db, g.bar_span)
        peak, rms, hold = heights
        # The bars' rectangles are the layout's, moved: only their tops and bottoms change
        # (a map over cached rectangles costs a sixth of building new ones). The peak bar is
        # only its part above the RMS bar, which would cover the rest; a bar of height 0 is
        # an empty rectangle, which fills nothing.
        rms_tops = (bottom - rms).tolist()
        list(map(QRect.setTop, self._rms_rects, rms_tops))
        list(map(QRect.setTop, self._peak_rects, (bottom - np.maximum(peak, rms)).tolist()))
        list(map(QRect.setBottom, self._peak_rects, [top - 1 for top in rms_tops]))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._peak_brush)
        painter.drawRects(self._peak_rects)
        painter.setBrush(self._lit_brush)
        painter.drawRects(self._rms_rects)
        list(map(QRect.moveTop, self._hold_rects, (bottom - hold).tolist()))
        held = hold > 0
        if held.all():
            painter.setBrush(_HOLD_TICK)
            painter.drawRects(self._hold_rects)
        elif held.any():
            painter.setBrush(_HOLD_TICK)
            painter.drawRects([self._hold_rects[i] for i in np.flatnonzero(held).tolist()])
        if self._clipped.any():
            painter.setBrush(_CLIP_ON)
            painter.drawRects([self._clip_rects[i] for i in np.flatnonzero(self._clipped).tolist()])
        # Thin dark lines across the bars at the scale ticks: the bar reads as segments and the
        # eye can follow a tick from the scale to any channel. One line spans every bar; in the
        # gaps it is background on background. Filled as one-pixel-high rectangles: Qt fills a
        # rectangle a row at a time, where it draws a pen's line a pixel at a time.
        painter.setBrush(_BACKGROUND)
        painter.drawRects(self._tick_lines)
        # On a whole device pixel: at a scale factor of 1.5 an odd position is half a device
        # pixel, which Qt rounds one way for a whole repaint and the other for a clip of
        # several rectangles (the numbers moved by a pixel after a partial repaint).
        ratio = self.devicePixelRatioF()
        painter.drawPixmap(
            QPointF(round(g.slots_left * ratio) / ratio, round(g.readout_top * ratio) / ratio),
            self._readout_pixmap(g),
        )
        painter.end()

    # ---------------------------------------------------------------- internals

    def _update_fonts(self) -> None:
        """The small font for the scale, numbers and labels, derived from the widget's font."""
        small = QFont(self.font())
        size = small.pointSizeF()
        if size > 0:
            small.setPointSizeF(max(7.0, size * 0.85))
        self._small_font = small

    def _ticks(self) -> list[float]:
        """The scale's tick levels that fall inside the current range."""
        ticks = [t for t in SCALE_TICKS_DB if t >= self._min_db]
        ticks += [t for t in _EXTRA_TICKS_DB if t >= self._min_db]
        return ticks

    def _ticks_by_priority(self) -> list[float]:
        """Ticks in the order their labels claim space: the ends, then the zone limits."""
        ticks = self._ticks()
        first = {0.0, min(ticks), YELLOW_FROM_DB, RED_FROM_DB}
        return sorted(ticks, key=lambda t: (t not in first, t % 12 != 0, -t))

    def _scale_width(self) -> int:
        """Width of the scale column: the widest tick label plus its tick mark."""
        fm = QFontMetrics(self._small_font)
        widest = max(fm.horizontalAdvance(format_db(t, 0)) for t in (*self._ticks(), -120.0))
        return widest + _TICK_LEN + 6

    def _min_slot_width(self) -> int:
        """Narrowest channel slot: a thin bar under its clip box. Slots too narrow for a
        number like ``−88`` leave the numbers out, so 64 channels fit beside the views with
        every clip latch in sight (the number is in the tooltip of the hovered channel)."""
        return _COMPACT_SLOT_W

    def _minimum_width(self) -> int:
        n = max(1, len(self._names))
        return 2 * _MARGIN + self._scale_width() + n * self._min_slot_width()

    def _invalidate_layout(self) -> None:
        self._geometry = None
        self._static = None
        self._readout = None
        self._shown_text = []
        self._requested = None

    def _update_changes(self, numbers: bool) -> None:
        """Schedule a repaint of the parts the new levels change: the box around the bars'
        rows between their old and new edges, the clip boxes that latched or let go, the
        numbers if they are due (or a latch changed their colour).

        The paint is the same for any area (everything is drawn, Qt clips it), so a repaint
        of these parts shows what a full one would. Most of a frame's pixels stay as they
        were: the background, the lit bars below their lowest moving edge, the names and
        the scale. In the window, where the widget's pixels are out of the cache by the next
        frame, copying them all cost three times more than painting the widget alone.
        One box for all the bars: a rectangle for each costs more in Qt's region handling
        and in the clipped paint than it saves.
        """
        g = self._layout()
        heights = bar_heights(self._levels, self._min_db, g.bar_span)
        before, before_clipped = self._requested, self._requested_clipped
        self._requested, self._requested_clipped = heights, self._clipped.copy()
        if before is None or before.shape != heights.shape or g.bar_span <= 0:
            self.update()
            return
        moved = (heights != before).any(axis=0)
        if moved.any():
            edges = np.concatenate((heights[:, moved], before[:, moved]))
            top = g.bar_bottom - int(edges.max())
            # A hold tick covers two rows from its top down (one at 1 px reaches the outline).
            end = g.bar_bottom - int(edges.min()) + 2
            left, width = self._bars_across(moved, g)
            self.update(left, top, width, end - top)
        latched = self._clipped != before_clipped
        if latched.any():
            left, width = self._bars_across(latched, g)
            self.update(left, g.clip_top, width, _CLIP_BOX_H)
        if numbers or latched.any():
            columns = math.ceil(len(self._names) * g.slot_w) + 2  # and where rounding puts it
            self.update(g.slots_left - 1, g.readout_top - 1, columns + 1, g.readout_h + 2)

    def _bars_across(self, channels: np.ndarray, g: _Geometry) -> tuple[int, int]:
        """Left edge and width of the span from the first to the last bar of ``channels``
        (a mask with at least one channel set)."""
        first = self._bar_lefts[int(channels.argmax())]
        last = self._bar_lefts[len(channels) - 1 - int(channels[::-1].argmax())]
        return first, last + g.bar_w - first

    def _layout(self) -> _Geometry:
        """The cached geometry for the current size, computing it if needed (with the bars'
        rectangles and the tick lines across them, which depend only on it)."""
        if self._geometry is None:
            g = self._geometry = self._compute_layout()
            n = len(self._names)
            lefts = [g.bar_left(i) for i in range(n)]
            bottom, w = g.bar_bottom, g.bar_w
            self._bar_lefts = lefts
            self._peak_rects = [QRect(x, bottom, w, 0) for x in lefts]
            self._rms_rects = [QRect(x, bottom, w, 0) for x in lefts]
            self._hold_rects = [QRect(x, bottom, w, 2) for x in lefts]
            clip_top = g.clip_top + 1
            self._clip_rects = [QRect(x + 1, clip_top, w - 2, _CLIP_BOX_H - 2) for x in lefts]
            self._tick_lines = []
            if n:
                right = g.bar_left(n - 1) + g.bar_w
                for tick in self._ticks():
                    y = g.bar_bottom - bar_height(tick, self._min_db, g.bar_span)
                    if g.bar_top < y < g.bar_bottom:
                        # What a one-pixel pen's line from left to right covers (the pen
                        # reaches half a pixel around it), at any device pixel ratio.
                        self._tick_lines.append(
                            QRectF(g.slots_left - 0.5, y - 0.5, right - g.slots_left + 1, 1)
                        )
        return self._geometry

    def _compute_layout(self) -> _Geometry:
        fm = QFontMetrics(self._small_font)
        n = max(1, len(self._names))
        width, height = self.width(), self.height()
        scale_right = _MARGIN + self._scale_width()
        slots_left = scale_right + 2
        available = max(1, width - _MARGIN - slots_left)
        max_slot = _MAX_BAR_W + 14
        slot_w = max(1.0, min(available / n, float(max_slot)))
        gap = max(3, int(slot_w * 0.22))
        bar_w = max(4, min(_MAX_BAR_W, int(slot_w) - gap))
        if slot_w < 14:
            bar_w = max(4, int(slot_w) - 2)  # compact: keep the bars, narrow the gaps
        if fm.horizontalAdvance("−88.8") + 2 <= slot_w:
            decimals = 1
        elif fm.horizontalAdvance("−88") + 4 <= slot_w:
            decimals = 0
        else:
            decimals = -1  # compact: no numbers, bars and clip boxes only

        readout_top = _MARGIN
        readout_h = fm.height()
        clip_top = readout_top + readout_h + _GAP
        bar_top = clip_top + _CLIP_BOX_H + _GAP + 1
        widths = [fm.horizontalAdvance(name) for name in self._names] or [0]
        fits = max(widths) + 4 <= slot_w
        rotate = not fits and slot_w < 44
        if rotate:
            longest = min(max(widths), fm.averageCharWidth() * _ROTATED_LABEL_MAX_CHARS)
            label_h = longest + 6
        else:
            label_h = fm.height() + 4
        label_top = height - _MARGIN - label_h
        bar_bottom = max(bar_top, label_top - _GAP)
        return _Geometry(
            scale_right=scale_right,
            slots_left=slots_left,
            slot_w=slot_w,
            bar_w=bar_w,
            readout_top=readout_top,
            readout_h=readout_h,
            clip_top=clip_top,
            bar_top=bar_top,
            bar_bottom=bar_bottom,
            label_top=label_top,
            label_h=label_h,
            rotate_labels=rotate,
            decimals=decimals,
        )

    def _zone_gradient(self, g: _Geometry, which: int) -> QBrush:
        """A vertical brush with hard steps at the zone limits (0 unlit, 1 peak, 2 RMS).

        One brush paints every bar: they share the same vertical scale, so a bar of any height
        is a single ``fillRect`` that shows exactly the zones it reaches.
        """
        gradient = QLinearGradient(0.0, float(g.bar_bottom), 0.0, float(g.bar_top))
        span = max(1, g.bar_span)
        yellow = bar_height(YELLOW_FROM_DB, self._min_db, span) / span
        red = bar_height(RED_FROM_DB, self._min_db, span) / span
        green_c, yellow_c, red_c = (zone[which] for zone in _ZONE_COLOURS)
        eps = 1e-4
        gradient.setColorAt(0.0, green_c)
        gradient.setColorAt(max(0.0, yellow - eps), green_c)
        gradient.setColorAt(yellow, yellow_c)
        gradient.setColorAt(max(yellow, red - eps), yellow_c)
        gradient.setColorAt(red, red_c)
        gradient.setColorAt(1.0, red_c)
        return QBrush(gradient)

    def _static_pixmap(self, g: _Geometry) -> QPixmap:
        """Everything that does not change per frame, painted once per layout."""
        if self._static is not None:
            return self._static
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(
            max(1, math.ceil(self.width() * ratio)),
            max(1, math.ceil(self.height() * ratio)),
        )
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(_BACKGROUND)
        self._lit_brush = self._zone_gradient(g, 2)
        self._peak_brush = self._zone_gradient(g, 1)
        painter = QPainter(pixmap)
        painter.setFont(self._small_font)
        fm = QFontMetrics(self._small_font)
        n = len(self._names)
        if g.bar_span > 0:
            unlit = self._zone_gradient(g, 0)
            # The outlines are fills a pixel larger than what they frame, under it: a pen's
            # line lies half a pixel off the fills' edges at any scale factor but 1 (a gap
            # on one side, over the fill on the other).
            for i in range(n):
                x = g.bar_left(i)
                painter.fillRect(x - 1, g.bar_top - 1, g.bar_w + 2, g.bar_span + 2, _TROUGH_EDGE)
                painter.fillRect(x, g.bar_top, g.bar_w, g.bar_span, unlit)
                painter.fillRect(x, g.clip_top, g.bar_w, _CLIP_BOX_H, _CLIP_OFF_EDGE)
                painter.fillRect(x + 1, g.clip_top + 1, g.bar_w - 2, _CLIP_BOX_H - 2, _CLIP_OFF)
            self._paint_scale(painter, g, fm)
        self._paint_labels(painter, g, fm)
        painter.end()
        self._static = pixmap
        return pixmap

    def _readout_pixmap(self, g: _Geometry) -> QPixmap:
        """The numbers above the bars, rendered again only when they (or a latch) change."""
        clipped = self._clipped.tobytes()
        if self._readout is not None and clipped == self._readout_clipped:
            return self._readout
        ratio = self.devicePixelRatioF()
        width = max(1, math.ceil(len(self._names) * g.slot_w) + 1)
        pixmap = QPixmap(math.ceil(width * ratio), max(1, math.ceil(g.readout_h * ratio)))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(_BACKGROUND)
        painter = QPainter(pixmap)
        painter.setFont(self._small_font)
        for i, text in enumerate(self._texts(g)):
            painter.setPen(_NUMBER_CLIPPED if self._clipped[i] else _NUMBER_TEXT)
            left = int(g.slots_left + i * g.slot_w) - g.slots_left
            rect = QRect(left, 0, int(g.slot_w), g.readout_h)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.end()
        self._readout, self._readout_clipped = pixmap, clipped
        return pixmap

    def _paint_scale(self, painter: QPainter, g: _Geometry, fm: QFontMetrics) -> None:
        """The dBFS scale: tick marks and right-aligned labels, plus a ``dB`` caption on top."""
        half = fm.height() / 2
        labelled: list[float] = []
        for tick in self._ticks_by_priority():
            y = g.bar_bottom - bar_height(tick, self._min_db, g.bar_span)
            painter.setPen(_SCALE_TICK)
            painter.drawLine(g.scale_right - _TICK_LEN, y, g.scale_right - 1, y)
            # A short meter cannot label every tick: the less important ones give way.
            if any(abs(y - other) < fm.height() + 2 for other in labelled):
                continue
            labelled.append(y)
            painter.setPen(_SCALE_TEXT)
            rect = QRectF(0, y - half, g.scale_right - _TICK_LEN - 3, fm.height())
            flags = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(rect, flags, format_db(tick, 0))
        painter.setPen(_SCALE_TEXT)
        caption = QRect(0, g.readout_top, g.scale_right - _TICK_LEN - 3, g.readout_h)
        flags = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(
            caption, flags, "dBFS" if caption.width() >= fm.horizontalAdvance("dBFS") else "dB"
        )

    def _paint_labels(self, painter: QPainter, g: _Geometry, fm: QFontMetrics) -> None:
        """Channel names under the bars: centred, elided, or rotated when the slots are narrow.

        Long names are elided in the middle: names like "Mic input 12" differ at the end.
        """
        painter.setPen(_LABEL_TEXT)
        for i, name in enumerate(self._names):
            left = g.slots_left + i * g.slot_w
            if g.rotate_labels:
                text = fm.elidedText(name, Qt.TextElideMode.ElideMiddle, g.label_h - 4)
                painter.save()
                painter.translate(left + g.slot_w / 2, g.label_top + g.label_h)
                painter.rotate(-90)
                rect = QRectF(2, -fm.height() / 2, g.label_h - 4, fm.height())
                flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
                painter.drawText(rect, flags, text)
                painter.restore()
            else:
                text = fm.elidedText(name, Qt.TextElideMode.ElideMiddle, int(g.slot_w) - 2)
                rect = QRectF(left, g.label_top, g.slot_w, g.label_h)
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _texts(self, g: _Geometry) -> list[str]:
        """The readout strings, formatted once per refresh rather than once per frame."""
        if len(self._shown_text) != len(self._names):
            self._shown_text = [
                format_db(v, g.decimals) if g.decimals >= 0 else "" for v in self._shown_hold
            ]
        return self._shown_text

    def _click_target(self, pos: QPointF) -> int | None:
        """-1 over the scale, a channel index over its number or clip box, else None."""
        g = self._layout()
        if pos.y() < g.readout_top - _MARGIN or pos.y() > g.bar_bottom:
            return None
        if pos.x() < g.scale_right:
            return -1
        if pos.y() <= g.clip_top + _CLIP_BOX_H + _GAP:
            return self.channel_at(pos.x())
        return None

    def _tooltip_at(self, pos: QPointF) -> str:
        """Exact figures for the channel under ``pos`` (or what a scale click does)."""
        g = self._layout()
        if pos.x() < g.scale_right and pos.y() <= g.bar_bottom:
            return "Click to reset all clip indicators"
        channel = self.channel_at(pos.x())
        if channel is None:
            return ""
        lines = [
            f"<b>{self._names[channel]}</b>",
            f"Peak {format_db(self._peak[channel])} dBFS",
            f"RMS {format_db(self._rms[channel])} dBFS",
            f"Hold {format_db(self._hold[channel])} dBFS",
        ]
        if self._clipped[channel]:
            lines.append("<span style='color:#ff6b6b'>Clipped</span>: click the box to reset")
        return "<br>".join(lines)
