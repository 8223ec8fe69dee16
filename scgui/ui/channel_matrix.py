"""The channel-map matrix editor: which device channel each column of the data is.

Rows are the logical channels (the columns of the recorded or played data), columns the
device's physical channels plus "Mix" (the mono mix of every channel, -1 in a map). Each row
has exactly one lit cell; clicking a cell moves it. Maps are remembered per device in
QSettings so monitoring, recording and playback can reuse them.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

MIX = -1
LIT = QColor("#3f9f6f")
UNLIT = QColor("#1f2328")
PRESETS = ("Identity", "Reverse", "Mono mix", "First n")


def preset_map(name: str, device_channels: int, count: int | None = None) -> list[int]:
    """The map a preset stands for; ``count`` logical channels for "First n" and "Mono mix"."""
    if name == "Identity":
        return list(range(device_channels))
    if name == "Reverse":
        return list(range(device_channels - 1, -1, -1))
    if name == "Mono mix":
        return [MIX] * (count or 1)
    if name == "First n":
        return list(range(min(device_channels, count or device_channels)))
    raise ValueError(f"Unknown preset {name!r}; choose one of {', '.join(PRESETS)}.")


def map_problems(channel_map: Sequence[int], device_channels: int, playback: bool) -> list[str]:
    """Why a map cannot be used as is (empty list when it can)."""
    problems = []
    if not channel_map:
        problems.append("The map is empty: add at least one logical channel.")
    for row, channel in enumerate(channel_map):
        if not MIX <= channel < device_channels:
            problems.append(
                f"Logical channel {row + 1} names device channel {channel + 1}, but the device "
                f"has {device_channels}."
            )
    if playback:
        seen: dict[int, int] = {}
        for row, channel in enumerate(channel_map):
            if channel != MIX and channel in seen:
                problems.append(
                    f"Logical channels {seen[channel] + 1} and {row + 1} both play on device "
                    f"channel {channel + 1}: their signals would be added together."
                )
            seen.setdefault(channel, row)
    return problems


def settings_key(device_id: str) -> str:
    return f"channelmaps/{device_id.replace('/', '_')}"


def save_map(settings: QSettings, device_id: str, channel_map: Sequence[int]) -> None:
    settings.setValue(settings_key(device_id), ",".join(str(c) for c in channel_map))


def load_map(settings: QSettings, device_id: str) -> list[int] | None:
    text = settings.value(settings_key(device_id))
    if not text:
        return None
    try:
        return [int(part) for part in str(text).split(",")]
    except ValueError:
        return None


class ChannelMatrix(QWidget):
    """The editable grid with presets; emits :attr:`mapChanged` with the new map."""

    mapChanged = Signal(list)

    def __init__(self, parent: QWidget | None = None, *, playback: bool = False) -> None:
        super().__init__(parent)
        self._playback = playback
        self._names: list[str] = []
        self._map: list[int] = []
        self.table = QTableWidget()
        self.table.setAccessibleName("Channel map: logical channels against device channels")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.horizontalHeader().setDefaultSectionSize(44)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.cellClicked.connect(self._on_cell)
        self.preset_box = QComboBox()
        self.preset_box.addItems(PRESETS)
        self.preset_box.setAccessibleName("Channel map preset")
        self.count_spin = QSpinBox()
        self.count_spin.setRange(1, 64)
        self.count_spin.setAccessibleName("Number of logical channels")
        self.count_spin.setToolTip("Number of logical channels (rows)")
        apply_button = QPushButton("Apply preset")
        apply_button.clicked.connect(self._apply_preset)
        self.count_spin.valueChanged.connect(self._on_count)
        self.problems = QLabel("")
        self.problems.setObjectName("warning")
        self.problems.setWordWrap(True)

        row = QHBoxLayout()
        row.addWidget(QLabel("Preset"))
        row.addWidget(self.preset_box)
        row.addWidget(apply_button)
        row.addStretch(1)
        row.addWidget(QLabel("Logical channels"))
        row.addWidget(self.count_spin)
        column = QVBoxLayout(self)
        column.addLayout(row)
        column.addWidget(self.table, 1)
        column.addWidget(self.problems)

    def set_device(self, channel_names: Sequence[str], channel_map: Sequence[int] | None) -> None:
        """Show a device's channels and a map (identity when ``None``)."""
        self._names = list(channel_names)
        self.set_map(list(channel_map) if channel_map else list(range(len(self._names))))

    def channel_map(self) -> list[int]:
        return list(self._map)

    def set_map(self, channel_map: Sequence[int]) -> None:
        self._map = [c if MIX <= c < len(self._names) else 0 for c in channel_map]
        self.count_spin.blockSignals(True)
        self.count_spin.setValue(max(1, len(self._map)))
        self.count_spin.blockSignals(False)
        self._rebuild()
        self.mapChanged.emit(self.channel_map())

    def problems_text(self) -> str:
        return self.problems.text()

    def _rebuild(self) -> None:
        table = self.table
        columns = len(self._names) + 1
        table.setColumnCount(columns)
        table.setRowCount(len(self._map))
        headers = [
            *(
                (f"{i + 1}", f"Device channel {i + 1}: {name}")
                for i, name in enumerate(self._names)
            ),
            ("Mix", "The mono mix of every channel"),
        ]
        for column, (label, tip) in enumerate(headers):
            header = QTableWidgetItem(label)
            header.setToolTip(tip)
            table.setHorizontalHeaderItem(column, header)
        table.setVerticalHeaderLabels([f"Logical {row + 1}" for row in range(len(self._map))])
        for row, channel in enumerate(self._map):
            lit_column = columns - 1 if channel == MIX else channel
            for column in range(columns):
                item = QTableWidgetItem("●" if column == lit_column else "")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setBackground(QBrush(LIT if column == lit_column else UNLIT))
                target = "the mono mix" if column == columns - 1 else f"device channel {column + 1}"
                item.setToolTip(f"Logical channel {row + 1} → {target}")
                table.setItem(row, column, item)
        problems = map_problems(self._map, len(self._names), self._playback)
        self.problems.setText("\n".join(problems))

    def _on_cell(self, row: int, column: int) -> None:
        self._map[row] = MIX if column == len(self._names) else column
        self._rebuild()
        self.mapChanged.emit(self.channel_map())

    def _on_count(self, count: int) -> None:
        if count > len(self._map):
            start = len(self._map)
            self._map += [(start + i) % max(1, len(self._names)) for i in range(count - start)]
        else:
            self._map = self._map[:count]
        self._rebuild()
        self.mapChanged.emit(self.channel_map())

    def _apply_preset(self) -> None:
        self.set_map(
            preset_map(self.preset_box.currentText(), len(self._names), self.count_spin.value())
        )


class ChannelMatrixDialog(QDialog):
    """The matrix in a dialog for one device; saves the map per device on OK."""

    def __init__(
        self,
        device_id: str,
        device_name: str,
        channel_names: Sequence[str],
        settings: QSettings,
        *,
        playback: bool = False,
        initial: Sequence[int] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Channel map: {device_name}")
        self._settings, self._device_id = settings, device_id
        self.matrix = ChannelMatrix(playback=playback)
        self.matrix.set_device(channel_names, initial or load_map(settings, device_id))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        column = QVBoxLayout(self)
        what = "play on" if playback else "record from"
        column.addWidget(QLabel(f"Click the device channel each logical channel should {what}."))
        column.addWidget(self.matrix, 1)
        column.addWidget(buttons)
        self.resize(min(900, 160 + 46 * (len(channel_names) + 1)), 420)

    def accept(self) -> None:
        save_map(self._settings, self._device_id, self.matrix.channel_map())
        super().accept()
