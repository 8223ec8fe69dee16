#!/usr/bin/env python3
"""Benchmark scgui.audio against the ``soundcard`` package on the same virtual rig.

Measured, for both libraries in the same run and on the same PulseAudio server:

1. Round trip: a 48-frame click is played on the speaker ``scarlett`` and found again, by
   cross-correlation, in what its loopback (``scarlett.monitor``) recorded; the round trip
   is the click's position in the recording, counted from the first frame recorded after the
   recorder was drained, divided by the sample rate. Done at blocksize 256 and at the default
   settings (``blocksize=None``), 48 kHz stereo.
2. CPU: process CPU seconds (``time.process_time()``, all threads of the process, so the
   library's own audio thread counts) to record 10 s of 48 kHz stereo from the loopback in
   1024-frame reads at the default settings, while the bench plays nothing.

Every measurement runs in a child process of its own (``python bench_audio.py _worker ...``):
only one library is loaded there, so the CPU figure holds nothing of the other library's
threads, ``soundcard`` is imported only after the rig's environment is in place (it connects
at import), and a measurement that hangs is killed after its timeout.

Run ``.venv/bin/python bench/bench_audio.py --help`` for the options; see ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if importlib.util.find_spec("scgui") is None:  # run from a checkout without an install
    sys.path.insert(0, str(REPO_ROOT))

SAMPLERATE = 48000
CLICK_FRAMES = 48
LIBRARIES = ("scgui", "soundcard")
LIB_TITLES = {"scgui": "scgui.audio", "soundcard": "soundcard"}
_MODULES = {"scgui": "scgui.audio", "soundcard": "soundcard"}
WORKER_COMMAND = "_worker"
MISSING_SOUNDCARD = (
    "the 'soundcard' package is not installed: run  pip install '.[bench]'  in the repository "
    "root (inside the venv: .venv/bin/pip install '.[bench]'), or pass --libs scgui"
)

# Silence played after the click, in seconds, by blocksize setting. soundcard's player does
# not start until its buffer holds "prebuf" bytes (it asks the server for the default, about
# the whole target length): 192 of its 256-frame target at blocksize 256, about 1.93 s at the
# default settings. A lone 48-frame click would sit in that buffer and never play, so both
# libraries play the same click followed by this much silence (scgui starts at once anyway).
TAIL_SECONDS = {"256": 0.1, "default": 2.1}
# --streaming: silence played (and recorded) after the click block, by setting. Longer than the
# longest queue expected (soundcard's default player queues about 1.95 s).
STREAM_WINDOW_SECONDS = {"256": 0.5, "default": 2.5}
STREAM_FEED_FRAMES = {"256": 256, "default": 1024}


# ====================================================================== the measurements
# (run in the child process; numpy and the library are imported only there)


def _load_library(name: str) -> Any:
    if name == "scgui":
        import scgui.audio as lib
    elif name == "soundcard":
        import soundcard as lib
    else:
        raise ValueError(f"unknown library {name!r}")
    return lib


def _library_version(name: str) -> str | None:
    from importlib import metadata

    with contextlib.suppress(metadata.PackageNotFoundError):
        return metadata.version("scgui" if name == "scgui" else "soundcard")
    return None


def _read_available(name: str, recorder: Any) -> Any:
    """Everything the recorder can return right now, without waiting (maybe 0 frames)."""
    if name == "scgui":
        # record(None) returns at once with every frame received so far (possibly none).
        return recorder.record(None)
    # soundcard: record(None) returns the frames it buffered plus exactly one fragment from
    # the server, and *blocks* until a fragment is ready. So: take what it buffered (flush),
    # then read fragments only while the server says some are readable.
    import numpy as np
    from soundcard.pulseaudio import _pulse

    parts = [recorder.flush()]
    deadline = time.monotonic() + 5.0
    while _pulse._pa_stream_readable_size(recorder.stream) > 0:
        parts.append(recorder.record(None))
        if time.monotonic() > deadline:
            raise RuntimeError("the soundcard recorder never ran dry")
    return np.concatenate(parts)


def _drain(name: str, recorder: Any) -> int:
    """Discard everything the recorder could return right now; return how many frames."""
    return len(_read_available(name, recorder))


def _buffer_attr(name: str, stream: Any, frame_bytes: int) -> dict[str, int] | None:
    """The server's buffer attributes of an open player/recorder, in frames (best effort).

    Uses each library's internals: diagnostics only, never needed for the figures.
    """
    try:
        if name == "scgui":
            backend_stream = stream._stream
            lib = backend_stream._lib
            with backend_stream._connection.locked():
                attr = lib.pa_stream_get_buffer_attr(backend_stream._stream)
                values = [attr.maxlength, attr.tlength, attr.prebuf, attr.minreq, attr.fragsize]
        else:
            from soundcard.pulseaudio import _pa, _pulse

            with _pulse._lock_mainloop():
                attr = _pa.pa_stream_get_buffer_attr(stream.stream)
                values = [attr.maxlength, attr.tlength, attr.prebuf, attr.minreq, attr.fragsize]
    except Exception:
        return None
    keys = ("maxlength", "tlength", "prebuf", "minreq", "fragsize")
    # (uint32_t)-1 means "server default / not used"
    pairs = zip(keys, values, strict=True)
    return {k: (-1 if v == 0xFFFFFFFF else int(v) // frame_bytes) for k, v in pairs}


def make_click() -> Any:
    """A 48-frame burst of fixed pseudo-random signs: one sharp cross-correlation peak."""
    import numpy as np

    rng = np.random.default_rng(20240607)
    return (0.5 * rng.choice([-1.0, 1.0], CLICK_FRAMES)).astype(np.float32)


def find_onset(recording: Any, click: Any) -> tuple[int | None, float]:
    """Frame where ``click`` starts in ``recording`` (cross-correlation peak) and its score.

    The score is the peak over the click's own energy: 1.0 for a bit-exact copy. Below 0.5
    the click is taken as not found (None).
    """
    import numpy as np

    mono = np.asarray(recording, dtype=np.float64).mean(axis=1)
    if len(mono) < len(click):
        return None, 0.0
    corr = np.correlate(mono, click.astype(np.float64), mode="valid")
    peak = int(np.argmax(corr))
    score = float(corr[peak] / np.dot(click, click))
    return (peak if score >= 0.5 else None), score


def measure_round_trip(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    import numpy as np

    lib = _load_library(name)
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
        frame_bytes = 4 * channels
        attrs = {
            "player": _buffer_attr(name, player, frame_bytes),
            "recorder": _buffer_attr(name, recorder, frame_bytes),
        }
        # Warm-up: discard 0.3 s, then one unmeasured repetition with silence, so every
        # measured repetition starts from the same state (streams running, player queue empty).
        recorder.record(round(0.3 * rate))
        _drain(name, recorder)
        player.play(np.zeros_like(signal))
        recorder.record(window)
        for _ in range(reps):
            drained = _drain(name, recorder)
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
    return {**_summary(results), "buffer_attr_frames": attrs}


def measure_streaming(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Round trip while the player is kept fed: the click waits behind the queued audio.

    Like an application that plays continuously (a signal generator): blocks of silence are
    played back to back, the recorder is drained, the next block starts with the click, and
    silence goes on being played while the recording is collected.
    """
    import numpy as np

    lib = _load_library(name)
    rate, blocksize, reps = spec["samplerate"], spec["blocksize"], spec["reps"]
    speaker = lib.get_speaker(spec["speaker"])
    microphone = lib.get_microphone(spec["loopback"], include_loopback=True)
    channels = speaker.channels
    click = make_click()
    silence = np.zeros((spec["feed_frames"], channels), np.float32)
    with_click = silence.copy()
    with_click[:CLICK_FRAMES] = click[:, np.newaxis]

    def feed(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            player.play(silence)

    results: list[dict[str, Any]] = []
    with (
        microphone.recorder(rate, blocksize=blocksize) as recorder,
        speaker.player(rate, blocksize=blocksize) as player,
    ):
        frame_bytes = 4 * channels
        attrs = {
            "player": _buffer_attr(name, player, frame_bytes),
            "recorder": _buffer_attr(name, recorder, frame_bytes),
        }
        feed(0.5)  # the player's queue is full from here on
        for _ in range(reps):
            feed(0.2)
            drained = _drain(name, recorder)
            player.play(with_click)
            feed(spec["window_seconds"])
            onset, score = find_onset(_read_available(name, recorder), click)
            results.append(
                {
                    "onset_frames": onset,
                    "round_trip_ms": None if onset is None else 1000.0 * onset / rate,
                    "score": round(score, 4),
                    "drained_frames": drained,
                }
            )
        underruns = getattr(player, "underruns", None)  # scgui only
    return {**_summary(results), "buffer_attr_frames": attrs, "underruns": underruns}


def _summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    found = [r["round_trip_ms"] for r in results if r["round_trip_ms"] is not None]
    return {
        "reps": results,
        "found": len(found),
        "median_ms": statistics.median(found) if found else None,
        "mean_ms": statistics.fmean(found) if found else None,
        "min_ms": min(found) if found else None,
        "max_ms": max(found) if found else None,
    }


def _thread_cpu_ticks() -> dict[str, int]:
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


def measure_cpu(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    lib = _load_library(name)
    rate, seconds, read_frames = spec["samplerate"], spec["seconds"], spec["read_frames"]
    microphone = lib.get_microphone(spec["loopback"], include_loopback=True)
    wanted = round(seconds * rate)
    reads = 0
    with microphone.recorder(rate, blocksize=None) as recorder:
        attr = _buffer_attr(name, recorder, 4 * microphone.channels)
        recorder.record(read_frames)  # the stream is running before the clock starts
        ticks_before = _thread_cpu_ticks()
        cpu_start, wall_start = time.process_time(), time.perf_counter()
        got = 0
        while got < wanted:
            got += len(recorder.record(read_frames))
            reads += 1
        cpu = time.process_time() - cpu_start
        wall = time.perf_counter() - wall_start
        ticks_after = _thread_cpu_ticks()
    hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    per_thread = {
        key: round((ticks_after[key] - ticks_before.get(key, 0)) / hz, 3)
        for key in ticks_after
        if ticks_after[key] - ticks_before.get(key, 0) > 0
    }
    return {
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "frames": got,
        "reads": reads,
        "per_thread_cpu_seconds": per_thread,
        "buffer_attr_frames": {"recorder": attr},
    }


def worker_main(argv: list[str]) -> int:
    """Child process: run one measurement for one library, print its result as JSON."""
    kind, name, spec = argv[0], argv[1], json.loads(argv[2])
    measure = {
        "round_trip": measure_round_trip,
        "streaming": measure_streaming,
        "cpu": measure_cpu,
    }[kind]
    result = measure(name, spec)
    result["library_version"] = _library_version(name)
    result["library_file"] = getattr(sys.modules.get(_MODULES[name]), "__file__", None)
    print(json.dumps(result), flush=True)
    return 0


# ====================================================================== the parent


def run_worker(kind: str, name: str, spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one measurement in a child process; {"error": ...} if it fails or times out."""
    cmd = [sys.executable, str(Path(__file__).resolve()), WORKER_COMMAND, kind, name]
    cmd.append(json.dumps(spec))
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    elapsed = time.perf_counter() - started
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
        return {"error": f"worker exited with {proc.returncode}\n{tail}"}
    try:
        result = json.loads(lines[-1])
    except json.JSONDecodeError:
        return {"error": f"worker printed no result: {lines[-1][:200]}"}
    result["elapsed_seconds"] = round(elapsed, 2)
    return result


@contextlib.contextmanager
def sound_server(use_env: bool, keepalive: bool) -> Iterator[dict[str, Any]]:
    """The rig (started here and stopped on exit), or the server of the environment."""
    if use_env:
        yield {"server": os.environ.get("PULSE_SERVER", "(libpulse default)"), "rig": False}
        return
    from scgui.virtual_rig import VirtualRig

    with VirtualRig(keepalive=keepalive) as rig:
        previous = rig.apply_env()  # the children inherit it
        try:
            info = {"server": rig.server, "rig": True, "keepalive": keepalive}
            with contextlib.suppress(Exception):
                for line in rig.pactl("info").splitlines():
                    if line.startswith("Server Version:"):
                        info["server_version"] = line.split(":", 1)[1].strip()
            yield info
        finally:
            rig.restore_env(previous)


def _fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _cell(kind: str, result: dict[str, Any] | None) -> str:
    if result is None:
        return "(skipped)"
    if "error" in result:
        return "ERROR"
    if kind == "cpu":
        return f"{result['cpu_seconds']:.3f} s"
    if not result["reps"]:
        return "-"
    if result["median_ms"] is None:
        return "click not found"
    text = (
        f"{_fmt_ms(result['median_ms'])} ms "
        f"[{_fmt_ms(result['min_ms'])}..{_fmt_ms(result['max_ms'])}]"
    )
    missing = len(result["reps"]) - result["found"]
    return text + (f" ({missing} lost)" if missing else "")


def _value(kind: str, result: dict[str, Any] | None) -> float | None:
    if result is None or "error" in result:
        return None
    return result["cpu_seconds"] if kind == "cpu" else result["median_ms"]


def evaluate(rows: list[dict[str, Any]]) -> None:
    """Add ratio and verdict to every row (in place)."""
    for row in rows:
        ours = _value(row["kind"], row["results"].get("scgui"))
        theirs = _value(row["kind"], row["results"].get("soundcard"))
        row["ratio"] = None
        if ours is not None and theirs is not None:
            row["ratio"] = ours / theirs if theirs > 0 else (1.0 if ours == 0 else float("inf"))
        if row["target_kind"] == "info":
            row["verdict"] = "-"
        elif ours is None:
            row["verdict"] = "n/a"
        elif row["target_kind"] == "absolute":
            row["verdict"] = "PASS" if ours <= row["target_value"] else "FAIL"
        elif theirs is None:
            row["verdict"] = "n/a"
        else:
            row["verdict"] = "PASS" if ours <= row["target_value"] * theirs else "FAIL"


def format_table(rows: list[dict[str, Any]]) -> str:
    header = ["metric", "scgui.audio", "soundcard", "ratio (scgui/soundcard)", "target", "result"]
    body = []
    for row in rows:
        ratio = row["ratio"]
        body.append(
            [
                row["title"],
                _cell(row["kind"], row["results"].get("scgui")),
                _cell(row["kind"], row["results"].get("soundcard")),
                "-" if ratio is None else f"{ratio:.2f}",
                row["target"],
                row["verdict"],
            ]
        )
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in body)])


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Round-trip latency and recording CPU of scgui.audio vs soundcard "
        "on a private virtual PulseAudio rig (see bench/README.md).",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results here")
    parser.add_argument(
        "--use-env",
        action="store_true",
        help="use the PulseAudio server of the environment (PULSE_SERVER...) instead of "
        "starting a VirtualRig; it needs the rig's devices (scarlett, scarlett.monitor)",
    )
    parser.add_argument(
        "--no-keepalive",
        action="store_true",
        help="start the rig without its keep-alive streams (they hold the null sinks at about "
        "2.5 ms blocks; without them the streams' own buffer requests decide)",
    )
    parser.add_argument("--reps", type=int, default=10, help="round trips per setting (10)")
    parser.add_argument(
        "--cpu-seconds", type=float, default=10.0, help="seconds recorded for the CPU figure"
    )
    parser.add_argument(
        "--max-latency",
        type=float,
        default=1.5,
        help="slowest round trip to wait for, seconds (1.5); a click later than that is lost",
    )
    parser.add_argument(
        "--libs",
        default=",".join(LIBRARIES),
        help="comma-separated libraries to measure (scgui,soundcard)",
    )
    parser.add_argument(
        "--skip",
        default="",
        help="comma-separated measurements to leave out: rt256, rtdefault, cpu",
    )
    parser.add_argument(
        "--streaming",
        action="store_true",
        help="also measure the round trip while the player is kept fed with silence (the "
        "click then waits behind the player's queue); information only, no target",
    )
    parser.add_argument("--speaker", default="scarlett", help="speaker id (scarlett)")
    parser.add_argument(
        "--loopback", default="scarlett.monitor", help="loopback id (scarlett.monitor)"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when a target is missed"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == WORKER_COMMAND:
        return worker_main(argv[1:])
    options = parse_args(argv)
    libs = [lib.strip() for lib in options.libs.split(",") if lib.strip()]
    unknown = sorted(set(libs) - set(LIBRARIES))
    if unknown:
        print(f"error: unknown libraries {unknown}; choose from {LIBRARIES}", file=sys.stderr)
        return 2
    if "soundcard" in libs and importlib.util.find_spec("soundcard") is None:
        print(f"error: {MISSING_SOUNDCARD}", file=sys.stderr)
        return 2
    skip = {s.strip() for s in options.skip.split(",") if s.strip()}

    base = {
        "samplerate": SAMPLERATE,
        "speaker": options.speaker,
        "loopback": options.loopback,
        "max_latency": options.max_latency,
    }
    rows: list[dict[str, Any]] = []
    for key, blocksize, setting in (("rt256", 256, "256"), ("rtdefault", None, "default")):
        if key in skip:
            continue
        spec = {
            **base,
            "blocksize": blocksize,
            "reps": options.reps,
            "tail_seconds": TAIL_SECONDS[setting],
        }
        per_rep = 2 * (spec["tail_seconds"] + options.max_latency) + 0.5
        relative = key == "rt256"
        rows.append(
            {
                "key": key,
                "kind": "round_trip",
                "title": f"round trip, blocksize {setting} (median [min..max])",
                "spec": spec,
                "timeout": 30.0 + (options.reps + 1) * per_rep,
                "target": "<= 0.6 x soundcard" if relative else "<= 50 ms",
                "target_kind": "relative" if relative else "absolute",
                "target_value": 0.6 if relative else 50.0,
            }
        )
    for setting in ("256", "default") if options.streaming else ():
        spec = {
            **base,
            "blocksize": 256 if setting == "256" else None,
            "reps": options.reps,
            "window_seconds": STREAM_WINDOW_SECONDS[setting],
            "feed_frames": STREAM_FEED_FRAMES[setting],
        }
        rows.append(
            {
                "key": f"stream{setting}",
                "kind": "streaming",
                "title": f"round trip while streaming, blocksize {setting} (info)",
                "spec": spec,
                "timeout": 30.0 + options.reps * (spec["window_seconds"] + 0.5) * 2,
                "target": "(none)",
                "target_kind": "info",
                "target_value": None,
            }
        )
    if "cpu" not in skip:
        rows.append(
            {
                "key": "cpu",
                "kind": "cpu",
                "title": f"CPU to record {options.cpu_seconds:g} s in 1024-frame reads",
                "spec": {**base, "seconds": options.cpu_seconds, "read_frames": 1024},
                "timeout": 30.0 + 3 * options.cpu_seconds,
                "target": "<= 0.5 x soundcard",
                "target_kind": "relative",
                "target_value": 0.5,
            }
        )

    try:
        with sound_server(options.use_env, keepalive=not options.no_keepalive) as server:
            print(f"# server: {server}", file=sys.stderr)
            for row in rows:
                row["results"] = {}
                for lib in libs:
                    print(f"# {row['key']}: {LIB_TITLES[lib]} ...", file=sys.stderr, flush=True)
                    result = run_worker(row["kind"], lib, row["spec"], row["timeout"])
                    if "error" in result:
                        print(f"#   error: {result['error']}", file=sys.stderr)
                    row["results"][lib] = result
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the rig failed to start, most likely
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2

    evaluate(rows)
    print(format_table(rows))
    if options.json:
        document = {
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "python": platform.python_version(),
            "machine": platform.platform(),
            "server": server,
            "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(options).items()},
            "rows": [{k: v for k, v in row.items() if k != "timeout"} for row in rows],
        }
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(document, indent=2) + "\n")
        print(f"# results written to {options.json}", file=sys.stderr)
    errors = any("error" in r for row in rows for r in row["results"].values())
    if errors:
        return 2
    if options.strict and any(row["verdict"] == "FAIL" for row in rows):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
