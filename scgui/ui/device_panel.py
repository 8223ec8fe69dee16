"""The device panel: speakers, microphones and loopback sources, with volume controls.

Three tabs, each a table of devices (a :class:`~scgui.ui.device_model.DeviceTableModel`) and,
under it, a control strip for the selected device: a master volume slider, a mute toggle,
"Set as default", and "Channels…" for one slider per channel.

The panel never changes a device itself. It only *emits intents* (``volumeRequested``,
``muteRequested``, ``setDefaultRequested``); a controller elsewhere applies them through
:mod:`scgui.audio`. The server then reports the change, the controller re-lists the devices and
calls :meth:`DevicePanel.update_devices`, and the controls follow. Updates are written into the
controls with their signals blocked, so a change made elsewhere (pavucontrol, a volume key)
shows live without being sent back to the server as a new request.

Slider drags are throttled: a drag produces a ``volumeRequested`` at once, then at most one
every :data:`VOLUME_EMIT_INTERVAL_MS` with the newest value, and a last one on release, so the
server sees a smooth ramp instead of hundreds of requests.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import (
    QItemSelection,
    QModelIndex,
    QSignalBlocker,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QStackedWidget,
    QStyle,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from scgui.audio import Microphone, Speaker
from scgui.audio.backends.base import Capabilities
from scgui.channel_text import channel_label

from .device_model import Column, Device, DeviceTableModel
from .volume_controls import (
    MAX_VOLUME_PERCENT,
    VOLUME_EMIT_INTERVAL_MS,
    Throttle,
    loudest_volume_text,
    slider_position,
    volume_label,
    volume_slider,
    volume_text,
)

__all__ = [
    "KINDS",
    "MAX_VOLUME_PERCENT",
    "VOLUME_EMIT_INTERVAL_MS",
    "ChannelVolumeDialog",
    "DeviceGroup",
    "DevicePanel",
]

KINDS = ("speaker", "microphone", "loopback")
"""The panel's groups, as accepted by :meth:`DevicePanel.selected_device`."""

_TITLES = {"speaker": "Speakers", "microphone": "Microphones", "loopback": "Loopback"}
_EMPTY_TEXT = {
    "speaker": "No speakers found",
    "microphone": "No microphones found",
    "loopback": "No loopback sources found\n(monitors of speakers appear here)",
}
_NOUN = {"speaker": "speaker", "microphone": "microphone", "loopback": "loopback source"}


class _PaddedHeader(QHeaderView):
    """A horizontal header whose sections are a little wider than their title.

    Columns resized to their contents would otherwise put a right-aligned number right
    against the next column's text. Widening the sections (rather than padding the cells)
    keeps cell text and header text on the same margins.
    """

    PADDING = 18

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)

    def sectionSizeFromContents(self, logicalIndex: int) -> QSize:
        """The title's size plus :attr:`PADDING` pixels of width."""
        size = super().sectionSizeFromContents(logicalIndex)
        return QSize(size.width() + self.PADDING, size.height())


