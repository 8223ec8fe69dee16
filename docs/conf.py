"""Sphinx configuration for the scgui documentation (built by scripts/build-docs.sh)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sphinx.application import Sphinx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs"))  # cli_parser.py

import scgui  # noqa: E402  (after the path is set: the build needs no installed package)

project = "scgui"
author = "the scgui authors"
copyright = "the scgui authors"
release = version = scgui.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinxarg.ext",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
# No intersphinx: the build runs offline (CI, the test), and a failed fetch is a warning.

# The docstrings are prose with reST roles; where they have sections (scgui.measure, the
# writer) those are numpydoc's (Parameters / Attributes with underlines).
napoleon_google_docstring = False
napoleon_numpy_docstring = True

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_type_aliases = {"ChannelsArg": "scgui.audio.channelmap.ChannelsArg"}
autodoc_default_options = {"members": True}
python_maximum_signature_line_length = 88

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = f"scgui {release}"
html_static_path = ["_static"]

_SECTION = re.compile(r"^\s*-{3,}\s*$", re.MULTILINE)


def _napoleon_for_sections_only(
    app: Sphinx, what: str, name: str, obj: object, options: object, lines: list[str]
) -> None:
    """Napoleon, except on one-paragraph property and attribute docstrings.

    Napoleon reads the first line of an attribute's docstring as ``type: text``, so a
    property documented as "Everything the backend reported: default sample rate..." would
    show "Everything the backend reported" as its type. Properties here are prose.
    """
    from sphinx.ext.napoleon import _process_docstring

    if what in ("property", "attribute", "data") and not _SECTION.search("\n".join(lines)):
        return
    _process_docstring(app, what, name, obj, options, lines)


def _check_api_page(app: Sphinx) -> None:
    """Warn (an error under -W) when a name of ``scgui.audio.__all__`` is not in api.rst."""
    import scgui.audio

    text = (Path(app.srcdir) / "api.rst").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\.\. (?:py:)?(?:auto)?\w+:: (\w+)", text, re.MULTILINE))
    from sphinx.util import logging

    for name in sorted(set(scgui.audio.__all__) - documented):
        logging.getLogger(__name__).warning(
            "scgui.audio.%s is public (in __all__) but not in docs/api.rst", name
        )


def setup(app: Sphinx) -> None:
    from sphinx.ext.napoleon import _process_docstring

    for listener in list(app.events.listeners.get("autodoc-process-docstring", [])):
        if listener.handler is _process_docstring:
            app.disconnect(listener.id)
    app.connect("autodoc-process-docstring", _napoleon_for_sections_only)
    app.connect("builder-inited", _check_api_page)
