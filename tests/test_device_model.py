"""The device table model and the device panel, against the devices of the virtual rig.

The model must update in place (row removals and insertions for exactly the devices that came
and went, ``dataChanged`` for changed rows, never a reset) so that views keep their selection;
the panel must turn user gestures into requests, and server updates into control positions
without sending them back as requests.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QTableView

import scgui.audio as sc
from scgui.audio import DeviceInfo, Microphone, Speaker
from scgui.ui.device_model import (
    DEFAULT_MARKER,
    Column,
    Device,
    DeviceRole,
    DeviceTableModel,
    format_latency,
    format_samplerate,
    format_volume,
)
from scgui.ui.device_panel import VOLUME_EMIT_INTERVAL_MS, DevicePanel
from scgui.virtual_rig import VirtualRig

DISPLAY = Qt.ItemDataRole.DisplayRole


# ---------------------------------------------------------------------- helpers
def _with(device: Device, **changes: Any) -> Device:
    """A new snapshot of ``device`` with some info fields changed (same id, same type)."""
    return type(device)(dataclasses.replace(device.info, **changes))


def _normalized(devices: Sequence[Device]) -> list[Device]:
    """The devices at 100 % and unmuted: other tests may have moved the rig's volumes."""
    return [_with(d, volume=(1.0,) * d.channels, muted=False) for d in devices]


def _fake_microphone(device_id: str, channels: int = 2) -> Microphone:
    return Microphone(
        DeviceInfo(id=device_id, name=f"Fake {device_id}", kind="microphone", channels=channels)
    )


def _ids(model: DeviceTableModel) -> list[str]:
    return [model.data(model.index(r, 0), DeviceRole).id for r in range(model.rowCount())]


def _text(model: DeviceTableModel, device_id: str, column: Column) -> str:
    return model.data(model.index_of(device_id, column), DISPLAY)


class _Recorder:
    """Counts a model's structural signals, with their (first, last) rows."""

    def __init__(self, model: DeviceTableModel) -> None:
        self.inserted: list[tuple[int, int]] = []
        self.removed: list[tuple[int, int]] = []
        self.changed: list[tuple[int, int]] = []
        self.resets = 0
        model.rowsInserted.connect(lambda _p, first, last: self.inserted.append((first, last)))
        model.rowsRemoved.connect(lambda _p, first, last: self.removed.append((first, last)))
        model.dataChanged.connect(
            lambda top, bottom, _roles=(): self.changed.append((top.row(), bottom.row()))
        )
        model.modelReset.connect(self._on_reset)

    def _on_reset(self) -> None:
        self.resets += 1


@pytest.fixture
def speakers() -> list[Speaker]:
    return _normalized(sc.all_speakers())


@pytest.fixture
def microphones() -> list[Microphone]:
    """All microphones, loopback included."""
    return _normalized(sc.all_microphones(include_loopback=True))


@pytest.fixture
def all_devices(speakers: list[Speaker], microphones: list[Microphone]) -> list[Device]:
    return [*speakers, *microphones]


# ---------------------------------------------------------------------- the model
@pytest.mark.qt_log_level_fail("WARNING")
def test_model_passes_qt_model_tester_through_updates(qtmodeltester, all_devices) -> None:
    model = DeviceTableModel()
    model.set_devices(all_devices, "scarlett")
    qtmodeltester.check(model)  # Qt's tester stays attached and checks every change below
    model.set_devices([d for d in all_devices if d.id != "multi8"], "scarlett_in")
    model.set_devices([_fake_microphone("x"), *all_devices[::-1]], None)
    model.set_devices([], None)
    model.set_devices(all_devices, "multi8")


def test_model_passes_python_model_tester(qtmodeltester, all_devices) -> None:
    model = DeviceTableModel()
    model.set_devices(all_devices, "scarlett")
    qtmodeltester.check(model, force_py=True)


