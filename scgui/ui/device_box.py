"""Filling a device combo box: device objects as item data, the choice kept across refreshes."""

from __future__ import annotations

from collections.abc import Sequence

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
    box.blockSignals(True)
    box.clear()
    for device in devices:
        box.addItem(device_label(device), device)
        if device.id == keep:
            box.setCurrentIndex(box.count() - 1)
    box.blockSignals(False)
