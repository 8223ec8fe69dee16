"""The routing check and latency panel: choose devices, run, see the matrix, export.

The measurement itself runs on a :class:`~scgui.engine.measurement.MeasurementThread` (the
same code as ``scgui check-routing`` and ``scgui latency``); this panel only asks and shows.
The heatmap is the same picture as the exported PNG.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QColor, QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

import scgui.audio as sc
from scgui.engine.measurement import MeasurementThread, latency_measurement, routing_check
from scgui.measure.latency import LatencyResult
from scgui.measure.routing import RoutingReport, Status

from ..channel_text import channel_label, parse_channel_list
from .channel_matrix import load_map
from .device_box import fill_device_box
from .path_response_view import PathResponseView
from .routing_image import render_routing_image, render_routing_png

STATUS_COLORS = {
    Status.PASS: "#3fbf7f",
    Status.WRONG: "#ff6b6b",
    Status.MISSING: "#f0b45a",
    Status.CROSSTALK: "#e08a3c",
}
EXPECTATIONS = ("Identity (output n → input n)", "Reverse", "Saved channel map", "From file…")


class FittedImage(QLabel):
    """Shows an image scaled to fit, keeping its proportions, sharp at any size."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(200, 150)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)

    def set_image(self, image: QImage) -> None:
        self._image = image
        self._fit()

    def clear_image(self) -> None:
        self._image = None
        self.clear()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._image is None or self._image.isNull():
            return
        ratio = self.devicePixelRatioF()
        scaled = self._image.scaled(
            int(self.width() * ratio),
            int(self.height() * ratio),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        pixmap = QPixmap.fromImage(scaled)
        pixmap.setDevicePixelRatio(ratio)
        self.setPixmap(pixmap)


class RoutingPanel(QWidget):
    """Runs the automatic routing check and the latency measurement."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = QSettings("scgui", "scgui")
        self.report: RoutingReport | None = None
        self._thread: MeasurementThread | None = None
        self._expect_file: str | None = None

        self.output_box = QComboBox()
        self.output_box.setAccessibleName("Output device to test")
        self.input_box = QComboBox()
        self.input_box.setAccessibleName("Input device that listens")
        self.channels_edit = QLineEdit()
        self.channels_edit.setPlaceholderText("all output channels")
        self.channels_edit.setAccessibleName("Output channels to test")
        self.channels_edit.setToolTip("Output channels to test, numbered from 1: e.g. 1-4 or 1,8")
        self.expect_box = QComboBox()
        self.expect_box.addItems(EXPECTATIONS)
        self.expect_box.setAccessibleName("Expected routing")
        self.expect_box.setToolTip(
            "What the wiring should be. 'Saved channel map' uses the map saved for the input "
            "in the channel-map editor: position = input channel, value = output channel."
        )
        self.expect_box.activated.connect(self._on_expectation)
        self.level_spin = QDoubleSpinBox()
        self.level_spin.setRange(-60.0, -3.0)
        self.level_spin.setValue(-20.0)
        self.level_spin.setSuffix(" dBFS")
        self.level_spin.setAccessibleName("Test signal level")
        self.run_button = QPushButton("Check routing")
        self.run_button.setAccessibleName("Run the routing check")
        self.latency_button = QPushButton("Measure latency")
        self.latency_button.setAccessibleName("Measure the round-trip latency")
        self.repeats_spin = QSpinBox()
        self.repeats_spin.setRange(1, 50)
        self.repeats_spin.setValue(5)
        self.repeats_spin.setPrefix("× ")
        self.repeats_spin.setAccessibleName("Latency repeats")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.export_button = QPushButton("Export report…")
        self.export_button.setEnabled(False)
        self.enlarge_button = QPushButton("Matrix in a window…")
        self.enlarge_button.setAccessibleName("Show the routing matrix in its own window")
        self.enlarge_button.setToolTip("The routing matrix large and readable, in its own window")
        self.enlarge_button.setEnabled(False)
        self._matrix_window: QDialog | None = None
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Measurement progress")
        self.summary = QLabel("Choose an output and an input, then Check routing.")
        self.summary.setWordWrap(True)
        self.summary.setObjectName("routingSummary")
        self.latency_label = QLabel("")
        self.latency_label.setWordWrap(True)
        self.heatmap = FittedImage()
        self.heatmap.setAccessibleName("Detected routing matrix")
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(
            ["Output", "Status", "Arrives on", "Level", "Skew", "Details"]
        )
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        skew_header = self.table.horizontalHeaderItem(4)
        if skew_header is not None:
            skew_header.setToolTip(
                "How much later than the first output this one arrives; exact to the sample, "
                "as every output is measured in one take"
            )
        self.table.verticalHeader().hide()
        self.table.setAccessibleName("Routing check results per output channel")

        self.run_button.clicked.connect(self.run_check)
        self.latency_button.clicked.connect(self.run_latency)
        self.cancel_button.clicked.connect(self.cancel)
        self.export_button.clicked.connect(self._export)
        self.enlarge_button.clicked.connect(self.show_matrix_window)

        grid = QGridLayout()
        grid.addWidget(QLabel("Output"), 0, 0)
        grid.addWidget(self.output_box, 0, 1)
        grid.addWidget(QLabel("Channels"), 0, 2)
        grid.addWidget(self.channels_edit, 0, 3)
        grid.addWidget(QLabel("Input"), 1, 0)
        grid.addWidget(self.input_box, 1, 1)
        grid.addWidget(QLabel("Expect"), 1, 2)
        grid.addWidget(self.expect_box, 1, 3)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(3, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel("Level"))
        buttons.addWidget(self.level_spin)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.latency_button)
        buttons.addWidget(self.repeats_spin)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.enlarge_button)
        progress_row.addWidget(self.export_button)
        self.response_view = PathResponseView()
        self.table.currentCellChanged.connect(self._on_row)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.table)
        right.addWidget(self.response_view)
        right.setSizes([300, 220])
        results = QSplitter(Qt.Orientation.Horizontal)
        results.addWidget(self.heatmap)
        results.addWidget(right)
        results.setSizes([500, 500])
        column = QVBoxLayout(self)
        column.addLayout(grid)
        column.addLayout(buttons)
        column.addLayout(progress_row)
        column.addWidget(self.summary)
        column.addWidget(self.latency_label)
        column.addWidget(results, 1)

    # -- devices ---------------------------------------------------------------------------

    def set_devices(self, speakers: list[sc.Speaker], microphones: list[sc.Microphone]) -> None:
        fill_device_box(self.output_box, speakers)
        fill_device_box(self.input_box, microphones)

    def select(self, output_id: str, input_id: str) -> None:
        for box, wanted in ((self.output_box, output_id), (self.input_box, input_id)):
            for index in range(box.count()):
                if box.itemData(index).id == wanted:
                    box.setCurrentIndex(index)

    # -- running ---------------------------------------------------------------------------

    def _choices(self) -> tuple[sc.Speaker, sc.Microphone, list[int] | None] | None:
        speaker, microphone = self.output_box.currentData(), self.input_box.currentData()
        if speaker is None or microphone is None:
            self.summary.setText("Choose an output device and an input device first.")
            return None
        try:
            channels = parse_channel_list(self.channels_edit.text())
        except ValueError as exc:
            self.summary.setText(str(exc))
            return None
        return speaker, microphone, channels

    def expectation(self, outputs: int, inputs: int) -> object:
        """What the chosen expectation means for ``check_routing``'s ``expected``."""
        index = self.expect_box.currentIndex()
        if index == 1:
            return "reverse"
        if index == 2:
            microphone = self.input_box.currentData()
            saved = load_map(self.settings, microphone.id) if microphone is not None else None
            if not saved:
                raise ValueError(
                    "No channel map is saved for this input: make one with Map… next to the "
                    "input selector, or choose another expectation."
                )
            # The input's map says which device input channel each logical channel is; read
            # as a routing, logical channel k is output k arriving on input saved[k].
            return {k: (c if c >= 0 else None) for k, c in enumerate(saved) if k < outputs}
        if index == 3 and self._expect_file:
            return self._expect_file
        return "identity"

    def _on_expectation(self, index: int) -> None:
        if index != 3:
            return
        path, _ = QFileDialog.getOpenFileName(
            self, "Expected routing", "", "Routing (*.json *.csv);;All files (*)"
        )
        if path:
            self._expect_file = path
            self.expect_box.setItemText(3, f"From file: {Path(path).name}")
        else:
            self.expect_box.setCurrentIndex(0)

    def run_check(self) -> None:
        choices = self._choices()
        if choices is None:
            return
        speaker, microphone, channels = choices
        try:
            expected = self.expectation(speaker.channels, microphone.channels)
        except ValueError as exc:
            self.summary.setText(str(exc))
            return
        thread = routing_check(
            self,
            speaker=speaker,
            microphone=microphone,
            output_channels=channels,
            expected=expected,
            samplerate=speaker.info.samplerate,
            level_db=self.level_spin.value(),
        )
        thread.succeeded.connect(self._show_report)
        self._clear_report()
        self._start(thread, f"Checking {speaker.name} → {microphone.name}…")

    def run_latency(self) -> None:
        choices = self._choices()
        if choices is None:
            return
        speaker, microphone, channels = choices
        thread = latency_measurement(
            self,
            speaker=speaker,
            microphone=microphone,
            repeats=self.repeats_spin.value(),
            samplerate=speaker.info.samplerate,
            output_channel=channels[0] if channels else 0,
        )
        thread.succeeded.connect(self._show_latency)
        self.latency_label.setText("")
        self._start(thread, f"Measuring the latency {speaker.name} → {microphone.name}…")

    def _start(self, thread: MeasurementThread, text: str) -> None:
        self.summary.setText(text)
        self.summary.setStyleSheet("")
        self.progress.setValue(0)
        thread.progressed.connect(self._on_progress)
        thread.failed.connect(self._on_failed)
        thread.cancelled.connect(self._on_cancelled)
        thread.finished.connect(self._on_finished)
        self._thread = thread
        self._set_running(True)
        thread.start()

    def cancel(self) -> None:
        if self._thread is not None:
            self._thread.cancel()

    def is_running(self) -> bool:
        return self._thread is not None

    def wait(self, milliseconds: int = 10000) -> None:
        """Cancel and wait for a running measurement (when the window closes)."""
        if self._thread is not None:
            self._thread.cancel()
            self._thread.wait(milliseconds)

    def _set_running(self, running: bool) -> None:
        for widget in (self.run_button, self.latency_button, self.output_box, self.input_box):
            widget.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    def _on_failed(self, problem: object) -> None:
        self.summary.setText(str(problem))
        details = getattr(problem, "details", "")
        self.summary.setToolTip(details[-2000:] if details else "")
        self.summary.setStyleSheet(f"color: {STATUS_COLORS[Status.WRONG]};")

    def _on_cancelled(self, partial: object) -> None:
        if isinstance(partial, RoutingReport):
            self._show_report(partial)
        self.summary.setText("Cancelled. " + self.summary.text())

    def _on_finished(self) -> None:
        self._thread = None
        self._set_running(False)

    # -- results ---------------------------------------------------------------------------

    def show_matrix_window(self) -> QDialog | None:
        """The current report's matrix in a window of its own, most of the screen large
        (the panel's copy shares the page with the table and the plots)."""
        if self.report is None:
            return None
        dialog = QDialog(self)
        dialog.setWindowTitle("Routing matrix")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        image = FittedImage()
        image.setAccessibleName("Detected routing matrix, large")
        image.set_image(render_routing_image(self.report, scale=3.0))
        layout = QVBoxLayout(dialog)
        layout.addWidget(image)
        screen = self.screen()
        area = screen.availableGeometry() if screen is not None else None
        if area is not None:
            dialog.resize(area.width() * 4 // 5, area.height() * 4 // 5)
        dialog.destroyed.connect(lambda *_: setattr(self, "_matrix_window", None))
        self._matrix_window = dialog
        dialog.show()
        return dialog

    def _clear_report(self) -> None:
        """Forget the last report when a new check starts: nothing old is shown or exported."""
        self.report = None
        self.heatmap.clear_image()
        self.table.setRowCount(0)
        self.response_view.show_response(None)
        self.export_button.setEnabled(False)
        self.enlarge_button.setEnabled(False)
        if self._matrix_window is not None:
            self._matrix_window.close()

    def _show_report(self, report: RoutingReport) -> None:
        self.report = report
        color = STATUS_COLORS[Status.PASS if report.all_passed else Status.WRONG]
        warnings = report.info.get("preconditions") or []
        text = report.summary()
        if warnings:
            # Shown with the verdict: a sink at 50 % or a muted input explains a FAIL.
            text += "".join(f"\n⚠ {line}" for line in warnings)
        self.summary.setText(text)
        self.summary.setStyleSheet(f"color: {color}; font-weight: bold;")
        self.heatmap.set_image(render_routing_image(report, scale=2.0))
        self.table.setRowCount(len(report.results))
        for row, result in enumerate(report.results):
            # + 0.0 turns a rounded -0.0 into 0.0
            level = f"{round(result.level_db, 1) + 0.0:.1f} dB" if result.arrives_on else "–"
            skew = report.skew_ms(result)
            delay = f"{skew:+.3f} ms" if skew is not None else "–"
            arrives = ", ".join(
                channel_label(c, report.matrix.input_name(c)) for c in result.arrives_on
            )
            arrives = arrives or "nowhere"
            details = "; ".join((result.message, *result.warnings)).strip("; ")
            cells = [
                channel_label(result.output, result.output_name),
                result.status.value,
                arrives,
                level,
                delay,
                details,
            ]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 1:
                    item.setForeground(QColor(STATUS_COLORS[result.status]))
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.export_button.setEnabled(True)
        self.enlarge_button.setEnabled(True)
        if report.results:
            self.table.setCurrentCell(0, 0)
            self._on_row(0)

    def _on_row(self, row: int, *_previous: int) -> None:
        """Show the frequency response of the output in ``row``."""
        report = self.report
        if report is None or not 0 <= row < len(report.results):
            self.response_view.show_response(None)
            return
        result = report.results[row]
        name = f"Output {channel_label(result.output, result.output_name)}"
        self.response_view.show_response(report.response(result.output), name)

    def _show_latency(self, result: object) -> None:
        if not isinstance(result, LatencyResult):
            return
        text = (
            f"Path latency: <b>{result.median_ms:.2f} ms</b> (median of "
            f"{len(result.values_ms)} takes, spread {result.spread_ms:.2f} ms, timed on the "
            "streams' clocks)"
        )
        trip = result.stream_round_trip_ms
        if trip is not None:
            text += f"; through the two streams as the server states them: {trip:.1f} ms"
        discarded = result.info.get("discarded_takes")
        if discarded:
            text += f"; {discarded} take(s) discarded for an underrun, overflow or gap"
        for warning in result.warnings:
            text += f"<br>⚠ {html.escape(warning)}"
        self.latency_label.setText(text)
        self.summary.setText("Latency measured.")

    def _export(self) -> None:
        if self.report is None:
            return
        path, _filter = QFileDialog.getSaveFileName(
            self,
            "Export routing report",
            str(Path.home() / "routing-report.html"),
            "HTML page (*.html);;JSON (*.json);;CSV (*.csv);;PNG picture (*.png)",
        )
        if path:
            self.export(path)

    def export(self, path: str) -> Path:
        """Save the report as HTML, JSON, CSV or PNG (by the extension)."""
        assert self.report is not None
        target = Path(path)
        if target.suffix.lower() == ".png":
            return render_routing_png(self.report, target)
        return self.report.save(target)
