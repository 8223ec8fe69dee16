"""The window on laptop, full-HD and 4K (HiDPI) screens: it fits, and the room goes to the
signal views.

Each screen is Qt's offscreen platform with a made-up screen (scripts/window_on_screen.py):
a platform is chosen once per process, so each runs in a process of its own, against the
session's sound server, monitoring the 8-channel input.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "window_on_screen.py"
SCREENS = {
    "laptop": (1280, 800, 1.0),
    "full HD": (1920, 1080, 1.0),
    "4K at 200 %": (3840, 2160, 2.0),
    "4K at 150 %": (3840, 2160, 1.5),
}


@pytest.fixture(scope="module")
def layouts(rig, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("screens")
    found = {}
    for name, (width, height, scale) in SCREENS.items():
        png = folder / f"{name.replace(' ', '_').replace('%', 'pc')}.png"
        done = subprocess.run(
            [
                sys.executable,
                str(SCRIPT),
                str(width),
                str(height),
                str(scale),
                "--monitor",
                "multi8_reversed",
                "--png",
                str(png),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        found[name] = json.loads(done.stdout.strip().splitlines()[-1])
        found[name]["png"] = png
    return found


@pytest.mark.parametrize("name", list(SCREENS))
def test_the_window_fits_and_draws_at_the_screens_scale(layouts, name: str) -> None:
    layout = layouts[name]
    x, y, width, height = layout["window"]
    sx, sy, swidth, sheight = layout["screen"]
    assert sx <= x and sy <= y and x + width <= sx + swidth and y + height <= sy + sheight
    scale = SCREENS[name][2]
    assert layout["dpr"] == pytest.approx(scale)
    # Drawn at the screen's pixels, not blown up from a smaller picture.
    assert layout["grab"] == [round(width * scale), round(height * scale)]
    assert layout["meters_visible"]
    assert layout["png"].stat().st_size > 10_000


def test_a_larger_screen_gives_its_room_to_the_signal_views(layouts) -> None:
    laptop, full_hd = layouts["laptop"], layouts["full HD"]
    wider = full_hd["window"][2] - laptop["window"][2]
    assert wider > 200
    assert full_hd["views"][0] - laptop["views"][0] > wider / 2
    assert abs(full_hd["devices"][0] - laptop["devices"][0]) < wider / 3
    assert full_hd["views"][1] > laptop["views"][1]


def test_4k_at_200_percent_lays_out_as_full_hd(layouts) -> None:
    """The same size in device-independent pixels, so the same layout, twice as sharp."""
    for key in ("window", "views", "devices"):
        assert layouts["4K at 200 %"][key] == layouts["full HD"][key]
    assert layouts["4K at 150 %"]["views"][0] > layouts["full HD"]["views"][0]
