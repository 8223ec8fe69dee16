"""A private, headless sound server (PulseAudio or PipeWire) with virtual sound cards.

The tests need sound cards on machines that have none (CI, containers, a laptop without an
interface), and the app offers "try without hardware". Both get them from :class:`VirtualRig`:
it starts a sound server of its own, in a temporary directory, that loads null sinks and
remapped sources with a known, non-trivial channel wiring, so routing and loopback tests can be
checked end to end and sample-exact.

Two kinds of server give the same devices through the same PulseAudio protocol (what
``scgui.audio`` speaks), so a test can run against either:

* ``"pulseaudio"`` (the default): one ``pulseaudio`` process that loads the devices from a
  command script.
* ``"pipewire"``: what most desktops now run. A private ``dbus-daemon --session`` (WirePlumber
  needs a bus), ``pipewire``, then ``wireplumber`` (the session manager that links nodes and
  applies defaults) and ``pipewire-pulse`` (the PulseAudio protocol server, from a copy of the
  stock ``pipewire-pulse.conf`` that listens on the rig's own socket). The devices are loaded
  with ``pactl load-module``, with the same arguments, once WirePlumber has connected: nodes
  made before that are never linked.

Pick the kind with ``VirtualRig(server=...)`` or the environment variable ``SCGUI_RIG_SERVER``.

Why it is built the way it is (see ``PLATFORM_NOTES.md`` for the measurements):

* The servers run in ordinary (per-user) mode even as root; PulseAudio's ``--system`` drops
  privileges and cannot bind its socket. All their files (runtime dir, state, config, cookie,
  sockets, logs) live in one private directory, so nothing lands in ``$HOME``, ``/tmp/pulse-*``
  or the desktop's session, and any number of rigs can run side by side. WirePlumber's saved
  state is wiped at each start so it restores nothing from an earlier run.
* Devices use 48 kHz ``float32le``, so audio passes through bit-exact.
* Null sinks are loaded with ``norewinds=1`` (PipeWire accepts and ignores it): otherwise the
  first tens of milliseconds of a stream that joins a running sink never reach its monitor.
* One silent keep-alive stream per sink: without it the first write of a new stream on an idle
  sink can stall for up to about 2 s.
* Every process gets its own process group, is killed with it on :meth:`VirtualRig.stop`, and
  (on Linux) is sent SIGTERM when the process that started it dies.
* Start-up waits on events, not on a clock: inotify for sockets appearing, a pipe for the D-Bus
  address, ``pactl subscribe`` for clients, devices, defaults and streams, pidfds for a server
  dying. Every wait is bounded by the ``timeout`` of :meth:`VirtualRig.start`.

This module uses only the standard library (no Qt, no numpy, not ``scgui.audio``) so it can be
imported anywhere, including before the library under test is importable.

Run ``python -m scgui.virtual_rig [--server pipewire]`` to start a rig by hand; it prints the
``export`` lines a shell needs to use it and runs until Ctrl-C.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import logging
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, TypeVar

#: The client name of the rig's keep-alive streams (digital silence into every sink), so
#: that checks of "other programs on the device" can leave the rig's own streams out.
KEEPALIVE_CLIENT_NAME = "scgui-rig-keepalive"

__all__ = [
    "DEFAULT_SINK",
    "DEFAULT_SOURCE",
    "DEVICES",
    "MULTI8",
    "MULTI8_REVERSED",
    "SAMPLE_FORMAT",
    "SAMPLE_RATE",
    "SCARLETT",
    "SCARLETT_IN",
    "SCARLETT_SWAPPED",
    "SERVER_ENV_VAR",
    "SERVER_KINDS",
    "SINKS",
    "SOURCES",
    "PluggedModule",
    "RigDevices",
    "RigError",
    "VirtualRig",
    "VirtualSink",
    "VirtualSource",
    "main",
    "server_kind_from_env",
]

_log = logging.getLogger(__name__)

SAMPLE_RATE = 48000
"""Sample rate of every virtual device, in Hz."""

SAMPLE_FORMAT = "float32le"
"""PulseAudio sample format of every virtual device (bit-exact for float32 test data)."""

SERVER_KINDS: tuple[str, ...] = ("pulseaudio", "pipewire")
"""The kinds of server a rig can run."""

SERVER_ENV_VAR = "SCGUI_RIG_SERVER"
"""Environment variable that picks the kind when ``VirtualRig(server=None)``."""

_INSTALL_HINT = (
    "pulseaudio is not installed: run 'sudo apt-get install pulseaudio pulseaudio-utils' "
    "(or bash scripts/run-tests.sh, which installs it)"
)

_PIPEWIRE_PACKAGES = "pipewire pipewire-bin pipewire-pulse wireplumber dbus pulseaudio-utils"
_PIPEWIRE_INSTALL_HINT = (
    "PipeWire is not installed (missing: {missing}): run 'sudo apt-get install "
    f"{_PIPEWIRE_PACKAGES}' (not pipewire-audio-client-libraries or pipewire-alsa, which make "
    "apt remove pulseaudio; or bash scripts/run-tests.sh, which installs them)"
)

# Where the stock pipewire-pulse.conf is looked for, the administrator's copy first.
_PIPEWIRE_CONFIG_DIRS = (
    Path("/etc/pipewire"),
    Path("/usr/share/pipewire"),
    Path("/usr/local/share/pipewire"),
)

# Unix socket paths are limited to 108 bytes (sun_path) on Linux, including the final NUL.
_MAX_SOCKET_PATH = 107


class RigError(RuntimeError):
    """The virtual rig could not be started or a command against it failed."""


def server_kind_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The server kind ``SCGUI_RIG_SERVER`` asks for: ``"pulseaudio"`` (default) or ``"pipewire"``.

    Raises :class:`RigError` for any other value.
    """
    env = os.environ if environ is None else environ
    value = env.get(SERVER_ENV_VAR, "").strip().lower()
    if not value:
        return "pulseaudio"
    if value not in SERVER_KINDS:
        raise RigError(f"{SERVER_ENV_VAR}={value!r}: expected one of {', '.join(SERVER_KINDS)}")
    return value


