"""The test-signal generator: a signal, a level, a speaker and its channels, play and stop."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

import scgui.audio as sc
from scgui.engine.generator import KINDS, SignalSpec, make_source
from scgui.engine.sources import ArraySource

from ..channel_text import parse_channel_list
from .device_box import fill_device_box


class GeneratorPanel(QGroupBox):
    """Emits :attr:`playRequested` (source, speaker, channel map); stops with a fade-out."""

    playRequested = Signal(object, object, object)
    stopRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Test signal", parent)
        self.source: ArraySource | None = None
        self.kind_box = QComboBox()
        self.kind_box.addItems(KINDS)
        self.kind_box.setAccessibleName("Test signal type")
        self.frequency = self._spin(1.0, 96000.0, 1000.0, " Hz", "Sine frequency")
        self.level = self._spin(-90.0, 0.0, -20.0, " dBFS", "Signal level")
        self.sweep_from = self._spin(1.0, 96000.0, 20.0, " Hz", "Sweep start frequency")
        self.sweep_to = self._spin(1.0, 96000.0, 20000.0, " Hz", "Sweep end frequency")
        self.sweep_seconds = self._spin(0.1, 600.0, 5.0, " s", "Sweep length")
        self.speaker_box = QComboBox()
        self.speaker_box.setAccessibleName("Speaker for the test signal")
        self.channels_edit = QLineEdit()
        self.channels_edit.setAccessibleName("Speaker channels for the test signal")
        self.channels_edit.setPlaceholderText("all channels")
        self.channels_edit.setToolTip(
            "Device channels to play on, numbered from 1: e.g. 1 or 3,4 or 1-8"
        )
        self.play_button = QPushButton("▶ Play signal")
        self.play_button.setAccessibleName("Play the test signal")
        self.stop_button = QPushButton("■ Stop")
        self.stop_button.setAccessibleName("Stop the test signal")
        self.stop_button.setEnabled(False)
        self.message = QLabel("")
        self.message.setObjectName("warning")
        self.message.setWordWrap(True)
        self.kind_box.currentTextChanged.connect(self._show_fields)
        self.play_button.clicked.connect(self._on_play)
        self.stop_button.clicked.connect(self.stop)

        form = QFormLayout(self)
        form.addRow("Signal", self.kind_box)
        form.addRow("Frequency", self.frequency)
        form.addRow("Level", self.level)
        sweep = QHBoxLayout()
        for label, widget in (("from", self.sweep_from), ("to", self.sweep_to)):
            sweep.addWidget(QLabel(label))
            sweep.addWidget(widget)
        sweep.addWidget(self.sweep_seconds)
        self.sweep_row = QWidget()
        self.sweep_row.setLayout(sweep)
        sweep.setContentsMargins(0, 0, 0, 0)
        form.addRow("Sweep", self.sweep_row)
        form.addRow("Speaker", self.speaker_box)
        form.addRow("Channels", self.channels_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.play_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        form.addRow(buttons)
        form.addRow(self.message)
        self._form = form
        self._show_fields(self.kind_box.currentText())

    def _spin(
        self, low: float, high: float, value: float, suffix: str, name: str
    ) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(low, high)
        spin.setValue(value)
        spin.setSuffix(suffix)
        spin.setDecimals(1)
        spin.setAccessibleName(name)
        return spin

    def _show_fields(self, kind: str) -> None:
        self._form.setRowVisible(self.frequency, kind == "Sine")
        self._form.setRowVisible(self.sweep_row, kind == "Log sweep")

    def set_speakers(self, speakers: list[sc.Speaker], preferred_id: str | None) -> None:
        fill_device_box(self.speaker_box, speakers, preferred_id)

    def spec(self) -> SignalSpec:
        return SignalSpec(
            self.kind_box.currentText(),
            self.frequency.value(),
            self.level.value(),
            self.sweep_from.value(),
            self.sweep_to.value(),
            self.sweep_seconds.value(),
        )

    def _on_play(self) -> None:
        speaker: sc.Speaker | None = self.speaker_box.currentData()
        if speaker is None:
            self.message.setText("There is no speaker to play on.")
            return
        try:
            channels = parse_channel_list(self.channels_edit.text())
            if channels is None:
                channels = list(range(speaker.channels))
            bad = [c for c in channels if not 0 <= c < speaker.channels]
            if bad:
                raise ValueError(
                    f"{speaker.name} has channels 0 to {speaker.channels - 1}; "
                    f"{', '.join(map(str, bad))} is not one of them."
                )
            source = make_source(self.spec(), speaker.info.samplerate, len(channels), channels)
        except ValueError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText("")
        self.source = source
        self.playRequested.emit(source, speaker, channels)

    def stop(self) -> None:
        """Fade the signal out (no click); the worker ends playback when it is done."""
        if self.source is not None:
            self.source.fade_out()
        self.stopRequested.emit()

    def set_playing(self, playing: bool) -> None:
        self.play_button.setEnabled(not playing)
        self.stop_button.setEnabled(playing)
        if not playing:
            self.source = None
