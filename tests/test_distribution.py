"""The distributions: ``python -m build`` makes an sdist and a wheel that ``twine check``
accepts, and the wheel installed into a fresh virtual environment works outside the checkout.

The tree git knows (tracked files and new ones it does not ignore) is copied to a scratch
folder and built there with ``python -m build`` (isolated: setuptools comes from the package
index into a throw-away environment; the checkout is not touched). The sdist is built first
and the wheel from it, so a file the sdist leaves out breaks the wheel. The wheel is then
installed with its dependencies from the package index into a new venv without
``--system-site-packages``, and its ``scgui`` and ``python`` are run with the scratch folder
as working directory, so nothing of the checkout can be imported by accident.

Timings here (2 cores, the PyPI mirror on the local network): the build 3 to 5 s, the venv
and the install with its dependencies (PySide6-Essentials, numpy...) 7 to 10 s, the checks
about 5 s. Installing from the index is fast enough that the venv needs no shortcut to the
development environment's packages. On a CI runner with PyPI itself the install downloads
about 120 MB. Marked ``distribution``: ``-m "not distribution"`` leaves it out.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from scgui import __version__
from scgui.virtual_rig import MULTI8, SCARLETT, VirtualRig

pytestmark = pytest.mark.distribution

ROOT = Path(__file__).resolve().parent.parent
DEAD_SERVER = "unix:/nonexistent/socket"
BUILD_SECONDS = 300
INSTALL_SECONDS = 300


def _run(
    command: list[str], timeout: float, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env
    )
    assert result.returncode == 0, (
        f"{' '.join(command)}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    )
    return result


def _source_files() -> list[str]:
    """The checkout's files as git sees them (what CI checks out, plus files not added yet)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        capture_output=True,
        cwd=ROOT,
        check=True,
    ).stdout.decode()
    return [name for name in listed.split("\0") if name and (ROOT / name).is_file()]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("distribution")


@pytest.fixture(scope="module")
def dist(scratch: Path) -> Path:
    """The sdist and the wheel, built from a copy of the tree."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout to know which files make the source tree")
    source = scratch / "source"
    for name in _source_files():
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    out = scratch / "dist"
    started = time.monotonic()
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(source)], BUILD_SECONDS, scratch)
    print(f"python -m build: {time.monotonic() - started:.1f} s")
    return out


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, (pattern, found)
    return found[0]


@pytest.fixture(scope="module")
def wheel(dist: Path) -> Path:
    return _one(dist, "scgui-*.whl")


@pytest.fixture(scope="module")
def sdist(dist: Path) -> Path:
    return _one(dist, "scgui-*.tar.gz")


@pytest.fixture(scope="module")
def venv(scratch: Path, wheel: Path) -> Path:
    """A fresh venv (no system or development packages) with the wheel and its dependencies."""
    env_dir = scratch / "venv"
    started = time.monotonic()
    _run([sys.executable, "-m", "venv", str(env_dir)], 120, scratch)
    bin_dir = env_dir / ("Scripts" if sys.platform == "win32" else "bin")
    _run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        INSTALL_SECONDS,
        scratch,
    )
    print(f"venv and pip install of the wheel: {time.monotonic() - started:.1f} s")
    return bin_dir


def _clean_env(**changes: str) -> dict[str, str]:
    """The environment (with the rig's PULSE_SERVER) without anything that could reach the
    checkout or the development venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, **changes}


def test_twine_accepts_both(dist: Path, scratch: Path) -> None:
    files = [str(path) for path in sorted(dist.iterdir())]
    assert len(files) == 2, files
    result = _run([sys.executable, "-m", "twine", "check", "--strict", *files], 120, scratch)
    assert result.stdout.count("PASSED") == 2, result.stdout


def test_wheel_holds_every_package_its_data_and_the_typed_marker(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = {
        path.parent.relative_to(ROOT).as_posix()
        for path in (ROOT / "scgui").rglob("__init__.py")
        if "__pycache__" not in path.parts
    }
    missing = sorted(p for p in packages if f"{p}/__init__.py" not in names)
    assert not missing, f"packages missing from the wheel (pyproject's packages list): {missing}"
    for name in (
        "scgui/py.typed",
        "scgui/resources/style.qss",
        "scgui/resources/manual.html",
        "scgui/resources/icons/scgui-256.png",
        "scgui/audio/backends/_pulse_ffi.py",  # the prebuilt cffi modules
        "scgui/audio/backends/_wasapi_ffi.py",
        "scgui/audio/backends/_coreaudio_ffi.py",
    ):
        assert name in names, name
    metadata = zipfile.ZipFile(wheel).read(f"scgui-{__version__}.dist-info/METADATA").decode()
    assert f"\nVersion: {__version__}\n" in metadata
    assert wheel.name.startswith(f"scgui-{__version__}-py3-none-any")


def test_sdist_holds_what_a_build_needs(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for name in (
        "pyproject.toml",
        "README.md",
        "CHANGELOG.md",
        "scgui/__init__.py",
        "scgui/py.typed",
        "resources/style.qss",
        "resources/icons/scgui-256.png",
    ):
        assert name in names, name


def test_installed_version_and_where_it_runs_from(venv: Path, scratch: Path) -> None:
    result = _run([str(venv / "scgui"), "--version"], 60, scratch, _clean_env())
    assert result.stdout.strip() == f"scgui {__version__}"
    where = _run(
        [str(venv / "python"), "-c", "import scgui; print(scgui.__file__)"],
        60,
        scratch,
        _clean_env(),
    )
    assert Path(where.stdout.strip()).is_relative_to(venv.parent), where.stdout


def test_installed_import_connects_to_nothing(venv: Path, scratch: Path) -> None:
    code = (
        "import threading, scgui.audio as sc\n"
        "maps = open('/proc/self/maps').read()\n"
        "assert 'libpulse' not in maps, 'libpulse loaded at import'\n"
        "assert threading.active_count() == 1, threading.enumerate()\n"
        "print('ok', sc.__name__)\n"
    )
    result = _run(
        [str(venv / "python"), "-c", code], 60, scratch, _clean_env(PULSE_SERVER=DEAD_SERVER)
    )
    assert result.stdout.strip() == "ok scgui.audio"


def test_installed_devices_and_doctor_against_the_rig(
    venv: Path, scratch: Path, rig: VirtualRig
) -> None:
    env = _clean_env(**rig.env)
    devices = _run([str(venv / "scgui"), "devices", "--json"], 60, scratch, env)
    channels = {row["id"]: row["channels"] for row in json.loads(devices.stdout)}
    assert channels[SCARLETT.name] == 2 and channels[MULTI8.name] == 8, channels
    doctor = json.loads(_run([str(venv / "scgui"), "doctor", "--json"], 60, scratch, env).stdout)
    assert doctor["errors"] == {} and doctor["scgui"] == __version__
    assert doctor["python"]["executable"].startswith(str(venv.parent))


def test_installed_window_finds_its_resources(venv: Path, scratch: Path, rig: VirtualRig) -> None:
    """The self-test opens the window offscreen: style sheet and icon from the wheel's data."""
    env = _clean_env(**rig.env, QT_QPA_PLATFORM="offscreen")
    result = _run([str(venv / "scgui"), "--self-test"], 120, scratch, env)
    assert "self-test passed" in result.stdout and ", icon set;" in result.stdout, result.stdout
    path = _run(
        [
            str(venv / "python"),
            "-c",
            "from scgui.ui.app import resource_path; print(resource_path('style.qss'))",
        ],
        60,
        scratch,
        env,
    ).stdout.strip()
    assert Path(path).is_relative_to(venv.parent) and Path(path).is_file(), path