@dataclass(frozen=True)
class VirtualSink:
    """A null sink of the rig: what is played to it can be recorded from its monitor.

    Attributes
    ----------
    name:
        PulseAudio sink name (``sink_name=``).
    description:
        Human-readable name (``device.description``), what device matching sees.
    channel_map:
        PulseAudio channel positions, one per channel, in order.
    """

    name: str
    description: str
    channel_map: tuple[str, ...]

    @property
    def channels(self) -> int:
        """Number of channels."""
        return len(self.channel_map)

    @property
    def monitor(self) -> str:
        """Name of the source that records what is played to this sink."""
        return f"{self.name}.monitor"


@dataclass(frozen=True)
class VirtualSource:
    """A remapped source: a "microphone" wired to a sink's monitor in a known order.

    Channel ``j`` of this source (named ``channel_map[j]``) carries the master's channel named
    ``master_channel_map[j]``. :attr:`routing` gives the same as sink channel indexes.
    """

    name: str
    description: str
    sink: VirtualSink
    channel_map: tuple[str, ...]
    master_channel_map: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.channel_map) != len(self.master_channel_map):
            raise ValueError("channel_map and master_channel_map differ in length")
        unknown = set(self.master_channel_map) - set(self.sink.channel_map)
        if unknown:
            raise ValueError(f"positions not on sink {self.sink.name}: {sorted(unknown)}")

    @property
    def channels(self) -> int:
        """Number of channels."""
        return len(self.channel_map)

    @property
    def master(self) -> str:
        """Name of the source this one remaps (the sink's monitor)."""
        return self.sink.monitor

    @property
    def routing(self) -> tuple[int, ...]:
        """``routing[j]`` is the sink channel index that arrives on input channel ``j``."""
        return tuple(self.sink.channel_map.index(pos) for pos in self.master_channel_map)


_STEREO = ("front-left", "front-right")
_OCTO = (
    "front-left",
    "front-right",
    "rear-left",
    "rear-right",
    "front-center",
    "lfe",
    "side-left",
    "side-right",
)

SCARLETT = VirtualSink("scarlett", "Focusrite Scarlett 2i2", _STEREO)
"""Stereo null sink, the rig's default sink."""

MULTI8 = VirtualSink("multi8", "Multi8", _OCTO)
"""8-channel null sink."""

SCARLETT_IN = VirtualSource("scarlett_in", "Scarlett 2i2 Input", SCARLETT, _STEREO, _STEREO)
"""Stereo source, identity wiring from ``scarlett``; the rig's default source."""

SCARLETT_SWAPPED = VirtualSource(
    "scarlett_swapped", "Scarlett Swapped", SCARLETT, _STEREO, tuple(reversed(_STEREO))
)
"""Stereo source from ``scarlett`` with left and right swapped."""

MULTI8_REVERSED = VirtualSource(
    "multi8_reversed", "Multi8 Reversed", MULTI8, _OCTO, tuple(reversed(_OCTO))
)
"""8-channel source from ``multi8``: output channel ``i`` arrives on input channel ``7 - i``."""

SINKS: tuple[VirtualSink, ...] = (SCARLETT, MULTI8)
SOURCES: tuple[VirtualSource, ...] = (SCARLETT_IN, SCARLETT_SWAPPED, MULTI8_REVERSED)
DEFAULT_SINK = SCARLETT
DEFAULT_SOURCE = SCARLETT_IN


@dataclass(frozen=True)
class RigDevices:
    """The set of devices a rig loads, with its defaults."""

    sinks: tuple[VirtualSink, ...] = SINKS
    sources: tuple[VirtualSource, ...] = SOURCES
    default_sink: VirtualSink = DEFAULT_SINK
    default_source: VirtualSource = DEFAULT_SOURCE
    rate: int = SAMPLE_RATE
    sample_format: str = SAMPLE_FORMAT
    names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        names = tuple(s.name for s in self.sinks) + tuple(s.name for s in self.sources)
        object.__setattr__(self, "names", names)


DEVICES = RigDevices()
"""The devices every :class:`VirtualRig` loads."""


_T = TypeVar("_T")


def _quote_property(key: str, value: str) -> str:
    """One ``key="value"`` proplist entry, quoted for a module argument."""
    if any(c in value for c in "\"'\\\n"):
        raise ValueError(f"unsupported character in property value {value!r}")
    return f"'{key}=\"{value}\"'"


