"""Packaging: icons, desktop integration, the self-test, and the PyInstaller bundle itself.

The first tests are quick file checks. The ``bundle`` tests build the one-folder app with
``scripts/build-bundle.sh`` (under a minute on an idle machine, 40 to 90 s here) and
run the built program against the session's virtual rig, with no sound server, and under Xvfb.
``pytest -m "not bundle"`` leaves them out.
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

import scgui
from scgui.virtual_rig import MULTI8, SCARLETT, VirtualRig

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ROOT / "resources"
ICONS = RESOURCES / "icons"
APP_ID = "org.scgui.scgui"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEAD_SERVER = "unix:/nonexistent/socket"


def _load_make_icons():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("make_icons", ROOT / "scripts" / "make_icons.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_icons = _load_make_icons()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE, "not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# -- desktop integration -------------------------------------------------------------------


def test_desktop_file_has_what_menus_need() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(RESOURCES / f"{APP_ID}.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "scgui"
    assert entry["Exec"].split()[0] == "scgui"
    assert entry["Icon"] == APP_ID
    assert entry["Terminal"] == "false"
    categories = entry["Categories"].split(";")
    assert {"AudioVideo", "Audio", "Recorder", "Mixer"} <= set(categories)
    assert entry["Categories"].endswith(";") and entry["Keywords"].endswith(";")
    assert "record" in entry["Keywords"].split(";")


def test_desktop_file_passes_desktop_file_validate() -> None:
    validate = shutil.which("desktop-file-validate")
    if validate is None:
        pytest.skip("desktop-file-validate not installed (Debian: desktop-file-utils)")
    result = subprocess.run(
        [validate, str(RESOURCES / f"{APP_ID}.desktop")], capture_output=True, text=True
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_metainfo_describes_the_desktop_application() -> None:
    root = ET.parse(RESOURCES / f"{APP_ID}.metainfo.xml").getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("name") == "scgui"
    assert root.findtext("metadata_license")
    assert root.findtext("summary")
    assert root.find("description/p") is not None
    launchable = root.find("launchable")
    assert launchable is not None and launchable.get("type") == "desktop-id"
    assert launchable.text == f"{APP_ID}.desktop"
    assert root.findtext("provides/binary") == "scgui"
    release = root.find("releases/release")
    assert release is not None and release.get("version") == scgui.__version__


def test_metainfo_passes_appstreamcli_validate() -> None:
    appstreamcli = shutil.which("appstreamcli")
    if appstreamcli is None:
        pytest.skip("appstreamcli not installed (Debian: appstream)")
    result = subprocess.run(
        [appstreamcli, "validate", "--no-net", str(RESOURCES / f"{APP_ID}.metainfo.xml")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- icons ---------------------------------------------------------------------------------


def test_png_icons_exist_at_every_size() -> None:
    for size in make_icons.PNG_SIZES:
        path = ICONS / f"scgui-{size}.png"
        assert path.exists(), f"{path} missing: run scripts/make_icons.py"
        assert png_size(path.read_bytes()) == (size, size)


def test_ico_holds_png_entries_from_16_to_256() -> None:
    data = (ICONS / "scgui.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sizes = []
    for index in range(count):
        width, height, _colours, _zero, _planes, bits, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * index : 22 + 16 * index]
        )
        image = data[offset : offset + length]
        real = png_size(image)
        assert real == ((width or 256), (height or 256)) and bits == 32
        sizes.append(real[0])
    assert sizes == list(make_icons.ICO_SIZES)


def test_icns_holds_png_entries_up_to_1024() -> None:
    data = (ICONS / "scgui.icns").read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    found = {}
    position = 8
    while position < len(data):
        kind = data[position : position + 4]
        length = struct.unpack(">I", data[position + 4 : position + 8])[0]
        found[kind] = png_size(data[position + 8 : position + length])[0]
        position += length
    assert position == len(data)
    assert found == {kind: size for kind, size in make_icons.ICNS_TYPES}


def test_committed_icons_match_the_svg(qapp) -> None:
    """Catches an edited scgui.svg whose PNGs were not regenerated (scripts/make_icons.py)."""
    import numpy as np
    from PySide6.QtGui import QImage

    svg = (RESOURCES / "scgui.svg").read_text(encoding="utf-8")

    def pixels(data: bytes) -> np.ndarray:
        image = QImage.fromData(data).convertToFormat(QImage.Format.Format_RGBA8888)
        return np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1).copy()

    for size in (16, 32, 256):
        fresh = pixels(make_icons.render_png(svg, size))
        committed = pixels((ICONS / f"scgui-{size}.png").read_bytes())
        assert fresh.shape == committed.shape
        difference = np.abs(fresh.astype(int) - committed.astype(int)).max()
        assert difference <= 8, f"scgui-{size}.png is stale: run scripts/make_icons.py"


# -- the spec and the self-test, without building --------------------------------------------


def test_spec_and_launcher_compile() -> None:
    for name in ("pyinstaller.spec", "scgui_launcher.py"):
        path = ROOT / "packaging" / name
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


def run_self_test_module(**env: str) -> subprocess.CompletedProcess[str]:
    code = "from scgui.selftest import run_self_test; raise SystemExit(run_self_test())"
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )


def test_self_test_lists_the_rig_and_exits_0() -> None:
    result = run_self_test_module()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "window: shown" in result.stdout
    assert "Sound server: pulseaudio" in result.stdout  # what the window's status bar says
    assert MULTI8.description in result.stdout
    assert SCARLETT.description in result.stdout
    assert "self-test passed" in result.stdout


def test_self_test_without_server_says_why_and_exits_1() -> None:
    result = run_self_test_module(PULSE_SERVER=DEAD_SERVER)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "window: shown" in result.stdout  # the window itself works
    assert "Cannot connect to the PulseAudio sound server" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


# -- the bundle ----------------------------------------------------------------------------


def bundle_test(func):  # type: ignore[no-untyped-def]
    """A test of the built bundle: marked ``bundle``, Linux only, time for the build."""
    func = pytest.mark.timeout(900)(func)
    func = pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="the bundle tests use the PulseAudio rig"
    )(func)
    return pytest.mark.bundle(func)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle's folder, built once per test session into a temporary directory."""
    base = tmp_path_factory.mktemp("bundle")
    env = {**os.environ, "SCGUI_DIST": str(base / "dist"), "SCGUI_BUILD": str(base / "build")}
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build-bundle.sh")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=840,
        env=env,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    folder = base / "dist" / "scgui"
    assert (folder / "scgui").is_file()
    return folder


