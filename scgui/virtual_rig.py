"""A private, headless PulseAudio server with virtual sound cards.

The tests need sound cards on machines that have none (CI, containers, a laptop without an
interface), and the app offers "try without hardware". Both get them from :class:`VirtualRig`:
it starts a PulseAudio server of its own, in a temporary directory, that loads null sinks and
remapped sources with a known, non-trivial channel wiring, so routing and loopback tests can be
checked end to end and sample-exact.

Why it is built the way it is (see ``PLATFORM_NOTES.md`` for the measurements):

* The server runs in ordinary (per-user) mode even as root; ``--system`` drops privileges and
  cannot bind its socket. All its files (runtime dir, state, config, cookie, socket, log) live
  in one private directory, so nothing lands in ``$HOME`` or ``/tmp/pulse-*`` and any number of
  rigs can run side by side.
* Devices use 48 kHz ``float32le``, so audio passes through bit-exact.
* Null sinks are loaded with ``norewinds=1``: otherwise the first tens of milliseconds of a
  stream that joins a running sink never reach its monitor.
* One silent keep-alive stream per sink: without it the first write of a new stream on an idle
  sink can stall for up to about 2 s.

This module uses only the standard library (no Qt, no numpy, not ``scgui.audio``) so it can be
imported anywhere, including before the library under test is importable.

Run ``python -m scgui.virtual_rig`` to start a rig by hand; it prints the ``export`` lines a
shell needs to use it and runs until Ctrl-C.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

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
    "SINKS",
    "SOURCES",
    "RigDevices",
    "RigError",
    "VirtualRig",
    "VirtualSink",
    "VirtualSource",
    "main",
]

SAMPLE_RATE = 48000
"""Sample rate of every virtual device, in Hz."""

SAMPLE_FORMAT = "float32le"
"""PulseAudio sample format of every virtual device (bit-exact for float32 test data)."""

_INSTALL_HINT = (
    "pulseaudio is not installed: run 'sudo apt-get install pulseaudio pulseaudio-utils' "
    "(or bash scripts/run-tests.sh, which installs it)"
)

# Unix socket paths are limited to 108 bytes (sun_path) on Linux, including the final NUL.
_MAX_SOCKET_PATH = 107


class RigError(RuntimeError):
    """The virtual rig could not be started or a command against it failed."""


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
        object.__setattr__(self, "names", tuple(d.name for d in (*self.sinks, *self.sources)))


DEVICES = RigDevices()
"""The devices every :class:`VirtualRig` loads."""


def _quote_property(key: str, value: str) -> str:
    """One ``key="value"`` proplist entry, quoted for a module argument in a .pa script."""
    if any(c in value for c in "\"'\\\n"):
        raise ValueError(f"unsupported character in property value {value!r}")
    return f"'{key}=\"{value}\"'"


def _pa_script(devices: RigDevices, socket_path: Path) -> str:
    """The PulseAudio command script that sets up the rig's server."""
    rate, fmt = devices.rate, devices.sample_format
    lines = [
        "# Written by scgui.virtual_rig; loaded with pulseaudio -n -F.",
        ".fail",
        f"load-module module-native-protocol-unix auth-anonymous=1 socket={socket_path}",
    ]
    for sink in devices.sinks:
        props = _quote_property("device.description", sink.description)
        lines.append(
            f"load-module module-null-sink sink_name={sink.name} rate={rate} format={fmt}"
            f" channels={sink.channels} channel_map={','.join(sink.channel_map)}"
            f" norewinds=1 sink_properties={props}"
        )
    for src in devices.sources:
        props = _quote_property("device.description", src.description)
        lines.append(
            f"load-module module-remap-source source_name={src.name} master={src.master}"
            f" rate={rate} format={fmt} channels={src.channels}"
            f" master_channel_map={','.join(src.master_channel_map)}"
            f" channel_map={','.join(src.channel_map)} remix=no source_properties={props}"
        )
    lines.append(f"set-default-sink {devices.default_sink.name}")
    lines.append(f"set-default-source {devices.default_source.name}")
    return "\n".join(lines) + "\n"


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to end it when the process that started it dies.

    Without this a test run killed by a time-out (SIGKILL skips atexit) would leave a server
    and its keep-alives running. Linux only; elsewhere nothing happens.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


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


