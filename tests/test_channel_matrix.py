"""The channel-map matrix editor: presets, clicks, validation and QSettings round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from scgui.ui.channel_matrix import (
    MIX,
    ChannelMatrix,
    ChannelMatrixDialog,
    load_map,
    map_problems,
    preset_map,
    save_map,
)

NAMES = ["Front Left", "Front Right", "Rear Left", "Rear Right"]


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def test_presets() -> None:
    assert preset_map("Identity", 4) == [0, 1, 2, 3]
    assert preset_map("Reverse", 4) == [3, 2, 1, 0]
    assert preset_map("Mono mix", 4, 2) == [MIX, MIX]
    assert preset_map("First n", 4, 2) == [0, 1]
    with pytest.raises(ValueError, match="Identity"):
        preset_map("Diagonal", 4)


def test_problems_are_explained() -> None:
    assert map_problems([0, 1], 2, playback=True) == []
    assert map_problems([1, 1], 2, playback=False) == []  # recording twice is fine
    (duplicate,) = map_problems([1, 1], 2, playback=True)
    assert "both play on device channel 2" in duplicate
    (out_of_range,) = map_problems([0, 5], 2, playback=False)
    assert "device channel 6" in out_of_range and "has 2" in out_of_range
    assert "empty" in map_problems([], 2, playback=False)[0]


def test_clicking_cells_edits_the_map(qtbot) -> None:
    matrix = ChannelMatrix()
    qtbot.addWidget(matrix)
    matrix.set_device(NAMES, None)
    assert matrix.channel_map() == [0, 1, 2, 3]
    with qtbot.waitSignal(matrix.mapChanged) as changed:
        matrix.table.cellClicked.emit(0, 3)
    assert changed.args[0] == [3, 1, 2, 3]
    matrix.table.cellClicked.emit(1, 4)  # the Mix column
    assert matrix.channel_map() == [3, MIX, 2, 3]
    assert matrix.table.item(1, 4).text() == "●" and matrix.table.item(1, 1).text() == ""
    matrix.count_spin.setValue(2)
    assert matrix.channel_map() == [3, MIX]
    matrix.preset_box.setCurrentText("Reverse")
    matrix._apply_preset()
    assert matrix.channel_map() == [3, 2, 1, 0]


def test_playback_matrix_warns_about_shared_channels(qtbot) -> None:
    matrix = ChannelMatrix(playback=True)
    qtbot.addWidget(matrix)
    matrix.set_device(NAMES, [0, 0])
    assert "added together" in matrix.problems_text()


def test_map_round_trips_through_qsettings(qtbot, settings) -> None:
    save_map(settings, "multi8", [7, 6, -1])
    assert load_map(settings, "multi8") == [7, 6, -1]
    assert load_map(settings, "other") is None
    dialog = ChannelMatrixDialog("scarlett", "Scarlett", NAMES[:2], settings)
    qtbot.addWidget(dialog)
    dialog.matrix.set_map([1, 0])
    dialog.accept()
    settings.sync()
    again = QSettings(settings.fileName(), QSettings.Format.IniFormat)
    assert load_map(again, "scarlett") == [1, 0]
    reopened = ChannelMatrixDialog("scarlett", "Scarlett", NAMES[:2], again)
    qtbot.addWidget(reopened)
    assert reopened.matrix.channel_map() == [1, 0]
