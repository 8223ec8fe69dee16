"""A Qt table model of sound devices that updates in place.

The device list is re-read whenever the sound server reports a change (a card plugged in, a
volume moved in pavucontrol). Resetting the model on every such event would throw away the
view's selection and scroll position, so :meth:`DeviceTableModel.set_devices` diffs the new
listing against the rows it shows, keyed by device id, and emits only the row removals,
insertions and ``dataChanged`` notifications that the difference needs.

Rows hold the device objects themselves (exposed through :data:`DeviceRole`), never indexes
into some other list: a row's meaning survives rows appearing and vanishing around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any, TypeAlias

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QFont

from scgui.audio import Microphone, Speaker

__all__ = [
    "DEFAULT_MARKER",
    "Column",
    "Device",
    "DeviceRole",
    "DeviceTableModel",
    "format_latency",
    "format_samplerate",
    "format_volume",
]

Device: TypeAlias = Speaker | Microphone
"""Anything the model shows: a speaker, a microphone, or a loopback microphone."""

DeviceRole = int(Qt.ItemDataRole.UserRole) + 1
"""Item data role that returns the row's device object (the same for every column)."""

DEFAULT_MARKER = "★"
"""Text of the Default column on the default device's row."""

_NO_VALUE = "–"

_Index: TypeAlias = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    """The model's columns, in display order."""

    NAME = 0
    CHANNELS = 1
    SAMPLERATE = 2
    DEFAULT = 3
    LATENCY = 4
    VOLUME = 5


_HEADERS = {
    Column.NAME: "Name",
    Column.CHANNELS: "Ch",
    Column.SAMPLERATE: "Rate",
    Column.DEFAULT: "★",
    Column.LATENCY: "Latency",
    Column.VOLUME: "Volume",
}

_HEADER_TIPS = {
    Column.NAME: "The device's name as the sound server describes it",
    Column.CHANNELS: "Number of channels",
    Column.SAMPLERATE: "The device's default sample rate",
    Column.DEFAULT: "★ marks the system's default device",
    Column.LATENCY: "Latency the sound server reports for the device",
    Column.VOLUME: "Mean volume of the device's channels (100 % = unamplified)",
}

_NUMERIC = frozenset({Column.CHANNELS, Column.SAMPLERATE, Column.LATENCY, Column.VOLUME})
_ALIGN_NUMBER = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_ALIGN_TEXT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
_ALIGN_CENTER = Qt.AlignmentFlag.AlignCenter


def format_samplerate(samplerate: int) -> str:
    """``48000`` → ``"48 kHz"``, ``44100`` → ``"44.1 kHz"`` (what audio people read)."""
    if samplerate <= 0:
        return _NO_VALUE
    return f"{samplerate / 1000:g} kHz"


def format_latency(latency: float | None) -> str:
    """Seconds → ``"2.5 ms"``; ``"–"`` when the server did not say."""
    if latency is None:
        return _NO_VALUE
    milliseconds = latency * 1000.0
    return f"{milliseconds:.0f} ms" if milliseconds >= 10 else f"{milliseconds:.1f} ms"


def format_volume(volume: Sequence[float], muted: bool) -> str:
    """Mean channel volume in percent (``"100 %"``), or ``"muted"``; ``"–"`` if unknown."""
    if muted:
        return "muted"
    if not volume:
        return _NO_VALUE
    return f"{round(100.0 * sum(volume) / len(volume))} %"


def _tooltip(device: Device, is_default: bool) -> str:
    """Several lines about the device: its name, id, channels and what it records."""
    info = device.info
    lines = [device.name, f"ID: {device.id}"]
    if is_default:
        lines.append("Default device")
    if info.monitor_of:
        lines.append(f"Records what is played to: {info.monitor_of}")
    if device.channel_names:
        lines.append(f"Channels: {', '.join(device.channel_names)}")
    else:
        lines.append(f"Channels: {device.channels}")
    if info.volume:
        per_channel = " / ".join(f"{round(v * 100)} %" for v in info.volume)
        lines.append(f"Volume: {per_channel}" + (" (muted)" if info.muted else ""))
    return "\n".join(lines)


