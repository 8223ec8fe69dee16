"""The other programs' streams, as pavucontrol's Playback and Recording tabs list them.

Who plays to or records from which device, at which volume, muted or paused; and, for the
selected stream, a strip to move it to another device, mute it or set its volume. As the
device panel, the page changes nothing itself: it emits intents (``moveRequested``,
``muteRequested``, ``volumeRequested``) that the controller carries out, and the next
listing (``AppController.streams``) shows the result. Listings are written into the
controls with their signals blocked and never while a slider is held.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSignalBlocker,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from scgui.audio import AppStream

from .volume_controls import (
    MAX_VOLUME_PERCENT,
    VOLUME_EMIT_INTERVAL_MS,
    Throttle,
    loudest_volume_text,
    slider_position,
    system_db,
    volume_label,
    volume_slider,
    volume_text,
)

HEADERS = ("Program", "Stream", "Device", "Volume", "State")
KINDS = ("playback", "recording")
_TITLES = {"playback": "Playback", "recording": "Recording"}
_Index = QModelIndex | QPersistentModelIndex
DbFunction = Callable[[float], float | None]

NO_LIST_TEXT = (
    "This sound system does not list other programs' streams to scgui (macOS does not, nor "
    "does Wine's WASAPI). Where it has one, the system's own volume mixer shows them."
)
NO_CONTROL_TIP = (
    "This sound system does not let one program move, mute or turn down another's "
    "streams; use the system's own sound settings."
)
NO_MOVE_TIP = (
    "This sound system lets no program move another's stream to another device; choose it "
    "in the system's own sound settings (on Windows: Settings > System > Sound > Volume "
    "mixer)."
)
MOVE_TIP = "Move the stream to another device"


def state_text(stream: AppStream) -> str:
    """``"muted"``, ``"paused"``, both, or what the stream is doing."""
    words = [word for word, on in (("muted", stream.muted), ("paused", stream.corked)) if on]
    if words:
        return ", ".join(words)
    return "playing" if stream.kind == "playback" else "recording"


def program_text(stream: AppStream) -> str:
    """The program's name; a stream a server module opened has none."""
    return stream.application or "(sound server)"


def balanced(volumes: Sequence[float], level: float) -> tuple[float, ...]:
    """``volumes`` with their loudest channel at ``level`` and the balance between channels
    kept; all channels at ``level`` when they are all silent."""
    loudest = max(volumes, default=0.0)
    if loudest <= 0:
        return (level,) * max(1, len(volumes))
    return tuple(level * v / loudest for v in volumes)


