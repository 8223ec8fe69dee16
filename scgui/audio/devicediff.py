"""Device lists in, device events out: the diffing every backend shares.

A backend only says "something may have changed"; the watch lists the devices again and
compares snapshots here, so added/removed/changed/default mean the same on every system.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .backends.base import Backend, DeviceEvent, DeviceInfo, DeviceKind

_KINDS: tuple[DeviceKind, ...] = ("speaker", "microphone")


@dataclass(frozen=True)
class DeviceSnapshot:
    """Every device and the defaults, as listed at one moment."""

    devices: dict[tuple[DeviceKind, str], DeviceInfo] = field(default_factory=dict)
    defaults: dict[DeviceKind, str | None] = field(default_factory=dict)


def take_snapshot(backend: Backend) -> DeviceSnapshot:
    """List every device and the defaults (raises what the backend raises)."""
    devices = {(kind, info.id): info for kind in _KINDS for info in backend.list_devices(kind)}
    defaults = {kind: backend.default_device_id(kind) for kind in _KINDS}
    return DeviceSnapshot(devices, defaults)


def visible(device: DeviceInfo) -> tuple[Any, ...]:
    """The parts of a device whose change is worth an event (not its momentary latency)."""
    return (
        device.name,
        device.channels,
        device.channel_positions,
        device.samplerate,
        device.volume,
        device.muted,
    )


def diff(old: DeviceSnapshot, new: DeviceSnapshot) -> list[DeviceEvent]:
    """The events that turn ``old`` into ``new``: removals, additions, changes, defaults."""
    events = [
        DeviceEvent("removed", kind, device_id, info.isloopback)
        for (kind, device_id), info in old.devices.items()
        if (kind, device_id) not in new.devices
    ]
    for key, info in new.devices.items():
        before = old.devices.get(key)
        if before is None:
            events.append(DeviceEvent("added", info.kind, info.id, info.isloopback))
        elif visible(before) != visible(info):
            events.append(DeviceEvent("changed", info.kind, info.id, info.isloopback))
    for kind in _KINDS:
        now = new.defaults.get(kind)
        if now and now != old.defaults.get(kind):
            events.append(DeviceEvent("default", kind, now))
    return events
