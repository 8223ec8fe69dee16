"""Entry script of the PyInstaller bundle: the same as the ``scgui`` command.

``packaging/pyinstaller.spec`` builds the bundle's executable from this file. A windowed
Windows build has no console, so ``sys.stdout`` and ``sys.stderr`` are None there; they are
pointed at the null device so ``scgui --version`` or an error message cannot crash the app.
"""

import os
import sys

if __name__ == "__main__":
    for _name in ("stdout", "stderr"):
        if getattr(sys, _name) is None:
            setattr(sys, _name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115

    from scgui.cli import main

    sys.exit(main())
