"""``scgui --self-test``: check that an installed or bundled scgui works here, without a display.

It starts the app on Qt's ``offscreen`` platform (unless ``QT_QPA_PLATFORM`` says otherwise),
opens the main window, paints it once, lists the devices of the running sound server through
:mod:`scgui.audio`, prints what it found and exits. It is how a PyInstaller bundle is checked
(``dist/scgui/scgui --self-test``), and what to ask a user for when the app misbehaves.

Exit status:

* 0: the window opened and the sound server's devices were listed;
* 1: the window opened but there is no usable sound server (libpulse missing, server not
  running or unreachable); the same plain message the window shows is printed, no traceback.
  A bundle checked against a running server must therefore exit 0: a bundle that cannot reach
  the server fails the check;
* 2: the window could not be opened (a broken install or bundle); the traceback is printed,
  since that is a bug to report.

The self-test writes no settings: it never closes the window (closing saves its geometry), it
hides it and stops the audio thread instead; on Linux the settings file is a throw-away one.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from .ui.main_window import MainWindow

EXIT_OK = 0
EXIT_NO_SERVER = 1
EXIT_BROKEN = 2

EVENT_SECONDS = 0.3  # how long to let the window process events after showing it

_IMPORTED_AT = time.monotonic()


def seconds_since_process_start() -> tuple[float, str]:
    """Time since this process started and what it was measured from.

    On Linux the kernel's start time of the process (so a bundle's unpacking and every import
    count); elsewhere the import of this module, which comes after Python's own start-up.
    """
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            # Fields after the command name, which is in parentheses and may contain spaces:
            # the first is field 3 (state), so field 22 (starttime, in clock ticks) is index 19.
            fields = stat.read().rsplit(")", 1)[1].split()
        with open("/proc/uptime", encoding="ascii") as uptime:
            now = float(uptime.read().split()[0])
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
        return max(0.0, now - started), "process start"
    except (OSError, ValueError, IndexError, AttributeError):
        return time.monotonic() - _IMPORTED_AT, "self-test start"


def versions() -> list[tuple[str, str]]:
    """``(component, version)`` of scgui and what it is built on, as this process loads them."""
    import numpy
    import pyqtgraph
    import PySide6
    import soundfile
    from PySide6.QtCore import qVersion

    import scgui

    return [
        ("scgui", scgui.__version__),
        ("Python", sys.version.split()[0]),
        ("PySide6", f"{PySide6.__version__} (Qt {qVersion()})"),
        ("pyqtgraph", pyqtgraph.__version__),
        ("numpy", numpy.__version__),
        ("soundfile", soundfile.__version__),
        ("libsndfile", soundfile.__libsndfile_version__),
    ]


def _where() -> str:
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        return f"PyInstaller bundle {os.path.dirname(sys.executable)}"
    return f"Python {sys.executable}"


def run_self_test(out: TextIO | None = None) -> int:
    """Open the window offscreen, list the sound server's devices, print; see module doc."""
    out = out or sys.stdout
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    def say(line: str = "") -> None:
        print(line, file=out, flush=True)

    say("scgui self-test")
    say(f"  running from: {_where()}")
    try:
        for name, version in versions():
            say(f"  {name}: {version}")
        window = _open_window(say)
    except Exception:
        say("FAILED: the window could not be opened:")
        say(traceback.format_exc().rstrip())
        return EXIT_BROKEN
    try:
        return _list_devices(say)
    finally:
        _dispose(window)


def _open_window(say: Callable[[str], None]) -> MainWindow:
    from PySide6.QtCore import QCoreApplication, QSettings

    from .ui.app import create_application
    from .ui.main_window import MainWindow

    app = create_application([sys.argv[0] if sys.argv else "scgui"])
    if sys.platform.startswith("linux"):  # native settings are INI files here: use a private one
        settings_dir = tempfile.mkdtemp(prefix="scgui-selftest-")
        QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, settings_dir)
    say(f"  Qt platform: {app.platformName()}")
    window = MainWindow()
    try:
        window.show()
        QCoreApplication.processEvents()
        if not window.isVisible():
            raise RuntimeError("the main window did not become visible")
        elapsed, since = seconds_since_process_start()
        deadline = time.monotonic() + EVENT_SECONDS
        while time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.01)
        picture = window.grab()
        if picture.isNull():
            raise RuntimeError("the main window could not be painted")
    except BaseException:
        _dispose(window)
        raise
    status = window.status_server.text() if hasattr(window, "status_server") else "?"
    icon = "missing" if window.windowIcon().isNull() else "set"
    say(
        f"window: shown {elapsed:.2f} s after {since}, painted at "
        f"{picture.width()}x{picture.height()}, icon {icon}; status bar: {status}"
    )
    return window


def _list_devices(say: Callable[[str], None]) -> int:
    import scgui.audio as sc

    try:
        backend = sc.backends.get_backend()
        description = backend.server_description()
        speakers = sc.all_speakers()
        microphones = sc.all_microphones(include_loopback=True)
        defaults = {
            "speaker": backend.default_device_id("speaker"),
            "microphone": backend.default_device_id("microphone"),
        }
    except sc.AudioError as exc:
        say(f"sound server: none. {exc}")
        say("self-test: the window works, but there is no sound server to list devices from")
        return EXIT_NO_SERVER
    say(f"sound server: {description}")
    for title, kind, devices in (
        ("speakers", "speaker", speakers),
        ("microphones and loopbacks", "microphone", microphones),
    ):
        say(f"{title} ({len(devices)}):")
        for device in devices:
            mark = "*" if device.id == defaults[kind] else " "
            loop = ", loopback" if device.info.isloopback else ""
            say(f"  {mark} {device.name} [{device.id}] {device.channels} ch{loop}")
    say("self-test passed")
    return EXIT_OK


def _dispose(window: MainWindow) -> None:
    """Stop the window's audio thread without closing it (closing saves settings)."""
    from PySide6.QtCore import QCoreApplication

    window.controller.shutdown()
    window.hide()
    window.deleteLater()
    QCoreApplication.processEvents()
