"""scgui: a desktop audio device manager and a soundcard-compatible sound-card library.

The package root has no side effects: importing it opens no sound server and no Qt.
The library is :mod:`scgui.audio`, the app starts from :mod:`scgui.cli`.
"""

#: The one place the version is written (pyproject.toml reads it). A literal rather than a
#: package-metadata lookup, which cost about 75 ms of every start-up.
__version__: str = "0.1.0"

__all__ = ["__version__"]
