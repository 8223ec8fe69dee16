"""One WASAPI measurement in Windows Python (under Wine): one library, one figure, JSON out.

Run by ``bench_wasapi.py`` (which starts the rig and Wine), never by hand::

    wine-python.sh bench/wasapi_worker.py LIBRARY FIGURE SECONDS BENCH_SITE

LIBRARY is ``scgui`` (scgui.audio's WASAPI backend), ``soundcard`` (its WASAPI backend, pure
Python and cffi) or ``sounddevice`` (PortAudio's WASAPI host API); ``bench_wasapi.py`` unpacks
the peers' Windows wheels into BENCH_SITE. FIGURE is
``record`` (48 kHz stereo from "Scarlett 2i2 Input" in 1024-frame reads) or ``play`` (a tone
to "Focusrite Scarlett 2i2" in 1024-frame writes, until drained). The CPU is the process's
(``time.process_time``: every thread of the Windows process, Wine's audio driver thread
included) per second of audio moved, after 0.2 s of warm-up.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

RATE = 48000
BLOCK = 1024
CHANNELS = 2
SPEAKER = "Focusrite Scarlett 2i2"
MICROPHONE = "Scarlett 2i2 Input"


def _tone(frames: int) -> Any:
    import numpy as np

    t = np.arange(frames) / RATE
    tone = (0.25 * np.sin(2 * np.pi * 441.0 * t)).astype(np.float32)
    return np.ascontiguousarray(np.repeat(tone[:, None], CHANNELS, axis=1))


def _result(cpu: float, wall: float, frames: int, **extra: Any) -> dict[str, Any]:
    audio = frames / RATE
    return {"cpu_per_audio_s": cpu / audio, "wall_s": wall, "audio_s": audio, **extra}


def _soundcard_api_record(sc: Any, seconds: float) -> dict[str, Any]:
    """Record through the soundcard API, which scgui.audio and soundcard share."""
    with sc.get_microphone(MICROPHONE).recorder(RATE, channels=CHANNELS) as recorder:
        for _ in range(round(0.2 * RATE / BLOCK)):
            recorder.record(BLOCK)
        cpu0, wall0, got = time.process_time(), time.perf_counter(), 0
        while got < seconds * RATE:
            got += len(recorder.record(BLOCK))
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        overflows = getattr(recorder, "overflows", None)  # scgui's; soundcard has none
        return _result(cpu, wall, got, **({} if overflows is None else {"overflows": overflows}))


def scgui_record(seconds: float) -> dict[str, Any]:
    import scgui.audio as sc

    return _soundcard_api_record(sc, seconds)


def scgui_play(seconds: float) -> dict[str, Any]:
    import scgui.audio as sc

    signal = _tone(round(seconds * RATE))
    player = sc.get_speaker(SPEAKER).player(RATE, channels=CHANNELS)
    with player:
        player.play(signal[:BLOCK])
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for start in range(BLOCK, len(signal), BLOCK):
            player.play(signal[start : start + BLOCK])
        player.wait()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        return _result(cpu, wall, len(signal) - BLOCK, underruns=player.underruns)


def soundcard_record(seconds: float) -> dict[str, Any]:
    import soundcard as sc

    return _soundcard_api_record(sc, seconds)


def soundcard_play(seconds: float) -> dict[str, Any]:
    import soundcard as sc

    signal = _tone(round(seconds * RATE))
    with sc.get_speaker(SPEAKER).player(RATE, channels=CHANNELS) as player:
        player.play(signal[:BLOCK])
        cpu0, wall0 = time.process_time(), time.perf_counter()
        for start in range(BLOCK, len(signal), BLOCK):
            player.play(signal[start : start + BLOCK])
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        # soundcard's play() returns once the block is in the device buffer; it has no drain.
        return _result(cpu, wall, len(signal) - BLOCK)


def _sounddevice_device(sd: Any, name: str, kind: str) -> int:
    wasapi = next(i for i, api in enumerate(sd.query_hostapis()) if "WASAPI" in api["name"])
    key = "max_input_channels" if kind == "input" else "max_output_channels"
    for index, device in enumerate(sd.query_devices()):
        if device["hostapi"] == wasapi and name in device["name"] and device[key] >= CHANNELS:
            return index
    names = [d["name"] for d in sd.query_devices() if d["hostapi"] == wasapi]
    raise SystemExit(f"no WASAPI {kind} named {name!r} in PortAudio's list: {names}")


def sounddevice_record(seconds: float) -> dict[str, Any]:
    import sounddevice as sd

    device = _sounddevice_device(sd, MICROPHONE, "input")
    with sd.InputStream(RATE, channels=CHANNELS, dtype="float32", device=device) as stream:
        for _ in range(round(0.2 * RATE / BLOCK)):
            stream.read(BLOCK)
        cpu0, wall0, got, overflows = time.process_time(), time.perf_counter(), 0, 0
        while got < seconds * RATE:
            block, overflowed = stream.read(BLOCK)
            got += len(block)
            overflows += int(overflowed)
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        return _result(cpu, wall, got, overflows=overflows, hostapi="Windows WASAPI")


def sounddevice_play(seconds: float) -> dict[str, Any]:
    import sounddevice as sd

    signal = _tone(round(seconds * RATE))
    device = _sounddevice_device(sd, SPEAKER, "output")
    with sd.OutputStream(RATE, channels=CHANNELS, dtype="float32", device=device) as stream:
        stream.write(signal[:BLOCK])
        cpu0, wall0, underruns = time.process_time(), time.perf_counter(), 0
        for start in range(BLOCK, len(signal), BLOCK):
            underruns += int(stream.write(signal[start : start + BLOCK]))
        latency = stream.latency
        time.sleep(latency)  # what was written plays out: the blocking API has no drain
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        played = len(signal) - BLOCK
        return _result(cpu, wall, played, underruns=underruns, hostapi="Windows WASAPI")


FIGURES = {
    ("scgui", "record"): scgui_record,
    ("scgui", "play"): scgui_play,
    ("soundcard", "record"): soundcard_record,
    ("soundcard", "play"): soundcard_play,
    ("sounddevice", "record"): sounddevice_record,
    ("sounddevice", "play"): sounddevice_play,
}


def main() -> None:
    library, figure, seconds, site = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    sys.path.insert(0, site)
    result = FIGURES[(library, figure)](seconds)
    print(json.dumps({"library": library, "figure": figure, **result}))


if __name__ == "__main__":
    main()