def test_rig_devices_are_listed(speakers, microphones) -> None:
    model = DeviceTableModel()
    model.set_devices([*speakers, *microphones], "scarlett")
    assert {"scarlett", "multi8", "scarlett_in", "scarlett_swapped", "multi8_reversed"} <= set(
        _ids(model)
    )
    assert {"scarlett.monitor", "multi8.monitor"} <= set(_ids(model))


def test_headers_texts_alignment_and_tooltips(speakers) -> None:
    model = DeviceTableModel()
    model.set_devices(speakers, "scarlett")
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in Column]
    assert headers == ["Name", "Ch", "Rate", "★", "Latency", "Volume"]
    assert model.headerData(0, Qt.Orientation.Vertical) is None

    assert _text(model, "scarlett", Column.NAME) == "Focusrite Scarlett 2i2"
    assert _text(model, "scarlett", Column.CHANNELS) == "2"
    assert _text(model, "multi8", Column.CHANNELS) == "8"
    assert _text(model, "scarlett", Column.SAMPLERATE) == "48 kHz"
    assert _text(model, "scarlett", Column.DEFAULT) == DEFAULT_MARKER
    assert _text(model, "multi8", Column.DEFAULT) == ""
    assert _text(model, "scarlett", Column.VOLUME) == "100 %"
    latency = model.index_of("scarlett").data(DeviceRole).info.latency
    assert _text(model, "scarlett", Column.LATENCY) == format_latency(latency)

    right = Qt.AlignmentFlag.AlignRight
    for column in (Column.CHANNELS, Column.SAMPLERATE, Column.LATENCY, Column.VOLUME):
        alignment = model.index_of("scarlett", column).data(Qt.ItemDataRole.TextAlignmentRole)
        assert alignment & right
    name_alignment = model.index_of("scarlett").data(Qt.ItemDataRole.TextAlignmentRole)
    assert not name_alignment & right

    tip = model.index_of("multi8", Column.VOLUME).data(Qt.ItemDataRole.ToolTipRole)
    assert "multi8" in tip and "Front Left" in tip and "Subwoofer" in tip
    bold = model.index_of("scarlett").data(Qt.ItemDataRole.FontRole)
    assert bold is not None and bold.bold()
    assert model.index_of("multi8").data(Qt.ItemDataRole.FontRole) is None


def test_formatting() -> None:
    assert format_samplerate(44100) == "44.1 kHz"
    assert format_latency(None) == "–"
    assert format_latency(0.0025) == "2.5 ms"
    assert format_latency(0.05) == "50 ms"
    assert format_volume((1.0, 0.5), muted=False) == "75 %"
    assert format_volume((1.0, 0.5), muted=True) == "muted"
    assert format_volume((), muted=False) == "–"


def test_device_role_gives_the_device_objects(all_devices) -> None:
    model = DeviceTableModel()
    model.set_devices(all_devices, None)
    for row, device in enumerate(all_devices):
        for column in Column:
            assert model.index(row, column).data(DeviceRole) is device
        assert model.device_at(model.index(row, 2)) is device
        assert model.device_at(row) is device
        assert model.index_of(device.id).row() == row
    assert model.device_at(QModelIndex()) is None
    assert not model.index_of("no-such-device").isValid()


def test_diff_removes_and_inserts_exactly_the_changed_devices(all_devices) -> None:
    model = DeviceTableModel()
    model.set_devices(all_devices, "scarlett")
    persistent = {d.id: QPersistentModelIndex(model.index_of(d.id)) for d in all_devices}
    gone_row = model.index_of("scarlett_swapped").row()
    recorder = _Recorder(model)

    new = _fake_microphone("usb_headset")
    listing = [d for d in all_devices if d.id != "scarlett_swapped"]
    listing.append(new)
    model.set_devices(listing, "scarlett")

    assert recorder.removed == [(gone_row, gone_row)]
    last = len(listing) - 1
    assert recorder.inserted == [(last, last)]
    assert recorder.changed == []  # nothing else changed
    assert recorder.resets == 0
    assert _ids(model) == [d.id for d in listing]
    assert not persistent["scarlett_swapped"].isValid()
    for device in listing[:-1]:
        index = persistent[device.id]
        assert index.isValid()
        assert index.data(DeviceRole).id == device.id  # the same row, though shifted


