#!/usr/bin/env python3
"""Benchmark scgui.audio against ``soundcard`` and ``sounddevice`` on one virtual rig.

One run measures the three libraries side by side, on the same private PulseAudio server
(:class:`scgui.virtual_rig.VirtualRig`, started and stopped here), and prints one table: each
figure with its target, the three libraries' values and the ratio scgui / sounddevice.

1. CPU s per audio s to record 48 kHz stereo from ``scarlett.monitor`` in 1024-frame reads.
2. CPU s per audio s to play 48 kHz stereo (a tone) to ``scarlett`` in 1024-frame writes.
3. CPU s per audio s to record 32 channels at 96 kHz in 4096-frame reads, from the monitor of
   a 32-channel null sink loaded for the run (``bench32``).
4. Gaps (underruns) in continuous playback of a sample counter at blocksize 128 and 64,
   recorded by ``pacat`` from the monitor, and the streaming latency at those block sizes.
5. Streaming latency (a player kept fed, a click every 0.5 s, a recorder in the same process)
   at blocksize 256 and at each library's defaults.
6. Import to first device list: wall time of a fresh ``python -c`` child.
7. Resident memory of the child after the recording of figure 1.
8. Placement: the streams of every child sit on the intended sink/source (``pactl``).

Plus the round trip of the earlier versions of this bench (scgui and soundcard only).

Every measurement runs in a child process of its own (``python bench_audio.py _worker ...``),
with only one library loaded; it is killed when it times out. The measurements themselves are
in ``audio_measures.py``, the per-library stream code in ``peer_libraries.py``.

Run ``.venv/bin/python bench/bench_audio.py --help`` for the options; see ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.util
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
SCGUI_FROM_CHECKOUT = importlib.util.find_spec("scgui") is None
if SCGUI_FROM_CHECKOUT:  # run from a checkout without an install
    sys.path.insert(0, str(REPO_ROOT))
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

from cpu_hogs import cpu_hogs  # noqa: E402  (needs the path above)
from peer_libraries import (  # noqa: E402
    FLOOR,
    LIBRARIES,
    MEASURED,
    MODULES,
    REFERENCES,
    TITLES,
    library_version,
    pactl,
    sounddevice_env,
    write_alsa_config,
)

_log = logging.getLogger("bench_audio")

SAMPLERATE = 48000
SPEAKER, LOOPBACK = "scarlett", "scarlett.monitor"
MULTI_SINK, MULTI_CHANNELS, MULTI_RATE = "bench32", 32, 96000
WORKER_COMMAND = "_worker"
REFERENCE = "sounddevice"
INSTALL_HINT = {
    "soundcard": "pip install soundcard",
    "sounddevice": "pip install sounddevice (and apt-get install libportaudio2 libasound2-plugins)",
}

# Silence played after the click in the round trip, by setting. soundcard's player does not
# start until its buffer holds "prebuf" bytes (about the whole target length: 192 of its
# 256-frame target at blocksize 256, about 1.93 s at the default settings); a lone click
# would sit there and never play.
TAIL_SECONDS = {"256": 0.1, "default": 2.1}

IMPORT_CODE = {
    "scgui": "import scgui.audio as sc; print(len(sc.all_speakers()))",
    "soundcard": "import soundcard as sc; print(len(sc.all_speakers()))",
    "sounddevice": "import sounddevice as sd; print(len(sd.query_devices()))",
}


# ====================================================================== the child


def worker_main(argv: list[str]) -> int:
    """Child process: run one measurement for one library, print its result as JSON."""
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    kind, name, spec = argv[0], argv[1], json.loads(argv[2])
    from audio_measures import MEASUREMENTS
    from peer_libraries import open_peer

    peer = open_peer(name, spec)
    result = MEASUREMENTS[kind](peer, spec)
    result["library_version"] = library_version(name)
    result["library_file"] = getattr(sys.modules.get(MODULES[name]), "__file__", None)
    result["pid"] = os.getpid()
    print(json.dumps(result), flush=True)
    return 0


# ====================================================================== the parent


@dataclasses.dataclass
class Row:
    """One figure of the table: how to measure it, its target and what came out."""

    key: str
    figure: str
    title: str
    kind: str  # a measurement of audio_measures, or "import", "memory", "placement"
    target: str
    target_kind: str  # "vs_reference", "vs_soundcard", "absolute", "zero_gaps", "info"
    target_value: float | None = None
    spec: dict[str, Any] = dataclasses.field(default_factory=dict)
    timeout: float = 60.0
    libs: tuple[str, ...] = LIBRARIES
    results: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    ratio: float | None = None
    verdict: str = "n/a"
    note: str = ""


def child_env(name: str, spec: dict[str, Any]) -> dict[str, str]:
    """The environment of a child that loads library ``name`` (the rig's is in os.environ)."""
    env = dict(os.environ)
    if SCGUI_FROM_CHECKOUT:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    if name == "sounddevice":
        env.update(sounddevice_env(spec["alsa_config"], spec["speaker"], spec["loopback"]))
    return env


def run_worker(kind: str, name: str, spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one measurement in a child process; {"error": ...} if it fails or times out."""
    cmd = [sys.executable, str(Path(__file__).resolve()), WORKER_COMMAND, kind, name]
    cmd.append(json.dumps(spec))
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd,
            env=child_env(name, spec),
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
        result: dict[str, Any] = json.loads(lines[-1])
    except json.JSONDecodeError:
        return {"error": f"worker printed no result: {lines[-1][:200]}"}
    result["elapsed_seconds"] = round(elapsed, 2)
    if proc.stderr.strip():
        result["stderr_tail"] = proc.stderr.strip().splitlines()[-5:]
    return result


def measure_import(libs: list[str], reps: int, spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Wall time of a fresh ``python import_LIB.py`` (import, list devices) per library.

    Round-robin over the libraries, ``reps`` times; measured from the parent, from just before
    the child is started until it has exited. scgui's bytecode is compiled first, as pip does
    when it installs a package (the peers' was, at their install; this machine sets
    PYTHONDONTWRITEBYTECODE, so a source tree would otherwise be compiled on every start).
    """
    import compileall

    compileall.compile_dir(str(BENCH_DIR.parent / "scgui"), quiet=1)
    times: dict[str, list[float]] = {lib: [] for lib in libs}
    errors: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="bench-import-") as cwd:
        # A script file, not python -c: soundcard 0.4.6 fails to import under -c (it takes
        # its client name from sys.argv[1], which -c leaves out).
        scripts = {lib: Path(cwd) / f"import_{lib}.py" for lib in libs}
        for lib, script in scripts.items():
            script.write_text(IMPORT_CODE[lib] + "\n")
        for _ in range(reps):
            for lib in libs:
                if lib in errors:
                    continue
                cmd = [sys.executable, str(scripts[lib])]
                started = time.perf_counter()
                try:
                    proc = subprocess.run(
                        cmd,
                        env=child_env(lib, spec),
                        cwd=cwd,
                        stdin=subprocess.DEVNULL,
                        capture_output=True,
                        text=True,
                        timeout=60,
                        check=False,
                    )
                except subprocess.TimeoutExpired:
                    errors[lib] = "timed out after 60 s"
                    continue
                elapsed = time.perf_counter() - started
                listed = proc.stdout.strip().splitlines()[-1:] or ["0"]
                if proc.returncode != 0 or not listed[0].isdigit() or int(listed[0]) == 0:
                    tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
                    errors[lib] = f"exit {proc.returncode}, listed {listed[0]!r}\n{tail}"
                    continue
                times[lib].append(1000.0 * elapsed)
    results: dict[str, dict[str, Any]] = {}
    for lib in libs:
        if lib in errors:
            results[lib] = {"error": errors[lib]}
        else:
            ms = times[lib]
            results[lib] = {
                "runs_ms": [round(v, 1) for v in ms],
                "median_ms": statistics.median(ms),
                "min_ms": min(ms),
                "max_ms": max(ms),
            }
    return results


@contextlib.contextmanager
def multichannel_sink(keepalive: bool) -> Iterator[str]:
    """Load the 32-channel 96 kHz float32 null sink for figure 3; unload it on exit.

    With ``keepalive``, a ``pacat`` plays silence into it as the rig's keep-alives do into
    its own sinks (10 ms latency), so every sink the bench uses runs the same way.
    """
    positions = ",".join(f"aux{i}" for i in range(MULTI_CHANNELS))
    module = pactl(
        "load-module",
        "module-null-sink",
        f"sink_name={MULTI_SINK}",
        f"channels={MULTI_CHANNELS}",
        f"channel_map={positions}",
        f"rate={MULTI_RATE}",
        "format=float32le",
        "norewinds=1",
        "sink_properties=device.description=Bench32",
    ).strip()
    player: subprocess.Popen[bytes] | None = None
    try:
        if keepalive:
            with open("/dev/zero", "rb") as zero:
                player = subprocess.Popen(
                    [
                        "pacat",
                        "--playback",
                        "--raw",
                        f"--device={MULTI_SINK}",
                        "--format=float32le",
                        f"--rate={MULTI_RATE}",
                        f"--channels={MULTI_CHANNELS}",
                        f"--channel-map={positions}",
                        "--latency-msec=10",
                        "--client-name=bench-keepalive",
                        f"--stream-name=keepalive {MULTI_SINK}",
                    ],
                    stdin=zero,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
        yield MULTI_SINK
    finally:
        if player is not None:
            player.terminate()
            try:
                player.wait(timeout=5)
            except subprocess.TimeoutExpired:
                player.kill()
                player.wait()
        with contextlib.suppress(RuntimeError, OSError, subprocess.TimeoutExpired):
            pactl("unload-module", module)


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
            info: dict[str, Any] = {"server": rig.server, "rig": True, "keepalive": keepalive}
            with contextlib.suppress(Exception):
                for line in rig.pactl("info").splitlines():
                    if line.startswith("Server Version:"):
                        info["server_version"] = line.split(":", 1)[1].strip()
            yield info
        finally:
            rig.restore_env(previous)


def cpu_busy_jiffies() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs together, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return float(sum(fields) - idle), float(sum(fields))


# ---------------------------------------------------------------------- the rows


def build_rows(options: argparse.Namespace, libs: list[str], base: dict[str, Any]) -> list[Row]:
    """Every row of the table, in order, with its measurement spec and target."""
    seconds, segment = options.cpu_seconds, options.segment_seconds
    cpu_timeout = 40.0 + 3 * seconds
    stereo = {**base, "channels": 2, "speaker": SPEAKER, "loopback": LOOPBACK}
    rows = [
        Row(
            "cpu_rec",
            "1",
            "CPU s/audio s, record 48 kHz 2 ch, 1024-frame reads",
            "cpu_record",
            "<= 0.5 x sounddevice",
            "vs_reference",
            0.5,
            {**stereo, "seconds": seconds, "segment_seconds": segment, "read_frames": 1024},
            cpu_timeout,
            MEASURED,
        ),
        Row(
            "cpu_play",
            "2",
            "CPU s/audio s, play 48 kHz 2 ch, 1024-frame writes",
            "cpu_play",
            "<= 0.5 x sounddevice",
            "vs_reference",
            0.5,
            {**stereo, "seconds": seconds, "segment_seconds": segment, "write_frames": 1024},
            cpu_timeout,
            MEASURED,
        ),
        Row(
            "cpu_rec32",
            "3",
            f"CPU s/audio s, record {MULTI_RATE // 1000} kHz {MULTI_CHANNELS} ch, 4096-frame reads",
            "cpu_record",
            "<= 0.5 x sounddevice",
            "vs_reference",
            0.5,
            {
                **base,
                "samplerate": MULTI_RATE,
                "channels": MULTI_CHANNELS,
                "speaker": MULTI_SINK,
                "loopback": f"{MULTI_SINK}.monitor",
                "seconds": seconds,
                "segment_seconds": segment,
                "read_frames": 4096,
            },
            cpu_timeout,
            MEASURED,
        ),
    ]
    for blocksize, figure, latency in ((128, "4a", "4c"), (64, "4b", "4d"), (None, "5c", "5b")):
        rows.append(
            Row(
                f"gaps{blocksize or 'default'}",
                figure,
                f"gaps in {options.underrun_seconds:g} s of playback, blocksize "
                f"{blocksize or 'defaults (1024-frame writes)'} (reported latency)",
                "underruns",
                f"0, latency <= sounddevice's ({latency})",
                "zero_gaps",
                0.0,
                {**stereo, "blocksize": blocksize, "seconds": options.underrun_seconds},
                40.0 + 3 * options.underrun_seconds,
            )
        )
    latency_rows = [
        ("lat128", "4c", 128, "<= sounddevice", "vs_reference", 1.0, options.fig4_clicks),
        ("lat64", "4d", 64, "<= sounddevice", "vs_reference", 1.0, options.fig4_clicks),
        ("lat256", "5a", 256, "(info)", "info", None, options.clicks),
        ("latdefault", "5b", None, "<= 0.6 x sounddevice", "vs_reference", 0.6, options.clicks),
    ]
    for key, figure, blocksize, target, target_kind, value, clicks in latency_rows:
        block_frames = 1024 if blocksize is None else blocksize
        wait = 4.0 if blocksize is None else 1.5
        setting = "defaults (1024-frame writes and reads)" if blocksize is None else blocksize
        rows.append(
            Row(
                key,
                figure,
                f"streaming latency ms, blocksize {setting}",
                "latency",
                target,
                target_kind,
                value,
                {
                    **stereo,
                    "blocksize": blocksize,
                    "write_frames": block_frames,
                    "read_frames": block_frames,
                    "clicks": clicks,
                    "interval_seconds": 0.5,
                    "warmup_seconds": 0.5,
                    "max_wait_seconds": wait,
                },
                40.0 + 3 * (0.5 * clicks + wait),
            )
        )
    rows += [
        Row(
            "import",
            "6",
            f"import + first device list, ms (fresh python, {options.import_reps} runs)",
            "import",
            "<= sounddevice",
            "vs_reference",
            1.0,
            {**stereo, "reps": options.import_reps},
        ),
        Row("rss", "7", "RSS MiB after figure 1 (VmRSS)", "memory", "(info)", "info"),
        Row("placement", "8", "streams on the intended sink/source", "placement", "all", "info"),
    ]
    round_trip_libs = tuple(lib for lib in ("scgui", "soundcard") if lib in libs)
    for key, blocksize, setting in (("rt256", 256, "256"), ("rtdefault", None, "default")):
        relative = key == "rt256"
        per_rep = 2 * (TAIL_SECONDS[setting] + options.max_latency) + 0.5
        rows.append(
            Row(
                key,
                "rt",
                f"round trip ms from a drained start, blocksize {setting}",
                "round_trip",
                "<= 0.6 x soundcard" if relative else "<= 50 ms",
                "vs_soundcard" if relative else "absolute",
                0.6 if relative else 50.0,
                {
                    **stereo,
                    "blocksize": blocksize,
                    "reps": options.reps,
                    "tail_seconds": TAIL_SECONDS[setting],
                    "max_latency": options.max_latency,
                },
                40.0 + (options.reps + 1) * per_rep,
                round_trip_libs,
            )
        )
    for row in rows:
        row.libs = tuple(lib for lib in row.libs if lib in libs)
    return rows


def select_rows(rows: list[Row], options: argparse.Namespace) -> list[Row]:
    """The rows ``--only`` / ``--skip`` / ``--round-trip-default`` leave in."""
    keys = {row.key for row in rows}
    only = _keys(options.only)
    skip = _keys(options.skip)
    unknown = (only | skip) - keys
    if unknown:
        raise SystemExit(f"error: unknown rows {sorted(unknown)}; choose from {sorted(keys)}")
    if not options.round_trip_default and "rtdefault" not in only:
        skip.add("rtdefault")
    if options.quick and not only:
        skip.add("rtdefault")
    kept = [row for row in rows if (not only or row.key in only) and row.key not in skip]
    # the memory row reads figure 1's children, the placement row every child's
    if any(row.key == "rss" for row in kept) and not any(row.key == "cpu_rec" for row in kept):
        kept = [row for row in kept if row.key != "rss"]
    return kept


def _keys(text: str) -> set[str]:
    return {part.strip() for part in text.split(",") if part.strip()}


# ---------------------------------------------------------------------- judging


def value_of(row: Row, result: dict[str, Any] | None) -> float | None:
    """The number a row compares (None when missing or failed)."""
    if result is None or "error" in result:
        return None
    kind = row.kind
    if kind in ("cpu_record", "cpu_play"):
        return result.get("cpu_per_audio_s")
    if kind == "underruns":
        return result.get("gaps")
    if kind in ("latency", "round_trip", "import"):
        return result.get("median_ms")
    if kind == "memory":
        return result.get("rss_mib")
    return None


def cell(row: Row, lib: str) -> str:
    """The text of one library's cell."""
    if lib not in row.libs:
        return "(not measured)" if row.kind == "round_trip" or lib in REFERENCES else "(skipped)"
    result = row.results.get(lib)
    if result is None:
        return "(skipped)"
    if "error" in result:
        return "ERROR"
    kind = row.kind
    if kind in ("cpu_record", "cpu_play"):
        text = (
            f"{result['cpu_per_audio_s']:.4f} "
            f"[{result['segment_min']:.4f}..{result['segment_max']:.4f}]"
        )
    elif kind == "underruns":
        gaps = result.get("gaps")
        latency = result.get("reported_latency_s")
        text = "not recorded" if gaps is None else f"{gaps} gaps"
        if gaps:
            text += f", {result['silent_frames_in_gaps']} fr silent"
        if latency is not None:
            text += f"; rep. {1000.0 * latency:.1f} ms"
    elif kind in ("latency", "round_trip", "import"):
        if result.get("median_ms") is None:
            return "click not found" if kind != "import" else "-"
        text = f"{result['median_ms']:.1f} [{result['min_ms']:.1f}..{result['max_ms']:.1f}]"
        lost = result.get("clicks", 0) - result.get("found", 0)
        if kind != "import" and lost:
            text += f" ({lost} lost)"
        if result.get("shifted_onsets"):
            text += f" ({result['shifted_onsets']} after a gap)"
    elif kind == "memory":
        text = "-" if result.get("rss_mib") is None else f"{result['rss_mib']:.1f}"
    elif kind == "placement":
        text = "ok" if result.get("ok") else f"WRONG ({len(result.get('problems', []))})"
    else:
        text = "?"
    placement = result.get("placement")
    if isinstance(placement, dict) and not placement.get("ok"):
        text += " PLACEMENT!"
    return text


def evaluate(rows: list[Row]) -> None:
    """Fill in ratio, verdict and note of every row (in place)."""
    by_key = {row.key: row for row in rows}
    for row in rows:
        ours = value_of(row, row.results.get("scgui"))
        reference = value_of(row, row.results.get(REFERENCE))
        if ours is not None and reference is not None and row.kind != "underruns":
            row.ratio = ours / reference if reference > 0 else None
        misplaced = sorted(
            lib
            for lib, result in row.results.items()
            if isinstance(result.get("placement"), dict) and not result["placement"].get("ok")
        )
        if row.target_kind == "info":
            row.verdict = "-"
            if row.kind == "placement" and "scgui" in row.results:
                row.verdict = "PASS" if all(r.get("ok") for r in row.results.values()) else "FAIL"
        elif ours is None:
            row.verdict = "n/a"
        elif row.target_kind == "absolute":
            row.verdict = "PASS" if ours <= (row.target_value or 0.0) else "FAIL"
        elif row.target_kind == "zero_gaps":
            latency_row = by_key.get(row.key.replace("gaps", "lat"))
            ok = ours == 0
            if latency_row is not None and latency_row.ratio is not None:
                ok = ok and latency_row.ratio <= 1.0
            elif latency_row is None:
                row.note = "latency row not run: gaps only"
            row.verdict = "PASS" if ok else "FAIL"
        elif row.target_kind == "vs_soundcard":
            theirs = value_of(row, row.results.get("soundcard"))
            if theirs is None:
                row.verdict = "n/a"
            else:
                ok = ours <= (row.target_value or 0.0) * theirs
                versus = f"{ours / theirs:.2f} x soundcard" if theirs > 0 else "soundcard 0"
                row.verdict = ("PASS" if ok else "FAIL") + f" ({versus})"
        elif reference is None:
            row.verdict = "n/a"
        else:
            row.verdict = "PASS" if ours <= (row.target_value or 0.0) * reference else "FAIL"
        if misplaced:
            row.verdict = "FAIL (placement: " + ", ".join(misplaced) + ")"


def format_table(rows: list[Row], libs: list[str]) -> str:
    """The Markdown table of every row."""
    header = ["figure", "target", *(TITLES[lib] for lib in MEASURED)]
    header += ["scgui/sounddevice", "met?"]
    body = []
    for row in rows:
        ratio = "-" if row.ratio is None else f"{row.ratio:.2f}"
        cells = [cell(row, lib) if lib in libs else "(skipped)" for lib in MEASURED]
        body.append([f"{row.figure} {row.title}", row.target, *cells, ratio, row.verdict])
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(r) for r in body)])


