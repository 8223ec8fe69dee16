"""The other programs' streams, as pavucontrol's Playback and Recording tabs list them.

Read-only for now: who plays to or records from which device, at which volume, muted or
paused. The list is kept live by the controller (see ``AppController.streamsChanged``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QTabWidget, QWidget

from scgui.audio import AppStream

HEADERS = ("Program", "Stream", "Device", "Volume", "State")
_Index = QModelIndex | QPersistentModelIndex


def volume_text(volume: Sequence[float]) -> str:
    """Mean channel volume in percent, as the device table shows it."""
    if not volume:
        return "–"
    return f"{round(100.0 * sum(volume) / len(volume))} %"


def state_text(stream: AppStream) -> str:
    """``"muted"``, ``"paused"``, both, or what the stream is doing."""
    words = [word for word, on in (("muted", stream.muted), ("paused", stream.corked)) if on]
    if words:
        return ", ".join(words)
    return "playing" if stream.kind == "playback" else "recording"


class StreamTableModel(QAbstractTableModel):
    """One row per stream of one kind; reset at each update (a few rows at most)."""

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self._rows: list[tuple[str, ...]] = []
        self._streams: list[AppStream] = []

    def set_streams(self, streams: Sequence[AppStream], device_names: Mapping[str, str]) -> None:
        chosen = sorted(
            (s for s in streams if s.kind == self.kind), key=lambda s: (s.application, s.id)
        )
        rows = [
            (
                s.application or "(sound server)",  # a module's stream: no client
                s.name,
                device_names.get(s.device_id, s.device_id),
                volume_text(s.volume),
                state_text(s),
            )
            for s in chosen
        ]
        if rows == self._rows:
            return  # nothing changed: keep the selection and the scroll position
        self.beginResetModel()
        self._rows, self._streams = rows, chosen
        self.endResetModel()

    def stream_at(self, row: int) -> AppStream:
        return self._streams[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        return self._rows[index.row()][index.column()]

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None


class StreamsPage(QTabWidget):
    """Playback and Recording: two tables of the programs' streams."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Programs' streams")
        self.models = {kind: StreamTableModel(kind, self) for kind in ("playback", "recording")}
        for kind, title in (("playback", "Playback"), ("recording", "Recording")):
            view = QTableView()
            view.setModel(self.models[kind])
            view.setAccessibleName(f"{title} streams of the programs")
            view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            view.verticalHeader().setVisible(False)
            view.setWordWrap(False)
            header = view.horizontalHeader()
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
            self.addTab(view, title)

    def set_streams(self, streams: Sequence[AppStream], device_names: Mapping[str, str]) -> None:
        for model in self.models.values():
            model.set_streams(streams, device_names)
        for index, kind in enumerate(("playback", "recording")):
            count = self.models[kind].rowCount()
            self.setTabText(index, f"{kind.capitalize()} ({count})")
