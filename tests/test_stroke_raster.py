"""The waveform rows' pixel writer: runs per column, and the pixels they become (pure NumPy)."""

from __future__ import annotations

import numpy as np
import pytest

from scgui.ui.stroke_raster import (
    OPAQUE,
    StrokeBank,
    StrokeRaster,
    column_spans,
    column_spans_rows,
    tail_spans_rows,
)

INK = 0xFF4FC3F7


def _background(height: int, width: int) -> np.ndarray:
    """A background with a different value in every pixel, so a wrong restore shows."""
    values = np.arange(height * width, dtype=np.uint32).reshape(height, width)
    return values | np.uint32(OPAQUE)


def _expected(
    background: np.ndarray, top: np.ndarray, bottom: np.ndarray, ink: int = INK
) -> np.ndarray:
    """What a row with these runs must look like, one column at a time."""
    out = background.copy()
    for column, (first, last) in enumerate(zip(top, bottom, strict=True)):
        if first <= last:
            out[first : last + 1, column] = ink
    return out


def test_runs_merge_strokes_in_a_column_and_clamp_to_the_image() -> None:
    columns = np.array([0, 0, 2, 3, 5, -1, 6])
    y0 = np.array([4, 9, 7, -3, 2, 1, 1])
    y1 = np.array([6, 8, 7, 20, 2, 1, 1])
    top, bottom = column_spans(columns, y0, y1, width=6, height=10)
    assert top.tolist() == [4, 4, 7, 0, 0, 2]  # columns 1 and 4 carry the stroke before
    assert bottom.tolist() == [9, 9, 7, 9, 9, 2]
    assert top.dtype == bottom.dtype == np.int32


def test_strokes_given_bottom_up_are_the_same_runs() -> None:
    top, bottom = column_spans(np.array([1]), np.array([8]), np.array([3]), 2, 10)
    assert (top[1], bottom[1]) == (3, 8)


def test_render_inks_exactly_the_runs_over_the_background() -> None:
    background = _background(12, 7)
    raster = StrokeRaster(background, INK)
    top = np.array([0, 3, 12, 5, 11, 0, 6], dtype=np.int32)
    bottom = np.array([11, 3, -1, 8, 11, 0, 2], dtype=np.int32)
    out = raster.render(top, bottom)
    assert out.dtype == np.uint32 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, _expected(background, top, bottom))


def test_successive_frames_leave_nothing_of_the_previous_one() -> None:
    """Each frame computes only the band of rows it inks; the rows the last frame inked
    outside it must get their background back (a loud frame, then quiet ones, then none)."""
    rng = np.random.default_rng(7)
    height, width = 40, 31
    background = _background(height, width)
    raster = StrokeRaster(background, INK)
    for frame in range(200):
        centre = rng.integers(0, height)
        spread = rng.integers(0, height) if frame % 3 else 2
        top = np.clip(centre - rng.integers(0, spread + 1, width), 0, height - 1)
        bottom = np.clip(centre + rng.integers(0, spread + 1, width), 0, height - 1)
        empty = rng.random(width) < 0.2
        top[empty], bottom[empty] = height, -1
        top, bottom = top.astype(np.int32), bottom.astype(np.int32)
        np.testing.assert_array_equal(
            raster.render(top, bottom), _expected(background, top, bottom), err_msg=f"{frame}"
        )
    nothing = np.full(width, height, dtype=np.int32), np.full(width, -1, dtype=np.int32)
    np.testing.assert_array_equal(raster.render(*nothing), background)
    raster.render(np.zeros(width, np.int32), np.full(width, height - 1, np.int32))
    np.testing.assert_array_equal(raster.clear(), background)


