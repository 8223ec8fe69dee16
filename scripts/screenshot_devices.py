"""Render the device panel against a virtual PulseAudio rig and save it as a PNG.

Why: a change to what is on screen needs a picture that reviewers can look at, and the rig
gives the same devices on every machine. Runs headless (``QT_QPA_PLATFORM=offscreen`` unless
a platform is set), so it works in CI and containers.

Usage: ``python scripts/screenshot_devices.py [OUTPUT.png] [--tab speaker|microphone|loopback]``
(default output ``/tmp/scgui-devices.png``). With ``--channels`` it also saves the per-channel
volume window next to it (``...-channels.png``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from scgui.virtual_rig import VirtualRig

DEFAULT_OUTPUT = Path("/tmp/scgui-devices.png")


def main(argv: list[str] | None = None) -> int:
    """Start a rig, show its devices in a :class:`DevicePanel`, grab the panel to a PNG."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--tab", default="speaker", help="speaker, microphone or loopback")
    parser.add_argument("--channels", action="store_true", help="also grab the channel window")
    parser.add_argument("--size", default="760x420", help="panel size, WIDTHxHEIGHT")
    options = parser.parse_args(argv)
    width, height = (int(n) for n in options.size.lower().split("x"))

    with VirtualRig() as rig:
        rig.apply_env()
        # Imported only now: the library must connect to the rig, not to a desktop server.
        from PySide6.QtWidgets import QApplication

        import scgui.audio as sc
        from scgui.audio.backends import get_backend
        from scgui.ui.device_panel import DevicePanel

        app = QApplication.instance() or QApplication(sys.argv[:1])
        app.setStyle("Fusion")
        backend = get_backend()
        panel = DevicePanel()
        panel.setWindowTitle("scgui — devices")
        panel.update_devices(
            sc.all_speakers(),
            sc.all_microphones(include_loopback=True),
            backend.default_device_id("speaker"),
            backend.default_device_id("microphone"),
        )
        panel.resize(width, height)
        panel.show()
        group = panel.group(options.tab)
        default_id = group.model.default_id
        target = default_id if group.model.index_of(default_id or "").isValid() else None
        if target is None and group.model.rowCount():
            target = group.model.devices()[0].id
        if target is not None:
            panel.select_device(options.tab, target)
        app.processEvents()
        options.output.parent.mkdir(parents=True, exist_ok=True)
        if not panel.grab().save(str(options.output)):
            print(f"error: could not write {options.output}", file=sys.stderr)
            return 1
        print(options.output)
        if options.channels:
            dialog = group.show_channel_dialog()
            if dialog is not None:
                app.processEvents()
                channels_png = options.output.with_name(options.output.stem + "-channels.png")
                dialog.grab().save(str(channels_png))
                print(channels_png)
        panel.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
