"""The ``scgui`` command: the window when run alone, lab jobs as subcommands.

``scgui devices``, ``scgui record`` and ``scgui play`` do what the window does, without one,
with the same library and the same recording writer, so lab scripts and tests can rely on
them. ``scgui check-routing`` and ``scgui latency`` run the measurements of
:mod:`scgui.measure.runs`, the same code as the window's routing panel. ``scgui doctor``
prints what a bug report needs (:mod:`scgui.doctor`).

Errors are one plain line on stderr (``scgui: error: ...``) saying what went wrong and what
to do, never a traceback, and the exit status tells a script what happened
(:data:`EXIT_STATUS_HELP`): 0 only when the job was done, 1 for a failure while running, 2
for bad usage. Values are checked when the command line is read (:mod:`scgui.cli_args`) and
again against the device once it is known. An error nobody expected is still one line,
asking for a report; ``scgui --debug ...`` logs its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import re
import signal
import sys
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from . import __version__
from .cli_args import (
    channel_index,
    count,
    duration,
    frequencies,
    level_dbfs,
    parse_channels,
    samplerate,
)

if TYPE_CHECKING:
    import scgui.audio as sc
    from scgui.audio.channelmap import ChannelMap

    from .engine.writer import RecordingWriter

__all__ = ["EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "UsageError", "build_parser", "main"]

_log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2

EXIT_STATUS_HELP = """\
exit status:
  0  the job was done
  1  it failed while running (no sound server, no such device, disk full...);
     one line on stderr says what went wrong and what to do
  2  bad usage (an unknown option, a value that cannot work); one line on
     stderr says which and what to give instead"""
"""The epilog of ``scgui --help`` and of every subcommand's ``--help``."""


class UsageError(Exception):
    """The command line cannot work as given: exit status 2, the message on one line."""


def _one_line(message: object) -> str:
    """``message`` as one line: an error never spreads over several lines of stderr."""
    return " ".join(str(message).split())


def _fail(message: object, status: int = EXIT_ERROR) -> int:
    """Print ``scgui: error: MESSAGE`` on stderr and return ``status``."""
    print(f"scgui: error: {_one_line(message) or 'unknown error'}", file=sys.stderr)
    return status


_ARGUMENT_MESSAGE = re.compile(r"argument (?P<names>\S+): (?P<rest>.*)", re.DOTALL)


class ArgumentParser(argparse.ArgumentParser):
    """argparse, with each usage error raised as a one-line :class:`UsageError`.

    argparse prints its usage and exits from inside ``parse_args``; here the message is
    reworded to name the option once (``--repeats 0: at least one take is needed``, as the
    checks in :mod:`scgui.cli_args` word it) and to point at the help, and :func:`main`
    prints it like every other error.
    """

    def error(self, message: str) -> NoReturn:
        match = _ARGUMENT_MESSAGE.fullmatch(message)
        if match is not None:
            names = match["names"].split("/")
            rest = match["rest"]
            message = rest if rest.startswith(tuple(names)) else f"{names[0]}: {rest}"
        raise UsageError(f"{message} (see '{self.prog} --help')")


