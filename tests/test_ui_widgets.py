"""Tests of the drawing widgets: MeterBank, WaveformView and SpectrumView (pytest-qt, offscreen)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPixmap
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from scgui.engine.ringbuffer import RingBuffer
from scgui.ui import meters, waveforms
from scgui.ui.envelope import RollingEnvelope, peak_envelope
from scgui.ui.meters import FLOOR_DB, MeterBank, bar_height, bar_heights, format_db
from scgui.ui.spectrum_view import SpectrumView, column_envelope, find_peak, format_frequency
from scgui.ui.waveforms import VIEW_BACKGROUND, Y_LIMIT, WaveformView, channel_color

RATE = 48000


def levels(*db: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Peak ``db``, RMS 3 dB lower, hold = peak, nothing clipped."""
    peak = np.asarray(db, dtype=np.float64)
    return peak, peak - 3.0, peak, np.zeros(len(db), dtype=bool)


def shown_meter(qtbot: QtBot, names: list[str], width: int = 320, height: int = 300) -> MeterBank:
    bank = MeterBank()
    qtbot.addWidget(bank)
    bank.set_channels(names)
    bank.resize(max(width, bank.minimumWidth()), height)
    bank.show()
    qtbot.waitExposed(bank)
    return bank


def _pixels(image: QImage) -> np.ndarray:
    """A grabbed image as ``height x width`` RGB32 values."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB32)
    flat = np.frombuffer(rgb.constBits(), dtype=np.uint32, count=rgb.width() * rgb.height())
    return flat.reshape(rgb.height(), rgb.width()).copy()


def brightness(rgb: np.ndarray | int) -> np.ndarray:
    """The luma of RGB32 values (0 .. 255)."""
    values = np.asarray(rgb, dtype=np.uint32)
    red, green, blue = (values >> 16) & 255, (values >> 8) & 255, values & 255
    return 0.299 * red + 0.587 * green + 0.114 * blue


class Picture:
    """A grabbed widget in its device pixels, read with the widget's logical coordinates.

    A grab holds ``ratio`` device pixels to each logical pixel (the scale factor, such as
    ``QT_SCALE_FACTOR``; 1 in CI), and every test maps its logical coordinates here. An
    aliased fill from logical edge ``a`` to ``b`` covers the device pixels ``edge(a)`` to
    ``edge(b) - 1``: Qt rounds each scaled edge half up. At a fractional ratio a logical pixel
    is ``floor(ratio)`` or ``ceil(ratio)`` device pixels (1 or 2 at 1.25 and 1.5), so the
    tests compare device pixels with the spans of what was painted, never a fixed count.
    """

    def __init__(self, grabbed: QPixmap | QImage) -> None:
        image = grabbed.toImage() if isinstance(grabbed, QPixmap) else grabbed
        self.ratio = image.devicePixelRatio()
        self.pixels = _pixels(image)

    def edge(self, logical: float) -> int:
        """The device pixel boundary where a fill's logical edge ``logical`` lands."""
        return math.floor(logical * self.ratio + 0.5)

    def span(self, start: float, stop: float) -> slice:
        """The device pixels (rows or columns) a fill from ``start`` to ``stop`` covers."""
        return slice(self.edge(start), self.edge(stop))

    def rect(self, rect: QRect | QRectF) -> tuple[slice, slice]:
        """The ``(rows, columns)`` of the device pixels a fill of ``rect`` covers."""
        return (
            self.span(rect.y(), rect.y() + rect.height()),
            self.span(rect.x(), rect.x() + rect.width()),
        )

    def covering(self, rect: QRectF) -> tuple[slice, slice]:
        """The ``(rows, columns)`` of every device pixel some part of ``rect`` falls on."""
        ratio = self.ratio
        return (
            slice(math.floor(rect.top() * ratio), math.ceil(rect.bottom() * ratio)),
            slice(math.floor(rect.left() * ratio), math.ceil(rect.right() * ratio)),
        )

    def centre(self, logical: int) -> int:
        """The device pixel at the centre of logical pixel ``logical`` (a row or column)."""
        return math.floor((logical + 0.5) * self.ratio)

    def at(self, x: int, y: int) -> int:
        """The RGB32 value at the centre of the logical pixel ``(x, y)``."""
        return int(self.pixels[self.centre(y), self.centre(x)])


# -- MeterBank -------------------------------------------------------------------------------


def test_bar_height_is_linear_in_db_and_clamped() -> None:
    assert bar_height(0.0, -60.0, 300) == 300
    assert bar_height(-30.0, -60.0, 300) == 150
    assert bar_height(-60.0, -60.0, 300) == 0
    assert bar_height(-120.0, -60.0, 300) == 0
    assert bar_height(+3.0, -60.0, 300) == 300
    assert bar_height(float("nan"), -60.0, 300) == 0
    assert list(bar_heights(np.array([-6.0, -12.0]), -60.0, 60)) == [54, 48]


def test_format_db() -> None:
    assert format_db(-12.34) == "−12.3"
    assert format_db(-12.34, 0) == "−12"
    assert format_db(FLOOR_DB) == "−inf"
    assert format_db(0.4) == "+0.4"
    assert format_db(-0.01) == "0.0"


@pytest.mark.parametrize("count", [1, 2, 8, 32])
def test_meter_bank_paints_any_channel_count(qtbot: QtBot, count: int) -> None:
    bank = shown_meter(qtbot, [str(i + 1) for i in range(count)])
    peak = np.linspace(-50.0, 0.0, count)
    clipped = np.zeros(count, dtype=bool)
    clipped[-1] = True
    bank.set_levels(peak, peak - 3.0, peak + 1.0, clipped)
    image = bank.grab().toImage()
    assert not image.isNull()
    assert image.width() >= Picture(image).edge(bank.minimumWidth())  # in device pixels
    assert bank.channel_names() == [str(i + 1) for i in range(count)]
    assert len(bank.readout_texts()) == count
    # Every bar lies inside the widget, left to right, without overlapping.
    rects = [bank.bar_rect(i) for i in range(count)]
    assert all(r.left() >= 0 and r.right() < bank.width() and r.height() > 0 for r in rects)
    assert all(a.right() < b.left() for a, b in itertools.pairwise(rects))


def test_minimum_width_grows_with_many_channels(qtbot: QtBot) -> None:
    bank = MeterBank()
    qtbot.addWidget(bank)
    bank.set_channels([str(i) for i in range(8)])
    eight = bank.minimumWidth()
    bank.set_channels([str(i) for i in range(32)])
    assert bank.minimumWidth() > 3 * eight // 2


def test_louder_channel_draws_taller_bar(qtbot: QtBot) -> None:
    bank = shown_meter(qtbot, ["quiet", "loud"])
    bank.set_levels(*levels(-45.0, -3.0))  # RMS -48 and -6 dBFS
    picture = Picture(bank.grab())
    quiet, loud = bank.bar_rect(0), bank.bar_rect(1)
    # At -30 dBFS the loud channel's solid bar is lit, the quiet one shows its dark trough.
    y = quiet.bottom() - bar_height(-30.0, bank.min_db(), quiet.height())
    lit = brightness(picture.at(loud.center().x(), y))
    dark = brightness(picture.at(quiet.center().x(), y))
    assert lit > dark + 60
    # Both are lit near the bottom of the scale.
    y_low = quiet.bottom() - bar_height(-55.0, bank.min_db(), quiet.height())
    assert brightness(picture.at(quiet.center().x(), y_low)) > dark + 60


def test_meter_paints_clip_box_hold_tick_and_numbers(qtbot: QtBot) -> None:
    bank = shown_meter(qtbot, ["1", "2"])
    bank.set_levels(
        np.array([-20.0, -20.0]),
        np.array([-26.0, -26.0]),
        np.array([-10.0, -10.0]),
        np.array([False, True]),
    )
    picture = Picture(bank.grab())
    first, second = bank.clip_box_rect(0).center(), bank.clip_box_rect(1).center()
    lit = QColor(picture.at(second.x(), second.y()))
    unlit = QColor(picture.at(first.x(), first.y()))
    assert lit.red() > 180 and lit.green() < 120  # red while latched
    assert unlit.red() < 80
    bar = bank.bar_rect(0)
    tick_y = bar.bottom() - bar_height(-10.0, bank.min_db(), bar.height()) + 1
    assert brightness(picture.at(bar.center().x(), tick_y)) > 200  # the bright hold tick
    # The row of numbers above the clip box: every device pixel of those logical ones.
    readout = brightness(
        picture.pixels[
            picture.span(2, bank.clip_box_rect(0).top() - 1),
            picture.span(bar.left() - 4, bar.right() + 4),
        ]
    )
    assert readout.max() > 150 > readout.min()  # light text on the dark background