class ChannelVolumeDialog(QDialog):
    """A small non-modal window with one volume slider per channel of a device.

    It holds no state of its own: the group shows volumes in it with :meth:`show_volumes`
    (signals blocked) and hears the user through :attr:`channelVolumeChanged`.
    """

    channelVolumeChanged = Signal(int, float)
    """A channel's slider moved: (channel index, linear volume)."""

    sliderReleased = Signal()
    """The user let go of a channel slider (time to send the final value)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Channel volumes")
        self.setAccessibleName("Channel volumes")
        self.setModal(False)
        self._title = QLabel()
        self._title.setAccessibleName("Device")
        font = self._title.font()
        font.setBold(True)
        self._title.setFont(font)
        self._grid = QGridLayout()
        self._grid.setColumnStretch(1, 1)
        self._grid.setHorizontalSpacing(10)
        self._sliders: list[QSlider] = []
        self._labels: list[QLabel] = []
        self._names: tuple[str, ...] = ()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setAccessibleName("Close")
        self._rows = rows = QWidget()
        rows.setLayout(self._grid)
        # 32 sliders are ~920 px: they scroll inside a dialog that fits the screen.
        self._scroll = QScrollArea()
        self._scroll.setWidget(rows)
        self._scroll.setWidgetResizable(True)
        self._scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.addWidget(self._title)
        layout.addWidget(self._scroll, 1)
        layout.addWidget(buttons)
        self.setMinimumWidth(380)

    @property
    def sliders(self) -> tuple[QSlider, ...]:
        """The per-channel sliders, in channel order (for tests and accessibility tools)."""
        return tuple(self._sliders)

    def is_dragging(self) -> bool:
        """Whether the user holds one of the sliders."""
        return any(slider.isSliderDown() for slider in self._sliders)

    def show_volumes(self, device: Device, volumes: Sequence[float]) -> None:
        """Show ``device``'s channels at ``volumes`` without emitting anything."""
        self._title.setText(device.name)
        self.setWindowTitle(f"Channel volumes — {device.name}")
        names = tuple(device.channel_names) or ()
        names = tuple(
            channel_label(i, names[i] if i < len(names) else "") for i in range(len(volumes))
        )
        if names != self._names:
            self._rebuild(names)
        for slider, label, volume in zip(self._sliders, self._labels, volumes, strict=False):
            with QSignalBlocker(slider):
                slider.setValue(slider_position(volume))
            label.setText(volume_text(volume))

    def _rebuild(self, names: tuple[str, ...]) -> None:
        """Replace the rows by one label, slider and percent per channel name."""
        while self._grid.count():
            item = self._grid.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self._sliders.clear()
        self._labels.clear()
        for channel, name in enumerate(names):
            name_label = QLabel(name)
            slider = volume_slider(f"Channel {name} volume")
            name_label.setBuddy(slider)
            percent = volume_label()
            percent.setAccessibleName(f"Channel {name} volume in percent")
            slider.valueChanged.connect(lambda value, c=channel: self._on_value_changed(c, value))
            slider.sliderReleased.connect(self.sliderReleased)
            self._grid.addWidget(name_label, channel, 0)
            self._grid.addWidget(slider, channel, 1)
            self._grid.addWidget(percent, channel, 2)
            self._sliders.append(slider)
            self._labels.append(percent)
        self._names = names
        self._fit_to_screen()

    def _fit_to_screen(self) -> None:
        """As tall as the rows, but never taller than most of the screen."""
        rows = self._rows
        rows.adjustSize()
        screen = self.screen() or QGuiApplication.primaryScreen()
        limit = screen.availableGeometry().height() * 7 // 10 if screen is not None else 600
        self._scroll.setMinimumHeight(min(rows.sizeHint().height() + 4, limit))
        self.adjustSize()

    def _on_value_changed(self, channel: int, value: int) -> None:
        self._labels[channel].setText(volume_text(value / 100.0))
        self.channelVolumeChanged.emit(channel, value / 100.0)