def test_new_devices_are_inserted_in_server_order() -> None:
    a, b, c, x = (_fake_microphone(name) for name in "abcx")
    model = DeviceTableModel()
    model.set_devices([a, c], None)
    recorder = _Recorder(model)
    model.set_devices([x, a, b, c], None)
    assert _ids(model) == ["x", "a", "b", "c"]
    assert recorder.inserted == [(0, 0), (2, 2)]
    assert recorder.removed == []


def test_changed_device_emits_data_changed_for_its_row_only(all_devices) -> None:
    model = DeviceTableModel()
    model.set_devices(all_devices, "scarlett")
    row = model.index_of("multi8").row()
    recorder = _Recorder(model)

    listing = [_with(d, volume=(0.5,) * 8) if d.id == "multi8" else d for d in all_devices]
    model.set_devices(listing, "scarlett")
    assert recorder.changed == [(row, row)]
    assert recorder.inserted == recorder.removed == []
    assert _text(model, "multi8", Column.VOLUME) == "50 %"
    assert model.index_of("multi8").data(DeviceRole).info.volume == (0.5,) * 8

    listing = [_with(d, muted=True, latency=None) if d.id == "multi8" else d for d in listing]
    model.set_devices(listing, "scarlett")
    assert recorder.changed == [(row, row), (row, row)]
    assert _text(model, "multi8", Column.VOLUME) == "muted"
    assert _text(model, "multi8", Column.LATENCY) == "–"

    model.set_devices(listing, "scarlett")  # the same listing again: nothing to tell
    assert len(recorder.changed) == 2


def test_default_marker_follows_default_id(all_devices) -> None:
    model = DeviceTableModel()
    model.set_devices(all_devices, "scarlett")
    recorder = _Recorder(model)
    model.set_devices(all_devices, "multi8")
    rows = {model.index_of("scarlett").row(), model.index_of("multi8").row()}
    assert {first for first, _last in recorder.changed} == rows
    assert _text(model, "multi8", Column.DEFAULT) == DEFAULT_MARKER
    assert _text(model, "scarlett", Column.DEFAULT) == ""
    assert model.default_id == "multi8"
    model.set_devices(all_devices, None)
    assert DEFAULT_MARKER not in [_text(model, d.id, Column.DEFAULT) for d in all_devices]


# ---------------------------------------------------------------------- the panel
@pytest.fixture
def panel(qtbot, speakers, microphones) -> DevicePanel:
    widget = DevicePanel()
    qtbot.addWidget(widget)
    widget.update_devices(speakers, microphones, "scarlett", "scarlett_in")
    widget.resize(760, 420)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _view(panel: DevicePanel, kind: str) -> QTableView:
    return panel.group(kind).view


def _update(panel: DevicePanel, speakers, microphones, **defaults: str | None) -> None:
    panel.update_devices(
        speakers,
        microphones,
        defaults.get("speaker", "scarlett"),
        defaults.get("microphone", "scarlett_in"),
    )


def _speakers_with(speakers: list[Speaker], device_id: str, **changes: Any) -> list[Speaker]:
    return [_with(s, **changes) if s.id == device_id else s for s in speakers]


def test_panel_splits_microphones_and_loopback(panel) -> None:
    assert set(_ids(panel.model("speakers"))) >= {"scarlett", "multi8"}
    microphone_ids = set(_ids(panel.model("microphone")))
    assert {"scarlett_in", "scarlett_swapped", "multi8_reversed"} <= microphone_ids
    assert not any(i.endswith(".monitor") for i in microphone_ids)
    assert {"scarlett.monitor", "multi8.monitor"} <= set(_ids(panel.model("loopback")))
    with pytest.raises(ValueError):
        panel.selected_device("headphones")


