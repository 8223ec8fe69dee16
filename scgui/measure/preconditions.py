"""What can make a routing check or a latency figure misleading, checked before the run.

A sink left at 50 %, a muted input, a sample rate the device converts, or an input with
fewer channels than the outputs tested all give verdicts that look like wiring faults. Each
check returns one sentence that says what is wrong and what to do; the run goes on (the user
may mean it), and the report carries the warnings.
"""

from __future__ import annotations

from collections.abc import Sequence

import scgui.audio as sc
from scgui.virtual_rig import KEEPALIVE_CLIENT_NAME

#: A volume this close to 1.0 (0 dB) counts as 100 %.
UNITY_TOLERANCE = 1e-3


def _volume_warnings(device: sc.Speaker | sc.Microphone, role: str) -> list[str]:
    info = device.info
    warnings = []
    if info.muted:
        warnings.append(
            f"The {role} {device.name!r} is muted: unmute it, or every path through it reads "
            "as missing."
        )
    levels = [v for v in info.volume if abs(v - 1.0) > UNITY_TOLERANCE]
    if levels:
        percent = ", ".join(sorted({f"{round(v * 100)} %" for v in levels}))
        warnings.append(
            f"The {role} {device.name!r} is at {percent}, not 100 %: set it to 100 % (0 dB) in "
            "the device list, or the levels read low by that much."
        )
    return warnings


def _other_streams(speaker: sc.Speaker, microphone: sc.Microphone) -> list[str]:
    """Other programs playing into the output (their sound adds to the test signal) or
    recording the input (voice programs turn its volume up and down by themselves)."""
    if not sc.capabilities().app_streams:
        return []
    try:
        streams = sc.list_streams()
    except sc.AudioError:
        return []
    warnings = []
    # The virtual rig's keep-alives play digital silence into every sink: not another program.
    programs = [
        s
        for s in streams
        if s.process_id is not None and not s.corked and s.application != KEEPALIVE_CLIENT_NAME
    ]
    playing = sorted(
        {
            s.application or s.name
            for s in programs
            if s.kind == "playback" and s.device_id == speaker.id and not s.muted
        }
    )
    if playing:
        warnings.append(
            f"Other programs play into the output {speaker.name!r} ({', '.join(playing)}): "
            "their sound adds to the test signal. Stop them or move them to another device."
        )
    recording = sorted(
        {
            s.application or s.name
            for s in programs
            if s.kind == "recording" and s.device_id == microphone.id
        }
    )
    if recording:
        warnings.append(
            f"Other programs record the input {microphone.name!r} ({', '.join(recording)}): "
            "some turn its volume up and down by themselves. Close them for the run."
        )
    return warnings


def check_preconditions(
    speaker: sc.Speaker,
    microphone: sc.Microphone,
    outputs: Sequence[int],
    samplerate: int,
) -> list[str]:
    """Every warning for a run from ``outputs`` of ``speaker`` into ``microphone``."""
    warnings = _volume_warnings(speaker, "output") + _volume_warnings(microphone, "input")
    for device, role in ((speaker, "output"), (microphone, "input")):
        rate = device.info.samplerate
        if rate and rate != samplerate:
            warnings.append(
                f"The {role} {device.name!r} runs at {rate} Hz, the check at {samplerate} Hz: "
                "the sound server converts the rate, which blurs delays and levels. Check at "
                f"{rate} Hz."
            )
    warnings += _other_streams(speaker, microphone)
    if microphone.channels < len(outputs):
        warnings.append(
            f"{len(outputs)} outputs are tested but {microphone.name!r} has only "
            f"{microphone.channels} inputs: at most {microphone.channels} outputs can arrive "
            "somewhere; test fewer outputs, or choose an input with more channels."
        )
    return warnings
