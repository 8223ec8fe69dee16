"""The virtual rig itself: the devices the other tests rely on, and a clean shutdown.

The session rig is PulseAudio or PipeWire (``SCGUI_RIG_SERVER``); the tests that start rigs of
their own run both kinds in every session.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest

from scgui.virtual_rig import (
    DEVICES,
    MULTI8,
    MULTI8_REVERSED,
    SAMPLE_RATE,
    SCARLETT,
    SCARLETT_IN,
    SCARLETT_SWAPPED,
    SERVER_KINDS,
    RigError,
    VirtualRig,
    VirtualSink,
    VirtualSource,
    _pipewire_pulse_conf,
    server_kind_from_env,
)

SERVER_PROCESSES = {"pulseaudio": 1, "pipewire": 4}  # dbus, pipewire, wireplumber, pipewire-pulse


def _short_list(rig: VirtualRig, kind: str) -> dict[str, int]:
    """``pactl list short KIND`` as {name: channel count}."""
    devices = {}
    for line in rig.pactl("list", "short", kind).splitlines():
        fields = line.split("\t")
        match = re.search(r"(\d+)ch", fields[3])
        assert match, line
        devices[fields[1]] = int(match.group(1))
    return devices


def test_env_points_at_the_rig(rig: VirtualRig) -> None:
    assert os.environ["PULSE_SERVER"] == rig.server
    assert rig.server.startswith("unix:") and rig.socket_path.is_socket()
    assert f"Server String: {rig.server}" in rig.pactl("info")


def test_kind_is_the_one_asked_for(rig: VirtualRig) -> None:
    assert rig.kind == server_kind_from_env()
    server_name = re.search(r"Server Name: (.+)", rig.pactl("info"))
    assert server_name
    assert ("PipeWire" in server_name.group(1)) == (rig.kind == "pipewire")
    assert len(rig.pids) == SERVER_PROCESSES[rig.kind] + len(DEVICES.sinks)
    # pids[0] is the server clients talk to, whichever the kind (fault tests stop and kill it).
    assert rig.pids[0] == rig.server_pid
    program = Path(f"/proc/{rig.server_pid}/cmdline").read_bytes().split(b"\0")[0]
    assert os.path.basename(program) == os.fsencode(rig.log_path.stem)
    assert rig.startup_seconds is not None and rig.startup_seconds < 5


def test_devices_and_channel_counts(rig: VirtualRig) -> None:
    assert _short_list(rig, "sinks") == {SCARLETT.name: 2, MULTI8.name: 8}
    sources = _short_list(rig, "sources")
    assert sources == {
        SCARLETT.monitor: 2,
        MULTI8.monitor: 8,
        SCARLETT_IN.name: 2,
        SCARLETT_SWAPPED.name: 2,
        MULTI8_REVERSED.name: 8,
    }
    assert len(DEVICES.names) == 5
    assert rig.pactl("get-default-sink").strip() == SCARLETT.name
    assert rig.pactl("get-default-source").strip() == SCARLETT_IN.name


def test_a_plugged_sink_is_listed_at_once_and_gone_once_unplugged(rig: VirtualRig) -> None:
    with rig.plug_sink("plugtest", "channels=3") as sink:
        assert _short_list(rig, "sinks")["plugtest"] == 3
        assert _short_list(rig, "sources")["plugtest.monitor"] == 3
        sink.unplug()
        assert "plugtest" not in _short_list(rig, "sinks")
        assert "plugtest.monitor" not in _short_list(rig, "sources")
        sink.unplug()  # a second unplug (and leaving the block) does nothing
    assert _short_list(rig, "sinks") == {SCARLETT.name: 2, MULTI8.name: 8}


def test_a_sink_that_cannot_load_is_a_clear_error(rig: VirtualRig) -> None:
    with pytest.raises(RigError, match="load-module"):
        rig.plug_sink("badsink", "channels=-4")
    assert "badsink" not in _short_list(rig, "sinks")


def test_descriptions_and_formats(rig: VirtualRig) -> None:
    text = rig.pactl("list", "sinks") + rig.pactl("list", "sources")
    for device in (*DEVICES.sinks, *DEVICES.sources):
        assert f"Description: {device.description}\n" in text
    specs = set(re.findall(r"Sample Specification: (.+)", text))
    assert specs == {"float32le 2ch 48000Hz", "float32le 8ch 48000Hz"}


def test_declared_routing() -> None:
    assert SCARLETT_IN.routing == (0, 1)
    assert SCARLETT_SWAPPED.routing == (1, 0)
    assert MULTI8_REVERSED.routing == tuple(range(7, -1, -1))


def test_pactl_error_carries_stderr(rig: VirtualRig) -> None:
    with pytest.raises(RigError, match=r"set-default-sink no_such_sink failed \(1\): \S"):
        rig.pactl("set-default-sink", "no_such_sink")


def _record_while_playing(
    rig: VirtualRig, sink: VirtualSink, source: VirtualSource, audio: np.ndarray
) -> np.ndarray:
    """Play ``audio`` to ``sink`` with pacat while parec records ``source``; the recording.

    Plain pacat/parec (not scgui.audio): this checks the rig's wiring, not the library.
    """
    common = [
        f"--server={rig.server}",
        "--raw",
        "--format=float32le",
        f"--rate={SAMPLE_RATE}",
        "--latency-msec=10",
    ]
    record_cmd = [
        "parec",
        *common,
        f"--device={source.name}",
        f"--channels={source.channels}",
        f"--channel-map={','.join(source.channel_map)}",
    ]
    frame_bytes = 4 * source.channels
    chunks: list[bytes] = []
    received = threading.Condition()
    with subprocess.Popen(record_cmd, stdout=subprocess.PIPE, env=os.environ) as recorder:
        assert recorder.stdout is not None

        def read() -> None:
            assert recorder.stdout is not None
            while data := recorder.stdout.read1(65536):
                with received:
                    chunks.append(data)
                    received.notify_all()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            subprocess.run(
                [
                    "pacat",
                    *common,
                    f"--device={sink.name}",
                    f"--channels={sink.channels}",
                    f"--channel-map={','.join(sink.channel_map)}",
                ],
                input=audio.astype("<f4").tobytes(),
                env=os.environ,
                check=True,
                timeout=20,
            )
            # pacat drained: everything has been played. Record 0.3 s more to catch it all.
            with received:
                wanted = sum(map(len, chunks)) + int(0.3 * SAMPLE_RATE) * frame_bytes
                assert received.wait_for(lambda: sum(map(len, chunks)) >= wanted, timeout=10)
        finally:
            recorder.terminate()
            reader.join(timeout=10)
    data = b"".join(chunks)
    usable = len(data) - len(data) % frame_bytes
    return np.frombuffer(data[:usable], dtype="<f4").reshape(-1, source.channels)


@pytest.mark.parametrize(
    ("sink", "source"),
    [(MULTI8, MULTI8_REVERSED), (SCARLETT, SCARLETT_SWAPPED), (SCARLETT, SCARLETT_IN)],
    ids=lambda d: d.name,
)
def test_a_sine_per_channel_arrives_as_wired(
    rig: VirtualRig, sink: VirtualSink, source: VirtualSource
) -> None:
    # Output channel i plays a 1 kHz sine of peak 0.05 * (i + 1): its peak names it.
    t = np.arange(SAMPLE_RATE // 2) / SAMPLE_RATE
    peaks = 0.05 * (np.arange(sink.channels) + 1)
    audio = np.sin(2 * np.pi * 1000 * t)[:, None] * peaks[None, :]
    recording = _record_while_playing(rig, sink, source, audio)
    assert np.abs(recording).max() > 0, "nothing arrived"
    expected = [round(0.05 * (source.routing[j] + 1), 3) for j in range(source.channels)]
    measured = [round(float(p), 3) for p in np.abs(recording).max(axis=0)]
    assert measured == expected


def _processes_of(base: Path) -> list[int]:
    """Processes whose command line or environment names ``base`` (this rig's processes)."""
    needle = os.fsencode(base)
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            text = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
        except OSError:
            continue
        if needle in text:
            found.append(int(proc.name))
    return found


def _wait_until_gone(pids: Iterable[int], timeout: float) -> list[int]:
    """Wait (on pidfds) until every process of ``pids`` has ended; those still alive."""
    fds = {}
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # already gone
            fds[os.pidfd_open(pid)] = pid
    deadline = time.monotonic() + timeout
    try:
        while fds and (remaining := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select(list(fds), [], [], remaining)
            for fd in ready:
                os.close(fd)
                del fds[fd]
        return sorted(fds.values())
    finally:
        for fd in fds:
            os.close(fd)


@pytest.mark.parametrize("kind", SERVER_KINDS)
def test_second_rig_stops_cleanly(kind: str) -> None:
    rig = VirtualRig(server=kind)
    rig.start()
    base, pids = rig.base_dir, rig.pids
    assert rig.kind == kind
    # The server processes and one keep-alive per sink, every one of them under base.
    assert len(pids) == SERVER_PROCESSES[kind] + len(DEVICES.sinks)
    assert set(pids) <= set(_processes_of(base))
    assert "multi8_reversed" in rig.pactl("list", "short", "sources")
    rig.stop()
    rig.stop()  # idempotent
    assert not rig.running
    assert not base.exists()
    assert _processes_of(base) == []
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@pytest.mark.parametrize("kind", SERVER_KINDS)
def test_a_restart_in_the_same_dir_forgets_the_last_run(kind: str, tmp_path: Path) -> None:
    base = tmp_path / "rig"
    with VirtualRig(base, keepalive=False, server=kind) as rig:
        rig.pactl("set-default-sink", MULTI8.name)
        rig.pactl("set-default-source", MULTI8_REVERSED.name)
        rig.pactl("set-sink-volume", SCARLETT.name, "30%")
    if kind == "pipewire":
        assert (base / "state").exists()  # where WirePlumber keeps what it restores
    with VirtualRig(base, keepalive=False, server=kind) as rig:
        assert rig.pactl("get-default-sink").strip() == SCARLETT.name
        assert rig.pactl("get-default-source").strip() == SCARLETT_IN.name
        assert "100%" in rig.pactl("get-sink-volume", SCARLETT.name)
    assert base.exists()  # a given base_dir is left in place


@pytest.mark.parametrize("kind", SERVER_KINDS)
def test_rig_processes_die_with_the_process_that_started_them(kind: str, tmp_path: Path) -> None:
    base = tmp_path / "rig"
    cmd = [sys.executable, "-m", "scgui.virtual_rig", "--server", kind, "--dir", str(base)]
    with subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as runner:
        assert runner.stdout is not None
        exports = [runner.stdout.readline() for _ in range(3)]  # blocks until the rig is up
        assert exports[0].startswith("export PULSE_SERVER=unix:"), exports
        children = _processes_of(base)
        assert len(children) >= SERVER_PROCESSES[kind] + len(DEVICES.sinks)
        runner.send_signal(signal.SIGKILL)  # no atexit, no stop(): only the kernel is left
    assert _wait_until_gone(children, timeout=10) == []


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("pulseaudio", r"pulseaudio is not installed: run 'sudo apt-get"),
        (
            "pipewire",
            r"PipeWire is not installed \(missing: .*wireplumber.*\): run 'sudo apt-get install "
            r"pipewire pipewire-bin pipewire-pulse wireplumber dbus",
        ),
    ],
)
def test_missing_server_is_a_clear_error(
    kind: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RigError, match=message):
        VirtualRig(server=kind).start()


