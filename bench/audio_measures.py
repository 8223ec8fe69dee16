"""The measurements of ``bench_audio.py``, run in its child processes (one library each).

Every ``measure_*`` function takes the child's :class:`peer_libraries.Peer` and a spec (a
JSON-able dict made by the parent) and returns a JSON-able dict. numpy is imported here, so
the parent never loads it. See ``bench/README.md`` for what each figure means.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from peer_libraries import Peer, PlayerAdapter, RecorderAdapter, pactl

_log = logging.getLogger(__name__)

CLICK_FRAMES = 48
CLICK_THRESHOLD = 0.1
COUNTER_MODULUS = 65536
"""The played counter is ``(n % COUNTER_MODULUS) / COUNTER_MODULUS``: exact in float32."""


# ====================================================================== small helpers


def make_click() -> np.ndarray:
    """A 48-frame burst of fixed pseudo-random signs (+-0.5): one sharp correlation peak."""
    rng = np.random.default_rng(20240607)
    return (0.5 * rng.choice([-1.0, 1.0], CLICK_FRAMES)).astype(np.float32)


def find_onset(recording: np.ndarray, click: np.ndarray) -> tuple[int | None, float]:
    """Frame where ``click`` starts in ``recording`` (cross-correlation peak) and its score.

    The score is the peak over the click's own energy: 1.0 for a bit-exact copy. Below 0.5
    the click is taken as not found (None).
    """
    mono = np.asarray(recording, dtype=np.float64).mean(axis=1)
    if len(mono) < len(click):
        return None, 0.0
    corr = np.correlate(mono, click.astype(np.float64), mode="valid")
    peak = int(np.argmax(corr))
    score = float(corr[peak] / np.dot(click, click))
    return (peak if score >= 0.5 else None), score


def thread_cpu_ticks() -> dict[str, int]:
    """CPU clock ticks (user + system) per thread of this process, keyed "tid:name" (Linux)."""
    ticks: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for tid in os.listdir("/proc/self/task"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = Path(f"/proc/self/task/{tid}/stat").read_text()
                fields = stat[stat.rindex(")") + 2 :].split()
                comm = stat[stat.index("(") + 1 : stat.rindex(")")]
                ticks[f"{tid}:{comm}"] = int(fields[11]) + int(fields[12])
    return ticks


def per_thread_seconds(before: dict[str, int], after: dict[str, int]) -> dict[str, float]:
    """CPU seconds per thread between two :func:`thread_cpu_ticks` readings (busy ones)."""
    hz = os.sysconf("SC_CLK_TCK")
    return {
        key: round((after[key] - before.get(key, 0)) / hz, 3)
        for key in after
        if after[key] - before.get(key, 0) > 0
    }


def memory_mib() -> dict[str, float | None]:
    """This process's resident set now and at its peak (VmRSS, VmHWM), MiB."""
    values: dict[str, float | None] = {"rss_mib": None, "hwm_mib": None}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                kib = float(rest.split()[0])
                values["rss_mib" if key == "VmRSS" else "hwm_mib"] = round(kib / 1024.0, 1)
    return values


def _pactl_json(*args: str) -> Any:
    return json.loads(pactl("-f", "json", *args))


def check_placement(expected: dict[str, str]) -> dict[str, Any]:
    """Check that this process's streams sit on the intended devices (``pactl``).

    ``expected`` maps ``"sink-inputs"`` / ``"source-outputs"`` to a device name. The streams
    of this process are those whose ``application.process.id`` is its pid. ``ok`` is False
    when one of them is elsewhere, none is found, or pactl fails.
    """
    pid = str(os.getpid())
    found: dict[str, list[str]] = {}
    problems: list[str] = []
    for kind, device in expected.items():
        devices_kind, key = ("sinks", "sink") if kind == "sink-inputs" else ("sources", "source")
        try:
            names = {d["index"]: d["name"] for d in _pactl_json("list", "short", devices_kind)}
            streams = _pactl_json("list", kind)
        except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
            problems.append(f"{kind}: {exc}")
            continue
        mine = [s for s in streams if s.get("properties", {}).get("application.process.id") == pid]
        on = [str(names.get(s.get(key), f"#{s.get(key)}")) for s in mine]
        found[kind] = on
        if not on:
            problems.append(f"no {kind[:-1]} of pid {pid}")
        problems.extend(f"{kind[:-1]} on {name}, not {device}" for name in on if name != device)
    return {"ok": not problems, "expected": expected, "found": found, "problems": problems}