class DeviceGroup(QWidget):
    """One tab of the panel: a device table and the control strip of the selected device."""

    deviceSelected = Signal(object)
    deviceActivated = Signal(object)
    setDefaultRequested = Signal(object)
    volumeRequested = Signal(object, object)
    muteRequested = Signal(object, bool)

    def __init__(self, kind: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        noun = _NOUN[kind]
        self.model = DeviceTableModel(self)
        # Per-channel volumes of the selected device as the user last set them (or the
        # server last reported), so that the master slider and the channel sliders agree.
        self._volumes: tuple[float, ...] = ()
        # The last balance with a non-zero channel, per device: dragging the master slider to
        # 0 % and back must not lose a left/right balance.
        self._balances: dict[str, tuple[float, ...]] = {}
        self._selected_id: str | None = None
        self._can_set_default = True  # what the platform lets a program change
        self._can_mute = True
        self._throttle = Throttle(VOLUME_EMIT_INTERVAL_MS, self._emit_volume, self)
        self._dialog: ChannelVolumeDialog | None = None

        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setAccessibleName(f"{_TITLES[kind]} table")
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setAlternatingRowColors(True)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.verticalHeader().setVisible(False)
        self.view.setHorizontalHeader(_PaddedHeader(self.view))
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 12)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        header = self.view.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(36)
        for column in Column:
            mode = (
                QHeaderView.ResizeMode.Stretch
                if column == Column.NAME
                else QHeaderView.ResizeMode.ResizeToContents
            )
            header.setSectionResizeMode(column, mode)
        self.view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.view.activated.connect(self._on_activated)

        self.empty_label = QLabel(_EMPTY_TEXT[kind])
        self.empty_label.setAccessibleName(_EMPTY_TEXT[kind].splitlines()[0])
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setEnabled(False)  # drawn greyed out, like a placeholder
        self._stack = QStackedWidget()
        self._stack.addWidget(self.view)
        self._stack.addWidget(self.empty_label)

        # ---- control strip
        self.name_label = QLabel()
        self.name_label.setAccessibleName(f"Selected {noun}")
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.name_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.name_label.setWordWrap(True)
        font = self.name_label.font()
        font.setBold(True)
        self.name_label.setFont(font)

        style = self.style()
        self.mute_button = QPushButton("Mute")
        self.mute_button.setCheckable(True)
        self.mute_button.setIcon(style.standardIcon(QStyle.StandardPixmap.SP_MediaVolumeMuted))
        self.mute_button.setAccessibleName(f"Mute {noun}")
        self.mute_button.setToolTip(f"Mute or unmute the selected {noun}")
        self.mute_button.toggled.connect(self._on_mute_toggled)

        volume_caption = QLabel("&Volume")
        self.volume_slider = volume_slider(f"{noun.capitalize()} volume")
        self.volume_slider.setToolTip(
            "Volume of the loudest channel; the balance between channels is kept "
            f"(100 % = unamplified, up to {MAX_VOLUME_PERCENT} %)"
        )
        volume_caption.setBuddy(self.volume_slider)
        self.volume_slider.valueChanged.connect(self._on_master_changed)
        self.volume_slider.sliderReleased.connect(self._throttle.flush)
        self.volume_label = volume_label()
        self.volume_label.setAccessibleName(f"{noun.capitalize()} volume in percent")

        self.default_button = QPushButton("Set as &default")
        self.default_button.setAccessibleName(f"Set as default {noun}")
        self.default_button.clicked.connect(self._on_default_clicked)
        self.channels_button = QPushButton("C&hannels…")
        self.channels_button.setAccessibleName("Per-channel volumes")
        self.channels_button.setToolTip("One volume slider per channel")
        self.channels_button.clicked.connect(self.show_channel_dialog)

        top = QHBoxLayout()
        top.addWidget(self.name_label, 1)
        top.addWidget(self.channels_button)
        top.addWidget(self.default_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.mute_button)
        bottom.addSpacing(8)
        bottom.addWidget(volume_caption)
        bottom.addWidget(self.volume_slider, 1)
        bottom.addWidget(self.volume_label)
        self.strip = QFrame()
        self.strip.setObjectName("controlStrip")
        self.strip.setFrameShape(QFrame.Shape.StyledPanel)
        self.strip.setAccessibleName(f"Selected {noun} controls")
        strip_layout = QVBoxLayout(self.strip)
        strip_layout.setContentsMargins(8, 6, 8, 6)
        strip_layout.addLayout(top)
        strip_layout.addLayout(bottom)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self._stack, 1)
        layout.addWidget(self.strip)
        self._refresh_empty_state()
        self._refresh_strip(None)

    # ------------------------------------------------------------------ feeding
    def set_devices(self, devices: Sequence[Device], default_id: str | None) -> None:
        """Show ``devices`` and refresh the controls from the selected device's new info.

        When the selected device vanishes the selection is cleared, rather than moved to a
        neighbouring row as Qt would do: the volume controls must never silently start
        acting on a device the user did not pick.
        """
        if self._selected_id is not None and all(d.id != self._selected_id for d in devices):
            self.view.selectionModel().clear()
        self.model.set_devices(devices, default_id)
        self._refresh_empty_state()
        device = self.selected_device()
        if device is None and self._selected_id is not None:
            self._on_selection_changed()  # the selected device vanished
        else:
            self._refresh_strip(device)

    def set_capabilities(self, set_default: bool, mute: bool) -> None:
        """Offer only what the platform lets a program change."""
        self._can_set_default, self._can_mute = set_default, mute
        self._refresh_strip(self.selected_device())

    def selected_device(self) -> Device | None:
        """The selected device (its newest snapshot), or None."""
        rows = self.view.selectionModel().selectedRows()
        return self.model.device_at(rows[0]) if rows else None

    def select(self, device_id: str) -> bool:
        """Select the row of ``device_id``; False if it is not shown."""
        index = self.model.index_of(device_id)
        if not index.isValid():
            return False
        self.view.setCurrentIndex(index)
        self.view.selectRow(index.row())
        return True

    @property
    def channel_dialog(self) -> ChannelVolumeDialog | None:
        """The per-channel dialog, once "Channels…" has opened it."""
        return self._dialog

    def show_channel_dialog(self) -> ChannelVolumeDialog | None:
        """Open (or raise) the per-channel volume window for the selected device."""
        device = self.selected_device()
        if device is None or not self._volumes:
            return None
        if self._dialog is None:
            self._dialog = ChannelVolumeDialog(self)
            self._dialog.channelVolumeChanged.connect(self._on_channel_changed)
            self._dialog.sliderReleased.connect(self._throttle.flush)
        self._dialog.show_volumes(device, self._volumes)
        self._dialog.show()
        self._dialog.raise_()
        self._dialog.activateWindow()
        return self._dialog

    # ------------------------------------------------------------------ refreshing
    def _refresh_empty_state(self) -> None:
        self._stack.setCurrentWidget(self.view if self.model.rowCount() else self.empty_label)
        self.strip.setVisible(self.model.rowCount() > 0)

    def _user_is_adjusting(self) -> bool:
        """A drag or a throttled value in flight: the server's value would be stale."""
        dialog_dragging = self._dialog is not None and self._dialog.is_dragging()
        return self._throttle.pending or self.volume_slider.isSliderDown() or dialog_dragging

    def _refresh_strip(self, device: Device | None) -> None:
        """Write ``device``'s state into the controls, emitting nothing."""
        has_device = device is not None
        for widget in (self.mute_button, self.default_button, self.channels_button):
            widget.setEnabled(has_device)
        self.mute_button.setEnabled(has_device and self._can_mute)
        if device is None:
            self.name_label.setText(f"Select a {_NOUN[self.kind]} to adjust it")
            self.name_label.setEnabled(False)
            self.volume_slider.setEnabled(False)
            self.volume_label.setText("")
            self._volumes = ()
            with QSignalBlocker(self.mute_button):
                self.mute_button.setChecked(False)
            if self._dialog is not None:
                self._dialog.hide()
            return
        info = device.info
        self.name_label.setEnabled(True)
        self.name_label.setText(device.name)
        self.name_label.setToolTip(f"{device.name}\nID: {device.id}")
        is_default = self.model.is_default(device)
        self.default_button.setEnabled(not is_default and self._can_set_default)
        if not self._can_set_default:
            tip = (
                "This system does not let programs change the default device: use its "
                "sound settings"
            )
        elif is_default:
            tip = f"This is the default {_NOUN[self.kind]}"
        else:
            tip = f"Make this the system's default {_NOUN[self.kind]}"
        self.default_button.setToolTip(tip)
        with QSignalBlocker(self.mute_button):
            self.mute_button.setChecked(info.muted)
        has_volume = bool(info.volume)
        self.volume_slider.setEnabled(has_volume)
        self.channels_button.setEnabled(has_volume)
        if self._user_is_adjusting():
            return  # keep what the user is doing; the final value will come back anyway
        self._volumes = tuple(info.volume)
        self._remember_balance(device.id)
        self._show_master(self._volumes)
        if self._dialog is not None and self._dialog.isVisible():
            self._dialog.show_volumes(device, self._volumes)

    def _show_master(self, volumes: Sequence[float]) -> None:
        loudest = max(volumes, default=0.0)
        with QSignalBlocker(self.volume_slider):
            self.volume_slider.setValue(slider_position(loudest))
        self.volume_label.setText(loudest_volume_text(volumes))

    def _remember_balance(self, device_id: str) -> None:
        loudest = max(self._volumes, default=0.0)
        if loudest > 0.0:
            self._balances[device_id] = tuple(v / loudest for v in self._volumes)

    # ------------------------------------------------------------------ user input
    def _on_selection_changed(
        self, selected: QItemSelection | None = None, deselected: QItemSelection | None = None
    ) -> None:
        self._throttle.flush()  # a pending value belongs to the previous device
        device = self.selected_device()
        self._refresh_strip(device)
        new_id = device.id if device is not None else None
        changed = new_id != self._selected_id
        self._selected_id = new_id
        if device is not None and changed:
            self.deviceSelected.emit(device)

    def _on_activated(self, index: QModelIndex) -> None:
        device = self.model.device_at(index)
        if device is not None:
            self.deviceActivated.emit(device)

    def _on_master_changed(self, value: int) -> None:
        device = self.selected_device()
        if device is None or not self._volumes:
            return
        balance = self._balances.get(device.id, (1.0,) * len(self._volumes))
        if len(balance) != len(self._volumes):
            balance = (1.0,) * len(self._volumes)
        level = value / 100.0
        self._volumes = tuple(b * level for b in balance)
        self.volume_label.setText(volume_text(value / 100.0))
        if self._dialog is not None and self._dialog.isVisible():
            self._dialog.show_volumes(device, self._volumes)
        self._throttle.push(device, self._volumes)

    def _on_channel_changed(self, channel: int, volume: float) -> None:
        device = self.selected_device()
        if device is None or not 0 <= channel < len(self._volumes):
            return
        volumes = list(self._volumes)
        volumes[channel] = volume
        self._volumes = tuple(volumes)
        self._remember_balance(device.id)
        self._show_master(self._volumes)
        self._throttle.push(device, self._volumes)

    def _emit_volume(self, device: Device, volumes: tuple[float, ...]) -> None:
        self.volumeRequested.emit(device, volumes)

    def _on_mute_toggled(self, checked: bool) -> None:
        device = self.selected_device()
        if device is not None:
            self.muteRequested.emit(device, checked)

    def _on_default_clicked(self) -> None:
        device = self.selected_device()
        if device is not None:
            self.setDefaultRequested.emit(device)


