"""Open the main window on a made-up screen and say how it laid itself out (JSON on stdout).

Qt's offscreen platform takes a screen description (its size in pixels and its DPI), and
Qt scales by the DPI as it does on Windows and X11, so a laptop, a full-HD monitor and a 4K
monitor at 150 % or 200 % can be tried on a machine with no display:

    python scripts/window_on_screen.py 3840 2160 2 --monitor multi8_reversed --png 4k.png

The window opens as at a first start (no saved settings). With ``--monitor`` it monitors
that input first (the sound server is the one the environment names).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("width", type=int, help="screen width in pixels")
    parser.add_argument("height", type=int, help="screen height in pixels")
    parser.add_argument("scale", type=float, help="display scaling: 2 for 200 %% (192 DPI)")
    parser.add_argument("--monitor", help="input to monitor before measuring")
    parser.add_argument("--png", help="save what the window shows here (device pixels)")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="scgui-screen-"))
    config = folder / "screen.json"
    screen = {"name": "test", "x": 0, "y": 0, "width": args.width, "height": args.height}
    screen.update({"logicalDpi": round(96 * args.scale), "logicalBaseDpi": 96, "dpr": 1})
    config.write_text(json.dumps({"screens": [screen], "windowFrameMargins": False}))
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"
    os.environ["XDG_CONFIG_HOME"] = str(folder)  # a first start: no saved geometry

    from PySide6.QtCore import QCoreApplication, QEventLoop

    from scgui.ui.app import create_application
    from scgui.ui.main_window import MainWindow

    app = create_application(sys.argv[:1])
    window = MainWindow()
    window.show()
    if args.monitor:
        window.monitor_bar.select(args.monitor)
        window.monitor_bar.start()
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.01)
    frame, area = window.frameGeometry(), window.screen().availableGeometry()
    picture = window.grab()
    if args.png:
        picture.save(args.png)
    report = {
        "window": [frame.x(), frame.y(), frame.width(), frame.height()],
        "screen": [area.x(), area.y(), area.width(), area.height()],
        "dpr": window.devicePixelRatioF(),
        "grab": [picture.width(), picture.height()],
        "views": [window.views.width(), window.views.height()],
        "devices": [window.device_panel.width(), window.device_panel.height()],
        "meters_visible": window.meters.isVisible(),
    }
    print(json.dumps(report))
    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