def _spread(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"median": None, "min": None, "max": None}
    return {"median": float(np.median(values)), "min": min(values), "max": max(values)}


# ====================================================================== CPU figures


class _CpuClock:
    """Process CPU and wall time at segment marks, and per-thread CPU over the whole take."""

    def __init__(self, samplerate: int) -> None:
        self.samplerate = samplerate
        self.marks: list[tuple[float, float, int]] = []
        self._ticks: dict[str, int] = {}
        self.threads: dict[str, float] = {}

    def start(self) -> None:
        self._ticks = thread_cpu_ticks()
        self.mark(0)

    def mark(self, frames: int) -> None:
        self.marks.append((time.process_time(), time.perf_counter(), frames))

    def stop(self, frames: int) -> None:
        self.mark(frames)
        self.threads = per_thread_seconds(self._ticks, thread_cpu_ticks())

    def result(self) -> dict[str, Any]:
        """CPU s per audio s: over the whole take and per segment (median [min..max])."""
        (cpu0, wall0, f0), (cpu1, wall1, f1) = self.marks[0], self.marks[-1]
        per_segment = [
            (c1 - c0) / ((n1 - n0) / self.samplerate)
            for (c0, _w0, n0), (c1, _w1, n1) in zip(self.marks, self.marks[1:], strict=False)
            if n1 > n0
        ]
        audio = (f1 - f0) / self.samplerate
        return {
            "cpu_seconds": cpu1 - cpu0,
            "wall_seconds": wall1 - wall0,
            "audio_seconds": audio,
            "cpu_per_audio_s": (cpu1 - cpu0) / audio if audio else None,
            "segments": [round(v, 5) for v in per_segment],
            **{f"segment_{k}": v for k, v in _spread(per_segment).items()},
            "per_thread_cpu_seconds": self.threads,
        }


def measure_cpu_record(peer: Peer, spec: dict[str, Any]) -> dict[str, Any]:
    """CPU to record ``seconds`` from ``loopback`` in ``read_frames`` reads, default settings.

    Before the clock starts the stream runs, its placement is checked and what queued up
    meanwhile is read away. The take is cut into segments of ``segment_seconds``.
    """
    rate, read_frames = spec["samplerate"], spec["read_frames"]
    device, channels = spec["loopback"], spec["channels"]
    wanted = round(spec["seconds"] * rate)
    segment = max(read_frames, round(spec["segment_seconds"] * rate))
    clock = _CpuClock(rate)
    with peer.recorder(device, rate, channels, None) as recorder:
        recorder.read(read_frames)
        placement = check_placement({"source-outputs": device})
        for _ in range(max(1, round(0.2 * rate / read_frames))):
            recorder.read(read_frames)
        clock.start()
        got, next_mark = 0, segment
        while got < wanted:
            block = recorder.read(read_frames)
            got += len(block)
            if got >= next_mark:
                clock.mark(got)
                next_mark += segment
        clock.stop(got)
        memory = memory_mib()
        reported = recorder.reported_latency()
        overflows = recorder.overflows()
        attr = recorder.buffer_attr()
    if block.shape[1] != channels:
        raise RuntimeError(f"recorded {block.shape[1]} channels, not {channels}")
    return {
        **clock.result(),
        "frames": got,
        "placement": placement,
        **memory,
        "reported_latency_s": reported,
        "overflows": overflows,
        "buffer_attr_frames": attr,
        "settings": peer.settings(None),
    }