class _HelpFormatter(argparse.HelpFormatter):
    """Fills paragraphs as argparse does, but keeps indented lines (the exit status table)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = []
        for paragraph in textwrap.dedent(text).strip().split("\n\n"):
            lines = paragraph.splitlines()
            if any(line.startswith(" ") for line in lines[1:]):
                paragraphs.append("\n".join(indent + line for line in lines))
            else:
                paragraphs.append(super()._fill_text(paragraph, width, indent))
        return "\n\n".join(paragraphs)


def _epilog(extra: str = "") -> str:
    """The exit status table, with a note on what is particular to one command."""
    if not extra:
        return EXIT_STATUS_HELP
    return (
        EXIT_STATUS_HELP
        + "\n"
        + textwrap.fill(extra, 78, initial_indent="  ", subsequent_indent="  ")
    )


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="scgui",
        description="Sound-card manager and recorder. Without a command, opens the window.",
        epilog=_epilog(
            "--self-test: 0 passed, 1 no sound server, 2 the window could not be opened "
            "(a broken install: see its output)"
        ),
        formatter_class=_HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"scgui {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="open the window offscreen, list the sound server's devices, print them, exit",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        help="log on stderr what happens, with the traceback of an unexpected error",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(
        name: str, summary: str, description: str | None = None, status: str = ""
    ) -> argparse.ArgumentParser:
        """A subcommand whose --help ends with the exit statuses (and ``status`` for it)."""
        return commands.add_parser(
            name,
            help=summary,
            description=description or summary[:1].upper() + summary[1:] + ".",
            epilog=_epilog(status),
            formatter_class=_HelpFormatter,
        )

    devices = command("devices", "list speakers, microphones and loopbacks")
    devices.add_argument("--json", action="store_true", help="machine-readable output")

    doctor = command(
        "doctor",
        "print what a bug report needs: versions, backend, server, devices, log file",
        "Prints the scgui, Python and OS versions, those of numpy, cffi, PySide6, pyqtgraph, "
        "soundfile and libsndfile, the audio backend and why it was chosen, the sound server, "
        "its default devices and every device with its channels and rate, and the path of "
        "the log file. Paste it into a bug report. A server that cannot be reached is one "
        "line of the report ('server: not reachable: ...'), not an error.",
        status="doctor exits 0 whenever it could print its report, also without a sound "
        "server or with a package missing: the report says what is wrong.",
    )
    doctor.add_argument("--json", action="store_true", help="machine-readable output")

    recover = command(
        "recover",
        "make the file an interrupted FLAC or Ogg take was meant to be",
        "A FLAC or Ogg take is recorded to a hidden working file beside it and converted at "
        "stop. After a crash or a kill, this converts what was left: give the file you chose "
        "(take.flac) or the working file (.take.flac.scgui-take.w64).",
    )
    recover.add_argument("path", type=Path, help="the take's file, or its working file")
    recover.add_argument("--subtype", help="e.g. PCM_16, PCM_24 (default by format)")

    record = command(
        "record",
        "record from a microphone or loopback to a file",
        "Records to a file through the same writer as the window: flushed twice a second, so "
        "a crash or a kill leaves a readable file (FLAC and Ogg: after 'scgui recover'). "
        "'Wrote N frames' is printed only once the writer has checked that the finished file "
        "opens with every frame.",
        status="record exits 1 also when the take stopped early (disk full, device gone): "
        "the part recorded is kept, and the message says where.",
    )
    record.add_argument("--input", "-i", help="microphone or loopback (id or part of the name)")
    record.add_argument("--output", "-o", required=True, help="file: .wav, .flac, .ogg, .w64")
    record.add_argument(
        "--seconds",
        "-s",
        type=duration("--seconds", hint="leave --seconds out to record until Ctrl-C"),
        help="stop after this long (else Ctrl-C)",
    )
    record.add_argument(
        "--channels", "-c", type=parse_channels, help="channels from 1, like 1,2 or 1-8 (mix: mono)"
    )
    record.add_argument(
        "--samplerate", "-r", type=samplerate("--samplerate"), help="default: the device's rate"
    )
    record.add_argument("--subtype", help="e.g. PCM_16, PCM_24, FLOAT (default by format)")
    record.add_argument("--overwrite", action="store_true", help="replace an existing file")

    play = command("play", "play a sound file on a speaker")
    play.add_argument("file", help="the file to play")
    play.add_argument("--output", "-o", help="speaker (id or part of the name); default speaker")
    play.add_argument(
        "--channels", "-c", type=parse_channels, help="device channels from 1, like 3,4"
    )

    routing = command(
        "check-routing",
        "play on each output channel, find the input channels it arrives on",
        "Plays a logarithmic sweep on every output channel in one take, each staggered in "
        "time so that the input tells them apart (--one-by-one: a short signal on each "
        "output in turn, for noisy rooms), records every channel of the input, and reports "
        "where each output arrives (level, skew, polarity, frequency response) against the "
        "expected routing.",
        status="check-routing exits 0 only when every channel passes, 1 when one does not.",
    )
    routing.add_argument("--output", "-o", required=True, help="speaker (id or part of the name)")
    routing.add_argument(
        "--input", "-i", required=True, help="microphone or loopback (id or part of the name)"
    )
    routing.add_argument(
        "--channels",
        "-c",
        type=parse_channels,
        help="output channels to test, numbered from 1: such as 1-4 or 1,8; default all",
    )
    routing.add_argument(
        "--expect",
        "-e",
        default="identity",
        help="expected routing: identity (default), reverse, a list such as 8,7,6,5,4,3,2,1 "
        "(the input of output 1, 2, ...; numbered from 1; - = nowhere), or a .json/.csv "
        "file (counted from 0, as the reports are)",
    )
    routing.add_argument(
        "--report",
        action="append",
        default=[],
        metavar="FILE",
        help="also write the report to FILE: .json, .csv, .png or .html (may be repeated)",
    )
    routing.add_argument(
        "--samplerate", "-r", type=samplerate("--samplerate"), help="default: the speaker's rate"
    )
    routing.add_argument(
        "--level-db",
        type=level_dbfs("--level-db"),
        default=-20.0,
        help="signal level in dBFS, 0 or less (default -20)",
    )
    routing.add_argument(
        "--thd-at",
        type=frequencies("--thd-at"),
        default=[100.0, 1000.0, 5000.0],
        metavar="HZ,HZ",
        help="frequencies to give THD at, in the one-take method (default 100,1000,5000)",
    )
    routing.add_argument(
        "--one-by-one",
        action="store_true",
        help="one output at a time, with noise (slower; for noisy rooms). Default: every "
        "output in one take with staggered sweeps, skew exact to the sample",
    )

    latency = command(
        "latency",
        "measure the round-trip latency from an output to an input",
        "Keeps a player and a recorder running, plays a short sweep per take, finds it to "
        "the sample and times it on the two streams' own clocks; prints each take, the "
        "median and the server's stated stream latencies.",
    )
    latency.add_argument("--output", "-o", required=True, help="speaker (id or part of the name)")
    latency.add_argument(
        "--input", "-i", required=True, help="microphone or loopback (id or part of the name)"
    )
    latency.add_argument(
        "--repeats", "-n", type=count("--repeats", "take"), default=5, help="number of takes (5)"
    )
    latency.add_argument(
        "--output-channel",
        type=channel_index("--output-channel"),
        default=0,
        help="output channel to play on, numbered from 1 (1)",
    )
    latency.add_argument(
        "--input-channel",
        type=channel_index("--input-channel"),
        help="input channel to measure, numbered from 1 (default: where it arrives strongest)",
    )
    latency.add_argument(
        "--samplerate", "-r", type=samplerate("--samplerate"), help="default: the speaker's rate"
    )
    latency.add_argument(
        "--report",
        action="append",
        default=[],
        metavar="FILE.json",
        help="also write every take, the summary and the server's stated latency to FILE.json",
    )
    latency.add_argument(
        "--level-db",
        type=level_dbfs("--level-db"),
        default=-20.0,
        help="sweep peak level in dBFS, 0 or less (default -20)",
    )
    return parser


def _expected_errors() -> tuple[type[BaseException], ...]:
    """The failures a command can meet while running: each is reported as its message."""
    import soundfile

    import scgui.audio as sc

    from .engine.takefile import TakeFileError
    from .engine.writer import RecordingError
    from .measure.runs import Cancelled, MeasurementError

    return (
        sc.AudioError,
        OSError,
        RecordingError,
        TakeFileError,
        soundfile.SoundFileError,
        MeasurementError,
        Cancelled,
    )


def _describe(exc: BaseException) -> str:
    """An expected failure as a message; a bare OSError also says what to check."""
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"'{exc.filename}': {exc.strerror}. Check the name, the folder and its permissions."
    return str(exc)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (see :data:`EXIT_STATUS_HELP`)."""
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        return _fail(exc, EXIT_USAGE)
    except SystemExit as exc:  # --help and --version have printed what was asked
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    if args.debug:
        logging.basicConfig(
            level=logging.DEBUG, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
        )
    try:
        return _run(args)
    except UsageError as exc:  # found against the devices: the same as a parse error
        where = f"scgui {args.command}" if args.command else "scgui"
        return _fail(f"{exc} (see '{where} --help')", EXIT_USAGE)
    except KeyboardInterrupt:
        return _fail("interrupted (Ctrl-C) before the job was done")
    except BrokenPipeError:
        # The reader of stdout went away (``scgui devices | head -1``): nothing to tell it.
        # Point stdout at /dev/null so that Python's flush at exit does not complain.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except Exception as exc:
        try:
            expected = _expected_errors()
        except Exception:  # a broken install: soundfile or libsndfile missing
            expected = (OSError,)
        if isinstance(exc, expected):
            _log.debug("scgui %s failed", args.command, exc_info=True)
            return _fail(_describe(exc))
        _log.debug("unexpected error in scgui %s", args.command, exc_info=True)
        return _fail(
            f"unexpected {type(exc).__name__}: {exc}. This is a bug in scgui: please report "
            "it, with what 'scgui --debug' prints for the same command."
        )


