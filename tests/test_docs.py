"""The documentation builds with warnings as errors, as ``scripts/build-docs.sh`` builds it.

Sphinx and the rest of the ``docs`` extra are not in the ``test`` extra: without them this
test is skipped, saying how to get them. A warning (a docstring that is not valid reST, a
name of ``scgui.audio.__all__`` missing from docs/api.rst, a missing screenshot) fails it.
"""

from __future__ import annotations

import importlib.util
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SCREENSHOTS = DOCS / "_static" / "screenshots"
MAX_SCREENSHOT_BYTES = 400_000

DOCS_MODULES = ("sphinx", "myst_parser", "sphinxarg", "furo")


def test_docs_build_without_warnings(tmp_path: Path) -> None:
    missing = [name for name in DOCS_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(
            f"the docs extra is not installed ({', '.join(missing)} missing): "
            "bash scripts/build-docs.sh installs it, or pip install -e '.[docs]'"
        )
    out = tmp_path / "html"
    # The command of scripts/build-docs.sh, into a folder of the test's own.
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", "html"]
    result = subprocess.run(
        [*command, str(DOCS), str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=110,
    )
    assert result.returncode == 0, f"sphinx-build failed:\n{result.stderr}{result.stdout}"
    api = (out / "api.html").read_text(encoding="utf-8")
    import scgui.audio

    for name in scgui.audio.__all__:
        assert f'id="scgui.audio.{name}"' in api, f"{name} has no entry in the API reference"
    cli = (out / "cli.html").read_text(encoding="utf-8")
    for command_name in _subcommands():
        assert f'id="scgui-{command_name}"' in cli, f"scgui {command_name} is not in cli.html"


def _subcommands() -> list[str]:
    import argparse

    from scgui.cli import build_parser

    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def test_screenshots_are_small_pngs() -> None:
    shots = sorted(SCREENSHOTS.glob("*.png"))
    assert shots, f"no screenshots in {SCREENSHOTS}"
    for shot in shots:
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{shot.name} is not a PNG"
        width, height = struct.unpack(">II", data[16:24])
        assert width <= 1280 and height <= 1000, f"{shot.name} is {width}x{height}"
        assert len(data) <= MAX_SCREENSHOT_BYTES, f"{shot.name} is {len(data)} bytes"
