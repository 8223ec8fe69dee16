"""The client name the server shows, and the C declarations on every OS."""

from __future__ import annotations

import cffi

import scgui.audio as sc
from scgui.audio.backends._pulse_cdef import CDEF


def test_set_name_is_seen_by_the_server(rig) -> None:
    sc.all_speakers()  # make sure a connection exists, so the rename is live
    sc.set_name("scgui name test")
    assert sc.get_name() == "scgui name test"
    assert "scgui name test" in rig.pactl("list", "clients")


def test_pulseaudio_declarations_parse() -> None:
    cffi.FFI().cdef(CDEF)