def test_scale_ticks_cross_every_bar_as_one_pixel_lines(qtbot: QtBot) -> None:
    """At each tick of the scale a line of the background colour, one pixel high, runs
    across every bar, lit or not, and across the gaps between them.

    In device pixels a line is a run of ``floor(ratio)`` or ``ceil(ratio)`` rows centred on
    its tick: exactly one at a scale factor of 1, two at 2; at 1.25 or 1.5 its edges, half a
    logical pixel either side of the tick, fall inside device pixels and Qt rounds them, so
    one or two rows, half a device pixel at most off the tick's scaled position."""
    bank = shown_meter(qtbot, ["1", "2", "3"])
    bank.set_levels(*levels(0.0, 0.0, -70.0))  # two bars lit to the top, one dark
    picture = Picture(bank.grab())
    pixels, ratio = picture.pixels, picture.ratio
    background = meters._BACKGROUND.rgb() & 0xFFFFFFFF
    first, last = bank.bar_rect(0), bank.bar_rect(2)
    x = picture.centre(first.center().x())
    inside = picture.span(first.top() + 1, first.bottom())  # the bar's rows but its ends
    across = picture.span(first.left(), last.right() + 1)
    rows = np.flatnonzero(pixels[inside, x] == background) + inside.start
    lines = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1) if len(rows) else []
    ticks = [t for t in meters.SCALE_TICKS_DB if bank.min_db() < t < 0]
    assert len(lines) == len(ticks)
    bottom = first.top() + first.height()  # the scale's bottom edge
    for line, tick in zip(lines, sorted(ticks, reverse=True), strict=True):
        assert len(line) in (math.floor(ratio), math.ceil(ratio))  # one logical pixel high
        y = bottom - bar_height(tick, bank.min_db(), first.height())
        assert abs((line[0] + line[-1] + 1) / 2 - y * ratio) <= 0.5  # at its tick
        assert (pixels[line[0] : line[-1] + 1, across] == background).all()
        assert pixels[line[0] - 1, x] != background  # lit around it
        assert pixels[line[-1] + 1, x] != background
    lit_rows = pixels[inside, x]
    assert (lit_rows != background).sum() == len(lit_rows) - sum(map(len, lines))


def _kinds_down_the_bar(bank: MeterBank, picture: Picture, channel: int) -> str:
    """What each device pixel of a bar's centre column shows, bottom row first: ``r`` RMS,
    ``p`` peak, ``u`` unlit trough, ``h`` hold tick, ``-`` background (a tick line), by the
    nearest of the meter's colours."""
    palette = {
        **{colour.rgb(): "u" for colour in (zone[0] for zone in meters._ZONE_COLOURS)},
        **{colour.rgb(): "p" for colour in (zone[1] for zone in meters._ZONE_COLOURS)},
        **{colour.rgb(): "r" for colour in (zone[2] for zone in meters._ZONE_COLOURS)},
        meters._HOLD_TICK.rgb(): "h",
        meters._BACKGROUND.rgb(): "-",
    }
    colours = np.array([[(c >> 16) & 255, (c >> 8) & 255, c & 255] for c in palette], float)
    kinds = list(palette.values())
    bar = bank.bar_rect(channel)
    rows, _ = picture.rect(bar)
    column = picture.pixels[rows, picture.centre(bar.center().x())][::-1]
    rgb = np.stack([(column >> 16) & 255, (column >> 8) & 255, column & 255], axis=1)
    nearest = np.abs(rgb[:, None, :].astype(float) - colours[None]).sum(axis=2).argmin(axis=1)
    return "".join(kinds[i] for i in nearest)


def test_each_bar_is_rms_then_peak_then_unlit_with_the_hold_tick_on_top(qtbot: QtBot) -> None:
    """Row by row up each bar: RMS to its height, the lighter peak above it to the peak's,
    the unlit trough above that, the hold tick over two rows at the hold; a level that the
    scale cannot show (silence, NaN, below the range) lights nothing.

    Each part is a rectangle of logical pixels (a tick line the one centred on its tick), so
    the device rows it shows in are those Qt fills for it (:class:`Picture`): one a logical
    row at a scale factor of 1, two at 2, one or two at 1.25 and 1.5. A part one logical
    pixel too high or too low changes at least one device row."""
    bank = shown_meter(qtbot, ["1", "2", "3", "4", "5"], width=400)
    peak = np.array([-10.0, -30.0, np.nan, -20.0, 2.0])
    rms = np.array([-16.0, -30.0, -70.0, -5.0, -40.0])  # the fourth's RMS above its peak
    hold = np.array([-4.0, FLOOR_DB, -50.0, -20.0, 0.0])
    bank.set_levels(peak, rms, hold, np.zeros(5, dtype=bool))
    picture = Picture(bank.grab())
    span, min_db = bank.bar_rect(0).height(), bank.min_db()
    top = bank.bar_rect(0).top()
    bottom = top + span  # the scale's bottom edge: a bar of height h fills bottom - h .. bottom
    ticks = [bottom - bar_height(t, min_db, span) for t in meters.SCALE_TICKS_DB if min_db < t < 0]
    rows = picture.span(top, bottom)  # the bars' device rows

    def down_to_bottom(start: float, stop: float) -> slice:
        """The device rows of the bars, from their top, that a fill of ``start .. stop``
        covers."""
        cover = picture.span(start, stop)
        return slice(max(0, cover.start - rows.start), max(0, cover.stop - rows.start))

    for channel in range(5):
        top_peak, top_rms, top_hold = (
            bar_height(float(v[channel]), min_db, span) for v in (peak, rms, hold)
        )
        expected = np.full(rows.stop - rows.start, "u")
        expected[down_to_bottom(bottom - top_peak, bottom)] = "p"
        expected[down_to_bottom(bottom - top_rms, bottom)] = "r"
        for y in ticks:  # a one-pixel line centred on the tick
            expected[down_to_bottom(y - 0.5, y + 0.5)] = "-"
        if top_hold:
            expected[down_to_bottom(bottom - top_hold, bottom - top_hold + 2)] = "h"
        seen = _kinds_down_the_bar(bank, picture, channel)
        assert seen == "".join(expected[::-1]), f"channel {channel + 1}"
    # Nothing lit outside the bars: below the numbers, the picture is that of silence there.
    bank.set_levels(*levels(*[FLOOR_DB] * 5))
    silent = Picture(bank.grab()).pixels
    pixels = picture.pixels
    outside = np.ones(pixels.shape, dtype=bool)
    outside[: picture.edge(bank.clip_box_rect(0).top())] = False
    for channel in range(5):
        outside[picture.rect(bank.bar_rect(channel))] = False
    assert (pixels[outside] == silent[outside]).all()