def floor_lines(rows: list[Row]) -> list[str]:
    """Each CPU figure against libpulse-simple's: what the target asks, in floors."""
    lines = []
    for row in rows:
        floor = value_of(row, row.results.get(FLOOR))
        if row.kind not in ("cpu_record", "cpu_play") or not floor:
            continue
        parts = [f"floor {row.figure}: libpulse-simple {floor:.4f}"]
        for lib in (*LIBRARIES, *REFERENCES[1:]):
            value = value_of(row, row.results.get(lib))
            if value is not None:
                parts.append(f"{TITLES[lib]} {value / floor:.2f} x")
        reference = value_of(row, row.results.get(REFERENCE))
        if reference is not None and row.target_value is not None:
            parts.append(f"the target {row.target_value * reference / floor:.2f} x")
        lines.append("; ".join(parts))
    return lines


def placement_summary(rows: list[Row], libs: list[str]) -> dict[str, dict[str, Any]]:
    """Per library: how many placement checks ran, and every problem found."""
    summary: dict[str, dict[str, Any]] = {}
    for lib in libs:
        checks, problems = 0, []
        for row in rows:
            result = row.results.get(lib)
            placement = result.get("placement") if result else None
            if isinstance(placement, dict):
                checks += 1
                problems += [f"{row.figure}: {p}" for p in placement.get("problems", [])]
        summary[lib] = {"checks": checks, "problems": problems, "ok": checks > 0 and not problems}
    return summary


