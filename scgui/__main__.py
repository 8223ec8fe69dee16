"""``python -m scgui``: the same as the ``scgui`` command."""

import sys

from scgui.cli import main

if __name__ == "__main__":
    sys.exit(main())