class DeviceTableModel(QAbstractTableModel):
    """One row per device, six read-only columns (see :class:`Column`).

    Feed it with :meth:`set_devices` as often as the device list changes; views attached to
    it keep their selection and scroll position because rows are removed, inserted and
    updated individually rather than reset.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._devices: list[Device] = []
        self._default_id: str | None = None

    # ------------------------------------------------------------------ feeding
    def set_devices(self, devices: Sequence[Device], default_id: str | None = None) -> None:
        """Show ``devices`` (in the server's order), with ``default_id`` marked as default.

        Rows whose device id is no longer listed are removed, devices not shown yet are
        inserted next to the device that precedes them in ``devices``, and rows whose name,
        info or default flag changed are replaced by the new snapshot with a ``dataChanged``
        for that row. Rows that stay keep their relative order.
        """
        wanted: dict[str, Device] = {}
        for device in devices:
            wanted.setdefault(device.id, device)  # a duplicate id would break the keying

        # 1. Removals, as contiguous ranges from the bottom so that row numbers stay valid.
        row = len(self._devices) - 1
        while row >= 0:
            if self._devices[row].id in wanted:
                row -= 1
                continue
            last = row
            while row >= 0 and self._devices[row].id not in wanted:
                row -= 1
            first = row + 1
            self.beginRemoveRows(QModelIndex(), first, last)
            del self._devices[first : last + 1]
            self.endRemoveRows()

        # 2. Updates of the rows that stay (before insertions, so that rows are compared with
        #    the snapshot they showed, under the old and the new default).
        old_default = self._default_id
        self._default_id = default_id
        last_column = self.columnCount() - 1
        for row, old in enumerate(self._devices):
            new = wanted[old.id]
            self._devices[row] = new
            if (
                new.info != old.info
                or new.name != old.name
                or (old.id == old_default) != (new.id == default_id)
            ):
                self.dataChanged.emit(self.index(row, 0), self.index(row, last_column))

        # 3. Insertions: each new device goes right after its predecessor in ``devices``,
        #    runs of new devices as one insertion.
        position = {device.id: row for row, device in enumerate(self._devices)}
        pending: list[Device] = []
        cursor = 0
        for device in wanted.values():
            if device.id in position:
                cursor = self._insert(cursor, pending, position)
                cursor = position[device.id] + 1
            else:
                pending.append(device)
        self._insert(cursor, pending, position)

    def _insert(self, at: int, pending: list[Device], position: dict[str, int]) -> int:
        """Insert ``pending`` at row ``at``, update ``position``; return the row after them."""
        if not pending:
            return at
        self.beginInsertRows(QModelIndex(), at, at + len(pending) - 1)
        self._devices[at:at] = pending
        self.endInsertRows()
        for row in range(at, len(self._devices)):
            position[self._devices[row].id] = row
        end = at + len(pending)
        pending.clear()
        return end

    def clear(self) -> None:
        """Remove every row (as one removal, not a reset)."""
        self.set_devices([], None)

    # ------------------------------------------------------------------ lookups
    @property
    def default_id(self) -> str | None:
        """The id of the device marked as default (it may not be among the rows)."""
        return self._default_id

    def devices(self) -> tuple[Device, ...]:
        """The devices shown, in row order."""
        return tuple(self._devices)

    def device_at(self, index: _Index | int) -> Device | None:
        """The device shown in the row of ``index`` (or row number); None if there is none."""
        row = index if isinstance(index, int) else index.row() if index.isValid() else -1
        if 0 <= row < len(self._devices):
            return self._devices[row]
        return None

    def index_of(self, device_id: str, column: int = Column.NAME) -> QModelIndex:
        """The index of the device with ``device_id`` in ``column``; invalid if not shown."""
        for row, device in enumerate(self._devices):
            if device.id == device_id:
                return self.index(row, column)
        return QModelIndex()

    def is_default(self, device: Device) -> bool:
        """Whether ``device`` is the one marked as default."""
        return device.id == self._default_id

    # ------------------------------------------------------------------ Qt model interface
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's own default)
        """Number of devices (a table: items have no children)."""
        return 0 if parent.isValid() else len(self._devices)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        """Number of columns (see :class:`Column`)."""
        return 0 if parent.isValid() else len(Column)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        """Rows can be selected but not edited: changes go through the panel's controls."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemNeverHasChildren
        )

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        """Column titles, their tooltips and alignment; rows have no header text."""
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        column = Column(section)
        if role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            return _HEADER_TIPS[column]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column in _NUMERIC:
                return _ALIGN_NUMBER
            return _ALIGN_CENTER if column == Column.DEFAULT else _ALIGN_TEXT
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Text, tooltip, alignment, font (bold for the default) and the device itself."""
        if not index.isValid() or index.model() is not self:
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._devices) and 0 <= column < len(Column)):
            return None
        device = self._devices[row]
        column = Column(column)
        is_default = device.id == self._default_id
        if role == DeviceRole:
            return device
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._text(device, column, is_default, role)
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(device, is_default)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column in _NUMERIC:
                return _ALIGN_NUMBER
            return _ALIGN_CENTER if column == Column.DEFAULT else _ALIGN_TEXT
        if role == Qt.ItemDataRole.FontRole and is_default:
            font = QFont()
            font.setBold(True)
            return font
        return None

    @staticmethod
    def _text(device: Device, column: Column, is_default: bool, role: int) -> str:
        """The cell's text; for screen readers the default marker is spelled out."""
        info = device.info
        if column == Column.NAME:
            return device.name
        if column == Column.CHANNELS:
            return str(device.channels)
        if column == Column.SAMPLERATE:
            return format_samplerate(info.samplerate)
        if column == Column.DEFAULT:
            if role == Qt.ItemDataRole.AccessibleTextRole:
                return "Default" if is_default else "Not default"
            return DEFAULT_MARKER if is_default else ""
        if column == Column.LATENCY:
            return format_latency(info.latency)
        return format_volume(info.volume, info.muted)
