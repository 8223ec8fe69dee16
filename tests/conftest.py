"""Shared fixtures: every test session runs against a private virtual PulseAudio rig."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Before anything can create a QApplication: Qt aborts without a display otherwise.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from scgui.virtual_rig import RigError, VirtualRig


@pytest.fixture(scope="session", autouse=True)
def rig() -> Iterator[VirtualRig]:
    """The session's virtual sound cards; ``PULSE_SERVER`` and friends point at them.

    A missing pulseaudio is a failure, not a skip: the tests are meaningless without it and
    ``scripts/run-tests.sh`` installs it.
    """
    virtual_rig = VirtualRig()
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
