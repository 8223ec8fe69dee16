"""The recording controls: format, file name, start/stop, and what is being written."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QToolButton,
    QWidget,
)

from scgui.engine.worker import RecordingStatus
from scgui.engine.writer import default_recording_path

from .steady_label import SteadyLabel

#: Container formats offered, with their extension and the subtypes that make sense.
FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "WAV": ("wav", ("PCM_16", "PCM_24", "PCM_32", "FLOAT")),
    "FLAC": ("flac", ("PCM_16", "PCM_24")),
    "OGG Vorbis": ("ogg", ("VORBIS",)),
    "W64 (over 4 GB)": ("w64", ("PCM_16", "PCM_24", "PCM_32", "FLOAT")),
    "RF64 (over 4 GB)": ("rf64", ("PCM_16", "PCM_24", "PCM_32", "FLOAT")),
}
DEFAULT_SUBTYPE = {
    "wav": "FLOAT",
    "flac": "PCM_24",
    "ogg": "VORBIS",
    "w64": "FLOAT",
    "rf64": "FLOAT",
}


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def human_time(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}.{int(seconds * 10) % 10}"


class RecordPanel(QGroupBox):
    """Emits :attr:`recordRequested` with a path the user agreed to (asked before overwriting)."""

    recordRequested = Signal(str, str, bool)  # path, subtype, overwrite
    stopRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Record", parent)
        self.folder = Path.home() / "Recordings"
        self.format_box = QComboBox()
        self.format_box.addItems(list(FORMATS))
        self.format_box.setAccessibleName("Recording file format")
        self.subtype_box = QComboBox()
        self.subtype_box.setAccessibleName("Sample format")
        self.path_edit = QLineEdit()
        self.path_edit.setAccessibleName("Recording file name")
        self.path_edit.setPlaceholderText("File name (a new name is chosen automatically)")
        browse = QToolButton()
        browse.setText("…")
        browse.setToolTip("Choose where to save the recording")
        browse.setAccessibleName("Choose recording file")
        browse.clicked.connect(self._browse)
        self.record_button = QPushButton("● Record")
        self.record_button.setObjectName("recordButton")
        self.record_button.setToolTip("Start recording what is being monitored (Ctrl+R)")
        self.record_button.setAccessibleName("Start recording")
        self.stop_button = QPushButton("■ Stop")
        self.stop_button.setToolTip("Stop recording and finish the file (Ctrl+Shift+R)")
        self.stop_button.setAccessibleName("Stop recording")
        self.stop_button.setEnabled(False)
        # These change several times a second while recording: labels of steady size, so
        # a new figure repaints itself, not the panels around it.
        self.elapsed_label = SteadyLabel("00:00:00.0")
        self.elapsed_label.setObjectName("bigNumber")
        self.size_label = SteadyLabel("–", room_for=["000.0 MB"])
        self.dropouts_label = SteadyLabel("0", room_for=["0000"])
        self.record_button.clicked.connect(self._on_record)
        self.stop_button.clicked.connect(self.stopRequested)
        self.format_box.currentTextChanged.connect(self._on_format)

        grid = QGridLayout(self)
        grid.addWidget(QLabel("Format"), 0, 0)
        formats = QHBoxLayout()
        formats.addWidget(self.format_box, 2)
        formats.addWidget(self.subtype_box, 1)
        grid.addLayout(formats, 0, 1, 1, 3)
        grid.addWidget(QLabel("File"), 1, 0)
        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(browse)
        grid.addLayout(file_row, 1, 1, 1, 3)
        buttons = QHBoxLayout()
        buttons.addWidget(self.record_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        buttons.addWidget(self.elapsed_label)
        grid.addLayout(buttons, 2, 0, 1, 4)
        grid.addWidget(QLabel("Size"), 3, 0)
        # Aligned, so that the steady labels' fixed width does not cap their columns' width
        # (a widget's maximum size limits its column unless the widget is aligned in it).
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        grid.addWidget(self.size_label, 3, 1, alignment=left)
        grid.addWidget(QLabel("Dropouts"), 3, 2)
        grid.addWidget(self.dropouts_label, 3, 3, alignment=left)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(4, 1)  # extra height goes below the controls, not between them
        self._on_format(self.format_box.currentText())

    @property
    def extension(self) -> str:
        return FORMATS[self.format_box.currentText()][0]

    def set_format(self, extension: str, subtype: str | None = None) -> None:
        for name, (ext, _) in FORMATS.items():
            if ext == extension:
                self.format_box.setCurrentText(name)
        if subtype:
            self.subtype_box.setCurrentText(subtype)

    def default_path(self) -> Path:
        """A new file in the recordings folder, never one that exists."""
        return default_recording_path(self.folder, self.extension)

    def set_recording(self, recording: bool) -> None:
        self.record_button.setEnabled(not recording)
        self.stop_button.setEnabled(recording)
        self.format_box.setEnabled(not recording)
        self.subtype_box.setEnabled(not recording)
        self.path_edit.setEnabled(not recording)
        if not recording:
            self.path_edit.clear()  # the next recording gets a new name

    def show_status(self, status: RecordingStatus) -> None:
        self.elapsed_label.setText(human_time(status.seconds))
        self.size_label.setText(human_size(status.bytes_on_disk))
        self.dropouts_label.setText(str(status.dropouts))
        style = "color: #e05050;" if status.dropouts else ""
        if self.dropouts_label.styleSheet() != style:  # a new style sheet polishes again
            self.dropouts_label.setStyleSheet(style)

    def _on_format(self, name: str) -> None:
        extension, subtypes = FORMATS[name]
        self.subtype_box.clear()
        self.subtype_box.addItems(list(subtypes))
        self.subtype_box.setCurrentText(DEFAULT_SUBTYPE[extension])
        text = self.path_edit.text().strip()
        if text:
            self.path_edit.setText(str(Path(text).with_suffix("." + extension)))

    def _browse(self) -> None:
        filters = ";;".join(f"{name} (*.{ext})" for name, (ext, _) in FORMATS.items())
        path, _ = QFileDialog.getSaveFileName(self, "Record to", str(self.default_path()), filters)
        if path:
            self.path_edit.setText(path)

    def chosen_path(self) -> Path:
        text = self.path_edit.text().strip()
        if not text:
            return self.default_path()
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = self.folder / path
        if path.suffix.lower().lstrip(".") != self.extension:
            path = path.with_suffix("." + self.extension)
        return path

    def _on_record(self) -> None:
        path = self.chosen_path()
        overwrite = False
        if path.exists():
            answer = QMessageBox.question(
                self,
                "Replace file?",
                f"{path} already exists. Replace it with the new recording?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
            overwrite = True
        self.path_edit.setText(str(path))
        self.recordRequested.emit(str(path), self.subtype_box.currentText(), overwrite)