def test_a_one_sample_spike_survives_as_a_full_stroke() -> None:
    """The point of a peak waveform: one bucket's extreme value reaches its pixel."""
    height, width = 50, 20
    columns = np.arange(width)
    low = np.full(width, 25)
    high = np.full(width, 25)
    high[13] = 0  # the spike's bucket reaches the top row
    raster = StrokeRaster(_background(height, width), INK)
    out = raster.render(*column_spans(columns, low, high, width, height))
    assert (out[0:26, 13] == INK).all()
    assert (out[25, :] == INK).all()
    assert (out[:25, 12] != INK).all() and (out[:25, 14] != INK).all()


def test_a_background_must_be_an_image() -> None:
    with pytest.raises(ValueError, match="height x width"):
        StrokeRaster(np.zeros(5, dtype=np.uint32), INK)


def test_a_stroke_reaches_across_to_the_next_one() -> None:
    """Buckets wider than a pixel (a high-density screen) leave no empty column inside the
    trace; before the first stroke and after the last there is nothing."""
    top, bottom = column_spans(np.array([2, 4, 7]), np.array([1, 5, 3]), np.array([2, 6, 3]), 9, 8)
    assert top.tolist() == [8, 8, 1, 1, 5, 5, 5, 3, 8]
    assert bottom.tolist() == [-1, -1, 2, 2, 6, 6, 6, 3, -1]


def test_the_raster_keeps_its_own_copy_of_the_background() -> None:
    """The background handed in may be a view of an image that is freed afterwards."""
    background = _background(6, 5)
    raster = StrokeRaster(background, INK)
    background[:] = 0
    np.testing.assert_array_equal(raster.clear(), _background(6, 5))


def _reference_spans(
    columns: np.ndarray, y0: np.ndarray, y1: np.ndarray, width: int, height: int
) -> tuple[list[int], list[int]]:
    """column_spans' rules, stroke by stroke and column by column (slow and plain)."""
    runs: dict[int, tuple[int, int]] = {}
    for column, a, b in zip(columns.tolist(), y0.tolist(), y1.tolist(), strict=True):
        if 0 <= column < width:
            low, high = min(a, b), max(a, b)
            if column in runs:
                low, high = min(low, runs[column][0]), max(high, runs[column][1])
            runs[column] = (low, high)
    top, bottom = [height] * width, [-1] * width
    inked = sorted(runs)
    for column in range(width):
        before = [c for c in inked if c <= column]
        if before and column <= inked[-1]:
            low, high = runs[before[-1]]
            top[column] = min(max(low, 0), height - 1)
            bottom[column] = min(max(high, 0), height - 1)
    return top, bottom


def test_rows_at_once_are_each_row_by_the_rules() -> None:
    """All rows in one pass give every row what the rules give it alone: strokes in any
    order, several to a column (up to five), gaps, columns outside the image, rows of
    different heights."""
    rng = np.random.default_rng(11)
    for case in range(300):
        width = int(rng.integers(1, 40))
        count = int(rng.integers(0, 60))
        heights = rng.integers(1, 30, size=int(rng.integers(1, 5)))
        if case % 3 == 0:  # sorted, as a view's buckets are
            columns = np.sort(rng.integers(-3, width + 3, count))
        else:
            columns = rng.integers(-3, width + 3, count)
        if case % 5 == 0 and count:  # a column with many strokes
            columns[: min(5, count)] = columns[0]
        y0 = rng.integers(-5, 35, (len(heights), count)).astype(np.float64)
        y1 = rng.integers(-5, 35, (len(heights), count)).astype(np.float64)
        top, bottom = column_spans_rows(columns.astype(np.float64), y0, y1, width, heights)
        assert top.shape == bottom.shape == (len(heights), width)
        for row, height in enumerate(heights.tolist()):
            expected = _reference_spans(columns, y0[row], y1[row], width, height)
            assert (top[row].tolist(), bottom[row].tolist()) == expected, f"case {case}"
            alone = column_spans(columns, y0[row], y1[row], width, height)
            assert (alone[0].tolist(), alone[1].tolist()) == expected, f"case {case}"


