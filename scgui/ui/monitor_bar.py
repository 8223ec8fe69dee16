"""The input selector: which microphone or loopback to monitor, at which rate, which channels."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QWidget,
)

import scgui.audio as sc

from ..channel_text import format_channel_list, parse_channel_list
from .channel_matrix import ChannelMatrixDialog, load_map
from .device_box import fill_device_box

SAMPLE_RATES = (8000, 16000, 22050, 32000, 44100, 48000, 88200, 96000, 176400, 192000)


class MonitorBar(QWidget):
    """Emits :attr:`monitorRequested` (microphone, rate, channels) or :attr:`stopRequested`."""

    monitorRequested = Signal(object, int, object)
    stopRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.input_box = QComboBox()
        self.input_box.setAccessibleName("Input to monitor")
        self.input_box.setMinimumContentsLength(28)
        self.input_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.rate_box = QComboBox()
        self.rate_box.setAccessibleName("Sample rate")
        self.rate_box.addItem("Device rate", 0)
        for rate in SAMPLE_RATES:
            self.rate_box.addItem(f"{rate} Hz", rate)
        self.channels_edit = QLineEdit()
        self.channels_edit.setAccessibleName("Channels to monitor")
        self.channels_edit.setPlaceholderText("all channels")
        self.channels_edit.setToolTip(
            "Device channels to monitor and record, numbered from 1: e.g. 1,2 or 5-8; "
            "mix = mono mix"
        )
        self.channels_edit.setMaximumWidth(160)
        self.map_button = QToolButton()
        self.map_button.setText("Map…")
        self.map_button.setAccessibleName("Edit the channel map in a matrix")
        self.map_button.setToolTip("Choose the channels in a matrix; remembered per device")
        self.map_button.clicked.connect(self.edit_map)
        self.settings = QSettings("scgui", "scgui")
        self.input_box.currentIndexChanged.connect(self._load_saved_map)
        self.monitor_button = QPushButton("Monitor")
        self.monitor_button.setCheckable(True)
        self.monitor_button.setAccessibleName("Start or stop monitoring")
        self.monitor_button.setToolTip("Show levels and waveforms of the input (Ctrl+M)")
        self.monitor_button.toggled.connect(self._on_toggled)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Input"))
        layout.addWidget(self.input_box, 1)
        layout.addWidget(QLabel("Rate"))
        layout.addWidget(self.rate_box)
        layout.addWidget(QLabel("Channels"))
        layout.addWidget(self.channels_edit)
        layout.addWidget(self.map_button)
        layout.addWidget(self.monitor_button)

    def set_inputs(self, microphones: list[sc.Microphone], preferred_id: str | None) -> None:
        """Fill the selector, keeping the current choice when it still exists."""
        current = self.selected_input()
        ordered = [m for m in microphones if not m.isloopback] + [
            m for m in microphones if m.isloopback
        ]
        fill_device_box(self.input_box, ordered, preferred_id)
        if not self.monitor_button.isChecked():
            self.monitor_button.setEnabled(bool(ordered))  # nothing to monitor: say so
        selected = self.selected_input()
        if selected is not None and (current is None or selected.id != current.id):
            self._load_saved_map()

    def select(self, device_id: str) -> None:
        for index in range(self.input_box.count()):
            if self.input_box.itemData(index).id == device_id:
                self.input_box.setCurrentIndex(index)

    def selected_input(self) -> sc.Microphone | None:
        return self.input_box.currentData()

    def samplerate(self) -> int:
        chosen = int(self.rate_box.currentData())
        microphone = self.selected_input()
        if chosen == 0:
            return microphone.info.samplerate if microphone is not None else 48000
        return chosen

    def set_samplerate(self, rate: int) -> None:
        index = self.rate_box.findData(rate)
        self.rate_box.setCurrentIndex(max(0, index))

    def set_monitoring(self, monitoring: bool) -> None:
        self.monitor_button.blockSignals(True)
        self.monitor_button.setChecked(monitoring)
        self.monitor_button.setText("Stop monitoring" if monitoring else "Monitor")
        self.monitor_button.setEnabled(monitoring or self.input_box.count() > 0)
        self.monitor_button.blockSignals(False)
        for widget in (self.input_box, self.rate_box, self.channels_edit, self.map_button):
            widget.setEnabled(not monitoring)

    def edit_map(self) -> None:
        """Open the matrix editor for the selected input and use the map it returns."""
        microphone = self.selected_input()
        if microphone is None:
            return
        try:
            current = parse_channel_list(self.channels_edit.text())
        except ValueError:
            current = None
        dialog = ChannelMatrixDialog(
            microphone.id,
            microphone.name,
            microphone.channel_names,
            self.settings,
            initial=current,
            parent=self,
        )
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self._show_map(dialog.matrix.channel_map(), microphone.channels)

    def _load_saved_map(self) -> None:
        microphone = self.selected_input()
        if microphone is not None:
            self._show_map(load_map(self.settings, microphone.id), microphone.channels)

    def _show_map(self, channel_map: list[int] | None, device_channels: int) -> None:
        if channel_map is None or channel_map == list(range(device_channels)):
            self.channels_edit.clear()  # all channels, in order
        else:
            self.channels_edit.setText(format_channel_list(channel_map))

    def start(self) -> None:
        self.monitor_button.setChecked(True)

    def _on_toggled(self, checked: bool) -> None:
        if not checked:
            self.stopRequested.emit()
            return
        microphone = self.selected_input()
        try:
            channels = parse_channel_list(self.channels_edit.text())
        except ValueError as exc:
            self.channels_edit.setToolTip(str(exc))
            self.set_monitoring(False)
            self.channels_edit.setStyleSheet("border: 1px solid #e05050;")
            return
        self.channels_edit.setStyleSheet("")
        if microphone is None:
            self.set_monitoring(False)
            return
        self.monitorRequested.emit(microphone, self.samplerate(), channels)