class VirtualRig:
    """A private headless PulseAudio server with the virtual devices of :data:`DEVICES`.

    Parameters
    ----------
    base_dir:
        Directory for the server's files (runtime dir, state, config, socket, log). It is
        created if missing and left in place on :meth:`stop`. By default a new temporary
        directory is made and removed again on :meth:`stop`.
    keepalive:
        Play silence into every sink while the rig runs, so new streams start at once.

    Use as a context manager, or call :meth:`start` and :meth:`stop`::

        with VirtualRig() as rig:
            previous = rig.apply_env()   # libpulse clients of this process now use the rig
            ...
            rig.restore_env(previous)

    The server uses ``--exit-idle-time=-1`` and ``--disallow-exit``: it runs until
    :meth:`stop` (also called at interpreter exit as a safety net).
    """

    devices: RigDevices = DEVICES

    def __init__(self, base_dir: Path | None = None, keepalive: bool = True) -> None:
        self._requested_dir = Path(base_dir) if base_dir is not None else None
        self._keepalive = keepalive
        self._dir: Path | None = None
        self._owns_dir = False
        self._server: subprocess.Popen[bytes] | None = None
        self._keepalives: list[subprocess.Popen[bytes]] = []
        self._saved_env: dict[str, str | None] | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ paths and env
    def _base(self) -> Path:
        if self._dir is None:
            raise RigError("the rig is not started")
        return self._dir

    @property
    def base_dir(self) -> Path:
        """The directory holding all of the server's files."""
        return self._base()

    @property
    def socket_path(self) -> Path:
        """Path of the server's native-protocol Unix socket."""
        return self._base() / "runtime" / "native"

    @property
    def server(self) -> str:
        """Server string for clients (``PULSE_SERVER``), ``"unix:/.../native"``."""
        return f"unix:{self.socket_path}"

    @property
    def log_path(self) -> Path:
        """The server's log file."""
        return self._base() / "pulseaudio.log"

    @property
    def env(self) -> dict[str, str]:
        """Environment variables a libpulse client needs to use this rig (and only it)."""
        base = self._base()
        return {
            "PULSE_SERVER": self.server,
            "XDG_CONFIG_HOME": str(base / "config"),
            "XDG_RUNTIME_DIR": str(base / "runtime"),
            "PULSE_RUNTIME_PATH": str(base / "runtime"),
            "PULSE_STATE_PATH": str(base / "state"),
            "PULSE_COOKIE": str(base / "config" / "pulse" / "cookie"),
        }

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._server is not None and self._server.poll() is None

    @property
    def pids(self) -> list[int]:
        """Process ids of the server and the keep-alive players (for diagnostics and tests)."""
        procs = ([self._server] if self._server else []) + self._keepalives
        return [p.pid for p in procs]

    def _child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(self.env)
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
        """Start the server and the keep-alives; return once the server answers.

        Raises :class:`RigError` when pulseaudio (or pactl) is missing, or when the server
        does not answer within ``timeout`` seconds (with the tail of its log).
        """
        with self._lock:
            if self._server is not None:
                raise RigError("the rig is already started")
            pulseaudio = shutil.which("pulseaudio")
            if pulseaudio is None or shutil.which("pactl") is None:
                raise RigError(_INSTALL_HINT)
            if self._keepalive and shutil.which("pacat") is None:
                raise RigError(_INSTALL_HINT)
            self._make_dirs()
            try:
                self._start_server(pulseaudio, timeout)
                self._check_devices()
                if self._keepalive:
                    self._start_keepalives()
            except BaseException:
                self._stop_locked()
                raise
            atexit.register(self.stop)

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
        if self.socket_path.exists():
            self.socket_path.unlink()

    def _start_server(self, pulseaudio: str, timeout: float) -> None:
        base = self._base()
        script = base / "rig.pa"
        script.write_text(_pa_script(self.devices, self.socket_path))
        cmd = [
            pulseaudio,
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--system=false",
            "-n",
            "--disallow-exit",
            f"--log-target=file:{self.log_path}",
            "-F",
            str(script),
        ]
        self._server = subprocess.Popen(
            cmd,
            env=self._child_env(),
            cwd=base,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # own process group: stop() kills the whole group
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        deadline = time.monotonic() + timeout
        last_error = "the socket did not appear"
        while True:
            code = self._server.poll()
            if code is not None:
                raise RigError(f"pulseaudio exited with code {code}\n{self._log_tail()}")
            if self.socket_path.exists():
                remaining = max(0.5, deadline - time.monotonic())
                result = self._run_pactl(["info"], timeout=min(remaining, 5.0))
                if result.returncode == 0:
                    return
                last_error = result.stderr.strip() or f"pactl info exited {result.returncode}"
            if time.monotonic() >= deadline:
                raise RigError(
                    f"pulseaudio did not answer within {timeout:g} s ({last_error})\n"
                    f"{self._log_tail()}"
                )
            time.sleep(0.02)

    def _check_devices(self) -> None:
        """Raise :class:`RigError` unless every device of the rig exists.

        Needed because a module that fails to load (say, an argument this PulseAudio version
        does not know) only logs an error: the server still starts, without that device.
        """
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
        missing = [name for name in self.devices.names if name not in present]
        if missing:
            raise RigError(
                f"pulseaudio started without the devices {', '.join(missing)}\n{self._log_tail()}"
            )

    def _start_keepalives(self) -> None:
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
                "--client-name=scgui-rig-keepalive",
                f"--stream-name=keepalive {sink.name}",
            ]
            with open("/dev/zero", "rb") as zero:  # the child keeps its own copy
                proc = subprocess.Popen(
                    cmd,
                    env=self._child_env(),
                    stdin=zero,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                    preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
                )
            self._keepalives.append(proc)
        # Fail early (not in the first test) if a keep-alive could not connect.
        time.sleep(0.05)
        for proc in self._keepalives:
            if proc.poll() is not None:
                raise RigError(
                    f"keep-alive {shlex.join(map(str, proc.args))} exited with {proc.returncode}"
                )

    def stop(self) -> None:
        """Stop the keep-alives and the server, and remove the temporary directory.

        Safe to call more than once, and on a rig that never started.
        """
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        atexit.unregister(self.stop)
        for proc in self._keepalives:
            _kill_group(proc, grace=3.0)
        self._keepalives.clear()
        if self._server is not None:
            _kill_group(self._server, grace=3.0)
            self._server = None
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

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"(no log: {exc})"
        tail = text.splitlines()[-lines:]
        return "pulseaudio log (last lines):\n" + "\n".join(tail)


def main(argv: list[str] | None = None) -> int:
    """Start a rig, print the shell ``export`` lines to use it, run until Ctrl-C or SIGTERM."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m scgui.virtual_rig",
        description="Run a private headless PulseAudio server with virtual sound cards.",
    )
    parser.add_argument("--dir", type=Path, default=None, help="directory for its files")
    parser.add_argument(
        "--no-keepalive", action="store_true", help="do not play silence into the sinks"
    )
    options = parser.parse_args(argv)

    stop_requested = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop_requested.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    rig = VirtualRig(options.dir, keepalive=not options.no_keepalive)
    try:
        rig.start()
    except RigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        for key, value in rig.env.items():
            print(f"export {key}={shlex.quote(value)}")
        print(
            f"# devices: {', '.join(rig.devices.names)}; log: {rig.log_path}",
            file=sys.stderr,
        )
        print("# running; press Ctrl-C to stop", file=sys.stderr)
        sys.stdout.flush()
        while not stop_requested.wait(0.5):
            if not rig.running:
                print(f"error: pulseaudio died\n{rig._log_tail()}", file=sys.stderr)
                return 1
    finally:
        rig.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
