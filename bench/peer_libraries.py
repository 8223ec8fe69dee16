"""One small stream interface over scgui.audio, soundcard and sounddevice, for the benchmarks.

``bench_audio.py`` measures the three libraries with the same code: each measurement asks
:func:`open_peer` for the library of its child process and then only uses :class:`Peer`,
:class:`PlayerAdapter` and :class:`RecorderAdapter`. Devices are named by their PulseAudio
names (``scarlett``, ``scarlett.monitor``...).

What "the settings" mean per library (``blocksize=None`` is "the library's defaults"):

* scgui.audio and soundcard: ``speaker.player(rate, blocksize=N)`` and
  ``microphone.recorder(rate, blocksize=N)``, with the device's own channel count.
* sounddevice: its blocking API (``sd.OutputStream.write`` / ``sd.InputStream.read``),
  ``dtype="float32"``; with a block size, ``blocksize=N, latency="low"``; at the defaults,
  ``blocksize=0, latency="high"`` (what sounddevice uses when given nothing).

sounddevice reaches PulseAudio through PortAudio's ALSA host API and ALSA's pulse plugin: the
ALSA configuration of :data:`ALSA_PULSE_CONFIG` makes ALSA's ``default`` device the plugin,
which opens the server's default sink and source unless ``PULSE_SINK`` / ``PULSE_SOURCE`` say
otherwise. So the devices of a sounddevice process are fixed before it imports sounddevice
(:func:`sounddevice_env`); a player or recorder on another device is refused.

numpy and the libraries are imported only when a peer is opened (in the child processes).
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

_log = logging.getLogger(__name__)

LIBRARIES: tuple[str, ...] = ("scgui", "soundcard", "sounddevice")
"""The libraries the benchmarks compare, by their short names."""

FLOOR = "pasimple"
"""libpulse's simple API, whose waits are all in C: the CPU figures' floor, not a peer
(``libpulse_simple_peer.py``)."""

DRIVEN = "pamainloop"
"""libpulse on a private mainloop that the reading or writing thread runs: the other design,
measured (``driven_mainloop_peer.py``)."""

REFERENCES: tuple[str, ...] = (FLOOR, DRIVEN)
"""What the CPU figures are also measured with, for comparison: not libraries."""

MEASURED: tuple[str, ...] = (*LIBRARIES, *REFERENCES)
"""Everything ``bench_audio.py`` can run, in the order of its columns."""

TITLES = {
    "scgui": "scgui.audio",
    "soundcard": "soundcard",
    "sounddevice": "sounddevice",
    FLOOR: "libpulse-simple (C floor)",
    DRIVEN: "driven mainloop",
}
"""Display names."""

MODULES = {
    "scgui": "scgui.audio",
    "soundcard": "soundcard",
    "sounddevice": "sounddevice",
    FLOOR: "cffi",
    DRIVEN: "cffi",
}
"""The module each library is imported as (the references: what they load libpulse with)."""

DISTRIBUTIONS = {"scgui": "scgui", "soundcard": "soundcard", "sounddevice": "sounddevice"}
"""The package each library is installed from (for its version)."""

ALSA_PULSE_CONFIG = "pcm.!default { type pulse }\nctl.!default { type pulse }\n"
"""ALSA configuration that routes ALSA's ``default`` device to PulseAudio (pulse plugin)."""

SYSTEM_ALSA_CONFIG = "/usr/share/alsa/alsa.conf"
SOUNDDEVICE_DEVICE = "default"
"""The PortAudio device sounddevice streams are opened on (by name)."""

SOUNDDEVICE_BLOCK_LATENCY = "low"
"""sounddevice's ``latency`` when a block size is given."""

SOUNDDEVICE_DEFAULT_LATENCY = "high"
"""sounddevice's ``latency`` at the defaults (its own default)."""

UINT32_MAX = 0xFFFFFFFF


def write_alsa_config(directory: Path) -> Path:
    """Write :data:`ALSA_PULSE_CONFIG` into ``directory``; return the file's path."""
    path = directory / "asound-pulse.conf"
    path.write_text(ALSA_PULSE_CONFIG)
    return path


def sounddevice_env(alsa_config: str | Path, sink: str, source: str) -> dict[str, str]:
    """Environment that makes a sounddevice process use ``sink`` and ``source`` of the server.

    ``PULSE_SERVER`` (and the rest of the rig's environment) must be set as well.
    """
    return {
        "ALSA_CONFIG_PATH": f"{SYSTEM_ALSA_CONFIG}:{alsa_config}",
        "PULSE_SINK": sink,
        "PULSE_SOURCE": source,
    }


