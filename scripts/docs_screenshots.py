"""Take the screenshots of the documentation (docs/_static/screenshots/*.png) under Xvfb.

    Xvfb :97 -screen 0 1280x800x24 -nolisten tcp &
    DISPLAY=:97 .venv/bin/python scripts/docs_screenshots.py [OUTPUT_DIR]

The window, spectrum and Programs pictures come from ``scripts/screenshot_app.py`` (one run
each, with its ``SCGUI_SHOT_PAGE``); the routing check and the test-signal page, which that
script does not show, are taken here: a virtual rig, the window, a routing check of Multi8
into Multi8 Reversed (expecting the reversal) with its result (the whole routing panel,
which scrolls on this screen, and its matrix window), then a sweep played on Multi8 from
the Test signal page while the window monitors Multi8 Reversed. The window pictures are the
whole 1280x800 screen, as a user of a laptop sees it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "_static" / "screenshots"
# file name -> SCGUI_SHOT_PAGE of screenshot_app.py ("" is its default view)
APP_SHOTS = {"window.png": "", "spectrum.png": "spectrum", "programs.png": "programs"}


def main(argv: list[str]) -> int:
    if not os.environ.get("DISPLAY"):
        print("DISPLAY is not set: start Xvfb (see the docstring) and set it", file=sys.stderr)
        return 2
    if argv[1:2] == ["--in-process"]:
        return _routing_and_signal(Path(argv[2]))
    output = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUTPUT
    output.mkdir(parents=True, exist_ok=True)
    for name, page in APP_SHOTS.items():
        env = {**os.environ, "SCGUI_SHOT_PAGE": page}
        script = str(ROOT / "scripts" / "screenshot_app.py")
        subprocess.run([sys.executable, script, str(output / name)], env=env, check=True)
    subprocess.run([sys.executable, __file__, "--in-process", str(output)], check=True)
    return 0


def _routing_and_signal(output: Path) -> int:
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="scgui-docs-shot-")
    sys.path.insert(0, str(ROOT))
    from PySide6.QtCore import QCoreApplication, QEventLoop

    from scgui.ui.app import create_application
    from scgui.ui.main_window import MainWindow
    from scgui.virtual_rig import VirtualRig

    def run_events(seconds: float, until: object = None) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not (callable(until) and until()):
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.01)

    with VirtualRig() as rig:
        rig.apply_env()
        app = create_application(sys.argv[:1])
        window = MainWindow()
        window.show()
        run_events(1.0)

        panel = window.routing_panel
        for index in range(window.tools.count()):
            if window.tools.widget(index).isAncestorOf(panel):
                window.tools.setCurrentIndex(index)
        panel.select("multi8", "multi8_reversed")
        panel.expect_box.setCurrentIndex(1)  # Reverse
        panel.run_check()
        run_events(60.0, until=lambda: panel.report is not None and not panel.is_running())
        if panel.report is None:
            print("the routing check did not finish", file=sys.stderr)
            return 1
        panel.table.setCurrentCell(2, 0)  # output 3: its response in the plot
        run_events(1.0)
        # The page scrolls on a 1280x800 screen: the whole panel instead, and its matrix window.
        panel.grab().save(str(output / "routing-panel.png"))
        matrix = panel.show_matrix_window()
        if matrix is not None:
            run_events(1.0)
            matrix.grab().save(str(output / "routing-matrix.png"))
            matrix.close()

        window.monitor_bar.select("multi8_reversed")
        window.monitor_bar.start()
        generator = window.generator_panel
        window.tools.setCurrentIndex(window.tools.indexOf(generator.parentWidget()))
        generator.kind_box.setCurrentText("Log sweep")
        generator.speaker_box.setCurrentIndex(generator.speaker_box.findText("Multi8 (8 ch)"))
        generator.play_button.click()
        run_events(2.5)
        app.primaryScreen().grabWindow(0).save(str(output / "signal.png"))
        generator.stop()
        window.close()
        app.processEvents()
    print(f"saved routing-panel.png, routing-matrix.png and signal.png in {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