# ---------------------------------------------------------------------- options, main


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="CPU, gaps, latency, start-up time and memory of scgui.audio, soundcard "
        "and sounddevice on a private virtual PulseAudio rig (see bench/README.md).",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results here")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 3 s takes, 4 clicks, 3 import runs, 3 round trips (about 1.5 min)",
    )
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
    parser.add_argument(
        "--libs",
        default=",".join(MEASURED),
        help=f"comma-separated libraries to measure ({','.join(MEASURED)}; the last two are "
        "references for the CPU figures: libpulse's simple API, and a stream on a mainloop "
        "its own thread runs)",
    )
    parser.add_argument("--only", default="", help="comma-separated row keys to run (all)")
    parser.add_argument("--skip", default="", help="comma-separated row keys to leave out")
    parser.add_argument(
        "--round-trip-default",
        action="store_true",
        help="also measure the round trip at the default settings (about 75 s more)",
    )
    parser.add_argument("--cpu-seconds", type=float, help="audio seconds per CPU take (10)")
    parser.add_argument("--segment-seconds", type=float, help="CPU take segments, s (2)")
    parser.add_argument("--underrun-seconds", type=float, help="playback per gap count (10)")
    parser.add_argument("--clicks", type=int, help="clicks per latency take of figure 5 (10)")
    parser.add_argument("--fig4-clicks", type=int, help="clicks per latency take of 4c/4d (6)")
    parser.add_argument("--import-reps", type=int, help="fresh children per library (7)")
    parser.add_argument("--reps", type=int, help="round trips per setting (10)")
    parser.add_argument(
        "--max-latency",
        type=float,
        default=1.5,
        help="slowest round trip to wait for, seconds (1.5); a click later than that is lost",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when a target is missed"
    )
    parser.add_argument(
        "--hogs",
        type=int,
        default=0,
        metavar="N",
        help="keep N other processes spinning on the CPU for the whole run (cpu_hogs.py)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    options = parser.parse_args(argv)
    defaults = {
        "cpu_seconds": (10.0, 3.0),
        "segment_seconds": (2.0, 1.0),
        "underrun_seconds": (10.0, 3.0),
        "clicks": (10, 4),
        "fig4_clicks": (6, 4),
        "import_reps": (7, 3),
        "reps": (10, 3),
    }
    for key, (full, quick) in defaults.items():
        if getattr(options, key) is None:
            setattr(options, key, quick if options.quick else full)
    return options


def _missing_libraries(libs: list[str]) -> list[str]:
    return [lib for lib in libs if importlib.util.find_spec(MODULES[lib].split(".")[0]) is None]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == WORKER_COMMAND:
        return worker_main(argv[1:])
    options = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if options.verbose else logging.INFO,
        format="# %(message)s",
        stream=sys.stderr,
    )
    libs = [lib.strip() for lib in options.libs.split(",") if lib.strip()]
    unknown = sorted(set(libs) - set(MEASURED))
    if unknown:
        _log.error("unknown libraries %s; choose from %s", unknown, MEASURED)
        return 2
    missing = _missing_libraries(libs)
    if missing:
        hints = "; ".join(INSTALL_HINT.get(lib, lib) for lib in missing)
        _log.error("not installed: %s (%s), or leave them out with --libs", missing, hints)
        return 2

    started_wall = time.perf_counter()
    load_start = os.getloadavg()
    busy_start = cpu_busy_jiffies()
    scratch = tempfile.TemporaryDirectory(prefix="bench-audio-")
    base = {
        "samplerate": SAMPLERATE,
        "alsa_config": str(write_alsa_config(Path(scratch.name))),
        "scratch_dir": scratch.name,
    }
    rows = select_rows(build_rows(options, libs, base), options)
    server: dict[str, Any] = {}
    try:
        with (
            scratch,
            sound_server(options.use_env, keepalive=not options.no_keepalive) as server,
            multichannel_sink(keepalive=not options.no_keepalive),
            cpu_hogs(options.hogs) if options.hogs else contextlib.nullcontext(),
        ):
            _log.info("server: %s", server)
            for row in rows:
                run_row(row, rows, options)
            for row in rows:
                if row.kind == "placement":
                    others = [r for r in rows if r is not row]
                    summary = placement_summary(others, list(row.libs))
                    row.results = {lib: e for lib, e in summary.items() if e["checks"]}
    except KeyboardInterrupt:
        _log.error("interrupted")
        return 130
    except Exception as exc:  # the rig failed to start, most likely
        _log.error("%s: %s", type(exc).__name__, exc)
        return 2
    busy_end = cpu_busy_jiffies()
    load_end = os.getloadavg()
    run_seconds = time.perf_counter() - started_wall

    evaluate(rows)
    print(format_table(rows, libs))
    for line in floor_lines(rows):
        print(line)
    summary = placement_summary(rows, libs)
    for lib, entry in summary.items():
        state = "ok" if entry["ok"] else "WRONG" if entry["problems"] else "not checked"
        print(f"placement {TITLES[lib]}: {state} ({entry['checks']} checks)", end="")
        print("".join(f"\n    {p}" for p in entry["problems"]))
    busy = 100.0 * (busy_end[0] - busy_start[0]) / max(1.0, busy_end[1] - busy_start[1])
    keepalive = "off (--no-keepalive)" if options.no_keepalive else "on"
    print(
        f"machine: {os.cpu_count()} cores, load average {load_start[0]:.2f} at start, "
        f"{load_end[0]:.2f} at end; all CPUs {busy:.0f} % busy over the run "
        f"({run_seconds:.0f} s); rig keep-alive {keepalive}; {options.hogs} CPU hogs"
    )
    for row in rows:
        if row.note:
            print(f"note {row.figure}: {row.note}")
    if options.json:
        document = {
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "python": platform.python_version(),
            "machine": platform.platform(),
            "server": server,
            "load_average": {"start": load_start, "end": load_end},
            "cpu_busy_percent": busy,
            "run_seconds": run_seconds,
            "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(options).items()},
            "placement": summary,
            "rows": [dataclasses.asdict(row) for row in rows],
        }
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(document, indent=2) + "\n")
        _log.info("results written to %s", options.json)
    errors = any("error" in r for row in rows for r in row.results.values())
    if errors:
        return 2
    if options.strict and any(row.verdict.startswith("FAIL") for row in rows):
        return 1
    return 0