def test_strokes_one_a_column_at_the_right_are_the_general_rule() -> None:
    """A live row's strokes (one a column, the newest in the rightmost, as many as the row
    is wide or fewer or more) get the runs the general rule gives them: the same values
    and integer width, with the rows' own heights and values beyond either edge."""
    rng = np.random.default_rng(12)
    for case in range(300):
        width = int(rng.integers(1, 40))
        count = int(rng.integers(0, 60))
        heights = rng.integers(1, 30, size=int(rng.integers(1, 5)))
        y0 = rng.integers(-1, 31, (len(heights), count)).astype(np.float64)
        y1 = rng.integers(-1, 31, (len(heights), count)).astype(np.float64)
        y0 = np.minimum(y0, heights[:, None])  # at most a row beyond either edge
        y1 = np.minimum(y1, heights[:, None])
        columns = np.arange(width - count, width)
        expected = column_spans_rows(columns, y0, y1, width, heights)
        got = tail_spans_rows(y0, y1, width, heights)
        for mine, theirs in zip(got, expected, strict=True):
            assert mine.dtype == theirs.dtype and mine.shape == theirs.shape, f"case {case}"
            np.testing.assert_array_equal(mine, theirs, err_msg=f"case {case}")


def test_strokes_one_a_column_refuse_shapes_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="2 rows of strokes"):
        tail_spans_rows(np.zeros((1, 3)), np.zeros((1, 3)), 5, [4, 4])
    with pytest.raises(ValueError, match="2 rows of strokes"):
        tail_spans_rows(np.zeros((2, 3)), np.zeros((2, 4)), 5, [4, 4])


def test_rows_at_once_refuse_a_shape_that_does_not_fit() -> None:
    with pytest.raises(ValueError, match="2 rows of 3 strokes"):
        column_spans_rows(np.arange(3), np.zeros((1, 3)), np.zeros((1, 3)), 5, [4, 4])


def test_render_bounds_its_band_by_the_runs_whatever_empty_columns_hold() -> None:
    """Columns without a run (top > bottom) may hold any values, also out of the image."""
    background = _background(10, 5)
    raster = StrokeRaster(background, INK)
    top = np.array([3, -20, 2, 40, 1], dtype=np.int32)
    bottom = np.array([4, -30, 1, 30, 12], dtype=np.int32)
    expected = _expected(background, top, np.minimum(bottom, 9))
    np.testing.assert_array_equal(raster.render(top, bottom), expected)
    empty = np.array([5, 2, 9, 0, 3], dtype=np.int32), np.array([4, 1, -1, -5, 2], np.int32)
    np.testing.assert_array_equal(raster.render(*empty), background)


def test_strokes_at_columns_too_far_to_count_are_dropped_not_the_others() -> None:
    """Columns beyond any integer (huge, infinite, NaN) are outside the image; the strokes
    in the image keep their runs (a wrapped difference once took such input as sorted)."""
    for far in (1e19, -1e19, np.inf, np.nan):
        top, bottom = column_spans(
            np.array([5.0, far]), np.array([1.0, 2.0]), np.array([3.0, 4.0]), 8, 6
        )
        assert (top[5], bottom[5]) == (1, 3), far


def test_a_column_with_many_strokes_merges_them_all() -> None:
    """A hundred strokes in one column (a view shrunk before its buckets follow): one run
    from the highest to the lowest, what the fold of neighbours gives a few strokes."""
    rng = np.random.default_rng(5)
    y0 = rng.integers(0, 40, (2, 100)).astype(np.float64)
    y1 = rng.integers(0, 40, (2, 100)).astype(np.float64)
    columns = np.repeat([0.0, 2.0], 50)
    top, bottom = column_spans_rows(columns, y0, y1, 3, [40, 40])
    for row in range(2):
        for column, part in ((0, slice(0, 50)), (2, slice(50, 100))):
            low = min(y0[row, part].min(), y1[row, part].min())
            high = max(y0[row, part].max(), y1[row, part].max())
            assert (top[row, column], bottom[row, column]) == (low, high)
        assert (top[row, 1], bottom[row, 1]) == (top[row, 0], bottom[row, 0])  # the bridge