class DevicePanel(QWidget):
    """Speakers, microphones and loopback sources in tabs, with their volume controls.

    Signals carry the device objects of :mod:`scgui.audio` (the newest snapshot the panel
    was given); the panel never calls the library itself.
    """

    deviceSelected = Signal(object)
    """A device was selected (also when its tab is brought to the front): (device)."""

    deviceActivated = Signal(object)
    """A device was double-clicked or Enter was pressed on it: (device)."""

    setDefaultRequested = Signal(object)
    """The user asked to make the device the system default: (device)."""

    volumeRequested = Signal(object, object)
    """The user moved a volume slider: (device, tuple of per-channel linear volumes)."""

    muteRequested = Signal(object, bool)
    """The user toggled Mute: (device, muted)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Sound devices")
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Device kinds")
        self.tabs.setDocumentMode(True)
        self._groups: dict[str, DeviceGroup] = {}
        for kind in KINDS:
            group = DeviceGroup(kind)
            group.setAccessibleName(_TITLES[kind])
            group.deviceSelected.connect(self.deviceSelected)
            group.deviceActivated.connect(self.deviceActivated)
            group.setDefaultRequested.connect(self.setDefaultRequested)
            group.volumeRequested.connect(self.volumeRequested)
            group.muteRequested.connect(self.muteRequested)
            self._groups[kind] = group
            self.tabs.addTab(group, _TITLES[kind])
        self.tabs.currentChanged.connect(self._on_tab_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self._update_tab_titles()

    # ------------------------------------------------------------------ feeding
    def update_devices(
        self,
        speakers: Sequence[Speaker],
        microphones: Sequence[Microphone],
        default_speaker_id: str | None,
        default_microphone_id: str | None,
    ) -> None:
        """Show a new device listing; ``microphones`` includes the loopback ones.

        Tables change only where devices came, went or changed; the controls of each
        selected device follow its new info without emitting any request.
        """
        self._groups["speaker"].set_devices(speakers, default_speaker_id)
        self._groups["microphone"].set_devices(
            [m for m in microphones if not m.isloopback], default_microphone_id
        )
        self._groups["loopback"].set_devices(
            [m for m in microphones if m.isloopback], default_microphone_id
        )
        self._update_tab_titles()

    def set_capabilities(self, capabilities: Capabilities) -> None:
        """Disable the controls the platform does not support (WASAPI: default, mute)."""
        for group in self._groups.values():
            group.set_capabilities(capabilities.set_default, capabilities.volume)

    # ------------------------------------------------------------------ lookups
    def group(self, kind: str) -> DeviceGroup:
        """The tab of ``kind`` ("speaker", "microphone" or "loopback"; plurals accepted)."""
        key = _normalize_kind(kind)
        return self._groups[key]

    def model(self, kind: str) -> DeviceTableModel:
        """The table model of ``kind``."""
        return self.group(kind).model

    def selected_device(self, kind: str) -> Device | None:
        """The device selected in the ``kind`` tab, or None."""
        return self.group(kind).selected_device()

    def current_device(self) -> Device | None:
        """The device selected in the tab in front, or None."""
        widget = self.tabs.currentWidget()
        return widget.selected_device() if isinstance(widget, DeviceGroup) else None

    def select_device(self, kind: str, device_id: str) -> bool:
        """Bring the ``kind`` tab to the front and select ``device_id`` in it."""
        group = self.group(kind)
        self.tabs.setCurrentWidget(group)
        return group.select(device_id)

    # ------------------------------------------------------------------ internals
    def _update_tab_titles(self) -> None:
        for index, kind in enumerate(KINDS):
            count = self._groups[kind].model.rowCount()
            self.tabs.setTabText(index, f"{_TITLES[kind]} ({count})")

    def _on_tab_changed(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if isinstance(widget, DeviceGroup):
            device = widget.selected_device()
            if device is not None:
                self.deviceSelected.emit(device)


def _normalize_kind(kind: str) -> str:
    key = kind.lower().removesuffix("s")
    if key not in KINDS:
        raise ValueError(f"unknown device group {kind!r}; expected one of {', '.join(KINDS)}")
    return key