def _device_modules(devices: RigDevices) -> list[tuple[str, tuple[str, ...]]]:
    """``(module, arguments)`` for every device, in load order (sinks before their sources).

    The same arguments serve a PulseAudio command script and ``pactl load-module`` against
    pipewire-pulse.
    """
    rate, fmt = devices.rate, devices.sample_format
    modules: list[tuple[str, tuple[str, ...]]] = []
    for sink in devices.sinks:
        modules.append(
            (
                "module-null-sink",
                (
                    f"sink_name={sink.name}",
                    f"rate={rate}",
                    f"format={fmt}",
                    f"channels={sink.channels}",
                    f"channel_map={','.join(sink.channel_map)}",
                    "norewinds=1",
                    f"sink_properties={_quote_property('device.description', sink.description)}",
                ),
            )
        )
    for src in devices.sources:
        props = _quote_property("device.description", src.description)
        modules.append(
            (
                "module-remap-source",
                (
                    f"source_name={src.name}",
                    f"master={src.master}",
                    f"rate={rate}",
                    f"format={fmt}",
                    f"channels={src.channels}",
                    f"master_channel_map={','.join(src.master_channel_map)}",
                    f"channel_map={','.join(src.channel_map)}",
                    "remix=no",
                    f"source_properties={props}",
                ),
            )
        )
    return modules


def _pa_script(devices: RigDevices, socket_path: Path) -> str:
    """The PulseAudio command script that sets up the rig's server."""
    lines = [
        "# Written by scgui.virtual_rig; loaded with pulseaudio -n -F.",
        ".fail",
        f"load-module module-native-protocol-unix auth-anonymous=1 socket={socket_path}",
    ]
    lines += [f"load-module {module} {' '.join(args)}" for module, args in _device_modules(devices)]
    lines.append(f"set-default-sink {devices.default_sink.name}")
    lines.append(f"set-default-source {devices.default_source.name}")
    return "\n".join(lines) + "\n"


def _replace_server_address(text: str, address: str) -> str:
    """``text`` (a pipewire-pulse.conf) with ``server.address = [ "ADDRESS" ]`` only."""
    for match in re.finditer(r"^[^#\n]*?\bserver\.address\s*=\s*\[", text, re.MULTILINE):
        start = match.end() - 1  # the "["
        depth, i, in_string = 0, start, False
        while i < len(text):
            c = text[i]
            if in_string:
                if c == "\\":
                    i += 1
                elif c == '"':
                    in_string = False
            elif c == "#":  # a comment runs to the end of the line
                i = text.find("\n", i)
                if i < 0:
                    break
                continue
            elif c == '"':
                in_string = True
            elif c == "[":
                depth += 1
            elif c == "]":
                depth -= 1
                if depth == 0:
                    return f'{text[:start]}[ "{address}" ]{text[i + 1 :]}'
            i += 1
    raise RigError("pipewire-pulse.conf has no server.address list the rig can replace")


def _pipewire_pulse_conf(stock: str, stock_path: Path, socket_path: Path) -> str:
    """The rig's pipewire-pulse.conf: the stock one on a private socket, without a dummy sink.

    ``module-always-sink`` (loaded by the stock ``pulse.cmd``) would add an ``auto_null`` sink
    while no other sink exists; the rig wants exactly its own devices.
    """
    path = str(socket_path)
    if any(c in path for c in '"\\\n'):
        raise RigError(f"unsupported character in socket path {path!r}")
    text = _replace_server_address(stock, f"unix:{path}")
    text = re.sub(
        r"^([^#\n]*module-always-sink.*)$",
        r"#\1  # removed by scgui.virtual_rig",
        text,
        flags=re.MULTILINE,
    )
    header = (
        f"# Written by scgui.virtual_rig from {stock_path}: listens on {path} only and loads\n"
        "# no module-always-sink.\n"
    )
    return header + text


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to end it when the process that started it dies.

    Without this a test run killed by a time-out (SIGKILL skips atexit) would leave servers
    and keep-alives running. Linux only; elsewhere nothing happens.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def _spawn(
    cmd: Sequence[str],
    env: Mapping[str, str],
    *,
    cwd: Path | None = None,
    stdin: int | IO[bytes] = subprocess.DEVNULL,
    stdout: int | IO[bytes] = subprocess.DEVNULL,
    stderr: int | IO[bytes] = subprocess.DEVNULL,
) -> subprocess.Popen[bytes]:
    """Start ``cmd`` in a process group of its own that dies with this process (Linux)."""
    return subprocess.Popen(
        list(cmd),
        env=dict(env),
        cwd=cwd,
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        start_new_session=True,  # own process group: stop() kills the whole group
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )


def _kill_group(proc: subprocess.Popen[bytes], grace: float) -> None:
    """Stop ``proc`` and its process group: SIGTERM, then SIGKILL after ``grace`` seconds."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    # SIGKILL the group even if the leader is gone: a child of it could still linger.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)


_IN_MOVED_TO = 0x80
_IN_CREATE = 0x100


def _inotify_fd(directory: Path) -> int | None:
    """A non-blocking inotify descriptor that wakes when a file appears in ``directory``.

    None where inotify is not available (not Linux, or out of watches): waits then poll.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            return None
        if libc.inotify_add_watch(fd, os.fsencode(directory), _IN_CREATE | _IN_MOVED_TO) < 0:
            os.close(fd)
            return None
        return int(fd)
    except (OSError, AttributeError):
        return None


def _pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when process ``pid`` ends, where the OS has them."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return int(opener(pid))
    except OSError:
        return None


