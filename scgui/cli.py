"""The ``scgui`` command: the window when run alone, lab jobs as subcommands.

``scgui devices``, ``scgui record`` and ``scgui play`` do what the window does, without one,
with the same library and the same recording writer, so lab scripts and tests can rely on
them. Errors are one plain line on stderr and a non-zero exit status, never a traceback.
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
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    devices = commands.add_parser("devices", help="list speakers, microphones and loopbacks")
    devices.add_argument("--json", action="store_true", help="machine-readable output")

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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        from .ui.app import run_app

        return run_app(sys.argv[:1])
    try:
        if args.command == "devices":
            return list_devices(as_json=args.json)
        if args.command == "record":
            return record(args)
        if args.command == "play":
            return play(args)
    except (sc.AudioError, OSError) as exc:
        print(f"scgui: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_USAGE


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
