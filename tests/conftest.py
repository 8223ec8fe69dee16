"""Shared fixtures: every test session runs against a private virtual sound server rig.

The kind of server comes from the environment variable ``SCGUI_RIG_SERVER``: ``pulseaudio``
(the default) or ``pipewire`` (pipewire-pulse with WirePlumber). Library behaviour that differs
between them is for the library to handle, so tests are not marked per server; only a test
that needs PulseAudio itself (its modules, or wiring WirePlumber gets wrong) is marked
``@pytest.mark.pulseaudio_only`` and skipped on PipeWire.

``SCGUI_RIG_SERVER=none`` starts no rig at all and points ``PULSE_SERVER`` at a socket that
does not exist, for the tests that need no sound server on a system that has none of these
servers (the macOS workflow runs such a selection): a test that needs the rig then fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Before anything can create a QApplication: Qt aborts without a display otherwise.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import scgui.audio as sc
from scgui.virtual_rig import (
    MULTI8,
    SCARLETT,
    SERVER_ENV_VAR,
    RigError,
    VirtualRig,
    server_kind_from_env,
)

NO_RIG = "none"


def _rig_kind() -> str:
    if os.environ.get(SERVER_ENV_VAR, "").strip().lower() == NO_RIG:
        return NO_RIG
    try:
        return server_kind_from_env()
    except RigError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_report_header(config: pytest.Config) -> str:
    return f"virtual rig: {_rig_kind()} ({SERVER_ENV_VAR})"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kind = _rig_kind()
    if kind == "pulseaudio":
        return
    skip = pytest.mark.skip(reason=f"needs PulseAudio itself (see the test); the rig is {kind}")
    for item in items:
        if item.get_closest_marker("pulseaudio_only") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def rig() -> Iterator[VirtualRig | None]:
    """The session's virtual sound cards; ``PULSE_SERVER`` and friends point at them.

    A missing server is a failure, not a skip: the tests are meaningless without it and
    ``scripts/run-tests.sh`` installs both kinds. With ``SCGUI_RIG_SERVER=none`` there is no
    rig (see the module docstring): the fixture gives None and nothing can reach a server.
    """
    if _rig_kind() == NO_RIG:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("PULSE_SERVER", "unix:/nonexistent/scgui-no-rig")
            yield None
        return
    virtual_rig = VirtualRig(server=_rig_kind())
    try:
        virtual_rig.start()
    except RigError as exc:
        virtual_rig.stop()
        pytest.fail(str(exc), pytrace=False)
    previous = virtual_rig.apply_env()
    try:
        yield virtual_rig
    finally:
        virtual_rig.restore_env(previous)
        virtual_rig.stop()


@pytest.fixture
def multi8() -> sc.Speaker:
    """The rig's 8-channel speaker."""
    return sc.get_speaker(MULTI8.name)


@pytest.fixture
def multi8_monitor() -> sc.Microphone:
    """What ``multi8`` plays, as a loopback microphone."""
    return sc.get_microphone(MULTI8.monitor, include_loopback=True)


@pytest.fixture
def scarlett() -> sc.Speaker:
    """The rig's stereo speaker (the default)."""
    return sc.get_speaker(SCARLETT.name)


@pytest.fixture
def scarlett_monitor() -> sc.Microphone:
    """What ``scarlett`` plays, as a loopback microphone."""
    return sc.get_microphone(SCARLETT.monitor, include_loopback=True)
