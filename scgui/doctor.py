"""``scgui doctor``: what a bug report needs, in one paste.

The versions of scgui, Python, the OS and what scgui is built on (numpy, cffi, PySide6 with
its Qt, pyqtgraph, soundfile with its libsndfile), the audio backend and why this platform
has it, the sound server, its capabilities, default devices and every device with its
channel count and rate, the log file's path and the environment variables that change where
scgui looks for things.

It never stops at a problem: each part that fails (a package that does not import, a sound
server that cannot be reached) is reported in its place, as one line, and the rest is still
printed. Every server call is bounded by the library's timeout (``SCGUI_AUDIO_TIMEOUT``), and
after the first failure the server is not asked again. ``--json`` gives the same as one
object (:func:`collect`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import sys
from collections.abc import Callable
from typing import Any

from . import __version__

__all__ = ["collect", "run_doctor"]

#: Environment variables that change which server, display or timeout scgui uses.
ENVIRONMENT = (
    "PULSE_SERVER",
    "PULSE_RUNTIME_PATH",
    "XDG_RUNTIME_DIR",
    "SCGUI_AUDIO_TIMEOUT",
    "QT_QPA_PLATFORM",
    "DISPLAY",
    "WAYLAND_DISPLAY",
)


def _line(exc: BaseException) -> str:
    """An exception's message as one line (its type when it has none)."""
    return " ".join(str(exc).split()) or type(exc).__name__


def _attempt(what: Callable[[], Any]) -> tuple[Any, str | None]:
    """``(value, None)``, or ``(None, why)`` when ``what`` raised (nothing escapes)."""
    try:
        return what(), None
    except Exception as exc:
        return None, _line(exc)


def _python() -> dict[str, Any]:
    frozen = bool(getattr(sys, "frozen", False))
    return {
        "version": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "bundle": getattr(sys, "_MEIPASS", None) if frozen else None,
    }


def _os() -> str:
    """The system in words. On Windows without ``platform.platform()``: it aborts under Wine."""
    if sys.platform == "win32":
        version = sys.getwindowsversion()
        machine = os.environ.get("PROCESSOR_ARCHITECTURE", "")
        return f"Windows {version.major}.{version.minor} build {version.build} {machine}".strip()
    text = platform.platform()
    if sys.platform.startswith("linux"):
        release, _ = _attempt(platform.freedesktop_os_release)
        if release and release.get("PRETTY_NAME"):
            text = f"{release['PRETTY_NAME']}; {text}"
    return text


def _numpy() -> str:
    import numpy

    return str(numpy.__version__)


def _cffi() -> str:
    import cffi

    return str(cffi.__version__)


def _pyside() -> str:
    import PySide6
    from PySide6.QtCore import qVersion

    return f"{PySide6.__version__} (Qt {qVersion()})"


def _pyqtgraph() -> str:
    import pyqtgraph

    return str(pyqtgraph.__version__)


def _soundfile() -> str:
    import soundfile

    return str(soundfile.__version__)


def _libsndfile() -> str:
    import soundfile

    return str(soundfile.__libsndfile_version__)


#: What scgui is built on, each imported as the program would (a broken one says why).
PACKAGES: tuple[tuple[str, Callable[[], str]], ...] = (
    ("numpy", _numpy),
    ("cffi", _cffi),
    ("PySide6", _pyside),
    ("pyqtgraph", _pyqtgraph),
    ("soundfile", _soundfile),
    ("libsndfile", _libsndfile),
)


def _backend_reason() -> str:
    """Why this platform has the backend it has (scgui.audio.backends chooses by platform)."""
    if sys.platform.startswith(("linux", "freebsd")):
        return (
            f"sys.platform {sys.platform!r}: libpulse, to PulseAudio or PipeWire's pipewire-pulse"
        )
    if sys.platform == "win32":
        return "sys.platform 'win32': WASAPI, through COM"
    if sys.platform == "darwin":
        return "sys.platform 'darwin': Core Audio's HAL, through AudioToolbox's output unit"
    return f"sys.platform {sys.platform!r}: no backend for it"


def _audio(errors: dict[str, str]) -> dict[str, Any]:
    """The backend, the server, its defaults and devices; every failure goes to ``errors``."""
    audio: dict[str, Any] = {
        "backend": None,
        "reason": _backend_reason(),
        "capabilities": None,
        "timeout_s": None,
        "server": {"reachable": False, "description": None, "address": None, "info": None},
        "defaults": {"speaker": None, "microphone": None},
        "devices": [],
    }
    try:
        import scgui.audio as sc

        audio["timeout_s"] = sc.get_timeout()
        backend = sc.backends.get_backend()
    except Exception as exc:  # no backend for this platform, or a broken library
        errors["backend"] = _line(exc)
        return audio
    audio["backend"] = backend.name
    audio["capabilities"] = dataclasses.asdict(backend.capabilities)
    server = audio["server"]
    server["address"], _ = _attempt(backend.server_address)
    try:  # the first call connects; a dead or frozen server fails it within the timeout
        server["description"] = backend.server_description()
        server_info = getattr(backend, "server_info", None)  # PulseAudio's, where it exists
        if callable(server_info):
            server["info"] = server_info()
        server["reachable"] = True
        audio["defaults"] = {
            "speaker": backend.default_device_id("speaker"),
            "microphone": backend.default_device_id("microphone"),
        }
        from .cli import device_rows

        audio["devices"] = device_rows()
    except Exception as exc:
        errors["server"] = _line(exc)
    # After connecting, the address says which server answered.
    server["address"], _ = _attempt(backend.server_address)
    return audio