class StreamTableModel(QAbstractTableModel):
    """One row per stream of one kind; reset at each update (a few rows at most)."""

    def __init__(
        self, kind: str, parent: QWidget | None = None, to_db: DbFunction = system_db
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self._to_db = to_db
        self._rows: list[tuple[str, ...]] = []
        self._streams: list[AppStream] = []

    def set_streams(self, streams: Sequence[AppStream], device_names: Mapping[str, str]) -> None:
        chosen = sorted(
            (s for s in streams if s.kind == self.kind), key=lambda s: (s.application, s.id)
        )
        rows: list[tuple[str, ...]] = [
            (
                program_text(s),
                s.name,
                device_names.get(s.device_id, s.device_id),
                loudest_volume_text(s.volume, self._to_db),
                state_text(s),
            )
            for s in chosen
        ]
        if rows == self._rows and chosen == self._streams:
            return  # nothing changed: keep the selection and the scroll position
        self.beginResetModel()
        self._rows, self._streams = rows, chosen
        self.endResetModel()

    def stream_at(self, row: int) -> AppStream:
        return self._streams[row]

    def row_of(self, kind: str, stream_id: int) -> int | None:
        for row, stream in enumerate(self._streams):
            if (stream.kind, stream.id) == (kind, stream_id):
                return row
        return None

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


class StreamsPage(QWidget):
    """Playback and Recording: two tables of the programs' streams, and a strip that moves,
    mutes or sets the volume of the selected one."""

    moveRequested = Signal(object, str)  # AppStream, device id
    muteRequested = Signal(object, bool)  # AppStream, muted
    volumeRequested = Signal(object, object)  # AppStream, tuple[float, ...]

    def __init__(self, parent: QWidget | None = None, to_db: DbFunction = system_db) -> None:
        super().__init__(parent)
        self.setAccessibleName("Programs' streams")
        self._to_db = to_db
        self._devices: dict[str, list[tuple[str, str]]] = {kind: [] for kind in KINDS}
        self._can_control = True
        self._can_move = True
        self._volumes: tuple[float, ...] = ()
        self._balance: tuple[float, ...] = ()  # the channels against the loudest, kept at 0 %
        self._throttle = Throttle(VOLUME_EMIT_INTERVAL_MS, self._emit_volume, self)

        self.models = {kind: StreamTableModel(kind, self, to_db) for kind in KINDS}
        self.views: dict[str, QTableView] = {}
        self.tabs = QTabWidget()
        for kind in KINDS:
            view = QTableView()
            view.setModel(self.models[kind])
            view.setAccessibleName(f"{_TITLES[kind]} streams of the programs")
            view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
            view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            view.verticalHeader().setVisible(False)
            view.setWordWrap(False)
            header = view.horizontalHeader()
            header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
            view.selectionModel().selectionChanged.connect(self._on_selection_changed)
            self.views[kind] = view
            self.tabs.addTab(view, _TITLES[kind])
        self.tabs.currentChanged.connect(self._on_selection_changed)

        self.name_label = QLabel()
        self.name_label.setAccessibleName("Selected stream")
        self.name_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        font = self.name_label.font()
        font.setBold(True)
        self.name_label.setFont(font)
        device_caption = QLabel("&Device")
        self.device_combo = QComboBox()
        self.device_combo.setAccessibleName("Device of the selected stream")
        self.device_combo.setToolTip(MOVE_TIP)
        self.device_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.device_combo.setMinimumContentsLength(16)
        self.device_combo.activated.connect(self._on_device_chosen)
        device_caption.setBuddy(self.device_combo)
        self.mute_button = QPushButton("Mute")
        self.mute_button.setCheckable(True)
        self.mute_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MediaVolumeMuted)
        )
        self.mute_button.setAccessibleName("Mute the selected stream")
        self.mute_button.toggled.connect(self._on_mute_toggled)
        volume_caption = QLabel("V&olume")
        self.volume_slider = volume_slider("Volume of the selected stream")
        self.volume_slider.setToolTip(
            "The loudest channel's volume; the balance between channels is kept "
            f"(100 % = unchanged, up to {MAX_VOLUME_PERCENT} %)"
        )
        self.volume_slider.valueChanged.connect(self._on_volume_changed)
        self.volume_slider.sliderReleased.connect(self._throttle.flush)
        volume_caption.setBuddy(self.volume_slider)
        self.volume_label = volume_label()
        self.volume_label.setAccessibleName("Volume of the selected stream, in % and dB")

        row = QHBoxLayout()
        row.addWidget(device_caption)
        row.addWidget(self.device_combo, 2)
        row.addWidget(self.mute_button)
        row.addWidget(volume_caption)
        row.addWidget(self.volume_slider, 2)
        row.addWidget(self.volume_label)
        self.strip = QFrame()
        self.strip.setObjectName("controlStrip")
        self.strip.setFrameShape(QFrame.Shape.StyledPanel)
        self.strip.setAccessibleName("Selected stream controls")
        rows = QVBoxLayout(self.strip)
        rows.setSpacing(4)
        rows.addWidget(self.name_label)
        rows.addLayout(row)

        self.unlisted_label = QLabel(NO_LIST_TEXT)
        self.unlisted_label.setWordWrap(True)
        self.unlisted_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.unlisted_label.setVisible(False)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.unlisted_label, 1)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.strip)
        self._show_selected()

    # ------------------------------------------------------------------ from the controller
    def set_devices(
        self, speakers: Sequence[tuple[str, str]], inputs: Sequence[tuple[str, str]]
    ) -> None:
        """The devices a stream can move to: ``(id, name)`` of every speaker, and of every
        microphone and monitor (for recording streams)."""
        self._devices = {"playback": list(speakers), "recording": list(inputs)}
        self._show_selected()

    def set_can_list(self, can: bool) -> None:
        """Whether the sound system lists other programs' streams at all; if not, the page
        says so instead of showing empty tables."""
        self.unlisted_label.setVisible(not can)
        self.tabs.setVisible(can)
        self.strip.setVisible(can)

    def set_can_control(self, can: bool) -> None:
        """Whether the sound system lets this program mute and turn down other programs'
        streams."""
        self._can_control = can
        self._show_selected()

    def set_can_move(self, can: bool) -> None:
        """Whether it also lets this program move them to another device (Windows does not)."""
        self._can_move = can
        self.device_combo.setToolTip(MOVE_TIP if can else NO_MOVE_TIP)
        self._show_selected()

    def set_volume_limit(self, highest: float) -> None:
        """The highest volume the system gives a program's stream (1.0 = 100 %: Windows)."""
        top = max(1, min(MAX_VOLUME_PERCENT, round(100 * highest)))
        with QSignalBlocker(self.volume_slider):  # a clamped value is no user's request
            self.volume_slider.setMaximum(top)
        self.volume_slider.setToolTip(
            f"The loudest channel's volume; the balance between channels is kept "
            f"(100 % = unchanged, up to {top} %)"
        )

    def set_streams(self, streams: Sequence[AppStream], device_names: Mapping[str, str]) -> None:
        selected = self.selected_stream()
        for model in self.models.values():
            model.set_streams(streams, device_names)
        for index, kind in enumerate(KINDS):
            self.tabs.setTabText(index, f"{_TITLES[kind]} ({self.models[kind].rowCount()})")
        if selected is not None:
            self._reselect(selected)
        self._show_selected()

    # ------------------------------------------------------------------ the selection
    @property
    def current_kind(self) -> str:
        return KINDS[max(0, self.tabs.currentIndex())]

    def selected_stream(self) -> AppStream | None:
        view = self.views[self.current_kind]
        rows = view.selectionModel().selectedRows()
        return self.models[self.current_kind].stream_at(rows[0].row()) if rows else None

    def select(self, kind: str, stream_id: int) -> bool:
        """Show ``kind``'s tab with that stream selected; False if it is not listed."""
        row = self.models[kind].row_of(kind, stream_id)
        if row is None:
            return False
        self.tabs.setCurrentIndex(KINDS.index(kind))
        self.views[kind].selectRow(row)
        return True

    def _reselect(self, stream: AppStream) -> None:
        """Keep the same stream selected across a listing (the model was reset)."""
        view = self.views[stream.kind]
        row = self.models[stream.kind].row_of(stream.kind, stream.id)
        with QSignalBlocker(view.selectionModel()):
            if row is None:
                view.clearSelection()
            else:
                view.selectRow(row)

    def _on_selection_changed(self, *_args: object) -> None:
        self._throttle.flush()  # a pending volume belongs to the stream selected before
        self._volumes = self._balance = ()
        self._show_selected()

    def _show_selected(self) -> None:
        """Write the selected stream into the strip, without sending anything back."""
        stream = self.selected_stream()
        for widget in (self.mute_button, self.volume_slider):
            widget.setEnabled(stream is not None and self._can_control)
        self.device_combo.setEnabled(stream is not None and self._can_control and self._can_move)
        self.strip.setToolTip("" if self._can_control else NO_CONTROL_TIP)
        if stream is None:
            self.name_label.setText("Select a stream to move, mute or turn it down")
            self.volume_label.setText("–")
            return
        self.name_label.setText(f"{program_text(stream)}: {stream.name}")
        self.name_label.setToolTip(f"{program_text(stream)}: {stream.name}")
        with QSignalBlocker(self.device_combo):
            self.device_combo.clear()
            known = dict(self._devices[stream.kind])
            for device_id, name in self._devices[stream.kind]:
                self.device_combo.addItem(name, device_id)
                self.device_combo.setItemData(
                    self.device_combo.count() - 1, name, Qt.ItemDataRole.ToolTipRole
                )
            if stream.device_id not in known:
                self.device_combo.addItem(stream.device_id or "(no device)", stream.device_id)
            self.device_combo.setCurrentIndex(self.device_combo.findData(stream.device_id))
        with QSignalBlocker(self.mute_button):
            self.mute_button.setChecked(stream.muted)
        if self.volume_slider.isSliderDown() or self._throttle.pending:
            return  # the user is turning it: the listing is older than the slider
        self._volumes = tuple(stream.volume)
        loudest = max(self._volumes, default=0.0)
        if loudest > 0:
            self._balance = tuple(v / loudest for v in self._volumes)
        with QSignalBlocker(self.volume_slider):
            self.volume_slider.setValue(slider_position(max(self._volumes, default=0.0)))
        self.volume_label.setText(loudest_volume_text(self._volumes, self._to_db))

    # ------------------------------------------------------------------ user input
    def _on_device_chosen(self, index: int) -> None:
        stream = self.selected_stream()
        device_id = self.device_combo.itemData(index)
        if stream is not None and isinstance(device_id, str) and device_id != stream.device_id:
            self.moveRequested.emit(stream, device_id)

    def _on_mute_toggled(self, checked: bool) -> None:
        stream = self.selected_stream()
        if stream is not None:
            self.muteRequested.emit(stream, checked)

    def _on_volume_changed(self, value: int) -> None:
        stream = self.selected_stream()
        if stream is None:
            return
        level = value / 100.0
        self._volumes = balanced(self._balance or stream.volume, level)
        self.volume_label.setText(volume_text(level, self._to_db))
        self._throttle.push(stream, self._volumes)

    def _emit_volume(self, stream: AppStream, volumes: tuple[float, ...]) -> None:
        self.volumeRequested.emit(stream, volumes)