def _run(args: argparse.Namespace) -> int:
    if args.self_test:
        from .selftest import run_self_test

        return run_self_test()
    if args.command is None:
        from .ui.app import run_app

        return run_app(sys.argv[:1])
    if args.command == "devices":
        return list_devices(as_json=args.json)
    if args.command == "doctor":
        from .doctor import run_doctor

        return run_doctor(as_json=args.json)
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
    raise UsageError(f"unknown command {args.command!r} (see 'scgui --help')")


def recover_take(args: argparse.Namespace) -> int:
    """``scgui recover PATH``: one line saying what was made, or what stops it."""
    from .engine.takefile import recover

    made = recover(args.path, subtype=args.subtype)  # TakeFileError, RecordingError: main
    seconds = made.frames / made.samplerate
    print(
        f"Recovered {made.frames} frames ({seconds:.1f} s, {made.channels} channels, "
        f"{made.samplerate} Hz) into {made.path}"
    )
    return EXIT_OK


def list_devices(as_json: bool = False) -> int:
    rows = device_rows()
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    print_device_table(rows)
    return 0


def device_rows() -> list[dict[str, Any]]:
    """Every speaker, microphone and loopback as ``scgui devices --json`` gives it."""
    import scgui.audio as sc

    speakers = sc.all_speakers()
    microphones = sc.all_microphones(include_loopback=True)
    backend = sc.backends.get_backend()
    defaults = {
        "speaker": backend.default_device_id("speaker"),
        "microphone": backend.default_device_id("microphone"),
    }
    rows: list[dict[str, Any]] = []
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
    return rows