def _log_file() -> dict[str, Any]:
    """Where the window writes its log (as named in Help > About), and whether it exists."""
    from PySide6.QtCore import QCoreApplication

    from .ui.app import APP_NAME, ORGANIZATION_NAME
    from .ui.logfile import LOG_NAME, log_folder

    # The state folder is named after the application, as the window sets it.
    QCoreApplication.setOrganizationName(ORGANIZATION_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    path = log_folder() / LOG_NAME
    return {"path": str(path), "exists": path.is_file()}


def collect() -> dict[str, Any]:
    """Everything ``scgui doctor`` reports, as plain data (what ``--json`` prints).

    ``errors`` maps each part that failed (a package name, ``"backend"``, ``"server"``,
    ``"log_file"``) to why; the part itself is then ``None`` or empty.
    """
    errors: dict[str, str] = {}
    packages: dict[str, str | None] = {}
    for name, version in PACKAGES:
        packages[name], problem = _attempt(version)
        if problem is not None:
            errors[name] = problem
    log_file, problem = _attempt(_log_file)
    if problem is not None:
        errors["log_file"] = problem
    return {
        "scgui": __version__,
        "python": _python(),
        "os": _os(),
        "packages": packages,
        "audio": _audio(errors),
        "log_file": log_file,
        "environment": {name: os.environ[name] for name in ENVIRONMENT if name in os.environ},
        "errors": errors,
    }


def _capabilities_text(capabilities: dict[str, Any]) -> str:
    """``"loopback, volume; not: exclusive mode; stream volume max 4"``: the yes/no ones,
    then the figures."""
    flags = {name: value for name, value in capabilities.items() if isinstance(value, bool)}
    has = [name.replace("_", " ") for name, value in flags.items() if value]
    lacks = [name.replace("_", " ") for name, value in flags.items() if not value]
    text = ", ".join(has or ["none"]) + (f"; not: {', '.join(lacks)}" if lacks else "")
    figures = [
        f"{name.replace('_', ' ')} {value:g}"
        for name, value in capabilities.items()
        if name not in flags
    ]
    return "; ".join([text, *figures])


def _device_text(device_id: str | None, devices: list[dict[str, Any]]) -> str:
    if device_id is None:
        return "none"
    names = [row["name"] for row in devices if row["id"] == device_id]
    return f"{names[0]} [{device_id}]" if names else f"{device_id} (not among the devices)"


def print_report(report: dict[str, Any]) -> None:
    """The report in words, as ``scgui doctor`` prints it."""
    from .cli import print_device_table

    errors: dict[str, str] = report["errors"]

    def say(label: str, text: str) -> None:
        print(f"{label + ':':<20}{text}")

    def given(name: str, value: str | None) -> str:
        return value if value is not None else f"not available: {errors.get(name, '?')}"

    python = report["python"]
    say("scgui", report["scgui"])
    say("python", f"{python['version']} ({python['implementation']}) {python['executable']}")
    if python["bundle"]:
        say("bundle", python["bundle"])
    say("os", report["os"])
    for name, version in report["packages"].items():
        say(name, given(name, version))
    audio = report["audio"]
    if audio["backend"] is None:
        say("backend", f"none: {errors.get('backend', '?')} ({audio['reason']})")
    else:
        say("backend", f"{audio['backend']} ({audio['reason']})")
        say("capabilities", _capabilities_text(audio["capabilities"]))
        say("timeout", f"{audio['timeout_s']:g} s for every server call")
    server = audio["server"]
    if server["reachable"]:
        say("server", f"{server['description']} at {server['address']}")
        info = server["info"] or {}
        if info.get("samplerate"):
            say("server default rate", f"{info['samplerate']} Hz")
        devices = audio["devices"]
        say("default speaker", _device_text(audio["defaults"]["speaker"], devices))
        say("default microphone", _device_text(audio["defaults"]["microphone"], devices))
        print(f"devices ({len(devices)}):")
        print_device_table(devices, indent="  ")
    elif audio["backend"] is not None:
        say("server", f"not reachable: {errors.get('server', '?')}")
    log_file = report["log_file"]
    if log_file is None:
        say("log file", f"unknown: {errors.get('log_file', '?')}")
    else:
        state = "" if log_file["exists"] else " (not written yet: the window writes it)"
        say("log file", log_file["path"] + state)
    environment = report["environment"]
    say("environment", " ".join(f"{k}={v}" for k, v in environment.items()) or "nothing set")


def run_doctor(as_json: bool = False) -> int:
    """``scgui doctor [--json]``: print the report; 0 whenever it was printed."""
    report = collect()
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0
