"""Filling a device combo box: device objects as item data, the choice kept across refreshes."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

import scgui.audio as sc


def device_label(device: sc.Speaker | sc.Microphone) -> str:
    """ "Loopback: Monitor of X (2 ch)" / "X (8 ch)"."""
    prefix = "Loopback: " if getattr(device, "isloopback", False) else ""
    return f"{prefix}{device.name} ({device.channels} ch)"


def fill_device_box(
    box: QComboBox,
    devices: Sequence[sc.Speaker | sc.Microphone],
    preferred_id: str | None = None,
) -> None:
    """Show ``devices`` in ``box``, keeping the current device when it is still there.

    Without a current device, ``preferred_id`` is selected. No signal is emitted.
    """
    current = box.currentData()
    keep = current.id if current is not None else preferred_id
    fit_to_layout(box)
    box.blockSignals(True)
    box.clear()
    for device in devices:
        label = device_label(device)
        box.addItem(label, device)
        box.setItemData(box.count() - 1, label, Qt.ItemDataRole.ToolTipRole)
        if device.id == keep:
            box.setCurrentIndex(box.count() - 1)
    box.blockSignals(False)
    box.setToolTip(box.currentText())


def fit_to_layout(box: QComboBox) -> None:
    """Let a long device name be cut short in the box (the full name is its tooltip and in
    the open list) instead of widening the window past the screen."""
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(14)
    if not box.property("tooltipFollows"):
        box.setProperty("tooltipFollows", True)
        box.currentTextChanged.connect(box.setToolTip)
