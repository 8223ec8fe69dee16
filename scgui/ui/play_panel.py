"""The playback controls: a file, its properties, a speaker, channels, play/stop, progress."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QToolButton,
    QWidget,
)

import scgui.audio as sc
from scgui.engine.worker import PlaybackStatus

from ..channel_text import format_channel_list, parse_channel_list
from .channel_matrix import ChannelMatrixDialog
from .device_box import fill_device_box

SOUND_FILES = "Sound files (*.wav *.flac *.ogg *.w64 *.rf64 *.aiff *.aif);;All files (*)"


class PlayPanel(QGroupBox):
    """Emits :attr:`playRequested` with a file, a speaker and a channel map (or None)."""

    playRequested = Signal(str, object, object)  # path, Speaker, channels
    stopRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Play", parent)
        self.path: Path | None = None
        self.file_channels = 0
        self.file_rate = 0
        self.open_button = QPushButton("Open file…")
        self.open_button.setAccessibleName("Open a sound file to play")
        self.file_label = QLabel("No file")
        self.file_label.setWordWrap(True)
        self.info_label = QLabel("")
        self.info_label.setWordWrap(True)  # a long format name must not widen the window
        self.speaker_box = QComboBox()
        self.speaker_box.setAccessibleName("Speaker to play on")
        self.channels_edit = QLineEdit()
        self.channels_edit.setAccessibleName("Speaker channels to play on")
        self.channels_edit.setPlaceholderText("auto (first channels)")
        self.channels_edit.setToolTip(
            "Device channels for the file's channels, numbered from 1: e.g. 1,2 or 3,4; "
            "mix sends a channel to all"
        )
        self.map_button = QToolButton()
        self.map_button.setText("Map…")
        self.map_button.setAccessibleName("Choose the speaker channels in a matrix")
        self.map_button.clicked.connect(self.edit_map)
        self.settings = QSettings("scgui", "scgui")
        self.play_button = QPushButton("▶ Play")
        self.play_button.setAccessibleName("Play the file")
        self.play_button.setToolTip("Play the file (Ctrl+P)")
        self.stop_button = QPushButton("■ Stop")
        self.stop_button.setAccessibleName("Stop playback")
        self.stop_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Playback position")
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setObjectName("warning")
        self.gaps_label = QLabel("")
        self.gaps_label.setWordWrap(True)
        self.gaps_label.setObjectName("warning")
        self.gaps_label.setAccessibleName("Playback gaps")

        self.open_button.clicked.connect(self._browse)
        self.play_button.clicked.connect(self._on_play)
        self.stop_button.clicked.connect(self.stopRequested)
        self.speaker_box.currentIndexChanged.connect(self._check_fit)
        self.channels_edit.textChanged.connect(self._check_fit)

        grid = QGridLayout(self)
        top = QHBoxLayout()
        top.addWidget(self.open_button)
        top.addWidget(self.file_label, 1)
        grid.addLayout(top, 0, 0, 1, 4)
        grid.addWidget(self.info_label, 1, 0, 1, 4)
        grid.addWidget(QLabel("Speaker"), 2, 0)
        grid.addWidget(self.speaker_box, 2, 1, 1, 3)
        grid.addWidget(QLabel("Channels"), 3, 0)
        channels_row = QHBoxLayout()
        channels_row.addWidget(self.channels_edit, 1)
        channels_row.addWidget(self.map_button)
        grid.addLayout(channels_row, 3, 1, 1, 3)
        buttons = QHBoxLayout()
        buttons.addWidget(self.play_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.progress, 1)
        grid.addLayout(buttons, 4, 0, 1, 4)
        grid.addWidget(self.message, 5, 0, 1, 4)
        grid.addWidget(self.gaps_label, 6, 0, 1, 4)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(7, 1)  # extra height goes below the controls, not between them
        self._check_fit()

    def set_speakers(self, speakers: list[sc.Speaker], preferred_id: str | None) -> None:
        fill_device_box(self.speaker_box, speakers, preferred_id)
        self._check_fit()

    def selected_speaker(self) -> sc.Speaker | None:
        return self.speaker_box.currentData()

    def load(self, path: str | Path) -> bool:
        """Show a file's properties; False (with a message) if it cannot be read."""
        import soundfile

        try:
            info = soundfile.info(str(path))
        except Exception as exc:
            self.message.setText(f"Cannot read {path}: {exc}")
            return False
        self.path = Path(path)
        self.file_channels = int(info.channels)
        self.file_rate = int(info.samplerate)
        self.file_label.setText(self.path.name)
        self.file_label.setToolTip(str(self.path))
        self.info_label.setText(
            f"{info.channels} channel{'s' * (info.channels != 1)}, {info.samplerate} Hz, "
            f"{info.duration:.2f} s, {info.format_info} {info.subtype_info}"
        )
        self._check_fit()
        return True

    def _browse(self) -> None:
        start = str(self.path.parent) if self.path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Play file", start, SOUND_FILES)
        if path:
            self.load(path)

    def channel_map(self) -> list[int] | None:
        """The map typed by the user, or None for "the first channels"."""
        return parse_channel_list(self.channels_edit.text())

    def edit_map(self) -> None:
        """Pick the speaker channels for the file's channels in the matrix editor."""
        speaker = self.selected_speaker()
        if speaker is None:
            return
        try:
            current = self.channel_map()
        except ValueError:
            current = None
        if current is None and self.file_channels:
            current = list(range(min(self.file_channels, speaker.channels)))
        dialog = ChannelMatrixDialog(
            f"play:{speaker.id}",
            speaker.name,
            speaker.channel_names,
            self.settings,
            playback=True,
            initial=current,
            parent=self,
        )
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.channels_edit.setText(format_channel_list(dialog.matrix.channel_map()))

    def _check_fit(self) -> None:
        """Explain a channel-count mismatch before the user presses Play."""
        speaker = self.selected_speaker()
        problem = ""
        if self.path is None:
            problem = "Open a file to play."
        elif speaker is None:
            problem = "There is no speaker to play on."
        else:
            try:
                channels = self.channel_map()
            except ValueError as exc:
                problem = str(exc)
            else:
                if channels is None and self.file_channels > speaker.channels:
                    problem = (
                        f"The file has {self.file_channels} channels but {speaker.name} has "
                        f"{speaker.channels}. Type the {self.file_channels} speaker channels "
                        "to use (e.g. "
                        + ",".join(["-1"] * self.file_channels)
                        + " mixes all of them onto every channel)."
                    )
                elif channels is not None and len(channels) != self.file_channels:
                    problem = (
                        f"The file has {self.file_channels} channels: name "
                        f"{self.file_channels} speaker channels, not {len(channels)}."
                    )
        note = ""
        if (
            not problem
            and speaker is not None
            and self.file_rate
            and self.file_rate != speaker.info.samplerate
        ):
            note = (
                f"The file is {self.file_rate} Hz and {speaker.name} runs at "
                f"{speaker.info.samplerate} Hz: the sound server converts the rate."
            )
        self.message.setText(problem or note if self.path is not None else "")
        self.play_button.setEnabled(not problem)

    def _on_play(self) -> None:
        speaker = self.selected_speaker()
        if self.path is None or speaker is None:
            return
        self.playRequested.emit(str(self.path), speaker, self.channel_map())

    def set_playing(self, playing: bool) -> None:
        self.play_button.setEnabled(not playing)
        self.stop_button.setEnabled(playing)
        if playing:
            self.gaps_label.setText("")  # a new play counts afresh; the last count stays
        if not playing:
            self.progress.setValue(0)
            self.progress.setFormat("")
            self._check_fit()

    def show_status(self, status: PlaybackStatus) -> None:
        if status.underruns:
            self.gaps_label.setText(
                f"{status.underruns} gap{'s' * (status.underruns != 1)} in playback so far: the "
                "computer or the sound server did not keep up (close other programs, or use a "
                "larger block size)."
            )
        if status.duration:
            self.progress.setValue(int(1000 * min(1.0, status.position / status.duration)))
            self.progress.setFormat(f"{status.position:.1f} / {status.duration:.1f} s")
        else:
            self.progress.setFormat(f"{status.position:.1f} s")