def _grid_background(height: int, width: int, lines: range) -> np.ndarray:
    """A plain background with vertical grid lines and one horizontal line (what a row has)."""
    background = np.full((height, width), 0xFF202020, dtype=np.uint32)
    background[:, lines] = 0xFF404040
    background[height // 2] = 0xFF505050
    return background


def _picture(raster: StrokeRaster) -> np.ndarray:
    """The row as it is shown: the ring of stored columns read from :attr:`rotation`."""
    return np.roll(raster.pixels, -raster.rotation, axis=1)


def test_a_scrolled_row_is_the_row_rendered_afresh_frame_after_frame() -> None:
    """Scrolling a live trace by its new columns, quiet, loud, with a wrong shift now and then
    and gaps in the data: every frame's picture equals a whole render of the same runs."""
    rng = np.random.default_rng(3)
    height, width = 48, 1000  # a row's size: narrow bands of small rows are always rendered
    background = _grid_background(height, width, range(7, width, 123))
    raster = StrokeRaster(background, INK)
    # One stroke per column of a long signal whose loudness changes, so both ways are used.
    total = 40 * width
    level = np.repeat(rng.choice([0.02, 0.3, 0.95], size=total // 500 + 1), 500)[:total]
    signal = np.sin(np.arange(total) / 3.0) * level * (height / 2)
    low = np.floor(height / 2 - np.abs(signal) - 1).astype(np.int32)
    high = np.floor(height / 2 + np.abs(signal)).astype(np.int32)
    high[rng.random(total) < 0.01] = -1  # now and then a column without a run
    newest, turned = width, 0
    for frame in range(400):
        step = int(rng.integers(0, 12)) if frame % 9 else int(rng.integers(0, 2 * width))
        newest = min(newest + step, total)
        top = low[newest - width : newest].copy()
        bottom = high[newest - width : newest].copy()
        hint = step if frame % 13 else int(rng.integers(-5, width + 5))  # wrong on purpose
        raster.scroll(top, bottom, hint)
        turned += raster.rotation != 0
        np.testing.assert_array_equal(_picture(raster), _expected(background, top, bottom))
    assert turned > 100  # the loud parts were scrolled, not rendered


def test_a_scrolled_row_writes_only_its_new_columns_and_the_grid_lines_it_crosses() -> None:
    height, width = 48, 1000
    background = _grid_background(height, width, range(10, width, 250))  # four lines
    raster = StrokeRaster(background, INK)
    top, bottom = np.zeros(width, np.int32), np.full(width, height - 1, np.int32)
    top[::2] = 5  # loud, and alike only to every other column
    raster.scroll(top, bottom, 0)
    before = raster.pixels.copy()
    moved_top = np.roll(top, -2)  # the picture moved two columns to the left
    raster.scroll(moved_top, bottom, 2)
    written = np.flatnonzero((raster.pixels != before).any(axis=0))
    # Two new columns at the right, and each line's old and new column, both with ink
    # over them; no other stored column changed.
    assert raster.rotation == 2
    assert 0 < len(written) <= 2 + 2 * 4
    np.testing.assert_array_equal(_picture(raster), _expected(background, moved_top, bottom))


def test_render_after_scrolling_puts_the_columns_back_in_order() -> None:
    height, width = 32, 1200
    background = _grid_background(height, width, range(5, width, 300))
    raster = StrokeRaster(background, INK)
    top, bottom = np.zeros(width, np.int32), np.full(width, height - 1, np.int32)
    raster.scroll(top, bottom, 0)
    raster.scroll(top, bottom, 17)
    assert raster.rotation == 17
    quiet_top, quiet_bottom = np.full(width, 15, np.int32), np.full(width, 16, np.int32)
    raster.render(quiet_top, quiet_bottom)
    assert raster.rotation == 0
    np.testing.assert_array_equal(raster.pixels, _expected(background, quiet_top, quiet_bottom))
    np.testing.assert_array_equal(raster.clear(), background)
    with pytest.raises(ValueError, match="1200 columns"):
        raster.scroll(top[:-1], bottom, 1)


def test_a_scroll_keeps_runs_of_any_integer_width_as_they_were_given() -> None:
    """Runs beyond 32 bits are not narrowed when they are remembered: one that wrapped
    would look like a later, different run already drawn."""
    height, width = 300, 1000
    background = _grid_background(height, width, range(3, width, 100))
    raster = StrokeRaster(background, INK)
    top, bottom = np.zeros(width, np.int64), np.full(width, height - 1, np.int64)
    raster.scroll(top, bottom, 0)
    far = top.copy()
    far[5] = 2**32 + 5  # beyond the image: column 5 has no run
    raster.scroll(far, bottom, 0)
    near = top.copy()
    near[5] = 5
    raster.scroll(near, bottom, 0)
    np.testing.assert_array_equal(_picture(raster), _expected(background, near, bottom))


@pytest.mark.parametrize("gaps", [None, [3, 0, 5]])
def test_rows_scrolled_together_are_each_the_row_rendered_afresh(gaps: list[int] | None) -> None:
    """The rows of a view scrolled at once (of two heights, quiet and loud, one with another
    grid), with wrong shifts, jumps, and now and then one row drawn on its own so that the
    rows fall out of step: every frame, every row's picture equals a render of its runs. In
    step, the bank's pixels are the rows' pictures one under the other, with the gaps between
    them in their own colour."""
    rng = np.random.default_rng(11)
    width, heights = 700, [40, 41, 40, 12]
    backgrounds = [_grid_background(h, width, range(9, width, 97)) for h in heights]
    backgrounds[2] = _grid_background(heights[2], width, range(30, width, 50))
    colours = [INK, 0xFF00FF00, INK, 0xFFFF0000]
    gap_colour = 0xFF1B1C1F
    bank = StrokeBank(backgrounds, colours, gaps, gap_colour)
    rasters = bank.rasters
    assert all(np.shares_memory(bank._storage, r.pixels) for r in rasters)  # one array
    assert not any(np.shares_memory(rasters[0].pixels, r.pixels) for r in rasters[1:])
    total = 30 * width
    levels = rng.choice([0.0, 0.05, 0.5, 0.95], size=(len(heights), total // 300 + 1))
    level = np.repeat(levels, 300, axis=1)[:, :total]
    signal = np.sin(np.arange(total) / 2.5) * level
    lows = [  # runs inside the row, as column_spans_rows gives them
        np.clip(np.floor(h / 2 - np.abs(s) * h / 2 - 1), 0, h - 1).astype(np.int32)
        for h, s in zip(heights, signal, strict=True)
    ]
    highs = [
        np.clip(np.floor(h / 2 + np.abs(s) * h / 2), 0, h - 1).astype(np.int32)
        for h, s in zip(heights, signal, strict=True)
    ]
    for high in highs:
        high[rng.random(total) < 0.01] = -1  # now and then a column without a run
    newest, together = width, 0
    for frame in range(300):
        step = int(rng.integers(0, 10)) if frame % 11 else int(rng.integers(0, 2 * width))
        newest = min(newest + step, total)
        top = np.stack([low[newest - width : newest] for low in lows])
        bottom = np.stack([high[newest - width : newest] for high in highs])
        hint = step if frame % 17 else int(rng.integers(-3, width + 3))
        drawn = [1] if frame % 29 == 5 else [0, 1, 2, 3]
        if frame % 29 == 5:  # one row painted on its own (another place, a grab)
            rasters[1].scroll(top[1], bottom[1], hint)
        else:
            bank.scroll(top, bottom, hint)
        if frame % 29 == 20:  # one row drawn again on its own: the same picture, not turned
            rasters[2].scroll(top[2], bottom[2], width)
        if frame % 29 == 12:  # one row drawn on its own with other runs, in place
            top[3], bottom[3] = top[3] // 2, bottom[3] // 2
            rasters[3].scroll(top[3], bottom[3], 0)
        together += len({r.rotation for r in rasters}) == 1 and rasters[0].rotation != 0
        for row in drawn:
            expected = _expected(backgrounds[row], top[row], bottom[row], colours[row])
            np.testing.assert_array_equal(
                _picture(rasters[row]), expected, f"frame {frame}, row {row}"
            )
        assert bank.in_step() == (drawn == [0, 1, 2, 3] and frame % 29 not in (12, 20))
        if bank.in_step():
            parts = []
            for row, gap in enumerate([*(gaps or [0, 0, 0]), 0]):
                parts.append(_picture(rasters[row]))
                parts.append(np.full((gap, width), gap_colour, np.uint32))
            picture = np.roll(bank.pixels, -bank.rotation, axis=1)
            np.testing.assert_array_equal(picture, np.concatenate(parts), f"frame {frame}")
    assert together > 150  # most frames turned all the rows together


def test_rows_scrolled_together_write_only_the_columns_that_changed() -> None:
    width, heights = 1000, [30, 30, 31]
    backgrounds = [_grid_background(h, width, range(10, width, 250)) for h in heights]
    bank = StrokeBank(backgrounds, [INK] * 3)
    top = np.zeros((3, width), np.int32)
    bottom = np.array([[h - 1] * width for h in heights], np.int32)
    top[:, ::2] = 4
    bank.scroll(top, bottom, 0)
    before = [r.pixels.copy() for r in bank.rasters]
    moved = np.roll(top, -3, axis=1)
    bank.scroll(moved, bottom, 3)
    for raster, old, background, row_top, row_bottom in zip(
        bank.rasters, before, backgrounds, moved, bottom, strict=True
    ):
        written = np.flatnonzero((raster.pixels != old).any(axis=0))
        assert raster.rotation == 3
        assert 0 < len(written) <= 3 + 2 * 4  # the new columns, each line's old and new
        np.testing.assert_array_equal(_picture(raster), _expected(background, row_top, row_bottom))
    with pytest.raises(ValueError, match="3 rows of 1000 columns"):
        bank.scroll(top[:2], bottom, 1)
    with pytest.raises(ValueError, match="as wide"):
        StrokeBank([backgrounds[0], backgrounds[1][:, :-1]], [INK, INK])
    for gaps in ([1], [1, -1], [0, 0, 0]):
        with pytest.raises(ValueError, match="2 gaps of 0 or more rows"):
            StrokeBank(backgrounds, [INK] * 3, gaps)


def test_a_row_of_a_bank_turned_back_to_its_start_renders_alone_cleanly() -> None:
    """Turned by scrolling all the way round (rotation 0 again), a row may hold ink in any
    row of pixels: rendered alone afterwards, it must not keep any of it."""
    width, height = 100, 8
    backgrounds = [_grid_background(height, width, range(3, width, 50))] * 2
    bank = StrokeBank(backgrounds, [INK, INK])
    loud_top, loud_bottom = np.zeros((2, width), np.int32), np.full((2, width), height - 1)
    bank.scroll(loud_top, loud_bottom, 0)
    for shift, rotation in ((30, 30), (30, 60), (40, 0)):  # round in three turns
        bank.scroll(loud_top, loud_bottom, shift)
        assert bank.rasters[0].rotation == rotation
    quiet_top, quiet_bottom = np.full(width, 3, np.int32), np.full(width, 3, np.int32)
    np.testing.assert_array_equal(
        bank.rasters[0].render(quiet_top, quiet_bottom),
        _expected(backgrounds[0], quiet_top, quiet_bottom),
    )
