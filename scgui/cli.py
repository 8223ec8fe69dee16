"""The ``scgui`` command: the window when run alone, lab jobs as subcommands.

``scgui devices``, ``scgui record`` and ``scgui play`` do what the window does, without one,
with the same library and the same recording writer, so lab scripts and tests can rely on
them. ``scgui check-routing`` and ``scgui latency`` run the measurements of
:mod:`scgui.measure.runs`, the same code as the window's routing panel. Errors are one plain
line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import scgui.audio as sc

from . import __version__

EXIT_ERROR = 1
EXIT_USAGE = 2


def parse_channels(text: str | None) -> int | list[int] | None:
    """``"2"`` -> 2 (first two channels); ``"0,3,-1"`` -> a channel map; None -> all."""
    if text is None:
        return None
    try:
        if "," not in text:
            return int(text)
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--channels takes a count such as 2 or a list such as 0,1 or 3,-1, not {text!r}"
        ) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scgui",
        description="Sound-card manager and recorder. Without a command, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"scgui {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="open the window offscreen, list the sound server's devices, print them, exit",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    devices = commands.add_parser("devices", help="list speakers, microphones and loopbacks")
    devices.add_argument("--json", action="store_true", help="machine-readable output")

    recover = commands.add_parser(
        "recover",
        help="make the file an interrupted FLAC or Ogg take was meant to be",
        description="A FLAC or Ogg take is recorded to a hidden working file beside it and "
        "converted at stop. After a crash or a kill, this converts what was left: give the "
        "file you chose (take.flac) or the working file (.take.flac.scgui-take.w64).",
    )
    recover.add_argument("path", type=Path, help="the take's file, or its working file")
    recover.add_argument("--subtype", help="e.g. PCM_16, PCM_24 (default by format)")

    record = commands.add_parser("record", help="record from a microphone or loopback to a file")
    record.add_argument("--input", "-i", help="microphone or loopback (id or part of the name)")
    record.add_argument("--output", "-o", required=True, help="file: .wav, .flac, .ogg, .w64")
    record.add_argument("--seconds", "-s", type=float, help="stop after this long (else Ctrl-C)")
    record.add_argument("--channels", "-c", type=parse_channels, help="count or map like 0,1")
    record.add_argument("--samplerate", "-r", type=int, help="default: the device's rate")
    record.add_argument("--subtype", help="e.g. PCM_16, PCM_24, FLOAT (default by format)")
    record.add_argument("--overwrite", action="store_true", help="replace an existing file")

    play = commands.add_parser("play", help="play a sound file on a speaker")
    play.add_argument("file", help="the file to play")
    play.add_argument("--output", "-o", help="speaker (id or part of the name); default speaker")
    play.add_argument("--channels", "-c", type=parse_channels, help="device channels, like 2,3")

    routing = commands.add_parser(
        "check-routing",
        help="play on each output channel, find the input channels it arrives on",
        description=(
            "Plays a short identification signal on each output channel in turn, records every "
            "channel of the input, and reports where each output arrives (level, delay, "
            "polarity) against the expected routing. Exit status 0 only when every channel "
            "passes, 1 otherwise, 2 for invalid arguments."
        ),
    )
    routing.add_argument("--output", "-o", required=True, help="speaker (id or part of the name)")
    routing.add_argument(
        "--input", "-i", required=True, help="microphone or loopback (id or part of the name)"
    )
    routing.add_argument(
        "--channels",
        "-c",
        type=parse_channels,
        help="output channels to test: a count such as 4 (the first four) or a list such as "
        "0,3 (one channel: 3,); default all",
    )
    routing.add_argument(
        "--expect",
        "-e",
        default="identity",
        help="expected routing: identity (default), reverse, a list such as 7,6,5,4,3,2,1,0 "
        "(position = output, value = input, -1 = nowhere), or a .json/.csv file",
    )
    routing.add_argument(
        "--report",
        action="append",
        default=[],
        metavar="FILE",
        help="also write the report to FILE: .json, .csv or .png (may be repeated)",
    )
    routing.add_argument("--samplerate", "-r", type=int, help="default: the speaker's rate")
    routing.add_argument(
        "--level-db", type=float, default=-20.0, help="signal level in dBFS RMS (default -20)"
    )

    latency = commands.add_parser(
        "latency",
        help="measure the round-trip latency from an output to an input",
        description=(
            "Plays a short sweep several times and finds it in the recording by "
            "cross-correlation; prints each take and the median."
        ),
    )
    latency.add_argument("--output", "-o", required=True, help="speaker (id or part of the name)")
    latency.add_argument(
        "--input", "-i", required=True, help="microphone or loopback (id or part of the name)"
    )
    latency.add_argument("--repeats", "-n", type=int, default=5, help="number of takes (5)")
    latency.add_argument(
        "--output-channel", type=int, default=0, help="output channel to play on (0)"
    )
    latency.add_argument(
        "--input-channel",
        type=int,
        help="input channel to measure (default: where the signal arrives strongest)",
    )
    latency.add_argument("--samplerate", "-r", type=int, help="default: the speaker's rate")
    latency.add_argument(
        "--level-db", type=float, default=-20.0, help="sweep peak level in dBFS (default -20)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.self_test:
        from .selftest import run_self_test

        return run_self_test()
    if args.command is None:
        from .ui.app import run_app

        return run_app(sys.argv[:1])
    try:
        if args.command == "devices":
            return list_devices(as_json=args.json)
        if args.command == "record":
            return record(args)
        if args.command == "recover":
            return recover_take(args)
        if args.command == "play":
            return play(args)
        if args.command == "check-routing":
            return check_routing(args)
        if args.command == "latency":
            return latency(args)
    except (sc.AudioError, OSError) as exc:
        print(f"scgui: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_USAGE


def recover_take(args: argparse.Namespace) -> int:
    """``scgui recover PATH``: one line saying what was made, or what stops it."""
    from .engine.takefile import TakeFileError, recover
    from .engine.writer import RecordingError

    try:
        made = recover(args.path, subtype=args.subtype)
    except (TakeFileError, RecordingError) as exc:
        print(f"scgui: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    seconds = made.frames / made.samplerate
    print(
        f"Recovered {made.frames} frames ({seconds:.1f} s, {made.channels} channels, "
        f"{made.samplerate} Hz) into {made.path}"
    )
    return 0


def list_devices(as_json: bool = False) -> int:
    speakers = sc.all_speakers()
    microphones = sc.all_microphones(include_loopback=True)
    backend = sc.backends.get_backend()
    defaults = {
        "speaker": backend.default_device_id("speaker"),
        "microphone": backend.default_device_id("microphone"),
    }
    rows = []
    for kind, devices in (("speaker", speakers), ("microphone", microphones)):
        for device in devices:
            info = device.info
            rows.append(
                {
                    "kind": "loopback" if info.isloopback else kind,
                    "id": device.id,
                    "name": device.name,
                    "channels": device.channels,
                    "samplerate": info.samplerate,
                    "default": device.id == defaults[kind],
                    "channel_names": list(device.channel_names),
                }
            )
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    header = ("", "KIND", "NAME", "CH", "RATE", "ID")
    table = [header] + [
        (
            "*" if row["default"] else "",
            str(row["kind"]),
            str(row["name"]),
            str(row["channels"]),
            str(row["samplerate"]),
            str(row["id"]),
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for line in table:
        cells = (cell.ljust(width) for cell, width in zip(line, widths, strict=True))
        print("  ".join(cells).rstrip())
    return 0


class _Stop:
    """Turns Ctrl-C and SIGTERM into a flag, so the file is always finished."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, _signum: int, _frame: object) -> None:
        self.requested = True


