"""Render the meter, waveform and spectrum widgets with synthetic audio into PNG files.

    .venv/bin/python scripts/screenshot_widgets.py [OUTPUT.png]

Writes ``/tmp/scgui-widgets.png`` (eight channels: meters, waveforms, spectrum; one channel
clipping) and ``/tmp/scgui-meters-32.png`` (a 32-channel meter bank at its minimum width) so
a change to what is on screen can be looked at without a sound card or a display. Runs on the
``offscreen`` platform unless ``QT_QPA_PLATFORM`` says otherwise (e.g. ``xcb`` under Xvfb).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scgui.ui.meters import FLOOR_DB, MeterBank
from scgui.ui.palette import dark_palette
from scgui.ui.spectrum_view import SpectrumView
from scgui.ui.waveforms import WaveformView

SAMPLERATE = 48000
NAMES = ["FL", "FR", "RL", "RR", "FC", "LFE", "SL", "SR"]


def synthetic_audio(seconds: float = 2.5, seed: int = 7) -> np.ndarray:
    """Eight channels of plausible test material; channel 7 is driven into clipping."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLERATE)
    t = np.arange(n) / SAMPLERATE
    out = np.empty((n, 8), dtype=np.float32)
    out[:, 0] = 0.7 * np.sin(2 * np.pi * 1000 * t)  # steady -3 dBFS tone
    out[:, 1] = 0.35 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 1.3 * t))
    hits = np.zeros(n)
    hits[:: SAMPLERATE // 3] = 1.0
    decay = np.exp(-t[: SAMPLERATE // 4] * 30)
    drum = np.convolve(hits, decay)[:n] * np.sin(2 * np.pi * 80 * t)
    out[:, 2] = 0.5 * drum
    out[:, 3] = 0.08 * rng.standard_normal(n)  # noise around -22 dBFS RMS
    speech = rng.standard_normal(n) * np.clip(np.sin(2 * np.pi * 2.1 * t), 0, None) ** 2
    out[:, 4] = 0.12 * np.convolve(speech, np.ones(12) / 12, mode="same")
    out[:, 5] = 0.03 * np.sin(2 * np.pi * 45 * t)  # quiet sub tone, about -30 dBFS
    out[:, 6] = 0.004 * rng.standard_normal(n)  # near-silent channel
    out[:, 7] = np.clip(1.4 * np.sin(2 * np.pi * 330 * t), -1.0, 1.0)  # clipping
    return out


def levels(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Peak/RMS of the newest 50 ms, hold over the last 1.5 s, clip latch: like the engine."""

    def db(x: np.ndarray) -> np.ndarray:
        return np.maximum(20 * np.log10(np.maximum(x, 1e-12)), FLOOR_DB)

    recent = audio[-SAMPLERATE // 20 :]
    peak = db(np.abs(recent).max(axis=0))
    rms = db(np.sqrt(np.mean(recent.astype(np.float64) ** 2, axis=0)))
    hold = db(np.abs(audio[-int(1.5 * SAMPLERATE) :]).max(axis=0))
    clipped = (np.abs(audio) >= 0.999).sum(axis=0) > 2
    return peak, rms, hold, clipped


def spectrum(samples: np.ndarray, size: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    """Hann-windowed magnitude spectrum in dBFS (a full-scale sine reads about 0 dBFS)."""
    window = np.hanning(size)
    block = samples[-size:] * window
    magnitude = np.abs(np.fft.rfft(block)) * 2 / window.sum()
    freqs = np.fft.rfftfreq(size, 1 / SAMPLERATE)
    return freqs, np.maximum(20 * np.log10(np.maximum(magnitude, 1e-12)), FLOOR_DB)


def panel(title: str, content: QWidget) -> QFrame:
    """A titled frame, the way the main window groups its views."""
    frame = QFrame()
    frame.setFrameShape(QFrame.Shape.StyledPanel)
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(6, 4, 6, 6)
    layout.setSpacing(4)
    heading = QLabel(title)
    heading.setStyleSheet("font-weight: 600; color: #c9ccd1;")
    layout.addWidget(heading)
    layout.addWidget(content, 1)
    return frame


def main(argv: list[str]) -> int:
    out_path = Path(argv[1]) if len(argv) > 1 else Path("/tmp/scgui-widgets.png")
    app = QApplication.instance() or QApplication(argv)
    app.setStyle("Fusion")
    app.setPalette(dark_palette())

    audio = synthetic_audio()
    meters = MeterBank()
    waves = WaveformView()
    spec = SpectrumView(samplerate=SAMPLERATE)
    for view in (meters, waves, spec):
        view.set_channels(NAMES)

    window = QWidget()
    window.setWindowTitle("scgui widgets")
    grid = QGridLayout(window)
    grid.setContentsMargins(8, 8, 8, 8)
    grid.setSpacing(8)
    grid.addWidget(panel("Levels", meters), 0, 0, 2, 1)
    grid.addWidget(panel("Waveforms", waves), 0, 1)
    grid.addWidget(panel("Spectrum", spec), 1, 1)
    grid.setColumnStretch(1, 1)
    grid.setRowStretch(0, 3)
    grid.setRowStretch(1, 2)
    window.resize(1280, 820)
    window.show()
    app.processEvents()

    meters.set_levels(*levels(audio))
    waves.show_frames(audio, SAMPLERATE)
    freqs, db = spectrum(audio[:, 0])
    spec.show_spectrum(freqs, db)
    app.processEvents()
    window.grab().save(str(out_path))
    print(f"wrote {out_path}")

    # 32 channels at the narrowest the bank allows, inside a scroll area as the app would.
    many = MeterBank()
    many.set_channels([str(i + 1) for i in range(32)])
    rng = np.random.default_rng(3)
    wide = np.concatenate([audio] * 4, axis=1) * rng.uniform(0.05, 1.0, 32).astype(np.float32)
    peak, rms, hold, clipped = levels(wide)
    clipped[[7, 19]] = True
    many.set_levels(peak, rms, hold, clipped)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(many)
    scroll.resize(many.minimumWidth() + 4, 300)
    scroll.show()
    app.processEvents()
    many_path = out_path.with_name(out_path.stem.replace("widgets", "meters-32") + ".png")
    if many_path == out_path:
        many_path = out_path.with_name(out_path.stem + "-meters-32.png")
    scroll.grab().save(str(many_path))
    print(f"wrote {many_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
