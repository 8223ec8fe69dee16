"""Volume controls shared by the device panel and the programs' streams page.

A 0–150 % slider (as pavucontrol's), a label that says a volume in % and, where the sound
system says what it means, in dB, and a throttle that turns a slider drag into a smooth
ramp of requests.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel, QSizePolicy, QSlider

import scgui.audio as sc

__all__ = [
    "MAX_VOLUME_PERCENT",
    "VOLUME_EMIT_INTERVAL_MS",
    "Throttle",
    "loudest_volume_text",
    "slider_position",
    "system_db",
    "volume_label",
    "volume_slider",
    "volume_text",
]

_log = logging.getLogger(__name__)

MAX_VOLUME_PERCENT = 150
"""Top of the volume sliders, in percent of the unamplified (norm) volume, like pavucontrol."""

VOLUME_EMIT_INTERVAL_MS = 50
"""Shortest interval between two ``volumeRequested`` emissions while a slider moves."""


def slider_position(volume: float) -> int:
    """A linear volume (1.0 = 100 %) as a slider position, clamped to the slider's range."""
    return max(0, min(MAX_VOLUME_PERCENT, round(volume * 100.0)))


def volume_label() -> QLabel:
    """A right-aligned label wide enough for "150 % +10.6 dB", so sliders do not jitter."""
    label = QLabel()
    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    widest = volume_text(MAX_VOLUME_PERCENT / 100.0, _WIDEST_DB)
    label.setMinimumWidth(label.fontMetrics().horizontalAdvance(widest) + 4)
    return label


def volume_slider(accessible_name: str) -> QSlider:
    """A horizontal 0–150 % slider with ticks every 25 % (100 % is one of them)."""
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(0, MAX_VOLUME_PERCENT)
    slider.setSingleStep(1)
    slider.setPageStep(5)
    slider.setTickPosition(QSlider.TickPosition.TicksBelow)
    slider.setTickInterval(25)
    slider.setMinimumWidth(160)
    slider.setAccessibleName(accessible_name)
    slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return slider


class Throttle(QObject):
    """Call ``callback`` at most every ``interval_ms``: the first push at once, then the newest.

    Pushes that arrive while the interval runs replace each other; when it ends, the newest
    is delivered and a new interval starts. :meth:`flush` delivers the newest now (a slider
    release), so the final value is never late or lost.
    """

    def __init__(
        self, interval_ms: int, callback: Callable[..., None], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._callback = callback
        self._pending: tuple[Any, ...] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._on_timeout)

    @property
    def pending(self) -> bool:
        """Whether a pushed value waits for the interval to end."""
        return self._pending is not None

    def push(self, *args: Any) -> None:
        """Deliver ``args`` now if no interval runs, else when it ends (unless replaced)."""
        self._pending = args
        if not self._timer.isActive():
            self._deliver()
            self._timer.start()

    def flush(self) -> None:
        """Deliver the pending value now, and end the interval."""
        self._timer.stop()
        self._deliver()

    def _on_timeout(self) -> None:
        if self._pending is not None:
            self._deliver()
            self._timer.start()

    def _deliver(self) -> None:
        if self._pending is not None:
            args, self._pending = self._pending, None
            self._callback(*args)


def system_db(volume: float) -> float | None:
    """What the sound system says ``volume`` is in dB; None where it does not say."""
    try:
        return sc.volume_to_db(volume)
    except sc.AudioError as exc:  # no libpulse, say: show % alone
        _log.debug("no dB for a volume: %s", exc)
        return None


def _widest_db(_volume: float) -> float:
    return 10.56  # "+10.6 dB": the widest dB text beside "150 %" on PulseAudio


_WIDEST_DB: Callable[[float], float | None] = _widest_db


def volume_text(volume: float, to_db: Callable[[float], float | None] = system_db) -> str:
    """``"75 % (−7.5 dB)"``; ``"75 %"`` where the dB are unknown; ``−∞ dB`` for silence."""
    percent = f"{round(volume * 100)} %"
    db = to_db(volume)
    if db is None:
        return percent
    if math.isinf(db) or db < -200:
        return f"{percent} (−∞ dB)"
    shown = round(db, 1)
    sign = "+" if shown > 0 else ("−" if shown < 0 else "")
    return f"{percent} ({sign}{abs(shown):.1f} dB)"


def loudest_volume_text(
    volume: Sequence[float], to_db: Callable[[float], float | None] = system_db
) -> str:
    """The loudest channel's volume as :func:`volume_text` says it; "–" for none."""
    if not volume:
        return "–"
    return volume_text(max(volume), to_db)