def test_selecting_a_row_emits_device_selected(qtbot, panel) -> None:
    view = _view(panel, "speaker")
    index = panel.model("speaker").index_of("multi8", Column.CHANNELS)
    with qtbot.waitSignal(panel.deviceSelected, timeout=1000) as blocker:
        qtbot.mouseClick(
            view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center()
        )
    assert blocker.args[0].id == "multi8"
    assert isinstance(blocker.args[0], Speaker)
    assert panel.selected_device("speaker").id == "multi8"
    assert panel.group("speaker").name_label.text() == "Multi8"


def test_double_click_and_enter_activate_the_device(qtbot, panel) -> None:
    view = _view(panel, "speaker")
    center = view.visualRect(panel.model("speaker").index_of("scarlett")).center()
    with qtbot.waitSignal(panel.deviceActivated, timeout=1000) as blocker:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=center)
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=center)
    assert blocker.args[0].id == "scarlett"
    panel.select_device("speaker", "multi8")
    view.setFocus()
    with qtbot.waitSignal(panel.deviceActivated, timeout=1000) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert blocker.args[0].id == "multi8"


def test_volume_slider_requests_per_channel_volumes(qtbot, panel) -> None:
    assert panel.select_device("speaker", "multi8")
    slider = panel.group("speaker").volume_slider
    assert slider.value() == 100
    with qtbot.waitSignal(panel.volumeRequested, timeout=1000) as blocker:
        slider.setValue(50)
    device, volumes = blocker.args
    assert device.id == "multi8"
    assert volumes == pytest.approx((0.5,) * 8)
    assert panel.group("speaker").volume_label.text() == "50 % (−18.1 dB)"


def test_volume_slider_keeps_the_balance(qtbot, panel, speakers, microphones) -> None:
    panel.select_device("speaker", "scarlett")
    _update(panel, _speakers_with(speakers, "scarlett", volume=(1.0, 0.5)), microphones)
    slider = panel.group("speaker").volume_slider
    assert slider.value() == 100  # the loudest channel
    with qtbot.waitSignal(panel.volumeRequested, timeout=1000) as blocker:
        slider.setValue(60)
    assert blocker.args[1] == pytest.approx((0.6, 0.3))
    with qtbot.waitSignal(panel.volumeRequested, timeout=1000):
        slider.setValue(0)
    with qtbot.waitSignal(panel.volumeRequested, timeout=1000) as blocker:
        slider.setValue(80)  # back from silence: the balance was remembered
    assert blocker.args[1] == pytest.approx((0.8, 0.4))


def test_slider_drag_is_coalesced(qtbot, panel) -> None:
    panel.select_device("speaker", "scarlett")
    slider = panel.group("speaker").volume_slider
    requests: list[tuple[float, ...]] = []
    panel.volumeRequested.connect(lambda _device, volumes: requests.append(volumes))

    slider.setSliderDown(True)
    for value in range(99, 49, -1):  # fifty steps in one go, as a fast drag would
        slider.setValue(value)
    assert len(requests) == 1  # the first at once, the rest wait for the interval
    qtbot.waitUntil(lambda: len(requests) == 2, timeout=1000)
    assert requests[-1] == pytest.approx((0.5, 0.5))  # the newest, not a stale one
    qtbot.wait(3 * VOLUME_EMIT_INTERVAL_MS)
    assert len(requests) == 2  # nothing new to send

    slider.setValue(40)
    slider.setValue(30)
    assert len(requests) == 3  # 40 at once, 30 held back...
    slider.setSliderDown(False)  # ...until the release sends it
    assert len(requests) == 4
    assert requests[-1] == pytest.approx((0.3, 0.3))