def print_device_table(rows: Sequence[dict[str, Any]], indent: str = "") -> None:
    """The table of ``scgui devices``: default mark, kind, name, channels, rate, id."""
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
        print((indent + "  ".join(cells)).rstrip())


class _Stop:
    """Turns Ctrl-C and SIGTERM into a flag, so the file is always finished."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, _signum: int, _frame: object) -> None:
        self.requested = True


def _channels_text(channels: Sequence[int]) -> str:
    """A channel list as it is typed after ``--channels`` (numbered from 1)."""
    from .channel_text import format_channel_list

    return format_channel_list(channels)


def _channel_map(device: sc.Speaker | sc.Microphone, channels: list[int]) -> ChannelMap:
    """The library's channel map for ``--channels`` on ``device``; a UsageError if unusable."""
    import scgui.audio as sc
    from scgui.audio.channelmap import parse_channel_map

    info = device.info
    missing = [c for c in channels if c >= info.channels]
    if missing:
        raise UsageError(
            f"--channels {_channels_text(channels)}: {info.name} has channels 1 to "
            f"{info.channels} (numbered from 1)"
        )
    try:
        return parse_channel_map(
            channels, info.channels, info.name, positions=info.channel_positions
        )
    except sc.InvalidConfigError as exc:
        raise UsageError(f"--channels {_channels_text(channels)}: {exc}") from None


def _check_samplerate(device: sc.Speaker | sc.Microphone, rate: int | None) -> None:
    """A ``--samplerate`` the sound server cannot run ``device`` at is a UsageError."""
    import scgui.audio as sc

    if rate is None:
        return
    try:
        sc.check_settings(device, rate)
    except sc.InvalidConfigError as exc:
        raise UsageError(f"--samplerate {rate}: {exc}") from None