def test_troughs_and_clip_boxes_are_framed_by_one_pixel_outlines_at_any_scale(
    qtbot: QtBot,
) -> None:
    """Each outline is the ring of logical pixels around what it frames, in the device
    pixels Qt fills for it: no background between the outline and the trough or box, and
    none of the outline over them (a pen's line lies half a pixel off at scale factors other
    than 1: a gap on one side, over the fill on the other)."""
    bank = shown_meter(qtbot, ["free", "latched"])
    peak, rms, hold, _ = levels(FLOOR_DB, FLOOR_DB)
    bank.set_levels(peak, rms, hold, np.array([False, True]))
    picture = Picture(bank.grab())
    pixels = picture.pixels
    edge, clip_edge = meters._TROUGH_EDGE.rgb(), meters._CLIP_OFF_EDGE.rgb()
    for channel, inside in ((0, meters._CLIP_OFF.rgb()), (1, meters._CLIP_ON.rgb())):
        bar = bank.bar_rect(channel)
        left, right, top, bottom = bar.x(), bar.x() + bar.width(), bar.y(), bar.y() + bar.height()
        row = pixels[picture.centre(top + 2)]  # above the first tick line
        assert (row[picture.span(left - 1, left)] == edge).all()
        assert (row[picture.span(right, right + 1)] == edge).all()
        assert (row[picture.span(left - 2, left - 1)] != edge).all()  # the gap between slots
        assert (row[picture.span(left, right)] != edge).all()  # the trough itself
        column = pixels[:, picture.centre((left + right) // 2)]
        assert (column[picture.span(top - 1, top)] == edge).all()
        assert (column[picture.span(bottom, bottom + 1)] == edge).all()
        assert (column[picture.span(top, top + 1)] != edge).all()
        assert (column[picture.span(bottom - 1, bottom)] != edge).all()
        box = bank.clip_box_rect(channel)
        left, right, top, bottom = box.x(), box.x() + box.width(), box.y(), box.y() + box.height()
        row = pixels[picture.centre((top + bottom) // 2)]
        assert (row[picture.span(left, left + 1)] == clip_edge).all(), channel
        assert (row[picture.span(right - 1, right)] == clip_edge).all(), channel
        assert (row[picture.span(left + 1, right - 1)] == inside).all(), channel
        column = pixels[:, picture.centre((left + right) // 2)]
        assert (column[picture.span(top, top + 1)] == clip_edge).all(), channel
        assert (column[picture.span(bottom - 1, bottom)] == clip_edge).all(), channel
        assert (column[picture.span(top + 1, bottom - 1)] == inside).all(), channel


@pytest.mark.parametrize(
    "seed, channels, width, height", [(1, 6, 360, 320), (2, 6, 360, 320), (3, 10, 622, 300)]
)
def test_the_meters_on_screen_after_live_frames_are_a_full_repaint(
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
    channels: int,
    width: int,
    height: int,
) -> None:
    """Each frame repaints only what the new levels change (bars between their old and new
    edges, clip boxes, the numbers when due): what is on screen, read back from the
    backing store, must equal a picture of the whole bank painted afresh. Levels jump and
    creep, fall to silence and NaN, climb over full scale; latches come and go; the
    numbers change on some frames; some frames bring several levels before a paint. The
    wider bank puts the numbers on an odd logical pixel (half a device pixel at 1.5)."""
    n = channels
    bank = shown_meter(qtbot, [str(i + 1) for i in range(n)], width=width, height=height)
    app = QApplication.instance()
    assert app is not None
    rng = np.random.default_rng(seed)
    peak = np.full(n, -20.0)
    rms = peak - 3.0
    hold = np.full(n, FLOOR_DB)
    clipped = np.zeros(n, dtype=bool)
    for step in range(160):
        monkeypatch.setattr(meters, "NUMBER_INTERVAL_S", 0.0 if step % 9 == 0 else 1e9)
        if step % 4 in (2, 3):  # one channel alone moves, twice (the box is that bar's)
            one = step // 4 % n
            peak, rms, hold = peak.copy(), rms.copy(), hold.copy()
            rms[one] = peak[one] = rng.uniform(-59.0, -30.0)
            hold[one] = rng.choice([FLOOR_DB, -59.8, -59.5, peak[one] + 3.0])
            bank.set_levels(peak, rms, hold, clipped)
            app.processEvents()
            if step % 4 == 3:  # before the next frame repaints the whole box again
                np.testing.assert_array_equal(
                    _on_screen(bank), _pixels(bank.grab().toImage()), f"frame {step}"
                )
            continue
        for _ in range(int(rng.integers(1, 4))):  # one to three levels before the paint
            peak = np.clip(peak + rng.normal(0.0, 3.0, n), -75.0, 4.0)
            jumps = rng.random(n) < 0.1
            peak[jumps] = rng.choice([FLOOR_DB, np.nan, -59.9, -0.1, 2.0], int(jumps.sum()))
            drops = rng.random(n)  # to silence, or below the bars (a hold lags behind)
            hold = np.where(drops < 0.1, FLOOR_DB, np.fmax(hold, peak))
            hold = np.where(drops > 0.9, peak - rng.uniform(0.0, 30.0, n), hold)
            low = rng.random(n) < 0.05  # a tick on the scale's first rows (over the outline)
            hold[low] = rng.uniform(-59.9, -59.0, int(low.sum()))
            clipped = clipped ^ (rng.random(n) < 0.05)
            rms = peak - rng.uniform(-2.0, 12.0, n)
            bank.set_levels(peak, rms, hold, clipped)
        app.processEvents()
        if step % 10 == 9:
            assert bank.readout_texts()  # the numbers are part of the picture
            np.testing.assert_array_equal(
                _on_screen(bank), _pixels(bank.grab().toImage()), f"frame {step}"
            )


def test_set_levels_only_schedules_a_repaint(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    bank = shown_meter(qtbot, ["1", "2"])
    painted: list[int] = []
    original = MeterBank.paintEvent

    def counting_paint(self: MeterBank, event: object) -> None:
        painted.append(1)
        original(self, event)  # type: ignore[arg-type]

    monkeypatch.setattr(MeterBank, "paintEvent", counting_paint)
    bank.set_levels(*levels(-10.0, -20.0))
    assert painted == []  # nothing painted synchronously
    qtbot.waitUntil(lambda: bool(painted))


def test_numbers_refresh_at_most_every_250_ms(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [100.0]
    monkeypatch.setattr(meters, "monotonic", lambda: now[0])
    bank = shown_meter(qtbot, ["1", "2"])
    bank.set_levels(*levels(-12.3, -40.0))
    assert bank.readout_texts() == ["−12.3", "−40.0"]

    now[0] += 0.1
    bank.set_levels(*levels(-6.0, -20.0))
    assert bank.readout_texts() == ["−12.3", "−40.0"]  # too soon: the first numbers stay
    np.testing.assert_allclose(bank.readout_values(), [-12.3, -40.0])

    now[0] += 0.2  # 0.3 s after the first refresh
    bank.set_levels(*levels(-6.0, -20.0))
    assert bank.readout_texts() == ["−6.0", "−20.0"]


def test_click_on_clip_box_requests_reset(qtbot: QtBot) -> None:
    bank = shown_meter(qtbot, ["1", "2", "3"])
    peak, rms, hold, _ = levels(0.0, 0.0, 0.0)
    bank.set_levels(peak, rms, hold, np.array([False, True, False]))
    with qtbot.waitSignal(bank.clipResetRequested, timeout=1000) as blocker:
        qtbot.mouseClick(bank, Qt.MouseButton.LeftButton, pos=bank.clip_box_rect(1).center())
    assert blocker.args == [1]

    scale_point = bank.bar_rect(0).center()
    scale_point.setX(4)
    with qtbot.waitSignal(bank.clipResetRequested, timeout=1000) as blocker:
        qtbot.mouseClick(bank, Qt.MouseButton.LeftButton, pos=scale_point)
    assert blocker.args == [-1]

    # A click inside a bar is not a reset.
    with qtbot.assertNotEmitted(bank.clipResetRequested):
        qtbot.mouseClick(bank, Qt.MouseButton.LeftButton, pos=bank.bar_rect(2).center())


def test_meter_bank_tolerates_wrong_lengths_and_has_accessible_name(qtbot: QtBot) -> None:
    bank = shown_meter(qtbot, ["1", "2", "3"])
    bank.set_levels(*levels(-10.0))  # one value for three channels: the rest read silence
    assert bank.readout_texts() == ["−10.0", "−inf", "−inf"]
    assert bank.accessibleName()
    assert bank.accessibleDescription()
    with pytest.raises(ValueError):
        bank.set_range(3.0)


# -- WaveformView ----------------------------------------------------------------------------


def test_peak_envelope_keeps_bucket_min_and_max() -> None:
    rng = np.random.default_rng(1)
    samples = rng.uniform(-0.5, 0.5, 10_000).astype(np.float32)
    x, y = peak_envelope(samples, 200)
    assert len(x) == len(y) == 200
    assert np.all(np.diff(x) >= 0)
    buckets = samples.reshape(100, 100)
    np.testing.assert_array_equal(y[0::2], buckets.min(axis=1))
    np.testing.assert_array_equal(y[1::2], buckets.max(axis=1))


def test_single_spike_survives_downsampling() -> None:
    samples = np.zeros(96_000, dtype=np.float32)
    samples[40_017] = 0.9
    samples[70_001] = -0.8
    x, y = peak_envelope(samples, 1000)
    assert y.max() == pytest.approx(0.9)
    assert y.min() == pytest.approx(-0.8)
    spike_at = x[np.argmax(y)]
    assert spike_at <= 40_017 < spike_at + 96_000 / 500


def test_peak_envelope_keeps_the_newest_samples_and_short_input() -> None:
    samples = np.arange(1001, dtype=np.float32)  # 1001 does not divide into 10 buckets
    _x, y = peak_envelope(samples, 20)
    assert y[-1] == 1000.0  # the newest sample is never dropped
    x_short, y_short = peak_envelope(samples[:10], 20)
    np.testing.assert_array_equal(y_short, samples[:10])
    np.testing.assert_array_equal(x_short, np.arange(10))


def test_waveform_view_32_channels_8_visible(qtbot: QtBot) -> None:
    view = WaveformView()
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.set_channels([f"ch{i}" for i in range(32)])
    assert view.visible_channels() == list(range(8))
    view.show()
    qtbot.waitExposed(view)
    t = np.arange(3 * RATE) / RATE
    frames = np.sin(2 * np.pi * 100 * t)[:, None] * np.linspace(0.1, 1.0, 32)[None, :]
    view.show_frames(frames.astype(np.float32), RATE)
    for row in range(8):
        x, _y = view.trace(row)
        # At most two points (a bucket's minimum and maximum) per device pixel column.
        assert 0 < len(x) <= 2 * 800 * view.devicePixelRatioF()
        assert x[0] >= -view.window_seconds - 1e-9 and x[-1] <= 0.0
    assert view.trace(7)[1].max() == pytest.approx(frames[-2 * RATE :, 7].max(), rel=1e-5)

    view.set_visible_channels([31, 0, 99, 31, *range(1, 20)])
    assert view.visible_channels() == [31, 0, 1, 2, 3, 4, 5, 6]
    view.show_frames(frames.astype(np.float32), RATE)
    assert view.trace(0)[1].max() == pytest.approx(1.0, abs=1e-3)
    view.show_frames(np.zeros((10, 4), dtype=np.float32), RATE)  # fewer channels: no error
    assert len(view.trace(0)[0]) == 0
    assert not view.grab().isNull()


def _bucket_reference(
    data: np.ndarray, end: int, size: int, window: int, joined: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Min/max of the buckets (aligned on positions) that start inside the newest window."""
    first = max(0, -(-(end - window) // size))
    starts = np.arange(first * size, end, size)
    low = np.array([data[a : min(a + size, end)].min(axis=0) for a in starts])
    high = np.array([data[a : min(a + size, end)].max(axis=0) for a in starts])
    if joined and len(starts) > 1:
        before = data[starts[1:] - 1]
        low[1:], high[1:] = np.minimum(low[1:], before), np.maximum(high[1:], before)
    y = np.empty((data.shape[1], 2 * len(starts)), dtype=np.float32)
    y[:, 0::2], y[:, 1::2] = low.T, high.T
    return np.repeat(starts.astype(np.float64), 2), y


def test_rolling_envelope_does_not_depend_on_how_the_stream_is_cut() -> None:
    rng = np.random.default_rng(7)
    data = rng.uniform(-1, 1, (20_000, 3)).astype(np.float32)
    size, window = 37, 5_000
    envelope = RollingEnvelope(3, size, window)
    cuts = np.sort(rng.choice(np.arange(1, 14_000), size=400, replace=False))
    end = 0
    for index, piece in enumerate(np.split(data, [*cuts, 14_000])):  # the last one > window
        envelope.push(piece, end)
        end += len(piece)
        if index % 25 == 0 or len(piece) > window:
            for joined in (False, True):
                positions, y = envelope.envelope(joined=joined)
                expected_x, expected_y = _bucket_reference(data, end, size, window, joined)
                np.testing.assert_array_equal(positions, expected_x)
                np.testing.assert_array_equal(y, expected_y)
    assert envelope.end == len(data)


def test_rolling_envelope_restarts_after_a_gap() -> None:
    envelope = RollingEnvelope(1, 10, 100)
    envelope.push(np.ones((50, 1), np.float32), 0)
    envelope.push(np.full((25, 1), -1.0, np.float32), 80)  # frames 50..79 never came
    positions, y = envelope.envelope()
    assert positions[0] == 80 and positions[-1] == 100
    assert np.all(y == -1.0)


def _shown_waveforms(qtbot: QtBot, names: list[str]) -> WaveformView:
    """An 800 x 400 waveform view of these channels, on screen."""
    view = WaveformView()
    qtbot.addWidget(view)
    view.resize(800, 400)
    view.set_channels(names)
    view.show()
    qtbot.waitExposed(view)
    return view


def _row_rect(view: WaveformView, row: int, picture: Picture) -> tuple[slice, slice]:
    """The ``(rows, columns)`` of ``picture`` (a grab of the whole view) that a row's plot
    area falls on: the rectangle its data range (the curve's bounds) takes in the view's
    logical pixels as the scene lays it out, not rounded to whole pixels, in device pixels.
    An edge can land in the middle of a device pixel (6 logical pixels at 1.25 are 7.5),
    which the row then rounds either way (:func:`~scgui.ui.waveforms._pixel_mapping`): such
    a pixel counts as the row's."""
    graphics, curve = view._graphics, view._rows[row].curve
    rect = graphics.viewportTransform().mapRect(curve.mapRectToScene(curve.boundingRect()))
    rect.translate(graphics.viewport().mapTo(view, QPoint(0, 0)).toPointF())
    return picture.covering(rect)


def test_a_trace_beyond_full_scale_is_drawn_inside_its_row(qtbot: QtBot) -> None:
    """The rows do not clip (it costs every repaint): the strokes are kept in the row, and a
    signal over full scale fills it from top to bottom."""
    view = _shown_waveforms(qtbot, ["loud", "quiet"])
    data = np.zeros((3 * RATE, 2), np.float32)  # more than the window
    data[::2, 0], data[1::2, 0] = 3.0, -3.0
    view.show_frames(data, RATE)
    picture = Picture(view.grab())
    loud = channel_color(0).rgb() & 0xFFFFFFFF
    rows, columns = _row_rect(view, 0, picture)
    plots = picture.pixels[:, columns] == loud  # the plots' columns (the name is loud too)
    assert plots[rows.start + 1 : rows.stop - 1, 1:-1].mean() > 0.98  # the row is a solid band
    assert plots.sum() == plots[rows].sum()  # and nothing above or below it
    assert view.trace(0)[1].max() == 3.0  # the data keeps its value


@pytest.mark.parametrize("qt_lines", [True, False], ids=["drawLines", "pyqtgraph's paint"])
def test_raw_samples_beyond_full_scale_stay_in_their_row(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, qt_lines: bool
) -> None:
    """A short window shows the samples themselves as a line (fewer than two frames a pixel
    column), which Qt draws: beyond full scale it still stays in the row, whether the row
    hands Qt its segments or (pyqtgraph older than 0.13.2) leaves them to pyqtgraph."""
    if not qt_lines:
        monkeypatch.setattr(waveforms, "_PrimitiveArray", None)
    view = _shown_waveforms(qtbot, ["loud", "quiet"])
    view.set_window_seconds(0.01)  # 480 frames on about 700 pixel columns
    data = np.zeros((RATE // 10, 2), np.float32)
    data[::2, 0], data[1::2, 0] = 50.0, -50.0
    view.show_frames(data, RATE)
    assert view._rows[0].curve.opts["connect"] == "all"
    picture = Picture(view.grab())
    loud = channel_color(0).rgb() & 0xFFFFFFFF
    rows, columns = _row_rect(view, 0, picture)
    plots = picture.pixels[:, columns] == loud
    assert plots[rows][2:-2].any(axis=1).all()  # the line crosses the row from edge to edge
    assert plots.sum() == plots[rows].sum()  # and nothing of it lies above or below


def test_a_row_draws_its_grid_strokes_and_a_silent_channel(qtbot: QtBot) -> None:
    """What the pixel writer puts on screen: the grid behind, a flat line for silence, and
    a half-scale square wave between the rows of +-0.5. The writer works in device pixels
    (a stroke per device pixel column, from the row holding its minimum to the one holding
    its maximum), so silence is one device pixel high at any scale factor."""
    view = _shown_waveforms(qtbot, ["square", "silent"])
    data = np.zeros((2 * RATE, 2), np.float32)
    data[:, 0] = np.where((np.arange(2 * RATE) // 2400) % 2, 0.5, -0.5)
    view.show_frames(data, RATE)
    picture = Picture(view.grab())
    for row, channel in enumerate((0, 1)):
        rows, columns = _row_rect(view, row, picture)
        area = picture.pixels[rows, columns]
        ink_rows = np.flatnonzero((area == (channel_color(channel).rgb() & 0xFFFFFFFF)).any(1))
        background = QColor(VIEW_BACKGROUND).rgb() & 0xFFFFFFFF
        assert (area == background).mean() > 0.5  # the plot's own background
        assert len(np.unique(area)) >= 3  # and grid lines of their own shades
        height = len(area)
        if channel == 1:  # silence: a one-pixel line at zero
            assert len(ink_rows) == 1
            assert abs(ink_rows[0] - height / 2) <= 1.5
        else:  # levels +-0.5 and the edges between them, nothing beyond
            half = 0.5 / (2 * Y_LIMIT) * height
            assert ink_rows.min() == pytest.approx(height / 2 - half, abs=2)
            assert ink_rows.max() == pytest.approx(height / 2 + half, abs=2)


def test_pushed_frames_draw_what_a_whole_block_draws(qtbot: QtBot) -> None:
    """The per-frame path (new frames plus a history) matches a full rebuild, gaps included."""
    views = []
    for _ in range(2):
        view = WaveformView()
        qtbot.addWidget(view)
        view.resize(800, 400)
        view.set_channels([f"ch{i}" for i in range(4)], visible=[3, 1])
        view.show()
        qtbot.waitExposed(view)
        views.append(view)
    live, whole = views
    rng = np.random.default_rng(3)
    data = (rng.standard_normal((3 * RATE, 4)) * 0.3).astype(np.float32)
    ring = RingBuffer(3 * RATE, 4)
    end = 0
    for index, piece in enumerate(np.split(data, range(700, len(data), 768))):
        ring.write(piece)
        end += len(piece)
        if index % 7 == 3:
            continue  # a frame the view never saw: the next push reads the window back
        live.push_frames(piece, end, RATE, ring)
        if index % 20 == 0:
            whole.show_frames(data[:end], RATE)
            for row in range(2):
                np.testing.assert_array_equal(live.trace(row)[0], whole.trace(row)[0])
                np.testing.assert_array_equal(live.trace(row)[1], whole.trace(row)[1])
    x, y = live.trace(0)
    assert x[0] >= -live.window_seconds and x[-1] <= 0.0
    assert y.max() == pytest.approx(data[-2 * RATE :, 3].max(), rel=1e-6)
    live.push_frames(data[:0], end, RATE, ring)  # nothing new: nothing changes
    np.testing.assert_array_equal(live.trace(0)[1], y)


def test_waveform_rows_keep_their_width_when_rebuilt_while_shown(qtbot: QtBot) -> None:
    """Another page of channels must not come out squeezed to a few pixels."""
    view = WaveformView()
    qtbot.addWidget(view)
    view.resize(800, 400)
    view.set_channels([f"ch{i}" for i in range(16)])
    view.show()
    qtbot.waitExposed(view)
    frames = np.ones((2 * RATE, 16), dtype=np.float32)
    view.show_frames(frames, RATE)
    points = len(view.trace(0)[0])
    assert points > 1000  # about two per pixel of a row
    view.set_visible_channels(range(8, 16))
    qtbot.wait(20)
    view.show_frames(frames, RATE)
    assert len(view.trace(0)[0]) > 0.9 * points  # the names column may differ a little


def test_hidden_waveform_view_does_no_work(qtbot: QtBot) -> None:
    view = WaveformView()
    qtbot.addWidget(view)
    view.set_channels(["1", "2"])
    view.show_frames(np.ones((RATE, 2), dtype=np.float32), RATE)
    assert len(view.trace(0)[0]) == 0


# -- SpectrumView ----------------------------------------------------------------------------


def sine_spectrum(freq: float, amplitude: float, size: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """A Hann-windowed magnitude spectrum in dBFS of a sine, computed here with NumPy."""
    t = np.arange(size) / RATE
    window = np.hanning(size)
    spectrum = np.abs(np.fft.rfft(amplitude * np.sin(2 * np.pi * freq * t) * window))
    db = 20 * np.log10(np.maximum(spectrum * 2 / window.sum(), 1e-9))
    return np.fft.rfftfreq(size, 1 / RATE), np.maximum(db, FLOOR_DB)


def test_spectrum_view_names_the_peak(qtbot: QtBot) -> None:
    view = SpectrumView(samplerate=RATE)
    qtbot.addWidget(view)
    view.set_channels(["FL", "FR"])
    view.resize(700, 400)
    view.show()
    qtbot.waitExposed(view)
    freqs, db = sine_spectrum(1000.0, 0.5)
    view.show_spectrum(freqs, db)  # includes the 0 Hz bin: must be dropped, not logged
    peak = view.peak()
    assert peak is not None
    assert peak[0] == pytest.approx(1000.0, abs=3.0)
    assert peak[1] == pytest.approx(-6.0, abs=1.5)
    assert "1.00 kHz" in view.peak_text()
    assert not view.grab().isNull()


def test_spectrum_readout_is_throttled(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    from scgui.ui import spectrum_view

    now = [5.0]
    monkeypatch.setattr(spectrum_view, "monotonic", lambda: now[0])
    view = SpectrumView(samplerate=RATE)
    qtbot.addWidget(view)
    view.set_channels(["1"])
    view.show()
    qtbot.waitExposed(view)
    view.show_spectrum(*sine_spectrum(1000.0, 0.5))
    now[0] += 0.1
    view.show_spectrum(*sine_spectrum(3000.0, 0.5))
    assert "1.00 kHz" in view.peak_text()
    now[0] += 0.2
    view.show_spectrum(*sine_spectrum(3000.0, 0.5))
    assert "3.00 kHz" in view.peak_text()


def test_spectrum_channel_chooser_emits(qtbot: QtBot) -> None:
    view = SpectrumView()
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.channelSelected, timeout=1000) as blocker:
        view.set_channels(["A", "B", "C"])
    assert blocker.args == [0]
    with qtbot.waitSignal(view.channelSelected, timeout=1000) as blocker:
        view.set_current_channel(2)
    assert blocker.args == [2]
    with qtbot.assertNotEmitted(view.channelSelected):
        view.set_channels(["A", "B", "C", "D"])  # the choice survives a refill
    assert view.current_channel() == 2
    view.set_samplerate(96000)
    assert view.samplerate() == 96000


def test_column_envelope_keeps_each_columns_extremes() -> None:
    x = np.array([0.0, 0.5, 2.1, 2.2, 2.9, 3.5, 9.99])
    y = np.array([1.0, 2.0, 5.0, -4.0, 3.0, 7.0, 0.5])
    xs, ys = column_envelope(x, y, 0.0, 10.0, 10)  # one column per unit of x
    np.testing.assert_array_equal(xs, [0.0, 0.0, 2.1, 2.1, 3.5, 9.99])
    np.testing.assert_array_equal(ys, [1.0, 2.0, -4.0, 5.0, 7.0, 0.5])
    same_x, same_y = column_envelope(x, y, 0.0, 10.0, 1000)  # a column each: unchanged
    np.testing.assert_array_equal(same_x, x)
    np.testing.assert_array_equal(same_y, y)


def test_find_peak_and_frequency_format() -> None:
    freqs = np.array([0.0, 10.0, 20.0, 30.0, 40.0])
    db = np.array([0.0, -30.0, -10.0, -10.0, -40.0])
    found = find_peak(freqs, db, low=5.0)
    assert found is not None
    assert found[0] == pytest.approx(25.0)  # midway between two equal bins
    assert find_peak(freqs, db, low=100.0) is None
    assert format_frequency(63.0) == "63.0 Hz"
    assert format_frequency(440.0) == "440 Hz"
    assert format_frequency(1000.0) == "1.00 kHz"
    assert format_frequency(12500.0) == "12.5 kHz"


def test_dialogs_and_menus_get_the_dark_palette(qapp) -> None:
    """File dialogs, message boxes and menus draw from the application palette, not only
    the style sheet: dark backgrounds with light text (once light grey on white)."""
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

    from scgui.ui.app import create_application

    app = create_application(["scgui"])
    for widget in (QFileDialog(), QMessageBox(), QMenu()):
        palette = widget.palette()
        window = palette.color(QPalette.ColorRole.Window).lightness()
        base = palette.color(QPalette.ColorRole.Base).lightness()
        text = palette.color(QPalette.ColorRole.Text).lightness()
        assert window < 60 and base < 60 and text > 180, type(widget).__name__
        widget.deleteLater()
    assert app.palette().color(QPalette.ColorRole.WindowText).lightness() > 180


def test_the_play_panel_shows_playback_gaps(qtbot: QtBot) -> None:
    from scgui.engine.worker import PlaybackStatus
    from scgui.ui.play_panel import PlayPanel

    panel = PlayPanel()
    qtbot.addWidget(panel)
    panel.set_playing(True)
    panel.show_status(PlaybackStatus("take.wav", 1.0, 2.0, 48000, 2, underruns=0))
    assert panel.gaps_label.text() == ""
    panel.show_status(PlaybackStatus("take.wav", 1.5, 2.0, 48000, 2, underruns=7))
    assert panel.gaps_label.text().startswith("7 gaps in playback so far")
    panel.set_playing(False)
    assert "7 gaps" in panel.gaps_label.text()  # still readable once it stopped
    panel.set_playing(True)
    assert panel.gaps_label.text() == ""


@pytest.mark.parametrize("channels", [32, 64])
def test_many_meters_fit_beside_the_views_with_every_clip_latch(
    qtbot: QtBot, channels: int
) -> None:
    """32 or 64 meters in about 600 px: thin bars, clip boxes, no numbers (compact)."""
    bank = MeterBank()
    qtbot.addWidget(bank)
    bank.set_channels([str(c + 1) for c in range(channels)])
    bank.show()
    assert bank.minimumSizeHint().width() <= 40 + channels * 9 + 30
    bank.resize(bank.minimumSizeHint().width(), 300)
    geometry = bank._layout()
    assert geometry.decimals == -1 and geometry.bar_w >= 4
    assert all(text == "" for text in bank._texts(geometry))
    lefts = [geometry.bar_left(c) for c in range(channels)]
    assert lefts == sorted(set(lefts)) and lefts[-1] + geometry.bar_w <= bank.width()
    bank.resize(channels * 50, 300)  # room again: the numbers come back
    assert bank._layout().decimals >= 0


def test_the_stream_table_lists_one_kind_and_names_the_devices(qtbot: QtBot) -> None:
    from scgui.audio import AppStream
    from scgui.ui.stream_list import StreamsPage

    page = StreamsPage()
    qtbot.addWidget(page)
    streams = [
        AppStream("playback", 3, "Lab Tone", "tone", "multi8", (0.5, 0.5), corked=True),
        AppStream("recording", 4, "", "Remapped Stream", "multi8.monitor", (1.0,)),
        AppStream("recording", 5, "Voice Chat", "mic", "gone", (1.0,), muted=True),
    ]
    page.set_streams(streams, {"multi8": "Multi8", "multi8.monitor": "Monitor of Multi8"})
    playback, recording = page.models["playback"], page.models["recording"]
    assert [playback.index(0, c).data() for c in range(5)] == [
        "Lab Tone",
        "tone",
        "Multi8",
        "50 % (−18.1 dB)",
        "paused",
    ]
    assert recording.rowCount() == 2
    assert recording.index(0, 0).data() == "(sound server)"
    assert [recording.index(1, c).data() for c in (2, 4)] == ["gone", "muted"]
    assert page.tabs.tabText(0) == "Playback (1)" and page.tabs.tabText(1) == "Recording (2)"


def _strip_page(qtbot: QtBot, can_control: bool = True):  # type: ignore[no-untyped-def]
    from scgui.audio import AppStream
    from scgui.ui.stream_list import StreamsPage

    page = StreamsPage(to_db=lambda v: None if v < 0 else -6.0)
    qtbot.addWidget(page)
    page.set_can_control(can_control)
    page.set_devices([("multi8", "Multi8"), ("scarlett", "Scarlett")], [("mic", "Mic")])
    stream = AppStream("playback", 3, "Lab Tone", "tone", "multi8", (0.8, 0.4))
    page.set_streams([stream], {"multi8": "Multi8"})
    return page, stream


def test_the_stream_strip_moves_mutes_and_turns_down_the_selected_stream(qtbot: QtBot) -> None:
    page, stream = _strip_page(qtbot)
    assert not page.device_combo.isEnabled()  # nothing selected yet
    assert page.select("playback", 3) and page.selected_stream() == stream
    assert page.device_combo.isEnabled() and page.device_combo.currentData() == "multi8"
    assert [page.device_combo.itemText(i) for i in range(2)] == ["Multi8", "Scarlett"]
    assert page.volume_slider.value() == 80 and page.volume_label.text() == "80 % (−6.0 dB)"
    with qtbot.waitSignal(page.moveRequested) as moved:
        page.device_combo.activated.emit(1)
    assert moved.args == [stream, "scarlett"]
    with qtbot.waitSignal(page.muteRequested) as muted:
        page.mute_button.click()
    assert muted.args == [stream, True]
    with qtbot.waitSignal(page.volumeRequested) as turned:
        page.volume_slider.setValue(40)
    assert turned.args[0] == stream and turned.args[1] == pytest.approx((0.4, 0.2))  # balance kept
    page.volume_slider.setValue(0)
    page.volume_slider.setValue(60)
    qtbot.wait(3 * 50)
    assert page._volumes == pytest.approx((0.6, 0.3))  # the balance survives 0 %


def test_a_listing_keeps_the_selection_and_sends_nothing_back(qtbot: QtBot) -> None:
    from scgui.audio import AppStream

    page, _stream = _strip_page(qtbot)
    page.select("playback", 3)
    sent: list[object] = []
    for signal in (page.moveRequested, page.muteRequested, page.volumeRequested):
        signal.connect(lambda *args: sent.append(args))
    changed = AppStream("playback", 3, "Lab Tone", "tone", "scarlett", (0.5, 0.5), muted=True)
    other = AppStream("playback", 9, "Another", "x", "multi8", (1.0, 1.0))
    page.set_streams([other, changed], {"multi8": "Multi8", "scarlett": "Scarlett"})
    assert page.selected_stream() == changed  # the same stream, where its row now is
    assert page.device_combo.currentData() == "scarlett" and page.mute_button.isChecked()
    assert page.volume_slider.value() == 50 and sent == []
    page.set_streams([other], {})
    assert page.selected_stream() is None and not page.mute_button.isEnabled()


def test_the_stream_strip_is_off_where_the_system_forbids_it(qtbot: QtBot) -> None:
    page, _stream = _strip_page(qtbot, can_control=False)
    page.select("playback", 3)
    assert not page.device_combo.isEnabled() and not page.volume_slider.isEnabled()
    assert "system's own sound settings" in page.strip.toolTip()
    page.show()
    page.set_can_list(False)  # macOS, Wine: say so, no empty tables
    assert page.unlisted_label.isVisible() and not page.tabs.isVisible()
    assert "volume mixer" in page.unlisted_label.text()
    page.set_can_list(True)
    assert page.tabs.isVisible() and not page.unlisted_label.isVisible()


def test_where_streams_cannot_move_only_the_device_is_off(qtbot: QtBot) -> None:
    """Windows: sessions can be muted and turned down (to 100 %), not moved."""
    page, _stream = _strip_page(qtbot)
    page.set_can_move(False)
    page.set_volume_limit(1.0)
    page.select("playback", 3)
    assert not page.device_combo.isEnabled() and "Volume mixer" in page.device_combo.toolTip()
    assert page.mute_button.isEnabled() and page.volume_slider.isEnabled()
    assert page.volume_slider.maximum() == 100 and "up to 100 %" in page.volume_slider.toolTip()
    with qtbot.waitSignal(page.volumeRequested) as turned:
        page.volume_slider.setValue(150)  # the slider stops at the system's limit
    assert turned.args[1] == pytest.approx((1.0, 0.5))
    page.set_can_move(True)
    assert page.device_combo.isEnabled()


def test_volume_text_says_percent_and_the_systems_db() -> None:
    from scgui.ui.volume_controls import loudest_volume_text, volume_text

    assert volume_text(0.5, lambda v: -18.06) == "50 % (−18.1 dB)"
    assert volume_text(1.5, lambda v: 10.57) == "150 % (+10.6 dB)"
    assert volume_text(1.0, lambda v: 0.0) == "100 % (0.0 dB)"
    assert volume_text(0.0, lambda v: float("-inf")) == "0 % (−∞ dB)"
    assert volume_text(0.3, lambda v: None) == "30 %"
    assert loudest_volume_text((), lambda v: 0.0) == "–"
    assert loudest_volume_text((0.2, 0.9), lambda v: None) == "90 %"


def test_spectrum_options_emit_once_and_say_the_weighting(qtbot: QtBot) -> None:
    from scgui.measure.spectrum import SpectrumOptions

    view = SpectrumView()
    qtbot.addWidget(view)
    sent: list[object] = []
    view.optionsChanged.connect(sent.append)
    view.set_options(SpectrumOptions(8192, 1.0, "C"))
    assert sent == [] and view.options == SpectrumOptions(8192, 1.0, "C")
    assert "5.9 Hz between bins" in view.size_chooser.toolTip()
    view.weighting_chooser.setCurrentIndex(view.weighting_chooser.findData("A"))
    assert sent == [SpectrumOptions(8192, 1.0, "A")]
    view.show()
    freqs = np.fft.rfftfreq(8192, 1 / 48000)
    db = np.full(freqs.shape, -120.0)
    db[np.argmin(np.abs(freqs - 1000))] = -12.0
    view.show_spectrum(freqs, db)
    assert view.peak_text().endswith("dBFS(A)")
    view.set_options(SpectrumOptions(size=1000))  # not offered: the choosers keep theirs
    assert view.options.size == 8192 and view.options.weighting == "Z"


def test_the_spectrogram_puts_a_tone_in_its_band_and_scrolls(qtbot: QtBot) -> None:
    from scgui.ui.spectrogram_view import COLUMNS, ROWS

    view = SpectrumView()
    qtbot.addWidget(view)
    view.show()
    view.set_display("Spectrogram")
    assert view.spectrogram.isVisible()
    freqs = np.fft.rfftfreq(4096, 1 / 48000)
    for hz in (200.0, 5000.0):
        db = np.full(freqs.shape, -120.0)
        db[np.argmin(np.abs(freqs - hz))] = -20.0
        view.show_spectrum(freqs, db)
        column = view.spectrogram.newest_column()
        assert column.shape == (ROWS,) and column.max() == pytest.approx(-20.0)
        low, high = np.log10(20.0), np.log10(24000.0)
        centre = 10 ** (low + (np.argmax(column) + 0.5) * (high - low) / ROWS)
        assert centre == pytest.approx(hz, rel=0.05)
    assert view.spectrogram.columns_filled == 2
    for _ in range(COLUMNS + 5):
        view.show_spectrum(freqs, db)
    assert view.spectrogram.columns_filled == COLUMNS
    assert view.spectrogram.time_span() > 0
    view.clear()
    assert view.spectrogram.columns_filled == 0


def test_the_spectrum_choosers_fit_a_laptop_window(qtbot: QtBot) -> None:
    from scgui.ui.spectrum_view import MAX_BAR_WIDTH

    view = SpectrumView()
    qtbot.addWidget(view)
    view.set_channels([f"{n} Auxiliary {n - 1}" for n in range(1, 33)])
    assert view.minimumSizeHint().width() <= MAX_BAR_WIDTH


def test_a_row_with_huge_and_invalid_values_still_draws(qtbot: QtBot) -> None:
    """Values far beyond full scale, infinities and NaN (a broken device) are drawn at the
    row's edges, with no warning about casting them to pixels."""
    import warnings

    view = _shown_waveforms(qtbot, ["broken"])
    data = np.zeros((2 * RATE, 1), np.float32)
    data[::2, 0], data[1::2, 0] = 1e30, -np.inf
    data[RATE, 0] = np.nan  # its bucket's extremes are NaN: drawn at an edge, no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        view.show_frames(data, RATE)
        picture = Picture(view.grab())
    rows, columns = _row_rect(view, 0, picture)
    inked = picture.pixels[rows, columns] == (channel_color(0).rgb() & 0xFFFFFFFF)
    full = np.flatnonzero(inked.mean(axis=1) > 0.9)  # rows the strokes cross
    assert full[0] <= 1 and full[-1] >= len(inked) - 4  # from edge to edge
    assert len(full) >= len(inked) - 5


def test_the_rows_strokes_are_worked_out_in_one_pass_and_drawn_the_same(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the rows have been painted, each new frame works out every row's strokes in one
    pass for where the rows were painted; a row then works out none of its own, and the
    picture is the one each row draws when it works them out alone."""
    view = _shown_waveforms(qtbot, ["loud", "quiet", "noise"])
    passes: list[int] = []
    one_pass = waveforms._stroke_spans

    def counted(x: np.ndarray, ys: np.ndarray, mappings: list[object]) -> object:
        passes.append(len(mappings))
        return one_pass(x, ys, mappings)  # type: ignore[arg-type]

    monkeypatch.setattr(waveforms, "_stroke_spans", counted)
    t = np.arange(4 * RATE) / RATE
    noise = np.random.default_rng(3).uniform(-0.8, 0.8, len(t))
    data = np.stack((np.sin(2 * np.pi * 50 * t), 0.05 * np.sin(2 * np.pi * 7 * t), noise), 1)
    data = data.astype(np.float32)
    ring = RingBuffer(len(data), 3)
    viewport = view._graphics.viewport()
    end = 0
    for step in range(12):
        fresh = data[end : end + 768]
        ring.write(fresh)
        end += len(fresh)
        passes.clear()
        view.push_frames(fresh, end, RATE, ring)
        shared = list(passes)  # what the view did for the rows before they paint
        picture = _pixels(viewport.grab().toImage())
        if step:  # the rows were painted: one pass for all three, nothing more in the paint
            assert passes == [3], f"frame {step}: {passes}"
        else:  # nothing painted yet: each row works out its own strokes
            assert shared == [] and passes == [1, 1, 1]
    for row in view._rows:
        row.curve._state.prepared = None
    passes.clear()
    alone = _pixels(viewport.grab().toImage())
    assert passes == [1, 1, 1]
    np.testing.assert_array_equal(picture, alone)
    assert (picture == (channel_color(2).rgb() & 0xFFFFFFFF)).sum() > 1000  # noise drawn


def test_scrolled_rows_look_the_same_as_rows_drawn_afresh(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loud live trace moves its pixels by whole columns (a turned ring, drawn in two
    parts, all the view's rows at once); frame after frame it looks exactly like the same
    rows drawn from scratch."""
    from scgui.ui.stroke_raster import StrokeBank, StrokeRaster

    names = ["loud", "noise", "quiet"]
    live, fresh_view = _shown_waveforms(qtbot, names), _shown_waveforms(qtbot, names)
    scroll = StrokeRaster.scroll

    def scroll_or_render(self: StrokeRaster, top: np.ndarray, bottom: np.ndarray, shift: int):
        if getattr(self, "always_render", False):
            return self.render(top, bottom)
        return scroll(self, top, bottom, shift)

    monkeypatch.setattr(StrokeRaster, "scroll", scroll_or_render)
    bank_scroll = StrokeBank.scroll

    def bank_scroll_or_render(
        self: StrokeBank, top: np.ndarray, bottom: np.ndarray, shift: int
    ) -> None:
        if any(getattr(raster, "always_render", False) for raster in self.rasters):
            for raster, row_top, row_bottom in zip(self.rasters, top, bottom, strict=True):
                raster.render(row_top, row_bottom)
            return
        bank_scroll(self, top, bottom, shift)

    monkeypatch.setattr(StrokeBank, "scroll", bank_scroll_or_render)
    t = np.arange(5 * RATE) / RATE
    noise = np.random.default_rng(5).uniform(-0.9, 0.9, len(t))
    data = np.stack((np.sin(2 * np.pi * 30 * t), noise, 0.02 * np.sin(2 * np.pi * 5 * t)), 1)
    data = data.astype(np.float32)
    ring = RingBuffer(len(data), 3)
    end, turned = 0, 0
    for step in range(30):
        fresh = data[end : end + (768 if step % 5 else 2000)]
        ring.write(fresh)
        end += len(fresh)
        pictures = []
        for view in (live, fresh_view):
            view.push_frames(fresh, end, RATE, ring)
            for row in fresh_view._rows:
                if row.curve._state.raster is not None:
                    row.curve._state.raster.always_render = True  # type: ignore[attr-defined]
            pictures.append(_pixels(view._graphics.viewport().grab().toImage()))
        turned += sum(row.curve._state.raster.rotation != 0 for row in live._rows)
        np.testing.assert_array_equal(pictures[0], pictures[1], err_msg=f"frame {step}")
    assert turned >= 30  # the loud rows scrolled on most frames
    assert all(row.curve._state.raster.rotation == 0 for row in fresh_view._rows)


@pytest.mark.parametrize("offset", [(0, 0), (3, 5)])
def test_the_rows_are_one_blit_where_it_lands_on_device_pixels(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch, offset: tuple[int, int]
) -> None:
    """A live view's rows are blitted at once, gaps between them and all (the rows' own
    paint is not called), and look exactly as when each row paints itself; inside a window
    at a position that falls between device pixels (3, 5 at a scale factor of 1.5) Qt
    resamples the blit, so there each row paints itself, as before."""
    from PySide6.QtWidgets import QVBoxLayout

    window = QWidget()
    layout = QVBoxLayout(window)
    layout.setContentsMargins(offset[0], offset[1], 0, 0)
    view = WaveformView()
    layout.addWidget(view)
    qtbot.addWidget(window)
    view.set_channels([f"ch{i}" for i in range(5)])
    window.resize(900, 500)
    window.show()
    qtbot.waitExposed(window)
    own_paints = []
    row_paint = waveforms._TraceCurve.paint

    def counted(self: waveforms._TraceCurve, painter: object, *args: object) -> None:
        own_paints.append(self)
        row_paint(self, painter, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(waveforms._TraceCurve, "paint", counted)
    painter = view._rows_painter
    picture_at = painter._picture_at  # the view's, bound when the view was made
    t = np.arange(3 * RATE) / RATE
    noise = np.random.default_rng(8).uniform(-1.2, 1.2, len(t))
    data = np.stack([np.sin(2 * np.pi * (30 + 17 * c) * t) * 0.3 * c for c in range(5)], 1)
    data[:, 3] = noise
    data = data.astype(np.float32)
    ring = RingBuffer(len(data), 5)
    whole = (offset[0] * window.devicePixelRatioF()).is_integer() and (
        offset[1] * window.devicePixelRatioF()
    ).is_integer()
    end, blitted = 0, 0
    for _ in range(25):
        fresh = data[end : end + 768]
        ring.write(fresh)
        end += len(fresh)
        view.push_frames(fresh, end, RATE, ring)
        own_paints.clear()
        at_once = _pixels(window.grab().toImage())
        blitted += not own_paints
        monkeypatch.setattr(painter, "_picture_at", lambda mappings: None)
        row_by_row = _pixels(window.grab().toImage())
        monkeypatch.setattr(painter, "_picture_at", picture_at)
        np.testing.assert_array_equal(at_once, row_by_row)
    assert blitted >= (23 if whole else 0) and (whole or blitted == 0)
    assert (at_once == (channel_color(3).rgb() & 0xFFFFFFFF)).sum() > 1000  # noise drawn
    # Rendered into an image of ratio 1 at any scale factor (Qt scales each blit down):
    # as the rows look painted one by one (one blit differed at 1.25 and 1.5).
    rendered = []
    for picture_at_now in (picture_at, lambda mappings: None):
        monkeypatch.setattr(painter, "_picture_at", picture_at_now)
        image = QImage(window.width() + 7, window.height() + 11, QImage.Format.Format_RGB32)
        image.fill(0)
        view.render(image, QPoint(7, 11))
        rendered.append(_pixels(image))
    np.testing.assert_array_equal(rendered[0], rendered[1])


@pytest.mark.parametrize("frames_per_column", [60.4, 60.6, 91.25])
def test_a_live_row_is_inked_from_its_left_edge_to_its_right(
    qtbot: QtBot, frames_per_column: float
) -> None:
    """Buckets drawn a column each are never wider than a column, so however the window
    divides into the row's pixels, no column at either edge is left empty."""
    view = _shown_waveforms(qtbot, ["square"])
    width = view._plot_width_px()
    view.set_window_seconds(frames_per_column * width / RATE)
    # More than the window, which grows with the device pixels (4.2 s at a scale factor of 3).
    frames = max(3 * RATE, round(view.window_seconds * RATE) + RATE)
    data = np.where(np.arange(frames) % 2, 0.95, -0.95).astype(np.float32)[:, None]
    view.show_frames(data, RATE)
    pixels = _pixels(view._graphics.viewport().grab().toImage())
    mapping = view._rows[0].curve.painted_at
    assert mapping is not None
    area = pixels[
        mapping.top : mapping.top + mapping.height, mapping.left : mapping.left + mapping.width
    ]
    inked = (area == (channel_color(0).rgb() & 0xFFFFFFFF)).any(axis=0)
    assert inked.all(), f"empty columns: {np.flatnonzero(~inked)[:10]}"


@pytest.mark.parametrize("window_seconds", [2.0, 0.01])  # a stroke a column; raw samples
def test_the_screen_after_live_frames_shows_what_a_full_repaint_shows(
    qtbot: QtBot, window_seconds: float
) -> None:
    """Each frame Qt repaints only the areas the rows mark as changed (not filled first, the
    rows' pixels drawn by the view for all rows at once): what is on screen then, read back
    from the window's backing store, must equal a picture of the whole view painted afresh,
    also after other rows and a resize. Signals beyond full scale put strokes and lines on
    the rows' edges."""
    view = WaveformView(window_seconds=window_seconds)
    qtbot.addWidget(view)
    view.set_channels(["square", "sine", "noise"])
    view.resize(800, 400)
    view.show()
    qtbot.waitExposed(view)
    t = np.arange(3 * RATE) / RATE
    square = 1.5 * np.sign(np.sin(2 * np.pi * 97 * t))
    noise = np.random.default_rng(3).uniform(-1.3, 1.3, len(t))
    data = np.stack((square, 1.2 * np.sin(2 * np.pi * 50 * t), noise), 1).astype(np.float32)
    ring = RingBuffer(len(data), 3)
    ring.write(data[:RATE])
    end = RATE
    app = QApplication.instance()
    assert app is not None
    for step in range(40):
        if step == 15:  # other rows: the rows' pixels are made again
            view.set_visible_channels([2, 0])
        if step == 25:
            view.resize(700, 350)
        fresh = data[end : end + 768]
        ring.write(fresh)
        end += len(fresh)
        view.push_frames(fresh, end, RATE, ring)
        app.processEvents()
        if step % 8 == 7 or step in (16, 26):
            shown = _on_screen(view)
            np.testing.assert_array_equal(shown, _pixels(view.grab().toImage()), f"frame {step}")


def test_the_rows_follow_the_layout_between_frames(qtbot: QtBot) -> None:
    """The rows painter keeps where the rows land from one paint to the next: when the
    layout moves them with no frame pushed (the window resized, a widget above the view
    hidden and shown), the screen still equals the view painted afresh."""
    from PySide6.QtWidgets import QLabel, QVBoxLayout

    window = QWidget()
    qtbot.addWidget(window)
    column = QVBoxLayout(window)
    above = QLabel("above the view")
    view = WaveformView()
    column.addWidget(above)
    column.addWidget(view)
    view.set_channels(["a", "b", "c", "d"])
    window.resize(700, 420)
    window.show()
    qtbot.waitExposed(window)
    t = np.arange(3 * RATE) / RATE
    data = np.stack([np.sin(2 * np.pi * (40 + 23 * c) * t) * 0.25 * (c + 1) for c in range(4)], 1)
    data = data.astype(np.float32)
    ring = RingBuffer(len(data), 4)
    end = 0
    app = QApplication.instance()
    assert app is not None
    for _ in range(6):
        fresh = data[end : end + 768]
        ring.write(fresh)
        end += len(fresh)
        view.push_frames(fresh, end, RATE, ring)
        app.processEvents()
    painter = view._rows_painter
    for change in (
        lambda: window.resize(640, 380),
        above.hide,
        above.show,
        lambda: window.resize(720, 460),
    ):
        change()
        qtbot.wait(30)  # the layout settles, and the window is repainted where it changed
        shown = _on_screen(window)
        painter._mapped = None  # worked out afresh
        window.repaint()
        np.testing.assert_array_equal(shown, _on_screen(window))
        assert (shown == (channel_color(3).rgb() & 0xFFFFFFFF)).sum() > 100


def _on_screen(window: QWidget) -> np.ndarray:
    """What a window shows, read from its backing store: its device pixels at any scale
    factor (the offscreen platform's ``QScreen.grabWindow`` gives only as many pixels as the
    window has logical ones)."""
    device = window.backingStore().paintDevice()
    assert isinstance(device, QImage)
    return _pixels(device)
