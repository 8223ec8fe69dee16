"""The virtual rig itself: the devices the other tests rely on, and a clean shutdown."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from scgui.virtual_rig import (
    DEVICES,
    MULTI8,
    MULTI8_REVERSED,
    SCARLETT,
    SCARLETT_IN,
    SCARLETT_SWAPPED,
    RigError,
    VirtualRig,
)


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


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline:
            found.append(int(proc.name))
    return found


def test_second_rig_stops_cleanly() -> None:
    rig = VirtualRig()
    rig.start()
    base, pids = rig.base_dir, rig.pids
    assert len(pids) == 1 + len(DEVICES.sinks)  # the server and one keep-alive per sink
    assert _processes_mentioning(str(base))
    assert "multi8_reversed" in rig.pactl("list", "short", "sources")
    rig.stop()
    rig.stop()  # idempotent
    assert not rig.running
    assert not base.exists()
    assert _processes_mentioning(str(base)) == []
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_missing_pulseaudio_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(RigError, match="pulseaudio is not installed: run 'sudo apt-get"):
        VirtualRig().start()