def test_server_kind_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    assert server_kind_from_env({}) == "pulseaudio"
    assert server_kind_from_env({"SCGUI_RIG_SERVER": " PipeWire "}) == "pipewire"
    with pytest.raises(RigError, match="SCGUI_RIG_SERVER='jack'"):
        server_kind_from_env({"SCGUI_RIG_SERVER": "jack"})
    with pytest.raises(ValueError, match="server must be one of"):
        VirtualRig(server="jack")
    monkeypatch.setenv("SCGUI_RIG_SERVER", "pipewire")
    assert VirtualRig().kind == "pipewire"
    monkeypatch.delenv("SCGUI_RIG_SERVER")
    assert VirtualRig().kind == "pulseaudio"


def test_pipewire_pulse_conf_listens_on_the_rig_socket_only() -> None:
    stock = """\
pulse.cmd = [
    { cmd = "load-module" args = "module-always-sink" flags = [ ] }
    #{ cmd = "load-module" args = "module-switch-on-connect" }
]
pulse.properties = {
    # the addresses this server listens on
    server.address = [
        "unix:native"
        #"tcp:[::]:9999"                    # IPv6 on all addresses
        #{ address = "tcp:4713"             # address
        #  max-clients = 64 }
    ]
    vm.overrides = { pulse.min.quantum = 1024/48000 }
}
"""
    conf = _pipewire_pulse_conf(stock, Path("/stock.conf"), Path("/rig/runtime/native"))
    assert 'server.address = [ "unix:/rig/runtime/native" ]\n    vm.overrides' in conf
    assert "unix:native" not in conf and "tcp:" not in conf
    active = [ln.split("#", 1)[0] for ln in conf.splitlines()]
    assert not any("module-always-sink" in ln for ln in active)
    assert "pulse.cmd = [" in active and "]" in active