def record(args: argparse.Namespace) -> int:
    """``scgui record``: "Wrote N frames" only once the writer has checked the file."""
    import scgui.audio as sc

    from .engine.writer import (
        RecordingError,
        RecordingExistsError,
        RecordingSizeLimitError,
        RecordingWriter,
    )

    microphone = (
        sc.get_microphone(args.input, include_loopback=True)
        if args.input
        else sc.default_microphone()
    )
    _check_samplerate(microphone, args.samplerate)
    if args.channels is not None:
        _channel_map(microphone, args.channels)
    rate = args.samplerate or microphone.info.samplerate
    wanted = None if args.seconds is None else max(1, round(args.seconds * rate))
    stop = _Stop()
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    writer: RecordingWriter | None = None
    cut_short: Exception | None = None  # what ended the take before it was done
    try:
        try:
            with microphone.recorder(rate, channels=args.channels) as recorder:
                writer = RecordingWriter(
                    Path(args.output),
                    rate,
                    recorder.channels,
                    subtype=args.subtype,
                    overwrite=args.overwrite,
                )
                writer.start()  # RecordingError: nothing recorded, nothing to keep
                print(
                    f"Recording {recorder.channels} channel(s) of {microphone.name} at "
                    f"{rate} Hz to {args.output}"
                    + (f" for {args.seconds:g} s" if wanted else "; Ctrl-C stops"),
                    file=sys.stderr,
                    flush=True,
                )
                _capture(recorder, writer, wanted, stop)
        except (RecordingError, sc.AudioError) as exc:
            if isinstance(exc, RecordingExistsError):
                return _fail(f"{exc} (--overwrite replaces it)")
            if writer is None or not writer.is_running:
                raise  # the device or the file could not be opened
            cut_short = exc  # mid-take: what was recorded is finished and kept below
        except BaseException:
            if writer is not None:
                with contextlib.suppress(RecordingError):
                    writer.stop()
            raise
        assert writer is not None
        try:
            summary = writer.stop()  # closes the file and checks that it opens, every frame
        except RecordingError as exc:
            # The writer failed (disk full, drive gone, conversion impossible, the file does
            # not read back); its message says how much was kept, where, and what to do.
            return _fail(exc)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    kept = (
        f"The {summary.seconds:.1f} s recorded before that ({summary.frames} frames) are "
        f"saved in '{summary.path}' and readable."
    )
    if isinstance(cut_short, RecordingSizeLimitError):
        return _fail(
            f"Recording to '{summary.path}' stopped: the {summary.format} format cannot hold "
            f"more. {kept} For longer recordings use .w64, .rf64 or .flac."
        )
    if cut_short is not None:
        return _fail(f"Recording stopped: {str(cut_short).rstrip('.')}. {kept}")
    print(
        f"Wrote {summary.frames} frames ({summary.seconds:.2f} s) to {args.output}",
        file=sys.stderr,
    )
    return EXIT_OK


