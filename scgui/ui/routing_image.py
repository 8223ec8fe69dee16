"""A picture of a routing check: the out -> in level matrix as a heatmap, with the verdicts.

Used for ``scgui check-routing --report F.png`` and for exporting from the window. Drawn with
QPainter on a QImage, so it needs a ``QGuiApplication`` but no window and no display: when
none exists, :func:`render_routing_png` creates one, on the ``offscreen`` platform if there is
no display.

Reading the picture: rows are output channels, columns input channels. A cell's colour is the
level at which the output arrives on that input (dB relative to what was played, pale = quiet,
deep blue = 0 dB), with the number written in it; empty cells are below the noise floor. The
expected input of each output is outlined. The verdict of each output is the coloured badge at
the end of its row, followed by any warning (low level, inverted polarity).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from scgui.channel_text import channel_label, format_channel_number
from scgui.measure.routing import RoutingReport, Status

if TYPE_CHECKING:
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter

__all__ = ["level_color", "render_routing_image", "render_routing_png"]

# A sequential scale from pale yellow to deep blue (the ColorBrewer "YlGnBu" anchors): dark
# means loud, it stays readable in greyscale print, and it does not clash with the red/green
# of the verdict badges.
_SCALE = (
    "#ffffd9",
    "#edf8b1",
    "#c7e9b4",
    "#7fcdbb",
    "#41b6c4",
    "#1d91c0",
    "#225ea8",
    "#0c2c84",
)

_STATUS_COLORS = {
    Status.PASS: "#2e7d32",
    Status.WRONG: "#c62828",
    Status.MISSING: "#6d6d6d",
    Status.CROSSTALK: "#e65100",
}

_INK = "#202124"
_MUTED = "#5f6368"
_GRID = "#dadce0"

_INVERTED = "ø"
"""The mark of a path that arrives with inverted polarity (the usual phase-invert symbol)."""

_CELL_W = 46
_CELL_H = 30
_MARGIN = 24

_app: QGuiApplication | None = None


def _ensure_app() -> None:
    """Make sure a QGuiApplication exists (fonts and painting need one)."""
    global _app
    from PySide6.QtGui import QGuiApplication

    existing = QGuiApplication.instance()
    if existing is not None:
        if not isinstance(existing, QGuiApplication):
            raise RuntimeError(
                "a QCoreApplication exists: drawing the routing picture needs a QGuiApplication"
            )
        return
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    ):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _app = QGuiApplication([sys.argv[0] if sys.argv else "scgui"])


def level_color(level_db: float, floor_db: float = -80.0) -> QColor:
    """The heatmap colour of a level: ``floor_db`` and below -> palest, 0 dB and above -> deepest.

    Interpolated linearly between the anchors of the scale.
    """
    from PySide6.QtGui import QColor

    t = min(1.0, max(0.0, (level_db - floor_db) / (0.0 - floor_db)))
    position = t * (len(_SCALE) - 1)
    index = min(int(position), len(_SCALE) - 2)
    frac = position - index
    a, b = QColor(_SCALE[index]), QColor(_SCALE[index + 1])
    return QColor(
        round(a.red() + (b.red() - a.red()) * frac),
        round(a.green() + (b.green() - a.green()) * frac),
        round(a.blue() + (b.blue() - a.blue()) * frac),
    )


def _outline(painter: QPainter, cell: QRectF) -> None:
    """Outline ``cell`` as the expected one: a dark frame with a white line inside it."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QPen

    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(QColor(_INK), 2.0))
    painter.drawRect(cell.adjusted(1.0, 1.0, -1.0, -1.0))
    painter.setPen(QPen(QColor("white"), 1.2))
    painter.drawRect(cell.adjusted(2.8, 2.8, -2.8, -2.8))


