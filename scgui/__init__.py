"""scgui: a desktop audio device manager and a soundcard-compatible sound-card library.

The package root has no side effects: importing it opens no sound server and no Qt.
The library is :mod:`scgui.audio`, the app starts from :mod:`scgui.cli`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__: str = version("scgui")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.1.0"

__all__ = ["__version__"]