def run_row(row: Row, rows: list[Row], options: argparse.Namespace) -> None:
    """Measure one row for each of its libraries (or derive it from other rows)."""
    if row.kind == "import":
        _log.info("%s %s: %s ...", row.figure, row.key, ", ".join(row.libs))
        row.results = measure_import(list(row.libs), row.spec["reps"], row.spec)
    elif row.kind == "memory":
        source = next(r for r in rows if r.key == "cpu_rec")
        row.results = {
            lib: {"rss_mib": result.get("rss_mib"), "hwm_mib": result.get("hwm_mib")}
            for lib, result in source.results.items()
            if "error" not in result and lib in row.libs
        }
    elif row.kind == "placement":
        pass  # filled in by main() once every row has run
    else:
        for lib in row.libs:
            _log.info("%s %s: %s ...", row.figure, row.key, TITLES[lib])
            result = run_worker(row.kind, lib, row.spec, row.timeout)
            if "error" in result:
                _log.warning("  %s %s: %s", row.key, lib, result["error"])
            else:
                placement = result.get("placement")
                if isinstance(placement, dict) and not placement.get("ok"):
                    _log.warning("  %s %s: placement %s", row.key, lib, placement["problems"])
            row.results[lib] = result
    for lib, result in row.results.items():
        _log.debug("  %s %s: %s", row.key, lib, json.dumps(result)[:400])


if __name__ == "__main__":
    sys.exit(main())