def library_version(name: str) -> str | None:
    """The installed version of library ``name``, or None when unknown."""
    if name in REFERENCES:
        from libpulse_simple_peer import libpulse_version

        return libpulse_version()
    with contextlib.suppress(metadata.PackageNotFoundError):
        return metadata.version(DISTRIBUTIONS[name])
    return None


def pactl(*args: str) -> str:
    """``pactl ARGS`` against the server of the environment; its output (raises on failure)."""
    proc = subprocess.run(
        ["pactl", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=15,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"pactl {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout


class _StreamAdapter:
    """What every open stream of one library tells about itself."""

    def reported_latency(self) -> float | None:
        """Seconds of latency as the library reports it for the open stream (None: none)."""
        raise NotImplementedError

    def buffer_attr(self) -> dict[str, int] | None:
        """The server's buffer attributes in frames, where the library lets them be read."""
        return None


class PlayerAdapter(_StreamAdapter):
    """An open output stream of one library."""

    def write(self, frames: Any) -> None:
        """Hand ``frames`` (``frames x channels`` float32, C order) over; block while full."""
        raise NotImplementedError

    def drain(self) -> None:
        """Block until everything written has been played."""
        raise NotImplementedError

    def underruns(self) -> int | None:
        """Underruns the library counted so far (None: it does not count them)."""
        return None


class RecorderAdapter(_StreamAdapter):
    """An open input stream of one library."""

    def read(self, frames: int) -> Any:
        """Exactly ``frames`` frames (``frames x channels`` float32), waiting for them."""
        raise NotImplementedError

    def overflows(self) -> int | None:
        """Overflows the library counted so far (None: it does not count them)."""
        return None


class Peer:
    """One library, loaded in this process: lists devices and opens streams."""

    name: str = ""

    def list_speakers(self) -> list[str]:
        """Names of the output devices the library lists."""
        raise NotImplementedError

    def player(
        self, device: str, samplerate: int, channels: int, blocksize: int | None
    ) -> contextlib.AbstractContextManager[PlayerAdapter]:
        """An output stream on ``device`` (closed, without draining, when the block ends)."""
        raise NotImplementedError

    def recorder(
        self, device: str, samplerate: int, channels: int, blocksize: int | None
    ) -> contextlib.AbstractContextManager[RecorderAdapter]:
        """An input stream on ``device``."""
        raise NotImplementedError

    def settings(self, blocksize: int | None) -> dict[str, Any]:
        """The stream arguments this library gets for ``blocksize`` (for the report)."""
        return {"blocksize": blocksize}


def _attr_frames(values: list[int], frame_bytes: int) -> dict[str, int]:
    keys = ("maxlength", "tlength", "prebuf", "minreq", "fragsize")
    pairs = zip(keys, values, strict=True)
    return {k: (-1 if v == UINT32_MAX else int(v) // frame_bytes) for k, v in pairs}


def _check_channels(device: str, has: int, wanted: int) -> None:
    if has != wanted:
        raise ValueError(f"{device!r} has {has} channels, the measurement wants {wanted}")


# ---------------------------------------------------------------------- scgui.audio


class _ScguiPlayer(PlayerAdapter):
    def __init__(self, player: Any) -> None:
        self._player = player

    def write(self, frames: Any) -> None:
        self._player.play(frames)

    def drain(self) -> None:
        self._player.wait()

    def reported_latency(self) -> float | None:
        return float(self._player.latency)

    def underruns(self) -> int | None:
        return int(self._player.underruns)

    def buffer_attr(self) -> dict[str, int] | None:
        return _scgui_buffer_attr(self._player)


class _ScguiRecorder(RecorderAdapter):
    def __init__(self, recorder: Any) -> None:
        self._recorder = recorder

    def read(self, frames: int) -> Any:
        return self._recorder.record(frames)

    def reported_latency(self) -> float | None:
        return float(self._recorder.latency)

    def overflows(self) -> int | None:
        return int(self._recorder.overflows)

    def buffer_attr(self) -> dict[str, int] | None:
        return _scgui_buffer_attr(self._recorder)


def _scgui_buffer_attr(handle: Any) -> dict[str, int] | None:
    """Best effort, through scgui's internals (diagnostics only; they may change)."""
    try:
        backend_stream = handle._stream
        lib = backend_stream._lib
        with backend_stream._connection.locked():
            attr = lib.pa_stream_get_buffer_attr(backend_stream._core.stream)
            values = [attr.maxlength, attr.tlength, attr.prebuf, attr.minreq, attr.fragsize]
        return _attr_frames(values, 4 * handle.channels)
    except Exception:
        return None


class ScguiPeer(Peer):
    """scgui.audio."""

    name = "scgui"

    def __init__(self) -> None:
        import scgui.audio

        self.lib: Any = scgui.audio

    def list_speakers(self) -> list[str]:
        return [s.name for s in self.lib.all_speakers()]

    @contextlib.contextmanager
    def player(
        self, device: str, samplerate: int, channels: int, blocksize: int | None
    ) -> Iterator[PlayerAdapter]:
        speaker = self.lib.get_speaker(device)
        _check_channels(device, speaker.channels, channels)
        player = speaker.player(samplerate, blocksize=blocksize)
        player.__enter__()
        try:
            yield _ScguiPlayer(player)
        finally:
            player.close()  # no drain: the measurement drains where it wants to

    @contextlib.contextmanager
    def recorder(
        self, device: str, samplerate: int, channels: int, blocksize: int | None
    ) -> Iterator[RecorderAdapter]:
        microphone = self.lib.get_microphone(device, include_loopback=True)
        _check_channels(device, microphone.channels, channels)
        with microphone.recorder(samplerate, blocksize=blocksize) as recorder:
            yield _ScguiRecorder(recorder)


# ---------------------------------------------------------------------- soundcard


class _SoundcardPlayer(PlayerAdapter):
    def __init__(self, player: Any) -> None:
        self._player = player

    def write(self, frames: Any) -> None:
        self._player.play(frames)

    def drain(self) -> None:
        # soundcard drains only when the player's block ends; this is the call it makes there.
        from soundcard.pulseaudio import _ffi, _pulse

        _pulse._pa_stream_drain(self._player.stream, _ffi.NULL, _ffi.NULL)

    def reported_latency(self) -> float | None:
        return float(self._player.latency)

    def buffer_attr(self) -> dict[str, int] | None:
        return _soundcard_buffer_attr(self._player)


class _SoundcardRecorder(RecorderAdapter):
    def __init__(self, recorder: Any) -> None:
        self._recorder = recorder

    def read(self, frames: int) -> Any:
        return self._recorder.record(frames)

    def reported_latency(self) -> float | None:
        return float(self._recorder.latency)

    def buffer_attr(self) -> dict[str, int] | None:
        return _soundcard_buffer_attr(self._recorder)


def _soundcard_buffer_attr(stream: Any) -> dict[str, int] | None:
    """Best effort, through soundcard's internals (diagnostics only)."""
    try:
        from soundcard.pulseaudio import _pa, _pulse

        with _pulse._lock_mainloop():
            attr = _pa.pa_stream_get_buffer_attr(stream.stream)
            values = [attr.maxlength, attr.tlength, attr.prebuf, attr.minreq, attr.fragsize]
        return _attr_frames(values, 4 * int(stream.channels))
    except Exception:
        return None


class SoundcardPeer(Peer):
    """The PyPI ``soundcard`` package (it connects to the server when imported)."""

    name = "soundcard"

    def __init__(self) -> None:
        import soundcard

        self.lib: Any = soundcard

    def list_speakers(self) -> list[str]:
        return [s.name for s in self.lib.all_speakers()]

    @contextlib.contextmanager
    def player(
        self, device: str, samplerate: int, channels: int, blocksize: int | None
    ) -> Iterator[PlayerAdapter]:
        speaker = self.lib.get_speaker(device)
        _check_channels(device, speaker.channels, channels)
        player = speaker.player(samplerate, blocksize=blocksize)
        player.__enter__()
        try:
            yield _SoundcardPlayer(player)
        finally:
            player.__exit__(None, None, None)  # soundcard always drains here

    @contextlib.contextmanager
    def recorder(
        self, device: str, samplerate: int, channels: int, blocksize: int | None
    ) -> Iterator[RecorderAdapter]:
        microphone = self.lib.get_microphone(device, include_loopback=True)
        _check_channels(device, microphone.channels, channels)
        with microphone.recorder(samplerate, blocksize=blocksize) as recorder:
            yield _SoundcardRecorder(recorder)


# ---------------------------------------------------------------------- sounddevice


class _SounddevicePlayer(PlayerAdapter):
    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._underflows = 0

    def write(self, frames: Any) -> None:
        if self._stream.stopped:  # after drain(): writing goes on from a restarted stream
            self._stream.start()
        if self._stream.write(frames):
            self._underflows += 1

    def drain(self) -> None:
        self._stream.stop()  # Pa_StopStream: returns once the queued audio has played

    def reported_latency(self) -> float | None:
        return float(self._stream.latency)

    def underruns(self) -> int | None:
        return self._underflows


class _SounddeviceRecorder(RecorderAdapter):
    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._overflows = 0

    def read(self, frames: int) -> Any:
        data, overflowed = self._stream.read(frames)
        if overflowed:
            self._overflows += 1
        return data

    def reported_latency(self) -> float | None:
        return float(self._stream.latency)

    def overflows(self) -> int | None:
        return self._overflows


class SounddevicePeer(Peer):
    """sounddevice (PortAudio, ALSA host API, ALSA's pulse plugin).

    ``sink`` and ``source`` are where ALSA's ``default`` device lands (``PULSE_SINK`` and
    ``PULSE_SOURCE``, set here before sounddevice is imported): the only devices this peer
    can open.
    """

    name = "sounddevice"

    def __init__(self, sink: str, source: str, alsa_config: str | Path) -> None:
        if "sounddevice" in sys.modules:
            raise RuntimeError("sounddevice was imported before its environment was set")
        os.environ.update(sounddevice_env(alsa_config, sink, source))
        import sounddevice

        self.lib: Any = sounddevice
        self.sink, self.source = sink, source
        self.device = self._find_device()

    def _find_device(self) -> int:
        alsa = [i for i, api in enumerate(self.lib.query_hostapis()) if "ALSA" in str(api["name"])]
        for index, info in enumerate(self.lib.query_devices()):
            if info["name"] == SOUNDDEVICE_DEVICE and (not alsa or info["hostapi"] in alsa):
                return index
        raise RuntimeError(
            f"PortAudio lists no ALSA device {SOUNDDEVICE_DEVICE!r}: is libasound2-plugins "
            "(ALSA's pulse plugin) installed?"
        )

    def list_speakers(self) -> list[str]:
        return [d["name"] for d in self.lib.query_devices() if d["max_output_channels"] > 0]

    def settings(self, blocksize: int | None) -> dict[str, Any]:
        if blocksize is None:
            return {"blocksize": 0, "latency": SOUNDDEVICE_DEFAULT_LATENCY}
        return {"blocksize": blocksize, "latency": SOUNDDEVICE_BLOCK_LATENCY}

    def _stream_args(self, samplerate: int, channels: int, blocksize: int | None) -> dict[str, Any]:
        return {
            "device": self.device,
            "samplerate": samplerate,
            "channels": channels,
            "dtype": "float32",
            **self.settings(blocksize),
        }

    @contextlib.contextmanager
    def player(
        self, device: str, samplerate: int, channels: int, blocksize: int | None
    ) -> Iterator[PlayerAdapter]:
        if device != self.sink:
            raise ValueError(f"this sounddevice process plays on {self.sink!r}, not {device!r}")
        args = self._stream_args(samplerate, channels, blocksize)
        with self.lib.OutputStream(**args) as stream:
            yield _SounddevicePlayer(stream)

    @contextlib.contextmanager
    def recorder(
        self, device: str, samplerate: int, channels: int, blocksize: int | None
    ) -> Iterator[RecorderAdapter]:
        if device != self.source:
            raise ValueError(
                f"this sounddevice process records from {self.source!r}, not {device!r}"
            )
        args = self._stream_args(samplerate, channels, blocksize)
        with self.lib.InputStream(**args) as stream:
            yield _SounddeviceRecorder(stream)


def open_peer(name: str, spec: dict[str, Any]) -> Peer:
    """Load library ``name`` in this process.

    ``spec`` needs, for sounddevice only: ``speaker`` and ``loopback`` (the sink and source
    ALSA's default is to land on) and ``alsa_config`` (a file with :data:`ALSA_PULSE_CONFIG`).
    """
    if name == "scgui":
        return ScguiPeer()
    if name == "soundcard":
        return SoundcardPeer()
    if name == "sounddevice":
        return SounddevicePeer(spec["speaker"], spec["loopback"], spec["alsa_config"])
    if name == FLOOR:
        from libpulse_simple_peer import LibpulseSimplePeer

        return LibpulseSimplePeer()
    if name == DRIVEN:
        from driven_mainloop_peer import DrivenMainloopPeer

        return DrivenMainloopPeer()
    raise ValueError(f"unknown library {name!r}; choose from {', '.join(MEASURED)}")
