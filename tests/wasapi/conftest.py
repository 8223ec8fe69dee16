"""Fixtures for the WASAPI tests: the devices of a virtual rig that runs outside Windows.

``test_wasapi_logic.py`` runs anywhere (the Linux suite includes it); ``test_wasapi_rig.py``
is marked ``windows`` and runs under Windows Python only.

Under Wine, ``scripts/run-wine-tests.sh`` starts the rig (PulseAudio, the same devices as the
Linux suite) and passes ``PULSE_SERVER`` on; Wine's WASAPI shows its sinks and sources as
endpoints named by their descriptions. On a real Windows runner there is no rig: the tests
that need it are skipped unless ``SCGUI_WASAPI_RIG`` says where its devices are.
"""

from __future__ import annotations

import os
import platform
import sys

import pytest

import scgui.audio as sc
from scgui.audio.backends._com import running_under_wine
from scgui.virtual_rig import MULTI8, SCARLETT

RIG = os.environ.get("SCGUI_WASAPI_RIG") == "1"

if sys.platform == "win32" and running_under_wine():
    # platform.win32_ver() (and so platform.node(), which the JUnit report calls) asks WMI,
    # which aborts under Wine 8; when WMI fails it reads sys.getwindowsversion() instead.
    def _no_wmi(*_args: object, **_kwargs: object) -> None:
        raise OSError("no WMI under Wine")

    platform._wmi_query = _no_wmi  # type: ignore[attr-defined]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip what this platform cannot run; only items marked ``windows`` are touched, as
    this hook sees the whole session's items when the Linux suite collects this folder."""
    windows_items = [item for item in items if item.get_closest_marker("windows") is not None]
    if sys.platform != "win32":
        skip = pytest.mark.skip(reason="needs Windows Python (or Wine): scripts/run-wine-tests.sh")
        for item in windows_items:
            item.add_marker(skip)
        return
    wine = running_under_wine()
    for item in windows_items:
        if wine and item.get_closest_marker("real_windows") is not None:
            item.add_marker(pytest.mark.skip(reason="Wine's WASAPI lacks this; real Windows"))
        if not RIG and "rig" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.skip(reason="no virtual rig (SCGUI_WASAPI_RIG=1)"))


@pytest.fixture(scope="session")
def rig() -> None:
    """The rig's devices are reachable (a marker fixture: the runner started the rig)."""


@pytest.fixture
def multi8(rig) -> sc.Speaker:
    return sc.get_speaker(MULTI8.description)


@pytest.fixture
def multi8_monitor(rig) -> sc.Microphone:
    return sc.get_microphone(f"Monitor of {MULTI8.description}", include_loopback=True)


@pytest.fixture
def scarlett(rig) -> sc.Speaker:
    return sc.get_speaker(SCARLETT.description)


@pytest.fixture
def scarlett_monitor(rig) -> sc.Microphone:
    return sc.get_microphone(f"Monitor of {SCARLETT.description}", include_loopback=True)