def test_update_moves_the_controls_without_requests(qtbot, panel, speakers, microphones) -> None:
    panel.select_device("speaker", "scarlett")
    group = panel.group("speaker")
    requests: list[Any] = []
    panel.volumeRequested.connect(lambda *args: requests.append(args))
    panel.muteRequested.connect(lambda *args: requests.append(args))

    changed = _speakers_with(speakers, "scarlett", volume=(0.3, 0.3), muted=True)
    _update(panel, changed, microphones)
    assert group.volume_slider.value() == 30
    assert group.volume_label.text() == "30 % (−31.4 dB)"
    assert group.mute_button.isChecked()
    assert _text(panel.model("speaker"), "scarlett", Column.VOLUME) == "muted"
    qtbot.wait(3 * VOLUME_EMIT_INTERVAL_MS)
    assert requests == []
    assert panel.selected_device("speaker").info.volume == (0.3, 0.3)  # the new snapshot


def test_update_does_not_fight_a_drag(qtbot, panel, speakers, microphones) -> None:
    panel.select_device("speaker", "scarlett")
    slider = panel.group("speaker").volume_slider
    slider.setSliderDown(True)
    slider.setValue(40)
    _update(panel, speakers, microphones)  # the server still says 100 %
    assert slider.value() == 40
    slider.setSliderDown(False)


def test_mute_and_default_buttons_emit_requests(qtbot, panel) -> None:
    group = panel.group("speaker")
    panel.select_device("speaker", "scarlett")
    assert not group.default_button.isEnabled()  # already the default
    with qtbot.waitSignal(panel.muteRequested, timeout=1000) as blocker:
        qtbot.mouseClick(group.mute_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].id == "scarlett" and blocker.args[1] is True

    panel.select_device("speaker", "multi8")
    assert group.default_button.isEnabled()
    with qtbot.waitSignal(panel.setDefaultRequested, timeout=1000) as blocker:
        qtbot.mouseClick(group.default_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].id == "multi8"


def test_controls_the_platform_lacks_are_disabled_with_a_reason(panel) -> None:
    """WASAPI: Windows lets no program set the default device, nor (here) mute one."""
    from scgui.audio.backends.base import Capabilities

    panel.set_capabilities(Capabilities(set_default=False, volume=False))
    group = panel.group("speaker")
    panel.select_device("speaker", "multi8")
    assert not group.default_button.isEnabled() and not group.mute_button.isEnabled()
    assert "sound settings" in group.default_button.toolTip()
    panel.set_capabilities(Capabilities(set_default=True, volume=True))
    assert group.default_button.isEnabled() and group.mute_button.isEnabled()


def test_panel_default_marker_follows_default_id(panel, speakers, microphones) -> None:
    panel.select_device("speaker", "multi8")
    group = panel.group("speaker")
    assert _text(group.model, "scarlett", Column.DEFAULT) == DEFAULT_MARKER
    _update(panel, speakers, microphones, speaker="multi8", microphone="multi8_reversed")
    assert _text(group.model, "multi8", Column.DEFAULT) == DEFAULT_MARKER
    assert _text(group.model, "scarlett", Column.DEFAULT) == ""
    assert not group.default_button.isEnabled()
    mics = panel.model("microphone")
    assert _text(mics, "multi8_reversed", Column.DEFAULT) == DEFAULT_MARKER
    assert _text(mics, "scarlett_in", Column.DEFAULT) == ""


def test_channel_dialog_sets_one_channel(qtbot, panel, speakers, microphones) -> None:
    panel.select_device("speaker", "multi8")
    group = panel.group("speaker")
    qtbot.mouseClick(group.channels_button, Qt.MouseButton.LeftButton)
    dialog = group.channel_dialog
    assert dialog is not None and dialog.isVisible()
    names = [s.accessibleName() for s in dialog.sliders]
    assert names[0] == "Channel 1 Front Left volume" and names[5] == "Channel 6 Subwoofer volume"
    assert len(names) == 8

    with qtbot.waitSignal(panel.volumeRequested, timeout=1000) as blocker:
        dialog.sliders[3].setValue(50)
    assert blocker.args[0].id == "multi8"
    assert blocker.args[1] == pytest.approx((1.0, 1.0, 1.0, 0.5, 1.0, 1.0, 1.0, 1.0))
    assert group.volume_slider.value() == 100

    qtbot.wait(3 * VOLUME_EMIT_INTERVAL_MS)
    requests: list[Any] = []
    panel.volumeRequested.connect(lambda *args: requests.append(args))
    volumes = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
    _update(panel, _speakers_with(speakers, "multi8", volume=volumes), microphones)
    assert [s.value() for s in dialog.sliders] == [10, 20, 30, 40, 50, 60, 70, 80]
    assert group.volume_slider.value() == 80
    assert requests == []