def measure_cpu_play(peer: Peer, spec: dict[str, Any]) -> dict[str, Any]:
    """CPU to play ``seconds`` of a tone on ``speaker`` in ``write_frames`` writes, defaults.

    The clock runs from just before the first write on the newly opened stream until the
    drain returns (all of it played). Then 0.2 s more is written and the placement checked.
    """
    rate, write_frames = spec["samplerate"], spec["write_frames"]
    device, channels = spec["speaker"], spec["channels"]
    frames = round(spec["seconds"] * rate)
    segment = max(write_frames, round(spec["segment_seconds"] * rate))
    t = np.arange(frames + rate, dtype=np.float64) / rate
    tone = (0.25 * np.sin(2 * np.pi * 441.0 * t)).astype(np.float32)
    signal = np.ascontiguousarray(np.repeat(tone[:, np.newaxis], channels, axis=1))
    extra = signal[frames:]  # the extra second: played after the take
    clock = _CpuClock(rate)
    with peer.player(device, rate, channels, None) as player:
        clock.start()
        next_mark = segment
        for start in range(0, frames, write_frames):
            player.write(signal[start : min(frames, start + write_frames)])
            done = min(frames, start + write_frames)
            if done >= next_mark and done < frames:
                clock.mark(done)
                next_mark += segment
        reported = player.reported_latency()
        player.drain()
        clock.stop(frames)
        memory = memory_mib()
        underruns = player.underruns()
        attr = player.buffer_attr()
        for start in range(0, round(0.2 * rate), write_frames):  # so that the stream runs
            player.write(extra[start : start + write_frames])
        placement = check_placement({"sink-inputs": device})
    return {
        **clock.result(),
        "placement": placement,
        **memory,
        "reported_latency_s": reported,
        "underruns_reported": underruns,
        "buffer_attr_frames": attr,
        "settings": peer.settings(None),
    }


# ====================================================================== underruns


def counter_signal(frames: int) -> np.ndarray:
    """Stereo sample counter: ``k/M`` on channel 0 and ``1 - k/M`` on 1, ``k = n % M``.

    Both are exact in float32 and never both zero, so silence and a jump are unambiguous.
    """
    k = np.arange(frames, dtype=np.int64) % COUNTER_MODULUS
    ch0 = (k / COUNTER_MODULUS).astype(np.float32)
    return np.ascontiguousarray(np.stack([ch0, np.float32(1.0) - ch0], axis=1))


def count_gaps(recording: np.ndarray, played: int, samplerate: int) -> dict[str, Any]:
    """Where the recorded counter does not advance by exactly 1.

    Leading and trailing silence is ignored. Each silent run in between, and each jump of the
    counter between adjacent frames, is one gap. Also: the silent frames inside gaps, the
    counter values never recorded inside gaps, frames that are neither silence nor counter,
    and whether the first and last played frames were recorded.
    """
    active = np.any(recording != 0, axis=1)
    where = np.flatnonzero(active)
    if where.size == 0:
        return {"gaps": None, "error": "the counter was not recorded at all"}
    first, last = int(where[0]), int(where[-1])
    part = recording[first : last + 1]
    act = active[first : last + 1]
    values = np.rint(part[:, 0].astype(np.float64) * COUNTER_MODULUS).astype(np.int64)
    exact = (part[:, 0] + part[:, 1] == np.float32(1.0)) & (values < COUNTER_MODULUS)
    positions = np.flatnonzero(act)
    step_pos = np.diff(positions)
    step_val = np.diff(values[positions]) % COUNTER_MODULUS
    bad = (step_pos != 1) | (step_val != 1)
    where_bad = np.flatnonzero(bad)
    return {
        "gaps": int(np.count_nonzero(bad)),
        "silent_runs": int(np.count_nonzero(step_pos != 1)),
        "jumps_without_silence": int(np.count_nonzero((step_pos == 1) & (step_val != 1))),
        "silent_frames_in_gaps": int(np.sum(step_pos[bad] - 1)),
        "counter_frames_skipped": int(np.sum((step_val[bad] - 1) % COUNTER_MODULUS)),
        "not_counter_frames": int(np.count_nonzero(act & ~exact)),
        "recorded_frames": int(positions.size),
        "played_frames": played,
        "first_value": int(values[0]),
        "last_value": int(values[positions[-1]]),
        "last_expected": (played - 1) % COUNTER_MODULUS,
        # the first gaps: seconds after the first recorded frame, and silent frames
        "gap_at_s": [round(float(positions[i]) / samplerate, 4) for i in where_bad[:20]],
        "gap_silent_frames": [int(step_pos[i] - 1) for i in where_bad[:20]],
    }


