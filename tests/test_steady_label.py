"""SteadyLabel: a ticking text repaints the label alone, never lays out its panel again."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from scgui.engine.worker import RecordingStatus
from scgui.ui.record_panel import RecordPanel, human_time
from scgui.ui.steady_label import SteadyLabel


class _LayoutRequests(QObject):
    """Counts the layout requests a widget receives (what a label's new size hint posts)."""

    def __init__(self, watched: QWidget) -> None:
        super().__init__()
        self.count = 0
        watched.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.count += 1
        return False


def _panel(qtbot, label: QLabel) -> QWidget:
    panel = QWidget()
    layout = QHBoxLayout(panel)
    layout.addWidget(QPushButton("Record"))
    layout.addStretch(1)
    layout.addWidget(label)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    qtbot.wait(20)  # the layout requests of showing it are delivered
    return panel


def _tick(qtbot, label: QLabel, texts: list[str]) -> None:
    for text in texts:
        label.setText(text)
        qtbot.wait(1)  # posted events (a layout request) are delivered


CLOCK = [human_time(0.1 * i) for i in range(1, 40)]


@pytest.mark.parametrize("steady", [True, False])
def test_a_ticking_text_does_not_lay_out_the_panel_again(qtbot, steady: bool) -> None:
    """The plain label is the control: its every new text asks the panel for a layout."""
    label = SteadyLabel("00:00:00.0") if steady else QLabel("00:00:00.0")
    panel = _panel(qtbot, label)
    requests = _LayoutRequests(panel)
    geometry = label.geometry()
    _tick(qtbot, label, CLOCK)
    if steady:
        assert requests.count == 0
        assert label.geometry() == geometry
    else:
        assert requests.count >= len(CLOCK) // 2


def test_the_label_grows_for_a_wider_text_and_never_clips_one(qtbot) -> None:
    label = SteadyLabel("0", room_for=["0000"])
    panel = _panel(qtbot, label)
    metrics = label.fontMetrics()
    narrow = label.width()
    assert narrow >= metrics.horizontalAdvance("0000")
    for text in ("7", "42", "1234", "123456789", "3"):
        label.setText(text)
        assert label.width() >= metrics.horizontalAdvance(text), text
        assert label.minimumWidth() == label.maximumWidth()  # still of fixed size
    assert label.width() >= metrics.horizontalAdvance("123456789")  # it does not shrink back
    assert label.width() > narrow
    assert panel.isVisible()


def test_a_bigger_font_is_measured_again(qtbot) -> None:
    label = SteadyLabel("00:00:00.0")
    panel = _panel(qtbot, label)
    before = label.size()
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * 2)
    label.setFont(font)
    assert label.width() >= label.fontMetrics().horizontalAdvance("00:00:00.0")
    assert label.width() > before.width() and label.height() > before.height()
    font.setPointSizeF(font.pointSizeF() / 2)
    label.setFont(font)  # and back: the size it had, not a little more each time
    assert label.size() == before
    assert panel.isVisible()


def test_a_label_of_the_window_keeps_the_size_of_its_text(qtbot) -> None:
    """Polished, re-parented and styled by the app's style sheet: still as wide as its text
    needs (plus its margins), not more."""
    label = SteadyLabel("00:00:00.0")
    label.setObjectName("bigNumber")
    label.setStyleSheet("QLabel#bigNumber { font-family: monospace; font-size: 16pt; }")
    panel = _panel(qtbot, label)
    plain = QLabel("00:00:00.0")
    plain.setObjectName("bigNumber")
    plain.setStyleSheet(label.styleSheet())
    panel.layout().addWidget(plain)
    qtbot.wait(20)
    assert label.size() == plain.sizeHint()


def test_the_record_panel_status_does_not_lay_out_the_panel_again(qtbot) -> None:
    """Elapsed time, size on disk and dropouts, several times a second while recording."""
    panel = RecordPanel()
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    qtbot.wait(20)
    requests = _LayoutRequests(panel)
    for i in range(1, 30):
        status = RecordingStatus(
            path=Path("take.wav"),
            frames=4800 * i,
            seconds=0.1 * i,
            bytes_on_disk=38_400 * i,
            queued_frames=0,
            dropouts=0 if i < 29 else 1,
        )
        panel.show_status(status)
        qtbot.wait(1)
        assert panel.elapsed_label.text() == human_time(0.1 * i)
        if i == 28:
            assert requests.count == 0
    # The first dropout turns the number red: a new style, laid out once.
    assert panel.dropouts_label.text() == "1" and panel.dropouts_label.styleSheet()


def test_the_record_panel_keeps_its_columns_with_labels_of_steady_size(qtbot) -> None:
    """The size and dropouts sit in the grid's columns: the stretching one still takes the
    spare width (a fixed-size widget caps its column unless it is aligned in it)."""
    panel = RecordPanel()
    qtbot.addWidget(panel)
    panel.resize(385, 260)
    panel.show()
    qtbot.waitExposed(panel)
    qtbot.wait(20)
    column = panel.size_label.x()
    assert panel.format_box.x() == column and panel.path_edit.x() == column
    assert panel.path_edit.width() > panel.width() // 2


def test_a_label_made_empty_is_sized_for_the_texts_to_come(qtbot) -> None:
    """An empty QLabel is less tall and wider in its margins than one with text."""
    label = SteadyLabel(room_for=["Audio thread CPU 100 %"])
    panel = _panel(qtbot, label)
    plain = QLabel("Audio thread CPU 100 %")
    panel.layout().addWidget(plain)
    qtbot.wait(20)
    assert label.size() == plain.sizeHint()