@dataclass
class _Server:
    """One process of the rig's server: its name (for messages), process and log file."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path


class PluggedModule:
    """A module loaded on a running rig by :meth:`VirtualRig.plug` (or ``plug_sink``).

    :meth:`unplug` (or leaving a ``with`` block) unloads it and waits until the server no
    longer lists its devices, so a later test never sees them; unplugging twice is harmless.
    """

    def __init__(self, rig: VirtualRig, module: str, names: tuple[str, ...]) -> None:
        self.module = module
        """The index of the module instance, as ``pactl`` printed it."""
        self.names = names
        """The names of the devices it made."""
        self._rig: VirtualRig | None = rig

    def unplug(self) -> None:
        """Unload the module (once) and wait until its devices are gone from the lists."""
        rig, self._rig = self._rig, None
        if rig is not None:
            rig._unplug(self.module, self.names)

    def __enter__(self) -> PluggedModule:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.unplug()


class VirtualRig:
    """A private headless sound server with the virtual devices of :data:`DEVICES`.

    Parameters
    ----------
    base_dir:
        Directory for the server's files (runtime dir, state, config, sockets, logs). It is
        created if missing and left in place on :meth:`stop`. By default a new temporary
        directory is made and removed again on :meth:`stop`.
    keepalive:
        Play silence into every sink while the rig runs, so new streams start at once.
    server:
        ``"pulseaudio"`` or ``"pipewire"`` (pipewire-pulse and WirePlumber); None (default):
        what the environment variable ``SCGUI_RIG_SERVER`` says, else ``"pulseaudio"``.

    Use as a context manager, or call :meth:`start` and :meth:`stop`::

        with VirtualRig() as rig:
            previous = rig.apply_env()   # libpulse clients of this process now use the rig
            ...
            rig.restore_env(previous)

    The server runs until :meth:`stop` (also called at interpreter exit as a safety net).
    """

    devices: RigDevices = DEVICES

    def __init__(
        self, base_dir: Path | None = None, keepalive: bool = True, server: str | None = None
    ) -> None:
        kind = server_kind_from_env() if server is None else server.strip().lower()
        if kind not in SERVER_KINDS:
            raise ValueError(f"server must be one of {', '.join(SERVER_KINDS)}, not {server!r}")
        self._kind = kind
        self._requested_dir = Path(base_dir) if base_dir is not None else None
        self._keepalive = keepalive
        self._dir: Path | None = None
        self._owns_dir = False
        self._servers: list[_Server] = []
        self._keepalives: list[subprocess.Popen[bytes]] = []
        self._saved_env: dict[str, str | None] | None = None
        self._timeout = 10.0
        self._lock = threading.Lock()
        self.startup_seconds: float | None = None
        """How long the last :meth:`start` took, in seconds (None before one succeeded)."""

    # ------------------------------------------------------------------ paths and env
    def _base(self) -> Path:
        if self._dir is None:
            raise RigError("the rig is not started")
        return self._dir

    @property
    def kind(self) -> str:
        """The kind of server: ``"pulseaudio"`` or ``"pipewire"``."""
        return self._kind

    @property
    def base_dir(self) -> Path:
        """The directory holding all of the server's files."""
        return self._base()

    @property
    def socket_path(self) -> Path:
        """Path of the server's PulseAudio-protocol Unix socket."""
        return self._base() / "runtime" / "native"

    @property
    def server(self) -> str:
        """Server string for clients (``PULSE_SERVER``), ``"unix:/.../native"``."""
        return f"unix:{self.socket_path}"

    @property
    def log_path(self) -> Path:
        """The log of the process clients talk to (pulseaudio, or pipewire-pulse)."""
        return self._base() / f"{self._front_name}.log"

    @property
    def log_paths(self) -> list[Path]:
        """The logs of every server process, in start order."""
        base = self._base()
        if self._kind == "pulseaudio":
            return [base / "pulseaudio.log"]
        return [base / f"{n}.log" for n in ("dbus", "pipewire", "wireplumber", "pipewire-pulse")]

    @property
    def env(self) -> dict[str, str]:
        """Environment variables a libpulse client needs to use this rig (and only it)."""
        base = self._base()
        env = {
            "PULSE_SERVER": self.server,
            "XDG_CONFIG_HOME": str(base / "config"),
            "XDG_RUNTIME_DIR": str(base / "runtime"),
            "PULSE_RUNTIME_PATH": str(base / "runtime"),
            "PULSE_STATE_PATH": str(base / "state"),
            "PULSE_COOKIE": str(base / "config" / "pulse" / "cookie"),
        }
        if self._kind == "pipewire":
            # Not needed by libpulse clients; lets pw-cli, pw-dump, pw-top... find this rig.
            env["PIPEWIRE_RUNTIME_DIR"] = str(base / "runtime")
        return env

    @property
    def running(self) -> bool:
        """Whether every server process is alive."""
        return bool(self._servers) and all(s.proc.poll() is None for s in self._servers)

    @property
    def pids(self) -> list[int]:
        """Process ids of the server processes and the keep-alive players.

        ``pids[0]`` is always the process clients talk to (:attr:`server_pid`): pulseaudio, or
        pipewire-pulse, so stopping or killing it freezes or ends the server for clients on
        both kinds. For PipeWire dbus-daemon, pipewire and wireplumber follow. Then one
        keep-alive per sink.
        """
        front = [s for s in self._servers if s.name == self._front_name]
        others = [s for s in self._servers if s.name != self._front_name]
        return [s.proc.pid for s in (*front, *others)] + [p.pid for p in self._keepalives]

    @property
    def server_pid(self) -> int:
        """Process id of the server clients talk to (pulseaudio, or pipewire-pulse)."""
        for server in self._servers:
            if server.name == self._front_name:
                return server.proc.pid
        raise RigError("the rig is not started")

    @property
    def _front_name(self) -> str:
        return "pulseaudio" if self._kind == "pulseaudio" else "pipewire-pulse"

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.env)
        return env

    def _server_env(self) -> dict[str, str]:
        """Environment of the PipeWire processes: this rig's files only, no desktop session."""
        base = self._base()
        env = {
            key: value
            for key, value in self._child_env().items()
            if not (
                key.startswith(("PIPEWIRE_", "WIREPLUMBER_", "SPA_")) and not key.endswith("_DEBUG")
            )
            and key not in ("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY")
        }
        env.update(
            {
                "PIPEWIRE_RUNTIME_DIR": str(base / "runtime"),
                "PIPEWIRE_STATE_DIR": str(base / "state" / "pipewire"),
                "XDG_STATE_HOME": str(base / "state"),
                "XDG_DATA_HOME": str(base / "data"),
            }
        )
        return env

    def apply_env(self) -> dict[str, str | None]:
        """Put :attr:`env` into ``os.environ``; return the previous values (None: unset).

        Call before the first libpulse connection of the process. Pass the result to
        :meth:`restore_env` to undo.
        """
        previous = {key: os.environ.get(key) for key in self.env}
        os.environ.update(self.env)
        self._saved_env = previous
        return previous

    def restore_env(self, previous: Mapping[str, str | None] | None = None) -> None:
        """Undo :meth:`apply_env`: restore ``previous`` (default: what the last call saved)."""
        if previous is None:
            previous = self._saved_env or {}
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env = None

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> VirtualRig:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and the keep-alives; return once every device is ready.

        Raises :class:`RigError` when a program of the chosen server kind is missing (with the
        packages to install), when a server process exits, or when start-up takes more than
        ``timeout`` seconds (with the tails of the server logs).
        """
        with self._lock:
            if self._servers:
                raise RigError("the rig is already started")
            programs = self._find_programs()
            started = time.monotonic()
            deadline = started + timeout
            self._timeout = timeout
            self._make_dirs()
            try:
                if self._kind == "pulseaudio":
                    self._start_pulseaudio(programs, deadline)
                else:
                    self._start_pipewire(programs, deadline)
                with self._subscription() as events:
                    if self._kind == "pipewire":
                        self._load_devices_into_pipewire(events, deadline)
                    self._wait_for_devices(events, deadline)
                    if self._keepalive:
                        self._start_keepalives(events, deadline)
            except BaseException:
                self._stop_locked()
                raise
            self.startup_seconds = time.monotonic() - started
            _log.info("%s rig started in %.2f s in %s", self._kind, self.startup_seconds, self._dir)
            atexit.register(self.stop)

    def _find_programs(self) -> dict[str, str]:
        """Paths of the programs this kind of rig runs; RigError with the install hint."""
        names = ["pactl"] + (["pacat"] if self._keepalive else [])
        if self._kind == "pulseaudio":
            names.append("pulseaudio")
        else:
            names += ["dbus-daemon", "pipewire", "wireplumber", "pipewire-pulse"]
        found = {name: shutil.which(name) for name in names}
        missing = [name for name, path in found.items() if path is None]
        if self._kind == "pipewire" and self._stock_pipewire_pulse_conf() is None:
            missing.append("pipewire-pulse.conf")
        if missing:
            if self._kind == "pulseaudio":
                raise RigError(_INSTALL_HINT)
            raise RigError(_PIPEWIRE_INSTALL_HINT.format(missing=", ".join(missing)))
        return {name: path for name, path in found.items() if path is not None}

    @staticmethod
    def _stock_pipewire_pulse_conf() -> Path | None:
        for directory in _PIPEWIRE_CONFIG_DIRS:
            path = directory / "pipewire-pulse.conf"
            if path.is_file():
                return path
        return None

    def _make_dirs(self) -> None:
        if self._requested_dir is not None:
            self._dir = self._requested_dir.resolve()
            self._dir.mkdir(parents=True, exist_ok=True)
            self._owns_dir = False
        else:
            self._dir = Path(tempfile.mkdtemp(prefix="scgui-rig-"))
            self._owns_dir = True
        if len(os.fsencode(self.socket_path)) > _MAX_SOCKET_PATH:
            raise RigError(f"socket path too long for a Unix socket: {self.socket_path}")
        runtime = self._dir / "runtime"
        runtime.mkdir(exist_ok=True)
        runtime.chmod(0o700)  # libpulse refuses a runtime dir others can enter
        (self._dir / "state").mkdir(exist_ok=True)
        pulse_config = self._dir / "config" / "pulse"
        pulse_config.mkdir(parents=True, exist_ok=True)
        # Clients of this rig must never start a server of their own.
        (pulse_config / "client.conf").write_text("autospawn = no\n")
        # Leftovers of an earlier rig in a reused base_dir.
        for name in ("native", "pipewire-0", "pipewire-0.lock"):
            with contextlib.suppress(FileNotFoundError):
                (runtime / name).unlink()
        with contextlib.suppress(FileNotFoundError):
            (self._dir / "bus").unlink()
        if self._kind == "pipewire":
            # WirePlumber restores saved defaults, volumes and routes: start from nothing.
            shutil.rmtree(self._dir / "state" / "wireplumber", ignore_errors=True)
            (self._dir / "state" / "pipewire").mkdir(exist_ok=True)
            (self._dir / "data").mkdir(exist_ok=True)
            (self._dir / "config" / "pipewire").mkdir(exist_ok=True)

    def _add_server(
        self,
        name: str,
        cmd: Sequence[str],
        env: Mapping[str, str],
        *,
        stdout: int = subprocess.DEVNULL,
        log_stderr: bool = True,
    ) -> subprocess.Popen[bytes]:
        """Start one server process, its standard error into ``NAME.log`` in the rig dir."""
        base = self._base()
        log = base / f"{name}.log"
        _log.debug("starting %s", shlex.join(cmd))
        if log_stderr:
            with open(log, "wb") as stderr:  # the child keeps its own copy
                proc = _spawn(cmd, env, cwd=base, stdout=stdout, stderr=stderr)
        else:
            proc = _spawn(cmd, env, cwd=base, stdout=stdout)
        self._servers.append(_Server(name, proc, log))
        return proc

    def _start_pulseaudio(self, programs: Mapping[str, str], deadline: float) -> None:
        base = self._base()
        script = base / "rig.pa"
        script.write_text(_pa_script(self.devices, self.socket_path))
        cmd = [
            programs["pulseaudio"],
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--system=false",
            "-n",
            "--disallow-exit",
            f"--log-target=file:{self.log_path}",
            "-F",
            str(script),
        ]
        # pulseaudio writes its log itself (--log-target).
        self._add_server("pulseaudio", cmd, self._child_env(), log_stderr=False)
        self._wait_for_pulse_server(deadline)

    def _start_pipewire(self, programs: Mapping[str, str], deadline: float) -> None:
        base = self._base()
        runtime = base / "runtime"
        stock = self._stock_pipewire_pulse_conf()
        assert stock is not None  # checked by _find_programs
        conf = base / "config" / "pipewire" / "pipewire-pulse.conf"
        conf.write_text(_pipewire_pulse_conf(stock.read_text(), stock, self.socket_path))
        env = self._server_env()

        # A private session bus, for WirePlumber (and only for the rig's processes).
        bus = base / "bus"
        if len(os.fsencode(bus)) > _MAX_SOCKET_PATH:
            raise RigError(f"socket path too long for a Unix socket: {bus}")
        dbus = self._add_server(
            "dbus",
            [
                programs["dbus-daemon"],
                "--session",
                "--nofork",
                "--nopidfile",
                f"--address=unix:path={bus}",
                "--print-address=1",
            ],
            env,
            stdout=subprocess.PIPE,
        )
        assert dbus.stdout is not None
        printed = bytearray()
        try:
            address = self._wait(
                lambda: printed.split(b"\n", 1)[0].decode().strip() if b"\n" in printed else None,
                "dbus-daemon to print its address",
                deadline,
                stream=dbus.stdout.fileno(),
                on_data=printed.extend,
            )
        finally:
            dbus.stdout.close()  # it prints nothing else
        env["DBUS_SESSION_BUS_ADDRESS"] = address

        self._add_server("pipewire", [programs["pipewire"]], env)
        pipewire_socket = runtime / "pipewire-0"
        self._wait(
            pipewire_socket.exists, "pipewire to make its socket", deadline, directory=runtime
        )

        self._add_server("wireplumber", [programs["wireplumber"]], env)
        self._add_server("pipewire-pulse", [programs["pipewire-pulse"], "-c", str(conf)], env)
        self._wait_for_pulse_server(deadline)

    def _wait_for_pulse_server(self, deadline: float) -> None:
        """Wait until the PulseAudio-protocol socket exists and ``pactl info`` answers."""
        last_error = ["the socket did not appear"]

        def answers() -> bool:
            if not self.socket_path.exists():
                return False
            remaining = max(0.5, deadline - time.monotonic())
            result = self._run_pactl(["info"], timeout=min(remaining, 5.0))
            if result.returncode == 0:
                return True
            last_error[0] = result.stderr.strip() or f"pactl info exited {result.returncode}"
            return False

        self._wait(
            answers,
            f"{self.log_path.stem} to answer",
            deadline,
            directory=self.socket_path.parent,
            detail=lambda: last_error[0],
        )

    def _load_devices_into_pipewire(self, events: int, deadline: float) -> None:
        """Wait for WirePlumber, load the device modules with pactl, set and await defaults."""

        def wireplumber_connected() -> bool:
            clients = self._run_pactl(["list", "clients"]).stdout
            return (
                'application.process.binary = "wireplumber"' in clients
                or 'application.name = "WirePlumber"' in clients
            )

        self._wait(wireplumber_connected, "WirePlumber to connect", deadline, stream=events)
        for module, args in _device_modules(self.devices):
            self.pactl("load-module", module, *args)
        sink, source = self.devices.default_sink.name, self.devices.default_source.name
        self.pactl("set-default-sink", sink)
        self.pactl("set-default-source", source)

        # WirePlumber applies defaults a moment after pactl returns.
        def defaults() -> tuple[str, str]:
            return (
                self._run_pactl(["get-default-sink"]).stdout.strip(),
                self._run_pactl(["get-default-source"]).stdout.strip(),
            )

        self._wait(
            lambda: defaults() == (sink, source),
            f"the defaults {sink} and {source}",
            deadline,
            stream=events,
            detail=lambda: "now: {} and {}".format(*defaults()),
        )

    def _present_devices(self) -> set[str]:
        present: set[str] = set()
        for kind in ("sinks", "sources"):
            result = self._run_pactl(["list", "short", kind])
            if result.returncode != 0:
                raise RigError(f"pactl list short {kind} failed: {result.stderr.strip()}")
            present.update(
                fields[1]
                for fields in (ln.split("\t") for ln in result.stdout.splitlines())
                if len(fields) > 1
            )
        return present

    def _wait_for_devices(self, events: int, deadline: float) -> None:
        """Wait until every device of the rig exists.

        Needed because a module that fails to load (say, an argument this server version
        does not know) may only log an error: the server still runs, without that device.
        """

        def missing() -> list[str]:
            present = self._present_devices()
            return [name for name in self.devices.names if name not in present]

        self._wait(
            lambda: not missing(),
            "the devices",
            deadline,
            stream=events,
            detail=lambda: f"{self._kind} has no {', '.join(missing())}",
        )

    def _start_keepalives(self, events: int, deadline: float) -> None:
        for sink in self.devices.sinks:
            cmd = [
                "pacat",
                "--playback",
                "--raw",
                f"--server={self.server}",
                f"--device={sink.name}",
                f"--format={self.devices.sample_format}",
                f"--rate={self.devices.rate}",
                f"--channels={sink.channels}",
                f"--channel-map={','.join(sink.channel_map)}",
                "--latency-msec=10",
                f"--client-name={KEEPALIVE_CLIENT_NAME}",
                f"--stream-name=keepalive {sink.name}",
            ]
            with open("/dev/zero", "rb") as zero:  # the child keeps its own copy
                self._keepalives.append(_spawn(cmd, self._child_env(), stdin=zero))

        # Fail early (not in the first test) if a keep-alive could not connect.
        def all_playing() -> bool:
            for proc in self._keepalives:
                if proc.poll() is not None:
                    args = proc.args  # the list _spawn was given
                    command = shlex.join(map(str, args)) if isinstance(args, list) else str(args)
                    raise RigError(f"keep-alive {command} exited with {proc.returncode}")
            inputs = self._run_pactl(["list", "sink-inputs"]).stdout
            return all(f'media.name = "keepalive {s.name}"' in inputs for s in self.devices.sinks)

        self._wait(all_playing, "the keep-alive streams", deadline, stream=events)

    @contextlib.contextmanager
    def _subscription(self) -> Iterator[int]:
        """``pactl subscribe`` while the block runs: yields a descriptor that is readable when
        the server reports a change (of clients, devices, streams or defaults)."""
        proc = _spawn(
            ["pactl", f"--server={self.server}", "subscribe"],
            self._child_env(),
            stdout=subprocess.PIPE,
        )
        assert proc.stdout is not None
        try:
            yield proc.stdout.fileno()
        finally:
            _kill_group(proc, grace=1.0)
            proc.stdout.close()

    def _wait(
        self,
        check: Callable[[], _T | None],
        what: str,
        deadline: float,
        *,
        directory: Path | None = None,
        stream: int | None = None,
        on_data: Callable[[bytes], object] | None = None,
        detail: Callable[[], str] | None = None,
    ) -> _T:
        """Return the first true result of ``check()``, called again whenever something happens.

        Something happens: a file appears in ``directory`` (inotify), data arrives on the
        ``stream`` descriptor (given to ``on_data``), or a server process ends (pidfd; a dead
        server is a :class:`RigError` at once). As a safety net against a change that came
        between setting up a watch and the first check, ``check`` is also repeated every
        0.25 s (every 20 ms where no event source is available). Raises :class:`RigError`
        with the server logs once ``deadline`` (a ``time.monotonic()`` value) has passed.
        """
        owned: list[int] = []
        inotify = _inotify_fd(directory) if directory is not None else None
        if inotify is not None:
            owned.append(inotify)
        for server in self._servers:
            fd = _pidfd(server.proc.pid)
            if fd is not None:
                owned.append(fd)
        watched = [*owned, *([stream] if stream is not None else [])]
        recheck = 0.25 if inotify is not None or stream is not None else 0.02
        try:
            while True:
                self._raise_if_dead(what)
                result = check()
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    extra = f" ({detail()})" if detail is not None else ""
                    raise RigError(
                        f"timed out after {self._timeout:g} s waiting for {what}{extra}\n"
                        f"{self._log_tail()}"
                    )
                readable, _, _ = select.select(watched, [], [], min(recheck, remaining))
                for fd in readable:
                    if fd == stream:
                        data = os.read(fd, 65536)
                        if not data:  # the writer is gone: fall back to re-checking
                            watched.remove(fd)
                        elif on_data is not None:
                            on_data(data)
                    elif fd == inotify:
                        with contextlib.suppress(BlockingIOError):
                            os.read(fd, 65536)  # the events themselves do not matter
                    # A readable pidfd: the next _raise_if_dead reports it.
        finally:
            for fd in owned:
                os.close(fd)

    def _raise_if_dead(self, what: str) -> None:
        for server in self._servers:
            code = server.proc.poll()
            if code is not None:
                raise RigError(
                    f"{server.name} exited with code {code} while waiting for {what}\n"
                    f"{self._log_tail()}"
                )

    def stop(self) -> None:
        """Stop the keep-alives and the server processes, and remove the temporary directory.

        Safe to call more than once, and on a rig that never started.
        """
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        atexit.unregister(self.stop)
        for proc in self._keepalives:
            _kill_group(proc, grace=3.0)
        self._keepalives.clear()
        for server in reversed(self._servers):  # clients of a server before the server
            _kill_group(server.proc, grace=3.0)
        self._servers.clear()
        if self._dir is not None and self._owns_dir:
            shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None
        self._owns_dir = False

    # ------------------------------------------------------------------ commands
    def _run_pactl(
        self, args: list[str], timeout: float = 10.0
    ) -> subprocess.CompletedProcess[str]:
        cmd = ["pactl", f"--server={self.server}", *args]
        try:
            return subprocess.run(
                cmd,
                env=self._child_env(),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            return subprocess.CompletedProcess(cmd, -1, "", f"timed out after {exc.timeout} s")

    def pactl(self, *args: str, timeout: float = 10.0) -> str:
        """Run ``pactl ARGS`` against this rig and return its standard output.

        Raises :class:`RigError` with pactl's error output when it fails.
        """
        if not self.running:
            raise RigError("the rig is not running")
        result = self._run_pactl([str(a) for a in args], timeout=timeout)
        if result.returncode != 0:
            raise RigError(
                f"pactl {shlex.join(map(str, args))} failed ({result.returncode}): "
                f"{result.stderr.strip()}"
            )
        return result.stdout

    def plug_sink(self, name: str, *args: str, timeout: float = 10.0) -> PluggedModule:
        """Load a null sink ``name`` (more ``module-null-sink`` arguments in ``args``) and
        wait until the server lists it and its monitor (see :meth:`plug`)."""
        return self.plug(
            "module-null-sink",
            f"sink_name={name}",
            *args,
            devices=(name, f"{name}.monitor"),
            timeout=timeout,
        )

    def plug(
        self, module: str, *args: str, devices: Sequence[str], timeout: float = 10.0
    ) -> PluggedModule:
        """Load ``module`` with ``args`` and wait until the server lists all of ``devices``
        (the sinks and sources it makes).

        Waiting matters on PipeWire: pipewire-pulse can answer ``load-module`` before it
        lists the new node, so a lookup right after it may not find the device. Use the
        result as a context manager (leaving it unloads the module) or call its
        :meth:`PluggedModule.unplug`.
        """
        names = tuple(devices)
        with self._subscription() as events:
            index = self.pactl("load-module", module, *args)
            plugged = PluggedModule(self, index.strip(), names)
            try:
                self._wait_for_listing(names, True, events, timeout)
            except BaseException:
                plugged.unplug()
                raise
        return plugged

    def _unplug(self, module: str, names: tuple[str, ...], timeout: float = 10.0) -> None:
        with self._subscription() as events:
            self.pactl("unload-module", module)
            self._wait_for_listing(names, False, events, timeout)

    def _wait_for_listing(
        self, names: tuple[str, ...], listed: bool, events: int, timeout: float
    ) -> None:
        def settled() -> bool:
            present = self._present_devices()
            return all((n in present) == listed for n in names)

        self._wait(
            settled,
            f"{', '.join(names)} to be {'listed' if listed else 'gone'}",
            time.monotonic() + timeout,
            stream=events,
        )

    def _log_tail(self, lines: int = 30) -> str:
        parts = []
        for path in self.log_paths if self._dir is not None else []:
            try:
                text = path.read_text(errors="replace")
            except OSError as exc:
                parts.append(f"{path.stem}: no log ({exc})")
                continue
            tail = text.splitlines()[-lines:]
            parts.append(f"{path.stem} log (last lines):\n" + "\n".join(tail))
        return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    """Start a rig, print the shell ``export`` lines to use it, run until Ctrl-C or SIGTERM."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m scgui.virtual_rig",
        description="Run a private headless sound server with virtual sound cards.",
    )
    parser.add_argument("--dir", type=Path, default=None, help="directory for its files")
    parser.add_argument(
        "--server",
        choices=SERVER_KINDS,
        default=None,
        help=f"kind of server (default: ${SERVER_ENV_VAR}, else pulseaudio)",
    )
    parser.add_argument(
        "--no-keepalive", action="store_true", help="do not play silence into the sinks"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log the start-up steps")
    options = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if options.verbose else logging.INFO,
        format="# %(message)s",
        stream=sys.stderr,
    )

    stop_requested = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop_requested.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        rig = VirtualRig(options.dir, keepalive=not options.no_keepalive, server=options.server)
        rig.start()
    except RigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        for key, value in rig.env.items():
            print(f"export {key}={shlex.quote(value)}")
        print(
            f"# {rig.kind}: devices {', '.join(rig.devices.names)}; "
            f"logs: {' '.join(map(str, rig.log_paths))}",
            file=sys.stderr,
        )
        print("# running; press Ctrl-C to stop", file=sys.stderr)
        sys.stdout.flush()
        while not stop_requested.wait(0.5):
            if not rig.running:
                print(f"error: the {rig.kind} server died\n{rig._log_tail()}", file=sys.stderr)
                return 1
    finally:
        rig.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