@contextlib.contextmanager
def pacat_recorder(
    source: str, samplerate: int, channels: int, path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """``pacat --record`` of ``source`` into ``path`` (raw float32), running once data flows."""
    cmd = [
        "pacat",
        "--record",
        "--raw",
        "--format=float32le",
        f"--channels={channels}",
        f"--rate={samplerate}",
        "-d",
        source,
        "--latency-msec=20",
        "--client-name=bench-gap-recorder",
    ]
    with path.open("wb") as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out)
    try:
        deadline = time.monotonic() + 5.0
        while path.stat().st_size == 0:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pacat --record did not start (exit {proc.poll()})")
            time.sleep(0.01)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


#: Frames per write where the player runs at the library's default block size.
DEFAULT_WRITE_FRAMES = 1024


def measure_underruns(peer: Peer, spec: dict[str, Any]) -> dict[str, Any]:
    """Play the counter at ``blocksize`` as fast as the player takes it; count the gaps.

    ``pacat`` (another process, started first) records the sink's monitor. After the last
    write the player's reported latency is read, its placement checked, and it is drained.
    """
    rate, blocksize, channels = spec["samplerate"], spec["blocksize"], spec["channels"]
    device, monitor = spec["speaker"], spec["loopback"]
    frames = round(spec["seconds"] * rate)
    signal = counter_signal(frames)
    path = Path(spec["scratch_dir"]) / f"gaps-{os.getpid()}.raw"
    try:
        with pacat_recorder(monitor, rate, channels, path):
            with peer.player(device, rate, channels, blocksize) as player:
                started = time.perf_counter()
                step = blocksize or DEFAULT_WRITE_FRAMES  # the defaults: 1024-frame writes
                for start in range(0, frames, step):
                    player.write(signal[start : start + step])
                write_seconds = time.perf_counter() - started
                reported = player.reported_latency()
                placement = check_placement({"sink-inputs": device})
                player.drain()
                underruns = player.underruns()
                attr = player.buffer_attr()
            time.sleep(0.3)  # what is still on its way to pacat
        recording = np.fromfile(path, dtype=np.float32)
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
    recording = recording[: len(recording) // channels * channels].reshape(-1, channels)
    return {
        **count_gaps(recording, frames, rate),
        "write_seconds": write_seconds,
        "reported_latency_s": reported,
        "underruns_reported": underruns,
        "placement": placement,
        "buffer_attr_frames": attr,
        "settings": peer.settings(blocksize),
    }


# ====================================================================== streaming latency


class _ClickRecorder:
    """Reads the recorder on a thread; notes each block's return time and the click onsets.

    An onset is the first frame above :data:`CLICK_THRESHOLD` at least ``min_gap`` frames
    after the previous onset (the rest of the stream is digital silence).
    """

    def __init__(self, recorder: RecorderAdapter, read_frames: int, min_gap: int) -> None:
        self._recorder, self._read_frames, self._min_gap = recorder, read_frames, min_gap
        self.onsets: list[tuple[int, float]] = []  # (frame in the recording, block returned)
        self.frames = 0
        self.reads = 0
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-recorder", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float) -> None:
        self._stop.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError("the recorder thread did not stop")
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        last = -(1 << 60)
        try:
            while not self._stop.is_set():
                block = self._recorder.read(self._read_frames)
                returned = time.perf_counter()
                loud = np.flatnonzero(np.abs(block).max(axis=1) > CLICK_THRESHOLD)
                if loud.size and self.frames + int(loud[0]) - last >= self._min_gap:
                    last = self.frames + int(loud[0])
                    self.onsets.append((last, returned))
                self.frames += len(block)
                self.reads += 1
        except BaseException as exc:
            self.error = exc


def measure_latency(peer: Peer, spec: dict[str, Any]) -> dict[str, Any]:
    """Streaming latency: a player kept fed, a click every ``interval`` s, a recorder.

    Player and recorder run at ``blocksize`` (None: the library's defaults) in this process.
    The player gets blocks of ``write_frames`` frames back to back: silence, or the click at
    the start of a block. The first click goes out once ``warmup_seconds`` have passed and as
    much audio was written, so the player's queue is as full as it gets. The recorder is read
    on a thread in ``read_frames`` reads. The latency of a click is the time the recorder
    returned the block holding its onset minus the time just before the click's block was
    handed to the player. Onsets are matched to clicks by their spacing in the recording,
    which is exact unless frames were lost or silence was inserted (underruns) before them:
    such "shifted" onsets still count if they are less than a quarter interval off; a click
    without an onset counts as lost.
    """
    rate, blocksize, channels = spec["samplerate"], spec["blocksize"], spec["channels"]
    device, monitor = spec["speaker"], spec["loopback"]
    write_frames, read_frames, clicks = spec["write_frames"], spec["read_frames"], spec["clicks"]
    every = max(1, round(spec["interval_seconds"] * rate / write_frames))
    warm_blocks = max(1, round(spec["warmup_seconds"] * rate / write_frames))
    spacing = every * write_frames
    silence = np.zeros((write_frames, channels), np.float32)
    with_click = silence.copy()
    with_click[:CLICK_FRAMES] = make_click()[:, np.newaxis]
    handed: list[float] = []
    with peer.recorder(monitor, rate, channels, blocksize) as recorder:
        listener = _ClickRecorder(recorder, read_frames, spacing // 2)
        listener.start()
        try:
            with peer.player(device, rate, channels, blocksize) as player:
                block, deadline, placement, first_click = 0, math.inf, None, -1
                warm_until = time.perf_counter() + spec["warmup_seconds"]
                while (
                    len(listener.onsets) < clicks
                    and time.perf_counter() < deadline
                    and listener.error is None
                ):
                    if (
                        first_click < 0
                        and block >= warm_blocks
                        and time.perf_counter() > warm_until
                    ):
                        first_click = block
                    due = first_click >= 0 and (block - first_click) % every == 0
                    if due and len(handed) < clicks:
                        handed.append(time.perf_counter())
                        player.write(with_click)
                        if len(handed) == clicks:
                            deadline = time.perf_counter() + spec["max_wait_seconds"]
                    else:
                        player.write(silence)
                    block += 1
                    if block == 1:  # both streams are open and the player has data
                        placement = check_placement(
                            {"sink-inputs": device, "source-outputs": monitor}
                        )
                reported_player = player.reported_latency()
                attr_player = player.buffer_attr()
                underruns = player.underruns()
        finally:
            listener.stop(timeout=10.0)
        reported_recorder = recorder.reported_latency()
        attr_recorder = recorder.buffer_attr()
        overflows = recorder.overflows()
    latencies: list[float] = []
    unmatched = shifted = 0
    if listener.onsets:
        first = listener.onsets[0][0]
        for frame, returned in listener.onsets:
            index = round((frame - first) / spacing)
            offset = frame - first - index * spacing
            if abs(offset) > spacing // 4 or index >= len(handed):
                unmatched += 1
                continue
            shifted += offset != 0  # frames were lost or silence inserted before it
            latencies.append(1000.0 * (returned - handed[index]))
    return {
        "latencies_ms": [round(v, 3) for v in latencies],
        "found": len(latencies),
        "clicks": len(handed),
        "unmatched_onsets": unmatched,
        "shifted_onsets": shifted,
        **{f"{k}_ms": v for k, v in _spread(latencies).items()},
        "reads": listener.reads,
        "reported_latency_s": {"player": reported_player, "recorder": reported_recorder},
        "buffer_attr_frames": {"player": attr_player, "recorder": attr_recorder},
        "underruns_reported": underruns,
        "overflows_reported": overflows,
        "placement": placement,
        "settings": peer.settings(blocksize),
        "write_frames": write_frames,
        "read_frames": read_frames,
    }


# ====================================================================== round trip
# (scgui and soundcard only: it plays, then records, on one thread, which needs a recorder
# that keeps what arrives while play() blocks; sounddevice's ALSA recorder overflows there)


def _read_available(name: str, recorder: Any) -> Any:
    """Everything the recorder can return right now, without waiting for more."""
    if name == "scgui":
        # record(None) returns every frame received so far; when there is none it waits for
        # the next fragment (bounded). Either way nothing stays behind in the recorder.
        return recorder.record(None)
    # soundcard: record(None) returns the frames it buffered plus exactly one fragment from
    # the server, and *blocks* until a fragment is ready. So: take what it buffered (flush),
    # then read fragments only while the server says some are readable.
    from soundcard.pulseaudio import _pulse

    parts = [recorder.flush()]
    deadline = time.monotonic() + 5.0
    while _pulse._pa_stream_readable_size(recorder.stream) > 0:
        parts.append(recorder.record(None))
        if time.monotonic() > deadline:
            raise RuntimeError("the soundcard recorder never ran dry")
    return np.concatenate(parts)


def measure_round_trip(peer: Peer, spec: dict[str, Any]) -> dict[str, Any]:
    """Play a click plus silence, record it back, find it: round trip from a drained start."""
    name, lib = peer.name, getattr(peer, "lib", None)
    if name not in ("scgui", "soundcard") or lib is None:
        raise ValueError(f"the round trip is measured for scgui and soundcard, not {name}")
    rate, blocksize, reps = spec["samplerate"], spec["blocksize"], spec["reps"]
    speaker = lib.get_speaker(spec["speaker"])
    microphone = lib.get_microphone(spec["loopback"], include_loopback=True)
    channels = speaker.channels
    click = make_click()
    signal = np.zeros((CLICK_FRAMES + round(spec["tail_seconds"] * rate), channels), np.float32)
    signal[:CLICK_FRAMES] = click[:, np.newaxis]
    # Long enough to hold the slowest round trip expected, and the whole played signal: when
    # it has been recorded, the player's queue is empty again for the next repetition.
    window = len(signal) + round(spec["max_latency"] * rate)
    results: list[dict[str, Any]] = []
    with (
        microphone.recorder(rate, blocksize=blocksize) as recorder,
        speaker.player(rate, blocksize=blocksize) as player,
    ):
        # Warm-up: discard 0.3 s, then one unmeasured repetition with silence, so every
        # measured repetition starts from the same state (streams running, player queue empty).
        recorder.record(round(0.3 * rate))
        _read_available(name, recorder)
        player.play(np.zeros_like(signal))
        recorder.record(window)
        for _ in range(reps):
            drained = len(_read_available(name, recorder))
            start = time.perf_counter()
            player.play(signal)
            play_seconds = time.perf_counter() - start
            recording = recorder.record(window)
            onset, score = find_onset(recording, click)
            results.append(
                {
                    "onset_frames": onset,
                    "round_trip_ms": None if onset is None else 1000.0 * onset / rate,
                    "score": round(score, 4),
                    "drained_frames": drained,
                    "play_call_ms": round(1000.0 * play_seconds, 3),
                }
            )
    found = [r["round_trip_ms"] for r in results if r["round_trip_ms"] is not None]
    return {
        "reps": results,
        "found": len(found),
        "clicks": len(results),
        **{f"{k}_ms": v for k, v in _spread(found).items()},
    }


MEASUREMENTS: dict[str, Callable[[Peer, dict[str, Any]], dict[str, Any]]] = {
    "cpu_record": measure_cpu_record,
    "cpu_play": measure_cpu_play,
    "underruns": measure_underruns,
    "latency": measure_latency,
    "round_trip": measure_round_trip,
}
"""The measurements a child can run, by kind."""


__all__ = [
    "MEASUREMENTS",
    "PlayerAdapter",
    "check_placement",
    "count_gaps",
    "counter_signal",
]