def _capture(
    recorder: sc.Recorder, writer: RecordingWriter, wanted: int | None, stop: _Stop
) -> None:
    """Record into ``writer`` until ``wanted`` frames (None: until ``stop``)."""
    done = 0
    block = max(64, recorder.samplerate // 20)
    while not stop.requested and (wanted is None or done < wanted):
        frames = recorder.record(block if wanted is None else min(block, wanted - done))
        writer.write(frames)
        done += frames.shape[0]


def play(args: argparse.Namespace) -> int:
    import scgui.audio as sc

    from .engine.sources import FileSource

    path = Path(args.file)
    if path.is_dir():
        return _fail(f"'{path}' is a folder, not a sound file: give a file such as take.wav.")
    if not path.exists():
        return _fail(f"There is no file '{path}': check the name and the folder.")
    speaker = sc.get_speaker(args.output) if args.output else sc.default_speaker()
    source = FileSource(path)  # OSError saying why it cannot be played
    try:
        channels = args.channels
        if channels is None:
            if source.channels > speaker.channels:
                raise UsageError(
                    f"{args.file} has {source.channels} channels but {speaker.name} has "
                    f"{speaker.channels}: pass --channels with {source.channels} device "
                    "channels."
                )
            channels = source.channels
        else:
            columns = len(_channel_map(speaker, channels))
            if columns != source.channels:
                raise UsageError(
                    f"--channels {_channels_text(channels)} gives {columns} channel(s) but "
                    f"{args.file} has {source.channels}: list one device channel per channel "
                    "of the file."
                )
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
    finally:
        source.close()
    print(
        f"Played {args.file} on {speaker.name} ({time.monotonic() - started:.2f} s)",
        file=sys.stderr,
    )
    return EXIT_OK


_REPORT_SUFFIXES = (".json", ".csv", ".png", ".html")


def check_routing(args: argparse.Namespace) -> int:
    """``scgui check-routing``: the table on stdout; 0 only when every channel passes."""
    import threading

    import scgui.audio as sc

    from .measure.routing import expectation_from_spec
    from .measure.runs import Cancelled
    from .measure.runs import check_routing as run_check

    for name in args.report:
        if Path(name).suffix.lower() not in _REPORT_SUFFIXES:
            raise UsageError(f"--report {name}: the file must end in .json, .csv, .png or .html")
    speaker = sc.get_speaker(args.output)
    microphone = sc.get_microphone(args.input, include_loopback=True)
    _check_samplerate(speaker, args.samplerate)
    outputs = list(range(speaker.channels)) if args.channels is None else list(args.channels)
    wrong = [c for c in outputs if not 0 <= c < speaker.channels]
    if wrong:
        raise UsageError(
            f"--channels {_channels_text(args.channels)}: {speaker.name} has output channels "
            f"1 to {speaker.channels}"
        )
    try:
        expected = expectation_from_spec(args.expect, outputs, microphone.channels)
    except (ValueError, OSError) as exc:
        raise UsageError(f"--expect: {exc}") from None

    stop = threading.Event()
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: stop.set())
    show_progress = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show_progress:
            end = "\n" if done == total else ""
            what = "checking outputs" if not args.one_by_one else "checking output"
            print(f"\r{what} {done} of {total}", end=end, file=sys.stderr, flush=True)

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
            method="one-by-one" if args.one_by_one else "sweeps",
            thd_frequencies=args.thd_at,
        )
    except Cancelled as exc:
        if exc.partial is not None:
            print(exc.partial.text_table())
        return _fail("the check was cancelled")
    except ValueError as exc:
        if isinstance(exc, sc.AudioError):
            raise
        raise UsageError(str(exc)) from None  # channels or expectation the devices lack
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
    return EXIT_OK if report.all_passed else EXIT_ERROR


def latency(args: argparse.Namespace) -> int:
    """``scgui latency``: one line per take, then the median (and the range)."""
    import scgui.audio as sc

    from .channel_text import format_channel_number
    from .measure.latency import measure_latency

    for name in args.report:
        if Path(name).suffix.lower() != ".json":
            raise UsageError(f"--report {name}: a latency report is a .json file")
    speaker = sc.get_speaker(args.output)
    microphone = sc.get_microphone(args.input, include_loopback=True)
    _check_samplerate(speaker, args.samplerate)
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
    except ValueError as exc:
        if isinstance(exc, sc.AudioError):
            raise
        raise UsageError(str(exc)) from None  # channels the devices do not have
    print(
        f"Latency {speaker.name} -> {microphone.name}, output "
        f"{format_channel_number(result.output_channel)} -> input "
        f"{format_channel_number(result.input_channel)}, {result.samplerate} Hz:"
    )
    for number, value in enumerate(result.values_ms, start=1):
        print(f"  take {number}: {value:.3f} ms")
    print(
        f"path latency {result.median_ms:.3f} ms (median of {len(result.values_ms)} takes; "
        f"spread {result.spread_ms:.3f} ms; timed on the streams' clocks, whose positions "
        f"step by up to {result.info.get('clock_step_ms', 0):.2f} ms)"
    )
    stated = result.info.get("stated_latency_ms")
    if stated is not None:
        print(
            f"the server states {stated:.2f} ms for the two streams: "
            f"{result.stream_round_trip_ms:.2f} ms round trip through them"
        )
    for warning in result.warnings:
        print(f"warning: {warning}")
    for name in args.report:
        path = Path(name)
        path.write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
        print(f"Wrote {path}", file=sys.stderr)
    return EXIT_OK