def render_routing_image(report: RoutingReport, scale: float = 2.0) -> QImage:
    """Draw ``report`` and return the image (``scale`` device pixels per logical pixel).

    A QGuiApplication must exist (see :func:`render_routing_png`, which makes one).
    """
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen

    matrix = report.matrix
    floor = report.thresholds.floor_db
    n_out, n_in = len(matrix.outputs), len(matrix.inputs)

    base = QFont()
    base.setPixelSize(12)
    small = QFont(base)
    small.setPixelSize(11)
    title_font = QFont(base)
    title_font.setPixelSize(17)
    title_font.setBold(True)
    bold = QFont(base)
    bold.setBold(True)
    tiny = QFont(base)
    tiny.setPixelSize(10)
    tiny.setBold(True)
    badge_font = QFont(small)
    badge_font.setBold(True)
    fm, fm_small, fm_badge = QFontMetricsF(base), QFontMetricsF(small), QFontMetricsF(badge_font)

    out_labels = [channel_label(o, matrix.output_name(o), "  ") for o in matrix.outputs]
    in_labels = [channel_label(i, matrix.input_name(i), "  ") for i in matrix.inputs]
    caption = "output ↓   input →"
    row_label_w = (
        max([fm.horizontalAdvance(t) for t in out_labels] + [fm_small.horizontalAdvance(caption)])
        + 16
    )
    col_label_h = max([fm.horizontalAdvance(t) for t in in_labels] + [40.0]) + 12
    badge_w = max(fm_badge.horizontalAdvance(s.value.upper()) for s in Status) + 18
    notes = []
    for result in report.results:
        words = list(result.warnings)
        if result.status is Status.WRONG and result.arrives_on:
            words.insert(0, "on " + ", ".join(format_channel_number(i) for i in result.arrives_on))
        elif result.status is Status.CROSSTALK:
            words.insert(
                0, "also on " + ", ".join(format_channel_number(i) for i in result.crosstalk)
            )
        notes.append("; ".join(words))
    notes_w = max([fm_small.horizontalAdvance(t) for t in notes] + [0.0])

    devices = " → ".join(
        str(report.info[k]) for k in ("output_device", "input_device") if report.info.get(k)
    )
    details = [f"{matrix.samplerate / 1000:g} kHz"]
    if "level_db" in report.info:
        details.append(f"signal {report.info['level_db']:g} dBFS")
    subtitle = " · ".join([devices, *details] if devices else details)

    summary = report.summary()
    grid_x = _MARGIN + row_label_w
    header_top = _MARGIN + 57 + 18
    grid_y = header_top + col_label_h
    grid_w, grid_h = n_in * _CELL_W, n_out * _CELL_H
    status_x = grid_x + grid_w + 14
    legend_y = grid_y + grid_h + 26
    width = max(
        status_x + badge_w + 10 + notes_w + _MARGIN,
        _MARGIN * 2 + fm.horizontalAdvance(subtitle) + 10,
        _MARGIN * 2 + QFontMetricsF(bold).horizontalAdvance(summary) + 10,
        # the legend: colour bar, "expected input" key, "polarity inverted" key
        _MARGIN * 2
        + 220
        + 36
        + 34
        + fm_small.horizontalAdvance("expected input")
        + 28
        + 30
        + fm_small.horizontalAdvance("polarity inverted")
        + 8,
    )
    height = legend_y + 58 + _MARGIN

    image = QImage(
        round(width * scale), round(height * scale), QImage.Format.Format_ARGB32_Premultiplied
    )
    image.setDevicePixelRatio(scale)
    image.fill(QColor("white"))
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)

        # Title, devices, verdict.
        painter.setPen(QColor(_INK))
        painter.setFont(title_font)
        painter.drawText(QPointF(_MARGIN, _MARGIN + 17), "Routing check")
        verdict = "PASS" if report.all_passed else "FAIL"
        verdict_color = _STATUS_COLORS[Status.PASS if report.all_passed else Status.WRONG]
        title_w = QFontMetricsF(title_font).horizontalAdvance("Routing check")
        painter.setPen(QColor(verdict_color))
        painter.drawText(QPointF(_MARGIN + title_w + 12, _MARGIN + 17), verdict)
        painter.setFont(base)
        painter.setPen(QColor(_MUTED))
        painter.drawText(QPointF(_MARGIN, _MARGIN + 38), subtitle)
        painter.setFont(bold)
        painter.setPen(QColor(verdict_color))
        painter.drawText(QPointF(_MARGIN, _MARGIN + 57), summary)

        # Axis captions.
        painter.setFont(small)
        painter.setPen(QColor(_MUTED))
        painter.drawText(
            QRectF(_MARGIN, grid_y - 18, row_label_w - 10, 16),
            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            caption,
        )
        painter.drawText(
            QRectF(status_x, grid_y - 18, badge_w + notes_w + 10, 16),
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            "verdict",
        )

        # Input labels, rotated, reading upwards, one per column.
        painter.setFont(base)
        painter.setPen(QColor(_INK))
        for c, label in enumerate(in_labels):
            painter.save()
            painter.translate(grid_x + c * _CELL_W + _CELL_W / 2 + fm.ascent() / 2 - 2, grid_y - 6)
            painter.rotate(-90)
            painter.drawText(QPointF(0, 0), label)
            painter.restore()

        # Rows: label, cells, badge, notes.
        for r, result in enumerate(report.results):
            y = grid_y + r * _CELL_H
            painter.setFont(base)
            painter.setPen(QColor(_INK))
            painter.drawText(
                QRectF(_MARGIN, y, row_label_w - 10, _CELL_H),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                out_labels[r],
            )
            for c in range(n_in):
                x = grid_x + c * _CELL_W
                cell = QRectF(x, y, _CELL_W, _CELL_H)
                level = float(matrix.gain_db[r, c])
                if level >= floor:
                    fill = level_color(level, floor)
                    painter.fillRect(cell, fill)
                    text = f"{level:.0f}" if level < -9.95 else f"{level:.1f}"
                    if text in ("-0.0", "0"):
                        text = "0.0"
                    dark = fill.lightnessF() < 0.55
                    painter.setPen(QColor("white") if dark else QColor(_INK))
                    painter.setFont(small)
                    painter.drawText(cell, int(Qt.AlignmentFlag.AlignCenter), text)
                    if matrix.polarity[r, c] < 0:
                        painter.setFont(tiny)
                        painter.drawText(
                            cell.adjusted(0, 1, -4, 0),
                            int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop),
                            _INVERTED,
                        )
                else:
                    painter.fillRect(cell, QColor("#fafafa"))
            # Grid lines over the row.
            painter.setPen(QPen(QColor(_GRID), 1))
            painter.drawLine(QPointF(grid_x, y), QPointF(grid_x + grid_w, y))

            badge = QRectF(status_x, y + 5, badge_w, _CELL_H - 10)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(_STATUS_COLORS[result.status]))
            painter.drawRoundedRect(badge, 4, 4)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QColor("white"))
            painter.setFont(badge_font)
            painter.drawText(badge, int(Qt.AlignmentFlag.AlignCenter), result.status.value.upper())
            if notes[r]:
                painter.setPen(QColor(_MUTED))
                painter.setFont(small)
                painter.drawText(
                    QRectF(status_x + badge_w + 10, y, notes_w + 4, _CELL_H),
                    int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                    notes[r],
                )
        painter.setPen(QPen(QColor(_GRID), 1))
        painter.drawLine(
            QPointF(grid_x, grid_y + grid_h), QPointF(grid_x + grid_w, grid_y + grid_h)
        )
        for c in range(n_in + 1):
            x = grid_x + c * _CELL_W
            painter.drawLine(QPointF(x, grid_y), QPointF(x, grid_y + grid_h))

        # The expected input of each output, outlined (drawn last so no fill covers it):
        # dark outside, a white line inside, so it shows on pale and on deep cells alike.
        for r, result in enumerate(report.results):
            if result.expected is not None and result.expected in matrix.inputs:
                c = matrix.column(result.expected)
                _outline(
                    painter, QRectF(grid_x + c * _CELL_W, grid_y + r * _CELL_H, _CELL_W, _CELL_H)
                )

        # Legend: the colour scale and what the outline means.
        bar = QRectF(_MARGIN, legend_y + 14, 220, 12)
        steps = 110
        for k in range(steps):
            level = floor + (0.0 - floor) * k / (steps - 1)
            painter.fillRect(
                QRectF(bar.x() + bar.width() * k / steps, bar.y(), bar.width() / steps + 0.6,
                       bar.height()),
                level_color(level, floor),
            )  # fmt: skip
        painter.setPen(QPen(QColor(_GRID), 1))
        painter.drawRect(bar)
        painter.setFont(small)
        painter.setPen(QColor(_MUTED))
        painter.drawText(QPointF(_MARGIN, legend_y + 8), "level re played signal (dB)")
        ticks = 5
        for k in range(ticks):
            level = floor + (0.0 - floor) * k / (ticks - 1)
            x = bar.x() + bar.width() * k / (ticks - 1)
            text = f"{level:.0f}"
            w = fm_small.horizontalAdvance(text)
            painter.drawText(
                QPointF(min(max(x - w / 2, bar.x()), bar.right() - w), bar.bottom() + 14), text
            )
        key_x = bar.right() + 36
        painter.fillRect(QRectF(key_x, legend_y + 10, 26, 18), level_color(0.0, floor))
        _outline(painter, QRectF(key_x, legend_y + 10, 26, 18))
        painter.setPen(QColor(_MUTED))
        painter.drawText(QPointF(key_x + 34, legend_y + 23), "expected input")
        painter.fillRect(QRectF(key_x, legend_y + 34, 26, 18), QColor("#fafafa"))
        painter.setPen(QPen(QColor(_GRID), 1))
        painter.drawRect(QRectF(key_x, legend_y + 34, 26, 18))
        painter.setPen(QColor(_MUTED))
        painter.drawText(QPointF(key_x + 34, legend_y + 47), f"below {floor:g} dB")
        pol_x = key_x + 34 + fm_small.horizontalAdvance("expected input") + 28
        painter.setFont(tiny)
        painter.drawText(
            QRectF(pol_x, legend_y + 10, 26, 18), int(Qt.AlignmentFlag.AlignCenter), _INVERTED
        )
        painter.setFont(small)
        painter.drawText(QPointF(pol_x + 30, legend_y + 23), "polarity inverted")
    finally:
        painter.end()
    return image


def render_routing_png(report: RoutingReport, path: str | Path, scale: float = 2.0) -> Path:
    """Write the picture of ``report`` to ``path`` as PNG and return the path.

    Creates a QGuiApplication when none exists (on the ``offscreen`` platform when there is
    no display), so it works from the command line and from scripts. Raises ``OSError`` when
    the file cannot be written.
    """
    _ensure_app()
    path = Path(path)
    image = render_routing_image(report, scale)
    # The stubs say format is bytes; PySide6 6.11 refuses bytes there and takes str.
    if not image.save(str(path), "PNG"):  # type: ignore[call-overload]
        raise OSError(f"could not write the picture to {path}")
    return path