def run_bundle(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(folder / "scgui"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **env},
    )


@bundle_test
def test_bundle_self_test_lists_the_rig(bundle: Path, rig: VirtualRig) -> None:
    result = run_bundle(bundle, "--self-test", **rig.env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "running from: PyInstaller bundle" in result.stdout
    assert ", icon set;" in result.stdout  # the bundled resources/icons reach the window
    assert "Sound server: pulseaudio" in result.stdout
    assert MULTI8.description in result.stdout
    assert SCARLETT.description in result.stdout
    assert "Traceback" not in output


@bundle_test
def test_bundle_version_and_cli(bundle: Path, rig: VirtualRig) -> None:
    version = run_bundle(bundle, "--version")
    assert version.returncode == 0 and version.stdout.strip() == f"scgui {scgui.__version__}"
    devices = run_bundle(bundle, "devices", **rig.env)
    assert devices.returncode == 0, devices.stderr
    assert MULTI8.description in devices.stdout


@bundle_test
def test_bundle_without_server_gives_the_plain_message(bundle: Path) -> None:
    result = run_bundle(bundle, "--self-test", PULSE_SERVER=DEAD_SERVER)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "window: shown" in result.stdout
    assert "Cannot connect to the PulseAudio sound server" in result.stdout
    assert "Traceback" not in output
    devices = run_bundle(bundle, "devices", PULSE_SERVER=DEAD_SERVER)
    assert devices.returncode == 1
    assert devices.stderr.startswith("scgui: error: Cannot connect")
    assert "Traceback" not in devices.stderr


@bundle_test
def test_bundle_contents(bundle: Path) -> None:
    internal = bundle / "_internal"
    for name in ("style.qss", "scgui.svg", "icons/scgui-256.png", f"{APP_ID}.desktop"):
        assert (internal / "resources" / name).is_file(), name
    files = [path for path in internal.rglob("*") if path.is_file()]
    names = [path.name for path in files]
    assert not [name for name in names if name.startswith("libpulse")], "libpulse is bundled"
    assert any(name.startswith("libsndfile") for name in names), "soundfile's library missing"
    assert not [path for path in files if path.suffix == ".qm"], "Qt translations not trimmed"
    assert not [name for name in names if "Qt6Quick" in name or "Qt6Network" in name]
    assert not (internal / "tests").exists() and not (internal / "pytest").exists()


@bundle_test
def test_bundle_libraries_resolve(bundle: Path) -> None:
    """Every library the bundle's binaries link to is in the bundle or a base system library.

    Wayland client libraries are allowed to come from the system: they exist wherever a
    Wayland session runs (this machine has no Wayland).
    """
    ldd = shutil.which("ldd")
    if ldd is None:
        pytest.skip("no ldd")
    missing = set()
    for path in (bundle / "_internal").rglob("*.so*"):
        if path.is_symlink() or not path.is_file():
            continue
        result = subprocess.run([ldd, str(path)], capture_output=True, text=True)
        for line in result.stdout.splitlines():
            if "not found" in line and not line.strip().startswith("libwayland-"):
                missing.add(f"{path.relative_to(bundle)}: {line.strip()}")
    assert not missing, "\n".join(sorted(missing))


@pytest.fixture
def xvfb_display() -> Iterator[str]:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb not installed")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write_end), "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end) as reader:
            number = reader.readline().strip()
        assert number, "Xvfb did not report its display"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)


@bundle_test
def test_bundle_opens_the_window_on_x11(bundle: Path, rig: VirtualRig, xvfb_display: str) -> None:
    """The xcb platform plugin and the libraries it loads work from the bundle."""
    result = run_bundle(
        bundle, "--self-test", DISPLAY=xvfb_display, QT_QPA_PLATFORM="xcb", **rig.env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Qt platform: xcb" in result.stdout
    assert "self-test passed" in result.stdout
