"""Starting the window: the QApplication, its style, and a clear word when there is no display."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

#: The application's names, which also name its folders (settings, the log's state folder).
APP_NAME = ORGANIZATION_NAME = "scgui"

_PACKAGE = Path(__file__).resolve().parent.parent
#: ``resources/`` of the checkout, or ``scgui/resources`` of an installed wheel (pyproject maps
#: the one to the other).
RESOURCES = (
    _PACKAGE / "resources" if (_PACKAGE / "resources").is_dir() else _PACKAGE.parent / "resources"
)


def resource_path(name: str) -> Path:
    """A file of ``resources/``: in the checkout, an installed wheel or a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    base = Path(bundle) / "resources" if bundle else RESOURCES
    return base / name


def display_problem() -> str | None:
    """Why Qt could not open a window here, or None when it can."""
    if os.environ.get("QT_QPA_PLATFORM") or not sys.platform.startswith("linux"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "No display found (neither DISPLAY nor WAYLAND_DISPLAY is set). Run scgui from a "
        "desktop session, or use the command line: 'scgui devices', 'scgui record', "
        "'scgui play' (see 'scgui --help')."
    )


def create_application(argv: Sequence[str]) -> QApplication:
    """The QApplication with scgui's name and look (created once)."""
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from .palette import dark_palette

    existing = QApplication.instance()
    if existing is None:
        app = QApplication(list(argv))
    elif isinstance(existing, QApplication):
        app = existing
    else:  # a QCoreApplication or QGuiApplication has no widgets: nothing to show a window with
        raise RuntimeError(
            f"a {type(existing).__name__} already runs; the window needs a QApplication"
        )
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORGANIZATION_NAME)
    app.setApplicationDisplayName("scgui")
    app.setStyle("Fusion")
    app.setPalette(dark_palette())  # dialogs and menus too, not only what the sheet names
    app.setDesktopFileName("org.scgui.scgui")  # Wayland finds the icon through the desktop file
    app.setWindowIcon(QIcon(str(resource_path("icons/scgui-256.png"))))
    style = resource_path("style.qss")
    if style.exists():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    return app


def run_app(argv: Sequence[str]) -> int:
    """Open the main window and run until it is closed."""
    problem = display_problem()
    if problem:
        print(f"scgui: {problem}", file=sys.stderr)
        return 1
    app = create_application(argv)
    from .logfile import start_log_file
    from .main_window import MainWindow

    start_log_file()

    window = MainWindow()
    window.show()
    return app.exec()
