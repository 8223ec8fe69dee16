"""Take a screenshot of the scgui window monitoring 8 channels with signal on them.

Starts a private virtual rig, plays eight tones of different levels into its 8-channel
sink, opens the main window on the reversed 8-channel source, and saves the window as a PNG.
With SCGUI_SHOT_RECORDING=1 a take is running when the picture is taken; with
SCGUI_SHOT_PAGE=programs another program plays and the Programs page shows it selected
(SCGUI_SHOT_PAGE=programs-windows: with Windows' limits, no moving and volume to 100 %);
SCGUI_SHOT_PAGE=spectrum or spectrogram shows that view (A-weighted, 8192-point FFT, slow).
Runs offscreen unless DISPLAY is set (then it uses that X server, e.g. Xvfb):

    python scripts/screenshot_app.py /tmp/scgui-window.png
    Xvfb :97 -screen 0 1280x800x24 & DISPLAY=:97 python scripts/screenshot_app.py out.png
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

RATE = 48000
LEVELS_DB = (-3.0, -9.0, -15.0, -21.0, -30.0, -40.0, -6.0, 0.0)  # channel 8 clips


def tones(seconds: float = 0.5) -> np.ndarray:
    """Eight channels, each a tone of its own frequency and level (the last one clipping)."""
    t = np.arange(int(seconds * RATE)) / RATE
    data = np.empty((len(t), 8), dtype=np.float32)
    for channel, level in enumerate(LEVELS_DB):
        frequency = 220.0 * (channel + 1)
        data[:, channel] = 10 ** (level / 20) * np.sin(2 * np.pi * frequency * t)
    data[:, 7] = np.clip(1.3 * np.sin(2 * np.pi * 110.0 * t), -1.0, 1.0)
    return data


def main(output: str) -> int:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # Keep the user's real settings out of it.
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="scgui-shot-")
    from PySide6.QtCore import QCoreApplication, QEventLoop

    import scgui.audio as sc
    from scgui.ui.app import create_application
    from scgui.ui.main_window import MainWindow
    from scgui.virtual_rig import VirtualRig

    with VirtualRig() as rig:
        rig.apply_env()
        stop = threading.Event()

        def play() -> None:
            with sc.get_speaker("multi8").player(RATE, blocksize=2048) as player:
                data = tones()
                while not stop.is_set():
                    player.play(data)

        player = threading.Thread(target=play, daemon=True)
        player.start()
        if os.environ.get("SCGUI_SHOT_PAGE") == "programs-windows":
            _as_on_windows()
        app = create_application(sys.argv[:1])
        window = MainWindow()
        if not os.environ.get("DISPLAY"):
            window.resize(1400, 900)  # offscreen: no screen to fit
        window.show()  # on a display: the size the window picks at first start
        window.monitor_bar.select("multi8_reversed")
        window.monitor_bar.start()
        window.play_panel.load(_demo_file())
        programs = os.environ.get("SCGUI_SHOT_PAGE", "").startswith("programs")
        other = _other_program(rig.env) if programs else None
        if other is not None:
            window.tools.setCurrentWidget(window.streams_page)
        page = os.environ.get("SCGUI_SHOT_PAGE", "")
        if page in ("spectrum", "spectrogram"):
            from scgui.measure.spectrum import SpectrumOptions

            window.views.setCurrentWidget(window.spectrum)
            window.spectrum.set_options(SpectrumOptions(8192, 1.0, "A"))
            window.controller.set_spectrum_options(window.spectrum.options)
            window.spectrum.set_display(page.capitalize())
            window.spectrum.set_current_channel(7)
        if os.environ.get("SCGUI_SHOT_RECORDING"):  # show a take running
            window.record_panel.path_edit.setText(str(Path(tempfile.mkdtemp()) / "take-1.wav"))
            window.record_panel.record_button.click()
        deadline = time.monotonic() + (6.0 if page == "spectrogram" else 2.5)
        while time.monotonic() < deadline:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)
            if other is not None and window.streams_page.selected_stream() is None:
                for stream in sc.list_streams():
                    if stream.application == "Lab Tone" and stream.device_id:
                        window.streams_page.select("playback", stream.id)
        if os.environ.get("DISPLAY"):
            # The whole screen: what does not fit shows as cut off.
            app.primaryScreen().grabWindow(0).save(output)
        else:
            window.grab().save(output)
        geometry = window.frameGeometry()
        if programs:
            combo = window.streams_page.device_combo
            print(f"Programs page: device box enabled={combo.isEnabled()}")
        print(
            f"window {geometry.width()}x{geometry.height()} at {geometry.x()},{geometry.y()}; "
            f"minimum {window.minimumSizeHint().width()}x{window.minimumSizeHint().height()}"
        )
        if os.environ.get("SCGUI_SHOT_RECORDING"):  # stop the take as a user would, first:
            window.record_panel.stop_button.click()  # closing would ask what to do with it
            deadline = time.monotonic() + 10.0
            while window._recording and time.monotonic() < deadline:
                QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
                time.sleep(0.01)
        stop.set()
        if other is not None:
            other.kill()
            other.wait()
        window.close()
        player.join(2)
        app.processEvents()
    print(f"saved {output}")
    return 0


def _as_on_windows() -> None:
    """The server's capabilities with Windows' limits on other programs' streams."""
    import dataclasses

    from scgui.audio.backends import pulseaudio

    limited = dataclasses.replace(
        pulseaudio.PulseAudioBackend.capabilities, stream_move=False, stream_volume_max=1.0
    )
    pulseaudio.PulseAudioBackend.capabilities = limited  # type: ignore[misc]


def _other_program(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Another program playing (pacat) at 60 % on the stereo speaker."""
    program = subprocess.Popen(
        [
            "pacat",
            "--playback",
            "--device=scarlett",
            "--client-name=Lab Tone",
            "--stream-name=Calibration tone",
            "--volume=39322",
            "/dev/urandom",
        ],
        env={**os.environ, **env},
    )
    return program


def _demo_file() -> Path:
    import soundfile

    path = Path(tempfile.mkdtemp(prefix="scgui-shot-")) / "sweep-test.wav"
    soundfile.write(str(path), tones(2.0)[:, :2], RATE)
    return path


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/scgui-window.png"))
