"""Device-change events from the real server when modules are loaded and unloaded."""

from __future__ import annotations

import threading

import pytest

import scgui.audio as sc
from scgui.audio import DeviceEvent


def wait_for(watch: sc.DeviceWatch, predicate, timeout: float = 5.0) -> list[DeviceEvent]:
    """Collect events until one satisfies ``predicate``; fail if none does in time."""
    seen: list[DeviceEvent] = []
    while True:
        event = watch.get(timeout=timeout)
        assert event is not None, f"no matching event within {timeout} s; saw {seen}"
        seen.append(event)
        if predicate(event):
            return seen


def test_added_and_removed_when_a_sink_comes_and_goes(rig) -> None:
    with sc.watch_devices() as watch:
        module = rig.pactl(
            "load-module",
            "module-null-sink",
            "sink_name=hotplug",
            "channels=4",
            "sink_properties=device.description=Hotplug",
        ).strip()
        try:
            seen = wait_for(watch, lambda e: e.change == "added" and e.id == "hotplug.monitor")
            assert DeviceEvent("added", "speaker", "hotplug") in seen
            assert DeviceEvent("added", "microphone", "hotplug.monitor", True) in seen
            assert sc.get_speaker("Hotplug").channels == 4
        finally:
            rig.pactl("unload-module", module)
        seen = wait_for(watch, lambda e: e.change == "removed" and e.id == "hotplug")
        assert all(e.change == "removed" for e in seen if e.id.startswith("hotplug"))
    assert "hotplug" not in {s.id for s in sc.all_speakers()}


def test_default_change_and_callback_delivery(rig) -> None:
    received: list[DeviceEvent] = []
    arrived = threading.Event()

    def on_event(event: DeviceEvent) -> None:
        # Callbacks may call back into the library: they run on the watch's own thread.
        assert sc.default_speaker() is not None
        received.append(event)
        if event.change == "default":
            arrived.set()

    with sc.watch_devices(on_event) as watch:
        with pytest.raises(sc.InvalidConfigError, match="delivers its events to its callback"):
            watch.get(timeout=0)
        rig.pactl("set-default-sink", "multi8")
        try:
            assert arrived.wait(5), f"no default event; got {received}"
            assert DeviceEvent("default", "speaker", "multi8") in received
            assert sc.default_speaker().id == "multi8"
        finally:
            rig.pactl("set-default-sink", "scarlett")


def test_volume_change_is_a_changed_event(rig) -> None:
    with sc.watch_devices() as watch:
        rig.pactl("set-sink-volume", "multi8", "50%")
        try:
            wait_for(watch, lambda e: e.change == "changed" and e.id == "multi8")
        finally:
            rig.pactl("set-sink-volume", "multi8", "100%")