def record(args: argparse.Namespace) -> int:
    from .engine.writer import RecordingWriter

    microphone = (
        sc.get_microphone(args.input, include_loopback=True)
        if args.input
        else sc.default_microphone()
    )
    samplerate = args.samplerate or microphone.info.samplerate
    stop = _Stop()
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with microphone.recorder(samplerate, channels=args.channels) as recorder:
            writer = RecordingWriter(
                Path(args.output),
                samplerate,
                recorder.channels,
                subtype=args.subtype,
                overwrite=args.overwrite,
            )
            writer.start()
            print(
                f"Recording {recorder.channels} channel(s) of {microphone.name} at "
                f"{samplerate} Hz to {args.output}"
                + (f" for {args.seconds:g} s" if args.seconds else "; Ctrl-C stops"),
                file=sys.stderr,
            )
            wanted = round(args.seconds * samplerate) if args.seconds else None
            done = 0
            block = max(64, samplerate // 20)
            try:
                while not stop.requested and (wanted is None or done < wanted):
                    count = block if wanted is None else min(block, wanted - done)
                    frames = recorder.record(count)
                    writer.write(frames)
                    done += frames.shape[0]
            finally:
                summary = writer.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print(
        f"Wrote {summary.frames} frames ({summary.seconds:.2f} s) to {args.output}", file=sys.stderr
    )
    return 0


def play(args: argparse.Namespace) -> int:
    from .engine.sources import FileSource

    speaker = sc.get_speaker(args.output) if args.output else sc.default_speaker()
    source = FileSource(args.file)
    channels = args.channels
    if channels is None:
        if source.channels > speaker.channels:
            raise sc.InvalidConfigError(
                f"{args.file} has {source.channels} channels but {speaker.name} has "
                f"{speaker.channels}: pass --channels with {source.channels} device channels."
            )
        channels = source.channels
    stop = _Stop()
    previous = signal.signal(signal.SIGINT, stop)
    started = time.monotonic()
    try:
        with speaker.player(source.samplerate, channels=channels) as player:
            while not stop.requested:
                block = source.read(source.samplerate // 10)
                if block.shape[0] == 0:
                    break
                player.play(block)
    finally:
        signal.signal(signal.SIGINT, previous)
        source.close()
    print(
        f"Played {args.file} on {speaker.name} ({time.monotonic() - started:.2f} s)",
        file=sys.stderr,
    )
    return 0


def _usage_error(message: str) -> int:
    """Report an invalid argument the way the other errors are reported; exit status 2."""
    print(f"scgui: error: {message}", file=sys.stderr)
    return EXIT_USAGE


_REPORT_SUFFIXES = (".json", ".csv", ".png")


def check_routing(args: argparse.Namespace) -> int:
    """``scgui check-routing``: the table on stdout; 0 only when every channel passes."""
    import threading

    from .measure.routing import expectation_from_spec
    from .measure.runs import Cancelled, MeasurementError
    from .measure.runs import check_routing as run_check

    for name in args.report:
        if Path(name).suffix.lower() not in _REPORT_SUFFIXES:
            return _usage_error(f"--report {name}: the file must end in .json, .csv or .png")
    if args.level_db > 0:
        return _usage_error(f"--level-db {args.level_db:g} would clip: use 0 or less")
    speaker = sc.get_speaker(args.output)
    microphone = sc.get_microphone(args.input, include_loopback=True)
    channels = args.channels
    if isinstance(channels, int):
        if not 1 <= channels <= speaker.channels:
            return _usage_error(
                f"--channels {channels}: {speaker.name} has {speaker.channels} output channels"
            )
        outputs = list(range(channels))
    elif channels is None:
        outputs = list(range(speaker.channels))
    else:
        outputs = list(channels)
    try:
        expected = expectation_from_spec(args.expect, outputs, microphone.channels)
    except (ValueError, OSError) as exc:
        return _usage_error(f"--expect: {exc}")

    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: stop.set())
    show_progress = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show_progress:
            end = "\n" if done == total else ""
            print(f"\rchecking output {done} of {total}", end=end, file=sys.stderr, flush=True)

    try:
        report = run_check(
            speaker,
            microphone,
            outputs,
            expected,
            samplerate=args.samplerate or speaker.info.samplerate,
            level_db=args.level_db,
            progress=progress,
            cancel=stop,
        )
    except Cancelled as exc:
        if exc.partial is not None:
            print(exc.partial.text_table())
        print("scgui: error: the check was cancelled", file=sys.stderr)
        return EXIT_ERROR
    except MeasurementError as exc:
        print(f"scgui: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except ValueError as exc:
        if isinstance(exc, sc.AudioError):
            raise
        return _usage_error(str(exc))
    finally:
        signal.signal(signal.SIGINT, previous)
    print(report.text_table())
    for name in args.report:
        path = Path(name)
        if path.suffix.lower() == ".png":
            from .ui.routing_image import render_routing_png

            render_routing_png(report, path)
        else:
            report.save(path)
        print(f"Wrote {path}", file=sys.stderr)
    return 0 if report.all_passed else EXIT_ERROR


def latency(args: argparse.Namespace) -> int:
    """``scgui latency``: one line per take, then the median (and the range)."""
    from .measure.runs import Cancelled, MeasurementError, measure_latency

    if args.repeats < 1:
        return _usage_error(f"--repeats {args.repeats}: at least one take is needed")
    if args.level_db > 0:
        return _usage_error(f"--level-db {args.level_db:g} would clip: use 0 or less")
    speaker = sc.get_speaker(args.output)
    microphone = sc.get_microphone(args.input, include_loopback=True)
    try:
        result = measure_latency(
            speaker,
            microphone,
            repeats=args.repeats,
            samplerate=args.samplerate or speaker.info.samplerate,
            output_channel=args.output_channel,
            input_channel=args.input_channel,
            level_db=args.level_db,
        )
    except (MeasurementError, Cancelled) as exc:
        print(f"scgui: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except ValueError as exc:
        if isinstance(exc, sc.AudioError):
            raise
        return _usage_error(str(exc))
    print(
        f"Latency {speaker.name} -> {microphone.name}, output {result.output_channel} -> "
        f"input {result.input_channel}, {result.samplerate} Hz:"
    )
    for number, value in enumerate(result.values_ms, start=1):
        print(f"  take {number}: {value:.2f} ms")
    print(
        f"median {result.median_ms:.2f} ms (min {result.min_ms:.2f}, max {result.max_ms:.2f}, "
        f"{len(result.values_ms)} takes)"
    )
    return 0