def test_empty_groups_say_so(panel) -> None:
    panel.update_devices([], [], None, None)
    group = panel.group("speaker")
    assert group.empty_label.isVisible()
    assert group.empty_label.text() == "No speakers found"
    assert not group.strip.isVisible()
    assert panel.group("microphone").empty_label.text() == "No microphones found"
    assert panel.tabs.tabText(0) == "Speakers (0)"


def test_selected_device_that_vanishes_clears_the_controls(panel, speakers, microphones) -> None:
    panel.select_device("speaker", "multi8")
    _update(panel, [s for s in speakers if s.id != "multi8"], microphones)
    group = panel.group("speaker")
    assert panel.selected_device("speaker") is None
    assert not group.volume_slider.isEnabled()
    assert not group.mute_button.isEnabled()


def test_controls_have_accessible_names(panel) -> None:
    for kind in ("speaker", "microphone", "loopback"):
        group = panel.group(kind)
        for widget in (
            group.view,
            group.volume_slider,
            group.volume_label,
            group.mute_button,
            group.default_button,
            group.channels_button,
            group.empty_label,
            group.name_label,
        ):
            assert widget.accessibleName(), (kind, widget)


def _relist(panel: DevicePanel) -> None:
    """What the controller does on a device event: list again, feed the panel."""
    panel.update_devices(
        sc.all_speakers(), sc.all_microphones(include_loopback=True), "scarlett", "scarlett_in"
    )


def test_a_real_sink_appears_and_disappears(qtbot, rig: VirtualRig) -> None:
    panel = DevicePanel()
    qtbot.addWidget(panel)
    _relist(panel)
    model = panel.model("speaker")
    panel.select_device("speaker", "scarlett")
    recorder = _Recorder(model)
    before = _ids(model)

    with rig.plug_sink("paneltest"):
        _relist(panel)
        assert model.index_of("paneltest").isValid()
        assert panel.model("loopback").index_of("paneltest.monitor").isValid()
        assert len(recorder.inserted) == 1 and recorder.removed == []
        assert panel.selected_device("speaker").id == "scarlett"  # selection kept

    _relist(panel)
    assert not model.index_of("paneltest").isValid()
    assert not panel.model("loopback").index_of("paneltest.monitor").isValid()
    assert len(recorder.removed) == 1
    assert _ids(model) == before
    assert panel.selected_device("speaker").id == "scarlett"
    assert panel.tabs.tabText(0) == f"Speakers ({len(before)})"


def test_the_volume_dialog_of_32_channels_scrolls_within_the_screen(qtbot) -> None:
    from scgui.ui.device_panel import ChannelVolumeDialog

    speaker = Speaker(DeviceInfo(id="big", name="Interface 32", kind="speaker", channels=32))
    dialog = ChannelVolumeDialog()
    qtbot.addWidget(dialog)
    dialog.show_volumes(speaker, (0.5,) * 32)
    dialog.show()
    assert len(dialog.sliders) == 32
    assert dialog.sliders[0].accessibleName() == "Channel 1 volume"  # numbered from 1
    limit = dialog.screen().availableGeometry().height()
    assert dialog.height() <= limit * 0.8
    assert dialog._scroll.verticalScrollBar().maximum() > 0  # the rest is a scroll away
