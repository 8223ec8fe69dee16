"""One dark palette for every widget and dialog, so file dialogs, message boxes and menus
match the window (a style sheet alone left them light grey text on white)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

#: Colours shared with ``resources/style.qss``.
WINDOW = "#202327"
BASE = "#1a1d21"
ALTERNATE = "#1f2328"
BUTTON = "#343a42"
TEXT = "#e3e6ea"
DISABLED_TEXT = "#6c737c"
HIGHLIGHT = "#2d5b8a"
LINK = "#6aa8ff"


def dark_palette() -> QPalette:
    """The palette the application runs with (set on the QApplication)."""
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: WINDOW,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BASE,
        QPalette.ColorRole.AlternateBase: ALTERNATE,
        QPalette.ColorRole.ToolTipBase: "#2b3036",
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: "#7d8793",
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: BUTTON,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: HIGHLIGHT,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: LINK,
        QPalette.ColorRole.Light: "#4a525c",
        QPalette.ColorRole.Midlight: "#3d444d",
        QPalette.ColorRole.Mid: "#2b3036",
        QPalette.ColorRole.Dark: "#15171a",
        QPalette.ColorRole.Shadow: "#000000",
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(DISABLED_TEXT))
    return palette
